// Unit tests of ip_check and tcp_check, the length checks that guard every
// header read (faketcp.h states their contract), on packets captured from
// the kernel by tests/fixtures/capture.sh.
#include "faketcp.h"
#include "tests/support/fixture.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>

static uint32_t addr(const char* text)
{
  uint32_t a = 0;
  inet_pton(AF_INET, text, &a);
  return a;
}

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

TEST_CASE("ip_check accepts the kernel's SYN and every IP field reads right", "[ip][step2]")
{
  const Packet syn = kernel_syn();
  const char* why = "not set";
  REQUIRE(accepted(syn, syn.size(), &why));
  CHECK(why == nullptr);

  const struct iphdr* ip = syn.ip();
  CHECK(ip->version == 4);
  CHECK(ip->ihl == 5);
  CHECK(ip->tos == 0);
  CHECK(ntohs(ip->tot_len) == syn.size());
  CHECK(ntohs(ip->tot_len) == 20 + syn.tcp()->doff * 4);
  CHECK(ntohs(ip->frag_off) == IP_DF);  // Linux sets DF for path MTU discovery
  CHECK(ip->ttl == 64);                 // net.ipv4.ip_default_ttl
  CHECK(ip->protocol == IPPROTO_TCP);
  CHECK(ip->saddr == addr("192.168.0.1"));
  CHECK(ip->daddr == addr("192.168.0.7"));
}

TEST_CASE("tcp_check accepts the kernel's SYN and every TCP field and option reads right",
          "[tcp][step2]")
{
  const Packet syn = kernel_syn();
  REQUIRE(ip_check(syn.data(), syn.size(), nullptr));
  const int seg_len = syn.tot_len() - syn.iphdr_len();
  REQUIRE(tcp_check(syn.payload(), seg_len));

  const struct tcphdr* tcp = syn.tcp();
  CHECK(ntohs(tcp->dest) == 5555);
  CHECK(ntohs(tcp->source) >= 1024);  // an ephemeral port
  CHECK(tcp->syn == 1);
  CHECK(tcp->ack == 0);
  CHECK(tcp->rst == 0);
  CHECK(tcp->fin == 0);
  CHECK(tcp->ack_seq == 0);
  CHECK(tcp->doff * 4 == seg_len);     // options, no data
  CHECK(ntohs(tcp->window) > 0);

  // The options of a Linux SYN: MSS, SACK permitted, timestamps, window
  // scale, padded with NOPs.  Walk them as any receiver would.
  const unsigned char* opt = syn.payload() + 20;
  const int opt_len = tcp->doff * 4 - 20;
  int mss = -1, wscale = -1;
  bool sack_ok = false, timestamps = false;
  for (int i = 0; i < opt_len;)
  {
    const int kind = opt[i];
    if (kind == 0)  // end of option list
      break;
    if (kind == 1)  // NOP
    {
      ++i;
      continue;
    }
    REQUIRE(i + 1 < opt_len);
    const int len = opt[i + 1];
    REQUIRE(len >= 2);
    REQUIRE(i + len <= opt_len);
    if (kind == 2 && len == 4)
      mss = (opt[i + 2] << 8) | opt[i + 3];
    else if (kind == 3 && len == 3)
      wscale = opt[i + 2];
    else if (kind == 4 && len == 2)
      sack_ok = true;
    else if (kind == 8 && len == 10)
      timestamps = true;
    i += len;
  }
  CHECK(mss == 1500 - 20 - 20);  // tun0's MTU less the IP and TCP headers
  CHECK(sack_ok);
  CHECK(timestamps);
  CHECK(wscale >= 0);
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
  }
  SECTION("version 5")
  {
    p.data()[0] = 0x55;
    p.fix_ip_checksum();
    const char* why = nullptr;
    CHECK_FALSE(accepted(p, p.size(), &why));
    REQUIRE(why != nullptr);
    CHECK(std::string(why) == "not IPv4");
  }
  SECTION("an empty read")
  {
    const char* why = nullptr;
    CHECK_FALSE(accepted(p, 0, &why));
    CHECK_FALSE(accepted(p, -1, &why));
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
