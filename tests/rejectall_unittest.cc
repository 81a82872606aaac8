// Step 2: rejectall's own tcp_input, fed the SYN the kernel sent for
// `nc -z 192.168.0.7 5555` (tests/fixtures/rejectall.pcap), writing into a
// socketpair instead of tun0.
#include "faketcp.h"
#include "tests/support/fixture.h"
#include "tests/support/packet_diff.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>

// rejectall.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

TEST_CASE("rejectall answers the kernel's SYN with the captured RST+ACK, byte for byte",
          "[step2][tcp][golden]")
{
  // [golden]: the expected bytes are rejectall's own RST+ACK as capture.sh
  // recorded it (nc reported "refused"), not a packet of the kernel.
  const Exchange x = find_exchange(read_fixture("rejectall.pcap"), TH_SYN);
  REQUIRE(x.input.tcp()->doff > 5);  // the kernel's SYN carries options
  const Bytes reply = answer_matches_golden(x, tcp_input);  // the golden, byte for byte

  // RFC 793 section 3.4: a reset answering a segment without ACK has
  // sequence number zero and acknowledges the SYN (seq + 1).
  const Packet r(reply);
  REQUIRE(ip_check(r.data(), r.size(), nullptr));
  REQUIRE(tcp_check(r.payload(), r.tot_len() - r.iphdr_len()));
  CHECK(r.tot_len() == 40);
  CHECK(r.ip()->saddr == x.input.ip()->daddr);
  CHECK(r.ip()->daddr == x.input.ip()->saddr);
  CHECK(r.tcp()->source == x.input.tcp()->dest);
  CHECK(r.tcp()->dest == x.input.tcp()->source);
  CHECK(r.tcp()->rst == 1);
  CHECK(r.tcp()->ack == 1);
  CHECK(r.tcp()->syn == 0);
  CHECK(r.tcp()->seq == 0);
  CHECK(ntohl(r.tcp()->ack_seq) == ntohl(x.input.tcp()->seq) + 1);
}

TEST_CASE("rejectall answers a SYN with IP options with a clean 20-byte IP header",
          "[step2][tcp][ip][golden]")
{
  // [golden]: expected is rejectall's own captured RST+ACK to the SYN without options.
  const Exchange x = find_exchange(read_fixture("rejectall.pcap"), TH_SYN);
  Packet syn = x.input;
  syn.insert_ip_options({ 1, 1, 1, 0 });  // NOP, NOP, NOP, end of list
  REQUIRE(syn.iphdr_len() == 24);

  Wire wire;
  feed(wire, syn, tcp_input);
  const Bytes reply = wire.written();
  REQUIRE(reply.size() >= 20);
  CHECK((reply[0] & 0x0f) == 5);
  CHECK(packet_diff(x.reply, reply) == "");
  CHECK(ip_checksum_ok(reply));
  CHECK(tcp_checksum_ok(reply));
}

TEST_CASE("rejectall answers nothing but a SYN", "[step2][tcp]")
{
  // Segments of the other captures: a connection rejectall never accepted.
  const std::vector<Bytes> discard = read_fixture("discardall.pcap");
  Packet segment;
  SECTION("the kernel's bare ACK") { segment = find_tcp(discard, TH_ACK); }
  SECTION("a data segment") { segment = find_tcp(discard, TH_PUSH | TH_ACK); }
  SECTION("a FIN") { segment = find_tcp(discard, TH_FIN | TH_ACK); }
  SECTION("its own RST+ACK, looped back") { segment = find_tcp(read_fixture("rejectall.pcap"), TH_RST | TH_ACK); }
  Wire wire;
  feed(wire, segment, tcp_input);
  CHECK(wire.written().empty());
}

TEST_CASE("rejectall drops a SYN whose TCP header does not fit its segment", "[step2][tcp]")
{
  Packet syn = find_tcp(read_fixture("rejectall.pcap"), TH_SYN);
  unsigned char* byte12 = syn.data() + syn.iphdr_len() + 12;
  SECTION("doff 15: 60 bytes of header in a 40-byte segment")
  {
    *byte12 = static_cast<unsigned char>(0xf0 | (*byte12 & 0x0f));
  }
  SECTION("doff 4: below the 20 bytes every TCP header has")
  {
    *byte12 = static_cast<unsigned char>(0x40 | (*byte12 & 0x0f));
  }
  SECTION("tot_len cut to 12 bytes of TCP header")
  {
    syn.data()[2] = 0;
    syn.data()[3] = 20 + 12;
    syn.fix_ip_checksum();
  }
  Wire wire;
  feed(wire, syn, tcp_input);
  CHECK(wire.written().empty());
}
