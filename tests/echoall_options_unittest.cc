// echoall's -c N at its edges, as its help promises (tests/support/option_edge_cases.h).
#include "tests/support/option_edge_cases.h"

TEST_CASE("echoall takes -c 1 and -c 1000000 and refuses 0 and 1000001", "[step6][options]")
{
  option_edges_check("echoall", "-c", "-c", 1, 1000000, "a number of connections");
  option_edges_check("echoall", "--max-connections", "-c", 1, 1000000, "a number of connections");
}
