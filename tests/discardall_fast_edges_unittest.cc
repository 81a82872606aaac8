// discardall_fast's --mss, --window and --mtu at their edges, as its help
// and docs/faster.md promise (tests/support/option_edge_cases.h).
#include "tests/support/option_edge_cases.h"

TEST_CASE("discardall_fast takes each number at its least and greatest, and refuses one beyond",
          "[discardall_fast][options]")
{
  option_edges_check("discardall_fast", "--mss", "--mss", 64, 65535, "a segment size in bytes");
  option_edges_check("discardall_fast", "--window", "--window", 1, 65535L << 14, "bytes");
  option_edges_check("discardall_fast", "--mtu", "--mtu", 68, 65535, "a packet size in bytes");
}
