// tests/support/step_malformed_cases.h - the malformed-TCP cases every step
// must pass, included by tests/<step>_malformed_unittest.cc after it has
// defined STEP (the step's name, a string) and declared the step's own
// tcp_input.  The steps' tcp_input are near-copies; so are their tests.
//
// Each case feeds one read() through the step's main loop (main_loop_once)
// and asserts what the step does (a bad-packet report, ip_check's refusal,
// or a quiet skip) and that it writes nothing.  The base packet is the
// kernel's SYN of tests/fixtures/rejectall.pcap (60 bytes: doff 10, options),
// which every step answers: the first case checks that it does.
#include "faketcp.h"
#include "tests/support/malformed.h"
#include "tests/support/packet_diff.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>

#ifndef STEP
#error "define STEP, the step's name, before including this file"
#endif
// The length of the step's answer to a SYN: 40 bytes of headers, or 44 with
// the MSS option echoall_hardened announces.
#ifndef STEP_SYNACK_LEN
#define STEP_SYNACK_LEN 40
#endif

static const char kBadSegment[] = "TCP segment shorter than its header (doff)";

static Bytes kernel_syn()
{
  return find_exchange(read_fixture("rejectall.pcap"), TH_SYN).input.bytes();
}

static Outcome run(const Bytes& p)
{
  return main_loop_once(p, tcp_input);
}

static void check_bad_segment(const Outcome& o)
{
  INFO("rule: a TCP segment shorter than its header (doff below 5, or beyond the segment) is refused:"
       " reported with bad_packet(), and nothing is written (RFC 9293 3.1: doff counts 32-bit words, at least 5)");
  CHECK(o.accepted);  // ip_check passed: the step's own tcp_check refused it
  CHECK(refusal_diff(o.printed, kBadSegment) == "");
  CHECK(o.written.empty());
}

TEST_CASE(STEP " answers the kernel's SYN: the cases below differ from it in one thing",
          "[tcp][malformed]")
{
  const Bytes syn = kernel_syn();
  REQUIRE(syn.size() == 60);
  REQUIRE((syn[32] >> 4) == 10);
  const Outcome o = run(syn);
  CHECK(o.accepted);
  REQUIRE(o.written.size() == 1);
  CHECK(o.written[0].size() == STEP_SYNACK_LEN);
  CHECK(ip_checksum_ok(o.written[0]));
  CHECK(tcp_checksum_ok(o.written[0]));
}

TEST_CASE(STEP " reports a TCP data offset (doff) below 5, nothing written", "[tcp][malformed]")
{
  for (int doff = 0; doff < 5; ++doff)
  {
    CAPTURE(doff);
    Bytes p = kernel_syn();
    p[32] = static_cast<unsigned char>(doff << 4 | (p[32] & 0x0f));
    check_bad_segment(run(p));
  }
}

TEST_CASE(STEP " reports a TCP data offset (doff) beyond the segment, nothing written",
          "[tcp][malformed]")
{
  // The segment is 40 bytes; doff 11 says 44, doff 15 says 60.
  const int doff = GENERATE(11, 15);
  CAPTURE(doff);
  Bytes p = kernel_syn();
  p[32] = static_cast<unsigned char>(doff << 4 | (p[32] & 0x0f));
  check_bad_segment(run(p));
}

TEST_CASE(STEP " reports a segment shorter than 20 bytes, odd lengths too, nothing written",
          "[tcp][malformed]")
{
  for (int seg_len = 0; seg_len < 20; ++seg_len)
  {
    CAPTURE(seg_len);
    Bytes p = kernel_syn();
    p.resize(20 + seg_len);
    set_tot_len(p, 20 + seg_len);
    check_bad_segment(run(p));
  }
}

TEST_CASE(STEP " takes tot_len over the bytes read, both ways", "[tcp][malformed]")
{
  Bytes p = kernel_syn();
  SECTION("tot_len smaller: it cuts into the options, so doff is beyond the segment")
  {
    set_tot_len(p, 20 + 39);
    check_bad_segment(run(p));
  }
  SECTION("tot_len larger: refused by ip_check")
  {
    set_tot_len(p, 61);
    const Outcome o = run(p);
    CHECK_FALSE(o.accepted);
    CHECK(o.why == "total length beyond the bytes read");
    CHECK(o.written.empty());
  }
}

TEST_CASE(STEP " answers an odd-length SYN with a right TCP checksum", "[tcp][malformed]")
{
  // One byte of data on the SYN: 61 bytes, a segment of 41.
  Bytes p = kernel_syn();
  p.push_back('x');
  set_tot_len(p, 61);
  const Outcome o = run(p);
  REQUIRE(o.written.size() == 1);
  CHECK(o.written[0].size() == STEP_SYNACK_LEN);
  CHECK(ip_checksum_ok(o.written[0]));
  CHECK(tcp_checksum_ok(o.written[0]));
}

TEST_CASE(STEP " does not answer a TCP fragment", "[tcp][ip][malformed]")
{
  const uint16_t frag_off = GENERATE(uint16_t(IP_MF), uint16_t(185), uint16_t(IP_MF | 185));
  CAPTURE(frag_off);
  Bytes p = kernel_syn();
  set_frag_off(p, frag_off);
  const Outcome o = run(p);
  CHECK_FALSE(o.accepted);
  CHECK(o.why == "IP fragment (this program does not reassemble)");
  CHECK(o.written.empty());
}

TEST_CASE(STEP " skips a packet of an unknown protocol quietly", "[ip][malformed]")
{
  const int protocol = GENERATE(int(IPPROTO_UDP), int(IPPROTO_SCTP), 255);
  CAPTURE(protocol);
  Bytes p = kernel_syn();
  p[9] = static_cast<unsigned char>(protocol);
  ip_fix_checksum(p);
  const Outcome o = run(p);
  CHECK(o.accepted);
  CHECK(o.printed.empty());
  CHECK(o.written.empty());
}

TEST_CASE(STEP " reports a zero-length read and a non-IPv4 version, nothing written", "[ip][malformed]")
{
  CHECK(run(Bytes()).written.empty());
  CHECK(run(Bytes()).why == "empty read");
  for (int version : { 0, 6, 15 })
  {
    CAPTURE(version);
    Bytes p = kernel_syn();
    p[0] = static_cast<unsigned char>(version << 4 | 5);
    const Outcome o = run(p);
    CHECK_FALSE(o.accepted);
    CHECK(o.written.empty());
  }
}
