#!/usr/bin/env bash
# tests/bench/run.sh (make bench): how fast one user-space program plays TCP
# clients, against a bare handshake loop and the kernel's own connect().
# Prints figures, never PASS/FAIL; timings on a shared machine are noisy, so
# compare the ratios of one run, not figures of different runs.
#
# In one private network namespace, for each N in $BENCH_N:
#   bare loop         tests/bench/bareloop.cc: SYN, read SYN+ACK, ACK; nothing else
#   connectmany       -q -x (one handshake at a time, the article's loop)
#   connectmany -w 64 64 handshakes in flight
#   kernel connect()  tests/bench/kernelconnect.cc to 127.0.0.1 (stops at the port range)
#   ... and connectmany twice more with the server's receive path steered to
#   the other CPU (RPS), which makes every handshake a round trip between two
#   CPUs, as it would be between two machines.
# Each row gets a fresh tests/bin/holdserver.  Writes docs/bench/results.md,
# docs/bench/connections.png (connections held by the server vs seconds).
#
#   sudo make bench                      all sizes: 10,000, 100,000, 1,000,000
#   sudo make bench BENCH_N=100000       one size, for a quick look
set -u
cd "$(dirname "$0")/../.."
BIN=${FAKETCP_BIN:-.}
BUILD=${FAKETCP_BUILD:-build}
SIZES=${BENCH_N:-10000 100000 1000000}
OUT=${BENCH_OUT:-docs/bench}

if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
  echo "make bench: needs root and /dev/net/tun (run: sudo make bench)" >&2
  exit 1
fi
for prog in "$BIN/connectmany" "$BIN/tests/bin/holdserver" "$BUILD/bench/bareloop" \
            "$BUILD/bench/kernelconnect" /usr/bin/time gnuplot ss; do
  if ! [ -x "$prog" ] && ! command -v "$prog" >/dev/null; then
    echo "make bench: $prog is missing (make bench builds the programs; apt-get install time gnuplot-nox iproute2)" >&2
    exit 1
  fi
done

if [ "${FAKETCP_BENCH_INNER:-}" != 1 ]; then
  # A network namespace of our own: tun0, the sysctls and a million sockets
  # stay inside it.  A mount namespace too, for a /sys that shows our tun0.
  FAKETCP_BENCH_INNER=1 exec unshare -n -m --propagation private "$0" "$@"
fi
ip link set lo up
mount -t sysfs sysfs /sys  # this namespace's devices, for RPS below

# The accept queue (completed handshakes not yet accept()ed) is at most
# net.core.somaxconn long (4096 by default); when it is full the kernel drops
# new SYNs, and that handshake fails after its one-second wait.  The SYN queue
# (half-open connections) is bounded by net.ipv4.tcp_max_syn_backlog; beyond
# it the kernel answers with SYN cookies and logs "Possible SYN flooding".
# Both are per namespace.
sysctl -qw net.core.somaxconn=1048576 net.ipv4.tcp_max_syn_backlog=1048576

tmp=$(mktemp -d /tmp/faketcp-bench.XXXXXX)
hs=""
client=""
cleanup() {
  [ -n "$client" ] && kill "$client" 2>/dev/null
  [ -n "$hs" ] && kill "$hs" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { echo "$EPOCHREALTIME"; }

# Bytes of kernel objects in use, all slab caches: sockets, inodes, files...
slab_bytes() { awk 'NR > 2 { sum += $2 * $4 } END { printf "%.0f\n", sum }' /proc/slabinfo; }
sockstat_mem() { awk '/^TCP:/ { print $NF }' /proc/net/sockstat; }   # pages
established() { ss -Htn state established "( sport = :$1 )" | wc -l; }

# holdserver PORT N: a fresh server with enough workers for N fds, its
# "holding N connections" lines stamped with the time they were printed.
start_server() {
  local port=$1 n=$2 workers=$(( $2 / 15000 + 4 ))
  : > "$tmp/server"
  "$BIN/tests/bin/holdserver" -r -w "$workers" "$port" \
    > >(while IFS= read -r line; do echo "$EPOCHREALTIME $line"; done > "$tmp/server") &
  hs=$!
  for _ in $(seq 100); do grep -q listening "$tmp/server" && return; sleep 0.05; done
  echo "make bench: holdserver did not start" >&2
  exit 1
}

stop_server() {
  kill "$hs" 2>/dev/null
  wait "$hs" 2>/dev/null
  hs=""
  # -r closes with RST, so the sockets go at once; wait until they have.
  for _ in $(seq 300); do
    [ "$(awk '/^TCP:/ { print $3 }' /proc/net/sockstat)" -lt 50 ] && break
    sleep 0.1
  done
}

# The server's count over time, seconds from $1: the plot's data.
# Starts at (0, 0): the server's first lines come before the client starts.
series() {
  echo "0 0"
  awk -v t0="$1" '/holding/ && $1 > t0 { printf "%.3f %d\n", $1 - t0, $3 }' "$tmp/server"
}

rows="$tmp/rows"   # name|N|client count|server ESTABLISHED|seconds|rate|rss KB|slab B/conn|sockstat pages
: > "$rows"

# run_tun NAME N RPSMASK PROGRAM ARGS...: a client that makes tun0 and exits
# after connecting (connectmany -x, bareloop).
run_tun() {
  local name=$1 n=$2 mask=$3; shift 3
  start_server 2007 "$n"
  local slab0 mem0 t0 summary rss est slab1 mem1
  slab0=$(slab_bytes); mem0=$(sockstat_mem)
  rm -f "$tmp/fifo"; mkfifo "$tmp/fifo"
  # Pinned to CPU 0, so that RPS can send the server's side to CPU 1.
  local pin=()
  [ "$mask" != 0 ] && pin=(taskset -c 0)
  timeout 600 /usr/bin/time -f "%M" -o "$tmp/rss" "${pin[@]}" "$@" 192.168.0.1 2007 "$n" \
    < "$tmp/fifo" > "$tmp/client" 2>&1 &
  client=$!
  exec 3> "$tmp/fifo"   # connectmany waits for enter: set up RPS meanwhile
  for _ in $(seq 100); do [ -e /sys/class/net/tun0 ] && break; sleep 0.02; done
  if [ "$mask" != 0 ] && [ -e /sys/class/net/tun0/queues/rx-0/rps_cpus ]; then
    echo "$mask" > /sys/class/net/tun0/queues/rx-0/rps_cpus
  fi
  t0=$(now)
  echo >&3
  exec 3>&-
  wait "$client"
  client=""
  summary=$(grep -m1 '^established' "$tmp/client")
  rss=$(tail -n 1 "$tmp/rss")
  sleep 0.5
  est=$(established 2007)
  slab1=$(slab_bytes); mem1=$(sockstat_mem)
  series "$t0" > "$tmp/series.$name.$n"
  stop_server
  set -- $summary   # established A of B connections in T s (R conn/s)
  echo "$name|$n|${2:-0}|$est|${7:-0}|${9#(}|$rss|$(( (slab1 - slab0) / (est > 0 ? est : 1) ))|$(( mem1 - mem0 ))" >> "$rows"
  tail -n 1 "$rows"
}

# The kernel's own client, to 127.0.0.1:2008; it holds its connections
# until killed, so we count and measure while it does.
run_kernel() {
  local n=$1
  start_server 2008 "$n"
  local slab0 mem0 t0 summary rss est slab1 mem1
  slab0=$(slab_bytes); mem0=$(sockstat_mem)
  t0=$(now)
  timeout 600 "$BUILD/bench/kernelconnect" 127.0.0.1 2008 "$n" > "$tmp/client" 2>&1 &
  client=$!
  for _ in $(seq 6000); do grep -q '^established' "$tmp/client" && break; sleep 0.1; done
  rss=$(awk '/VmHWM/ { print $2 }' "/proc/$client/status")
  sleep 0.5
  est=$(established 2008)
  slab1=$(slab_bytes); mem1=$(sockstat_mem)
  series "$t0" > "$tmp/series.kernel.$n"
  kill "$client"; wait "$client" 2>/dev/null; client=""
  stop_server
  summary=$(grep -m1 '^established' "$tmp/client")
  grep '^stopped' "$tmp/client" | sed "s/^/  kernel client, N=$n: /"
  set -- $summary
  # Both ends of each connection are in this kernel: slab per connection is client + server.
  echo "kernel connect()|$n|${2:-0}|$est|${7:-0}|${9#(}|$rss|$(( (slab1 - slab0) / (est > 0 ? est : 1) ))|$(( mem1 - mem0 ))" >> "$rows"
  tail -n 1 "$rows"
  grep '^stopped' "$tmp/client" | awk '{ print $3 }' | tr -d : > "$tmp/stop.$n"
}

echo "faketcp bench: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%F %H:%M UTC')"
echo "name|N|client says|server ESTABLISHED|seconds|conn/s|peak RSS KB|kernel slab B/conn|sockstat mem pages"
for n in $SIZES; do
  run_tun "bare loop" "$n" 0 "$BUILD/bench/bareloop"
  run_tun "connectmany" "$n" 0 "$BIN/connectmany" -q -x
  run_tun "connectmany -w 64" "$n" 0 "$BIN/connectmany" -q -x -w 64
  run_kernel "$n"
  run_tun "connectmany, RPS" "$n" 2 "$BIN/connectmany" -q -x
  run_tun "connectmany -w 64, RPS" "$n" 2 "$BIN/connectmany" -q -x -w 64
done

# ---------------------------------------------------------------- the table
get() { awk -F'|' -v name="$1" -v n="$2" -v col="$3" '$1 == name && $2 == n { print $col }' "$rows"; }
best() { awk -F'|' -v name="$1" -v n="$2" '($1 == name || $1 == name ", RPS") && $2 == n && $6 > m { m = $6 } END { print m + 0 }' "$rows"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

mkdir -p "$OUT"
{
  echo "Measured by \`sudo make bench\` on $(nproc) CPUs, Linux $(uname -r), $(date -u '+%F %H:%M UTC'),"
  echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end (a machine shared with other work)."
  echo
  echo "| client | N | established (client) | ESTABLISHED (server, ss) | seconds | conn/s | peak RSS KiB | kernel B/conn (slab) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'|' '{ printf "| %s | %d | %d | %d | %.3f | %d | %s | %d |\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$rows"
  echo
  echo "Ratios, from this one run:"
  echo
  for n in $SIZES; do
    echo "- N = $n: connectmany time / bare loop time = $(ratio "$(get connectmany "$n" 5)" "$(get "bare loop" "$n" 5)");" \
         "-w 64 rate / default rate = $(ratio "$(get "connectmany -w 64" "$n" 6)" "$(get connectmany "$n" 6)")" \
         "(with RPS: $(ratio "$(get "connectmany -w 64, RPS" "$n" 6)" "$(get "connectmany, RPS" "$n" 6)");" \
         "the faster -w 64 row / the faster one-at-a-time row = $(ratio "$(best "connectmany -w 64" "$n")" "$(best connectmany "$n")"));" \
         "default / kernel rate = $(ratio "$(get connectmany "$n" 6)" "$(get "kernel connect()" "$n" 6)"),"\
         "-w 64 / kernel rate = $(ratio "$(get "connectmany -w 64" "$n" 6)" "$(get "kernel connect()" "$n" 6)")"
    if [ -s "$tmp/stop.$n" ]; then
      echo "  (the kernel client stopped at $(cat "$tmp/stop.$n") connections: connect() found no free port)"
    fi
  done
  echo "- largest peak RSS of connectmany: $(awk -F'|' '$1 ~ /^connectmany/ && $7 > m { m = $7 } END { print m }' "$rows") KiB"
  echo
  echo "The kernel client's slab figure counts both ends of each connection (client and server are in this kernel);"
  echo "the others count the server's end only.  sockstat mem (pages of socket buffers, a counter global"
  echo "to the machine) changed by at most $(awk -F'|' '{ v = $9 < 0 ? -$9 : $9; if (v > m) m = v } END { print m + 0 }' "$rows")"\
       "pages in any row: idle connections hold no buffers."
} > "$OUT/results.md"
echo
cat "$OUT/results.md"

# ---------------------------------------------------------------- the plot
big=$(echo $SIZES | tr ' ' '\n' | sort -n | tail -n 1)
plot=()
add() { [ -s "$tmp/series.$1.$big" ] && plot+=("'$tmp/series.$1.$big' using 1:2 with linespoints pt 7 ps 0.4 title '$2'"); }
add "connectmany" "connectmany (one at a time)"
add "connectmany -w 64" "connectmany -w 64"
add "connectmany, RPS" "connectmany, RPS to the other CPU"
add "connectmany -w 64, RPS" "connectmany -w 64, RPS to the other CPU"
add "bare loop" "bare loop"
add "kernel" "kernel connect()"
if [ ${#plot[@]} -gt 0 ]; then
  gnuplot <<EOF
set terminal pngcairo size 900,540 font ",11"
set output '$OUT/connections.png'
set title "Connections held by the server, N = $big (one run, $(nproc) CPUs, $(date -u +%F))"
set xlabel "seconds since the client started"
set ylabel "connections"
set grid
set key below
set yrange [0:*]
set format y "%.0f"
$( [ -s "$tmp/stop.$big" ] && echo "set arrow from graph 0, first $(cat "$tmp/stop.$big") to graph 1, first $(cat "$tmp/stop.$big") nohead dashtype 2
set label 'the kernel client runs out of ports at $(cat "$tmp/stop.$big")' at graph 0.4, first $(cat "$tmp/stop.$big") offset 0,0.8" )
plot $(IFS=,; echo "${plot[*]}")
EOF
  echo "wrote $OUT/results.md and $OUT/connections.png"
fi
