# tests/integration/lib.sh - what every real-kernel test shares.  Source it:
#
#   . "$(dirname "$0")/lib.sh"
#   require_root icmpecho             # or print "SKIP icmpecho: why" and exit 0
#   require_tools icmpecho ping       # or "SKIP icmpecho: ping is not installed"
#   enter_netns 60 "$@"               # run this script again inside unshare -n, at most 60 s
#   start_prog icmpecho || finish     # start it, wait for "allocated tunnel interface"
#   check "icmpecho: ping answered" "no reply" ping -c 1 -W 2 192.168.0.2
#   finish                            # exit 1 if anything failed
#
# Every test runs in a network namespace the script makes itself (unshare -n),
# so tun0 and 192.168.0.0/24 exist only there: the host's network is never
# touched, and the namespace vanishes with the last process in it.  In a
# container that refuses 'unshare -n' and whose namespace is its own
# (scripts/in-place says when), a test runs in place, in that namespace, and
# says so in a line '# NAME: runs in place, ...'; a test that must make or
# count namespaces of its own skips there (require_own_netns).  Programs
# come from $FAKETCP_BIN (default: the repository root), test tools from
# $FAKETCP_BIN/tests/bin.  Results are lines "PASS name", "FAIL name: why",
# "SKIP name: why", as tests/run counts them.

FAKETCP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FAKETCP_BIN=${FAKETCP_BIN:-$FAKETCP_ROOT}
case $FAKETCP_BIN in /*) ;; *) FAKETCP_BIN=$FAKETCP_ROOT/$FAKETCP_BIN ;; esac
export FAKETCP_BIN
TOOLS=$FAKETCP_BIN/tests/bin

T_FAILED=0      # FAIL lines printed so far
T_CHECKS=0      # PASS and FAIL lines printed so far
T_PLAN=         # how many a full run prints (plan N)
T_PIDS=()       # processes to stop on exit
T_DIR=          # scratch directory, removed on exit

pass() { echo "PASS $1"; T_CHECKS=$((T_CHECKS + 1)); tally check; }

# tally WHAT: a line in enter_netns's tally file (see there), if there is one.
tally() { [ -n "${FAKETCP_TALLY:-}" ] && echo "$*" >>"$FAKETCP_TALLY" 2>/dev/null; return 0; }

# fail NAME REASON [LOG]: one FAIL line, then the last lines of LOG (the
# program's own output, say) indented, so the reason can be seen in place.
fail() {
  echo "FAIL $1: $2"
  T_FAILED=$((T_FAILED + 1))
  T_CHECKS=$((T_CHECKS + 1))
  tally check
  if [ -n "${3:-}" ] && [ -s "$3" ]; then
    echo "    last lines of $(basename "$3"):"
    tail -n 12 "$3" | sed 's/^/    | /'
  fi
}

# plan N: a run of this script to its end prints N PASS or FAIL lines.  A
# run that a failure ends early says how many it left out, in a line
# "NOTRUN K checks: ...", so that make check-lab counts every check of a
# step on every run; a full run that prints another number fails, so the
# plan cannot go stale.
plan() { T_PLAN=$1; tally plan "$1"; }

# check NAME REASON CMD...: PASS if CMD succeeds, else FAIL with REASON and
# what CMD printed.
check() {
  local name=$1 reason=$2
  shift 2
  if "$@" >"$T_DIR/check.out" 2>&1; then
    pass "$name"
  else
    fail "$name" "$reason" "$T_DIR/check.out"
  fi
}

finish() {
  if [ -n "$T_PLAN" ] && [ "$T_CHECKS" -lt "$T_PLAN" ] && [ "$T_FAILED" -gt 0 ]; then
    echo "NOTRUN $((T_PLAN - T_CHECKS)) checks: the failure above stopped $(basename "$0") before them"
  elif [ -n "$T_PLAN" ] && [ "$T_CHECKS" -ne "$T_PLAN" ]; then
    fail "$(basename "$0"): its plan" "it printed $T_CHECKS PASS or FAIL lines, 'plan $T_PLAN' says $T_PLAN: update plan"
  fi
  [ "$T_FAILED" -eq 0 ]
  exit $?
}

# wait_for SECONDS CMD...: runs CMD every 0.1 s until it succeeds (returns 0)
# or SECONDS have passed (returns 1).
wait_for() {
  local deadline=$(( $(date +%s%N) / 1000000 + ${1%.*} * 1000 ))
  shift
  until "$@"; do
    [ $(( $(date +%s%N) / 1000000 )) -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# require_root NAME...: these tests create tun devices, so they need root
# (CAP_NET_ADMIN) and /dev/net/tun.  Without them, print one SKIP line per
# NAME and exit 0: tests/run reports the skip, or with REQUIRE_ROOT_TESTS=1
# counts it as a failure.
require_root() {
  [ "${FAKETCP_IN_NETNS:-}" = 1 ] && return 0
  local why=
  if [ "$(id -u)" != 0 ]; then
    why="needs root to create tun devices (run: sudo make test)"
  elif [ ! -c /dev/net/tun ]; then
    why="needs /dev/net/tun (sudo modprobe tun; in a container: --device=/dev/net/tun)"
  elif ! unshare -n true 2>/dev/null && ! "$FAKETCP_ROOT/scripts/in-place" >/dev/null; then
    why="needs 'unshare -n' for a private namespace: $(unshare -n true 2>&1 | head -n 1)"
  fi
  if [ -n "$why" ]; then
    local name
    for name in "$@"; do echo "SKIP $name: $why"; done
    exit 0
  fi
}

# require_own_netns NAME...: for a test that makes namespaces itself (a user
# namespace, a PID namespace whose processes it counts): in place (above) it
# cannot, so one SKIP line per NAME, and exit 0.
require_own_netns() {
  local why name
  why=$("$FAKETCP_ROOT/scripts/in-place") || return 0
  for name in "$@"; do echo "SKIP $name: it must make namespaces of its own, and here the tests run in place (${why#runs in place, })"; done
  exit 0
}

# require_tools NAME TOOL...: the commands this test runs besides the
# programs (nc, tcpdump, setpriv...).  Without one, print "SKIP NAME: TOOL is
# not installed" and exit 0.
require_tools() {
  [ "${FAKETCP_IN_NETNS:-}" = 1 ] && return 0
  local name=$1 tool
  shift
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null; then
      echo "SKIP $name: $tool is not installed"
      exit 0
    fi
  done
}

# require_built NAME FILE...: the programs, test tools and unit test
# binaries this test runs.  A missing one is a failure, not a skip (make
# test builds them all): one FAIL line per missing FILE, then exit 1.
require_built() {
  [ "${FAKETCP_IN_NETNS:-}" = 1 ] && return 0
  local name=$1 file
  shift
  for file in "$@"; do
    [ -x "$file" ] || fail "$name" "$file is not built (run: make test)"
  done
  [ "$T_FAILED" -eq 0 ] || exit 1
}

# enter_netns SECONDS ARGS...: runs this script again inside a new network
# namespace with lo up, killed after SECONDS (then one FAIL line says so),
# and exits with its status.  Inside, it sets up the scratch directory and
# the cleanup that runs however the script ends.
enter_netns() {
  local limit=$1
  shift
  if [ "${FAKETCP_IN_NETNS:-}" != 1 ]; then
    # timeout signals its whole process group: the script and everything it
    # started get SIGTERM, then SIGKILL 5 s later.
    local netns=(unshare -n --) why
    if why=$("$FAKETCP_ROOT/scripts/in-place"); then
      echo "# $(basename "$0" .sh): $why"
      netns=() && export FAKETCP_IN_PLACE=1
    fi
    # The tally: the script's plan and a line per check it made, so that a
    # script killed before its trap could count the rest (a foreground
    # command in a group of its own, timeout 120 say, holds the trap back
    # until SIGKILL) has them counted here.
    local tally
    tally=$(mktemp /tmp/faketcp-tally.XXXXXX)
    FAKETCP_TALLY=$tally FAKETCP_IN_NETNS=1 timeout -k 5 "$limit" "${netns[@]}" bash "$0" "$@"
    local rc=$?
    # Killed by a signal of its own (SIGPIPE: a write into a fifo whose
    # reader had gone) it could count nothing either: one FAIL says so.
    local died=
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
      died="timed out after $limit s, stopped"
    elif [ "$rc" -gt 128 ] && ! grep -q '^notrun$' "$tally"; then
      died="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null) after the check above (exit $rc)"
    fi
    if [ -n "$died" ]; then
      echo "FAIL $(basename "$0" .sh): $died"
      local planned made
      planned=$(sed -n 's/^plan //p' "$tally" | tail -n 1)
      made=$(grep -c '^check$' "$tally")
      if [ -n "$planned" ] && ! grep -q '^notrun$' "$tally" && [ $((planned - made)) -gt 1 ]; then
        echo "NOTRUN $((planned - made - 1)) checks: $(basename "$0") was stopped before them"
      fi
    fi
    rm -f "$tally"
    exit "$rc"
  fi
  ip link set lo up
  make_scratch
}

# netns_sysctl NAME KEY=VALUE...: sets sysctls of the test's namespace
# (sysctl -w).  In place, in a container, /proc/sys is read-only: there, unless
# the container was started with these values (--sysctl KEY=VALUE), one SKIP
# line saying so; elsewhere a failure is a FAIL.  Returns 1 if any is not set.
netns_sysctl() {
  local name=$1 kv flags=
  shift
  sysctl -q -w "$@" 2>/dev/null && return 0
  for kv; do
    [ "$(sysctl -n "${kv%%=*}" 2>/dev/null | tr -s '\t ' '  ')" = "${kv#*=}" ] || flags+=" --sysctl ${kv// /_}"
  done
  [ -z "$flags" ] && return 0
  if [ "${FAKETCP_IN_PLACE:-}" = 1 ]; then
    echo "SKIP $name: needs sysctl -w $*, and this container's /proc/sys is read-only (start it with$flags, '_' a space)"
  else
    fail "$name" "sysctl -w $* failed: $(sysctl -w "$@" 2>&1 >/dev/null | head -n 1)"
  fi
  return 1
}

# make_scratch: the scratch directory $T_DIR, and the cleanup that runs
# however the script ends (enter_netns calls it; a test that stays in the
# host's namespace calls it itself).
make_scratch() {
  T_DIR=$(mktemp -d /tmp/faketcp-test.XXXXXX)
  trap cleanup EXIT
  trap stopped TERM INT
}

# A timeout (enter_netns) or Ctrl-C ends the script: the checks it has not
# made are counted as not run (enter_netns's FAIL line is one of them).
stopped() {
  if [ -n "$T_PLAN" ] && [ $((T_PLAN - T_CHECKS)) -gt 1 ]; then
    echo "NOTRUN $((T_PLAN - T_CHECKS - 1)) checks: $(basename "$0") was stopped before them"
  fi
  tally notrun  # counted here: enter_netns need not
  exit 143
}

# Stops every process we started (by PID) and removes the scratch directory.
cleanup() {
  local pid
  for pid in "${T_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${T_PIDS[@]}"; do
    # give each a moment to go, then insist
    wait_for 2 not_running "$pid" || kill -9 "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  [ -n "$T_DIR" ] && rm -rf "$T_DIR"
}

not_running() { ! kill -0 "$1" 2>/dev/null; }

# spawn LOG CMD...: starts CMD in the background, stdin /dev/null, output to
# LOG; sets PID and remembers it for cleanup.
spawn() {
  local log=$1
  shift
  : >"$log"   # there before we look into it, even if the child is slow to start
  "$@" </dev/null >"$log" 2>&1 &
  PID=$!
  T_PIDS+=("$PID")
}

# stop PID: SIGTERM, wait for it to go (SIGKILL after 2 s).
stop() {
  kill "$1" 2>/dev/null
  wait_for 2 not_running "$1" || kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  # Reaped: its PID may now be another process's, so cleanup must forget it.
  local keep=() pid
  for pid in "${T_PIDS[@]}"; do [ "$pid" = "$1" ] || keep+=("$pid"); done
  T_PIDS=("${keep[@]}")
  return 0
}

# start_prog PROGRAM ARGS...: starts $FAKETCP_BIN/PROGRAM in the namespace,
# output to $T_DIR/PROGRAM.out, and waits until it prints "allocated tunnel
# interface" (by then tun0 has its address and is up).  Sets PROG_PID and
# PROG_LOG.  On failure prints a FAIL line and returns 1.
start_prog() {
  local prog=$1
  shift
  PROG_LOG=$T_DIR/$prog.out
  if [ ! -x "$FAKETCP_BIN/$prog" ]; then
    fail "$prog: start" "$FAKETCP_BIN/$prog is not built (run make)"
    return 1
  fi
  spawn "$PROG_LOG" "$FAKETCP_BIN/$prog" "$@"
  PROG_PID=$PID
  if ! wait_for 15 grep -q '^allocated tunnel interface' "$PROG_LOG"; then
    if not_running "$PROG_PID"; then
      fail "$prog: start" "exited before allocating the tunnel interface" "$PROG_LOG"
    else
      fail "$prog: start" "no 'allocated tunnel interface' line within 15 s" "$PROG_LOG"
    fi
    return 1
  fi
  return 0
}

# stop_prog: stops the program start_prog started and waits until its tun
# device is gone, so the next program gets tun0 again.
stop_prog() {
  stop "$PROG_PID"
  wait_for 15 sh -c '! ip link show tun0 >/dev/null 2>&1'
}

# start_quiet LOG PROGRAM ARGS...: start_prog for a flood, whose millions of
# lines nobody reads: the output goes to LOG (/dev/null, say), so tun0 with
# its address says it is ready.  Sets PROG_PID; on failure prints a FAIL line
# and returns 1.
start_quiet() {
  local log=$1 prog=$2
  shift 2
  spawn "$log" "$FAKETCP_BIN/$prog" "$@"
  PROG_PID=$PID
  if ! wait_for 15 sh -c "ip -4 addr show dev tun0 2>/dev/null | grep -q 'inet 192\.168\.0\.1/24'"; then
    fail "$prog: start" "tun0 has no address 15 s after $prog started"
    return 1
  fi
}

# memory_kb FIELD: $PROG_PID's VmRSS (the memory it holds now) or VmHWM (the
# most it ever held), in kB, from /proc/PID/status.
memory_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PROG_PID/status"; }

# peak_within NAME FROM_KB LIMIT_KB WHAT: PASS when $PROG_PID's peak memory
# (VmHWM) is at most FROM_KB + LIMIT_KB (FROM_KB 0: LIMIT_KB is the bound
# itself), FAIL when it is more.  A sanitizer build is not checked (its
# shadow memory is no program's), and a line says so.
peak_within() {
  local name=$1 from=$2 limit=$3 what=$4 hwm
  hwm=$(memory_kb VmHWM)
  case $FAKETCP_BIN in
    */build/san*) echo "    a sanitizer build (AddressSanitizer's shadow memory): the $limit kB bound is not checked"; return ;;
  esac
  local grew="peak RSS $hwm kB"
  [ "$from" = 0 ] || grew="peak RSS grew $((${hwm:-0} - from)) kB (VmHWM $from -> $hwm kB)"
  if [ -n "$hwm" ] && [ $((hwm - from)) -le "$limit" ]; then
    pass "$name: $grew <= $limit kB $what"
  else
    fail "$name: peak RSS" "$grew: more than $limit kB $what"
  fi
}

# start_tcpdump PCAP [FILTER...]: captures tun0 into PCAP until
# stop_tcpdump.  --immediate-mode hands each packet to tcpdump at once (not
# in batches once a second) and -U writes it at once; -Z root keeps tcpdump
# from switching to a user that cannot write into $T_DIR.  -B 32768: a ring
# of 32 MiB.  The default, 2 MiB in frames of the default snaplen (256 KiB),
# holds 8 packets, and a burst of SYNs overflowed it: "204 packets dropped by
# kernel" of 421 in connectmany_overflow.sh, whose resent SYNs then went
# missing from the capture (once in CI); with -B 32768, 0 of 421.
start_tcpdump() {
  local pcap=$1
  shift
  spawn "$T_DIR/tcpdump.err" tcpdump -i tun0 -n --immediate-mode -B 32768 -U -Z root -w "$pcap" "$@"
  TCPDUMP_PID=$PID
  wait_for 15 grep -q 'listening on' "$T_DIR/tcpdump.err"
}

# stop_tcpdump: a moment for the last packets to reach it, then SIGINT,
# on which tcpdump writes what it has and exits.
stop_tcpdump() {
  sleep 0.3
  kill -INT "$TCPDUMP_PID" 2>/dev/null
  stop "$TCPDUMP_PID"
}

# count PATTERN FILE: how many lines of FILE match the extended regex.
count() { grep -cE -- "$1" "$2"; }

# open_client IP PORT: starts "nc -N IP PORT" reading from a fifo that we
# hold open, so the connection stays up until close_client; what we write to
# fd $CLIENT_FD goes to the socket.  Sets CLIENT_PID, CLIENT_FD, CLIENT_LOG.
# (-N: at the end of its input nc shuts the socket down, which sends our FIN.)
open_client() {
  local fifo=$T_DIR/client-$1-$2
  CLIENT_LOG=$fifo.out
  mkfifo "$fifo"
  # Opening a fifo waits for the other end: nc opens it for reading in the
  # background while we open it for writing here.
  spawn_fifo "$fifo" "$CLIENT_LOG" nc -N -n "$1" "$2"
  CLIENT_PID=$PID
  exec {CLIENT_FD}>"$fifo"
}

spawn_fifo() {
  local fifo=$1 log=$2
  shift 2
  : >"$log"
  "$@" <"$fifo" >"$log" 2>&1 &
  PID=$!
  T_PIDS+=("$PID")
}

# close_client: closes our end of the fifo: nc sees the end of its input.
close_client() { exec {CLIENT_FD}>&-; }

# tcp_state PEER: the state of our connection to PEER (IP:PORT), as ss -tn
# shows it (ESTAB, FIN-WAIT-1, TIME-WAIT, ...).  send_q PEER: its Send-Q,
# the bytes sent and not yet acknowledged.
tcp_state() { ss -Htn dst "$1" | awk 'NR == 1 { print $1 }'; }
send_q() { ss -Htn dst "$1" | awk 'NR == 1 { print $3 }'; }
is_estab() { [ "$(tcp_state "$1")" = ESTAB ]; }

# handshake_seen IP PORT: the program's console shows a client's SYN to
# IP.PORT and then the ACK that completes the handshake (our ISN is 123456,
# so the client acks 123457).
handshake_seen() {
  local to="${1//./\\.}\.$2"
  grep -qE "^IP 192\.168\.0\.1\.[0-9]+ > $to: Flags \[S\], seq [0-9]+, win" "$PROG_LOG" &&
  grep -qE "^IP 192\.168\.0\.1\.[0-9]+ > $to: Flags \[\.\], seq [0-9]+, ack 123457, " "$PROG_LOG"
}
