#!/usr/bin/env bash
# tests/integration/netns.sh: scripts/netns as the step pages use it, typed
# into a terminal (a tmux pane, driven with send-keys, read with
# capture-pane), as root and as the user nobody:
#   - 'scripts/netns bash' has a prompt that says where you are;
#   - a step page's block typed there gives the page's result;
#   - 'scripts/netns --join' in a second terminal sees the same tun0, and
#     tcpdump runs there;
#   - after 'exit' no process started inside is left (counted by PID
#     namespace from outside);
#   - nothing of scripts/netns leaks into what it runs: a test suite (as
#     'make test' would) runs inside as outside.
set -u
. "$(dirname "$0")/lib.sh"
require_root netns
require_own_netns netns
require_tools netns unshare nsenter setpriv tmux ping tcpdump
require_built netns "$FAKETCP_BIN/icmpecho"
cd "$FAKETCP_ROOT" || exit 1
# No enter_netns: every shell below is a scripts/netns of its own, and the
# count of processes looks at the host.  Each wait is bounded.
make_scratch
chmod 755 "$T_DIR"

# procs_in NS: how many processes of the host are in PID namespace NS.
procs_in() {
  local p n=0
  for p in /proc/[0-9]*; do [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$1" ] && n=$((n + 1)); done
  echo "$n"
}

none_in() { [ "$(procs_in "$1")" = 0 ]; }

# session WHO DIR RUN...: as WHO (root or nobody), in DIR, a tmux server of
# the test's own, 100x30, whose first pane runs 'scripts/netns bash'; RUN
# wraps what starts it (the stage for nobody).  tmx drives it.
session() {
  who=$1 dir=$2
  shift 2
  export TMUX_TMPDIR=$T_DIR/tmux-$who XDG_RUNTIME_DIR=$T_DIR/run-$who
  install -d -m 700 -o "$(id -u "$who")" "$TMUX_TMPDIR" "$XDG_RUNTIME_DIR"
  "$@" bash -c "cd '$dir' && HOME=$XDG_RUNTIME_DIR exec tmux -L netns -f /dev/null new-session -d -s netns -x 100 -y 30 scripts/netns bash"
}
tmx() { as "$who" tmux -L netns "$@"; }
as() { if [ "$1" = root ]; then shift; "$@"; else shift; setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; fi; }
shows() { tmx capture-pane -p -t "$1" | grep -qE -- "$2"; }
type_in() { tmx send-keys -t "$1" -l "$2" && tmx send-keys -t "$1" Enter; }

# run_as WHO DIR RUN...: the whole scenario as WHO.
run_as() {
  local name="netns as $1" ns before after
  session "$@"
  out=$XDG_RUNTIME_DIR   # what the shells write, where WHO may write
  if ! wait_for 10 shows netns:0.0 '^\(faketcp netns\) '; then
    tmx capture-pane -p -t netns:0.0 >"$out/pane" 2>&1; fail "$name: prompt" "no '(faketcp netns)' prompt in 10 s" "$out/pane"
    tmx kill-server; return
  fi
  pass "$name: 'scripts/netns bash' has the prompt '(faketcp netns) ...'"
  type_in netns:0.0 "readlink /proc/self/ns/pid > $out/pidns-$who"
  type_in netns:0.0 './icmpecho &'
  # As a student does: ping once icmpecho has said it has tun0 (typed at
  # once, a loaded machine let ping find no route yet).
  wait_for 10 shows netns:0.0 '^allocated tunnel interface tun0'
  type_in netns:0.0 'ping -c 2 192.168.0.2'
  if wait_for 10 shows netns:0.0 '2 packets transmitted, 2 received'; then
    pass "$name: the page's block './icmpecho &', 'ping -c 2 192.168.0.2' gives 2 received"
  else
    tmx capture-pane -p -t netns:0.0 >"$out/pane"; fail "$name: ping" "no '2 received' in 10 s" "$out/pane"
  fi
  # A second terminal, 'scripts/netns --join': the same tun0, the same prompt.
  tmx new-window -d -t netns:1 scripts/netns --join
  wait_for 10 shows netns:1.0 '^\(faketcp netns\) '
  type_in netns:1.0 'ip -4 -br addr show tun0'
  if wait_for 15 shows netns:1.0 '^tun0 .*192\.168\.0\.1/24'; then
    pass "$name: 'scripts/netns --join' has the prompt and sees the first shell's tun0 at 192.168.0.1/24"
  else
    tmx capture-pane -p -t netns:1.0 >"$out/pane"; fail "$name: --join" "no tun0 at 192.168.0.1/24" "$out/pane"
  fi
  # and tcpdump there, as the article's second window.
  tmx new-window -d -t netns:2 scripts/netns --join tcpdump -n -i tun0
  wait_for 15 shows netns:2.0 'listening on tun0'
  type_in netns:0.0 'ping -c 1 192.168.0.2'
  if wait_for 10 shows netns:2.0 'IP 192\.168\.0\.2 > 192\.168\.0\.1: ICMP echo reply'; then
    pass "$name: 'scripts/netns --join tcpdump -n -i tun0' runs and shows the ping's reply"
  else
    tmx capture-pane -p -t netns:2.0 >"$out/pane"; fail "$name: tcpdump in --join" "no echo reply shown" "$out/pane"
  fi
  # exit: nothing started inside is left.
  ns=$(cat "$out/pidns-$who" 2>/dev/null)
  before=$(procs_in "$ns")
  type_in netns:0.0 'exit'
  wait_for 20 none_in "$ns"
  after=$(procs_in "$ns")
  echo "# $name: processes in the namespace ($ns) before 'exit': $before, after: $after"
  if [ -n "$ns" ] && [ "$before" -ge 2 ] && [ "$after" = 0 ]; then
    pass "$name: after 'exit' no process started inside is left ($before before, $after after)"
  else
    fail "$name: exit" "expected 2 or more processes before 'exit' and 0 after, got $before and $after (namespace '$ns')"
  fi
  tmx kill-server 2>/dev/null
}

run_as root "$FAKETCP_ROOT" env

# nobody: with a copy it can read, and /dev/net/tun 0666 in a private mount
# namespace, as on a stock desktop (tests/integration/rootfree.sh).
if unshare -m true 2>/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups unshare -U true 2>/dev/null; then
  work=$T_DIR/work
  mkdir -p "$work/scripts" && cp "$FAKETCP_BIN/icmpecho" "$work/" && cp scripts/netns "$work/scripts/"
  chmod -R a+rX "$work"
  stage() {
    unshare -m --propagation private bash -c '
      mount -t tmpfs -o mode=755,size=64k faketcp-devnet /dev/net && mknod -m 666 /dev/net/tun c 10 200 &&
      exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"' stage "$@"
  }
  run_as nobody "$work" stage
else
  echo "SKIP netns as nobody: no user namespaces for nobody here ($(setpriv --reuid=65534 --regid=65534 --clear-groups unshare -U true 2>&1 | head -n 1))"
fi

# Nothing of scripts/netns in the environment of what it runs, and a test
# suite runs inside as outside (what 'make test' inside such a shell does).
ours() { env | grep -v '^\(_\|SHLVL\|OLDPWD\)=' | sort; }
if diff <(ours) <(timeout 20 scripts/netns bash -c "$(declare -f ours); ours") >"$T_DIR/env.diff"; then
  pass "netns: CMD gets the environment scripts/netns got, nothing more"
else
  fail "netns: environment" "inside differs from outside (< outside, > inside)" "$T_DIR/env.diff"
fi
out=$(env -u FAKETCP_IN_NETNS timeout 60 scripts/netns tests/integration/icmpecho.sh 2>&1)
if [ $? = 0 ] && ! grep -q '^FAIL' <<<"$out" && grep -q '^PASS' <<<"$out"; then
  pass "netns: tests/integration/icmpecho.sh passes inside scripts/netns ($(grep -c '^PASS' <<<"$out") PASS)"
else
  echo "$out" >"$T_DIR/inside.out"; fail "netns: a test suite inside" "it failed" "$T_DIR/inside.out"
fi
finish
