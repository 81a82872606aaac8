// The printed lines a student sets beside tcpdump's, at their edges: a
// segment with no flag at all, and bad_packet's hex dump (four bytes a line,
// the article's layout) with its "... N more bytes" line, counted from the
// bytes read.  tcpdump -n -S prints a flagless segment as "Flags [none]".
#include "faketcp.h"
#include "tests/support/fixture.h"    // Packet
#include "tests/support/malformed.h"  // StdoutCapture

#include <catch2/catch.hpp>
#include <string>

TEST_CASE("tcp_print prints a segment with no flag as Flags [none], as tcpdump does",
          "[print][tcp]")
{
  // 192.168.0.1:40000 > 192.168.0.2:2000, seq 7, no flag, window 512.
  Bytes p(40, 0);
  p[0] = 0x45;
  put16(&p[2], 40);
  p[8] = 64;
  p[9] = IPPROTO_TCP;
  const unsigned char addrs[8] = { 192, 168, 0, 1, 192, 168, 0, 2 };
  memcpy(&p[12], addrs, 8);
  put16(&p[20], 40000);
  put16(&p[22], 2000);
  put32(&p[24], 7);
  p[32] = 5 << 4;
  put16(&p[34], 512);
  Packet packet(p);
  StdoutCapture out;
  tcp_print(packet.ip(), packet.tcp(), 0);
  CHECK(out.text() == "IP 192.168.0.1.40000 > 192.168.0.2.2000: Flags [none], seq 7, win 512, "
                      "length 0\n");
}

TEST_CASE("bad_packet dumps four bytes a line, then the bytes read beyond 64 as one line",
          "[print]")
{
  Bytes p(70);
  for (size_t i = 0; i < p.size(); ++i)
    p[i] = static_cast<unsigned char>(i);
  SECTION("70 bytes read: 16 lines of four, then '... 6 more bytes'")
  {
    StdoutCapture out;
    bad_packet("test", p.data(), 70);
    const std::string text = out.text();
    CHECK(text.rfind("bad packet: test\n00 01 02 03\n04 05 06 07\n", 0) == 0);
    CHECK(text.find("3c 3d 3e 3f\n... 6 more bytes\n") != std::string::npos);
    CHECK(text.size() == std::string("bad packet: test\n").size() + 16 * 12 +
                             std::string("... 6 more bytes\n").size());
  }
  SECTION("6 bytes read: a line of four, a line of two, no 'more bytes' line")
  {
    StdoutCapture out;
    bad_packet("test", p.data(), 6);
    CHECK(out.text() == "bad packet: test\n00 01 02 03\n04 05\n");
  }
}
