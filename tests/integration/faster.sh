#!/usr/bin/env bash
# discardall_fast's --mss, --window, --mtu, -K and --ack-burst against the real
# kernel, beside the article's discardall (docs/faster.md):
# 1 MiB through nc to each of
#   discardall                             the article: segments of 536 bytes, win 5000
#   discardall_fast --mss 1460 --window 256K    segments of 1460 bytes
#   discardall_fast --mtu 9000 --window 512K    segments of 8960 bytes, no offload
#   discardall_fast -K                          reads larger than tun0's MTU (1500)
#   discardall_fast --mss 1460 --window 128K --ack-burst
#                                          fewer ACKs than data segments (tcpdump)
# and in each, the stream arrives complete: the kernel's bytes_acked (ss -ti)
# is every byte sent, and the data segments the program printed cover every
# byte, in order, with no gap.
. "$(dirname "$0")/lib.sh"
require_root faster
require_tools faster nc tcpdump ss
require_built faster "$FAKETCP_BIN/discardall" "$FAKETCP_BIN/discardall_fast" "$FAKETCP_BIN/tests/bin/tcpsend"
enter_netns 90 "$@"

total=1048576
peer=192.168.0.2:9

# The console's data segments of the connection, as "seq length" lines, seq
# relative to the client's ISN (its SYN's seq), in the order they came.
segments() {
  awk '/^IP 192\.168\.0\.1\.[0-9]+ > 192\.168\.0\.2\.9: Flags / {
         seq = $0; sub(/.*, seq /, "", seq); sub(/,.*/, "", seq)
         len = $0; sub(/.*length /, "", len)
         if ($0 ~ /Flags \[S\]/) isn = seq
         else if (len > 0) printf "%.0f %d\n", (seq - isn + 4294967296) % 4294967296, len }' "$PROG_LOG"
}
# How many of the bytes 1..total the segments cover, from the first on,
# before the first gap (a segment starting past what came before it).
covered() {
  segments | awk 'BEGIN { end = 1 } { if ($1 > end) exit; if ($1 + $2 > end) end = $1 + $2 } END { print end - 1 }'
}
largest_segment() { segments | awk '$2 > m { m = $2 } END { print m + 0 }'; }
largest_read() { sed -nE 's/^read ([0-9]+) bytes from tunnel interface.*/\1/p' "$PROG_LOG" | sort -n | tail -n 1; }
acked() { ss -Htni dst "$peer" | grep -oE 'bytes_acked:[0-9]+' | head -n 1 | cut -d: -f2; }
drained() {
  [ "$(tcp_state "$peer") $(send_q "$peer")" = "ESTAB 0" ] && [ "$(acked)" = $(( total + 1 )) ]
}

# one NAME SYNACK_OPTIONS LARGEST_SEGMENT ARGS...: 1 MiB through the program
# NAME begins with (discardall or discardall_fast), given ARGS.
# SYNACK_OPTIONS is what tcpdump prints between the SYN+ACK's "win W, " and
# "length 0" (empty: no options); LARGEST_SEGMENT an extended regex.  With
# CAPTURE=FILE, tcpdump -i tun0 runs beside it, writing FILE, until the
# connection is closed.
one() {
  local name=$1 synack=$2 largest=$3
  shift 3
  start_prog "${name%% *}" --pcap "$T_DIR/$name.pcap" "$@" || return
  # -s 96: headers only, and -B 32768 (KiB): a buffer that holds a burst,
  # so that tcpdump keeps up (with neither it dropped 2 packets in 3 here).
  [ -n "${CAPTURE:-}" ] && start_tcpdump "$CAPTURE" -s 96 -B 32768
  open_client 192.168.0.2 9
  if ! wait_for 15 is_estab "$peer"; then
    fail "$name: nc 192.168.0.2 9 is established" "ss -tn shows '$(ss -Htn dst "$peer")'" "$CLIENT_LOG"
    close_client
    stop_prog
    return
  fi
  if ! timeout 20 head -c "$total" /dev/urandom >&"$CLIENT_FD"; then
    fail "$name: write 1 MiB" "nc did not take $total bytes within 20 s" "$PROG_LOG"
  fi
  if wait_for 20 drained; then
    pass "$name: every byte sent is acknowledged (ss -ti: bytes_acked:$(acked), $total bytes and the SYN)"
  else
    fail "$name: every byte acknowledged" "ss -tn: '$(ss -Htn dst "$peer")', bytes_acked:$(acked)" "$PROG_LOG"
  fi
  local got
  got=$(covered)
  check "$name: the data segments it read cover all $total bytes in order, no gap" \
    "they cover bytes 1..$got only" test "$got" = "$total"
  local seg
  seg=$(largest_segment)
  check "$name: its largest data segment is $seg bytes" "expected $largest" \
    grep -qxE "$largest" <<< "$seg"
  local line
  line=$(tcpdump -n -r "$T_DIR/$name.pcap" 'tcp[tcpflags] == (tcp-syn|tcp-ack)' 2>/dev/null | head -n 1)
  check "$name: tcpdump shows its SYN+ACK as '...${synack:+, options [$synack]}, length 0'" \
    "tcpdump -r shows: $line" grep -qE "win [0-9]+${synack:+, options \\[$synack\\]}, length 0\$" <<< "$line"
  close_client
  check "$name: closing nc gets our FIN back (nc exits)" "nc still running" \
    wait_for 15 not_running "$CLIENT_PID"
  [ -n "${CAPTURE:-}" ] && stop_tcpdump
  rm -f "$T_DIR/client-192.168.0.2-9"  # the fifo, for the next one
}

one "discardall" "" "536" || finish
check "discardall: the article's SYN+ACK says win 5000" "missing" \
  grep -qE 'Flags \[S\.\], seq 123456, ack [0-9]+, win 5000, length 0$' \
  <(tcpdump -n -r "$T_DIR/discardall.pcap" 2>/dev/null)
stop_prog

one "discardall_fast --mss 1460 --window 256K" "mss 1460,nop,wscale 3" "1460" --mss 1460 --window 256K
# 256 KiB >> 3 = 32768: what every ACK after the SYN+ACK says
check "discardall_fast --mss 1460 --window 256K: its ACKs say win 32768 (x 8 = 256 KiB)" "missing" \
  grep -qE '192\.168\.0\.2\.9 > 192\.168\.0\.1\.[0-9]+: Flags \[\.\], ack [0-9]+, win 32768, length 0$' \
  <(tcpdump -n -r "$T_DIR/discardall_fast --mss 1460 --window 256K.pcap" 2>/dev/null)
stop_prog

# --ack-burst: one ACK for the segments that wait in tun0's queue, so
# tcpdump on tun0 shows fewer of our ACKs than the sender's data segments.
name="discardall_fast --mss 1460 --window 128K --ack-burst"
CAPTURE=$T_DIR/ackburst-tun0.pcap one "$name" "mss 1460,nop,wscale 2" "1460" \
  --mss 1460 --window 128K --ack-burst
tcpdump -n -r "$T_DIR/ackburst-tun0.pcap" 2>/dev/null > "$T_DIR/ackburst-tun0.txt"
data=$(count '^[0-9:.]+ IP 192\.168\.0\.1\.[0-9]+ > 192\.168\.0\.2\.9: Flags \[P?\.\], seq .*length [1-9]' "$T_DIR/ackburst-tun0.txt")
acks=$(count '^[0-9:.]+ IP 192\.168\.0\.2\.9 > 192\.168\.0\.1\.[0-9]+: Flags \[\.\], ack .*length 0$' "$T_DIR/ackburst-tun0.txt")
dropped=$(sed -nE 's/^([0-9]+) packets? dropped by kernel.*/\1/p' "$T_DIR/tcpdump.err")
if [ "$data" -gt 0 ] && [ "$acks" -gt 0 ] && [ "$acks" -lt "$data" ]; then
  pass "$name: tcpdump -i tun0 shows $acks ACKs from 192.168.0.2 for $data data segments from the sender (tcpdump dropped ${dropped:-0})"
else
  fail "$name: fewer ACKs than data segments" "tcpdump -i tun0 shows $acks ACKs for $data data segments" \
    "$T_DIR/ackburst-tun0.txt"
fi
stop_prog

# --mtu 9000: tun0's MTU (ip link show tun0), and segments of 8960 bytes.
one "discardall_fast --mtu 9000 --window 512K" "mss 8960,nop,wscale 4" "8960" --mtu 9000 --window 512K
check "discardall_fast --mtu 9000: ip link show tun0 says mtu 9000" "it says: $(ip -o link show tun0 | grep -o 'mtu [0-9]*')" \
  sh -c 'ip -o link show tun0 | grep -q "mtu 9000 "'
stop_prog

# -K: segments larger than the MTU, so one read() takes many segments' worth.
one "discardall_fast -K" "mss 1460,nop,wscale 7" "[0-9]{4,5}" -K
read_max=$(largest_read)
check "discardall_fast -K: reads more than tun0's MTU at once (largest read: ${read_max:-0} bytes > 1500)" \
  "no read over 1500 bytes" test "${read_max:-0}" -gt 1500
check "discardall_fast -K: ping 192.168.0.2 still answered" "no reply" timeout 5 ping -n -c 1 -W 2 192.168.0.2
# nc writes 16 KiB at a time, and each write leaves as one segment; a
# sender with more queued lets the kernel build segments of up to 64 KB.
if timeout 30 "$FAKETCP_BIN/tests/bin/tcpsend" 192.168.0.2 19 16777216 1 > "$T_DIR/tcpsend.out" 2>&1; then
  pass "discardall_fast -K: tests/bin/tcpsend 192.168.0.2 19 16777216 1 gets its FIN back after 16 MiB"
else
  fail "discardall_fast -K: tcpsend 16 MiB" "$(cat "$T_DIR/tcpsend.out")" "$PROG_LOG"
fi
read_max=$(largest_read)
check "discardall_fast -K: with 1 MiB writes the kernel hands over more than 32 KB at once (largest read: ${read_max:-0} bytes)" \
  "not one read over 32768 bytes" test "${read_max:-0}" -gt 32768
stop_prog

# The options' own checks: a wrong value is refused with the reason, exit 2.
bad() {
  local out rc
  out=$("$FAKETCP_BIN/discardall_fast" "$@" 2>&1 >/dev/null)
  rc=$?
  check "discardall_fast $*: refused with exit 2, saying why" "exit $rc: $(head -n 1 <<< "$out")" \
    test "$rc" = 2 -a -n "$(grep -F -- "$1 $2" <<< "$out")"
}
bad --mss 10
bad --mss 1460x
bad --window 0
bad --window 2G
bad --mtu 67
bad --mtu 65536
check "discardall_fast -h: describes --mss, --window, -K and --ack-burst" "missing" \
  sh -c "'$FAKETCP_BIN/discardall_fast' -h | grep -q -- '--window BYTES' && '$FAKETCP_BIN/discardall_fast' -h | grep -q -- '-K ' && '$FAKETCP_BIN/discardall_fast' -h | grep -q -- '--ack-burst '"
finish
