// Step 3: acceptall's own tcp_input, fed the segments the kernel sent for
// `nc -z 192.168.0.2 2000` (tests/fixtures/acceptall.pcap), writing into a
// socketpair instead of tun0.
#include "faketcp.h"
#include "tests/support/fixture.h"
#include "tests/support/packet_diff.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>

// acceptall.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

// Feeds the captured input and checks the reply against the captured one:
// a golden, acceptall's own reply as capture.sh recorded it (nc connected
// and closed), not a packet of the kernel.
static Packet answer_matches(const Exchange& x)
{
  const Bytes reply = answer_matches_golden(x, tcp_input);  // the golden, byte for byte

  Packet r(reply);
  REQUIRE(ip_check(r.data(), r.size(), nullptr));
  REQUIRE(tcp_check(r.payload(), r.tot_len() - r.iphdr_len()));
  CHECK(r.ip()->ihl == 5);
  CHECK(r.tot_len() == 40);  // no options, no data
  CHECK(r.ip()->saddr == x.input.ip()->daddr);
  CHECK(r.ip()->daddr == x.input.ip()->saddr);
  CHECK(r.tcp()->source == x.input.tcp()->dest);
  CHECK(r.tcp()->dest == x.input.tcp()->source);
  CHECK(ntohs(r.tcp()->window) == 5000);
  return r;
}

TEST_CASE("acceptall answers the kernel's SYN with the captured SYN+ACK, byte for byte",
          "[step3][tcp][golden]")
{
  // [golden]: the expected SYN+ACK is acceptall's own, captured earlier.
  const Exchange x = find_exchange(read_fixture("acceptall.pcap"), TH_SYN);
  REQUIRE(x.input.tcp()->doff > 5);  // with the kernel's options, which we ignore
  const Packet r = answer_matches(x);
  CHECK(r.tcp()->syn == 1);
  CHECK(r.tcp()->ack == 1);
  CHECK(r.tcp()->fin == 0);
  CHECK(ntohl(r.tcp()->seq) == 123456);  // the article's fixed initial sequence number
  CHECK(ntohl(r.tcp()->ack_seq) == ntohl(x.input.tcp()->seq) + 1);
}

TEST_CASE("acceptall answers the kernel's FIN with the captured FIN+ACK, byte for byte",
          "[step3][tcp][golden]")
{
  // [golden]: the expected FIN+ACK is acceptall's own, captured earlier.
  const Exchange x = find_exchange(read_fixture("acceptall.pcap"), TH_FIN | TH_ACK);
  const Packet r = answer_matches(x);
  CHECK(r.tcp()->fin == 1);
  CHECK(r.tcp()->ack == 1);
  CHECK(r.tcp()->syn == 0);
  CHECK(ntohl(r.tcp()->seq) == 123457);  // after our SYN
  CHECK(ntohl(r.tcp()->ack_seq) == ntohl(x.input.tcp()->seq) + 1);  // the FIN counts as one
}

TEST_CASE("acceptall answers a SYN with IP options with a clean 20-byte IP header",
          "[step3][tcp][ip][golden]")
{
  // [golden]: expected is acceptall's own captured SYN+ACK to the SYN without options.
  const Exchange x = find_exchange(read_fixture("acceptall.pcap"), TH_SYN);
  Packet syn = x.input;
  syn.insert_ip_options({ 1, 1, 1, 0 });
  Wire wire;
  feed(wire, syn, tcp_input);
  const Bytes reply = wire.written();
  REQUIRE(reply.size() >= 20);
  CHECK((reply[0] & 0x0f) == 5);
  CHECK(packet_diff(x.reply, reply) == "");
  CHECK(ip_checksum_ok(reply));
  CHECK(tcp_checksum_ok(reply));
}

TEST_CASE("acceptall answers neither a bare ACK nor data", "[step3][tcp]")
{
  Packet segment;
  SECTION("the kernel's ACK that completes the handshake")
  {
    segment = find_tcp(read_fixture("acceptall.pcap"), TH_ACK);
    REQUIRE(segment.tot_len() - segment.iphdr_len() == segment.tcp()->doff * 4);  // no data
  }
  SECTION("a data segment: acceptall never acknowledges data, so Send-Q grows")
  {
    segment = find_tcp(read_fixture("discardall.pcap"), TH_PUSH | TH_ACK);
    REQUIRE(segment.tot_len() - segment.iphdr_len() > segment.tcp()->doff * 4);
  }
  Wire wire;
  feed(wire, segment, tcp_input);
  CHECK(wire.written().empty());
}

TEST_CASE("acceptall drops a segment whose TCP header does not fit", "[step3][tcp]")
{
  Packet syn = find_tcp(read_fixture("acceptall.pcap"), TH_SYN);
  const int cut = GENERATE(0, 19, 39);  // TCP bytes left: none, a byte short, inside the options
  syn.data()[2] = 0;
  syn.data()[3] = static_cast<unsigned char>(20 + cut);
  syn.fix_ip_checksum();
  INFO(cut << " bytes of TCP");
  Wire wire;
  feed(wire, syn, tcp_input);
  CHECK(wire.written().empty());
}
