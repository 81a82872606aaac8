// Unit tests of in_checksum and tcp_checksum, the functions every step uses.
#include "faketcp.h"
#include "tests/support/fixture.h"
#include "tests/support/packet_diff.h"
#include "tests/support/reference.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <random>

TEST_CASE("in_checksum gives RFC 1071's worked example 0x220d", "[checksum]")
{
  // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2, whose
  // complement is the checksum.
  const unsigned char data[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
  CHECK(checksum_diff(ntohs(in_checksum(data, sizeof data)), 0x220d) == "");
  CHECK(rfc1071_checksum(data, sizeof data) == 0x220d);  // the tests' reference agrees
}

TEST_CASE("in_checksum pads an odd last byte with a zero on its right", "[checksum]")
{
  const unsigned char odd[] = { 0x00, 0x01, 0xf2 };
  const unsigned char even[] = { 0x00, 0x01, 0xf2, 0x00 };
  INFO("00 01 f2: the odd last byte f2 is padded with a zero byte on its right, so the words are"
       " 0x0001 and 0xf200 (RFC 1071 4.1), as for 00 01 f2 00");
  CHECK(checksum_diff(ntohs(in_checksum(odd, 3)), ntohs(in_checksum(even, 4))) == "");
  CHECK(checksum_diff(ntohs(in_checksum(odd, 3)), static_cast<uint16_t>(~(0x0001 + 0xf200))) == "");
}

// ---------------------------------------------------------------- against a reference

// The reference: rfc1071_checksum of tests/support/reference.h, RFC 1071
// the plain way, written apart from in_checksum.  It returns the checksum as
// a number; in_checksum returns it in network byte order.

TEST_CASE("in_checksum agrees with a plain RFC 1071 sum on random buffers of every length 0..1500",
          "[checksum]")
{
  std::mt19937 rng(1071);  // fixed seed: a failure can be reproduced
  std::uniform_int_distribution<int> byte(0, 255);
  unsigned char buf[1500 + 8];
  int mismatches = 0;
  for (int len = 0; len <= 1500; ++len)
  {
    // Three buffers of each length, starting at an even and an odd address:
    // the sum must not depend on where the bytes lie.
    for (int round = 0; round < 3; ++round)
    {
      const int start = round;
      for (int i = 0; i < len; ++i)
        buf[start + i] = static_cast<unsigned char>(byte(rng));
      const uint16_t expected = rfc1071_checksum(buf + start, len);
      const uint16_t got = ntohs(in_checksum(buf + start, len));
      if (got != expected && mismatches++ == 0)
        UNSCOPED_INFO("first mismatch: length " << len << ", start offset " << start << ": "
                      << checksum_diff(got, expected));
    }
  }
  CHECK(mismatches == 0);  // of 1501 lengths x 3 buffers
}

TEST_CASE("in_checksum folds every carry: all-0xff buffers of every length", "[checksum]")
{
  // 0xffff words make the most carries; the sum is 0xffff (or 0xff00 plus
  // carries for an odd tail), whatever the length.
  unsigned char ones[1500];
  memset(ones, 0xff, sizeof ones);
  int mismatches = 0;
  for (int len = 0; len <= 1500; ++len)
  {
    const uint16_t expected = rfc1071_checksum(ones, len);
    if (ntohs(in_checksum(ones, len)) != expected && mismatches++ == 0)
      UNSCOPED_INFO("first mismatch: length " << len << ", all bytes 0xff: "
                    << checksum_diff(ntohs(in_checksum(ones, len)), expected)
                    << "; every carry above bit 16 must be folded back in, until none is left");
  }
  CHECK(mismatches == 0);
  CHECK(checksum_diff(ntohs(in_checksum(ones, 2)), 0x0000) == "");
  INFO("no bytes at all: the sum is 0, its complement 0xffff");
  CHECK(checksum_diff(ntohs(in_checksum(ones, 0)), 0xffff) == "");
}

TEST_CASE("a buffer with its checksum inserted sums to zero, odd lengths too", "[checksum]")
{
  std::mt19937 rng(793);
  std::uniform_int_distribution<int> byte(0, 255);
  unsigned char buf[1500];
  int nonzero = 0;
  for (int len = 2; len <= 1500; ++len)
  {
    for (int i = 0; i < len; ++i)
      buf[i] = static_cast<unsigned char>(byte(rng));
    // The checksum field lies on a 16-bit boundary, as in every header.
    const int at = 2 * std::uniform_int_distribution<int>(0, len / 2 - 1)(rng);
    buf[at] = buf[at + 1] = 0;
    const uint16_t check = in_checksum(buf, len);
    memcpy(buf + at, &check, 2);  // stored as returned: network byte order
    if (in_checksum(buf, len) != 0 && nonzero++ == 0)
      UNSCOPED_INFO("first failure: length " << len << ", checksum at " << at << ": with its checksum"
                    " stored as in_checksum returned it, a buffer must sum to 0 (RFC 1071 1), yet "
                    << checksum_diff(ntohs(in_checksum(buf, len)), 0));
  }
  CHECK(nonzero == 0);  // of 1499 buffers
}

// ---------------------------------------------------------------- on captured packets

TEST_CASE("tcp_checksum of the kernel's captured SYN gives the checksum the kernel wrote",
          "[tcp][checksum][kernel]")
{
  // [kernel]: the expected checksum is the one Linux wrote in its own SYN.
  Packet syn = find_tcp(read_fixture("rejectall.pcap"), TH_SYN);
  const int seg_len = syn.tot_len() - syn.iphdr_len();
  REQUIRE(seg_len == syn.tcp()->doff * 4);  // a SYN with options, no data
  REQUIRE(seg_len > 20);

  SECTION("with the field zeroed, the sum is the captured value")
  {
    const uint16_t captured = syn.tcp()->check;
    unsigned char* field = syn.data() + syn.iphdr_len() + 16;
    field[0] = field[1] = 0;
    CHECK(checksum_diff(ntohs(tcp_checksum(syn.ip(), syn.payload(), seg_len)), ntohs(captured)) == "");
  }
  SECTION("with the field filled in, the segment verifies to zero")
  {
    INFO("a segment with its checksum filled in sums to 0, pseudo-header included");
    CHECK(checksum_diff(ntohs(tcp_checksum(syn.ip(), syn.payload(), seg_len)), 0) == "");
  }
  SECTION("one flipped bit in the segment or the addresses makes it fail")
  {
    SECTION("a bit of the sequence number")
    {
      syn.data()[syn.iphdr_len() + 4] ^= 0x01;
    }
    SECTION("a bit of the destination address, covered by the pseudo-header")
    {
      syn.data()[19] ^= 0x80;
    }
    CHECK(tcp_checksum(syn.ip(), syn.payload(), seg_len) != 0);
  }
}

TEST_CASE("tcp_checksum agrees with a plain pseudo-header sum for segments up to 1480 bytes",
          "[tcp][checksum]")
{
  // The pseudo-header's TCP length is 16 bits: segments longer than 255
  // bytes must count their high byte too (the article's one-byte field did not).
  const Packet syn = find_tcp(read_fixture("rejectall.pcap"), TH_SYN);
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> byte(0, 255);
  alignas(4) unsigned char segment[1480];
  for (int len : { 20, 21, 255, 256, 257, 1000, 1479, 1480 })
  {
    for (int i = 0; i < len; ++i)
      segment[i] = static_cast<unsigned char>(byte(rng));
    unsigned char sum_input[12 + 1480];
    memcpy(sum_input, syn.data() + 12, 8);  // source and destination
    sum_input[8] = 0;
    sum_input[9] = IPPROTO_TCP;
    sum_input[10] = static_cast<unsigned char>(len >> 8);
    sum_input[11] = static_cast<unsigned char>(len & 0xff);
    memcpy(sum_input + 12, segment, len);
    INFO("segment length " << len);
    INFO("the pseudo-header: source, destination, a zero byte, protocol 6, the TCP length in 16 bits");
    CHECK(checksum_diff(ntohs(tcp_checksum(syn.ip(), segment, len)), rfc1071_checksum(sum_input, 12 + len)) == "");
  }
}

TEST_CASE("in_checksum and tcp_checksum verify every captured packet, the kernel's and the programs'",
          "[ip][checksum][kernel]")
{
  // [kernel]: about half of these packets are Linux's own, checksums
  // written by the kernel; the rest are the programs' goldens.
  for (const char* name : { "icmpecho.pcap", "rejectall.pcap", "acceptall.pcap", "discardall.pcap",
                            "connectmany.pcap", "connectmany_refused.pcap" })
  {
    const std::vector<Bytes> packets = read_fixture(name);
    REQUIRE(packets.size() >= 2);
    for (size_t i = 0; i < packets.size(); ++i)
    {
      INFO(name << " packet " << i + 1);
      const Packet p(packets[i]);
      const char* why = nullptr;
      REQUIRE(ip_check(p.data(), p.size(), &why));
      CHECK(checksum_diff(ntohs(in_checksum(p.data(), p.iphdr_len())), 0) == "");
      CHECK(ip_checksum_ok(packets[i]));
      if (p.ip()->protocol == IPPROTO_TCP)
      {
        CHECK(checksum_diff(ntohs(tcp_checksum(p.ip(), p.payload(), p.tot_len() - p.iphdr_len())), 0) == "");
        CHECK(tcp_checksum_ok(packets[i]));
      }
      else
      {
        REQUIRE(p.ip()->protocol == IPPROTO_ICMP);
        CHECK(checksum_diff(ntohs(in_checksum(p.payload(), p.tot_len() - p.iphdr_len())), 0) == "");
        CHECK(icmp_checksum_ok(packets[i]));
      }
    }
  }
}
