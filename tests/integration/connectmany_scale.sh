#!/usr/bin/env bash
# connectmany_window at scale, in a private network namespace (root):
#   70,000 connections, more than one source address holds (64,512 ports
#   each: 192.168.0.2 gives 64,512, 192.168.0.3 the other 5,488), counted
#   exactly by the server's kernel (ss), one at a time (-q) and with -w 64;
#   and -x's exit status when every handshake is refused.  (The step itself,
#   connectmany, makes 70,000 in tests/integration/connectmany.sh.)
set -u
. "$(dirname "$0")/lib.sh"
N=70000
SECOND=$(( N - 64512 ))   # connections from 192.168.0.3
tests=("connectmany_scale default" "connectmany_scale -w 64" "connectmany_scale -x refused")

require_root "${tests[@]}"
require_built connectmany_scale "$FAKETCP_BIN/connectmany_window" "$TOOLS/holdserver"
# Everything below runs in a namespace of its own, bounded in time.
enter_netns 300 "$@"

# A full accept queue drops SYNs (see docs/bench.md); the server keeps up,
# but make sure a slow moment of a shared machine cannot fail the count.
netns_sysctl connectmany_scale net.core.somaxconn=65536 net.ipv4.tcp_max_syn_backlog=65536 || finish

established() { ss -Htn state established "( sport = :2007 $1)" | wc -l; }

start_server() {
  # 8 workers: 70,000 fds would not fit under a 20,000 fd limit in fewer than 4.
  spawn "$T_DIR/server" "$TOOLS/holdserver" -r -w 8 2007
  hs=$PID
  wait_for 15 grep -q listening "$T_DIR/server"
}

none_established() { [ "$(established "")" -eq 0 ]; }

stop_server() {
  stop "$hs"
  wait_for 10 none_established   # -r resets every connection; wait until they are gone
}

# check_count NAME SUMMARY-FILE: the client's summary line and the server's count.
check_count() {
  local name=$1 out=$2 all second
  if ! grep -q "^established $N of $N connections in " "$out"; then
    fail "$name" "connectmany_window said '$(grep -m1 '^established' "$out" || tail -n 1 "$out")', expected 'established $N of $N ...'"
    return
  fi
  all=$(established "")
  second=$(established "and dst 192.168.0.3 ")
  if [ "$all" -ne "$N" ] || [ "$second" -ne "$SECOND" ]; then
    fail "$name" "the server has $all ESTABLISHED ($second from 192.168.0.3), expected $N ($SECOND)"
    return
  fi
  pass "$name"
}

# summary_or_gone FILE PID: FILE has connectmany_window's summary line, or PID has exited.
summary_or_gone() { grep -q '^established' "$1" || not_running "$2"; }

# 1. The article's loop, one handshake at a time; it goes on serving after,
#    as the article's program does, so we wait for its summary line.
if start_server; then
  spawn "$T_DIR/cm1" "$FAKETCP_BIN/connectmany_window" -q 192.168.0.1 2007 $N
  cm=$PID
  wait_for 120 summary_or_gone "$T_DIR/cm1" "$cm"
  sleep 0.3   # the server's kernel has every ACK once write() returned; be generous
  check_count "${tests[0]}" "$T_DIR/cm1"
  stop "$cm"
  stop_server
else
  fail "${tests[0]}" "holdserver did not start: $(cat "$T_DIR/server")"
fi

# 2. 64 handshakes in flight, and -x: exit 0 when all completed.
if start_server; then
  timeout 120 "$FAKETCP_BIN/connectmany_window" -q -x -w 64 192.168.0.1 2007 $N < /dev/null > "$T_DIR/cm2" 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then
    fail "${tests[1]}" "connectmany_window -x exited $rc, expected 0: $(tail -n 2 "$T_DIR/cm2" | tr '\n' ' ')"
  else
    check_count "${tests[1]}" "$T_DIR/cm2"
  fi
  stop_server
else
  fail "${tests[1]}" "holdserver did not start: $(cat "$T_DIR/server")"
fi

# 3. Nothing listens on 2009: every SYN gets a RST, and -x exits 1.
timeout 30 "$FAKETCP_BIN/connectmany_window" -q -x -w 8 192.168.0.1 2009 100 < /dev/null > "$T_DIR/cm3" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q '^established 0 of 100 connections' "$T_DIR/cm3"; then
  pass "${tests[2]}"
else
  fail "${tests[2]}" "exit $rc and '$(grep -m1 '^established' "$T_DIR/cm3")', expected exit 1 and 'established 0 of 100'"
fi

finish
