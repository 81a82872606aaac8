// Step 5 near 2^32: connectmany's tcp_input adds 1 (a SYN, a FIN) or the
// payload's length to the peer's sequence number, and the sum must wrap as
// the peer's does.  The kernel's ISNs are random, so a capture almost never
// shows it: the captured segments (tests/fixtures/connectmany.pcap and
// discardall.pcap) are given sequence numbers just below 2^32 here, their
// checksums fixed, and connectmany's replies are checked against them.
#include "faketcp.h"
#include "tests/support/fixture.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>

void tcp_input(int fd, const void* input, const void* payload, int tot_len);

namespace
{

// A copy of `packet` with TCP sequence number `seq`, its checksum fixed.
Packet with_seq(const Packet& packet, uint32_t seq)
{
  Packet p(packet.bytes());
  unsigned char* tcp = p.data() + p.iphdr_len();
  const uint32_t net = htonl(seq);
  memcpy(tcp + 4, &net, 4);
  tcp[16] = tcp[17] = 0;
  const uint16_t check = tcp_checksum(p.ip(), p.payload(), p.tot_len() - p.iphdr_len());
  memcpy(tcp + 16, &check, 2);
  return p;
}

// What tcp_input wrote for `input`: exactly one segment, returned parsed.
Packet reply_to(const Packet& input)
{
  Wire wire;
  tcp_input(wire.fd, input.data(), input.payload(), input.tot_len());
  const Bytes out = wire.written();
  REQUIRE(out.size() == 40);
  CHECK(wire.written().empty());
  CHECK(ip_checksum_ok(out));
  CHECK(tcp_checksum_ok(out));
  return Packet(out);
}

}  // namespace

TEST_CASE("connectmany acks a SYN+ACK whose seq is 2^32 - 1 with ack 0", "[step5][tcp][wrap]")
{
  const std::vector<Bytes> packets = read_fixture("connectmany.pcap");
  const Packet syn_ack = with_seq(find_tcp(packets, TH_SYN | TH_ACK), 0xffffffffu);
  const Packet ack = reply_to(syn_ack);
  CHECK(ack.tcp()->ack == 1);
  CHECK(ack.tcp()->syn == 0);
  CHECK(ntohl(ack.tcp()->seq) == 123457);
  CHECK(ntohl(ack.tcp()->ack_seq) == 0);
}

TEST_CASE("connectmany serves a client whose sequence numbers cross 2^32", "[step5][tcp][wrap]")
{
  const std::vector<Bytes> packets = read_fixture("discardall.pcap");
  SECTION("a SYN at 2^32 - 1 is acked with 0")
  {
    const Packet r = reply_to(with_seq(find_tcp(packets, TH_SYN), 0xffffffffu));
    CHECK(r.tcp()->syn == 1);
    CHECK(r.tcp()->ack == 1);
    CHECK(ntohl(r.tcp()->seq) == 123456);
    CHECK(ntohl(r.tcp()->ack_seq) == 0);
  }
  SECTION("6 bytes from 2^32 - 2 are acked up to 4")
  {
    const Packet data = with_seq(find_tcp(packets, TH_PUSH | TH_ACK), 0xfffffffeu);
    REQUIRE(data.tot_len() - data.iphdr_len() - data.tcp()->doff * 4 == 6);  // "hello\n"
    const Packet r = reply_to(data);
    CHECK(r.tcp()->ack == 1);
    CHECK(r.tcp()->fin == 0);
    CHECK(ntohl(r.tcp()->seq) == 123457);
    CHECK(ntohl(r.tcp()->ack_seq) == 4);
  }
  SECTION("a FIN at 2^32 - 1 is acked with 0")
  {
    const Packet r = reply_to(with_seq(find_tcp(packets, TH_FIN | TH_ACK), 0xffffffffu));
    CHECK(r.tcp()->fin == 1);
    CHECK(r.tcp()->ack == 1);
    CHECK(ntohl(r.tcp()->seq) == 123457);
    CHECK(ntohl(r.tcp()->ack_seq) == 0);
  }
}
