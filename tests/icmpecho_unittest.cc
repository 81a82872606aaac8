// Step 1: icmp_input, the code icmpecho runs for every ping, fed the echo
// requests the kernel sent in tests/fixtures/icmpecho.pcap (ping -s 0, 1,
// 57, 1472), writing into a socketpair instead of tun0.
#include "faketcp.h"
#include "tests/support/fixture.h"
#include "tests/support/packet_diff.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/ip_icmp.h>

// The fixture as (request, reply) pairs, in the order ping sent them: four,
// ICMP lengths 8, 9, 65 and 1480 (tests/checks/fixtures.sh checks the file).
static std::vector<Exchange> exchanges()
{
  const std::vector<Bytes> packets = read_fixture("icmpecho.pcap");
  std::vector<Exchange> out;
  for (size_t i = 0; i + 1 < packets.size(); ++i)
  {
    const Packet p(packets[i]);
    if (p.ip()->protocol == IPPROTO_ICMP && p.payload()[0] == ICMP_ECHO)
      out.push_back({ p, packets[i + 1] });
  }
  return out;
}

// Feeds a packet that passed ip_check to icmp_input, as the main loop does.
static void feed(Wire& wire, const Packet& p)
{
  {
    // scoped: a crash in icmp_input below is not this INFO's business
    INFO("ip_check() refuses the kernel's own request when in_checksum() does not give 0 for its IP"
         " header (checksum filled in): fix in_checksum first, the checksum checks say how");
    REQUIRE(ip_check(p.data(), p.size(), nullptr));
  }
  icmp_input(wire.fd, p.data(), p.payload(), p.tot_len());
}

TEST_CASE("icmp_input answers every captured echo request with the captured reply, byte for byte",
          "[step1][icmp][golden]")
{
  // [golden]: the expected replies are icmpecho's own, as capture.sh recorded
  // them (ping got each), not packets of the kernel.
  const std::vector<Exchange> all = exchanges();
  REQUIRE(all.size() == 4);
  const size_t i = GENERATE(0, 1, 2, 3);
  const Exchange& x = all[i];
  const int icmp_len = x.input.tot_len() - x.input.iphdr_len();
  INFO("ICMP length " << icmp_len << (icmp_len % 2 ? " (odd)" : ""));

  Wire wire;
  feed(wire, x.input);
  const Bytes reply = wire.written();
  CHECK(packet_diff(x.reply, reply) == "");
  CHECK(ip_checksum_ok(reply));
  CHECK(icmp_checksum_ok(reply));
  CHECK(wire.written().empty());  // one reply, no more
}

TEST_CASE("a request with IP options gets a reply with a clean 20-byte IP header",
          "[step1][icmp][ip][golden]")
{
  // [golden]: expected is icmpecho's own captured reply to the request without options.
  const std::vector<Exchange> all = exchanges();
  REQUIRE(all.size() == 4);
  const size_t i = GENERATE(0, 2);  // an even and an odd ICMP length
  Packet request = all[i].input;
  SECTION("four bytes of options: NOP, NOP, NOP, end of list")
  {
    request.insert_ip_options({ 1, 1, 1, 0 });
  }
  SECTION("forty bytes of options, the most ihl can say (ihl 15)")
  {
    request.insert_ip_options(Bytes(40, 1));
  }
  REQUIRE(request.iphdr_len() > 20);

  Wire wire;
  feed(wire, request);
  const Bytes reply = wire.written();
  REQUIRE(reply.size() >= 20);
  CHECK((reply[0] & 0x0f) == 5);
  // Everything else as the captured reply to the request without options.
  CHECK(packet_diff(all[i].reply, reply) == "");
  CHECK(ip_checksum_ok(reply));
  CHECK(icmp_checksum_ok(reply));
}

TEST_CASE("icmp_input does not answer an echo reply", "[step1][icmp]")
{
  const std::vector<Exchange> all = exchanges();
  REQUIRE_FALSE(all.empty());
  Wire wire;
  feed(wire, Packet(all[0].reply));
  CHECK(wire.written().empty());
}

TEST_CASE("icmp_input drops an echo request whose ICMP checksum is wrong", "[step1][icmp][checksum]")
{
  const std::vector<Exchange> all = exchanges();
  REQUIRE(all.size() == 4);
  const size_t i = GENERATE(0, 1, 3);
  Packet request = all[i].input;
  const int icmp_len = request.tot_len() - request.iphdr_len();
  request.data()[request.iphdr_len() + icmp_len - 1] ^= 0x01;  // the last byte, odd or even
  Wire wire;
  feed(wire, request);
  CHECK(wire.written().empty());
}

TEST_CASE("icmp_input drops an ICMP message shorter than its 8-byte header", "[step1][icmp]")
{
  const std::vector<Exchange> all = exchanges();
  REQUIRE_FALSE(all.empty());
  Packet request = all[0].input;  // ping -s 0: the 8-byte header alone
  const int tot_len = GENERATE(20, 21, 27);
  request.data()[2] = 0;
  request.data()[3] = static_cast<unsigned char>(tot_len);
  request.fix_ip_checksum();
  INFO("ICMP length " << tot_len - 20);
  Wire wire;
  feed(wire, request);
  CHECK(wire.written().empty());
}
