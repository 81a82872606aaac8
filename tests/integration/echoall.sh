#!/usr/bin/env bash
# tests/integration/echoall.sh: step 6 against the real kernel's TCP, in a
# private network namespace of its own.
#
#   nc 192.168.0.2 2007             the lines typed come back
#   nc -N 192.168.0.2 7 < 1 MB      the same 1 MB comes back (cmp)
#   ... | { wait for win 0; cat; }  4 MB to a reader that pauses: window 0 and back
#   echoclient -n 100 -s 102400     100 clients at once, 100 KB each, all equal
#   ss -tan afterwards              every connection closed both ways
#   echoall -K                      1 MB, 16 MiB and the 100 clients again, with TUN
#                                   offload: reads and echoes larger than the MTU
#   echoall --window 4M             64 MiB over 4 streams, a queue for the window
#
# The figures (bytes compared, seconds, the kernel's retransmissions) are
# printed, never asserted: timings on a shared machine are noise.
set -u
. "$(dirname "$0")/lib.sh"
require_root echoall
require_tools echoall nc cmp ss timeout
require_built echoall "$FAKETCP_BIN/echoall" "$TOOLS/echoclient" "$TOOLS/tcpsend"
# Each client has its own timeout; this one bounds the whole test, echoall too.
enter_netns 240 "$@"

info() { echo "    $1"; }
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

# 7. The same with -K (TUN offload, docs/faster.md): the kernel hands over
#    segments of up to 64 KB, echoall echoes each whole, and every byte must
#    still come back equal.  tcpdump keeps the SYNs and the first 100 bytes
#    of every echo longer than a 1500-byte MTU allows.
stop_prog
start_prog echoall -K || finish
start_tcpdump "$T_DIR/offload.pcap" -s 100 \
  'tcp[tcpflags] & tcp-syn != 0 or (src host 192.168.0.2 and greater 1541)'
timeout 60 nc -N 192.168.0.2 7 < "$T_DIR/mb" > "$T_DIR/mb.back" 2> "$T_DIR/nc.err"
rc=$?
if [ "$rc" = 0 ] && cmp -s "$T_DIR/mb" "$T_DIR/mb.back"; then
  pass "echoall -K: 1 MB through nc -N 192.168.0.2 7 comes back equal (cmp: $(stat -c %s "$T_DIR/mb.back") bytes)"
else
  fail "echoall -K: 1 MB through nc" "nc exited $rc, $(stat -c %s "$T_DIR/mb.back") bytes back, $(cmp "$T_DIR/mb" "$T_DIR/mb.back" 2>&1 | head -n 1)"
fi
# tcpsend writes 1 MiB at a time, so the kernel builds segments of 64 KB;
# -e reads the echo back and compares every byte with what it sent.
if timeout 60 "$TOOLS/tcpsend" -e 192.168.0.2 7 16777216 1 > "$T_DIR/tcpsend.out" 2>&1; then
  pass "echoall -K: $(cat "$T_DIR/tcpsend.out")"
else
  fail "echoall -K: tcpsend -e 16 MiB" "$(head -n 3 "$T_DIR/tcpsend.out")" "$PROG_LOG"
fi
if timeout 120 "$TOOLS/echoclient" -n 100 -s 102400 -t 100 192.168.0.2 7 \
     > "$T_DIR/clients" 2>&1; then
  pass "echoall -K: $(sed 's/^echoclient: //' "$T_DIR/clients")"
else
  fail "echoall -K: 100 clients of 100 KB" "$(head -n 3 "$T_DIR/clients")"
fi
stop_tcpdump
read_max=$(sed -nE 's/^read ([0-9]+) bytes from tunnel interface.*/\1/p' "$PROG_LOG" | sort -n | tail -n 1)
check "echoall -K: reads more than tun0's MTU at once (largest read: ${read_max:-0} bytes > 1500)" \
  "no read over 1500 bytes" test "${read_max:-0}" -gt 1500
synack=$(tcpdump -n -r "$T_DIR/offload.pcap" 'tcp[tcpflags] == (tcp-syn|tcp-ack)' 2>/dev/null | head -n 1)
check "echoall -K: its SYN+ACK says options [mss 1460,nop,wscale 7]" "tcpdump -r shows: $synack" \
  grep -qF 'options [mss 1460,nop,wscale 7], length 0' <<< "$synack"
echo_max=$(tcpdump -n -r "$T_DIR/offload.pcap" 'src host 192.168.0.2 and greater 1541' 2>/dev/null \
             | sed -nE 's/.*, length ([0-9]+)$/\1/p' | sort -n | tail -n 1)
check "echoall -K: echoes segments larger than the MTU whole (largest echo: ${echo_max:-0} bytes > 1460)" \
  "no echo over 1460 bytes" test "${echo_max:-0}" -gt 1460
sleep 0.5
left=$(ss -Htan state established state fin-wait-1 state fin-wait-2 state closing \
          state last-ack state close-wait | wc -l)
check "echoall -K: every connection closed both ways" "$left connections not closed: $(ss -Htan | grep -v TIME-WAIT | head -n 3)" \
  test "$left" = 0
if grep -q '^bad packet\|^write ' "$PROG_LOG"; then
  fail "echoall -K: no bad packet" "echoall printed: $(grep -m 3 '^bad packet\|^write ' "$PROG_LOG")"
else
  pass "echoall -K: echoall printed no bad packet and no refused write ($(grep -c '^IP ' "$PROG_LOG") segments)"
fi

# 8. --window 4M without -K: 1460-byte segments, so a window holds 2,873 of
#    them, more than tun0's default queue of 500.  tun_speed_setup gives the
#    queue room for four windows; with 500, segments were dropped there and
#    streams stalled for 20 s and more (a hole at a time, no SACK).
stop_prog
start_prog echoall --window 4M || finish
qlen=$(ip link show tun0 | grep -o 'qlen [0-9]*' | cut -d' ' -f2)
want=$(( 4 * 4194304 / 1460 ))
check "echoall --window 4M: tun0's queue holds four windows of 1460-byte segments (qlen ${qlen:-?}, want $want)" \
  "ip link show tun0 says qlen ${qlen:-?}" test "${qlen:-0}" -ge "$want"
d0=$(tun_drops)
if timeout 60 "$TOOLS/tcpsend" -e 192.168.0.2 7 67108864 4 > "$T_DIR/tcpsend.out" 2>&1; then
  pass "echoall --window 4M: $(cat "$T_DIR/tcpsend.out")"
else
  fail "echoall --window 4M: tcpsend -e 64 MiB over 4 streams" "$(head -n 4 "$T_DIR/tcpsend.out"); tun0's queue ${qlen:-?} packets" "$PROG_LOG"
fi
info "tun0 dropped $(( $(tun_drops) - d0 )) packets meanwhile"

finish
