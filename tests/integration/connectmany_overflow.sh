#!/usr/bin/env bash
# connectmany and connectmany_window against a server whose accept queue
# overflows, in a private network namespace (root).  The server's kernel
# drops a SYN while the queue is full (ListenOverflows); connectmany sends it
# again after 200 ms, then 400 ms, ... as a client's kernel does, so the
# server still gets every connection:
#
#   holdserver -l 8 -d 5 2007          listen backlog 8, 5 ms per accept()
#   connectmany 192.168.0.1 2007 200                   one at a time, SYNs resent (tcpdump)
#   connectmany_window -x -w 2 192.168.0.1 2007 200    two in flight
#   holdserver -l 511 -d 0.2 2007      backlog 511, accepting more slowly than
#   connectmany_window -q -x [-w 64] 192.168.0.1 2007 10000    SYNs arrive
#
# Every case asserts the summary, connectmany_window's exit status 0 (-x: all
# established) or connectmany still serving after it, and the server's own
# count (ss); the SYNs resent and the server's overflows are printed, never
# asserted (they depend on timing), but in case 1 tcpdump must show as many
# SYNs sent again as connectmany says.
set -u
. "$(dirname "$0")/lib.sh"
tests=("connectmany_overflow default" "connectmany_overflow -w 2"
       "connectmany_overflow 10000 default" "connectmany_overflow 10000 -w 64")
require_root "${tests[@]}"
require_tools connectmany_overflow tcpdump ss nstat
require_built connectmany_overflow "$FAKETCP_BIN/connectmany" "$FAKETCP_BIN/connectmany_window" "$TOOLS/holdserver"
enter_netns 300 "$@"
# No SYN cookies in this namespace: with them, a server whose SYN queue is
# full answers from a cookie and keeps nothing, and if its accept queue is
# full when our last ACK comes, the connection is gone on its side while
# connectmany counts it (docs/connectmany.md: the case no client can mend;
# 29 of 10,000 with -w 64 in one CI run).  Without them the kernel drops
# the SYN, and resending it is what this test is about.
netns_sysctl connectmany_overflow net.ipv4.tcp_syncookies=0 || finish

info() { echo "    $1"; }
established() { ss -Htn state established '( sport = :2007 )' | wc -l; }
cookies() { nstat -az TcpExtSyncookiesSent | awk '$1 == "TcpExtSyncookiesSent" { print $2 }'; }
overflows() { nstat -az TcpExtListenOverflows | awk '$1 == "TcpExtListenOverflows" { print $2 }'; }

# held_all N: the server holds N connections.
held_all() { [ "$(established)" = "$1" ]; }

# run NAME N SERVER-ARGS -- PROG ARGS: a fresh server, then PROG:
# connectmany_window -x ARGS, which exits when done, or connectmany ARGS,
# which goes on serving: it is stopped once it has printed its summary and
# the server holds every connection (or 20 s after).  With CAPTURE=FILE,
# tcpdump captures its SYNs and SYN+ACKs into FILE (started once PROG's tun0
# exists, before it connects).
run() {
  local name=$1 n=$2 server_args=() cm_args=() prog
  shift 2
  while [ "$1" != -- ]; do server_args+=("$1"); shift; done
  prog=$2
  shift 2
  cm_args=("$@")
  [ "$prog" = connectmany_window ] && cm_args=(-x "${cm_args[@]}")
  spawn "$T_DIR/server" "$TOOLS/holdserver" -r -w 1 "${server_args[@]}" 2007
  local hs=$PID
  wait_for 15 grep -q listening "$T_DIR/server" || { fail "$name" "holdserver did not start" "$T_DIR/server"; return; }
  local o0 rc held
  o0=$(overflows)
  # connectmany waits for Enter before connecting: it comes through a fifo.
  rm -f "$T_DIR/enter"; mkfifo "$T_DIR/enter"
  timeout 120 "$FAKETCP_BIN/$prog" "${cm_args[@]}" 192.168.0.1 2007 "$n" \
    <"$T_DIR/enter" >"$T_DIR/cm" 2>&1 &
  local cm=$!
  exec {enter}>"$T_DIR/enter"
  wait_for 15 grep -q '^press enter' "$T_DIR/cm"
  [ -n "${CAPTURE:-}" ] && start_tcpdump "$CAPTURE" 'tcp[tcpflags] & tcp-syn != 0'
  echo >&"$enter"
  exec {enter}>&-
  if [ "$prog" = connectmany ]; then
    # Its summary, then the SYN+ACKs the server sends again get their ACKs.
    rc=1
    wait_for 120 grep -q '^established' "$T_DIR/cm" && wait_for 20 held_all "$n" \
      && kill -0 "$cm" 2>/dev/null && rc=0   # 0: still serving, as it should
    kill "$cm" 2>/dev/null
  fi
  wait "$cm"
  local status=$?
  [ "$prog" = connectmany ] || rc=$status
  [ -n "${CAPTURE:-}" ] && stop_tcpdump
  held=$(established)
  local summary resent
  summary=$(grep -m1 '^established' "$T_DIR/cm")
  resent=$(grep -m1 '^resent' "$T_DIR/cm")
  if [ "$rc" = 0 ] && grep -q "^established $n of $n connections in " "$T_DIR/cm" && [ "$held" = "$n" ]; then
    pass "$name: $prog${cm_args[*]:+ ${cm_args[*]}}: '$summary', $([ "$prog" = connectmany ] && echo "still serving" || echo "exit 0"), and the server (backlog ${server_args[1]}) holds all $held"
  else
    fail "$name" "$prog${cm_args[*]:+ ${cm_args[*]}} ended with $rc, said '${summary:-nothing}', the server holds $held of $n" "$T_DIR/cm"
  fi
  info "$resent; the server's kernel counted $(( $(overflows) - o0 )) ListenOverflows, $(cookies) SYN cookies in all"
  stop "$hs"
  wait_for 10 sh -c "[ \$(ss -Htn state established '( sport = :2007 )' | wc -l) = 0 ]"
}

# 1. One at a time, captured: the SYNs the server dropped, sent again.
CAPTURE=$T_DIR/overflow.pcap run "${tests[0]}" 200 -l 8 -d 5 -- connectmany
tcpdump -n -r "$T_DIR/overflow.pcap" 2>/dev/null > "$T_DIR/overflow.txt"
# A resent SYN: the same source address and port with Flags [S] twice.
again=$(awk '$5 ~ /2007:$/ && $7 == "[S]," { n[$3]++ } END { for (k in n) if (n[k] > 1) c++; print c + 0 }' "$T_DIR/overflow.txt")
# Every SYN after a port's first is one connectmany says it resent.
extra=$(awk '$5 ~ /2007:$/ && $7 == "[S]," { if (n[$3]++) c++ } END { print c + 0 }' "$T_DIR/overflow.txt")
said=$(sed -n 's/^resent \([0-9]*\) SYNs.*/\1/p' "$T_DIR/cm")
dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$T_DIR/tcpdump.err")
check "connectmany_overflow: tcpdump captured every SYN (none dropped by the kernel)" \
  "tcpdump says '${dropped:-?} packets dropped by kernel'" test "${dropped:-x}" = 0
check "connectmany_overflow: tcpdump shows as many SYNs sent again as connectmany says it resent ($extra)" \
  "tcpdump shows $extra, connectmany says '$(grep -m1 '^resent' "$T_DIR/cm")'" test "$extra" = "${said:-x}"
if [ "$again" -gt 0 ]; then
  port=$(awk '$5 ~ /2007:$/ && $7 == "[S]," { n[$3]++; if (n[$3] == 2) { print $3; exit } }' "$T_DIR/overflow.txt")
  pass "connectmany_overflow: tcpdump shows $again connections whose SYN went out more than once"
  info "tcpdump -n -i tun0, the SYNs of $port and the server's answer:"
  grep -F " $port > " "$T_DIR/overflow.txt" | head -n 4 | sed 's/^/      /'
  grep -F "> $port:" "$T_DIR/overflow.txt" | head -n 1 | sed 's/^/      /'
else
  fail "connectmany_overflow: resent SYNs in tcpdump" "no SYN went out twice: the server never overflowed?" "$T_DIR/overflow.txt"
fi

# 2. Two in flight.
run "${tests[1]}" 200 -l 8 -d 5 -- connectmany_window -w 2

# 3. 10,000 against the backlog Debian's redis has (tcp-backlog 511), accepting
#    more slowly than the SYNs arrive.
run "${tests[2]}" 10000 -l 511 -d 0.2 -- connectmany_window -q
run "${tests[3]}" 10000 -l 511 -d 0.2 -- connectmany_window -q -w 64

finish
