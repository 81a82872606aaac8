#!/usr/bin/env bash
# tests/integration/pcap.sh: --pcap FILE on a running step, read back by
# tcpdump -r and by libpcap (the hidden "[.pcapfile]" case of
# build/tests/pcap_unittest), which must find the same packets in order.
#
#   icmpecho --pcap x.pcap, ping -c 3 192.168.0.2: 3 requests and 3 replies
#   rejectall --pcap y.pcap, nc 192.168.0.2 2000:  the SYN and the RST+ACK
set -u
cd "$(dirname "$0")/../.."
BIN=${FAKETCP_BIN:-.}
BUILD=${FAKETCP_BUILD:-build}
failures=0
pass() { echo "PASS pcap: $1"; }
fail() { echo "FAIL pcap: $1"; failures=$((failures + 1)); }

if [ "$(id -u)" != 0 ] || [ ! -e /dev/net/tun ]; then
  echo "SKIP pcap: needs root and /dev/net/tun (sudo make test)"
  exit 0
fi
for tool in tcpdump ping nc unshare; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP pcap: $tool is not installed"
    exit 0
  fi
done
for prog in "$BIN/icmpecho" "$BIN/rejectall" "$BUILD/tests/pcap_unittest"; do
  if [ ! -x "$prog" ]; then
    fail "$prog is not built (make all unit-tests)"
    exit 1
  fi
done
BIN=$(cd "$BIN" && pwd)
reader=$(cd "$(dirname "$BUILD/tests/pcap_unittest")" && pwd)/pcap_unittest

work=$(mktemp -d /tmp/faketcp-pcap.XXXXXX)
trap 'rm -rf "$work"' EXIT

# run_step STEP CLIENT: in a private network namespace, STEP --pcap
# $work/STEP.pcap, then the client command; $work/STEP.live.pcap is a copy
# taken while the step still runs (the records must be flushed by then).
# Every process is bounded by its own timeout.
run_step()
{
  local step=$1 client=$2
  timeout 40 scripts/netns bash -c '
    step=$1 client=$2 work=$3
    timeout 20 "$BIN/$step" --pcap "$work/$step.pcap" > "$work/$step.out" 2>&1 &
    pid=$!
    for i in $(seq 50); do [ -n "$(ip route show dev tun0 2>/dev/null)" ] && break; sleep 0.1; done
    bash -c "$client" > "$work/$step.client" 2>&1
    sleep 0.2   # the last reply is written just after the client sees it
    cp "$work/$step.pcap" "$work/$step.live.pcap"
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    true' run_step "$step" "$client" "$work"
}
export BIN

# tcpdump's lines for FILE and FILTER, without timestamps, absolute
# sequence numbers, TCP options left out (the steps do not print them).
tcpdump_lines()
{
  tcpdump -r "$1" -n -t -S "$2" 2>/dev/null | sed 's/, options \[[^]]*\]//'
}

# The same packets as libpcap reads them, through the Catch2 reader.
libpcap_lines()
{
  FAKETCP_PCAP_FILE=$1 "$reader" '[.pcapfile]' 2>&1 | grep -E "$2"
}

# ---------------------------------------------------------------- step 1
run_step icmpecho 'ping -n -c 3 -i 0.2 -W 2 192.168.0.2'
pcap=$work/icmpecho.pcap
echo "    tcpdump -r x.pcap -n icmp:"
tcpdump -r "$pcap" -n icmp 2>&1 | sed 's/^/    /'
got=$(tcpdump_lines "$pcap" icmp | sed -E 's/, id [0-9]+//; s/, length [0-9]+//')
want=$(for seq in 1 2 3; do
         echo "IP 192.168.0.1 > 192.168.0.2: ICMP echo request, seq $seq"
         echo "IP 192.168.0.2 > 192.168.0.1: ICMP echo reply, seq $seq"
       done)
if [ "$got" = "$want" ]; then
  pass "icmpecho --pcap: tcpdump -r reads 3 requests and 3 replies, in order"
else
  fail "icmpecho --pcap: tcpdump -r read: $(tr '\n' ';' <<< "$got")"
fi
if grep -q '3 received' "$work/icmpecho.client"; then
  pass "icmpecho --pcap: ping got its 3 replies while capturing"
else
  fail "icmpecho --pcap: ping: $(tail -n 2 "$work/icmpecho.client" | tr '\n' ' ')"
fi
live=$(tcpdump_lines "$work/icmpecho.live.pcap" icmp | grep -c .)
if [ "$live" = 6 ]; then
  pass "icmpecho --pcap: all 6 packets are in the file while icmpecho still runs (flushed)"
else
  fail "icmpecho --pcap: the file held $live ICMP packets while icmpecho ran, expected 6"
fi
by_tcpdump=$(tcpdump_lines "$pcap" icmp)
by_libpcap=$(libpcap_lines "$pcap" '^IP .*ICMP')
if [ "$by_libpcap" = "$by_tcpdump" ] && [ -n "$by_libpcap" ]; then
  pass "icmpecho --pcap: libpcap finds the same 6 packets as tcpdump, field for field"
else
  fail "icmpecho --pcap: libpcap read: $(tr '\n' ';' <<< "$by_libpcap") tcpdump read: $(tr '\n' ';' <<< "$by_tcpdump")"
fi
all_tcpdump=$(tcpdump -r "$pcap" -n 2>/dev/null | grep -c .)
all_libpcap=$(libpcap_lines "$pcap" '^(IP |not IPv4)' | grep -c .)
if [ "$all_tcpdump" = "$all_libpcap" ] && FAKETCP_PCAP_FILE=$pcap "$reader" '[.pcapfile]' > /dev/null 2>&1; then
  pass "icmpecho --pcap: both read all $all_tcpdump records (IPv6 noise included), link type RAW, none cut short"
else
  fail "icmpecho --pcap: tcpdump read $all_tcpdump records, libpcap $all_libpcap (or the reader failed)"
fi

# ---------------------------------------------------------------- step 2
run_step rejectall 'nc -z -w 3 192.168.0.2 2000'
pcap=$work/rejectall.pcap
echo "    tcpdump -r y.pcap -n -S tcp:"
tcpdump -r "$pcap" -n -S tcp 2>&1 | sed 's/^/    /'
got=$(tcpdump_lines "$pcap" tcp)
syn=$(sed -n 1p <<< "$got")
rst=$(sed -n 2p <<< "$got")
seq=$(sed -nE 's/.*Flags \[S\], seq ([0-9]+),.*/\1/p' <<< "$syn")
port=$(sed -nE 's/^IP 192\.168\.0\.1\.([0-9]+) > .*/\1/p' <<< "$syn")
if [ "$(grep -c . <<< "$got")" = 2 ] && [ -n "$seq" ] && [ -n "$port" ] \
   && [ "$rst" = "IP 192.168.0.2.2000 > 192.168.0.1.$port: Flags [R.], seq 0, ack $(( (seq + 1) % 4294967296 )), win 0, length 0" ]; then
  pass "rejectall --pcap: tcpdump -r reads the SYN, then the RST+ACK acking seq+1"
else
  fail "rejectall --pcap: tcpdump -r read: $(tr '\n' ';' <<< "$got")"
fi
by_libpcap=$(libpcap_lines "$pcap" '^IP .*Flags')
if [ "$by_libpcap" = "$got" ] && [ -n "$got" ]; then
  pass "rejectall --pcap: libpcap finds the same 2 segments as tcpdump, field for field"
else
  fail "rejectall --pcap: libpcap read: $(tr '\n' ';' <<< "$by_libpcap") tcpdump read: $(tr '\n' ';' <<< "$got")"
fi

[ "$failures" = 0 ]
