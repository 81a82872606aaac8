// discardall2's -c, --loss, --seed and --drop at their edges, as its help
// and docs/discardall2.md promise (tests/support/option_edge_cases.h).
#include "tests/support/option_edge_cases.h"
#include "tooling/loss.h"

TEST_CASE("discardall2 takes each number at its least and greatest, and refuses one beyond",
          "[discardall2][options]")
{
  option_edges_check("discardall2", "-c", "-c", 1, 1000000, "a number of connections");
  option_edges_check("discardall2", "--loss", "--loss", 0, 100, "a percentage");
  option_edges_check("discardall2", "--seed", "--seed", 0, 2147483647, "a seed");
}

TEST_CASE("discardall2's --drop takes N 1..1000000 and K 1..10, and refuses one beyond each",
          "[discardall2][options]")
{
  DropRule rule;
  for (const char* ok : { "1", "1000000", "1x1", "1000000x10" })
  {
    CAPTURE(ok);
    CHECK(drop_parse(ok, &rule));
  }
  for (const char* bad : { "0", "1000001", "1x0", "1x11" })
  {
    CAPTURE(bad);
    CHECK_FALSE(drop_parse(bad, &rule));
    // main refuses it once parsing is done: exit 2, the rule's message
    const ChildRun r = step_main_run("discardall2", { "--drop", bad });
    CHECK(r.status == 2);
    CHECK(contains(r.err, std::string("--drop ") + bad + ": expected N or NxK, the Nth new data "
                          "segment 1..1000000, its first K transmissions 1..10"));
  }
}
