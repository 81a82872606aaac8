#!/usr/bin/env bash
# tests/integration/discardall2.sh: discardall2 against the real Linux sender
# (issue 28), in a private network namespace of its own: the experiments of
# docs/discardall2.md, asserted from tcpdump's capture of tun0 and from ss.
#
#   1. ./discardall2 --drop 3     the third data segment (relative seq
#      1073:1609) is lost once: at least three duplicate ACKs of 1073, then
#      the kernel sends it again (fast retransmit, RFC 5681 3.2) sooner than
#      any retransmission timeout could fire (RFC 6298 2.4 and Linux's
#      TCP_RTO_MIN: never below 200 ms).
#   2. ./discardall2 --drop 3x4   lost four times: the fast retransmission,
#      then the timer's, each at least 1.6 times later than the one before
#      (RFC 6298 5.5: "back off the timer", double it).
#   3. ./discardall2 --loss 5 --seed 42: every lost segment sent again.
#   4. ./discardall2 --zero-window 10360,3000: once 10,360 bytes came the
#      window is 0 for 3 s.  The kernel sends nothing but zero-window probes
#      (RFC 9293 3.8.6.1), each answered with win 0, each at least 1.6 times
#      later than the one before (its persist timer backs off as the
#      retransmission timer does); then our window update, and the rest.
#   --delay 50 --kernel-state: the kernel's rtt is at least the 50 ms.
# All: every byte sent is acknowledged at the end (ss -ti bytes_acked), and
# ss -ti counts the retransmissions.  The bounds are the kernel's own timers,
# with margins: no other timing is asserted.
set -u
. "$(dirname "$0")/lib.sh"

# A bad --drop is refused naming the option and its range, exit status 2
# (no root needed: it never gets as far as the tun device).
# refused OPTION VALUE RANGES: discardall2 OPTION VALUE exits 2, saying
# "OPTION VALUE: expected" and then RANGES (a grep pattern).
refused() {
  "$FAKETCP_BIN/discardall2" "$1" "$2" > /dev/null 2> /tmp/discardall2-opt.$$
  local rc=$?
  if [ "$rc" = 2 ] && grep -q -- "$1 $2: expected .*$3" /tmp/discardall2-opt.$$; then
    pass "discardall2: $1 $2 refused with exit status 2, naming $1 and its range"
  else
    fail "discardall2: $1 $2 refused" "exit status $rc, said: $(head -n 1 /tmp/discardall2-opt.$$)"
  fi
  rm -f /tmp/discardall2-opt.$$
}
if [ "${FAKETCP_IN_NETNS:-}" != 1 ] && [ -x "$FAKETCP_BIN/discardall2" ]; then
  for bad in 0 3x0 3x11 x 1000001 3x4x5; do refused --drop "$bad" '1\.\.1000000.*1\.\.10'; done
  for bad in -1 10001 5ms; do refused --delay "$bad" '0\.\.10000'; done
  for bad in 5 0,5 5,0 5,60001 1000000001,5 5,6,7; do
    refused --zero-window "$bad" 'BYTES,MS.*1\.\.1000000000.*1\.\.60000'
  done
fi

require_root discardall2
require_tools discardall2 nc tcpdump ss timeout awk
require_built discardall2 "$FAKETCP_BIN/discardall2"
enter_netns 120 "$@"
plan 24   # PASS or FAIL lines inside the namespace in a full run (lib.sh: check-lab counts every check)

# The sender's congestion control, in this namespace alone: reno, RFC 5681's
# own, whose ssthresh a loss sets to half the flight.  The default here may
# be bbr, which keeps no ssthresh; cubic is not in the host's
# tcp_allowed_congestion_control, which a namespace cannot change, and reno
# always is (docs/discardall2.md).
netns_sysctl discardall2 net.ipv4.tcp_congestion_control=reno || finish
# Keep the connection's metrics out of it: a second connection to the same
# address would otherwise start from the first one's ssthresh and RTT.
netns_sysctl discardall2 net.ipv4.tcp_no_metrics_save=1 || finish

peer=192.168.0.2:2000
bytes=20000
acked() { ss -Htni dst "$peer" | grep -oE 'bytes_acked:[0-9]+' | head -n 1 | cut -d: -f2; }
all_acked() { [ "$(acked)" = $((bytes + 1)) ]; }

# run_experiment NAME ARGS...: discardall2 ARGS, $bytes bytes from nc;
# leaves the capture as tcpdump text in $T_DIR/NAME.txt (-tt: seconds) and
# ss -ti's line in $T_DIR/NAME.ss, taken once every byte was acknowledged.
run_experiment() {
  local name=$1
  shift
  start_prog discardall2 "$@" || return 1
  start_tcpdump "$T_DIR/$name.pcap" || { fail "$name: tcpdump" "not listening" "$T_DIR/tcpdump.err"; return 1; }
  rm -f "$T_DIR/client-192.168.0.2-2000"  # the fifo of the experiment before
  open_client 192.168.0.2 2000
  if ! wait_for 15 is_estab "$peer"; then
    fail "$name: nc 192.168.0.2 2000 is established" "ss -tn: '$(ss -Htn dst "$peer")'" "$PROG_LOG"
    return 1
  fi
  timeout 10 head -c "$bytes" /dev/zero >&"$CLIENT_FD"
  # The four-loss case waits 0.2 + 0.4 + 0.8 s of timers, and more on a busy machine.
  if wait_for 20 all_acked; then
    pass "$name: every byte acknowledged (ss -ti: bytes_acked:$(acked), $bytes sent + the SYN)"
  else
    fail "$name: every byte acknowledged" "ss -ti: bytes_acked:$(acked), expected $((bytes + 1))" "$PROG_LOG"
  fi
  ss -Htni dst "$peer" | tr -s ' \t' ' ' > "$T_DIR/$name.ss"
  echo "# $name: ss -ti: $(cat "$T_DIR/$name.ss")"
  close_client
  wait_for 15 not_running "$CLIENT_PID" || fail "$name: nc closes" "still running: '$(ss -Htn dst "$peer")'" "$PROG_LOG"
  stop_tcpdump
  stop_prog
  tcpdump -n -tt -r "$T_DIR/$name.pcap" 2> /dev/null > "$T_DIR/$name.txt"
}

# times SEQ FILE: the time (ms, from the first packet) of every transmission
# of the data segment with relative sequence numbers SEQ ("1073:1609").
times() {
  awk -v s="seq $1," '
    NR == 1 { t0 = $1 }
    index($0, "> 192.168.0.2.2000: ") && index($0, s) { printf "%.3f\n", ($1 - t0) * 1000 }' "$2"
}

# dupacks_before ACK MS FILE: our ACKs of ACK sent before MS, less the first
# (which was new): the duplicate ACKs the sender had seen.
dupacks_before() {
  awk -v a="ack $1," -v ms="$2" '
    NR == 1 { t0 = $1 }
    index($0, "192.168.0.2.2000 > ") && index($0, a) && ($1 - t0) * 1000 < ms { n++ }
    END { print (n > 0 ? n - 1 : 0) }' "$3"
}

# ---------------------------------------------------------------- 1. one loss
if run_experiment drop3 --drop 3; then
  mapfile -t t < <(times 1073:1609 "$T_DIR/drop3.txt")
  if [ "${#t[@]}" = 2 ]; then
    d=$(dupacks_before 1073 "${t[1]}" "$T_DIR/drop3.txt")
    gap=$(awk -v a="${t[0]}" -v b="${t[1]}" 'BEGIN { printf "%.3f", b - a }')
    check "drop3: at least 3 duplicate ACKs of 1073 before the retransmission (saw $d)" \
      "only $d" test "$d" -ge 3
    check "drop3: the fast retransmission came $gap ms after the first, before any RTO (200 ms) could fire" \
      "$gap ms" awk -v g="$gap" 'BEGIN { exit !(g < 200) }'
  else
    fail "drop3: seq 1073:1609 sent twice" "sent ${#t[@]} times: ${t[*]} ms" "$T_DIR/drop3.txt"
  fi
  retrans=$(grep -oE 'retrans:[0-9]+/[0-9]+' "$T_DIR/drop3.ss")
  check "drop3: ss -ti counts one retransmission ($retrans; $(grep -oE ' (cwnd|ssthresh):[0-9]+' "$T_DIR/drop3.ss" | tr '\n' ' '))" \
    "ss -ti: $(cat "$T_DIR/drop3.ss")" test "${retrans#*/}" = 1
  check "drop3: discardall2 printed its decisions (drop, packet loss, duplicate ACK 3, hole filled)" \
    "missing in its output" sh -c "grep -q '^drop (--drop 3x1): transmission 1 of 1' '$PROG_LOG' &&
      grep -q '^packet loss, rcv_nxt = ' '$PROG_LOG' && grep -q '^duplicate ACK 3, ack = ' '$PROG_LOG' &&
      grep -q '^hole filled, ack jumps from ' '$PROG_LOG'"
fi

  # The ladder of the same capture (scripts/ladder) marks what tcpdump does not say.
  "$FAKETCP_ROOT/scripts/ladder" --count 1000 "$T_DIR/drop3.pcap" > "$T_DIR/drop3.ladder" 2>&1
  check "drop3: scripts/ladder draws the loss: 'dup ACK 3', then seq 1073:1609 marked '(retransmission)'" \
    "its ladder: $(grep -m 3 -E 'dup ACK|retransmission' "$T_DIR/drop3.ladder" | tr -s ' ')" \
    sh -c "grep -A 20 'ack 1073 win 5000 (dup ACK 3)' '$T_DIR/drop3.ladder' | grep -q 'seq 1073:1609 .*(retransmission)'"
  "$FAKETCP_ROOT/scripts/ladder" --mermaid --count 1000 "$T_DIR/drop3.pcap" > "$T_DIR/drop3.mmd" 2>&1
  check "drop3: scripts/ladder --mermaid writes a sequenceDiagram, one arrow a packet" \
    "$(head -n 3 "$T_DIR/drop3.mmd")" \
    sh -c "grep -qx sequenceDiagram '$T_DIR/drop3.mmd' && [ \$(grep -cE '^    [AB]->>[AB]: ' '$T_DIR/drop3.mmd') = \$(grep -c . '$T_DIR/drop3.txt') ]"

# ---------------------------------------------------------------- 2. the timer backs off
if run_experiment drop3x4 --drop 3x4; then
  mapfile -t t < <(times 1073:1609 "$T_DIR/drop3x4.txt")
  if [ "${#t[@]}" = 5 ]; then
    gaps=$(awk -v a="${t[*]}" 'BEGIN { n = split(a, t, " "); for (i = 2; i <= n; i++) printf "%.1f ", t[i] - t[i-1] }')
    read -r g1 g2 g3 g4 <<< "$gaps"
    check "drop3x4: the first retransmission is the fast one, $g1 ms after the first" \
      "$g1 ms" awk -v g="$g1" 'BEGIN { exit !(g < 200) }'
    check "drop3x4: the timer's retransmissions come $g2, $g3, $g4 ms apart, each >= 1.6 x the one before" \
      "gaps $gaps ms" awk -v a="$g2" -v b="$g3" -v c="$g4" 'BEGIN { exit !(a >= 200 * 0.9 && b >= 1.6 * a && c >= 1.6 * b) }'
  else
    fail "drop3x4: seq 1073:1609 sent five times" "sent ${#t[@]} times: ${t[*]} ms" "$T_DIR/drop3x4.txt"
  fi
  retrans=$(grep -oE 'retrans:[0-9]+/[0-9]+' "$T_DIR/drop3x4.ss")
  check "drop3x4: ss -ti counts four retransmissions ($retrans; $(grep -oE ' (cwnd|ssthresh):[0-9]+' "$T_DIR/drop3x4.ss" | tr '\n' ' '))" \
    "ss -ti: $(cat "$T_DIR/drop3x4.ss")" test "${retrans#*/}" = 4
fi

# ---------------------------------------------------------------- --kernel-state
# The sender's socket as sock_diag reports it, after each segment's line: its
# cwnd and ssthresh before the loss and after the fast retransmission; and
# asking costs so little that the fast retransmission still comes first.
if run_experiment state --drop 3 --kernel-state; then
  kernel_lines=$(grep -c '^kernel: ' "$PROG_LOG")  # a full line, or why not (TIME-WAIT has no tcp_info)
  segment_lines=$(grep -c '^IP 192\.168\.0\.1\.[0-9]* > 192\.168\.0\.2\.2000: ' "$PROG_LOG")
  full_lines=$(grep -c '^kernel: state [A-Z0-9-]*, cwnd [0-9]*, ssthresh [0-9a-z]*, rto [0-9]* ms, rtt [0-9.]* ms, unacked [0-9]*, retrans [0-9]*$' "$PROG_LOG")
  check "state: --kernel-state printed one kernel line per segment line ($kernel_lines for $segment_lines, $full_lines with cwnd and ssthresh; the others: $(grep '^kernel: ' "$PROG_LOG" | grep -v ', cwnd ' | sort | uniq -c | tr -s ' ' | tr '\n' ';'))" \
    "$kernel_lines kernel lines for $segment_lines segments" test "$kernel_lines" = "$segment_lines"
  before=$(grep -B 3 '^drop (--drop 3x1)' "$PROG_LOG" | grep '^kernel: ' | tail -n 1)
  after=$(grep -A 1 '^IP .*, seq [0-9]*, ack 123457, win [0-9]*, length 536$' "$PROG_LOG" | grep '^kernel: .*retrans 1$' | head -n 1)
  check "state: before the loss '${before#kernel: }'; after the fast retransmission '${after#kernel: }'" \
    "no such lines" sh -c "echo '$before' | grep -q 'ssthresh unset' && echo '$after' | grep -qE 'ssthresh [0-9]+,'"
  mapfile -t t < <(times 1073:1609 "$T_DIR/state.txt")
  gap=$(awk -v a="${t[0]:-0}" -v b="${t[1]:-999999}" 'BEGIN { printf "%.3f", b - a }')
  check "state: with a sock_diag request per segment the retransmission is still the fast one ($gap ms)" \
    "${#t[@]} transmissions, ${t[*]} ms" awk -v g="$gap" 'BEGIN { exit !(g < 200) }'
fi

# ---------------------------------------------------------------- 3. random loss
# --loss 5 --seed 42 over 100,000 bytes: every byte still acknowledged, and
# each segment it lost was sent again.  The time is printed, not asserted.
bytes=100000
if run_experiment loss5 --loss 5 --seed 42; then
  drops=$(grep -c '^drop (--loss 5): seq ' "$PROG_LOG")
  retrans=$(grep -oE 'retrans:[0-9]+/[0-9]+' "$T_DIR/loss5.ss")
  check "loss5: --loss 5 --seed 42 lost $drops of the segments, and the kernel retransmitted ${retrans#*/} ($(grep -oE ' (cwnd|ssthresh|busy):[0-9a-z]+' "$T_DIR/loss5.ss" | tr '\n' ' '))" \
    "ss -ti: $(cat "$T_DIR/loss5.ss")" sh -c "[ '$drops' -ge 1 ] && [ '${retrans#*/}' -ge '$drops' ]"
fi

# ---------------------------------------------------------------- 4. a zero window
# 10360 = 5000 + 10 x 536: the first flight ends at our first window's edge
# (5001), then whole segments reach the edge, and none is split to fit it.
bytes=20000
if run_experiment zero --zero-window 10360,3000; then
  # zero_window FILE: one line per packet from our win 0 ACK to our window
  # update: "ms KIND", KIND close (our first win 0), probe (the kernel's bare
  # segment), answer (our win 0 to it), data (a data segment: none is due),
  # open (our win 5000).
  awk '
    NR == 1 { t0 = $1 }
    { ms = sprintf("%.3f", ($1 - t0) * 1000) }
    index($0, "192.168.0.2.2000 > ") && index($0, ", win 0,") { print ms, (closed ? "answer" : "close"); closed = 1; next }
    !closed { next }
    index($0, "192.168.0.2.2000 > ") && index($0, ", win 5000,") { print ms, "open"; exit }
    index($0, "> 192.168.0.2.2000: ") && / length 0$/ { print ms, "probe"; next }
    index($0, "> 192.168.0.2.2000: ") { print ms, "data" }' "$T_DIR/zero.txt" > "$T_DIR/zero.events"
  close_ms=$(awk '$2 == "close" { print $1 }' "$T_DIR/zero.events")
  open_ms=$(awk '$2 == "open" { print $1 }' "$T_DIR/zero.events")
  mapfile -t probes < <(awk '$2 == "probe" { print $1 }' "$T_DIR/zero.events")
  answers=$(grep -c ' answer$' "$T_DIR/zero.events")
  data=$(grep -c ' data$' "$T_DIR/zero.events")
  # The spacing: the close to the first probe, then probe to probe.
  gaps=$(awk -v c="${close_ms:-0}" -v a="${probes[*]}" 'BEGIN { n = split(a, t, " "); p = c; for (i = 1; i <= n; i++) { printf "%.1f ", t[i] - p; p = t[i] } }')
  echo "# zero: window 0 at $close_ms ms, probes at ${probes[*]} ms (gaps $gaps ms), open at $open_ms ms"
  check "zero: the window closed, then opened again $(awk -v a="${open_ms:-0}" -v b="${close_ms:-0}" 'BEGIN { printf "%.0f", a - b }') ms later (--zero-window 10360,3000)" \
    "close at '${close_ms}', open at '${open_ms}' ms" \
    awk -v a="${open_ms:-0}" -v b="${close_ms:-x}" 'BEGIN { exit !(b != "x" && a - b >= 2990) }'
  check "zero: while the window was 0 the kernel sent ${#probes[@]} zero-window probes and no data ($data), each answered with win 0 ($answers)" \
    "$(tr '\n' ' ' < "$T_DIR/zero.events")" \
    sh -c "[ '${#probes[@]}' -ge 3 ] && [ '$data' = 0 ] && [ '$answers' = '${#probes[@]}' ]"
  check "zero: the probes' spacing grows, $gaps ms, each >= 1.6 x the one before (the persist timer backs off)" \
    "gaps $gaps ms" awk -v a="$gaps" 'BEGIN { n = split(a, g, " "); ok = n >= 3; for (i = 2; i <= n; i++) ok = ok && g[i] >= 1.6 * g[i-1]; exit !ok }'
  check "zero: discardall2 said so: its probe lines have seq = rcv_nxt - 1 (Linux's probe)" \
    "$(grep -m 1 '^zero window probe' "$PROG_LOG")" \
    sh -c "grep -q '^zero window: 10360 bytes received, the window is 0 for 3000 ms$' '$PROG_LOG' &&
      [ \$(grep -c '^zero window probe, ' '$PROG_LOG') = '${#probes[@]}' ] &&
      grep '^zero window probe, ' '$PROG_LOG' | awk -F'[ ,=]+' '{ if (\$7 != \$5 - 1) bad = 1 } END { exit bad }'"
fi

# ---------------------------------------------------------------- --delay
# Each ACK held 50 ms: the kernel measures an RTT of at least that.
if run_experiment delay --delay 50 --kernel-state; then
  rtt=$(grep -oE 'rtt [0-9.]+ ms' "$PROG_LOG" | tail -n 1 | cut -d' ' -f2)
  rto=$(grep -oE 'rto [0-9]+ ms' "$PROG_LOG" | tail -n 1 | cut -d' ' -f2)
  synack=$(awk 'NR == 1 { t0 = $1 } / Flags \[S\.\]/ { printf "%.1f", ($1 - t0) * 1000; exit }' "$T_DIR/delay.txt")
  check "delay: --delay 50: the SYN+ACK left $synack ms after the SYN; the kernel's rtt is $rtt ms (>= 50), its rto $rto ms" \
    "rtt '$rtt', SYN+ACK after '$synack' ms" \
    awk -v r="${rtt:-0}" -v s="${synack:-0}" 'BEGIN { exit !(r >= 50 && s >= 50) }'
fi

finish
