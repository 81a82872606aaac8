// Step 4: discardall's own tcp_input, fed the segments the kernel sent for
// `printf 'hello\n' | nc -N 192.168.0.2 2000` (tests/fixtures/discardall.pcap),
// writing into a socketpair instead of tun0.
#include "faketcp.h"
#include "tests/support/fixture.h"
#include "tests/support/packet_diff.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>

// discardall.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

static int payload_len(const Packet& p)
{
  return p.tot_len() - p.iphdr_len() - p.tcp()->doff * 4;
}

TEST_CASE("discardall acknowledges the kernel's data segment with the captured ACK, byte for byte",
          "[step4][tcp][golden]")
{
  // [golden]: the expected ACK is discardall's own as capture.sh recorded it
  // (nc sent "hello\n" and closed), not a packet of the kernel.
  const Exchange x = find_exchange(read_fixture("discardall.pcap"), TH_PUSH | TH_ACK);
  REQUIRE(payload_len(x.input) == 6);  // "hello\n"
  CHECK(memcmp(x.input.payload() + x.input.tcp()->doff * 4, "hello\n", 6) == 0);
  const Bytes reply = answer_matches_golden(x, tcp_input);  // the golden, byte for byte

  const Packet r(reply);
  REQUIRE(ip_check(r.data(), r.size(), nullptr));
  REQUIRE(tcp_check(r.payload(), r.tot_len() - r.iphdr_len()));
  CHECK(r.tot_len() == 40);
  CHECK(r.tcp()->ack == 1);
  CHECK(r.tcp()->syn == 0);
  CHECK(r.tcp()->fin == 0);
  CHECK(r.tcp()->rst == 0);
  CHECK(ntohl(r.tcp()->seq) == 123457);
  CHECK(ntohl(r.tcp()->ack_seq) == ntohl(x.input.tcp()->seq) + 6);  // everything up to the data's end
}

TEST_CASE("discardall answers SYN and FIN as acceptall does, byte for byte", "[step4][tcp][golden]")
{
  // [golden]: the expected replies are discardall's own, captured earlier.
  const std::vector<Bytes> packets = read_fixture("discardall.pcap");
  Exchange x;
  SECTION("SYN -> SYN+ACK") { x = find_exchange(packets, TH_SYN); }
  SECTION("FIN -> FIN+ACK") { x = find_exchange(packets, TH_FIN | TH_ACK); }
  const Bytes reply = answer_matches_golden(x, tcp_input);  // the golden, byte for byte
}

TEST_CASE("discardall acknowledges a 1000-byte data segment, past where the byte count fits in 8 bits",
          "[step4][tcp][golden]")
{
  // The captured segment with 1000 bytes of data instead of 6, lengths and
  // checksums fixed.
  const Exchange x = find_exchange(read_fixture("discardall.pcap"), TH_PUSH | TH_ACK);
  Bytes b = x.input.bytes();
  b.resize(b.size() - 6 + 1000, 'x');
  put16(&b[2], static_cast<uint16_t>(b.size()));
  ip_fix_checksum(b);
  tcp_fix_checksum(b);  // discardall does not check it; set it anyway
  REQUIRE(tcp_checksum_ok(b));

  Wire wire;
  feed(wire, Packet(b), tcp_input);
  const Bytes reply = wire.written();
  REQUIRE(reply.size() == 40);
  CHECK(ip_checksum_ok(reply));
  CHECK(tcp_checksum_ok(reply));
  const Packet r(reply);
  CHECK(ntohl(r.tcp()->ack_seq) == ntohl(x.input.tcp()->seq) + 1000);
  // [golden], one field changed: discardall's own captured ACK, acking 1000
  // bytes instead of 6, its TCP checksum made again by the reference.
  Bytes want = x.reply;
  put32(&want[20 + 8], ntohl(x.input.tcp()->seq) + 1000);
  tcp_fix_checksum(want);
  CHECK(packet_diff(want, reply) == "");
}

TEST_CASE("discardall does not answer a bare ACK", "[step4][tcp]")
{
  const std::vector<Bytes> packets = read_fixture("discardall.pcap");
  const Packet ack = find_tcp(packets, TH_ACK);
  REQUIRE(payload_len(ack) == 0);
  Wire wire;
  feed(wire, ack, tcp_input);
  CHECK(wire.written().empty());
}

TEST_CASE("discardall drops a data segment cut inside its TCP header", "[step4][tcp]")
{
  Packet data = find_tcp(read_fixture("discardall.pcap"), TH_PUSH | TH_ACK);
  const int cut = GENERATE(0, 10, 19);
  data.data()[2] = 0;
  data.data()[3] = static_cast<unsigned char>(20 + cut);
  data.fix_ip_checksum();
  INFO(cut << " bytes of TCP");
  Wire wire;
  feed(wire, data, tcp_input);
  CHECK(wire.written().empty());
}
