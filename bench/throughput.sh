#!/usr/bin/env bash
# bench/throughput.sh (make bench-throughput): how many MiB/s a real
# TCP sender pushes through discardall and echoall, against the kernel's own
# TCP on 127.0.0.1.  Prints figures, never PASS/FAIL; timings on a shared
# machine are noisy, so compare the ratios of one run, not figures of
# different runs.
#
# In one private network namespace, tests/tools/tcpsend.cc sends BENCH_BYTES
# (1 MiB blocks, non-blocking, then half-close and wait for the FIN) over one
# stream and over 4 streams at once, to:
#   discardall                    the article's SYN+ACK: no MSS option, win 5000
#   discardall_fast --mss --window  an MSS option and a large, scaled window
#   discardall_fast ... --ack-burst the same, one ACK per burst of segments in tun0's queue
#   discardall_fast --mtu --window  tun0's MTU 9000, so segments of 8960 bytes, no offload
#   discardall_fast -K              TUN offload: segments of up to 64 KB per read()
#   loopback sink                 bench/loopserver.cc on 127.0.0.1: read and drop
#   echoall                       every byte back, checked by the sender (-e)
#   echoall_hardened -K           the same with TUN offload
#   loopback echo                 loopserver -e on 127.0.0.1: write back what was read
# A row whose options the program does not have (yet) is left out, with a
# note.  Every row runs BENCH_REPEAT times (3), the rows taking turns; the
# table shows each row's fastest run and the range of all of them.
# Writes docs/bench/throughput.md and docs/bench/throughput.png.
#
#   sudo make bench-throughput                    128 MiB per run: a few minutes
#   sudo make bench-throughput BENCH_BYTES=1G     the documented run
#   sudo make bench-throughput BENCH_STREAMS=1 BENCH_REPEAT=1   a quick look
#
# Two choices, both measured (docs/bench.md, "Throughput"):
#   BENCH_CC=cubic  the sender's congestion control, Linux's default.  A
#                   machine set to bbr paces every row, the tun rows most
#                   (discardall -K: about 430 MiB/s with bbr, 1,400 to 5,000
#                   with cubic, on the machine this was written on).
#   BENCH_PIN=0     the scheduler places sender and program.  BENCH_PIN=1
#                   puts the sender on CPU 0 and the program on CPU 1 as make
#                   bench does: then every 64 KB read costs a wake-up from
#                   one CPU to the other, and discardall -K made 800 to
#                   1,000 MiB/s where it made 1,600 to 4,900 unpinned.
set -u
cd "$(dirname "$0")/.."
BIN=${FAKETCP_BIN:-.}
BUILD=${FAKETCP_BUILD:-build}
REPEAT=${BENCH_REPEAT:-3}
STREAMS=${BENCH_STREAMS:-1 4}
OUT=${BENCH_OUT:-docs/bench}
# The window of the --mss/--window row: 128 KiB, 90 segments of 1460 bytes;
# four streams have 359 in flight, inside the 500 packets tun0 queues by
# default (txqueuelen).  A larger --window makes the programs lengthen the
# queue to four windows (tun_speed_setup, tooling/speed_options.h), but the
# rows of the committed run stay comparable at 128K.  A run in which tun0
# dropped packets still counts as failed, below: discardall, stateless,
# acknowledges past the gap.
WINDOW=${BENCH_WINDOW:-128K}
# The same for the --mtu 9000 row: 512 KiB is 59 segments of 8960 bytes,
# four streams 235.
MTU_WINDOW=${BENCH_MTU_WINDOW:-512K}
CC=${BENCH_CC:-cubic}
PIN=${BENCH_PIN:-0}
case $REPEAT in ''|*[!0-9]*|0) echo "make bench-throughput: BENCH_REPEAT=$REPEAT: expected a number >= 1" >&2; exit 2 ;; esac
if ! BYTES=$(numfmt --from=iec "${BENCH_BYTES:-128M}" 2>/dev/null) || [ "$BYTES" -lt 1048576 ]; then
  echo "make bench-throughput: BENCH_BYTES=${BENCH_BYTES:-}: expected a size of at least 1M, e.g. 128M or 1G" >&2
  exit 2
fi

. bench/lib.sh
bench_require bench-throughput "gnuplot-nox util-linux coreutils iproute2" \
  "$BIN/discardall" "$BIN/discardall_fast" "$BIN/echoall" "$BIN/echoall_hardened" "$BIN/tests/bin/tcpsend" "$BUILD/bench/loopserver" gnuplot taskset numfmt ip

# Everything below runs in a network namespace of its own: tun0, its
# routes and 127.0.0.1 are this run's, and go when it ends.
if [ -z "${FAKETCP_BENCH_STAGE:-}" ]; then
  FAKETCP_BENCH_STAGE=inner exec unshare -n "$0" "$@"
fi
ip link set lo up

bench_scratch throughput
server=""

if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ]; then
  client_cpu=(taskset -c 0)
  server_cpu=(taskset -c 1)
else
  client_cpu=()
  server_cpu=()
fi

# Bounds: a run may take as long as 1 MiB/s would, plus a minute.
limit=$(( 60 + BYTES / 1048576 ))

# The rows: name|kind|MSS the sender uses|program and its options.
# kind: sink or echo, and tun or loop.  The MSS is what the SYN+ACK makes
# the kernel use (536 when it carries no MSS option, RFC 1122 4.2.2.6), for
# the segments-per-read column.
rows=(
  "discardall|tun sink|536|$BIN/discardall"
  "discardall_fast --mss 1460 --window $WINDOW|tun sink|1460|$BIN/discardall_fast --mss 1460 --window $WINDOW"
  "discardall_fast --mss 1460 --window $WINDOW --ack-burst|tun sink|1460|$BIN/discardall_fast --mss 1460 --window $WINDOW --ack-burst"
  "discardall_fast --mtu 9000 --window $MTU_WINDOW|tun sink|8960|$BIN/discardall_fast --mtu 9000 --window $MTU_WINDOW"
  "discardall_fast -K|tun sink|1460|$BIN/discardall_fast -K"
  "loopback sink|loop sink||$BUILD/bench/loopserver 5001"
  "echoall|tun echo|1460|$BIN/echoall"
  "echoall_hardened -K|tun echo|1460|$BIN/echoall_hardened -K"
  "loopback echo|loop echo||$BUILD/bench/loopserver -e 5002"
)

# A program has an option when it accepts it before -h: parse_options
# stops at the first option it does not know (exit 2), or prints the help
# at -h (exit 0).
has_options() {
  local prog=$1; shift
  [ $# -eq 0 ] && return 0
  "$prog" "$@" -h > /dev/null 2>&1
}

notes=()
active=()
for row in "${rows[@]}"; do
  IFS='|' read -r name kind mss cmd <<< "$row"
  read -r -a argv <<< "$cmd"
  if [[ $kind == tun* ]] && ! has_options "${argv[@]}"; then
    notes+=("$name: left out, this ${argv[0]##*/} has no ${argv[*]:1} yet")
    continue
  fi
  active+=("$row")
done

# The program's CPU time (user and system, seconds) and peak RSS (KiB),
# from /proc while it still runs.
cpu_of() { sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f %.2f\n", $12 / hz, $13 / hz }'; }
rss_of() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
# tun0's counters: what the kernel handed to the program (its "tx": one
# packet per read()), packets and bytes, and the packets it dropped because
# the program's queue was full.
tun_reads() { awk '$1 == "tun0:" { print $11, $10, $13 }' /proc/net/dev; }

# One line per run: name|streams|run|MiB/s|seconds|reads|bytes read|user s|sys s|peak RSS KiB|MSS|error
# A run in which tun0 dropped packets counts as failed: discardall
# acknowledges past the gap, so the sender's figure counts bytes that never
# arrived.
runs="$tmp/runs"
: > "$runs"

# run_row ROW STREAMS RUN: a fresh program (and tun0) for every run.
run_row() {
  local name kind mss cmd argv n=$2 r=$3
  IFS='|' read -r name kind mss cmd <<< "$1"
  read -r -a argv <<< "$cmd"
  : > "$tmp/server.err"
  timeout $(( limit + 30 )) "${server_cpu[@]}" "${argv[@]}" > /dev/null 2> "$tmp/server.err" &
  server=$!
  local pid="" ready=""
  for _ in $(seq 200); do
    pid=$(awk '{ print $1 }' "/proc/$server/task/$server/children" 2>/dev/null)
    if [[ $kind == tun* ]]; then
      ip -o link show dev tun0 2>/dev/null | grep -q '[<,]UP[,>]' && ready=1
    else
      ss -Htln "( sport = :${argv[-1]} )" 2>/dev/null | grep -q . && ready=1
    fi
    [ -n "$ready" ] && [ -n "$pid" ] && break
    sleep 0.05
  done
  if [ -z "$ready" ] || [ -z "$pid" ]; then
    echo "make bench-throughput: $name did not start: $(head -n 3 "$tmp/server.err")" >&2
    exit 1
  fi
  local addr=192.168.0.2 port=9 echo=()
  [[ $kind == *echo ]] && { port=7; echo=(-e); }
  [[ $kind == loop* ]] && { addr=127.0.0.1; port=${argv[-1]}; }
  local before=(0 0 0) after=(0 0 0)
  [[ $kind == tun* ]] && read -r -a before <<< "$(tun_reads)"
  timeout "$limit" "${client_cpu[@]}" "$BIN/tests/bin/tcpsend" -c "$CC" "${echo[@]}" "$addr" "$port" "$BYTES" "$n" \
    > "$tmp/send" 2>&1
  local rc=$?
  [[ $kind == tun* ]] && read -r -a after <<< "$(tun_reads)"
  local cpu rss
  cpu=$(cpu_of "$pid")
  rss=$(rss_of "$pid")
  kill "$server" 2>/dev/null
  wait "$server" 2>/dev/null
  server=""
  # sent B bytes over N streams in T s (R MiB/s)...
  local seconds=0 rate=0 err=""
  if [ "$rc" = 0 ]; then
    seconds=$(awk '{ print $8 }' "$tmp/send")
    rate=$(awk '{ print substr($10, 2) }' "$tmp/send")
  else
    err=$( (head -n 2 "$tmp/send"; [ "$rc" = 124 ] && echo "timed out after $limit s") | tr '\n|' '; ')
  fi
  if [ $(( after[2] - before[2] )) -gt 0 ]; then
    err+="tun0 dropped $(( after[2] - before[2] )) packets, which discardall acknowledged anyway"
  fi
  echo "$name|$n|$r|$rate|$seconds|$(( after[0] - before[0] ))|$(( after[1] - before[1] ))|${cpu% *}|${cpu#* }|$rss|$mss|$err" >> "$runs"
  tail -n 1 "$runs"
}

reported=/sys/module/page_reporting/parameters/reported_kib
load0=$(cut -d' ' -f1-3 /proc/loadavg)
placement="the scheduler placed sender and program"
[ "$PIN" = 1 ] && placement="sender on CPU 0, program on CPU 1"
echo "faketcp bench-throughput: $(numfmt --to=iec-i --suffix=B "$BYTES") per run, $CC, $placement, $(nproc) CPUs, $(uname -r), load $load0, $(date -u '+%F %H:%M UTC')"
for note in "${notes[@]}"; do echo "  $note"; done
echo "name|streams|run|MiB/s|seconds|reads|bytes read|user s|sys s|peak RSS KiB|MSS|error"
# Round after round, each row once a round: a machine that slows down for a
# minute slows one run of every row, not every run of one row.
for r in $(seq "$REPEAT"); do
  for n in $STREAMS; do
    for row in "${active[@]}"; do
      run_row "$row" "$n" "$r"
    done
  done
done

# ---------------------------------------------------------------- the table
# One line per row and stream count: its fastest run, the range of its
# runs' rates, the largest peak RSS of any run, and how many runs failed.
# Columns: name|streams|run|MiB/s|seconds|reads|bytes read|user|sys|rss|mss|lo|hi|failed
table="$tmp/table"
awk -F'|' -v OFS='|' '
  { key = $1 "|" $2 }
  !(key in seen) { seen[key] = 1; order[++n] = key; lo[key] = hi[key] = $4; rss[key] = $10; bad[key] = 0 }
  $12 != "" { bad[key]++ }
  $12 == "" && (!(key in best) || $4 > rate[key]) { best[key] = $0; rate[key] = $4 }
  { if ($4 < lo[key]) lo[key] = $4; if ($4 > hi[key]) hi[key] = $4; if ($10 > rss[key]) rss[key] = $10 }
  END { for (i = 1; i <= n; i++) { k = order[i]
          if (!(k in best)) { split(k, f, "|"); print f[1], f[2], "", 0, 0, 0, 0, 0, 0, rss[k], "", 0, 0, bad[k]; continue }
          split(best[k], f, "|")
          print f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], rss[k], f[11], lo[k], hi[k], bad[k] } }' \
  "$runs" > "$table"

get() { awk -F'|' -v name="$1" -v n="$2" -v col="$3" '$1 == name && $2 == n { print $col }' "$table"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
mss_name=$(awk -F'|' '$1 ~ /^discardall_fast --mss/ && $1 !~ /--ack-burst/ { print $1; exit }' "$table")
burst_name=$(awk -F'|' '$1 ~ /^discardall_fast --mss.*--ack-burst/ { print $1; exit }' "$table")
mtu_name=$(awk -F'|' '$1 ~ /^discardall_fast --mtu/ { print $1; exit }' "$table")

mkdir -p "$OUT"
{
  echo "Measured by \`sudo make bench-throughput BENCH_BYTES=${BENCH_BYTES:-128M}$([ "$CC" = cubic ] || echo " BENCH_CC=$CC")$([ "$PIN" = 1 ] && echo " BENCH_PIN=1")\` on $(nproc) CPUs, Linux $(uname -r), $(date -u '+%F %H:%M UTC'),"
  echo "load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo "Every run sends $BYTES bytes ($(numfmt --to=iec-i --suffix=B "$BYTES")) in all, split over its streams;"
  echo "the sender's congestion control is $CC; $placement."
  echo "Each row ran $REPEAT times, the rows taking turns; the table shows each row's fastest run,"
  echo "and *MiB/s, all runs* the slowest and fastest of its $REPEAT runs."
  echo
  echo "| receiver | streams | MiB/s | MiB/s, all runs | x loopback | bytes per read | segments per read | program CPU s (user + sys) | peak RSS KiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'|' -v bytes="$BYTES" '
    { name[NR] = $1; line[NR] = $0 }
    $1 == "loopback sink" { sink[$2] = $4 } $1 == "loopback echo" { echo[$2] = $4 }
    END { for (i = 1; i <= NR; i++) { split(line[i], f, "|")
            ref = (f[1] ~ /^echoall|echo$/) ? echo[f[2]] : sink[f[2]]
            x = (ref > 0 && f[4] > 0) ? sprintf("%.2f", f[4] / ref) : "n/a"
            per = f[6] > 0 ? sprintf("%d", f[7] / f[6]) : "n/a"
            seg = (f[6] > 0 && f[11] > 0) ? sprintf("%.1f", bytes / f[11] / f[6]) : "n/a"
            rate = f[4] > 0 ? sprintf("%.0f", f[4]) : "failed"
            all = sprintf("%.0f-%.0f", f[12], f[13]) (f[14] > 0 ? sprintf(" (%d failed)", f[14]) : "")
            printf "| %s | %d | %s | %s | %s | %s | %s | %.2f + %.2f | %d |\n",
                   f[1], f[2], rate, all, x, per, seg, f[8], f[9], f[10] } }' "$table"
  echo
  echo "*x loopback* divides by the loopback sink's rate (discardall rows) or the loopback echo's (echoall rows)"
  echo "with the same number of streams.  *bytes per read* is what the program got from one \`read()\` of tun0"
  echo "on average (tun0's own counters: packets and bytes the kernel handed to the program), and"
  echo "*segments per read* is the data sent divided by the MSS the sender used, per \`read()\`: 1 when"
  echo "every read is one segment off the wire, about 40 when the kernel hands over 64 KB at once."
  echo "echoall also reads the sender's ACKs of the echoed bytes, so its figures are lower.  The CPU time"
  echo "and peak RSS are the program's own (/proc/PID/stat, VmHWM), the server's in the loopback rows."
  echo
  one=$(echo $STREAMS | awk '{ print $1 }')
  echo "Ratios of the fastest runs, $one stream$([ "$one" = 1 ] || echo s), from this one run:"
  echo
  echo "- discardall_fast -K / loopback sink: $(ratio "$(get 'discardall_fast -K' "$one" 4)" "$(get 'loopback sink' "$one" 4)")"
  echo "- discardall with MSS and window / discardall as in the article: $(ratio "$(get "$mss_name" "$one" 4)" "$(get discardall "$one" 4)")"
  echo "- discardall with MSS, window and one ACK per burst / discardall as in the article: $(ratio "$(get "$burst_name" "$one" 4)" "$(get discardall "$one" 4)")"
  echo "- discardall with a 9000-byte MTU and window, no offload / discardall as in the article: $(ratio "$(get "$mtu_name" "$one" 4)" "$(get discardall "$one" 4)")"
  echo "- discardall_fast -K / discardall as in the article: $(ratio "$(get 'discardall_fast -K' "$one" 4)" "$(get discardall "$one" 4)")"
  echo "- echoall / loopback echo: $(ratio "$(get echoall "$one" 4)" "$(get 'loopback echo' "$one" 4)");" \
       "echoall_hardened -K / loopback echo: $(ratio "$(get 'echoall_hardened -K' "$one" 4)" "$(get 'loopback echo' "$one" 4)")"
  echo "- largest peak RSS in any run: discardall $(awk -F'|' '$1 ~ /^discardall/ && $10 > m { m = $10 } END { print m + 0 }' "$runs") KiB," \
       "echoall $(awk -F'|' '$1 ~ /^echoall/ && $10 > m { m = $10 } END { print m + 0 }' "$runs") KiB"
  for note in "${notes[@]}"; do echo "- $note"; done
  if awk -F'|' '$12 != ""' "$runs" | grep -q .; then
    echo
    echo "Failed runs:"
    echo
    awk -F'|' '$12 != "" { printf "- %s, %d stream(s), run %d: %s\n", $1, $2, $3, $12 }' "$runs"
  fi
  if [ -r "$reported" ]; then
    echo
    echo "(This virtual machine reports freed memory to its host: $(cat "$reported") KiB so far; see docs/bench.md, \"Noise\".)"
  fi
} > "$OUT/throughput.md"
echo
cat "$OUT/throughput.md"

# ---------------------------------------------------------------- the plot
# One group of bars per receiver, one bar per stream count; a log scale, as
# the rows differ by a factor of a hundred.
plotdata="$tmp/plot"
awk -F'|' -v streams="$STREAMS" '
  BEGIN { ns = split(streams, s, " ") }
  { if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } rate[$1, $2] = $4 }
  END { for (i = 1; i <= n; i++) { line = "\"" order[i] "\""
          for (j = 1; j <= ns; j++) line = line " " ((order[i], s[j]) in rate && rate[order[i], s[j]] > 0 ? rate[order[i], s[j]] : "NaN")
          print line } }' "$table" > "$plotdata"
cols=""
j=2
for n in $STREAMS; do
  cols+="${cols:+, }'$plotdata' using $j:xtic(1) title '$n stream$([ "$n" = 1 ] || echo s)'"
  j=$(( j + 1 ))
done
gnuplot <<EOF
set terminal pngcairo size 1000,560 font ",10"
set output '$OUT/throughput.png'
set title "MiB/s through each receiver, $(numfmt --to=iec-i --suffix=B "$BYTES") per run (fastest of $REPEAT run$([ "$REPEAT" = 1 ] || echo s), $(nproc) CPUs, $(date -u +%F))"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set logscale y
set yrange [1:*]
set ylabel "MiB/s (log scale)"
set grid ytics
set key top left
set xtics rotate by -20 font ",9"
plot $cols
EOF
echo "wrote $OUT/throughput.md and $OUT/throughput.png"
