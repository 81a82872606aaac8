// Step 4 with TCP options: a data segment whose header carries timestamps
// (NOP, NOP, TS: 12 bytes, doff 8), as Linux sends once both ends agreed on
// them.  The options are header, not data: discardall's ACK must be the one
// captured for the same segment without them, byte for byte.
#include "faketcp.h"
#include "tests/support/fixture.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>

void tcp_input(int fd, const void* input, const void* payload, int tot_len);

// `p` with `options` (a multiple of 4 bytes) inserted after its 20-byte TCP
// header: doff, tot_len and both checksums fixed.
static Packet with_tcp_options(const Packet& p, const Bytes& options)
{
  Bytes b = p.bytes();
  const size_t tcp_at = p.iphdr_len();
  b.insert(b.begin() + tcp_at + 20, options.begin(), options.end());
  Packet q(b);
  unsigned char* tcp = q.data() + tcp_at;
  tcp[12] = static_cast<unsigned char>(((20 + options.size()) / 4) << 4);
  const uint16_t tot_len = htons(static_cast<uint16_t>(b.size()));
  memcpy(q.data() + 2, &tot_len, 2);
  q.fix_ip_checksum();
  tcp[16] = tcp[17] = 0;
  const uint16_t check = tcp_checksum(q.ip(), q.payload(), q.tot_len() - q.iphdr_len());
  memcpy(tcp + 16, &check, 2);
  return q;
}

TEST_CASE("discardall acks the data of a segment with TCP options, not its options",
          "[step4][tcp]")
{
  const Exchange x = find_exchange(read_fixture("discardall.pcap"), TH_PUSH | TH_ACK);
  const Bytes timestamps = { 1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78 };
  const Packet input = with_tcp_options(x.input, timestamps);
  REQUIRE(ip_check(input.data(), input.size(), nullptr));
  REQUIRE(tcp_check(input.payload(), input.tot_len() - input.iphdr_len()));
  REQUIRE(input.tcp()->doff == 8);
  REQUIRE(input.tot_len() - input.iphdr_len() - input.tcp()->doff * 4 == 6);  // "hello\n"

  Wire wire;
  tcp_input(wire.fd, input.data(), input.payload(), input.tot_len());
  const Bytes reply = wire.written();
  CHECK(reply == x.reply);
  CHECK(wire.written().empty());
}
