#!/usr/bin/env bash
# Step 1 against the real kernel: icmpecho answers every ping to 192.168.0.X,
# of every size, with checksums tcpdump finds right, and prints one
# "ICMP echo request" line per request.
. "$(dirname "$0")/lib.sh"
require_root icmpecho
enter_netns 90 "$@"

plan 8   # PASS or FAIL lines in a full run (lib.sh: check-lab counts every check)
start_prog icmpecho || finish
check "icmpecho: prints 'allocated tunnel interface tun0'" "first line is: $(head -n 1 "$PROG_LOG")" \
  grep -qx 'allocated tunnel interface tun0' "$PROG_LOG"
start_tcpdump "$T_DIR/tun0.pcap" icmp || fail "icmpecho: tcpdump" "did not start" "$T_DIR/tcpdump.err"

addrs=(192.168.0.2 192.168.0.3 192.168.0.100 192.168.0.254)
sizes=(0 1 57 1472)
for addr in "${addrs[@]}"; do
  answered=0 missing=
  for size in "${sizes[@]}"; do
    out=$T_DIR/ping-$addr-$size
    # ping checks the echoed data itself: it warns on "wrong data byte",
    # "BAD CHECKSUM" and duplicates.
    if timeout 5 ping -n -c 1 -W 2 -s "$size" "$addr" >"$out" 2>&1 \
       && grep -q ' 0% packet loss' "$out" && ! grep -qE 'wrong data|BAD CHECKSUM|DUP!' "$out"; then
      answered=$((answered + 1))
    else
      missing+=" -s $size ($(grep -E 'loss|wrong|BAD|DUP' "$out" | head -n 1))"
    fi
  done
  if [ "$answered" -eq "${#sizes[@]}" ]; then
    pass "icmpecho: ping $addr with -s ${sizes[*]}: every reply arrived intact"
  else
    fail "icmpecho: ping $addr" "no good reply for$missing" "$PROG_LOG"
  fi
done

# The console: per request, "read N bytes from tunnel interface tun0." with
# N = 20 + 8 + size, and one "ICMP echo request" line naming the address.
bad=
for addr in "${addrs[@]}"; do
  for size in "${sizes[@]}"; do
    n=$(count "^192\.168\.0\.1 > ${addr//./\\.}: ICMP echo request, id [0-9]+, seq 1, length $((size + 8))$" "$PROG_LOG")
    [ "$n" -eq 1 ] || bad+=" $addr -s $size: $n lines;"
    grep -qx "read $((28 + size)) bytes from tunnel interface tun0." "$PROG_LOG" \
      || bad+=" no 'read $((28 + size)) bytes' line;"
  done
done
total=$(count 'ICMP echo request' "$PROG_LOG")
expected=$(( ${#addrs[@]} * ${#sizes[@]} ))
[ "$total" -eq "$expected" ] || bad+=" $total 'ICMP echo request' lines in all, expected $expected"
if [ -z "$bad" ]; then
  pass "icmpecho: prints one 'ICMP echo request' line and one 'read N bytes' line per request ($total)"
else
  fail "icmpecho: console lines" "$bad" "$PROG_LOG"
fi

# The capture read back with -vv: tcpdump verifies the IP and ICMP
# checksums and says "bad cksum" / "wrong icmp cksum" / "incorrect" if one
# is off.  Count the replies too, so an empty capture cannot pass.
stop_tcpdump
tcpdump -n -vv -r "$T_DIR/tun0.pcap" >"$T_DIR/tun0.txt" 2>&1
replies=$(count 'ICMP echo reply' "$T_DIR/tun0.txt")
if [ "$replies" -ne "$expected" ]; then
  fail "icmpecho: tcpdump -vv checksums" "capture holds $replies echo replies, expected $expected" "$T_DIR/tun0.txt"
elif grep -qiE 'incorrect|wrong|bad cksum' "$T_DIR/tun0.txt"; then
  fail "icmpecho: tcpdump -vv checksums" "$(grep -iE 'incorrect|wrong|bad cksum' "$T_DIR/tun0.txt" | head -n 1)"
else
  pass "icmpecho: tcpdump -vv finds every IP and ICMP checksum right in $replies replies"
fi

# -a moves the whole network: 10.9.8.1/24 answers for 10.9.8.X.
stop_prog
if start_prog icmpecho -a 10.9.8.1/24; then
  check "icmpecho -a 10.9.8.1/24: ping 10.9.8.77 answered" "no reply" \
    timeout 5 ping -n -c 1 -W 2 10.9.8.77
fi
finish
