#!/usr/bin/env bash
# tests/checks/fixtures.sh [DIR] - checks of the fixtures, not of the
# programs: each pcap file of tests/fixtures (or DIR) is raw IPv4 with every
# checksum right, and holds the packets the unit tests take from it, in
# order, as `tcpdump -n -t -S -vv -r` reads them.  One pattern a packet.
#
# tests/fixtures/capture.sh runs it on a fresh capture before it keeps one,
# so a wrong capture is caught where it is made; `make test` runs it on the
# committed files.  Prints PASS/FAIL/SKIP lines (see tests/run).
#
# 夹具检查（不是程序的测试）：每个 pcap 文件的报文数、顺序、标志和校验和。
set -u
cd "$(dirname "$0")/../.." || exit 1
dir=${1:-tests/fixtures}

failed=0
pass() { echo "PASS fixtures: $1"; }
fail() { echo "FAIL fixtures: $1"; failed=1; }

if ! command -v tcpdump > /dev/null; then
  echo "SKIP fixtures: tcpdump not found (apt-get install tcpdump, or scripts/install-deps)"
  exit 0
fi

# records: tcpdump -vv prints a packet on two lines; this joins them.
records() {
  awk '/^IP / { if (r != "") print r; r = $0; next }
       { sub(/^[ \t]+/, " "); r = r $0 }
       END { if (r != "") print r }'
}

# check FILE WHAT PATTERN...: FILE holds exactly one packet per PATTERN (an
# extended regular expression for its joined tcpdump line), in that order;
# its link type is RAW and tcpdump calls no checksum wrong.  On success the
# lines are left in $packets for the checks across packets.
packets=()
check() {
  local name=$1 what=$2 file=$dir/$1 out
  shift 2
  if [ ! -r "$file" ]; then
    fail "$name: not found in $dir (make it with tests/fixtures/capture.sh)"
    return 1
  fi
  if ! out=$(tcpdump -n -t -S -vv -r "$file" 2>&1); then
    fail "$name: tcpdump -r cannot read it: $(tail -1 <<< "$out")"
    return 1
  fi
  if ! grep -q '^reading from file .*link-type RAW' <<< "$out"; then
    fail "$name: link type is not RAW (an IPv4 header first): $(head -1 <<< "$out")"
    return 1
  fi
  if grep -Eiq 'incorrect|bad cksum|wrong' <<< "$out"; then
    fail "$name: tcpdump -vv calls a checksum wrong: $(grep -Ei 'incorrect|bad cksum|wrong' <<< "$out" | head -1)"
    return 1
  fi
  mapfile -t packets < <(grep -v '^reading from file' <<< "$out" | records)
  if [ ${#packets[@]} -ne $# ]; then
    fail "$name: ${#packets[@]} packets, want $#: $what"
    return 1
  fi
  local i=0 pattern
  for pattern in "$@"; do
    if ! [[ ${packets[i]} =~ $pattern ]]; then
      fail "$name: packet $((i + 1)) is \"${packets[i]}\"; want it to match /$pattern/ ($what)"
      return 1
    fi
    i=$((i + 1))
  done
  return 0
}

# The IPv4 header as tcpdump -vv prints it: what Linux and our steps send
# (tos 0, ttl 64, DF, no options).  iphdr PROTOCOL TOT_LEN
iphdr() { echo "^IP \\(tos 0x0, ttl 64, id [0-9]+, offset 0, flags \\[DF\\], proto $1, length $2\\) "; }
tcp40=$(iphdr 'TCP \(6\)' 40)
ck='cksum 0x[0-9a-f]+ \(correct\)'
# The kernel's SYN: options MSS 1460 (tun0's MTU 1500 less 40 bytes of
# headers), SACK permitted, timestamps, window scale: 60 bytes.
kernel_syn() { echo "$(iphdr 'TCP \(6\)' 60)192\\.168\\.0\\.1\\.[0-9]+ > $1: Flags \\[S\\], $ck, seq [0-9]+, win [0-9]+, options \\[mss 1460,sackOK,TS val [0-9]+ ecr 0,nop,wscale [0-9]+\\], length 0\$"; }
from_client="${tcp40}192\\.168\\.0\\.1\\.[0-9]+ > 192\\.168\\.0\\.2\\.2000"
from_server="${tcp40}192\\.168\\.0\\.2\\.2000 > 192\\.168\\.0\\.1\\.[0-9]+"

# ---------------------------------------------------------------- step 1
what="ping -s 0, 1, 57, 1472: four echo requests (ICMP lengths 8, 9, 65, 1480), each followed by its reply"
patterns=()
for len in 8 9 65 1480; do
  patterns+=("$(iphdr 'ICMP \(1\)' $((len + 20)))192\\.168\\.0\\.1 > 192\\.168\\.0\\.2: ICMP echo request, id [0-9]+, seq 1, length $len\$")
  patterns+=("$(iphdr 'ICMP \(1\)' $((len + 20)))192\\.168\\.0\\.2 > 192\\.168\\.0\\.1: ICMP echo reply, id [0-9]+, seq 1, length $len\$")
done
if check icmpecho.pcap "$what" "${patterns[@]}"; then
  # Each reply keeps its request's id (and seq, matched above).
  ok=1
  for i in 0 2 4 6; do
    [ "${packets[i]##*, id }" = "${packets[i + 1]##*, id }" ] || ok=0
  done
  if [ $ok = 1 ]; then pass "icmpecho.pcap: $what"; else fail "icmpecho.pcap: a reply's id is not its request's"; fi
fi

# ---------------------------------------------------------------- step 2
what="nc -z 192.168.0.7 5555: the kernel's SYN (ttl 64, DF, options), then an RST+ACK acking it"
if check rejectall.pcap "$what" \
    "$(kernel_syn '192\.168\.0\.7\.5555')" \
    "${tcp40}192\\.168\\.0\\.7\\.5555 > 192\\.168\\.0\\.1\\.[0-9]+: Flags \\[R\\.\\], $ck, seq 0, ack [0-9]+, win 0, length 0\$"; then
  seq=$(sed 's/.*, seq \([0-9]*\),.*/\1/' <<< "${packets[0]}")
  ack=$(sed 's/.*, ack \([0-9]*\),.*/\1/' <<< "${packets[1]}")
  if [ "$ack" = $(((seq + 1) % 4294967296)) ]; then pass "rejectall.pcap: $what"; else fail "rejectall.pcap: the RST acks $ack, want $seq + 1"; fi
fi

# ---------------------------------------------------------------- steps 3 and 4
what="nc -z 192.168.0.2 2000: SYN, SYN+ACK (seq 123456, win 5000), ACK, FIN, FIN+ACK, ACK"
check acceptall.pcap "$what" \
  "$(kernel_syn '192\.168\.0\.2\.2000')" \
  "$from_server: Flags \\[S\\.\\], $ck, seq 123456, ack [0-9]+, win 5000, length 0\$" \
  "$from_client: Flags \\[\\.\\], $ck, seq [0-9]+, ack 123457, win [0-9]+, length 0\$" \
  "$from_client: Flags \\[F\\.\\], $ck, seq [0-9]+, ack 123457, win [0-9]+, length 0\$" \
  "$from_server: Flags \\[F\\.\\], $ck, seq 123457, ack [0-9]+, win 5000, length 0\$" \
  "$from_client: Flags \\[\\.\\], $ck, seq [0-9]+, ack 123458, win [0-9]+, length 0\$" &&
  pass "acceptall.pcap: $what"

what="printf 'hello\\n' | nc -N 192.168.0.2 2000: as acceptall, plus 6 bytes of data and their ACK"
check discardall.pcap "$what" \
  "$(kernel_syn '192\.168\.0\.2\.2000')" \
  "$from_server: Flags \\[S\\.\\], $ck, seq 123456, ack [0-9]+, win 5000, length 0\$" \
  "$from_client: Flags \\[\\.\\], $ck, seq [0-9]+, ack 123457, win [0-9]+, length 0\$" \
  "$(iphdr 'TCP \(6\)' 46)192\\.168\\.0\\.1\\.[0-9]+ > 192\\.168\\.0\\.2\\.2000: Flags \\[P\\.\\], $ck, seq [0-9]+:[0-9]+, ack 123457, win [0-9]+, length 6\$" \
  "$from_server: Flags \\[\\.\\], $ck, seq 123457, ack [0-9]+, win 5000, length 0\$" \
  "$from_client: Flags \\[F\\.\\], $ck, seq [0-9]+, ack 123457, win [0-9]+, length 0\$" \
  "$from_server: Flags \\[F\\.\\], $ck, seq 123457, ack [0-9]+, win 5000, length 0\$" \
  "$from_client: Flags \\[\\.\\], $ck, seq [0-9]+, ack 123458, win [0-9]+, length 0\$" &&
  pass "discardall.pcap: $what"

# ---------------------------------------------------------------- step 5
what="connectmany 192.168.0.1 2007 1: our SYN from 192.168.0.2:1024 (seq 123456), the kernel's SYN+ACK acking it, our ACK"
check connectmany.pcap "$what" \
  "${tcp40}192\\.168\\.0\\.2\\.1024 > 192\\.168\\.0\\.1\\.2007: Flags \\[S\\], $ck, seq 123456, win [0-9]+, length 0\$" \
  "$(iphdr 'TCP \(6\)' '[0-9]+')192\\.168\\.0\\.1\\.2007 > 192\\.168\\.0\\.2\\.1024: Flags \\[S\\.\\], $ck, seq [0-9]+, ack 123457, win [0-9]+, (options \\[[^]]*\\], )?length 0\$" \
  "${tcp40}192\\.168\\.0\\.2\\.1024 > 192\\.168\\.0\\.1\\.2007: Flags \\[\\.\\], $ck, seq 123457, ack [0-9]+, win 5000, length 0\$" &&
  pass "connectmany.pcap: $what"

what="connectmany 192.168.0.1 2008 1, nothing listening: our SYN, the kernel's RST+ACK acking it"
check connectmany_refused.pcap "$what" \
  "${tcp40}192\\.168\\.0\\.2\\.1024 > 192\\.168\\.0\\.1\\.2008: Flags \\[S\\], $ck, seq 123456, win [0-9]+, length 0\$" \
  "${tcp40}192\\.168\\.0\\.1\\.2008 > 192\\.168\\.0\\.2\\.1024: Flags \\[R\\.\\], $ck, seq 0, ack 123457, win 0, length 0\$" &&
  pass "connectmany_refused.pcap: $what"

exit $failed
