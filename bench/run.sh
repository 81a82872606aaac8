#!/usr/bin/env bash
# bench/run.sh (make bench): how fast one user-space program plays TCP
# clients, against a bare handshake loop and the kernel's own connect().
# Prints figures, never PASS/FAIL; timings on a shared machine are noisy, so
# compare the ratios of one run, not figures of different runs.
#
# In one private network namespace, for each N in $BENCH_N:
#   bare loop         bench/bareloop.cc: SYN, read SYN+ACK, ACK; nothing else
#   connectmany_window        -q -x (one handshake at a time, the article's loop)
#   connectmany_window -w 64  64 handshakes in flight
#   kernel connect()  bench/kernelconnect.cc to 127.0.0.1 (stops at the port range)
#   ... and connectmany_window twice more with the server's receive path spread
#   over both CPUs, flow by flow (RPS), as a server spreads the queues of its
#   network card over its CPUs: half of the handshakes become a round trip
#   from one CPU to the other, and both CPUs can run the server's TCP.
# Each row gets a fresh tests/bin/holdserver.  Every row runs BENCH_REPEAT
# times (3), the rows taking turns, and the table shows each row's fastest
# run and the range of all of them: on a virtual machine the same run can
# take 30 % longer when the kernel's memory has to come back from the host
# (docs/bench.md, "Noise").  Writes docs/bench/results.md and
# docs/bench/connections.png (connections held by the server vs seconds).
#
#   sudo make bench                      all sizes: 10,000, 100,000, 1,000,000
#   sudo make bench BENCH_N=100000 BENCH_REPEAT=1   one size, once: a quick look
set -u
cd "$(dirname "$0")/.."
BIN=${FAKETCP_BIN:-.}
BUILD=${FAKETCP_BUILD:-build}
SIZES=${BENCH_N:-10000 100000 1000000}
REPEAT=${BENCH_REPEAT:-3}
case $REPEAT in ''|*[!0-9]*|0) echo "make bench: BENCH_REPEAT=$REPEAT: expected a number >= 1" >&2; exit 2 ;; esac
OUT=${BENCH_OUT:-docs/bench}

. bench/lib.sh
bench_require bench "time gnuplot-nox iproute2" \
  "$BIN/connectmany_window" "$BIN/tests/bin/holdserver" "$BUILD/bench/bareloop" "$BUILD/bench/kernelconnect" /usr/bin/time gnuplot ss

# Two namespaces, one inside the other, both our own.  The inner one is
# where everything runs: tun0, the sysctls and a million sockets stay in it;
# it has its own mount namespace too, for a /sys that shows our tun0.  The
# outer one exists to size the inner one's table of connections (below)
# without touching the host's settings.
case ${FAKETCP_BENCH_STAGE:-} in
  "")
    FAKETCP_BENCH_STAGE=outer exec unshare -n "$0" "$@" ;;
  outer)
    # The kernel finds the socket of every packet in a hash table of
    # established connections, sized at boot from the RAM (262,144 buckets
    # on a 24 GiB machine): at a million connections each lookup would walk
    # a chain of four.  A namespace can have a table of its own, sized by
    # this sysctl in the namespace it is created from (Linux 6.1 and later):
    # a bucket for every connection of the largest N, rounded up to a power
    # of two.  Where the sysctl is missing, the inner namespace shares the
    # host's table, and the largest N is slower.
    most=$(echo $SIZES | tr ' ' '\n' | sort -n | tail -n 1)
    buckets=1
    while [ "$buckets" -lt "$most" ] && [ "$buckets" -lt 16777216 ]; do buckets=$(( buckets * 2 )); done
    sysctl -qw net.ipv4.tcp_child_ehash_entries="$buckets" 2>/dev/null \
      || echo "make bench: no net.ipv4.tcp_child_ehash_entries here (Linux < 6.1): the host's hash table it is" >&2
    FAKETCP_BENCH_STAGE=inner exec unshare -n -m --propagation private "$0" "$@" ;;
esac
ip link set lo up
mount -t sysfs sysfs /sys  # this namespace's devices, for RPS below

# The accept queue (completed handshakes not yet accept()ed) is at most
# net.core.somaxconn long (4096 by default); when it is full the kernel drops
# new SYNs, and that handshake fails after its one-second wait.  The SYN queue
# (half-open connections) is bounded by net.ipv4.tcp_max_syn_backlog; beyond
# it the kernel answers with SYN cookies and logs "Possible SYN flooding".
# Both are per namespace.
sysctl -qw net.core.somaxconn=1048576 net.ipv4.tcp_max_syn_backlog=1048576

bench_scratch bench
hs=""
client=""

now() { echo "$EPOCHREALTIME"; }

# Bytes of kernel objects in use, all slab caches: sockets, inodes, files...
slab_bytes() { awk 'NR > 2 { sum += $2 * $4 } END { printf "%.0f\n", sum }' /proc/slabinfo; }
sockstat_mem() { awk '/^TCP:/ { print $NF }' /proc/net/sockstat; }   # pages
established() { ss -Htn state established "( sport = :$1 )" | wc -l; }

# Where things run.  The client (connectmany_window, the bare loop, the kernel's
# client) runs on CPU 0 and the server on CPU 1, in every row.  Without RPS
# the server's TCP stack runs on CPU 0 too, inside the client's write()
# (that is how tun delivers a packet), so one CPU does nearly all the work.
# The RPS rows hash each connection to CPU 0 or CPU 1 (rps_cpus = 3), so
# the server's TCP runs on both; steering all of it to CPU 1 (rps_cpus = 2)
# leaves CPU 1 the bottleneck and CPU 0 half idle.  Left to the scheduler,
# the server's 70 workers land on either CPU from run to run, and the same
# row's rate moved by a third.  With one CPU there is nothing to place, and
# the RPS rows are left out.
if [ "$(nproc)" -ge 2 ]; then
  client_cpu=(taskset -c 0)
  server_cpu=(taskset -c 1)
else
  client_cpu=()
  server_cpu=()
fi

# holdserver PORT N: a fresh server with enough workers for N fds, its
# "holding N connections" lines stamped with the time they were printed.
start_server() {
  local port=$1 n=$2 workers=$(( $2 / 15000 + 4 ))
  : > "$tmp/server"
  "${server_cpu[@]}" "$BIN/tests/bin/holdserver" -r -w "$workers" "$port" \
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

# One line per run: name|N|run|client count|server ESTABLISHED|seconds|rate|rss KB|slab B/conn|sockstat pages
runs="$tmp/runs"
: > "$runs"

# run_tun NAME N RUN RPSMASK PROGRAM ARGS...: a client that makes tun0 and
# exits after connecting (connectmany_window -x, bareloop).
run_tun() {
  local name=$1 n=$2 r=$3 mask=$4; shift 4
  start_server 2007 "$n"
  local slab0 mem0 t0 summary rss est slab1 mem1
  slab0=$(slab_bytes); mem0=$(sockstat_mem)
  rm -f "$tmp/fifo"; mkfifo "$tmp/fifo"
  timeout 600 /usr/bin/time -f "%M" -o "$tmp/rss" "${client_cpu[@]}" "$@" 192.168.0.1 2007 "$n" \
    < "$tmp/fifo" > "$tmp/client" 2>&1 &
  client=$!
  exec 3> "$tmp/fifo"   # connectmany_window waits for enter: set up RPS meanwhile
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
  series "$t0" > "$tmp/series.$name.$n.$r"
  stop_server
  set -- $summary   # established A of B connections in T s (R conn/s)
  echo "$name|$n|$r|${2:-0}|$est|${7:-0}|${9#(}|$rss|$(( (slab1 - slab0) / (est > 0 ? est : 1) ))|$(( mem1 - mem0 ))" >> "$runs"
  tail -n 1 "$runs"
}

# The kernel's own client, to 127.0.0.1:2008; it holds its connections
# until killed, so we count and measure while it does.
run_kernel() {
  local n=$1 r=$2
  start_server 2008 "$n"
  local slab0 mem0 t0 summary rss est slab1 mem1
  slab0=$(slab_bytes); mem0=$(sockstat_mem)
  t0=$(now)
  timeout 600 "${client_cpu[@]}" "$BUILD/bench/kernelconnect" 127.0.0.1 2008 "$n" > "$tmp/client" 2>&1 &
  client=$!
  for _ in $(seq 6000); do grep -q '^established' "$tmp/client" && break; sleep 0.1; done
  # $client is timeout; the kernel client is its child (taskset became it).
  local pid
  pid=$(cat "/proc/$client/task/$client/children" 2>/dev/null | awk '{ print $1 }')
  rss=$(awk '/VmHWM/ { print $2 }' "/proc/${pid:-$client}/status")
  sleep 0.5
  est=$(established 2008)
  slab1=$(slab_bytes); mem1=$(sockstat_mem)
  series "$t0" > "$tmp/series.kernel connect().$n.$r"
  kill "$client"; wait "$client" 2>/dev/null; client=""
  stop_server
  summary=$(grep -m1 '^established' "$tmp/client")
  grep '^stopped' "$tmp/client" | sed "s/^/  kernel client, N=$n: /"
  set -- $summary
  # Both ends of each connection are in this kernel: slab per connection is client + server.
  echo "kernel connect()|$n|$r|${2:-0}|$est|${7:-0}|${9#(}|$rss|$(( (slab1 - slab0) / (est > 0 ? est : 1) ))|$(( mem1 - mem0 ))" >> "$runs"
  tail -n 1 "$runs"
  grep '^stopped' "$tmp/client" | awk '{ print $3 }' | tr -d : > "$tmp/stop.$n"
}

# On a virtual machine, memory the guest frees may go back to the host
# ("free page reporting"), and the next row that needs it waits for the
# host to give it again: the counter below says how much went back.
reported=/sys/module/page_reporting/parameters/reported_kib
reported0=$(cat "$reported" 2>/dev/null)
load0=$(cut -d' ' -f1-3 /proc/loadavg)

echo "faketcp bench: $(nproc) CPUs, $(uname -r), load $load0, $(date -u '+%F %H:%M UTC')"
echo "name|N|run|client says|server ESTABLISHED|seconds|conn/s|peak RSS KB|kernel slab B/conn|sockstat mem pages"
for n in $SIZES; do
  # Round after round, each row once a round: a machine that slows down for
  # a minute slows one run of every row, not every run of one row.
  for r in $(seq "$REPEAT"); do
    run_tun "bare loop" "$n" "$r" 0 "$BUILD/bench/bareloop"
    run_tun "connectmany_window" "$n" "$r" 0 "$BIN/connectmany_window" -q -x
    run_tun "connectmany_window -w 64" "$n" "$r" 0 "$BIN/connectmany_window" -q -x -w 64
    run_kernel "$n" "$r"
    if [ "$(nproc)" -ge 2 ]; then
      run_tun "connectmany_window, RPS" "$n" "$r" 3 "$BIN/connectmany_window" -q -x
      run_tun "connectmany_window -w 64, RPS" "$n" "$r" 3 "$BIN/connectmany_window" -q -x -w 64
    fi
  done
done

# ---------------------------------------------------------------- the table
# One line per row: its fastest run, with the slowest and fastest rates of
# all its runs, the fewest connections established in any run and the
# largest peak RSS of any run.  Same columns as $runs, plus min|max rate.
rows="$tmp/rows"
awk -F'|' -v OFS='|' '
  { key = $1 "|" $2 }
  !(key in best) { order[++n] = key; lo[key] = $7; hi[key] = $7; cl[key] = $4; sv[key] = $5; rss[key] = $8 }
  !(key in best) || $7 > rate[key] { best[key] = $0; rate[key] = $7 }
  { if ($7 < lo[key]) lo[key] = $7; if ($7 > hi[key]) hi[key] = $7
    if ($4 < cl[key]) cl[key] = $4; if ($5 < sv[key]) sv[key] = $5; if ($8 > rss[key]) rss[key] = $8 }
  END { for (i = 1; i <= n; i++) { k = order[i]; split(best[k], f, "|")
          print f[1], f[2], f[3], cl[k], sv[k], f[6], f[7], rss[k], f[9], f[10], lo[k], hi[k] } }' "$runs" > "$rows"
for name in "bare loop" "connectmany_window" "connectmany_window -w 64" "kernel connect()" "connectmany_window, RPS" "connectmany_window -w 64, RPS"; do
  for n in $SIZES; do
    r=$(awk -F'|' -v name="$name" -v n="$n" '$1 == name && $2 == n { print $3 }' "$rows")
    [ -n "$r" ] && [ -f "$tmp/series.$name.$n.$r" ] && cp "$tmp/series.$name.$n.$r" "$tmp/series.$name.$n"
  done
done

get() { awk -F'|' -v name="$1" -v n="$2" -v col="$3" '$1 == name && $2 == n { print $col }' "$rows"; }
best() { awk -F'|' -v name="$1" -v n="$2" '($1 == name || $1 == name ", RPS") && $2 == n && $7 > m { m = $7 } END { print m + 0 }' "$rows"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

mkdir -p "$OUT"
{
  echo "Measured by \`sudo make bench\` on $(nproc) CPUs, Linux $(uname -r), $(date -u '+%F %H:%M UTC'),"
  echo "load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo "Each row ran $REPEAT times, the rows taking turns; the table shows each row's fastest run,"
  echo "and *conn/s, all runs* the slowest and fastest rate of its $REPEAT runs."
  echo
  echo "| client | N | established (client) | ESTABLISHED (server, ss) | seconds | conn/s | conn/s, all runs | peak RSS KiB | kernel B/conn (slab) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'|' '{ printf "| %s | %d | %d | %d | %.3f | %d | %d-%d | %s | %d |\n", $1, $2, $4, $5, $6, $7, $11, $12, $8, $9 }' "$rows"
  echo
  echo "Ratios of the fastest runs, from this one \`make bench\`:"
  echo
  for n in $SIZES; do
    echo "- N = $n:"
    echo "  - connectmany_window time / bare loop time = $(ratio "$(get connectmany_window "$n" 6)" "$(get "bare loop" "$n" 6)")"
    echo "  - -w 64 rate / one-at-a-time rate: $(ratio "$(get "connectmany_window -w 64" "$n" 7)" "$(get connectmany_window "$n" 7)") with both ends on one CPU," \
         "$(ratio "$(get "connectmany_window -w 64, RPS" "$n" 7)" "$(get "connectmany_window, RPS" "$n" 7)") with the server's stack on both CPUs (RPS);" \
         "each at its best placement: $(ratio "$(best "connectmany_window -w 64" "$n")" "$(best connectmany_window "$n")")"
    echo "  - rate / kernel client's rate: one at a time $(ratio "$(best connectmany_window "$n")" "$(get "kernel connect()" "$n" 7)")," \
         "-w 64 $(ratio "$(best "connectmany_window -w 64" "$n")" "$(get "kernel connect()" "$n" 7)")"
    if [ -s "$tmp/stop.$n" ]; then
      echo "  - the kernel client stopped at $(cat "$tmp/stop.$n") connections: connect() found no free port"
    fi
  done
  echo "- largest peak RSS of connectmany_window in any run: $(awk -F'|' '$1 ~ /^connectmany/ && $8 > m { m = $8 } END { print m }' "$rows") KiB"
  echo
  echo "The kernel client's slab figure counts both ends of each connection (client and server are in this kernel);"
  echo "the others count the server's end only.  sockstat mem (pages of socket buffers, a counter global"
  echo "to the machine) changed by at most $(awk -F'|' '{ v = $10 < 0 ? -$10 : $10; if (v > m) m = v } END { print m + 0 }' "$runs")"\
       "pages in any run: idle connections hold no buffers."
  if [ -n "$reported0" ] && [ -r "$reported" ]; then
    echo "This virtual machine handed $(( ($(cat "$reported") - reported0) / 1048576 )) GiB of freed memory back to its host during the run"
    echo "(free page reporting, $reported); memory that went back must come back before it is used (docs/bench.md, \"Noise\")."
  fi
} > "$OUT/results.md"
echo
cat "$OUT/results.md"

# ---------------------------------------------------------------- the plot
big=$(echo $SIZES | tr ' ' '\n' | sort -n | tail -n 1)
plot=()
add() { [ -s "$tmp/series.$1.$big" ] && plot+=("'$tmp/series.$1.$big' using 1:2 with linespoints pt 7 ps 0.4 title '$2'"); }
add "connectmany_window" "connectmany_window (one at a time)"
add "connectmany_window -w 64" "connectmany_window -w 64"
add "connectmany_window, RPS" "connectmany_window, RPS over both CPUs"
add "connectmany_window -w 64, RPS" "connectmany_window -w 64, RPS over both CPUs"
add "bare loop" "bare loop"
add "kernel connect()" "kernel connect()"
if [ ${#plot[@]} -gt 0 ]; then
  gnuplot <<EOF
set terminal pngcairo size 900,540 font ",11"
set output '$OUT/connections.png'
set title "Connections held by the server, N = $big (fastest of $REPEAT runs each, $(nproc) CPUs, $(date -u +%F))"
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
