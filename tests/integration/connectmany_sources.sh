#!/usr/bin/env bash
# tests/integration/connectmany_sources.sh: connectmany's sources are
# dest+1, dest+2, ... (64512 connections an address), and each must be a host
# of the tunnel's network: not its network or broadcast address, not our own.
# COUNTs that would need one are refused before any tunnel is made (exit 2,
# naming the addresses needed and the way out).  With -a 10.0.0.1/29 (hosts
# .1 to .6, broadcast .7):
#
#   connectmany -a 10.0.0.1/29 10.0.0.5 2007 64513   needs .6 and .7 (broadcast): refused
#   connectmany -a 10.0.0.1/29 10.0.0.6 2007 1       needs .7 (broadcast): refused
#   connectmany -a 10.0.0.1/29 10.0.0.0 2007 1       needs .1, our own address: refused
#   connectmany -a 10.0.0.1/29 10.0.0.4 2007 64513   needs .5 and .6: accepted (then tun0 is made)
#
# connectmany_window has its own copy of the check: the same cases run it too.
set -u
. "$(dirname "$0")/lib.sh"
require_tools connectmany_sources timeout
# As root, in a private namespace: were a check missing, connectmany would go
# on to make tun0, and it must make it there.
if [ "$(id -u)" = 0 ]; then
  enter_netns 60 "$@"
else
  make_scratch
fi

# refused PROG DEST COUNT WHY: exits 2 within 5 s, saying how many addresses it needs.
refused() {
  local prog=$FAKETCP_BIN/$1 name="connectmany_sources: $1 -a 10.0.0.1/29 $2 2007 $3 is refused ($4)"
  timeout 5 "$prog" -a 10.0.0.1/29 "$2" 2007 "$3" </dev/null >"$T_DIR/out" 2>"$T_DIR/err"
  local rc=$?
  if [ "$rc" -ne 2 ]; then
    fail "$name" "exit $rc, expected 2" "$T_DIR/out"
  elif ! grep -q "addresses inside 10.0.0.1/29" "$T_DIR/err"; then
    fail "$name" "stderr does not say how many addresses inside 10.0.0.1/29 it needs" "$T_DIR/err"
  elif ! grep -q 'choose a larger network with -a' "$T_DIR/err"; then
    fail "$name" "stderr gives no way out (-a)" "$T_DIR/err"
  else
    pass "$name"
  fi
}

for name in connectmany connectmany_window; do
  if [ ! -x "$FAKETCP_BIN/$name" ]; then
    fail "connectmany_sources: $name" "$FAKETCP_BIN/$name is not built (run make)"
    continue
  fi
  refused $name 10.0.0.5 64513 "its sources .6 and .7, the broadcast address"
  refused $name 10.0.0.6 1 "its source .7, the broadcast address"
  refused $name 10.0.0.0 1 "its source .1, our own address"

  # The largest that fits goes past the check: it makes its tunnel (as root),
  # or says why it cannot (as a user), never the check's message.  (No
  # server: every SYN is refused; connectmany_window -x then exits,
  # connectmany keeps serving until timeout ends it; 5 s at most.)
  args=(-a 10.0.0.1/29 10.0.0.4 2007 64513)
  [ $name = connectmany_window ] && args=(-q -x "${args[@]}")
  timeout 5 "$FAKETCP_BIN/$name" "${args[@]}" </dev/null >/dev/null 2>"$T_DIR/err"
  if grep -q 'addresses inside' "$T_DIR/err"; then
    fail "connectmany_sources: $name -a 10.0.0.1/29 10.0.0.4 2007 64513 (.5 and .6) is accepted" "refused" "$T_DIR/err"
  else
    pass "connectmany_sources: $name -a 10.0.0.1/29 10.0.0.4 2007 64513 (.5 and .6) is accepted"
  fi
done
finish
