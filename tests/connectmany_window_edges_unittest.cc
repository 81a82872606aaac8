// connectmany_window's -r and -w at their edges, as its help and
// docs/bench.md promise (tests/support/option_edge_cases.h).
#include "tests/support/option_edge_cases.h"

TEST_CASE("connectmany_window takes -r 1..60000 and -w 1..4096, and refuses one beyond each",
          "[step5][options]")
{
  option_edges_check("connectmany_window", "-r", "-r", 1, 60000, "a SYN's first wait in milliseconds");
  option_edges_check("connectmany_window", "--syn-rto", "-r", 1, 60000, "a SYN's first wait in milliseconds");
  option_edges_check("connectmany_window", "-w", "-w", 1, 4096, "a number of handshakes in flight");
}
