// connectmany's command line: IP PORT COUNT (the table's argument rows),
// -r MS, and sources_fit, which refuses source addresses the tunnel's network
// cannot hold.  main exits on a bad command line, as a program should, so
// those cases run connectmany's own main (faketcp_step_main) in a child
// process, with arguments that stop before any tunnel is made; the child
// also gets a network namespace of its own when it can (as root), so even a
// mistake here could touch no real network.
#include "faketcp.h"
#include "tests/support/child.h"

#include <fcntl.h>
#include <sched.h>  // unshare
#include <stdio.h>
#include <string>
#include <unistd.h>
#include <vector>
#include <catch2/catch.hpp>

// connectmany.cc, compiled for this test with its main renamed.
int faketcp_step_main(int argc, char* argv[]);
bool sources_fit(const char* hostaddr, const char* ip, int count);

namespace
{

// Runs connectmany's main with args in a child (run_in_child): stdin
// /dev/null, 10 s at most, and as root a network namespace of its own.
ChildRun run_main(std::vector<std::string> args)
{
  args.insert(args.begin(), "connectmany");
  return run_in_child([&]() {
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(&a[0]);
    argv.push_back(nullptr);
    unshare(CLONE_NEWNET);  // as root: a tun0 made by mistake stays in here
    alarm(10);
    dup2(open("/dev/null", O_RDONLY), STDIN_FILENO);
    faketcp_step_main(static_cast<int>(args.size()), argv.data());
    return std::string();
  });
}

// sources_fit with its message (printed when it refuses) kept off the
// test's output.
bool fits(const char* ip, int count, const char* hostaddr = "192.168.0.1/24")
{
  fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  const int devnull = open("/dev/null", O_WRONLY);
  dup2(devnull, STDERR_FILENO);
  const bool ok = sources_fit(hostaddr, ip, count);
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(devnull);
  return ok;
}

}  // namespace

TEST_CASE("sources_fit takes IP COUNT whose sources fit in the tunnel's network", "[step5][options]")
{
  CHECK(fits("192.168.0.1", 1000));    // from .2
  CHECK(fits("192.168.0.253", 1));     // from .254, the last host
  CHECK(fits("192.168.0.1", 64512));   // every port of .2
  CHECK(fits("192.168.0.1", 64513));   // and one of .3
  CHECK(fits("10.0.0.1", 10, "10.0.0.1/24"));
  CHECK(fits("10.0.0.4", 64513, "10.0.0.1/29"));  // .5 and .6, the last two hosts
}

TEST_CASE("sources_fit refuses the network, broadcast or our own address as a source",
          "[step5][options]")
{
  CHECK_FALSE(fits("192.168.0.254", 1));      // the source would be .255, the broadcast
  CHECK_FALSE(fits("192.168.0.253", 64513));  // .254 full, the next is .255
  CHECK_FALSE(fits("192.168.0.255", 1));      // .0 of the next network
  CHECK_FALSE(fits("192.168.0.0", 1));        // the source .1 is our own address
  CHECK_FALSE(fits("10.0.0.1", 1));           // outside 192.168.0.0/24
  CHECK_FALSE(fits("10.0.0.5", 64513, "10.0.0.1/29"));  // .6 and .7, the broadcast
  CHECK_FALSE(fits("10.0.0.0", 1, "10.0.0.1/29"));      // .1, our own
  CHECK_FALSE(fits("192.168.0.x", 1));        // not an address: never a source
}

TEST_CASE("sources_fit says how many addresses it needs, and the way out (-a)", "[step5][options]")
{
  const ChildRun r = run_in_child([]() {
    return std::string(sources_fit("10.0.0.1/29", "10.0.0.5", 64513) ? "fits" : "refused");
  });
  CHECK(r.result == "refused");
  CHECK(r.err == "connectmany: 64513 connections from source addresses just above 10.0.0.5 need 2"
                 " addresses inside 10.0.0.1/29; connect to an address of that network with fewer"
                 " connections, or choose a larger network with -a\n");
}

// Each refusal comes before any tunnel is made: the IP .254 would need the
// broadcast .255 as a source, so even an argument row that let a bad value
// through would stop at sources_fit, with another message.
TEST_CASE("connectmany refuses a bad IP, PORT or COUNT with status 2, naming it and its range",
          "[step5][options]")
{
  struct Case
  {
    std::vector<std::string> args;
    const char* says;
  };
  const Case cases[] = {
    { { "192.168.0.x", "2007", "1" }, "IP 192.168.0.x: expected an IPv4 address such as 192.168.0.1" },
    { { "localhost", "2007", "1" }, "IP localhost: expected an IPv4 address" },
    { { "192.168.0.254", "0", "1" }, "PORT 0: expected a number 1..65535" },
    { { "192.168.0.254", "65536", "1" }, "PORT 65536: expected a number 1..65535" },
    { { "192.168.0.254", "20x7", "1" }, "PORT 20x7: expected a number 1..65535" },
    { { "192.168.0.254", "2007", "0" }, "COUNT 0: expected a number 1..100000000" },
    { { "192.168.0.254", "2007", "-5" }, "COUNT -5: expected a number 1..100000000" },
    { { "192.168.0.254", "2007", "10x" }, "COUNT 10x: expected a number 1..100000000" },
    { { "192.168.0.254", "2007", "100000001" }, "COUNT 100000001: expected a number 1..100000000" },
    { { "192.168.0.254", "2007" }, "expected 3 arguments, got 2" },
    { { "192.168.0.254", "2007", "1", "1" }, "expected 3 arguments, got 4" },
    { { "-r", "0", "192.168.0.254", "2007", "1" },
      "-r 0: expected a SYN's first wait in milliseconds, 1..60000" },
    { { "--syn-rto", "60001", "192.168.0.254", "2007", "1" },
      "-r 60001: expected a SYN's first wait in milliseconds, 1..60000" },
  };
  for (const Case& c : cases)
  {
    CAPTURE(c.says);
    const ChildRun r = run_main(c.args);
    CHECK(r.status == 2);
    CHECK(contains(r.err, c.says));
    CHECK(contains(r.err, "[-r MS]"));  // the usage line
    CHECK(r.out.empty());
  }
}

TEST_CASE("connectmany's usage line and help come from its rows: -r MS, IP PORT COUNT",
          "[step5][options]")
{
  for (const char* rto : { "1", "60000" })
  {
    CAPTURE(rto);
    const ChildRun r = run_main({ "-r", rto, "-h" });  // -r taken, then the help
    CHECK(r.status == 0);
    CHECK(contains(r.out, "[-r MS] IP PORT"));  // the usage line
    CHECK(contains(r.out, " COUNT\n"));
    CHECK(contains(r.out, "-r, --syn-rto MS"));
    CHECK(contains(r.out, "选项"));
    CHECK(r.err.empty());
  }
}

TEST_CASE("connectmany has none of connectmany_window's options (-q, -w N, -x)", "[step5][options]")
{
  for (const char* flag : { "-q", "-x", "--exit", "-w" })
  {
    CAPTURE(flag);
    const ChildRun r = flag[1] == 'w' ? run_main({ flag, "4", "-h" }) : run_main({ flag, "-h" });
    CHECK(r.status == 2);
    CHECK(contains(r.err, "[-r MS]"));  // the usage line
    CHECK_FALSE(contains(r.out, "-w N"));
  }
  CHECK(contains(run_main({ "--exit", "-h" }).err, "unrecognized option '--exit'"));
}
