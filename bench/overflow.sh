#!/usr/bin/env bash
# bench/overflow.sh (make bench-overflow): connectmany_window against a
# server that accepts more slowly than the handshakes arrive, so that its
# accept queues overflow now and then.  The server's kernel then drops the
# SYN (TcpExtListenOverflows); connectmany_window sends it again after 200 ms, 400 ms,
# ... as a client's kernel does (RFC 6298, tcp_syn_retries), and every
# connection still gets through.  Prints figures, never PASS/FAIL.
#
# In one private network namespace, for N = BENCH_N (1,000,000):
#   holdserver -r -w W BENCH_SERVER 2007     W workers (SO_REUSEPORT), each
#                                            with its own accept queue
#   connectmany_window -q -x 192.168.0.1 2007 N           one handshake at a time
#   connectmany_window -q -x -w 64 192.168.0.1 2007 N     64 in flight
# BENCH_SERVER is "-l 511 -d 2" by default: a listen backlog of 511 (what
# Debian's redis asks for) and 2 ms per accept() in each worker, about
# 35,000 accepts a second in all at N = 1,000,000 (70 workers), a little
# below the rate at which connectmany_window completes handshakes on the machine
# this was written on.  Writes docs/bench/overflow.md.
#
#   sudo make bench-overflow                              the documented run
#   sudo make bench-overflow BENCH_N=100000 BENCH_SERVER="-l 64 -d 2"
set -u
cd "$(dirname "$0")/.."
BIN=${FAKETCP_BIN:-.}
N=${BENCH_N:-1000000}
SERVER=${BENCH_SERVER:--l 511 -d 2}
REPEAT=${BENCH_REPEAT:-1}
OUT=${BENCH_OUT:-docs/bench}
case $N$REPEAT in ''|*[!0-9]*) echo "make bench-overflow: BENCH_N=$N, BENCH_REPEAT=$REPEAT: expected numbers" >&2; exit 2 ;; esac

. bench/lib.sh
bench_require bench-overflow iproute2 "$BIN/connectmany_window" "$BIN/tests/bin/holdserver" ss nstat

# Everything below runs in a network namespace of its own: tun0, the
# server, its million sockets and the counters are this run's alone.
if [ -z "${FAKETCP_BENCH_STAGE:-}" ]; then
  FAKETCP_BENCH_STAGE=inner exec unshare -n "$0" "$@"
fi
ip link set lo up

bench_scratch overflow
hs="" client=""

established() { ss -Htn state established '( sport = :2007 )' | wc -l; }
overflows() { nstat -az TcpExtListenOverflows | awk '$1 == "TcpExtListenOverflows" { print $2 }'; }
workers=$(( N / 15000 + 4 ))   # 20,000 open files at most per process here

# One line per run: name|run|client says|server ESTABLISHED|seconds|conn/s|SYNs resent|overflows|exit
runs="$tmp/runs"
: > "$runs"

run() {
  local name=$1 r=$2; shift 2
  : > "$tmp/server"
  # shellcheck disable=SC2086  # BENCH_SERVER is a list of arguments
  "$BIN/tests/bin/holdserver" -r -w "$workers" $SERVER 2007 > "$tmp/server" 2>&1 &
  hs=$!
  for _ in $(seq 100); do grep -q listening "$tmp/server" && break; sleep 0.05; done
  grep -q listening "$tmp/server" || { echo "make bench-overflow: holdserver did not start: $(head -n 2 "$tmp/server")" >&2; exit 1; }
  local o0 rc est
  o0=$(overflows)
  rm -f "$tmp/fifo"; mkfifo "$tmp/fifo"
  timeout 1800 "$BIN/connectmany_window" -q -x "$@" 192.168.0.1 2007 "$N" < "$tmp/fifo" > "$tmp/client" 2>&1 &
  client=$!
  echo > "$tmp/fifo"   # connectmany_window waits for enter
  wait "$client"
  rc=$?
  client=""
  est=$(established)
  kill "$hs"; wait "$hs" 2>/dev/null; hs=""
  # -r closes with RST: wait until the sockets are gone before the next run.
  for _ in $(seq 600); do [ "$(awk '/^TCP:/ { print $3 }' /proc/net/sockstat)" -lt 50 ] && break; sleep 0.1; done
  local summary resent
  summary=$(grep -m1 '^established' "$tmp/client")
  resent=$(awk '/^resent/ { print $2; exit }' "$tmp/client")
  set -- $summary   # established A of B connections in T s (R conn/s)
  echo "$name|$r|${2:-0}|$est|${7:-0}|${9#(}|${resent:-?}|$(( $(overflows) - o0 ))|$rc" >> "$runs"
  tail -n 1 "$runs"
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "faketcp bench-overflow: N=$N, holdserver -r -w $workers $SERVER, $(nproc) CPUs, $(uname -r), load $load0, $(date -u '+%F %H:%M UTC')"
echo "name|run|client says|server ESTABLISHED|seconds|conn/s|SYNs resent|server ListenOverflows|exit"
for r in $(seq "$REPEAT"); do
  run "connectmany_window" "$r"
  run "connectmany_window -w 64" "$r" -w 64
done

mkdir -p "$OUT"
{
  echo "Measured by \`sudo make bench-overflow$([ "$N" = 1000000 ] || echo " BENCH_N=$N")$([ "$SERVER" = "-l 511 -d 2" ] || echo " BENCH_SERVER=\"$SERVER\"")\`"
  echo "on $(nproc) CPUs, Linux $(uname -r), $(date -u '+%F %H:%M UTC'), load average $load0 at the start."
  echo "The server: \`holdserver -r -w $workers $SERVER\` ($workers workers, each with its own accept queue)."
  echo
  echo "| client | run | established (client) | ESTABLISHED (server, ss) | seconds | conn/s | SYNs resent | server's ListenOverflows | exit status (-x) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'|' '{ printf "| %s | %d | %d | %d | %.3f | %d | %s | %d | %d |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$runs"
  echo
  echo "*SYNs resent* is connectmany_window's own count (its summary); *ListenOverflows* is the server's kernel's"
  echo "count of SYNs (and final ACKs) it dropped because an accept queue was full (nstat, this namespace)."
  echo "Exit status 0 under -x means every handshake was answered."
} > "$OUT/overflow.md"
echo
cat "$OUT/overflow.md"
echo "wrote $OUT/overflow.md"
