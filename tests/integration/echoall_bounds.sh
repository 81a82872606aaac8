#!/usr/bin/env bash
# tests/integration/echoall_bounds.sh: echoall_hardened's connection table
# and its two bounds against the real kernel's TCP, in a private network
# namespace.  (echoall's own -c, a SYN refused when full: echoall.sh.)
#
#   ./echoall_hardened -c 2 -t 2    at most 2 connections; idle 2 s is too long
#   three nc clients                the third resets the longest-idle of the two
#   a fourth, 3 s later             every connection idle since is reset
#
# Each reset is a RST the client's kernel takes: its nc sees "Connection reset
# by peer" and exits, and ss no longer shows the connection.
set -u
. "$(dirname "$0")/lib.sh"
require_root echoall_bounds
require_tools echoall_bounds nc ss timeout
require_built echoall_bounds "$FAKETCP_BIN/echoall_hardened"
enter_netns 60 "$@"

start_prog echoall_hardened -c 2 -t 2 || finish

# open NAME PORT: an nc client to 192.168.0.2:PORT held open; its fd, pid and
# log in NAME_FD, NAME_PID, NAME_LOG.
open() {
  open_client 192.168.0.2 "$2"
  printf -v "$1_FD" %s "$CLIENT_FD"
  printf -v "$1_PID" %s "$CLIENT_PID"
  printf -v "$1_LOG" %s "$CLIENT_LOG"
  wait_for 15 is_estab "192.168.0.2:$2"
}
# say NAME PORT TEXT: TEXT goes through NAME's connection and must come back.
say() {
  local fd=${1}_FD log=${1}_LOG
  echo "$3" >&"${!fd}"
  wait_for 15 grep -qx "$3" "${!log}"
}
gone() { ! kill -0 "$1" 2>/dev/null && [ -z "$(tcp_state "192.168.0.2:$2")" ]; }

# 1. The table holds two; the third connection resets the longest idle.
open A 2001 && say A 2001 a1 && open B 2002 && say B 2002 b1 || fail "echoall_bounds: two clients" "A or B not echoed" "$PROG_LOG"
sleep 0.3
say A 2001 a2 || fail "echoall_bounds: A again" "a2 not echoed" "$PROG_LOG"  # A is busy, B idles
open C 2003 && say C 2003 c1 || fail "echoall_bounds: a third client" "C not echoed" "$PROG_LOG"
if wait_for 15 gone "$B_PID" 2002 && say A 2001 a3 &&
   grep -qE '^reset 192\.168\.0\.2\.2002 > 192\.168\.0\.1\.[0-9]+: table full, longest idle' "$PROG_LOG"; then
  pass "echoall_bounds: with -c 2, the third connection resets the longest idle (B: $(grep -m1 -o 'Connection reset by peer' "$B_LOG" || echo "nc exited")); A and C still echo"
else
  fail "echoall_bounds: a full table" "B is $(tcp_state 192.168.0.2:2002 || true), nc $(kill -0 "$B_PID" 2>/dev/null && echo running || echo exited)" "$PROG_LOG"
fi

# 2. Idle 2 s is too long: the next connection resets A and C.
sleep 3
open D 2004 && say D 2004 d1 || fail "echoall_bounds: a fourth client" "D not echoed" "$PROG_LOG"
if wait_for 15 gone "$A_PID" 2001 && wait_for 15 gone "$C_PID" 2003 &&
   [ "$(grep -cE '^reset 192\.168\.0\.2\.200[13] > .*: idle timeout, idle [0-9]+ ms' "$PROG_LOG")" = 2 ]; then
  pass "echoall_bounds: with -t 2, the connection made after 3 s of silence resets both idle ones; D echoes"
else
  fail "echoall_bounds: idle timeout" "A is '$(tcp_state 192.168.0.2:2001 || true)', C is '$(tcp_state 192.168.0.2:2003 || true)'" "$PROG_LOG"
fi
grep '^reset ' "$PROG_LOG" | sed 's/^/    /'
finish
