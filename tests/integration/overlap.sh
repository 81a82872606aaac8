#!/usr/bin/env bash
# tests/integration/overlap.sh: a step refuses a network that another
# interface already uses (the student's LAN, say), naming that interface's
# address and the way out (-a, scripts/netns), and takes one that is free.
# The "LAN" is an address on lo, in a private namespace of the test's own.
#
#   ip addr add 10.1.2.3/24 dev lo; icmpecho -a 10.1.0.1/16   refused: our /16 holds the LAN
#   ip addr add 10.1.2.3/24 dev lo; icmpecho -a 10.1.2.1/28   refused: the LAN holds our /28
#   ip addr add 10.1.2.3/24 dev lo; icmpecho -a 10.9.0.1/24   runs
set -u
. "$(dirname "$0")/lib.sh"
require_root overlap
require_built overlap "$FAKETCP_BIN/icmpecho"
enter_netns 40 "$@"

ip addr add 10.1.2.3/24 dev lo

# refused NAME ADDR: icmpecho -a ADDR exits non-zero within 5 s, names
# 10.1.2.3 and the fix, and allocates nothing.
refused() {
  local name=$1 addr=$2
  timeout 5 "$FAKETCP_BIN/icmpecho" -a "$addr" </dev/null >"$T_DIR/out" 2>"$T_DIR/err"
  local rc=$?
  if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
    fail "$name" "icmpecho -a $addr exited $rc (124: still running after 5 s)" "$T_DIR/out"
  elif ! grep -q 'already has 10.1.2.3' "$T_DIR/err"; then
    fail "$name" "stderr does not name lo's 10.1.2.3" "$T_DIR/err"
  elif ! grep -q -- '-a 10.0.0.1/24' "$T_DIR/err" || ! grep -q 'scripts/netns' "$T_DIR/err"; then
    fail "$name" "stderr does not give the way out (-a, scripts/netns)" "$T_DIR/err"
  else
    pass "$name"
  fi
}

refused "overlap: -a 10.1.0.1/16 is refused, its /16 holds lo's 10.1.2.3/24" 10.1.0.1/16
refused "overlap: -a 10.1.2.1/28 is refused, lo's 10.1.2.3/24 holds it" 10.1.2.1/28

if start_prog icmpecho -a 10.9.0.1/24; then
  pass "overlap: -a 10.9.0.1/24, a network no interface uses, is taken"
fi
finish
