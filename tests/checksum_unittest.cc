// Unit tests of in_checksum and tcp_checksum, the functions every step uses.
#include "faketcp.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>

TEST_CASE("in_checksum gives RFC 1071's worked example 0x220d", "[checksum]")
{
  // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2, whose
  // complement is the checksum.
  const unsigned char data[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
  CHECK(ntohs(in_checksum(data, sizeof data)) == 0x220d);
}

TEST_CASE("in_checksum pads an odd last byte with a zero on its right", "[checksum]")
{
  const unsigned char odd[] = { 0x00, 0x01, 0xf2 };
  const unsigned char even[] = { 0x00, 0x01, 0xf2, 0x00 };
  CHECK(in_checksum(odd, 3) == in_checksum(even, 4));
  CHECK(ntohs(in_checksum(odd, 3)) == static_cast<uint16_t>(~(0x0001 + 0xf200)));
}
