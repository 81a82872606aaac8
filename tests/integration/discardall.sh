#!/usr/bin/env bash
# Step 4 against the real kernel: every data segment is acknowledged, so
# after 100 KB written the sender's Send-Q drains to 0.
. "$(dirname "$0")/lib.sh"
require_root discardall
enter_netns 60 "$@"

plan 9   # PASS or FAIL lines in a full run (lib.sh: check-lab counts every check)
start_prog discardall --pcap "$T_DIR/discardall.pcap" || finish
check "discardall: prints 'allocated tunnel interface tun0'" "first line is: $(head -n 1 "$PROG_LOG")" \
  grep -qx 'allocated tunnel interface tun0' "$PROG_LOG"

peer=192.168.0.2:2000
open_client 192.168.0.2 2000
if ! wait_for 15 is_estab "$peer"; then
  fail "discardall: nc 192.168.0.2 2000 is established" "ss -tn shows '$(ss -Htn dst "$peer")'" "$CLIENT_LOG"
  finish
fi
pass "discardall: nc 192.168.0.2 2000 connects (ss -tn: ESTAB)"
check "discardall: console shows the handshake" "no SYN or no ACK line" handshake_seen 192.168.0.2 2000

# 100 KB: more than our window (5000) and more than one send buffer's first
# size, so it drains only if segment after segment is acknowledged.  The
# write is bounded: if nothing were acked it would block, not hang the test.
if ! timeout 10 head -c 102400 /dev/urandom >&"$CLIENT_FD"; then
  fail "discardall: write 100 KB" "nc did not take 102400 bytes within 10 s" "$PROG_LOG"
fi
# ss -ti counts the bytes acknowledged, the SYN as one: 102401 when done.
acked() { ss -Htni dst "$peer" | grep -oE 'bytes_acked:[0-9]+' | head -n 1 | cut -d: -f2; }
drained() {
  local n
  n=$(acked)
  [ "$(tcp_state "$peer") $(send_q "$peer")" = "ESTAB 0" ] && [ "${n:-0}" -ge 102401 ]
}
if wait_for 10 drained; then
  pass "discardall: after 100 KB written, Send-Q drains to 0 (ss -ti: bytes_acked:$(acked))"
else
  fail "discardall: Send-Q drains to 0" "ss -tn: '$(ss -Htn dst "$peer")', bytes_acked:$(acked)" "$PROG_LOG"
fi
# The console: the data segments add up to at least 100 KB (more if the
# kernel retransmitted some).
sum=$(grep -E '^IP 192\.168\.0\.1\.[0-9]+ > 192\.168\.0\.2\.2000: Flags ' "$PROG_LOG" \
      | sed -E 's/.*length ([0-9]+)$/\1/' | awk '{ s += $1 } END { print s + 0 }')
check "discardall: console shows the data segments, $sum bytes in all (>= 102400)" "only $sum bytes" \
  test "$sum" -ge 102400
acks=$(tcpdump -n -r "$T_DIR/discardall.pcap" 'src host 192.168.0.2 and tcp[tcpflags] == tcp-ack' 2>/dev/null | grep -c .)
check "discardall: --pcap shows our bare ACKs ($acks)" "none" test "$acks" -gt 0

close_client
check "discardall: closing nc gets our FIN back (nc exits)" "nc still running: '$(ss -Htn dst "$peer")'" \
  wait_for 15 not_running "$CLIENT_PID"
check "discardall: console shows the client's FIN (Flags [F.])" "missing" \
  grep -qE '^IP 192\.168\.0\.1\.[0-9]+ > 192\.168\.0\.2\.2000: Flags \[F\.\], ' "$PROG_LOG"
check "discardall: ping 192.168.0.2 still answered" "no reply" timeout 5 ping -n -c 1 -W 2 192.168.0.2
finish
