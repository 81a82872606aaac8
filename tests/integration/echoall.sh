#!/usr/bin/env bash
# tests/integration/echoall.sh: step 6 against the real kernel's TCP, in a
# private network namespace of its own.
#
#   nc 192.168.0.2 2007             the lines typed come back
#   nc -N 192.168.0.2 7 < 1 MB      the same 1 MB comes back (cmp)
#   ... | { wait for win 0; cat; }  4 MB to a reader that pauses: window 0 and back
#   echoclient -n 100 -s 102400     100 clients at once, 100 KB each, all equal
#   ss -tan afterwards              every connection closed both ways
#   echoall -c 2                    a third connection is refused (RST) with a
#                                   "table full" line; one closed makes room
#
# The figures (bytes compared, seconds, the kernel's retransmissions) are
# printed, never asserted: timings on a shared machine are noise.
# A lost echo: echoall_lossy.sh.  echoall_hardened has its own:
# echoall_hardened.sh, echoall_bounds.sh, echoall_flood.sh.
set -u
. "$(dirname "$0")/lib.sh"
require_root echoall
require_tools echoall nc cmp ss timeout
require_built echoall "$FAKETCP_BIN/echoall" "$TOOLS/echoclient" "$TOOLS/tcpsend"
# Each client has its own timeout; this one bounds the whole test, echoall too.
enter_netns 240 "$@"

info() { echo "    $1"; }
plan 8   # PASS or FAIL lines in a full run (lib.sh: check-lab counts every check)
start_prog echoall || finish

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
retrans() { nstat -az TcpRetransSegs 2>/dev/null | awk '$1 == "TcpRetransSegs" { print $2 }'; }
tun_drops() { ip -s link show tun0 | awk '/TX:/ { getline; print $4 }'; }

# 1. nc, a line at a time.
printf 'hello\nworld\n' > "$T_DIR/lines"
if timeout 10 nc -N 192.168.0.2 2007 < "$T_DIR/lines" > "$T_DIR/lines.back" 2> "$T_DIR/nc.err" \
   && cmp -s "$T_DIR/lines" "$T_DIR/lines.back"; then
  pass "echoall: nc 192.168.0.2 2007 echoes every line typed"
else
  fail "echoall: nc 192.168.0.2 2007" "gave back '$(head -c 80 "$T_DIR/lines.back")' $(head -c 200 "$T_DIR/nc.err")"
fi

# 2. 1 MB of random bytes through nc, compared with cmp.
head -c 1048576 /dev/urandom > "$T_DIR/mb"
start=$(now)
timeout 60 nc -N 192.168.0.2 7 < "$T_DIR/mb" > "$T_DIR/mb.back" 2> "$T_DIR/nc.err"
rc=$?
end=$(now)
size=$(stat -c %s "$T_DIR/mb.back")
if [ "$rc" = 0 ] && cmp -s "$T_DIR/mb" "$T_DIR/mb.back"; then
  pass "echoall: 1 MB through nc -N 192.168.0.2 7 comes back equal (cmp: $size bytes, $(seconds "$start" "$end") s)"
else
  fail "echoall: 1 MB through nc" "nc exited $rc, $size bytes back, $(cmp "$T_DIR/mb" "$T_DIR/mb.back" 2>&1 | head -n 1)"
fi

# 3. A client that stops reading: its receive queue fills with the echo, its
#    window falls to 0, so does ours (the mirror), and the client's kernel
#    waits and probes instead of sending.  Nothing may be lost.  The client
#    is echoclient -p: it keeps writing while it reads nothing, so the echo
#    keeps coming until its window is 0.  (nc made this a race: nc blocks in
#    write() to its full stdout pipe and then stops sending too, and a window
#    could stay at a few KB for good: 2272 bytes in one captured run.)  The
#    receive buffer is capped at 64 KiB for this test (tcp_rmem, which
#    belongs to this namespace alone; the kernel would otherwise grow it to
#    6 MiB); the client resumes reading (SIGUSR1) once echoall has printed a
#    segment with "win 0".
rmem=$(sysctl -n net.ipv4.tcp_rmem | tr -s '\t ' '  ')
if netns_sysctl "echoall: a client that pauses reading" "net.ipv4.tcp_rmem=4096 65536 65536"; then
  r0=$(retrans) z0=$(grep -c 'win 0,' "$PROG_LOG")
  zero_window_seen() { [ "$(grep -c 'win 0,' "$PROG_LOG")" -gt "$z0" ]; }
  start=$(now)
  "$TOOLS/echoclient" -p -s 4194304 -t 90 192.168.0.2 7 > "$T_DIR/paused.out" 2>&1 &
  client=$!
  wait_for 30 zero_window_seen
  zero_in_pause=$(( $(grep -c 'win 0,' "$PROG_LOG") - z0 ))
  kill -USR1 "$client" 2>/dev/null
  wait "$client"
  rc=$?
  end=$(now)
  sysctl -q -w "net.ipv4.tcp_rmem=$rmem"
  r1=$(retrans)
  if [ "$zero_in_pause" -eq 0 ]; then
    fail "echoall: a client that pauses reading" "no segment with win 0 within 30 s of writing without reading" "$PROG_LOG"
  elif [ "$rc" != 0 ]; then
    fail "echoall: a client that pauses reading" "echoclient -p exited $rc: $(cat "$T_DIR/paused.out")"
  else
    pass "echoall: a client that pauses reading: its window falls to 0 (win 0 in $zero_in_pause of its segments), then its 4 MB come back equal ($(cat "$T_DIR/paused.out"))"
    [ -n "$r0" ] && [ -n "$r1" ] && info "the kernel retransmitted $((r1 - r0)) segments meanwhile ($(seconds "$start" "$end") s)"
  fi
fi

# 4. 100 clients at once, 100 KB each, each stream different.
r0=$(retrans) d0=$(tun_drops)
if timeout 120 "$TOOLS/echoclient" -n 100 -s 102400 -t 100 192.168.0.2 7 \
     > "$T_DIR/clients" 2>&1; then
  pass "echoall: $(sed 's/^echoclient: //' "$T_DIR/clients")"
else
  fail "echoall: 100 clients of 100 KB" "$(head -n 3 "$T_DIR/clients")"
fi
r1=$(retrans) d1=$(tun_drops)
if [ -n "$r0" ] && [ -n "$r1" ]; then
  info "the kernel retransmitted $((r1 - r0)) segments, tun0 dropped $((d1 - d0)) packets"
  info "that echoall did not read in time: each was sent again by the kernel, not by echoall"
fi

# 5. Every connection was closed both ways: no ESTAB, FIN-WAIT, CLOSING or
#    LAST-ACK left, only the TIME-WAIT of the side that closed first.
sleep 0.5
left=$(ss -Htan state established state fin-wait-1 state fin-wait-2 state closing \
          state last-ack state close-wait | wc -l)
if [ "$left" = 0 ]; then
  pass "echoall: every connection closed both ways ($(ss -Htan state time-wait | wc -l) in TIME-WAIT)"
else
  fail "echoall: every connection closed both ways" "$left connections not closed: $(ss -Htan | grep -v TIME-WAIT | head -n 3)"
fi

# 6. The program saw nothing it had to call bad.
if grep -q '^bad packet\|^write ' "$PROG_LOG"; then
  fail "echoall: no bad packet" "echoall printed: $(grep -m 3 '^bad packet\|^write ' "$PROG_LOG")"
else
  pass "echoall: echoall printed no bad packet and no refused write ($(grep -c '^IP ' "$PROG_LOG") segments)"
fi

# 7. The bound: with -c 2, two connections held open fill the table, and a
#    third SYN gets RST+ACK (its connect() fails: "Connection refused") and
#    one line saying so.  Once one of the two closes, its entry is freed
#    and a new connection is echoed.
stop_prog
start_prog echoall -c 2 || finish
say() { (echo "$2" >&"$1") 2>/dev/null; }  # a subshell: if nc has gone, SIGPIPE ends it, not the script
open_client 192.168.0.2 2001
A_FD=$CLIENT_FD A_LOG=$CLIENT_LOG
open_client 192.168.0.2 2002
B_FD=$CLIENT_FD B_LOG=$CLIENT_LOG B_PID=$CLIENT_PID
say "$A_FD" a1
say "$B_FD" b1
if wait_for 15 grep -qx a1 "$A_LOG" && wait_for 15 grep -qx b1 "$B_LOG"; then
  timeout 10 nc -v -N 192.168.0.2 2003 < /dev/null > "$T_DIR/third.out" 2>&1
  rc=$?
  line=$(grep -m 1 -E '^table full \(2 connections\): reset 192\.168\.0\.2\.2003 > 192\.168\.0\.1\.[0-9]+$' "$PROG_LOG")
  if [ "$rc" != 0 ] && grep -q 'refused' "$T_DIR/third.out" && [ -n "$line" ]; then
    pass "echoall -c 2: a third connection is refused with RST ($(head -n 1 "$T_DIR/third.out")), and echoall says: $line"
  else
    fail "echoall -c 2: a third connection" "nc exited $rc: '$(head -c 200 "$T_DIR/third.out")'; no 'table full (2 connections): reset ...2003 > ...' line" "$PROG_LOG"
  fi
else
  fail "echoall -c 2: two connections" "a1 or b1 not echoed" "$PROG_LOG"
fi
# B closes (B: A's nc holds no copy of B's end of its fifo, which B's nc
# holds of A's), and the FIN exchange frees its entry.
exec {B_FD}>&-
if wait_for 15 not_running "$B_PID" &&
   [ "$(echo c1 | timeout 10 nc -N 192.168.0.2 2003 2>&1)" = c1 ]; then
  pass "echoall -c 2: once a connection closed, a new one is echoed"
else
  fail "echoall -c 2: room after a close" "no echo on 2003 after B closed" "$PROG_LOG"
fi
exec {A_FD}>&-

finish
