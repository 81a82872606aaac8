// Malformed ICMP through the shared receive path, as icmpecho's main loop
// runs it (main_loop_once): what passes ip_check but not icmp_input.  The IP
// layer's own refusals are all in ip_check_unittest.  Each
// case asserts what the program does (refuses with the reason ip_check
// gives, reports with bad_packet, or skips quietly) and that it writes
// nothing to the fd.  Found by hand and by tests/fuzz; see tests/fuzz/run.
#include "faketcp.h"
#include "tests/support/malformed.h"
#include "tests/support/packet_diff.h"

#include <arpa/inet.h>
#include <netinet/ip_icmp.h>
#include <catch2/catch.hpp>

// The kernel's echo request of `ping -s 57`: 85 bytes, ICMP length 65.
static const size_t kEchoSize = 85;
static Bytes echo_request()
{
  for (const Bytes& p : read_fixture("icmpecho.pcap"))
    if (p.size() == kEchoSize && p[9] == IPPROTO_ICMP && p[20] == ICMP_ECHO)
      return p;
  FAIL("icmpecho.pcap holds no 85-byte echo request");
  return Bytes();
}

// The packet was refused for `why`: reported as a bad packet, nothing written.
static void check_refused(const Outcome& o, const std::string& why)
{
  INFO("rule: a packet that is not a whole, valid IPv4 datagram (" << why
       << ") is refused: reported with bad_packet(), and nothing is written (RFC 1122 3.2.1.1 to 3.2.1.8)");
  CHECK_FALSE(o.accepted);
  CHECK(o.why == why);
  CHECK(refusal_diff(o.printed, why) == "");
  CHECK(o.written.empty());
}

TEST_CASE("the unchanged echo request is answered: the cases below differ from it in one thing",
          "[ip][icmp][malformed]")
{
  const Outcome o = main_loop_once(echo_request(), nullptr);
  CHECK(o.accepted);
  REQUIRE(o.written.size() == 1);
  CHECK(o.written[0].size() == kEchoSize);
  CHECK(ip_checksum_ok(o.written[0]));
  CHECK(icmp_checksum_ok(o.written[0]));
}

TEST_CASE("tot_len smaller than the read: the packet stops at tot_len", "[ip][icmp][malformed]")
{
  SECTION("below the 20-byte header: refused")
  {
    const int tot_len = GENERATE(0, 1, 19);
    CAPTURE(tot_len);
    Bytes p = echo_request();
    set_tot_len(p, tot_len);
    check_refused(main_loop_once(p, nullptr), "total length shorter than the IP header");
  }
  SECTION("cutting the echo data: the ICMP checksum no longer holds, nothing written")
  {
    Bytes p = echo_request();
    set_tot_len(p, kEchoSize - 1);
    const Outcome o = main_loop_once(p, nullptr);
    CHECK(o.accepted);
    CHECK(refusal_diff(o.printed, "bad ICMP checksum") == "");
    CHECK(o.written.empty());
  }
  SECTION("bytes past a whole packet: answered, and the reply leaves them out")
  {
    Bytes p = echo_request();
    p.insert(p.end(), { 0xa5, 0xa5, 0xa5 });  // 88 bytes read, tot_len 85
    const Outcome o = main_loop_once(p, nullptr);
    CHECK(o.accepted);
    REQUIRE(o.written.size() == 1);
    CHECK(o.written[0].size() == kEchoSize);
    CHECK(ip_checksum_ok(o.written[0]));
    CHECK(icmp_checksum_ok(o.written[0]));
  }
}

TEST_CASE("an echo request of odd length gets a reply of the same length with a right checksum",
          "[icmp][malformed]")
{
  // 20 + 8 + 7 = 35 bytes: in_checksum pads the last byte.
  Bytes p = echo_request();
  p.resize(35);
  set_tot_len(p, 35);
  icmp_fix_checksum(p);
  const Outcome o = main_loop_once(p, nullptr);
  REQUIRE(o.written.size() == 1);
  CHECK(o.written[0].size() == 35);
  CHECK(icmp_checksum_ok(o.written[0]));
}

TEST_CASE("IPv4 options: answered with a plain header, unless they leave no room for ICMP",
          "[ip][icmp][malformed]")
{
  Packet with_options(echo_request());
  with_options.insert_ip_options({ 1, 1, 1, 0 });  // NOP NOP NOP EOL: ihl 6
  SECTION("a whole echo request after the options: answered, ihl 5")
  {
    const Outcome o = main_loop_once(with_options.bytes(), nullptr);
    REQUIRE(o.written.size() == 1);
    CHECK((o.written[0][0] & 0x0f) == 5);
    CHECK(o.written[0].size() == kEchoSize);
    CHECK(ip_checksum_ok(o.written[0]));
    CHECK(icmp_checksum_ok(o.written[0]));
  }
  SECTION("tot_len 28: the options take 4 of the 8 ICMP bytes")
  {
    Bytes p = with_options.bytes();
    set_tot_len(p, 28);
    const Outcome o = main_loop_once(p, nullptr);
    CHECK(o.accepted);
    CHECK(refusal_diff(o.printed, "ICMP message shorter than 8 bytes") == "");
    CHECK(o.written.empty());
  }
}

TEST_CASE("unknown protocols pass ip_check and are skipped quietly", "[ip][malformed]")
{
  // UDP, IGMP, 0 (IPv6 hop-by-hop), 255 (reserved); TCP too, for icmpecho.
  const int protocol = GENERATE(int(IPPROTO_UDP), int(IPPROTO_IGMP), 0, 255, int(IPPROTO_TCP));
  CAPTURE(protocol);
  Bytes p = echo_request();
  p[9] = static_cast<unsigned char>(protocol);
  ip_fix_checksum(p);
  const Outcome o = main_loop_once(p, nullptr);
  CHECK(o.accepted);
  CHECK(o.printed.empty());
  CHECK(o.written.empty());
}

TEST_CASE("an ICMP message shorter than 8 bytes is reported, nothing written", "[icmp][malformed]")
{
  const int icmp_len = GENERATE(0, 1, 4, 7);
  CAPTURE(icmp_len);
  Bytes p = echo_request();
  p.resize(20 + icmp_len);
  set_tot_len(p, 20 + icmp_len);
  const Outcome o = main_loop_once(p, nullptr);
  CHECK(o.accepted);
  CHECK(refusal_diff(o.printed, "ICMP message shorter than 8 bytes") == "");
  CHECK(o.written.empty());
}

TEST_CASE("an echo request with a bad ICMP checksum is reported, nothing written", "[icmp][malformed]")
{
  Bytes p = echo_request();
  SECTION("the checksum field off by one bit") { p[23] ^= 0x01; }
  SECTION("the last data byte, an odd one, changed") { p[kEchoSize - 1] ^= 0x80; }
  const Outcome o = main_loop_once(p, nullptr);
  CHECK(o.accepted);
  CHECK(refusal_diff(o.printed, "bad ICMP checksum") == "");
  CHECK(o.written.empty());
}

TEST_CASE("ICMP messages other than echo requests are skipped quietly", "[icmp][malformed]")
{
  const int type = GENERATE(int(ICMP_ECHOREPLY), int(ICMP_DEST_UNREACH), int(ICMP_TIME_EXCEEDED), 255);
  CAPTURE(type);
  Bytes p = echo_request();
  p[20] = static_cast<unsigned char>(type);
  const Outcome o = main_loop_once(p, nullptr);
  CHECK(o.accepted);
  CHECK(o.printed.empty());
  CHECK(o.written.empty());
}
