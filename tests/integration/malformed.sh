#!/usr/bin/env bash
# Nothing that comes off the wire may crash a program: a bounded burst of
# odd IPv4 packets (tests/tools/rawsend.cc: truncated TCP, doff 0/4/15,
# odd lengths, UDP, unknown protocols, fragments, IP options through a raw
# socket; bad ihl, bad tot_len, bad checksums, short headers through a
# packet socket) sent to 192.168.0.2 through tun0 leaves each of the five
# programs alive, still answering ping and still doing its step.
. "$(dirname "$0")/lib.sh"
# Every step but echoall, whose malformed cases tests/integration/echoall_bounds.sh and
# the unit tests cover (it answers an unknown segment with RST, the others do not).
read -r -a steps <<< "$("$FAKETCP_ROOT"/scripts/steps | sed "s/ echoall//")"
require_root "${steps[@]/%/: malformed packets}"
enter_netns 120 "$@"

rounds=20   # 20 x 49 kinds = 980 packets a program
if [ ! -x "$TOOLS/rawsend" ] || [ ! -x "$TOOLS/holdserver" ]; then
  fail "malformed" "$TOOLS/rawsend or holdserver is not built (run make tools)"
  finish
fi
# connectmany needs a server to connect to before the burst.
spawn "$T_DIR/holdserver.out" "$TOOLS/holdserver" -w 1 2007
wait_for 15 grep -q 'listening on port 2007' "$T_DIR/holdserver.out" \
  || fail "malformed: holdserver" "did not start" "$T_DIR/holdserver.out"

# still_working PROG: the step's own behaviour after the burst.
still_working() {
  case $1 in
    rejectall)
      timeout 5 nc -n -z -v -w 3 192.168.0.5 2000 2>&1 | grep -q 'Connection refused' ;;
    acceptall|discardall)
      timeout 5 nc -n -z -w 3 192.168.0.5 2000 ;;
    connectmany)
      [ "$(ss -Htn state established '( sport = :2007 )' | wc -l)" -eq 10 ] ;;
    *) true ;;
  esac
}

for prog in "${steps[@]}"; do
  name="$prog: malformed packets"
  if [ "$prog" = connectmany ]; then
    start_prog connectmany 192.168.0.1 2007 10 || continue
    wait_for 10 grep -q '^established 10 of 10 ' "$PROG_LOG"
  else
    start_prog "$prog" || continue
  fi
  timeout 30 "$TOOLS/rawsend" -n "$rounds" tun0 192.168.0.2 >"$T_DIR/rawsend.out" 2>&1
  rc=$?
  sent=$(grep -oE 'sent [0-9]+ packets' "$T_DIR/rawsend.out")
  if [ "$rc" -ne 0 ]; then
    fail "$name" "rawsend failed (exit $rc)" "$T_DIR/rawsend.out"
  elif not_running "$PROG_PID"; then
    fail "$name" "$prog died after rawsend $sent" "$PROG_LOG"
  elif grep -qE 'AddressSanitizer|runtime error' "$PROG_LOG"; then
    fail "$name" "the sanitizer found an error" "$PROG_LOG"
  elif ! timeout 5 ping -n -c 1 -W 2 192.168.0.2 >"$T_DIR/ping.out" 2>&1; then
    fail "$name" "alive after rawsend $sent, but ping 192.168.0.2 is not answered" "$PROG_LOG"
  elif ! still_working "$prog"; then
    fail "$name" "alive and answering ping, but its TCP behaviour changed" "$PROG_LOG"
  else
    # It noticed: one "bad packet: why" line per packet it refused.
    bad=$(count '^bad packet: ' "$PROG_LOG")
    kinds=$(grep -E '^bad packet: ' "$PROG_LOG" | sort -u | wc -l)
    # ip_check's own reasons too, printed by the main loop (rawsend's
    # "ihl 0" and "bad checksum" kinds), not only those of the ICMP or TCP code.
    missing=
    for why in 'IP header length (ihl) below 5' 'bad IP header checksum'; do
      grep -qF "bad packet: $why" "$PROG_LOG" || missing="$missing '$why'"
    done
    if [ -n "$missing" ]; then
      fail "$name" "no 'bad packet' line for$missing: does the main loop print what ip_check refuses?" "$PROG_LOG"
    elif [ "$bad" -gt 0 ]; then
      pass "$name: alive after rawsend $sent, answers ping, still does its step; $bad 'bad packet' lines ($kinds reasons)"
    else
      fail "$name" "no 'bad packet' line: did the burst reach it?" "$PROG_LOG"
    fi
  fi
  stop_prog
done
finish
