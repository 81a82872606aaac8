#!/usr/bin/env bash
# tests/integration/echoall_hardened.sh: echoall_hardened (echoall, step 6,
# with SYN cookies, the table's bounds and the speed options) against the
# real kernel's TCP, in a private network namespace of its own.  Its cookies
# and bounds have their own tests: echoall_flood.sh, echoall_bounds.sh; a
# lost echo: echoall_lossy.sh.
#
#   nc -N 192.168.0.2 7 < 1 MB      the same 1 MB comes back (cmp), MSS 1460
#   echoclient -n 100 -s 102400     100 clients at once, 100 KB each, all equal
#   ss -tan afterwards              every connection closed both ways
#   echoall_hardened -K             1 MB, 16 MiB and the 100 clients again, with TUN
#                                   offload: reads and echoes larger than the MTU
#   echoall_hardened --window 4M    64 MiB over 4 streams, a queue for the window
#
# The figures (bytes compared, seconds, the kernel's retransmissions) are
# printed, never asserted: timings on a shared machine are noise.
set -u
. "$(dirname "$0")/lib.sh"
require_root echoall_hardened
require_tools echoall_hardened nc cmp ss timeout tcpdump
require_built echoall_hardened "$FAKETCP_BIN/echoall_hardened" "$TOOLS/echoclient" "$TOOLS/tcpsend"
# Each client has its own timeout; this one bounds the whole test, echoall_hardened too.
enter_netns 240 "$@"

info() { echo "    $1"; }
tun_drops() { ip -s link show tun0 | awk '/TX:/ { getline; print $4 }'; }
closed_both_ways() {
  sleep 0.5
  local left
  left=$(ss -Htan state established state fin-wait-1 state fin-wait-2 state closing \
            state last-ack state close-wait | wc -l)
  check "$1: every connection closed both ways" \
    "$left connections not closed: $(ss -Htan | grep -v TIME-WAIT | head -n 3)" test "$left" = 0
}
no_bad_packet() {
  if grep -q '^bad packet\|^write ' "$PROG_LOG"; then
    fail "$1: no bad packet" "it printed: $(grep -m 3 '^bad packet\|^write ' "$PROG_LOG")"
  else
    pass "$1: printed no bad packet and no refused write ($(grep -c '^IP ' "$PROG_LOG") segments)"
  fi
}

# 1. Without options: echoall's echo, with MSS 1460 in the SYN+ACK.
start_prog echoall_hardened || finish
start_tcpdump "$T_DIR/plain.pcap" 'tcp[tcpflags] & tcp-syn != 0'
head -c 1048576 /dev/urandom > "$T_DIR/mb"
timeout 60 nc -N 192.168.0.2 7 < "$T_DIR/mb" > "$T_DIR/mb.back" 2> "$T_DIR/nc.err"
rc=$?
stop_tcpdump
if [ "$rc" = 0 ] && cmp -s "$T_DIR/mb" "$T_DIR/mb.back"; then
  pass "echoall_hardened: 1 MB through nc -N 192.168.0.2 7 comes back equal (cmp: $(stat -c %s "$T_DIR/mb.back") bytes)"
else
  fail "echoall_hardened: 1 MB through nc" "nc exited $rc, $(stat -c %s "$T_DIR/mb.back") bytes back, $(cmp "$T_DIR/mb" "$T_DIR/mb.back" 2>&1 | head -n 1)"
fi
synack=$(tcpdump -n -r "$T_DIR/plain.pcap" 'tcp[tcpflags] == (tcp-syn|tcp-ack)' 2>/dev/null | head -n 1)
check "echoall_hardened: its SYN+ACK says options [mss 1460]" "tcpdump -r shows: $synack" \
  grep -qF 'options [mss 1460], length 0' <<< "$synack"
if timeout 120 "$TOOLS/echoclient" -n 100 -s 102400 -t 100 192.168.0.2 7 \
     > "$T_DIR/clients" 2>&1; then
  pass "echoall_hardened: $(sed 's/^echoclient: //' "$T_DIR/clients")"
else
  fail "echoall_hardened: 100 clients of 100 KB" "$(head -n 3 "$T_DIR/clients")"
fi
closed_both_ways echoall_hardened
no_bad_packet echoall_hardened

# 2. The same with -K (TUN offload, docs/faster.md): the kernel hands over
#    segments of up to 64 KB, echoall_hardened echoes each whole, and every byte must
#    still come back equal.  tcpdump keeps the SYNs and the first 100 bytes
#    of every echo longer than a 1500-byte MTU allows.
stop_prog
start_prog echoall_hardened -K || finish
start_tcpdump "$T_DIR/offload.pcap" -s 100 \
  'tcp[tcpflags] & tcp-syn != 0 or (src host 192.168.0.2 and greater 1541)'
timeout 60 nc -N 192.168.0.2 7 < "$T_DIR/mb" > "$T_DIR/mb.back" 2> "$T_DIR/nc.err"
rc=$?
if [ "$rc" = 0 ] && cmp -s "$T_DIR/mb" "$T_DIR/mb.back"; then
  pass "echoall_hardened -K: 1 MB through nc -N 192.168.0.2 7 comes back equal (cmp: $(stat -c %s "$T_DIR/mb.back") bytes)"
else
  fail "echoall_hardened -K: 1 MB through nc" "nc exited $rc, $(stat -c %s "$T_DIR/mb.back") bytes back, $(cmp "$T_DIR/mb" "$T_DIR/mb.back" 2>&1 | head -n 1)"
fi
# tcpsend writes 1 MiB at a time, so the kernel builds segments of 64 KB;
# -e reads the echo back and compares every byte with what it sent.
if timeout 60 "$TOOLS/tcpsend" -e 192.168.0.2 7 16777216 1 > "$T_DIR/tcpsend.out" 2>&1; then
  pass "echoall_hardened -K: $(cat "$T_DIR/tcpsend.out")"
else
  fail "echoall_hardened -K: tcpsend -e 16 MiB" "$(head -n 3 "$T_DIR/tcpsend.out")" "$PROG_LOG"
fi
if timeout 120 "$TOOLS/echoclient" -n 100 -s 102400 -t 100 192.168.0.2 7 \
     > "$T_DIR/clients" 2>&1; then
  pass "echoall_hardened -K: $(sed 's/^echoclient: //' "$T_DIR/clients")"
else
  fail "echoall_hardened -K: 100 clients of 100 KB" "$(head -n 3 "$T_DIR/clients")"
fi
stop_tcpdump
read_max=$(sed -nE 's/^read ([0-9]+) bytes from tunnel interface.*/\1/p' "$PROG_LOG" | sort -n | tail -n 1)
check "echoall_hardened -K: reads more than tun0's MTU at once (largest read: ${read_max:-0} bytes > 1500)" \
  "no read over 1500 bytes" test "${read_max:-0}" -gt 1500
synack=$(tcpdump -n -r "$T_DIR/offload.pcap" 'tcp[tcpflags] == (tcp-syn|tcp-ack)' 2>/dev/null | head -n 1)
check "echoall_hardened -K: its SYN+ACK says options [mss 1460,nop,wscale 7]" "tcpdump -r shows: $synack" \
  grep -qF 'options [mss 1460,nop,wscale 7], length 0' <<< "$synack"
echo_max=$(tcpdump -n -r "$T_DIR/offload.pcap" 'src host 192.168.0.2 and greater 1541' 2>/dev/null \
             | sed -nE 's/.*, length ([0-9]+)$/\1/p' | sort -n | tail -n 1)
check "echoall_hardened -K: echoes segments larger than the MTU whole (largest echo: ${echo_max:-0} bytes > 1460)" \
  "no echo over 1460 bytes" test "${echo_max:-0}" -gt 1460
sleep 0.5
left=$(ss -Htan state established state fin-wait-1 state fin-wait-2 state closing \
          state last-ack state close-wait | wc -l)
check "echoall_hardened -K: every connection closed both ways" "$left connections not closed: $(ss -Htan | grep -v TIME-WAIT | head -n 3)" \
  test "$left" = 0
if grep -q '^bad packet\|^write ' "$PROG_LOG"; then
  fail "echoall_hardened -K: no bad packet" "echoall_hardened printed: $(grep -m 3 '^bad packet\|^write ' "$PROG_LOG")"
else
  pass "echoall_hardened -K: echoall_hardened printed no bad packet and no refused write ($(grep -c '^IP ' "$PROG_LOG") segments)"
fi

# 3. --window 4M without -K: 1460-byte segments, so a window holds 2,873 of
#    them, more than tun0's default queue of 500.  tun_speed_setup gives the
#    queue room for four windows; with 500, segments were dropped there and
#    streams stalled for 20 s and more (a hole at a time, no SACK).
stop_prog
start_prog echoall_hardened --window 4M || finish
qlen=$(ip link show tun0 | grep -o 'qlen [0-9]*' | cut -d' ' -f2)
want=$(( 4 * 4194304 / 1460 ))
check "echoall_hardened --window 4M: tun0's queue holds four windows of 1460-byte segments (qlen ${qlen:-?}, want $want)" \
  "ip link show tun0 says qlen ${qlen:-?}" test "${qlen:-0}" -ge "$want"
d0=$(tun_drops)
if timeout 60 "$TOOLS/tcpsend" -e 192.168.0.2 7 67108864 4 > "$T_DIR/tcpsend.out" 2>&1; then
  pass "echoall_hardened --window 4M: $(cat "$T_DIR/tcpsend.out")"
else
  fail "echoall_hardened --window 4M: tcpsend -e 64 MiB over 4 streams" "$(head -n 4 "$T_DIR/tcpsend.out"); tun0's queue ${qlen:-?} packets" "$PROG_LOG"
fi
info "tun0 dropped $(( $(tun_drops) - d0 )) packets meanwhile"

finish
