// Malformed TCP through connectmany's own tcp_input, as its main loop runs it:
// the cases of tests/support/step_malformed_cases.h.
#define STEP "connectmany"

// connectmany.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

#include "tests/support/step_malformed_cases.h"
#include "tests/support/packet_diff.h"

#include <sys/socket.h>

bool connect_one(int fd, uint32_t daddr, uint16_t dport, uint32_t saddr, uint16_t sport,
                 int timeout_ms);

// connect_one reads its answers itself, so its malformed cases are its own:
// each broken copy of the kernel's SYN+ACK (tests/fixtures/connectmany.pcap)
// waits in the queue before the real one.  connect_one must neither answer
// nor take it for the handshake: it writes its SYN, then the ACK of the real
// SYN+ACK, nothing between, and leaves nothing unread.
TEST_CASE("connect_one neither answers nor accepts a malformed SYN+ACK", "[step5][tcp][malformed][golden]")
{
  // [golden]: the expected SYN and ACK are connectmany's own, as capture.sh recorded them.
  const std::vector<Bytes> packets = read_fixture("connectmany.pcap");
  const Exchange first = find_exchange(packets, TH_SYN);
  const Exchange second = find_exchange(packets, TH_SYN | TH_ACK);
  const Packet& syn = first.input;
  const Bytes synack = second.input.bytes();
  REQUIRE(synack.size() >= 40);

  Bytes bad = synack;
  const size_t tcp = (bad[0] & 0x0f) * 4u;
  SECTION("doff 4") { bad[tcp + 12] = static_cast<unsigned char>(4 << 4 | (bad[tcp + 12] & 0x0f)); }
  SECTION("doff 15, beyond the segment") { bad[tcp + 12] |= 0xf0; }
  SECTION("cut to 19 bytes of TCP, odd")
  {
    bad.resize(tcp + 19);
    set_tot_len(bad, static_cast<int>(bad.size()));
  }
  SECTION("tot_len beyond the read") { set_tot_len(bad, static_cast<int>(bad.size()) + 1); }
  SECTION("a first fragment (MF)") { set_frag_off(bad, IP_MF); }
  SECTION("a bad IP header checksum") { bad[11] ^= 0x01; }
  SECTION("version 6") { bad[0] = 0x65; }
  SECTION("an empty datagram") { bad.clear(); }
  CAPTURE(bad.size());

  Wire wire;
  wire.deliver(bad);
  wire.deliver(synack);
  StdoutCapture capture;  // what connect_one prints stays out of the test's output
  const bool done = connect_one(wire.fd, syn.ip()->daddr, syn.tcp()->dest,
                                syn.ip()->saddr, syn.tcp()->source, 1000);  // the answer is queued
  const std::string printed = capture.text();
  if (bad.empty() || (bad[0] >> 4) != 6)
    CHECK(printed.rfind("bad packet: ", 0) == 0);  // reported, not taken for the answer
  CHECK(done);
  CHECK(packet_diff(syn.bytes(), wire.written()) == "");
  CHECK(packet_diff(second.reply, wire.written()) == "");  // our ACK, nothing before it
  CHECK(wire.written().empty());
  unsigned char left[1];
  CHECK(recv(wire.fd, left, sizeof left, MSG_DONTWAIT) < 0);  // both were read
}
