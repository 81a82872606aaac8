#!/usr/bin/env bash
# The lecture demo (scripts/demo, make demo STEP=...):
#   - scripted, for each step: it runs the client commands of docs/STEP.md by
#     itself, they give the article's results, and it ends by itself; without
#     a terminal it prints what each pane showed, each line prefixed
#     [STEP], [tcpdump], [client] (and [holdserver]);
#   - 'make demo STEP=icmpecho' (step mode) on a 100x30 terminal (a tmux pane of the test, so the demo
#     also runs inside an existing tmux): each command waits for Enter,
#     Ctrl-C stops a running command, Ctrl-C in the program's pane ends it all;
#   - interactive connectmany: Enter in the program's pane connects, 'exit'
#     in the client's shell ends it all.
# After each end, no process of the demo and no namespace is left (counted by
# PID and network namespace from outside).  The demo makes its own namespaces.
. "$(dirname "$0")/lib.sh"
read -r -a steps <<< "$("$FAKETCP_ROOT"/scripts/steps)"
require_root "${steps[@]/#/demo }" "demo: step mode" "demo: interactive"
require_tools demo tmux tcpdump ping nc ss
make_scratch
export TMUX_TMPDIR=$T_DIR XDG_RUNTIME_DIR=$T_DIR   # tmux -L faketcp of our own
IN_PLACE=$("$FAKETCP_ROOT/scripts/in-place")   # a container: the demo runs in its namespace

# expect STEP REGEX...: every extended REGEX matches a line of the output.
expect() {
  local step=$1 out=$T_DIR/$1.out re missing=
  shift
  for re in "$@"; do grep -qE -- "$re" "$out" || missing+=" /$re/"; done
  # A container's /proc/sys is read-only: there the demo cannot turn IPv6 off
  # (docker run --sysctl net.ipv6.conf.all.disable_ipv6=1 can).
  if [ -w /proc/sys/net/ipv6/conf/all/disable_ipv6 ] || [ "$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null)" = 1 ]; then
    grep -qE '^\[(tcpdump)\] IP6 |IPv6 packet ignored' "$out" && missing+=" (an IPv6 packet showed: IPv6 should be off)"
  fi
  if [ -n "$missing" ]; then
    fail "demo $step: scripted" "no line matches$missing" "$out"
  else
    pass "demo $step: scripted, ends by itself, shows the article's results and no IPv6"
  fi
}

peer='192\.168\.0\.[0-9]+'
for step in "${steps[@]}"; do
  out=$T_DIR/$step.out
  if [ "$step" = rejectall ]; then   # once as the docs show it
    timeout -k 5 120 env -u MAKEFLAGS -u MAKELEVEL make -s -C "$FAKETCP_ROOT" demo STEP=$step MODE=scripted </dev/null >"$out" 2>&1
  else
    MODE=scripted timeout -k 5 120 "$FAKETCP_ROOT/scripts/demo" "$step" </dev/null >"$out" 2>&1
  fi
  rc=$?
  if [ "$rc" -ne 0 ]; then
    fail "demo $step: scripted" "exit $rc$( [ "$rc" -eq 124 ] && echo ' (timed out after 120 s)')" "$out"
    continue
  fi
  common=("^\[$step\] allocated tunnel interface tun0$" '^\[tcpdump\] listening on tun0'
          '^\[client\] \(faketcp demo\) \$ ' '^\[demo\] done: the namespace')
  case $step in
    icmpecho)
      expect "$step" "${common[@]}" '^\[client\] ([0-9]+) packets transmitted, \1 received' \
        "^\[tcpdump\] IP $peer > 192\.168\.0\.1: ICMP echo reply" ;;
    rejectall)   # RST+ACK, seq 0, ack the SYN's seq + 1
      expect "$step" "${common[@]}" "^\[tcpdump\] IP $peer\.[0-9]+ > 192\.168\.0\.1\.[0-9]+: Flags \[R\.\], seq 0, ack " ;;
    acceptall)   # SYN+ACK with our ISN 123456
      expect "$step" "${common[@]}" "^\[tcpdump\] IP $peer\.[0-9]+ > 192\.168\.0\.1\.[0-9]+: Flags \[S\.\], seq 123456, ack " ;;
    discardall)  # the data acknowledged
      expect "$step" "${common[@]}" "^\[tcpdump\] IP $peer\.[0-9]+ > 192\.168\.0\.1\.[0-9]+: Flags \[\.\], ack [0-9]+, win" ;;
    connectmany) # 20 by default in the demo
      expect "$step" "${common[@]}" '^\[connectmany\] established 20 of 20 connections' \
        '^\[client\] 20$' '^\[holdserver\] holding 20 connections$' ;;
    echoall)     # data coming back from the peer
      expect "$step" "${common[@]}" "^\[tcpdump\] IP $peer\.[0-9]+ > 192\.168\.0\.1\.[0-9]+: Flags \[P?\.\], seq [0-9]+:[0-9]+, ack " ;;
  esac
done

# Another address: the client commands follow it.
out=$T_DIR/address.out
timeout -k 5 120 env -u MAKEFLAGS -u MAKELEVEL make -s -C "$FAKETCP_ROOT" demo STEP=icmpecho MODE=scripted ARGS="-a 10.0.0.1/24" </dev/null >"$out" 2>&1
if grep -qE '^\[client\] \(faketcp demo\) \$ ping -c 3 10\.0\.0\.2$' "$out" &&
   grep -qE '^\[tcpdump\] IP 10\.0\.0\.2 > 10\.0\.0\.1: ICMP echo reply' "$out"; then
  pass "demo: ARGS=\"-a 10.0.0.1/24\": the client pings 10.0.0.2 and icmpecho answers"
else
  fail "demo: ARGS=-a 10.0.0.1/24" "no 'ping 10.0.0.2' answered" "$out"
fi

# Without tmux: what to do in three terminals, and a failure.
mkdir "$T_DIR/notmux"
for c in bash env dirname basename; do ln -s "$(command -v $c)" "$T_DIR/notmux/"; done
out=$(PATH=$T_DIR/notmux "$FAKETCP_ROOT/scripts/demo" icmpecho 2>&1)
rc=$? missing=
for want in "tmux is not installed" "make doctor" "scripts/netns bash" "scripts/netns --join tcpdump -t -n -i tun0"; do
  [[ $out == *"$want"* ]] || missing+=" '$want'"
done
if [ "$rc" = 1 ] && [ -z "$missing" ]; then
  pass "demo: without tmux it exits 1 with the three terminals to open by hand"
else
  fail "demo: without tmux" "exit $rc (expected 1), missing:${missing:- nothing}: $out"
fi

# ---------------------------------------------- on a terminal, driven by keys
# A terminal of 100x30: a pane of a tmux server of the test (so the demo's
# own server, tmux -L faketcp, runs inside an existing tmux, as $TMUX says).
term() { tmux -L term "$@"; }
demo() { tmux -L faketcp "$@"; }
screen() { term capture-pane -p -t term:0.0; }
on_screen() { screen | grep -qE -- "$1"; }
pane_has() { demo capture-pane -p -t "demo:0.$1" 2>/dev/null | grep -qE -- "$2"; }
# count_ns KIND NS: processes of the host in namespace NS (kind pid or net).
count_ns() { local p n=0; for p in /proc/[0-9]*; do [ "$(readlink "$p/ns/$1" 2>/dev/null)" = "$2" ] && n=$((n + 1)); done; echo "$n"; }
none_left() { [ "$(count_ns pid "$1")" = 0 ] && [ "$(count_ns net "$2")" = 0 ]; }

# start_term MAKE-ARG...: 'make demo MAKE-ARG...' in the test's terminal;
# sets PIDNS and NETNS, the demo's namespaces: those of the first process
# below the terminal's pane whose PID namespace is not ours.
start_term() {
  local pids p init=
  term -f /dev/null new-session -d -s term -x 100 -y 30 \
    env -u MAKEFLAGS -u MAKELEVEL make -s -C "$FAKETCP_ROOT" demo "$@" \; set remain-on-exit on
  wait_for 20 sh -c "tmux -L faketcp has-session 2>/dev/null"
  pids=$(term display -p -t term:0.0 '#{pane_pid}')
  while [ -z "$init" ] && [ -n "$pids" ]; do
    for p in $pids; do [ "$(readlink "/proc/$p/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] && init=$p; done
    pids=$(for p in $pids; do ps -o pid= --ppid "$p"; done)
  done
  PIDNS=$(readlink "/proc/$init/ns/pid") NETNS=$(readlink "/proc/$init/ns/net")
  PIDNS=${PIDNS:-none} NETNS=${NETNS:-none}   # (no demo: nothing to count)
  BEFORE=$(count_ns pid "$PIDNS")
}

# check_gone NAME: the demo ended, nothing of it is left.  In place (a
# container, scripts/in-place) it has no namespace to count: its tmux server
# and its panes must be gone.
check_gone() {
  if [ -n "$IN_PLACE" ]; then
    if wait_for 15 sh -c '! tmux -L faketcp has-session 2>/dev/null' && wait_for 15 on_screen '^\[demo\] done'; then
      pass "$1 ends the demo: its tmux server is gone (in place: no namespace of its own to count)"
    else
      screen >"$T_DIR/screen"; fail "$1" "the demo's tmux server is still there, or no '[demo] done'" "$T_DIR/screen"
    fi
  elif wait_for 10 none_left "$PIDNS" "$NETNS" && wait_for 15 on_screen '^\[demo\] done'; then
    pass "$1 ends the demo: $BEFORE processes in its namespace before, 0 after, no namespace left"
  else
    screen >"$T_DIR/screen"
    fail "$1" "left $(count_ns pid "$PIDNS") processes in PID namespace $PIDNS, $(count_ns net "$NETNS") in its network namespace" "$T_DIR/screen"
  fi
  term kill-server 2>/dev/null
  demo kill-server 2>/dev/null
  wait_for 15 sh -c '! tmux -L term has-session 2>/dev/null && ! tmux -L faketcp has-session 2>/dev/null'
}

# Step mode, icmpecho: nothing is sent before Enter; Enter runs the command;
# Ctrl-C in the client stops that command only; Ctrl-C in the program's pane
# ends everything.
start_term STEP=icmpecho
if wait_for 15 on_screen '^\(faketcp demo\) \$ ping -c 3 192\.168\.0\.2$' && sleep 1 &&
   ! pane_has 1 'ICMP echo request'; then
  pass "demo: step mode shows the first command of docs/icmpecho.md and waits (tcpdump has seen nothing)"
else
  screen >"$T_DIR/screen"; fail "demo: step mode" "no waiting '(faketcp demo) \$ ping -c 3 192.168.0.2' on the screen, or a ping sent before Enter" "$T_DIR/screen"
fi
term send-keys -t term:0.0 Enter   # the lecturer's Enter: the client pane has the focus
if wait_for 10 pane_has 1 "IP 192\.168\.0\.2 > 192\.168\.0\.1: ICMP echo reply"; then
  pass "demo: step mode: Enter runs it, tcpdump's pane shows the replies"
else
  screen >"$T_DIR/screen"; fail "demo: step mode: Enter" "no echo reply in tcpdump's pane" "$T_DIR/screen"
fi
term send-keys -t term:0.0 C-c
if wait_for 10 pane_has 2 '^\(faketcp demo\) \$ ping -c 1 192\.168\.0\.3$' && pane_has 2 'packets transmitted'; then
  pass "demo: step mode: Ctrl-C stops the running command, and the next one waits"
else
  screen >"$T_DIR/screen"; fail "demo: step mode: Ctrl-C in the client" "the next command did not show" "$T_DIR/screen"
fi
screen >"$T_DIR/step-screen"
[ -n "${DEMO_SCREEN:-}" ] && cp "$T_DIR/step-screen" "$DEMO_SCREEN"   # for the docs and the notes
demo send-keys -t demo:0.0 C-c   # Ctrl-C in the program's pane
check_gone "demo: step mode: Ctrl-C in the program's pane"

# Interactive connectmany: the program's pane says to press Enter there; it
# connects COUNT=5; 'exit' in the client's shell ends everything.
start_term STEP=connectmany MODE=interactive COUNT=5
if wait_for 15 pane_has 0 'Press Enter here to start connecting' && wait_for 15 pane_has 3 '^Press Enter in the program'; then
  demo send-keys -t demo:0.0 Enter
  if wait_for 20 pane_has 0 '^established 5 of 5 connections' && wait_for 10 pane_has 3 '^\(faketcp netns\) '; then
    pass "demo: interactive connectmany: 'Press Enter here' in its pane, Enter there connects COUNT=5"
  else
    screen >"$T_DIR/screen"; fail "demo: interactive connectmany" "no 'established 5 of 5'" "$T_DIR/screen"
  fi
else
  screen >"$T_DIR/screen"; fail "demo: interactive connectmany" "no 'Press Enter here' banner or no shell in the client pane" "$T_DIR/screen"
fi
demo send-keys -t demo:0.3 -l 'exit' && demo send-keys -t demo:0.3 Enter
check_gone "demo: interactive: 'exit' in the client's shell"
finish
