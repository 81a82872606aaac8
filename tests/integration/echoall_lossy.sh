#!/usr/bin/env bash
# tests/integration/echoall_lossy.sh: echoall and echoall_hardened when the
# kernel's peer loses an echo just before the close (issue 26), in a private
# network namespace of its own.
#
#   printf 'lost...\n' | nc -N 192.168.0.2 7     a line, then the client's FIN
#   iptables -I INPUT -i tun0 -p tcp --tcp-flags FIN FIN \
#     -m statistic --mode nth --every 1000000 --packet 0 -j DROP
#                                   the first of our segments that carries a
#                                   FIN (our echo of the client's FIN) is lost
#   ... --tcp-flags PSH PSH ...     the same for our echo of the line: the
#                                   FIN's echo then comes before the data it follows
#
# The rule lives in this namespace alone and matches what comes in from tun0,
# i.e. what the program wrote.  The client's kernel sends again what is not
# acknowledged; the program must echo it again, FIN included, or the client
# waits for our FIN until it gives up.  Each close must complete, every byte
# come back, and the rule must have dropped exactly one segment.
set -u
. "$(dirname "$0")/lib.sh"
require_root echoall_lossy
require_tools echoall_lossy nc cmp ss timeout iptables
require_built echoall_lossy "$FAKETCP_BIN/echoall" "$FAKETCP_BIN/echoall_hardened"
enter_netns 200 "$@"

if ! iptables -L INPUT -n > /dev/null 2>&1; then
  echo "SKIP echoall_lossy: iptables does not work in this namespace: $(iptables -L INPUT -n 2>&1 | head -n 1)"
  exit 0
fi
printf 'lost, then sent again\n' > "$T_DIR/lost"

for prog in echoall echoall_hardened; do
  start_prog "$prog" || finish
  for what in FIN PSH; do
    rule=(INPUT -i tun0 -p tcp --tcp-flags "$what" "$what" -m statistic --mode nth --every 1000000 --packet 0 -j DROP)
    iptables -I "${rule[@]}"
    fins0=$(grep -cE '^IP 192\.168\.0\.1\.[0-9]+ > 192\.168\.0\.2\.7: Flags \[F' "$PROG_LOG")
    timeout 30 nc -N 192.168.0.2 7 < "$T_DIR/lost" > "$T_DIR/lost.back" 2> "$T_DIR/nc.err"
    rc=$?
    dropped=$(iptables -L INPUT -v -n -x | awk '$3 == "DROP" { print $1; exit }')
    iptables -D "${rule[@]}"
    fins=$(( $(grep -cE '^IP 192\.168\.0\.1\.[0-9]+ > 192\.168\.0\.2\.7: Flags \[F' "$PROG_LOG") - fins0 ))
    [ "$what" = FIN ] && lost="our echo of the FIN" || lost="our echo of the data"
    if [ "$rc" = 0 ] && cmp -s "$T_DIR/lost" "$T_DIR/lost.back" && [ "${dropped:-0}" = 1 ]; then
      pass "$prog: $lost lost (iptables dropped $dropped segment), the client sent again (its FIN came $fins times) and closed cleanly, every byte back"
    else
      fail "$prog: $lost lost" "nc exited $rc ($( [ "$rc" = 124 ] && echo 'still waiting for our FIN after 30 s' || head -c 100 "$T_DIR/nc.err")), $(stat -c %s "$T_DIR/lost.back") bytes back, iptables dropped ${dropped:-?}" "$PROG_LOG"
    fi
  done
  sleep 0.5
  left=$(ss -Htan state established state fin-wait-1 state fin-wait-2 state closing \
            state last-ack state close-wait | wc -l)
  check "$prog: after the lost echoes, every connection closed both ways" \
    "$left connections not closed: $(ss -Htan | grep -v TIME-WAIT | head -n 3)" test "$left" = 0
  stop_prog
done

finish
