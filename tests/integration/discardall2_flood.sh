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
memory() { grep -E '^(VmRSS|VmHWM):' "/proc/$PROG_PID/status" > "$T_DIR/memory"; }
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "$T_DIR/memory"; }

# Three lines a SYN, three million in the flood: its console goes to
# /dev/null; tun0 with its address says it is ready.
"$FAKETCP_BIN/discardall2" > /dev/null &
PROG_PID=$!
T_PIDS+=("$PROG_PID")
tun0_ready() { ip -4 addr show dev tun0 2>/dev/null | grep -q 'inet 192\.168\.0\.1/24'; }
if ! wait_for 15 tun0_ready; then
  fail "discardall2_flood: start" "tun0 has no address 15 s after discardall2 started"
  finish
fi
memory
rss0=$(status_kb VmRSS) hwm0=$(status_kb VmHWM)
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

memory
rss1=$(status_kb VmRSS) hwm1=$(status_kb VmHWM)
info "discardall2 after the flood: VmRSS $rss1 kB, VmHWM $hwm1 kB (before: $rss0 kB, $hwm0 kB)"
case $FAKETCP_BIN in
  */build/san*) info "a sanitizer build (AddressSanitizer's shadow memory): the $LIMIT_KB kB bound is not checked" ;;
  *)
    if [ -n "$hwm1" ] && [ -n "$hwm0" ] && [ $((hwm1 - hwm0)) -le "$LIMIT_KB" ]; then
      pass "discardall2_flood: peak RSS grew $((hwm1 - hwm0)) kB <= $LIMIT_KB kB after $COUNT SYNs (VmHWM $hwm0 -> $hwm1 kB)"
    else
      fail "discardall2_flood: peak RSS" "VmHWM ${hwm0:-?} -> ${hwm1:-?} kB: grew more than $LIMIT_KB kB"
    fi ;;
esac
check "discardall2_flood: discardall2 still runs after the flood" "it exited" kill -0 "$PROG_PID"
stop "$PROG_PID"
wait_for 5 sh -c '! ip link show tun0 2>/dev/null | grep -q .'

# --delay 1000 under 5000 SYNs, 4096 in flight: the queue of held ACKs fills.
"$FAKETCP_BIN/discardall2" --delay 1000 > "$T_DIR/delay.out" &
PROG_PID=$!
T_PIDS+=("$PROG_PID")
if ! wait_for 15 tun0_ready; then
  fail "discardall2_flood: start --delay 1000" "tun0 has no address 15 s after discardall2 started"
  finish
fi
memory
hwm0=$(status_kb VmHWM)
timeout 60 "$TOOLS/synflood" -n 5000 -w 4096 tun0 > "$T_DIR/flood.out" 2>&1
info "$(cat "$T_DIR/flood.out")"
memory
hwm1=$(status_kb VmHWM)
limit_lines=$(grep -c '^delay: 1024 segments held already, the limit: this one is lost$' "$T_DIR/delay.out")
check "discardall2_flood: --delay 1000 holds at most 1024 ACKs: $limit_lines answers lost and said so; peak RSS grew $((hwm1 - hwm0)) kB (VmHWM $hwm0 -> $hwm1 kB)" \
  "$limit_lines limit lines, VmHWM $hwm0 -> $hwm1 kB" \
  sh -c "[ '$limit_lines' -ge 1 ] && [ $((hwm1 - hwm0)) -le $LIMIT_KB ] && kill -0 $PROG_PID"
finish
