#!/usr/bin/env bash
# Step 3 against the real kernel: every connection is established and stays
# open, data written is never acknowledged so it stays in Send-Q, and a FIN
# from the client gets our FIN+ACK back.
. "$(dirname "$0")/lib.sh"
require_root acceptall
enter_netns 60 "$@"

plan 10   # PASS or FAIL lines in a full run (lib.sh: check-lab counts every check)
start_prog acceptall --pcap "$T_DIR/acceptall.pcap" || finish
check "acceptall: prints 'allocated tunnel interface tun0'" "first line is: $(head -n 1 "$PROG_LOG")" \
  grep -qx 'allocated tunnel interface tun0' "$PROG_LOG"

# Connection A: opened, kept open, written to.
peer=192.168.0.2:2000
open_client 192.168.0.2 2000
if ! wait_for 15 is_estab "$peer"; then
  fail "acceptall: nc 192.168.0.2 2000 is established" "ss -tn shows '$(ss -Htn dst "$peer")'" "$CLIENT_LOG"
  finish
fi
sleep 1   # does it stay?
if is_estab "$peer" && ! not_running "$CLIENT_PID"; then
  pass "acceptall: nc 192.168.0.2 2000 connects and stays open (ss -tn: ESTAB)"
else
  fail "acceptall: nc 192.168.0.2 2000 stays open" "after 1 s: '$(ss -Htn dst "$peer")'" "$CLIENT_LOG"
fi
check "acceptall: console shows the handshake: the client's SYN, then its ACK of our 123456" \
  "no SYN or no ACK line" handshake_seen 192.168.0.2 2000

printf 'hello faketcp\n' >&"$CLIENT_FD"   # 14 bytes
wait_for 15 test "$(send_q "$peer")" = 14
sleep 1   # nothing acknowledges them: they must still be there
q=$(send_q "$peer")
if [ "$q" = 14 ] && is_estab "$peer"; then
  pass "acceptall: 14 bytes written stay in Send-Q (ss -tn: Send-Q 14 after 1 s)"
else
  fail "acceptall: data stays in Send-Q" "ss -tn: '$(ss -Htn dst "$peer")'"
fi
check "acceptall: console shows the data segment (Flags [P.], length 14)" "missing" \
  grep -qE '^IP 192\.168\.0\.1\.[0-9]+ > 192\.168\.0\.2\.2000: Flags \[P\.\], seq [0-9]+, ack 123457, win [0-9]+, length 14$' "$PROG_LOG"

# Connection B: opened and closed at once.  (A's FIN would wait behind its
# unacknowledged data, so a second connection shows the close cleanly.)
peer=192.168.0.3:3000
open_client 192.168.0.3 3000
wait_for 15 is_estab "$peer" || fail "acceptall: nc 192.168.0.3 3000 is established" "$(ss -Htn dst "$peer")"
sport=$(ss -Htn dst "$peer" | awk 'NR == 1 { n = split($4, a, ":"); print a[n] }')
close_client
if wait_for 15 not_running "$CLIENT_PID"; then
  pass "acceptall: closing nc 192.168.0.3 3000 ends the connection (nc exits: our FIN arrived)"
else
  fail "acceptall: closing nc 192.168.0.3 3000" "nc still running, ss -tn: '$(ss -Htn dst "$peer")'"
fi
check "acceptall: console shows the client's FIN (Flags [F.])" "no FIN line from port $sport" \
  grep -qE "^IP 192\.168\.0\.1\.$sport > 192\.168\.0\.3\.3000: Flags \[F\.\], " "$PROG_LOG"
tcpdump -n -S -r "$T_DIR/acceptall.pcap" "tcp port $sport" >"$T_DIR/fin.txt" 2>/dev/null
check "acceptall: --pcap shows our FIN+ACK (192.168.0.3.3000 > .$sport: Flags [F.], seq 123457)" \
  "not in the capture" \
  grep -qE "IP 192\.168\.0\.3\.3000 > 192\.168\.0\.1\.$sport: Flags \[F\.\], seq 123457, ack [0-9]+," "$T_DIR/fin.txt"

# A is still there, its data still unacknowledged.
check "acceptall: the first connection is still ESTAB with Send-Q 14" "ss -tn: '$(ss -Htn dst 192.168.0.2:2000)'" \
  test "$(tcp_state 192.168.0.2:2000) $(send_q 192.168.0.2:2000)" = "ESTAB 14"
check "acceptall: ping 192.168.0.2 still answered" "no reply" timeout 5 ping -n -c 1 -W 2 192.168.0.2
finish
