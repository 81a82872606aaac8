// discardall_fast without options is the article's discardall: its tcp_input
// fed every segment the kernel sent in tests/fixtures/discardall.pcap
// answers each with discardall's own captured reply, byte for byte.  What
// each option changes: discardall_fast_options_unittest.
#include "faketcp.h"
#include "tests/support/fixture.h"

#include <catch2/catch.hpp>

// discardall_fast.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

TEST_CASE("discardall_fast with no option answers the SYN, the data and the FIN with discardall's "
          "captured replies, byte for byte", "[discardall_fast][tcp][golden]")
{
  const std::vector<Bytes> capture = read_fixture("discardall.pcap");
  for (uint8_t flags : { TH_SYN, TH_PUSH | TH_ACK, TH_FIN | TH_ACK })
  {
    CAPTURE(static_cast<int>(flags));
    answer_matches_golden(find_exchange(capture, flags), tcp_input);
  }
}
