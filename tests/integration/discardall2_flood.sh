#!/usr/bin/env bash
# tests/integration/discardall2_flood.sh: discardall2 under a SYN flood, in a
# private network namespace of its own (docs/discardall2.md).
#
#   tests/bin/synflood -n 1000000 tun0
#                       a million SYNs from random sources: the first 4096
#                       (-c, the table's size) get a SYN+ACK and an entry,
#                       every later one a RST and nothing else
#   grep -E '^(VmRSS|VmHWM):' /proc/$pid/status
#                       discardall2's peak memory grows at most 8 MB
#   ./discardall2 --delay 1000, synflood -n 5000 -w 4096
#                       more answers held at once than the 1024 the queue
#                       takes: the rest are lost, a line says so, and the
#                       memory stays bounded too
#
# FLOOD_COUNT=N sets the number of SYNs (default 1000000; about 13 s here).
# Figures are printed; what is asserted is that the memory stays bounded and
# every SYN is answered, never how long anything took.
set -u
. "$(dirname "$0")/lib.sh"
require_root discardall2_flood
require_tools discardall2_flood timeout
require_built discardall2_flood "$FAKETCP_BIN/discardall2" "$TOOLS/synflood"
enter_netns 200 "$@"

COUNT=${FLOOD_COUNT:-1000000}
TABLE=4096
LIMIT_KB=8192
info() { echo "    $1"; }

# Three lines a SYN, three million in the flood: its console goes to /dev/null.
start_quiet /dev/null discardall2 || finish
rss0=$(memory_kb VmRSS) hwm0=$(memory_kb VmHWM)
info "discardall2 before the flood: VmRSS $rss0 kB, VmHWM $hwm0 kB"

start=$(now_ms)
timeout 120 "$TOOLS/synflood" -n "$COUNT" tun0 > "$T_DIR/flood.out" 2>&1
flood_rc=$?
took=$(( $(now_ms) - start ))
flood=$(cat "$T_DIR/flood.out")
info "$flood"
sent=$(sed -n 's/.*sent \([0-9]*\) SYNs.*/\1/p' <<<"$flood")
answered=$(sed -n 's/.* \([0-9]*\) answered.*/\1/p' <<<"$flood")
reset=$(sed -n 's/.* \([0-9]*\) with RST.*/\1/p' <<<"$flood")
if [ "$flood_rc" = 0 ] && [ "${sent:-0}" = "$COUNT" ] && [ "${answered:-0}" = "$TABLE" ] &&
   [ "${reset:-0}" = $((COUNT - TABLE)) ]; then
  pass "discardall2_flood: $COUNT SYNs from random sources in $took ms: $TABLE got a SYN+ACK (the table's size), the other $reset a RST"
else
  fail "discardall2_flood: the flood" "synflood exited $flood_rc: $flood"
fi

rss1=$(memory_kb VmRSS) hwm1=$(memory_kb VmHWM)
info "discardall2 after the flood: VmRSS $rss1 kB, VmHWM $hwm1 kB (before: $rss0 kB, $hwm0 kB)"
peak_within discardall2_flood "$hwm0" "$LIMIT_KB" "after $COUNT SYNs"
check "discardall2_flood: discardall2 still runs after the flood" "it exited" kill -0 "$PROG_PID"
stop_prog

# --delay 1000 under 5000 SYNs, 4096 in flight: the queue of held ACKs fills.
start_quiet "$T_DIR/delay.out" discardall2 --delay 1000 || finish
hwm0=$(memory_kb VmHWM)
timeout 60 "$TOOLS/synflood" -n 5000 -w 4096 tun0 > "$T_DIR/flood.out" 2>&1
info "$(cat "$T_DIR/flood.out")"
hwm1=$(memory_kb VmHWM)
limit_lines=$(grep -c '^delay: 1024 segments held already, the limit: this one is lost$' "$T_DIR/delay.out")
check "discardall2_flood: --delay 1000 holds at most 1024 ACKs: $limit_lines answers lost and said so; peak RSS grew $((hwm1 - hwm0)) kB (VmHWM $hwm0 -> $hwm1 kB)" \
  "$limit_lines limit lines, VmHWM $hwm0 -> $hwm1 kB" \
  sh -c "[ '$limit_lines' -ge 1 ] && [ $((hwm1 - hwm0)) -le $LIMIT_KB ] && kill -0 $PROG_PID"
finish
