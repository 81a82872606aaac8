#!/usr/bin/env bash
# Step 5 against the real kernel: connectmany 192.168.0.1 2007 N leaves
# exactly N connections ESTABLISHED at a local server (tests/bin/holdserver),
# for N = 1000 and for N = 70000, more than one source address can carry
# (64512 source ports each: 1024..65535).
#
#   tests/integration/connectmany.sh          both
#   tests/integration/connectmany.sh 1000     one N, in a namespace of its own
. "$(dirname "$0")/lib.sh"
require_root "connectmany 1000" "connectmany 70000"

# Each N gets a fresh namespace: the server's sockets from one run must not
# meet the SYNs of the next, which reuse the same addresses and ports.
if [ "${FAKETCP_IN_NETNS:-}" != 1 ] && [ $# -eq 0 ]; then
  rc=0
  for n in 1000 70000; do
    "$0" "$n" || rc=1
  done
  exit $rc
fi
enter_netns 300 "$@"
n=$1
plan 6   # PASS or FAIL lines of each N (lib.sh: check-lab counts every check)
name="connectmany 192.168.0.1 2007 $n"

# Room for many half-open and unaccepted connections; both settings belong
# to this namespace only.
netns_sysctl "$name" net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535 || finish

# The server first, so the first SYN finds it.  Each worker may hold at
# most its open-file limit (20,000 here), so 8 workers for 70000.
if [ ! -x "$TOOLS/holdserver" ]; then
  fail "$name" "$TOOLS/holdserver is not built (run make tools)"
  finish
fi
spawn "$T_DIR/holdserver.out" "$TOOLS/holdserver" -w 8 2007
SERVER_PID=$PID
wait_for 15 grep -q 'listening on port 2007' "$T_DIR/holdserver.out" \
  || { fail "$name" "holdserver did not start" "$T_DIR/holdserver.out"; finish; }

# stdin is /dev/null: "press enter" is answered by end of input at once.
start_prog connectmany 192.168.0.1 2007 "$n" || finish
check "$name: prints 'allocated tunnel interface tun0' and 'press enter key to start connecting 192.168.0.1:2007'" \
  "$(head -n 2 "$PROG_LOG" | tr '\n' '|')" \
  test "$(head -n 2 "$PROG_LOG")" = "$(printf 'allocated tunnel interface tun0\npress enter key to start connecting 192.168.0.1:2007')"

# It prints "established N of N connections in T s (R conn/s)" when done,
# then keeps serving (the server may resend a SYN+ACK).
done_re="^established [0-9]+ of $n connections in [0-9]+\.[0-9]{3} s \([0-9]+ conn/s\)$"
if ! wait_for 240 grep -qE "$done_re" "$PROG_LOG"; then
  fail "$name" "no 'established ... of $n connections' line within 240 s" "$PROG_LOG"
  finish
fi
summary=$(grep -E "$done_re" "$PROG_LOG")
check "$name: prints '$summary'" "expected 'established $n of $n ...'" \
  grep -qE "^established $n of $n connections in " "$PROG_LOG"
check "$name: keeps serving after connecting" "exited" kill -0 "$PROG_PID"

# What the kernel holds: the server's side of every connection.  Wait
# until holdserver has accepted them all, then count.
wait_for 15 grep -qx "holding $n connections" "$T_DIR/holdserver.out"
estab=$(ss -Htn state established '( sport = :2007 )' | wc -l)
check "$name: ss counts exactly $n ESTABLISHED on port 2007 ($estab)" \
  "ss counts $estab; holdserver says: $(tail -n 1 "$T_DIR/holdserver.out")" test "$estab" -eq "$n"
check "$name: holdserver holds $n connections" "$(tail -n 1 "$T_DIR/holdserver.out")" \
  grep -qx "holding $n connections" "$T_DIR/holdserver.out"

# Source addresses: 192.168.0.2 first, the next one after 64512 ports.
want=$(( (n - 1) / 64512 + 1 ))
peers=$(ss -Htn state established '( sport = :2007 )' | awk '{ split($4, a, ":"); print a[1] }' | sort -u | paste -sd ' ')
check "$name: from $want source address(es): $peers" "from $peers" \
  test "$(wc -w <<<"$peers")" -eq "$want"

stop "$PROG_PID"
stop "$SERVER_PID"
finish
