// echoall_hardened's -c, -t, --mss and --window at their edges, as its help
// and docs/syncookies.md promise (tests/support/option_edge_cases.h).
#include "tests/support/option_edge_cases.h"

TEST_CASE("echoall_hardened takes each number at its least and greatest, and refuses one beyond",
          "[echoall_hardened][options]")
{
  option_edges_check("echoall_hardened", "-c", "-c", 1, 1000000, "a number of connections");
  option_edges_check("echoall_hardened", "-t", "-t", 1, 604800, "an idle timeout in seconds");
  option_edges_check("echoall_hardened", "--mss", "--mss", 64, 65535, "a segment size in bytes");
  option_edges_check("echoall_hardened", "--window", "--window", 1, 65535L << 14, "bytes");
}
