// The IP layer's refusals, in one suite: ip_check and tcp_check, the length
// checks that guard every header read (faketcp.h states their contract), and
// what every step's main loop does with a packet ip_check refuses (ip_input,
// through main_loop_once: a "bad packet" line with the reason, nothing
// written), on packets captured from the kernel by tests/fixtures/capture.sh.
// What each step's own tcp_input does with a bad segment:
// tests/support/step_malformed_cases.h; icmp_input's: faketcp_malformed_unittest.
#include "faketcp.h"
#include "tests/support/fixture.h"
#include "tests/support/malformed.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>

// The kernel's SYN of `nc -z 192.168.0.7 5555`, with its options.
static Packet kernel_syn()
{
  return find_tcp(read_fixture("rejectall.pcap"), TH_SYN);
}

static bool accepted(const Packet& p, int nread, const char** why)
{
  *why = nullptr;
  return ip_check(p.data(), nread, why);
}

// What the main loop does with the first nread bytes of p, which ip_check
// refuses for `why`: one line (IPv6's quiet one, else "bad packet: WHY" and
// the hex dump), nothing written.  The same for every step: ip_input runs
// before any tcp_input (icmpecho's loop here).
static void check_loop_refuses(const Packet& p, int nread, const std::string& why)
{
  const Outcome o = main_loop_once(Bytes(p.data(), p.data() + nread), nullptr);
  CHECK_FALSE(o.accepted);
  CHECK(o.why == why);
  if (why == "IPv6")
    CHECK(o.printed.rfind("IPv6 packet ignored", 0) == 0);
  else
    CHECK(o.printed.rfind("bad packet: " + why + "\n", 0) == 0);
  CHECK(o.written.empty());
}

TEST_CASE("ip_check and tcp_check accept the kernel's SYN, TCP options and all", "[ip][tcp][step2]")
{
  const Packet syn = kernel_syn();
  const char* why = "not set";
  REQUIRE(accepted(syn, syn.size(), &why));
  CHECK(why == nullptr);  // a reason only for a refusal
  const int seg_len = syn.tot_len() - syn.iphdr_len();
  REQUIRE(syn.tcp()->doff > 5);  // the fixture's SYN carries options
  CHECK(tcp_check(syn.payload(), seg_len));
}

TEST_CASE("ip_check rejects every prefix of a good packet", "[ip]")
{
  for (const char* name : { "icmpecho.pcap", "rejectall.pcap", "discardall.pcap" })
  {
    for (const Bytes& bytes : read_fixture(name))
    {
      const Packet p(bytes);
      REQUIRE(ip_check(p.data(), p.size(), nullptr));
      int wrongly_accepted = 0, without_reason = 0;
      for (int nread = 0; nread < p.size(); ++nread)
      {
        const char* why = nullptr;
        if (ip_check(p.data(), nread, &why))
          ++wrongly_accepted;
        else if (why == nullptr)
          ++without_reason;
      }
      INFO(name << ", a packet of " << p.size() << " bytes");
      CHECK(wrongly_accepted == 0);
      CHECK(without_reason == 0);
    }
  }
  // What the main loop says of a read shorter than an IPv4 header, odd
  // lengths too.
  const Packet syn = kernel_syn();
  for (int nread = 1; nread < 20; ++nread)
  {
    CAPTURE(nread);
    check_loop_refuses(syn, nread, "shorter than an IPv4 header (20 bytes)");
  }
}

TEST_CASE("ip_check accepts bytes past tot_len; the packet stops at tot_len", "[ip]")
{
  const Packet syn = kernel_syn();
  Bytes longer = syn.bytes();
  longer.resize(longer.size() + 7, 0xa5);
  const Packet p(longer);
  const char* why = nullptr;
  CHECK(ip_check(p.data(), p.size(), &why));
  CHECK(why == nullptr);
  CHECK(p.tot_len() == syn.size());
}

TEST_CASE("ip_check rejects an IP header length (ihl) below 5", "[ip]")
{
  Packet p = kernel_syn();
  const int ihl = GENERATE(0, 1, 2, 3, 4);
  p.data()[0] = static_cast<unsigned char>(0x40 | ihl);
  // The checksum is over ihl*4 bytes, so it cannot be "fixed" for ihl < 5;
  // the length check comes first and must catch it.
  const char* why = nullptr;
  INFO("ihl " << ihl);
  CHECK_FALSE(accepted(p, p.size(), &why));
  REQUIRE(why != nullptr);
  CHECK(std::string(why) == "IP header length (ihl) below 5");
  check_loop_refuses(p, p.size(), "IP header length (ihl) below 5");
}

TEST_CASE("ip_check rejects a total length shorter than the IP header", "[ip]")
{
  Packet p = kernel_syn();
  SECTION("tot_len 19 with a 20-byte header")
  {
    p.data()[2] = 0;
    p.data()[3] = 19;
  }
  SECTION("tot_len 20 with a 24-byte header (options)")
  {
    p.insert_ip_options({ 1, 1, 1, 0 });
    p.data()[2] = 0;
    p.data()[3] = 20;
  }
  SECTION("tot_len 0")
  {
    p.data()[2] = 0;
    p.data()[3] = 0;
  }
  p.fix_ip_checksum();
  const char* why = nullptr;
  CHECK_FALSE(accepted(p, p.size(), &why));
  REQUIRE(why != nullptr);
  CHECK(std::string(why) == "total length shorter than the IP header");
  check_loop_refuses(p, p.size(), "total length shorter than the IP header");
}

TEST_CASE("ip_check rejects an IP header length (ihl) beyond the packet", "[ip]")
{
  // The SYN's first 28 bytes claiming a 60-byte header (ihl 15).
  Bytes b = kernel_syn().bytes();
  b.resize(28);
  b[0] = 0x4f;
  SECTION("beyond tot_len")
  {
    set_tot_len(b, 28);
    check_loop_refuses(Packet(b), 28, "total length shorter than the IP header");
  }
  SECTION("tot_len covers it, but beyond the bytes read")
  {
    set_tot_len(b, 60);
    check_loop_refuses(Packet(b), 28, "total length beyond the bytes read");
  }
}

TEST_CASE("ip_check rejects a total length beyond the bytes read", "[ip]")
{
  Packet p = kernel_syn();
  const int extra = GENERATE(1, 2, 1000, 65535 - 60);
  const int tot_len = p.size() + extra;
  p.data()[2] = static_cast<unsigned char>(tot_len >> 8);
  p.data()[3] = static_cast<unsigned char>(tot_len & 0xff);
  p.fix_ip_checksum();
  const char* why = nullptr;
  INFO("tot_len " << tot_len << " of " << p.size() << " bytes read");
  CHECK_FALSE(accepted(p, p.size(), &why));
  REQUIRE(why != nullptr);
  CHECK(std::string(why) == "total length beyond the bytes read");
  check_loop_refuses(p, p.size(), "total length beyond the bytes read");
}

TEST_CASE("ip_check rejects a bad header checksum: any one flipped bit of the checksum or addresses",
          "[ip][checksum]")
{
  const Packet good = kernel_syn();
  // Bytes 8..19: ttl, protocol, checksum, source, destination; a flip there
  // leaves every length valid, so only the checksum can catch it.
  int wrongly_accepted = 0, other_reason = 0;
  for (int byte = 8; byte < 20; ++byte)
  {
    for (int bit = 0; bit < 8; ++bit)
    {
      Packet p = good;
      p.data()[byte] ^= static_cast<unsigned char>(1 << bit);
      const char* why = nullptr;
      if (accepted(p, p.size(), &why))
        ++wrongly_accepted;
      else if (std::string(why) != "bad IP header checksum")
        ++other_reason;
      else if (byte == 11 && bit == 0)
        check_loop_refuses(p, p.size(), why);
    }
  }
  CHECK(wrongly_accepted == 0);
  CHECK(other_reason == 0);
}

TEST_CASE("ip_check rejects fragments and accepts DF alone", "[ip]")
{
  Packet p = kernel_syn();
  uint16_t frag_off = 0;
  bool fragment = true;
  SECTION("more fragments (MF) set: a first fragment") { frag_off = IP_MF; }
  SECTION("MF and DF both set") { frag_off = IP_MF | IP_DF; }
  SECTION("MF and an offset: a middle fragment") { frag_off = IP_MF | 185; }
  SECTION("the greatest offset") { frag_off = IP_OFFMASK; }
  SECTION("an offset: a later fragment") { frag_off = 185; }  // 185 * 8 = byte 1480
  SECTION("the last fragment, DF clear") { frag_off = 1; }
  SECTION("don't fragment alone: a whole packet")
  {
    frag_off = IP_DF;
    fragment = false;
  }
  SECTION("no flags at all: a whole packet")
  {
    frag_off = 0;
    fragment = false;
  }
  p.data()[6] = static_cast<unsigned char>(frag_off >> 8);
  p.data()[7] = static_cast<unsigned char>(frag_off & 0xff);
  p.fix_ip_checksum();
  const char* why = nullptr;
  CHECK(accepted(p, p.size(), &why) == !fragment);
  if (fragment)
  {
    REQUIRE(why != nullptr);
    CHECK(std::string(why) == "IP fragment (this program does not reassemble)");
    check_loop_refuses(p, p.size(), why);
  }
}

TEST_CASE("ip_check rejects IPv6 and any other version, however short", "[ip]")
{
  Packet p = kernel_syn();
  SECTION("version 6, as the kernel's router solicitations on a fresh tun0")
  {
    p.data()[0] = 0x60;
    const char* why = nullptr;
    CHECK_FALSE(accepted(p, p.size(), &why));
    REQUIRE(why != nullptr);
    CHECK(std::string(why) == "IPv6");
    CHECK_FALSE(accepted(p, 1, &why));  // one byte is enough to tell
    for (int nread : { 1, 19, p.size() })
      check_loop_refuses(p, nread, "IPv6");
  }
  SECTION("versions 0, 5 and 15")
  {
    for (int version : { 0, 5, 15 })
    {
      CAPTURE(version);
      p.data()[0] = static_cast<unsigned char>(version << 4 | 5);
      p.fix_ip_checksum();
      const char* why = nullptr;
      CHECK_FALSE(accepted(p, p.size(), &why));
      REQUIRE(why != nullptr);
      CHECK(std::string(why) == "not IPv4");
      for (int nread : { 1, 19, p.size() })
        check_loop_refuses(p, nread, "not IPv4");
    }
  }
  SECTION("an empty read")
  {
    const char* why = nullptr;
    CHECK_FALSE(accepted(p, 0, &why));
    CHECK_FALSE(accepted(p, -1, &why));
    check_loop_refuses(p, 0, "empty read");
  }
}

TEST_CASE("tcp_check rejects every segment shorter than 20 bytes", "[tcp]")
{
  const Packet syn = kernel_syn();
  int wrongly_accepted = 0;
  for (int seg_len = -1; seg_len < 20; ++seg_len)
    if (tcp_check(syn.payload(), seg_len))
      ++wrongly_accepted;
  CHECK(wrongly_accepted == 0);
}

TEST_CASE("tcp_check rejects a data offset (doff) below 5", "[tcp]")
{
  Packet syn = kernel_syn();
  const int seg_len = syn.tot_len() - syn.iphdr_len();
  const int doff = GENERATE(0, 1, 2, 3, 4);
  unsigned char* byte12 = syn.data() + syn.iphdr_len() + 12;
  *byte12 = static_cast<unsigned char>((doff << 4) | (*byte12 & 0x0f));
  INFO("doff " << doff);
  CHECK_FALSE(tcp_check(syn.payload(), seg_len));
}

TEST_CASE("tcp_check rejects a data offset (doff) beyond the segment", "[tcp]")
{
  const Packet syn = kernel_syn();
  const int seg_len = syn.tot_len() - syn.iphdr_len();
  const int doff = syn.tcp()->doff;
  REQUIRE(doff * 4 == seg_len);
  SECTION("the SYN cut anywhere inside its options")
  {
    int wrongly_accepted = 0;
    for (int cut = 20; cut < seg_len; ++cut)
      if (tcp_check(syn.payload(), cut))
        ++wrongly_accepted;
    CHECK(wrongly_accepted == 0);
    CHECK(tcp_check(syn.payload(), seg_len));
  }
  SECTION("doff raised to 15 (60 bytes) in a 40-byte segment")
  {
    Packet p = syn;
    unsigned char* byte12 = p.data() + p.iphdr_len() + 12;
    *byte12 = static_cast<unsigned char>(0xf0 | (*byte12 & 0x0f));
    CHECK_FALSE(tcp_check(p.payload(), seg_len));
  }
}
