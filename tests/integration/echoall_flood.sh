#!/usr/bin/env bash
# tests/integration/echoall_flood.sh: echoall_hardened under a SYN flood, in a private
# network namespace of its own.
#
#   tcpdump -n -S -i tun0           a SYN+ACK whose ISN is a SYN cookie, and
#                                   the client's ACK of it: the connection is made
#   tests/bin/synflood -n 1000000 tun0
#                                   a million SYNs from random sources
#   nc -N 192.168.0.2 7 < 1 MiB     during the flood: the same 1 MiB comes back
#   grep -E '^(VmRSS|VmHWM):' /proc/$pid/status
#                                   echoall_hardened's peak memory stays within 8 MB
#
# FLOOD_COUNT=N sets the number of SYNs (default 1000000).  Figures are
# printed; what is asserted is that the memory stays bounded, every SYN is
# answered, and the echo is byte-exact, never how long anything took.
set -u
. "$(dirname "$0")/lib.sh"
require_root echoall_flood
require_tools echoall_flood nc cmp timeout tcpdump
require_built echoall_flood "$FAKETCP_BIN/echoall_hardened" "$TOOLS/synflood"
enter_netns 400 "$@"

COUNT=${FLOOD_COUNT:-1000000}
LIMIT_KB=8192
info() { echo "    $1"; }

# echoall_hardened prints two lines a packet, two million in the flood:
# nobody would read them, so its console goes to /dev/null, as
# docs/syncookies.md runs it.
start_quiet /dev/null echoall_hardened || finish

# 1. Two connections, seen by tcpdump: the ISN of each SYN+ACK is a cookie
#    of its own (not one number for all, as before), and the client's ACK
#    hands it back (ack = ISN + 1).
start_tcpdump "$T_DIR/cookie.pcap" tcp port 2007
echo hello | timeout 10 nc -N 192.168.0.2 2007 > "$T_DIR/hello.back" 2>&1
echo again | timeout 10 nc -N 192.168.0.2 2007 > "$T_DIR/again.back" 2>&1
stop_tcpdump
tcpdump -n -S -r "$T_DIR/cookie.pcap" 2>/dev/null > "$T_DIR/cookie.txt"
isns=$(sed -n 's/.*Flags \[S\.\], seq \([0-9]*\),.*/\1/p' "$T_DIR/cookie.txt")
isn=$(head -n 1 <<<"$isns") isn2=$(sed -n 2p <<<"$isns")
ack_line=$(grep -m 1 -E "192\.168\.0\.1\.[0-9]+ > 192\.168\.0\.2\.2007: Flags \[\.\], ack $((isn + 1)), " "$T_DIR/cookie.txt")
if [ -n "$isn" ] && [ -n "$isn2" ] && [ "$isn" != "$isn2" ] && [ -n "$ack_line" ] &&
   [ "$(cat "$T_DIR/hello.back" "$T_DIR/again.back")" = "$(printf 'hello\nagain')" ]; then
  pass "echoall_flood: each SYN+ACK carries a cookie of its own (seq $isn, then $isn2; top byte $((isn >> 24)), the minute mod 256) that the client's ACK hands back (ack $((isn + 1))), and both are echoed"
  info "tcpdump -n -S -i tun0 showed:"
  sed -n '1,3p' "$T_DIR/cookie.txt" | sed 's/^/      /'
else
  fail "echoall_flood: the cookie handshake" "tcpdump showed: $(grep 'Flags \[S' "$T_DIR/cookie.txt" | tr '\n' '|') nc got '$(cat "$T_DIR/hello.back" "$T_DIR/again.back" | head -c 80)'"
fi

rss0=$(memory_kb VmRSS) hwm0=$(memory_kb VmHWM)
info "echoall_hardened before the flood: VmRSS $rss0 kB, VmHWM $hwm0 kB"

# 2. The flood, and during it a fresh connection echoing 1 MiB.
head -c 1048576 /dev/urandom > "$T_DIR/mb"
timeout 300 "$TOOLS/synflood" -n "$COUNT" tun0 > "$T_DIR/flood.out" 2>&1 &
FLOOD_PID=$!
T_PIDS+=("$FLOOD_PID")
sleep 1
timeout 120 nc -N 192.168.0.2 7 < "$T_DIR/mb" > "$T_DIR/mb.back" 2> "$T_DIR/nc.err"
rc=$?
if kill -0 "$FLOOD_PID" 2>/dev/null; then during="while the flood went on"; else during="after the flood ended (it was faster)"; fi
size=$(stat -c %s "$T_DIR/mb.back")
if [ "$rc" = 0 ] && cmp -s "$T_DIR/mb" "$T_DIR/mb.back"; then
  pass "echoall_flood: 1 MiB through a fresh connection comes back byte for byte (cmp: $size bytes), $during"
else
  fail "echoall_flood: 1 MiB during the flood" "nc exited $rc, $size bytes back, $(cmp "$T_DIR/mb" "$T_DIR/mb.back" 2>&1 | head -n 1) $(head -c 200 "$T_DIR/nc.err")"
fi
wait "$FLOOD_PID"
flood_rc=$?
flood=$(cat "$T_DIR/flood.out")
info "$flood"
sent=$(sed -n 's/.*sent \([0-9]*\) SYNs.*/\1/p' <<<"$flood")
answered=$(sed -n 's/.* \([0-9]*\) answered.*/\1/p' <<<"$flood")
if [ "$flood_rc" = 0 ] && [ "${sent:-0}" = "$COUNT" ] && [ "${answered:-0}" = "$COUNT" ]; then
  pass "echoall_flood: all $COUNT SYNs from random sources reached echoall_hardened and got a SYN+ACK"
else
  fail "echoall_flood: the flood" "synflood exited $flood_rc: $flood"
fi

# 3. The memory: peak RSS within the bound, and nothing left behind.
rss1=$(memory_kb VmRSS) hwm1=$(memory_kb VmHWM)
info "echoall_hardened after the flood: VmRSS $rss1 kB, VmHWM $hwm1 kB (before: $rss0 kB, $hwm0 kB)"
peak_within echoall_flood 0 "$LIMIT_KB" "after $COUNT SYNs (VmRSS $rss0 -> $rss1 kB; VmHWM before: $hwm0 kB)"

# 4. Still serving.
if [ "$(echo after | timeout 10 nc -N 192.168.0.2 2007 2>&1)" = after ]; then
  pass "echoall_flood: a connection after the flood is echoed"
else
  fail "echoall_flood: a connection after the flood" "no echo (echoall_hardened $(kill -0 "$PROG_PID" 2>/dev/null && echo running || echo exited))"
fi
finish
