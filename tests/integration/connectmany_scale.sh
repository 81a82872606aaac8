#!/usr/bin/env bash
# connectmany at scale, in a private network namespace (root):
#   70,000 connections, more than one source address holds (64,512 ports
#   each: 192.168.0.2 gives 64,512, 192.168.0.3 the other 5,488), counted
#   exactly by the server's kernel (ss), one at a time and with -w 64;
#   and -x's exit status when every handshake is refused.
set -u
cd "$(dirname "$0")/../.."
BIN=${FAKETCP_BIN:-.}
N=70000
SECOND=$(( N - 64512 ))   # connections from 192.168.0.3
tests=("connectmany_scale default" "connectmany_scale -w 64" "connectmany_scale -x refused")

skip_all() {
  for t in "${tests[@]}"; do echo "SKIP $t: $1"; done
  exit 0
}
[ "$(id -u)" = 0 ] || skip_all "needs root (sudo make test)"
[ -c /dev/net/tun ] || skip_all "needs /dev/net/tun"
if [ ! -x "$BIN/connectmany" ] || [ ! -x "$BIN/tests/bin/holdserver" ]; then
  for t in "${tests[@]}"; do echo "FAIL $t: $BIN/connectmany or $BIN/tests/bin/holdserver not built (make test builds them)"; done
  exit 1
fi
if [ "${FAKETCP_SCALE_INNER:-}" != 1 ]; then
  # Everything below runs in a namespace of its own, bounded in time.
  FAKETCP_SCALE_INNER=1 timeout 300 unshare -n "$0" "$@"
  rc=$?
  [ $rc -eq 124 ] && echo "FAIL connectmany_scale: timed out after 300 s"
  exit $rc
fi

ip link set lo up
# A full accept queue drops SYNs (see docs/bench.md); the server keeps up,
# but make sure a slow moment of a shared machine cannot fail the count.
sysctl -qw net.core.somaxconn=65536 net.ipv4.tcp_max_syn_backlog=65536

tmp=$(mktemp -d /tmp/faketcp-scale.XXXXXX)
hs="" cm=""
cleanup() {
  [ -n "$cm" ] && kill "$cm" 2>/dev/null
  [ -n "$hs" ] && kill "$hs" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

failed=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

established() { ss -Htn state established "( sport = :2007 $1)" | wc -l; }

start_server() {
  # 8 workers: 70,000 fds would not fit under a 20,000 fd limit in fewer than 4.
  "$BIN/tests/bin/holdserver" -r -w 8 2007 > "$tmp/server" 2>&1 &
  hs=$!
  for _ in $(seq 100); do grep -q listening "$tmp/server" && return 0; sleep 0.05; done
  return 1
}

stop_server() {
  kill "$hs" 2>/dev/null; wait "$hs" 2>/dev/null; hs=""
  for _ in $(seq 100); do   # -r resets every connection; wait until they are gone
    [ "$(established "")" -eq 0 ] && return
    sleep 0.1
  done
}

# check NAME SUMMARY-FILE: the client's summary line and the server's count.
check() {
  local name=$1 out=$2 all second
  if ! grep -q "^established $N of $N connections in " "$out"; then
    fail "$name" "connectmany said '$(grep -m1 '^established' "$out" || tail -n 1 "$out")', expected 'established $N of $N ...'"
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

# 1. The article's loop, one handshake at a time; it goes on serving after,
#    as the article's program does, so we wait for its summary line.
if start_server; then
  "$BIN/connectmany" -q 192.168.0.1 2007 $N < /dev/null > "$tmp/cm1" 2>&1 &
  cm=$!
  for _ in $(seq 1200); do
    grep -q '^established' "$tmp/cm1" && break
    kill -0 "$cm" 2>/dev/null || break
    sleep 0.1
  done
  sleep 0.3   # the server's kernel has every ACK once write() returned; be generous
  check "${tests[0]}" "$tmp/cm1"
  kill "$cm" 2>/dev/null; wait "$cm" 2>/dev/null; cm=""
  stop_server
else
  fail "${tests[0]}" "holdserver did not start: $(cat "$tmp/server")"
fi

# 2. 64 handshakes in flight, and -x: exit 0 when all completed.
if start_server; then
  timeout 120 "$BIN/connectmany" -q -x -w 64 192.168.0.1 2007 $N < /dev/null > "$tmp/cm2" 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then
    fail "${tests[1]}" "connectmany -x exited $rc, expected 0: $(tail -n 2 "$tmp/cm2" | tr '\n' ' ')"
  else
    check "${tests[1]}" "$tmp/cm2"
  fi
  stop_server
else
  fail "${tests[1]}" "holdserver did not start: $(cat "$tmp/server")"
fi

# 3. Nothing listens on 2009: every SYN gets a RST, and -x exits 1.
timeout 30 "$BIN/connectmany" -q -x -w 8 192.168.0.1 2009 100 < /dev/null > "$tmp/cm3" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q '^established 0 of 100 connections' "$tmp/cm3"; then
  pass "${tests[2]}"
else
  fail "${tests[2]}" "exit $rc and '$(grep -m1 '^established' "$tmp/cm3")', expected exit 1 and 'established 0 of 100'"
fi

exit $failed
