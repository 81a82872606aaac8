#!/usr/bin/env bash
# tests/integration/rootfree.sh: the steps run with no root at all, through
# scripts/netns (unshare -rn), as the user nobody.
#
# Root is needed only to set the stage the way a stock Debian or Ubuntu
# desktop is: there /dev/net/tun is mode 0666, here it is 0600.  So, in a
# private mount namespace (unshare -m, invisible to the rest of the machine),
# a tmpfs goes over /dev/net and gets its own /dev/net/tun, mode 0666; then
# setpriv drops to nobody, who has no capability left, and runs the steps.
set -u
. "$(dirname "$0")/lib.sh"
require_root rootfree
require_own_netns rootfree
# CI's Debian 13 job runs the tests in a chroot (.ci/debian13), where the
# kernel refuses every user namespace (unshare(2): EPERM, "the caller is in a
# chroot environment"), and this whole test is about user namespaces.
if [ "${FAKETCP_IN_CHROOT:-}" = 1 ] && ! unshare -U true 2>/dev/null; then
  echo "SKIP rootfree: user namespaces are refused in a chroot ($(unshare -U true 2>&1 | head -n 1))"
  exit 0
fi
require_tools rootfree unshare setpriv mknod ping nc
require_built rootfree "$FAKETCP_BIN/icmpecho" "$FAKETCP_BIN/rejectall"
# No enter_netns: the steps go into namespaces of nobody's own, and the last
# check looks at the host's devices.  Every command below has its timeout.
cd "$FAKETCP_ROOT" || exit 1   # for scripts/netns and scripts/demo

# The repository may sit where nobody cannot read (/work is root's): copy
# what nobody runs into a directory of its own, removed at the end.
make_scratch
work=$T_DIR
chmod 755 "$work"
mkdir "$work/scripts"
cp "$FAKETCP_BIN/icmpecho" "$FAKETCP_BIN/rejectall" "$work/"
cp scripts/netns "$work/scripts/"
install -d -o 65534 -g 65534 "$work/out"   # where nobody writes what the step printed
# nobody's runtime files (scripts/netns's records, the demo's tmux server)
# in this test's own directory, not /tmp: another run of the suite at the
# same time has its own.
install -d -o 65534 -g 65534 -m 700 "$work/run"
export XDG_RUNTIME_DIR=$work/run TMUX_TMPDIR=$work/run
host_tun_before=$(stat -c '%a %t:%T' /dev/net/tun)
host_links_before=$(ip -o link show | cut -d: -f2 | sort | tr -d ' \n')

# as_nobody CMD...: CMD as uid 65534 with no supplementary groups and, since
# the uid is no longer 0, no capabilities.
as_nobody()
{
  (cd "$work" && setpriv --reuid=65534 --regid=65534 --clear-groups "$@")
}

# stage CMD...: CMD in a private mount namespace where /dev/net/tun is 0666.
stage()
{
  unshare -m --propagation private bash -c '
    mount -t tmpfs -o mode=755,size=64k faketcp-devnet /dev/net &&
    mknod -m 666 /dev/net/tun c 10 200 &&
    exec "$@"' stage "$@"
}

# 1. nobody really is unprivileged out here.
caps=$(as_nobody sh -c 'echo "$(id -u) $(sed -n "s/^CapEff:\t//p" /proc/self/status)"')
if [ "$caps" = "65534 0000000000000000" ]; then
  pass "rootfree: setpriv gives uid 65534 with CapEff 0 (no CAP_NET_ADMIN outside)"
else
  fail "rootfree: setpriv" "expected uid 65534 with CapEff 0, got '$caps'"
fi

# 2. With the host's own /dev/net/tun, if nobody may not open it, the step
#    says so and names the fix, instead of failing silently.
if [ $(( 8#$(stat -c %a /dev/net/tun) & 6 )) -ne 6 ]; then
  out=$(as_nobody timeout 20 scripts/netns ./icmpecho 2>&1)
  rc=$?
  if [ "$rc" = 1 ] && [[ $out == *"open /dev/net/tun: Permission denied (run as root"* ]]; then
    pass "rootfree: icmpecho as nobody with /dev/net/tun 0600 exits 1 naming the fix"
  else
    fail "rootfree: icmpecho as nobody with a 0600 tun" "exit $rc: $out"
  fi
fi

# 3. Step 1 root-free: three pings answered.  Everything inside is bounded by
#    its own timeout, so nothing outlives the test even if it hangs.
step_script='
  echo "uid_map: $(cat /proc/self/uid_map | tr -s " " | sed "s/^ //")"
  timeout 20 ./icmpecho > out/icmpecho.out 2>&1 &
  step=$!
  for i in $(seq 50); do [ -n "$(ip route show dev tun0 2>/dev/null)" ] && break; sleep 0.1; done
  ping -n -c 3 -i 0.2 -W 2 192.168.0.2
  kill $step 2>/dev/null; wait $step 2>/dev/null
  echo "--- icmpecho printed:"; cat out/icmpecho.out'
out=$(stage setpriv --reuid=65534 --regid=65534 --clear-groups \
        bash -c "cd '$work' && timeout 40 scripts/netns bash -c '$step_script'" 2>&1)
echo "$out" | sed 's/^/    /'
requests=$(grep -c 'ICMP echo request' <<< "$out")
# scripts/netns maps nobody to itself (--map-current-user) or, with an older
# unshare, to root (-rn): either way a user namespace of one uid, 65534 outside.
if [[ $out =~ "uid_map: "(0|65534)" 65534 1" ]] && [[ $out == *"3 packets transmitted, 3 received"* ]] \
   && [ "$requests" = 3 ]; then
  pass "rootfree: icmpecho through scripts/netns as nobody answers 3 of 3 pings to 192.168.0.2"
else
  fail "rootfree: icmpecho as nobody" "expected a uid_map of 65534 alone, 3 received and 3 requests printed (got $requests)"
fi

# 4. A TCP step root-free: rejectall refuses a connection.
tcp_script='
  timeout 20 ./rejectall > /dev/null 2>&1 &
  step=$!
  for i in $(seq 50); do [ -n "$(ip route show dev tun0 2>/dev/null)" ] && break; sleep 0.1; done
  nc -vz -w 3 192.168.0.2 2000 2>&1
  kill $step 2>/dev/null; wait $step 2>/dev/null'
out=$(stage setpriv --reuid=65534 --regid=65534 --clear-groups \
        bash -c "cd '$work' && timeout 40 scripts/netns bash -c '$tcp_script'" 2>&1)
if [[ $out == *"192.168.0.2 port 2000"*"Connection refused"* ]]; then
  pass "rootfree: rejectall through scripts/netns as nobody: nc 192.168.0.2 2000 is refused"
else
  fail "rootfree: rejectall as nobody" "expected 'Connection refused', got: $out"
fi

# 5. make demo, root-free, where another part of the tree provides it.
if [ -x scripts/demo ]; then
  cp -r scripts docs "$work/" && mkdir -p "$work/tests" && cp -r "$TOOLS" "$work/tests/" 2>/dev/null
  for prog in $("$FAKETCP_ROOT"/scripts/steps --all); do
    [ -x "$FAKETCP_BIN/$prog" ] && cp "$FAKETCP_BIN/$prog" "$work/"
  done
  chmod -R a+rX "$work"
  out=$(stage setpriv --reuid=65534 --regid=65534 --clear-groups \
          bash -c "cd '$work' && FAKETCP_BIN=. timeout 90 scripts/demo icmpecho < /dev/null" 2>&1)
  rc=$?
  if [ "$rc" = 0 ]; then
    pass "rootfree: scripts/demo icmpecho as nobody exits 0"
  else
    fail "rootfree: scripts/demo icmpecho as nobody" "exit $rc: $(tail -n 3 <<< "$out")"
  fi
else
  echo "# rootfree: scripts/demo is not in this tree; the demo part did not run"
fi

# 6. All of it left the host alone.
host_links_after=$(ip -o link show | cut -d: -f2 | sort | tr -d ' \n')
if [ "$(stat -c '%a %t:%T' /dev/net/tun)" = "$host_tun_before" ] && [ "$host_links_after" = "$host_links_before" ]; then
  pass "rootfree: the host's /dev/net/tun is unchanged ($host_tun_before) and so are its devices"
else
  fail "rootfree: the host" "changed: /dev/net/tun $(stat -c '%a %t:%T' /dev/net/tun), was $host_tun_before; devices $host_links_after, were $host_links_before"
fi

finish
