#!/usr/bin/env bash
# tests/integration/echoall.sh: step 6 against the real kernel's TCP, in a
# private network namespace of its own.
#
#   nc 192.168.0.2 2007             the lines typed come back
#   nc -N 192.168.0.2 7 < 1 MB      the same 1 MB comes back (cmp)
#   ... | { sleep 2; cat; }         4 MB to a reader that pauses: window 0 and back
#   echoclient -n 100 -s 102400     100 clients at once, 100 KB each, all equal
#   ss -tan afterwards              every connection closed both ways
#
# The figures (bytes compared, seconds, the kernel's retransmissions) are
# printed, never asserted: timings on a shared machine are noise.
set -u
cd "$(dirname "$0")/../.." || exit 1
BIN=${FAKETCP_BIN:-.}

if [ "${1:-}" != --inside ]; then
  if [ "$(id -u)" != 0 ] || [ ! -e /dev/net/tun ]; then
    echo "SKIP echoall: needs root and /dev/net/tun (sudo make test)"
    exit 0
  fi
  for tool in unshare nc cmp ss timeout; do
    if ! command -v "$tool" >/dev/null; then
      echo "SKIP echoall: $tool is not installed"
      exit 0
    fi
  done
  for prog in "$BIN/echoall" "$BIN/tests/bin/echoclient"; do
    if [ ! -x "$prog" ]; then
      echo "FAIL echoall: $prog is not built (make all tools)"
      exit 1
    fi
  done
  out=$(mktemp /tmp/faketcp-echoall.XXXXXX)
  trap 'rm -f "$out"' EXIT
  # Everything inside is bounded by its own timeouts; this one is the backstop.
  FAKETCP_BIN=$(cd "$BIN" && pwd) timeout 240 scripts/netns "$0" --inside | tee "$out"
  rc=${PIPESTATUS[0]}
  if [ "$rc" = 124 ]; then
    echo "FAIL echoall: the test did not finish within 240 s"
    exit 1
  fi
  if grep -q '^FAIL' "$out" || [ "$rc" != 0 ]; then
    exit 1
  fi
  exit 0
fi

# ---------------------------------------------------------------- inside the namespace
BIN=$FAKETCP_BIN
failures=0
pass() { echo "PASS echoall: $1"; }
fail() { echo "FAIL echoall: $1"; failures=$((failures + 1)); }
info() { echo "    $1"; }

work=$(mktemp -d /tmp/faketcp-echoall.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

timeout 200 "$BIN/echoall" > "$work/echoall.out" 2>&1 &
pid=$!
for _ in $(seq 50); do [ -n "$(ip route show dev tun0 2>/dev/null)" ] && break; sleep 0.1; done
if [ -z "$(ip route show dev tun0 2>/dev/null)" ]; then
  fail "echoall did not bring up tun0 in 5 s: $(head -n 3 "$work/echoall.out")"
  exit 1
fi

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
retrans() { nstat -az TcpRetransSegs 2>/dev/null | awk '$1 == "TcpRetransSegs" { print $2 }'; }
tun_drops() { ip -s link show tun0 | awk '/TX:/ { getline; print $4 }'; }

# 1. nc, a line at a time.
printf 'hello\nworld\n' > "$work/lines"
if timeout 10 nc -N 192.168.0.2 2007 < "$work/lines" > "$work/lines.back" 2> "$work/nc.err" \
   && cmp -s "$work/lines" "$work/lines.back"; then
  pass "nc 192.168.0.2 2007 echoes every line typed"
else
  fail "nc 192.168.0.2 2007 gave back '$(head -c 80 "$work/lines.back")' $(head -c 200 "$work/nc.err")"
fi

# 2. 1 MB of random bytes through nc, compared with cmp.
head -c 1048576 /dev/urandom > "$work/mb"
start=$(now)
timeout 60 nc -N 192.168.0.2 7 < "$work/mb" > "$work/mb.back" 2> "$work/nc.err"
rc=$?
end=$(now)
size=$(stat -c %s "$work/mb.back")
if [ "$rc" = 0 ] && cmp -s "$work/mb" "$work/mb.back"; then
  pass "1 MB through nc -N 192.168.0.2 7 comes back equal (cmp: $size bytes, $(seconds "$start" "$end") s)"
else
  fail "1 MB through nc: nc exited $rc, $size bytes back, $(cmp "$work/mb" "$work/mb.back" 2>&1 | head -n 1)"
fi

# 3. A client that stops reading for 2 s: its receive buffer fills, its
#    window falls to 0, so does ours (the mirror), and the client's kernel
#    waits and probes instead of sending.  Nothing may be lost.
head -c 4194304 /dev/urandom > "$work/big"
r0=$(retrans) z0=$(grep -c 'win 0,' "$work/echoall.out")
start=$(now)
timeout 60 nc -N 192.168.0.2 7 < "$work/big" 2> "$work/nc.err" | { sleep 2; cat; } > "$work/big.back"
end=$(now)
r1=$(retrans)
size=$(stat -c %s "$work/big.back")
zero=$(( $(grep -c 'win 0,' "$work/echoall.out") - z0 ))
if ! cmp -s "$work/big" "$work/big.back"; then
  fail "a client that pauses reading: $size of 4194304 bytes back, $(cmp "$work/big" "$work/big.back" 2>&1 | head -n 1)"
elif [ "$zero" = 0 ]; then
  fail "a client that pauses reading: its window never fell to 0, so the test showed nothing (4 MB should fill it)"
else
  pass "a client that pauses reading gets its 4 MB back equal (cmp: $size bytes, $(seconds "$start" "$end") s, $zero segments with win 0)"
  [ -n "$r0" ] && [ -n "$r1" ] && info "the kernel retransmitted $((r1 - r0)) segments meanwhile"
fi

# 4. 100 clients at once, 100 KB each, each stream different.
r0=$(retrans) d0=$(tun_drops)
if timeout 120 "$BIN/tests/bin/echoclient" -n 100 -s 102400 -t 100 192.168.0.2 7 \
     > "$work/clients" 2>&1; then
  pass "$(sed 's/^echoclient: //' "$work/clients")"
else
  fail "100 clients of 100 KB: $(head -n 3 "$work/clients")"
fi
r1=$(retrans) d1=$(tun_drops)
if [ -n "$r0" ] && [ -n "$r1" ]; then
  info "the kernel retransmitted $((r1 - r0)) segments, tun0 dropped $((d1 - d0)) packets"
  info "that echoall did not read in time: each was sent again by the kernel, not by echoall"
fi

# 5. Every connection was closed both ways: no ESTAB, FIN-WAIT, CLOSING or
#    LAST-ACK left, only the TIME-WAIT of the side that closed first.
sleep 0.5
left=$(ss -Htan state established state fin-wait-1 state fin-wait-2 state closing \
          state last-ack state close-wait | wc -l)
if [ "$left" = 0 ]; then
  pass "every connection closed both ways ($(ss -Htan state time-wait | wc -l) in TIME-WAIT)"
else
  fail "$left connections not closed: $(ss -Htan | grep -v TIME-WAIT | head -n 3)"
fi

# 6. The program saw nothing it had to call bad.
if grep -q '^bad packet\|^write ' "$work/echoall.out"; then
  fail "echoall printed: $(grep -m 3 '^bad packet\|^write ' "$work/echoall.out")"
else
  pass "echoall printed no bad packet and no refused write ($(grep -c '^IP ' "$work/echoall.out") segments)"
fi

[ "$failures" = 0 ]
