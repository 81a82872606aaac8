#!/usr/bin/env bash
# Step 2 against the real kernel: every connection to 192.168.0.X is refused
# at once (our RST+ACK, not a timeout), and pings are still answered.
. "$(dirname "$0")/lib.sh"
require_root rejectall
enter_netns 60 "$@"

plan 13   # PASS or FAIL lines in a full run (lib.sh: check-lab counts every check)
start_prog rejectall --pcap "$T_DIR/rejectall.pcap" || finish
check "rejectall: prints 'allocated tunnel interface tun0'" "first line is: $(head -n 1 "$PROG_LOG")" \
  grep -qx 'allocated tunnel interface tun0' "$PROG_LOG"

# The article's three, and two more.  A refusal takes a round trip through
# our program, a millisecond: 1 s is a generous bound, and nc waits no
# longer than that (-w 1), so a SYN left unanswered (a skeleton's) costs
# 1 s a check, not 3.
# The five run at once, each timing itself; then each is judged in order.
pairs=("192.168.0.2 2000" "192.168.0.2 3333" "192.168.0.7 5555" "192.168.0.254 1" "192.168.0.99 65535")
ncs=()
for pair in "${pairs[@]}"; do
  set -- $pair
  ( t0=$(now_ms)
    timeout 5 nc -n -v -w 1 "$1" "$2" </dev/null >"$T_DIR/nc-$1-$2" 2>&1
    echo "$? $(( $(now_ms) - t0 ))" >"$T_DIR/nc-$1-$2.rc" ) &
  ncs+=($!)
done
wait "${ncs[@]}"
for pair in "${pairs[@]}"; do
  set -- $pair
  out=$T_DIR/nc-$1-$2
  read -r rc ms <"$out.rc"
  name="rejectall: nc $1 $2 is refused"
  if [ "$rc" -eq 0 ]; then
    fail "$name" "nc connected" "$out"
  elif ! grep -q 'Connection refused' "$out"; then
    fail "$name" "nc exited $rc without 'Connection refused' after $ms ms" "$out"
  elif [ "$ms" -ge 1000 ]; then
    fail "$name" "refused only after $ms ms (bound 1000 ms): a timeout, not our RST?" "$out"
  else
    pass "$name (Connection refused, under 1 s)"
  fi
  # The console shows the SYN as tcpdump would; the pcap shows our RST+ACK,
  # which acknowledges the SYN: ack = its seq + 1 (RFC 793, "Reset Generation").
  syn=$(grep -E "^IP 192\.168\.0\.1\.[0-9]+ > ${1//./\\.}\.$2: Flags \[S\], seq [0-9]+," "$PROG_LOG" | head -n 1)
  if [ -z "$syn" ]; then
    fail "rejectall: console shows the SYN to $1.$2" "no 'IP 192.168.0.1.PORT > $1.$2: Flags [S], seq N' line" "$PROG_LOG"
    continue
  fi
  sport=$(sed -E 's/^IP 192\.168\.0\.1\.([0-9]+) .*/\1/' <<<"$syn")
  seq=$(sed -E 's/.*Flags \[S\], seq ([0-9]+),.*/\1/' <<<"$syn")
  tcpdump -n -S -r "$T_DIR/rejectall.pcap" "tcp port $sport" 2>/dev/null >"$T_DIR/rst.txt"
  if grep -qE "IP ${1//./\\.}\.$2 > 192\.168\.0\.1\.$sport: Flags \[R\.\], seq 0, ack $((seq + 1)), " "$T_DIR/rst.txt"; then
    pass "rejectall: console shows the SYN from port $sport, --pcap our RST+ACK acking seq+1"
  else
    fail "rejectall: --pcap shows our RST+ACK to $sport, ack $((seq + 1))" "not in the capture" "$T_DIR/rst.txt"
  fi
done

check "rejectall: ping 192.168.0.2 still answered" "no reply" timeout 5 ping -n -c 1 -W 2 192.168.0.2
check "rejectall: prints the 'ICMP echo request' line" "missing" \
  grep -qE '^192\.168\.0\.1 > 192\.168\.0\.2: ICMP echo request' "$PROG_LOG"
finish
