#!/usr/bin/env bash
# The resent SYN's timers as figures, in both of step 5's modes: connectmany
# (one handshake at a time) and connectmany_window -w 2 (two in flight).
# Each connects to 192.168.0.5, an address of the tunnel's network that is
# not the kernel's: the kernel drops the SYNs (no forwarding in a fresh
# namespace) and never answers, so every SYN is sent 1 + 6 times, its waits
# -r 40 ms, 80, 160, ... (RFC 6298 section 5.5: "back off the timer", each
# wait twice the one before), and the program gives up after the last.
#
# From the program's own --pcap capture (the timestamps of its SYNs, grouped
# by source port) and from what it prints, it checks:
#   - the number of SYNs of each handshake is what the message says ("a SYN
#     sent 7 times");
#   - each wait is twice the one before, within SLACK_MS (+ 25 %), and none is
#     shorter than -r times 2^k says (a SYN is never resent early; 3 ms for
#     the programs' millisecond clock: -w's first wait shows 39.3 ms for 40);
#   - the message's total ("in 5.1 s") is the sum of those waits, the last
#     one (after the last SYN) measured by the "established 0 of N ... in T s"
#     line, never shorter, longer at most by SLACK_MS.
# Nothing is timed as a speed: the bounds are generous, and the figures are
# printed (# lines) for the reader.
#
#   tests/integration/connectmany_timers.sh
. "$(dirname "$0")/lib.sh"
require_root "connectmany timers" "connectmany_window -w timers"
require_tools "connectmany timers" tcpdump awk
enter_netns 120 "$@"

RTO=40         # -r: the first wait, ms
SLACK_MS=150   # how late a wait may be (a loaded machine), beyond 25 % of it

# waits FILE: one line per handshake: "PORT T0 W1 W2 ...", the SYNs' times
# in ms since the first SYN of the file, T0 the handshake's first, then the
# waits between its SYNs.
waits() {
  tcpdump -tt -nn -r "$1" 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0' 2>/dev/null |
    awk '{ split($3, a, "."); port = a[5]; t = $1 * 1000
           if (first == "") first = t
           if (!(port in last)) { order[++n] = port; line[port] = port " " sprintf("%.1f", t - first) }
           else line[port] = line[port] " " sprintf("%.1f", t - last[port])
           last[port] = t }
         END { for (i = 1; i <= n; i++) print line[order[i]] }'
}

# check_mode NAME PCAP LOG HANDSHAKES: the checks above for one run.
check_mode() {
  local name=$1 pcap=$2 log=$3 handshakes=$4
  local times total resent t
  times=$(grep -oE 'a SYN sent [0-9]+ times in [0-9.]+ s' "$log" | awk '{ print $4 }')
  total=$(grep -oE 'a SYN sent [0-9]+ times in [0-9.]+ s' "$log" | awk '{ print $7 }')
  t=$(grep -oE '^established 0 of [0-9]+ connections in [0-9.]+ s' "$log" | awk '{ print $7 }')
  resent=$(grep -oE '^resent [0-9]+ SYNs' "$log" | awk '{ print $2 }')
  if [ -z "$times" ] || [ -z "$total" ] || [ -z "$t" ] || [ -z "$resent" ]; then
    fail "$name" "no give-up message, 'established 0 of' or 'resent' line" "$log"
    return
  fi
  local table
  table=$(waits "$pcap")
  echo "# $name: SYN times per source port, ms (port, first SYN, then each wait):"
  sed 's/^/#   /' <<<"$table"
  echo "# $name: the message says 'a SYN sent $times times in $total s'; 'established 0 ... in $t s'; 'resent $resent SYNs'"
  check "$name: $handshakes handshake(s) in the capture" "$(wc -l <<<"$table") handshakes" \
    test "$(wc -l <<<"$table")" -eq "$handshakes"
  check "$name: each handshake's SYN sent $times times, as the message says; resent $resent = $handshakes x $((times - 1))" \
    "SYNs per handshake: $(awk '{ printf "%d ", NF - 1 }' <<<"$table")" \
    awk -v n="$times" -v r="$resent" -v h="$handshakes" '{ if (NF - 1 != n) exit 1 } END { exit (r != h * (n - 1)) }' <<<"$table"
  # Each wait twice the one before; none shorter than RTO * 2^k.
  local why
  why=$(awk -v rto="$RTO" -v slack="$SLACK_MS" '{
          for (k = 3; k <= NF; k++) {
            w = $k; want = rto * 2 ^ (k - 3)
            if (w < want - 3) printf "port %s: wait %d is %.1f ms, shorter than -r %d x 2^%d = %d ms; ", $1, k - 2, w, rto, k - 3, want
            if (w > want * 1.25 + slack) printf "port %s: wait %d is %.1f ms, far beyond %d ms; ", $1, k - 2, w, want
            if (k > 3) { prev = $(k - 1)
              if (w < 2 * prev - slack - 0.25 * w || w > 2 * prev + slack + 0.25 * w)
                printf "port %s: wait %d is %.1f ms, not twice the one before (%.1f ms); ", $1, k - 2, w, prev }
          } }' <<<"$table")
  check "$name: each wait twice the one before, from $RTO ms, none early" "$why" test -z "$why"
  # The total: the sum of the series the message states, and what was measured.
  local series
  series=$(awk -v rto="$RTO" -v n="$times" 'BEGIN { s = 0; for (k = 0; k < n; k++) s += rto * 2 ^ k; printf "%.1f", s / 1000 }')
  check "$name: the message's total $total s is -r $RTO x (1 + 2 + ... + 2^$((times - 1))) = $series s" \
    "the series sums to $series s" test "$total" = "$series"
  # Measured: the last handshake's SYNs (from the first SYN of all), then its
  # last wait, which ends when the program gives up and prints its summary.
  why=$(awk -v t="$t" -v total="$total" -v rto="$RTO" -v n="$times" -v slack="$SLACK_MS" '
          { s = $2; for (k = 3; k <= NF; k++) s += $k; if (s > last) last = s }
          END { lastwait = t * 1000 - last; want = rto * 2 ^ (n - 1)
                if (lastwait < want - 3) printf "the last wait was %.1f ms, shorter than %d ms", lastwait, want
                else if (t * 1000 < total * 1000 - 50) printf "gave up after %.3f s, before the %s s the message says", t, total
                else if (t * 1000 > total * 1000 + 50 + slack + 0.25 * total * 1000) printf "gave up after %.3f s, long after the %s s the message says", t, total }' <<<"$table")
  awk -v t="$t" -v rto="$RTO" -v n="$times" '{ s = $2; for (k = 3; k <= NF; k++) s += $k; if (s > last) last = s }
       END { printf "# %s: last SYN at %.1f ms, then %.1f ms until it gave up (the series says %d); total %.3f s\n", "'"$name"'", last, t * 1000 - last, rto * 2 ^ (n - 1), t }' <<<"$table"
  check "$name: gave up $t s after its first SYN, the message's $total s (the last wait measured from the capture)" \
    "$why" test -z "$why"
}

# One handshake at a time.
name="connectmany timers"
start_prog connectmany --pcap "$T_DIR/one.pcap" -r "$RTO" 192.168.0.5 2007 1 || finish
if wait_for 30 grep -q '^resent ' "$PROG_LOG"; then
  check_mode "$name" "$T_DIR/one.pcap" "$PROG_LOG" 1
else
  fail "$name" "no 'resent N SYNs' line within 30 s" "$PROG_LOG"
fi
stop "$PROG_PID"

# Two in flight.
name="connectmany_window -w timers"
start_prog connectmany_window --pcap "$T_DIR/window.pcap" -r "$RTO" -w 2 192.168.0.5 2007 2 || finish
if wait_for 30 grep -q '^resent ' "$PROG_LOG"; then
  check_mode "$name" "$T_DIR/window.pcap" "$PROG_LOG" 2
else
  fail "$name" "no 'resent N SYNs' line within 30 s" "$PROG_LOG"
fi
stop "$PROG_PID"
finish
