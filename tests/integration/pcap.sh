#!/usr/bin/env bash
# tests/integration/pcap.sh: --pcap FILE on a running step, read back by
# tcpdump -r and by libpcap (the hidden "[.pcapfile]" case of
# build/tests/pcap_unittest), which must find the same packets in order.
#
#   icmpecho --pcap x.pcap, ping -c 3 192.168.0.2: 3 requests and 3 replies
#   rejectall --pcap y.pcap, nc 192.168.0.2 2000:  the SYN and the RST+ACK
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${FAKETCP_BUILD:-build}   # relative to the repository, as tests/run has it
case $BUILD in /*) ;; *) BUILD=$FAKETCP_ROOT/$BUILD ;; esac
reader=$BUILD/tests/pcap_unittest
require_root pcap
require_tools pcap tcpdump ping nc unshare
require_built pcap "$FAKETCP_BIN/icmpecho" "$FAKETCP_BIN/rejectall" "$reader"
# Two steps and their clients: 80 s in all at the most.
enter_netns 80 "$@"

# run_step STEP CLIENT: STEP --pcap $T_DIR/STEP.pcap, then the client
# command; $T_DIR/STEP.live.pcap is a copy taken while the step still runs
# (the records must be flushed by then).
run_step()
{
  local step=$1 client=$2
  start_prog "$step" --pcap "$T_DIR/$step.pcap" || return
  bash -c "$client" > "$T_DIR/$step.client" 2>&1
  sleep 0.2   # the last reply is written just after the client sees it
  cp "$T_DIR/$step.pcap" "$T_DIR/$step.live.pcap"
  stop_prog
}

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
pcap=$T_DIR/icmpecho.pcap
echo "    tcpdump -r x.pcap -n icmp:"
tcpdump -r "$pcap" -n icmp 2>&1 | sed 's/^/    /'
got=$(tcpdump_lines "$pcap" icmp | sed -E 's/, id [0-9]+//; s/, length [0-9]+//')
want=$(for seq in 1 2 3; do
         echo "IP 192.168.0.1 > 192.168.0.2: ICMP echo request, seq $seq"
         echo "IP 192.168.0.2 > 192.168.0.1: ICMP echo reply, seq $seq"
       done)
if [ "$got" = "$want" ]; then
  pass "pcap: icmpecho --pcap: tcpdump -r reads 3 requests and 3 replies, in order"
else
  fail "pcap: icmpecho --pcap" "tcpdump -r read: $(tr '\n' ';' <<< "$got")"
fi
if grep -q '3 received' "$T_DIR/icmpecho.client"; then
  pass "pcap: icmpecho --pcap: ping got its 3 replies while capturing"
else
  fail "pcap: icmpecho --pcap" "ping: $(tail -n 2 "$T_DIR/icmpecho.client" | tr '\n' ' ')"
fi
live=$(tcpdump_lines "$T_DIR/icmpecho.live.pcap" icmp | grep -c .)
if [ "$live" = 6 ]; then
  pass "pcap: icmpecho --pcap: all 6 packets are in the file while icmpecho still runs (flushed)"
else
  fail "pcap: icmpecho --pcap" "the file held $live ICMP packets while icmpecho ran, expected 6"
fi
by_tcpdump=$(tcpdump_lines "$pcap" icmp)
by_libpcap=$(libpcap_lines "$pcap" '^IP .*ICMP')
if [ "$by_libpcap" = "$by_tcpdump" ] && [ -n "$by_libpcap" ]; then
  pass "pcap: icmpecho --pcap: libpcap finds the same 6 packets as tcpdump, field for field"
else
  fail "pcap: icmpecho --pcap" "libpcap read: $(tr '\n' ';' <<< "$by_libpcap") tcpdump read: $(tr '\n' ';' <<< "$by_tcpdump")"
fi
all_tcpdump=$(tcpdump -r "$pcap" -n 2>/dev/null | grep -c .)
all_libpcap=$(libpcap_lines "$pcap" '^(IP |not IPv4)' | grep -c .)
if [ "$all_tcpdump" = "$all_libpcap" ] && FAKETCP_PCAP_FILE=$pcap "$reader" '[.pcapfile]' > /dev/null 2>&1; then
  pass "pcap: icmpecho --pcap: both read all $all_tcpdump records (IPv6 noise included), link type RAW, none cut short"
else
  fail "pcap: icmpecho --pcap" "tcpdump read $all_tcpdump records, libpcap $all_libpcap (or the reader failed)"
fi

# ---------------------------------------------------------------- step 2
run_step rejectall 'nc -z -w 3 192.168.0.2 2000'
pcap=$T_DIR/rejectall.pcap
echo "    tcpdump -r y.pcap -n -S tcp:"
tcpdump -r "$pcap" -n -S tcp 2>&1 | sed 's/^/    /'
got=$(tcpdump_lines "$pcap" tcp)
syn=$(sed -n 1p <<< "$got")
rst=$(sed -n 2p <<< "$got")
seq=$(sed -nE 's/.*Flags \[S\], seq ([0-9]+),.*/\1/p' <<< "$syn")
port=$(sed -nE 's/^IP 192\.168\.0\.1\.([0-9]+) > .*/\1/p' <<< "$syn")
if [ "$(grep -c . <<< "$got")" = 2 ] && [ -n "$seq" ] && [ -n "$port" ] \
   && [ "$rst" = "IP 192.168.0.2.2000 > 192.168.0.1.$port: Flags [R.], seq 0, ack $(( (seq + 1) % 4294967296 )), win 0, length 0" ]; then
  pass "pcap: rejectall --pcap: tcpdump -r reads the SYN, then the RST+ACK acking seq+1"
else
  fail "pcap: rejectall --pcap" "tcpdump -r read: $(tr '\n' ';' <<< "$got")"
fi
by_libpcap=$(libpcap_lines "$pcap" '^IP .*Flags')
if [ "$by_libpcap" = "$got" ] && [ -n "$got" ]; then
  pass "pcap: rejectall --pcap: libpcap finds the same 2 segments as tcpdump, field for field"
else
  fail "pcap: rejectall --pcap" "libpcap read: $(tr '\n' ';' <<< "$by_libpcap") tcpdump read: $(tr '\n' ';' <<< "$got")"
fi

finish
