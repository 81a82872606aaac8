// Unit tests of packet_diff (tests/support/packet_diff.h), the helper that
// says which field of a packet differs when a byte-for-byte test fails: one
// case for each kind of field it names.  The packets are built here by hand,
// so that every number in the expected text is known.
#include "tests/support/packet_diff.h"

#include <algorithm>
#include <catch2/catch.hpp>

namespace
{

const uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

// 192.168.0.7:5555 > 192.168.0.1:40000, ttl 64, DF, checksums right.
Bytes tcp_packet(uint8_t flags, uint32_t seq, uint32_t ack, const std::string& data = "")
{
  Bytes p(40 + data.size());
  p[0] = 0x45;
  put16(&p[2], static_cast<uint16_t>(p.size()));
  put16(&p[6], 0x4000);  // DF
  p[8] = 64;
  p[9] = 6;  // TCP
  put32(&p[12], 0xc0a80007);
  put32(&p[16], 0xc0a80001);
  put16(&p[20], 5555);
  put16(&p[22], 40000);
  put32(&p[24], seq);
  put32(&p[28], ack);
  p[32] = 5 << 4;
  p[33] = flags;
  put16(&p[34], 5000);
  std::copy(data.begin(), data.end(), p.begin() + 40);
  ip_fix_checksum(p);
  tcp_fix_checksum(p);
  return p;
}

// An echo reply 192.168.0.2 > 192.168.0.1, id 77, seq 1, `len` data bytes
// 0, 1, 2, ...
Bytes echo_reply(size_t len)
{
  Bytes p(28 + len);
  p[0] = 0x45;
  put16(&p[2], static_cast<uint16_t>(p.size()));
  p[8] = 64;
  p[9] = 1;  // ICMP
  put32(&p[12], 0xc0a80002);
  put32(&p[16], 0xc0a80001);
  put16(&p[24], 77);
  put16(&p[26], 1);
  for (size_t i = 0; i < len; ++i)
    p[28 + i] = static_cast<unsigned char>(i);
  ip_fix_checksum(p);
  icmp_fix_checksum(p);
  return p;
}

}  // namespace

TEST_CASE("packet_diff says nothing about two packets of the same bytes", "[packet_diff]")
{
  const Bytes rst = tcp_packet(kRst | kAck, 0, 1002);
  CHECK(ip_checksum_ok(rst));
  CHECK(tcp_checksum_ok(rst));
  CHECK(packet_diff(rst, rst) == "");
  CHECK(packet_diff(echo_reply(56), echo_reply(56)) == "");
  CHECK(packet_diff(Bytes(), Bytes()) == "");
}

TEST_CASE("packet_diff names a TCP number: what was written, what was wanted", "[packet_diff]")
{
  const Bytes want = tcp_packet(kRst | kAck, 0, 1002);
  Bytes got = want;
  put32(&got[28], 1001);  // the checksum left as it was: one field differs
  CHECK(packet_diff(want, got) == "RST+ACK: tcp ack is 1001, want 1002 = the SYN's seq + 1 (a SYN counts as one byte)");

  SECTION("a field written right but its checksum not recomputed, and the other way round")
  {
    tcp_fix_checksum(got);
    CHECK(packet_diff(want, got) == "RST+ACK: tcp ack is 1001, want 1002 = the SYN's seq + 1 (a SYN counts as one byte)\n"
                                    "RST+ACK: tcp checksum is 0x" + hex(&got[36], 1) + hex(&got[37], 1)
                                        + ", want 0x" + hex(&want[36], 1) + hex(&want[37], 1)
                                        + " (tcp_checksum() of the pseudo-header and the segment, the field 0,"
                                          " once every other field is set)");
  }
  SECTION("seq, window and ports each by name, in wire order")
  {
    got = want;
    put16(&got[22], 40001);
    put32(&got[24], 7);
    put16(&got[34], 4999);
    CHECK(packet_diff(want, got) == "RST+ACK: tcp dest port is 40001, want 40000"
                                    " (a reply's ports are the segment's, swapped)\n"
                                    "RST+ACK: tcp seq is 7, want 0"
                                    " (a reset answering a segment without ACK has seq 0)\n"
                                    "RST+ACK: tcp win is 4999, want 5000 (a reset carries window 0)");
  }
}

TEST_CASE("packet_diff names TCP flags and the data offset", "[packet_diff]")
{
  const Bytes want = tcp_packet(kSyn | kAck, 123456, 1001);
  Bytes got = want;
  got[33] = kRst | kAck;
  CHECK(packet_diff(want, got) == "SYN+ACK: tcp flags is RST+ACK, want SYN+ACK"
                                  " (set the tcphdr bits syn and ack to 1, the others 0)");
  got = want;
  got[32] = 4 << 4;  // doff 4: the header is still read as its 20 bytes
  CHECK(packet_diff(want, got) == "SYN+ACK: tcp doff is 4, want 5"
                                  " (the header in 32-bit words: 5 for 20 bytes, no options)");
  got = want;
  got[33] = 0;
  CHECK(packet_diff(want, got) == "SYN+ACK: tcp flags is none, want SYN+ACK"
                                  " (set the tcphdr bits syn and ack to 1, the others 0)");
}

TEST_CASE("packet_diff names an IP address, a number and the header checksum", "[packet_diff]")
{
  const Bytes want = tcp_packet(kAck, 123457, 1007);
  Bytes got = want;
  put32(&got[16], 0xc0a80009);
  got[8] = 63;
  got[10] = 0xab;
  got[11] = 0xcd;
  CHECK(packet_diff(want, got) == "ACK: ip ttl is 63, want 64\n"
                                  "ACK: ip checksum is 0xabcd, want 0x" + hex(&want[10], 1) + hex(&want[11], 1)
                                      + " (in_checksum() of the 20-byte IP header, check 0, once every other"
                                        " IP field is set)\n"
                                  "ACK: ip daddr is 192.168.0.9, want 192.168.0.1"
                                  " (a reply goes back: the packet's addresses, swapped)");
}

TEST_CASE("packet_diff names the IP flags and fragment offset", "[packet_diff]")
{
  const Bytes want = tcp_packet(kAck, 1, 1);
  Bytes got = want;
  put16(&got[6], 0x2001);  // MF, offset 1 (8 bytes)
  CHECK(packet_diff(want, got) == "ACK: ip frag_off is 0x2001 (MF offset 8), want 0x4000 (DF)");
  put16(&got[6], 0);
  CHECK(packet_diff(want, got) == "ACK: ip frag_off is 0x0000, want 0x4000 (DF)");
}

TEST_CASE("packet_diff shows IP and TCP options as bytes, by each packet's own ihl and doff",
          "[packet_diff]")
{
  const Bytes want = tcp_packet(kSyn | kAck, 123456, 1001);
  SECTION("IP options where none were wanted")
  {
    Bytes got = want;
    got.insert(got.begin() + 20, { 1, 1, 1, 0 });
    got[0] = 0x46;
    put16(&got[2], static_cast<uint16_t>(got.size()));
    ip_fix_checksum(got);
    const std::string diff = packet_diff(want, got);
    CHECK(diff.find("SYN+ACK: length is 44 bytes, want 40 bytes\n") == 0);
    CHECK(diff.find("SYN+ACK: ip ihl is 6, want 5 (") != std::string::npos);
    CHECK(diff.find("SYN+ACK: ip options is 01 01 01 00, want none") != std::string::npos);
    // The TCP header is read after the options: its fields are alike.
    CHECK(diff.find("tcp seq") == std::string::npos);
  }
  SECTION("a TCP option: MSS 1460")
  {
    Bytes got = want;
    got.insert(got.begin() + 40, { 2, 4, 0x05, 0xb4 });
    got[32] = 6 << 4;
    put16(&got[2], static_cast<uint16_t>(got.size()));
    const std::string diff = packet_diff(want, got);
    CHECK(diff.find("SYN+ACK: tcp doff is 6, want 5 (") != std::string::npos);
    CHECK(diff.find("SYN+ACK: tcp options is 02 04 05 b4, want none") != std::string::npos);
    CHECK(diff.find("tcp payload") == std::string::npos);
  }
}

TEST_CASE("packet_diff shows a short payload whole, as text when it is text", "[packet_diff]")
{
  const Bytes want = tcp_packet(kPsh | kAck, 123457, 1001, "hello\n");
  SECTION("text")
  {
    Bytes got = want;
    got[44] = 'p';
    CHECK(packet_diff(want, got) == "PSH+ACK: tcp payload is \"hellp\\n\", want \"hello\\n\"");
  }
  SECTION("binary")
  {
    Bytes got = want;
    got[44] = 0xff;
    CHECK(packet_diff(want, got) == "PSH+ACK: tcp payload is 68 65 6c 6c ff 0a, want \"hello\\n\"");
  }
  SECTION("none written")
  {
    const Bytes got = tcp_packet(kPsh | kAck, 123457, 1001);
    const std::string diff = packet_diff(want, got);
    CHECK(diff.find("PSH+ACK: tcp payload is none, want \"hello\\n\"") != std::string::npos);
  }
}

TEST_CASE("packet_diff gives the first differing byte of a long payload, and how many differ",
          "[packet_diff]")
{
  const Bytes want = echo_reply(1472);
  Bytes got = want;
  got[28 + 700] ^= 0xff;
  got[28 + 900] ^= 0xff;
  CHECK(packet_diff(want, got)
        == "echo reply: icmp payload byte 700 is 0x43, want 0xbc (2 of 1472 bytes differ)");
  const Bytes shorter = echo_reply(1400);
  CHECK(packet_diff(want, shorter).find("echo reply: icmp payload is 1400 bytes, want 1472")
        != std::string::npos);
}

TEST_CASE("packet_diff names the ICMP fields: type, code, id, seq", "[packet_diff]")
{
  const Bytes want = echo_reply(8);
  Bytes got = want;
  got[20] = 8;  // an echo request written back unchanged
  put16(&got[26], 2);
  CHECK(packet_diff(want, got) == "echo reply: icmp type is echo request, want echo reply"
                                  " (an echo reply is type 0, ICMP_ECHOREPLY)\n"
                                  "echo reply: icmp seq is 2, want 1");
  got = want;
  got[20] = 3;
  got[21] = 3;
  const std::string diff = packet_diff(want, got);
  CHECK(diff.find("echo reply: icmp type is ICMP type 3, want echo reply (") == 0);
  CHECK(diff.find("echo reply: icmp code is 3, want 0\n") != std::string::npos);
  // Type 3 has no id and seq: its bytes 4..7 are shown as bytes.
  CHECK(diff.find("echo reply: icmp id is absent, want 77") != std::string::npos);
  CHECK(diff.find("echo reply: icmp rest of header is 00 4d 00 01, want none") != std::string::npos);
}

TEST_CASE("packet_diff names a packet cut short and bytes past tot_len", "[packet_diff]")
{
  const Bytes want = tcp_packet(kRst | kAck, 0, 1002);
  SECTION("cut inside the TCP header: tot_len still says 40")
  {
    const Bytes got(want.begin(), want.begin() + 30);
    const std::string diff = packet_diff(want, got);
    CHECK(diff.find("RST+ACK: length is 30 bytes, want 40 bytes\n") == 0);
    CHECK(diff.find("RST+ACK: tcp seq is absent, want 0") != std::string::npos);
    CHECK(diff.find("RST+ACK: ip payload is") != std::string::npos);
  }
  SECTION("three bytes past tot_len")
  {
    Bytes got = want;
    got.insert(got.end(), { 0xee, 0xee, 0xee });
    CHECK(packet_diff(want, got) == "RST+ACK: length is 43 bytes, want 40 bytes\n"
                                    "RST+ACK: bytes past tot_len is ee ee ee, want none");
  }
}

TEST_CASE("packet_diff compares bytes that are not an IPv4 packet as bytes", "[packet_diff]")
{
  const Bytes want = tcp_packet(kRst | kAck, 0, 1002);
  SECTION("nothing written")
  {
    CHECK(packet_diff(want, Bytes()) == "RST+ACK: nothing was written, want 40 bytes (build the reply, then tun_write() it)");
  }
  SECTION("an IPv6 header written where an IPv4 packet was wanted")
  {
    Bytes got(40, 0);
    got[0] = 0x60;
    CHECK(packet_diff(want, got) == "RST+ACK: the 40 bytes written are not an IPv4 packet"
                                    " (60 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ...),"
                                    " want 40 bytes of IPv4");
  }
  SECTION("an IPv6 header")
  {
    Bytes got(40, 0);
    got[0] = 0x60;
    const std::string diff = packet_diff(got, Bytes(got.begin(), got.begin() + 39));
    CHECK(diff == "packet: length is 39 bytes, want 40 bytes\n"
                  "packet: bytes (not an IPv4 packet) is 39 bytes, want 40");
  }
  SECTION("more than 12 fields: the rest are counted")
  {
    Bytes got = want;
    for (size_t i = 1; i < got.size(); ++i)
      got[i] ^= 0x5a;
    const std::string diff = packet_diff(want, got);
    CHECK(std::count(diff.begin(), diff.end(), '\n') == 12);
    CHECK(diff.find("more fields differ") != std::string::npos);
  }
}

TEST_CASE("packet_diff says the rule a wanted number follows, for a student", "[packet_diff]")
{
  SECTION("an ack one short of a FIN's: a FIN counts as one byte")
  {
    const Bytes want = tcp_packet(kFin | kAck, 123457, 1008);
    Bytes got = want;
    put32(&got[28], 1007);
    CHECK(packet_diff(want, got) == "FIN+ACK: tcp ack is 1007, want 1008"
                                    " = the FIN's seq + its data length + 1 (a FIN counts as one byte)");
  }
  SECTION("a number stored without htonl or htons")
  {
    const Bytes want = tcp_packet(kSyn | kAck, 123456, 1001);
    Bytes got = want;
    put32(&got[24], __builtin_bswap32(123456));
    put16(&got[34], __builtin_bswap16(5000));
    CHECK(packet_diff(want, got) == "SYN+ACK: tcp seq is 1088553216, want 123456"
                                    " (its bytes are swapped: one htonl()/ntohl() too many or too few)\n"
                                    "SYN+ACK: tcp win is 34835, want 5000 (its bytes are swapped: one htons()/ntohs() too many or too few)");
  }
  SECTION("nothing written")
  {
    CHECK(packet_diff(echo_reply(56), Bytes()) == "echo reply: nothing was written, want 84 bytes"
                                                  " (build the reply, then tun_write() it)");
  }
}

// check-lab's grading (FAKETCP_GRADE=rules): what the RFCs leave free is
// checked by its rule, whatever the repository's own program wrote.
struct ByRules
{
  ByRules() { grade_by_rules(true); }
  ~ByRules() { grade_by_rules(false); }
};

TEST_CASE("packet_diff under check-lab accepts the fields the RFCs leave free, and checks their rules",
          "[packet_diff][rules]")
{
  ByRules rules;
  const Bytes want = tcp_packet(kSyn, 123456, 0);
  SECTION("any IP id, tos, a TTL above 0, DF or not: each with its checksum right")
  {
    Bytes got = want;
    put16(&got[4], 55564);  // the article's id, stored without htons()
    got[1] = 0x10;
    got[8] = 1;
    put16(&got[6], 0);
    put16(&got[34], 4096);  // a SYN offers the window it likes
    ip_fix_checksum(got);
    tcp_fix_checksum(got);
    CHECK(packet_diff(want, got) == "");
  }
  SECTION("a TTL of 0, MF, and a wrong IP checksum break their rules")
  {
    Bytes got = want;
    got[8] = 0;
    put16(&got[6], 0x2000);
    put16(&got[10], 0x1234);
    const std::string diff = packet_diff(want, got);
    CHECK(diff.find("SYN: ip ttl is 0, want 1 to 255 (RFC 791") != std::string::npos);
    CHECK(diff.find("SYN: ip frag_off is 0x2000 (MF), want 0x0000 or 0x4000 (DF)") != std::string::npos);
    CHECK(diff.find("SYN: ip checksum is 0x1234, want the in_checksum() of this 20-byte header") != std::string::npos);
  }
  SECTION("what the RFCs fix is still compared: the sequence number")
  {
    Bytes got = tcp_packet(kSyn, 123457, 0);
    CHECK(packet_diff(want, got).rfind("SYN: tcp seq is 123457, want 123456", 0) == 0);
  }
  SECTION("the window a reply offers is free, a reset's and a SYN+ACK's alike")
  {
    for (const Bytes& want_w : { tcp_packet(kRst | kAck, 0, 1002), tcp_packet(kSyn | kAck, 123456, 1002) })
    {
      Bytes got = want_w;
      put16(&got[34], 65535);
      tcp_fix_checksum(got);
      CHECK(packet_diff(want_w, got) == "");
    }
  }
}
