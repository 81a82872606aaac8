// tests/support/fixture.h - what the unit tests share: the pcap fixtures of
// tests/fixtures/, a packet held the way the programs hold one, and the
// socketpair that stands in for the tun fd.
#pragma once

#include "faketcp.h"                  // TcpInput
#include "tests/support/reference.h"  // Bytes, the reference checksums

#include <stdint.h>
#include <string>
#include <vector>
#include <netinet/ip.h>
#include <netinet/tcp.h>

// Every packet of a pcap file whose packets start with an IPv4 header:
// link type RAW (LINKTYPE_RAW 101, what --pcap and `tcpdump -i tun0 -w`
// write; libpcap calls it DLT_RAW) or IPV4 (LINKTYPE_IPV4 228).  Throws
// std::runtime_error, naming the file and the cause, when it cannot.
std::vector<Bytes> read_pcap_file(const std::string& path);

// read_pcap_file of tests/fixtures/NAME (or $FAKETCP_FIXTURES/NAME).
std::vector<Bytes> read_fixture(const std::string& name);

// One packet, in memory aligned for struct iphdr and struct tcphdr as the
// programs' `union { buf; iphdr }` is: the code under test overlays them.
class Packet
{
 public:
  Packet() = default;
  explicit Packet(const Bytes& bytes);

  unsigned char* data() { return reinterpret_cast<unsigned char*>(words_.data()); }
  const unsigned char* data() const { return reinterpret_cast<const unsigned char*>(words_.data()); }
  int size() const { return size_; }
  Bytes bytes() const { return Bytes(data(), data() + size_); }

  // Valid once ip_check has accepted the packet.
  const struct iphdr* ip() const { return reinterpret_cast<const struct iphdr*>(data()); }
  int iphdr_len() const { return ip()->ihl * 4; }
  int tot_len() const;
  const unsigned char* payload() const { return data() + iphdr_len(); }
  const struct tcphdr* tcp() const { return reinterpret_cast<const struct tcphdr*>(payload()); }

  // Recomputes the IP header checksum after a test has changed the header
  // (ip_fix_checksum of tests/support/reference.h).
  void fix_ip_checksum();
  // Inserts IP options (a multiple of 4 bytes) after the 20-byte header,
  // fixing ihl, tot_len and the header checksum.
  void insert_ip_options(const Bytes& options);

 private:
  std::vector<uint32_t> words_;  // uint32_t: 4-byte alignment by type
  int size_ = 0;
};

// The first packet of `packets` that is TCP and has exactly the flags given
// (TH_SYN, TH_SYN | TH_ACK, TH_PUSH | TH_ACK, ...); throws if there is none.
Packet find_tcp(const std::vector<Bytes>& packets, uint8_t flags);

// An input and the packet that follows it in a capture: the program's
// reply, when it answered.
struct Exchange
{
  Packet input;
  Bytes reply;
};

// The first TCP packet with exactly `flags` and the packet after it; throws
// if there is none, or if the next packet does not go the other way.
Exchange find_exchange(const std::vector<Bytes>& packets, uint8_t flags);

// A connected pair of datagram sockets: `fd` is given to the code under test
// as if it were the tun fd; each write() there is one datagram here, read
// back from `peer` as the kernel would read a packet from tun0.
struct Wire
{
  Wire();
  ~Wire();
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;

  // The next packet the code wrote, or an empty vector if it wrote none
  // (MSG_DONTWAIT: never waits).
  Bytes written();
  // Hands a packet to the code under test, as the kernel would.
  void deliver(const Bytes& packet);

  int fd = -1;
  int peer = -1;
};

// What a step's main loop does with a TCP packet that passed ip_check: hands
// it to the step's tcp_input (faketcp.h's TcpInput), which writes its answer
// to wire.fd.  REQUIREs that the packet is a well-formed TCP packet.
void feed(Wire& wire, const Packet& p, TcpInput tcp_input);

// Feeds x.input to tcp_input and checks the one packet it writes against
// x.reply, a golden (the program's own reply, as capture.sh recorded it),
// naming the field that differs (packet_diff); then its checksums, and that
// nothing more was written.  Returns the reply.
Bytes answer_matches_golden(const Exchange& x, TcpInput tcp_input);

