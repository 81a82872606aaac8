// connectmany_window's -w N, -q and -x/--exit (its WindowOptions rows), its
// own copy of sources_fit, and -x's exit status.  main and exit_if_asked
// exit, as a program should, so each case runs in a child process; main
// only with -h or a bad option, which stop before any tunnel is made (and
// in a network namespace of its own when it can, as root).
#include "faketcp.h"
#include "tests/support/child.h"

#include <fcntl.h>
#include <sched.h>  // unshare
#include <stdio.h>
#include <string>
#include <unistd.h>
#include <vector>
#include <catch2/catch.hpp>

// connectmany_window.cc, compiled for this test with its main renamed.
int faketcp_step_main(int argc, char* argv[]);
bool sources_fit(const char* hostaddr, const char* ip, int count);
void exit_if_asked(int fd, bool asked, bool all_established);

namespace
{

// Runs connectmany_window's main with args in a child (run_in_child):
// stdin /dev/null, 10 s at most, and as root a network namespace of its own.
ChildRun run_main(std::vector<std::string> args)
{
  args.insert(args.begin(), "connectmany_window");
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

}  // namespace

TEST_CASE("connectmany_window reads -q, -w N and -x/--exit, with the step's -r and IP PORT COUNT",
          "[window][options]")
{
  for (const std::vector<std::string>& args :
       { std::vector<std::string>{ "-q", "-w", "64", "-x", "-h" },
         std::vector<std::string>{ "--exit", "-w", "4096", "-r", "50", "-h" },
         std::vector<std::string>{ "-w", "1", "-h" } })
  {
    CAPTURE(args.at(1));
    const ChildRun r = run_main(args);  // every option taken, then the help
    CHECK(r.status == 0);
    CHECK(r.err.empty());
    for (const char* word : { "[-r MS]", "[-w N]", "[-q]", "[-x]", " COUNT\n" })
      CHECK(contains(r.out, word));  // the usage line
    CHECK(contains(r.out, "-x, --exit"));
  }
}

TEST_CASE("connectmany_window refuses a window out of 1..4096 or not a number, with status 2",
          "[window][options]")
{
  for (const char* w : { "0", "4097", "-1", "12x", "" })
  {
    CAPTURE(w);
    const ChildRun r = run_main({ "-w", w, "-h" });
    CHECK(r.status == 2);
    CHECK(contains(r.err, std::string("-w ") + w + ": expected a number of handshakes in flight, 1..4096"));
    CHECK(contains(r.err, "[-w N]"));  // the usage line
  }
  const ChildRun flag = run_main({ "-q", "-x", "192.168.0.254", "2007" });
  CHECK(flag.status == 2);
  CHECK(contains(flag.err, "expected 3 arguments, got 2"));
}

TEST_CASE("connectmany_window's sources_fit refuses what connectmany's does", "[window][options]")
{
  const ChildRun r = run_in_child([]() {
    return std::string(sources_fit("192.168.0.1/24", "192.168.0.1", 64513) ? "fits" : "refused") +
           (sources_fit("192.168.0.1/24", "192.168.0.254", 1) ? " fits" : " refused") +
           (sources_fit("192.168.0.1/24", "192.168.0.0", 1) ? " fits" : " refused") +
           (sources_fit("10.0.0.1/29", "10.0.0.5", 64513) ? " fits" : " refused");
  });
  CHECK(r.result == "fits refused refused refused");  // .2 and .3; .255; .1; .6 and .7
  CHECK(contains(r.err, "connectmany_window: 64513 connections from source addresses just above"
                        " 10.0.0.5 need 2 addresses inside 10.0.0.1/29"));
}

TEST_CASE("-x exits 0 when every handshake completed, 1 when one failed; without -x it returns",
          "[window][options]")
{
  const int fd = open("/dev/null", O_WRONLY);  // exit_if_asked closes the tun fd
  REQUIRE(fd >= 0);
  const auto exit_if = [fd](bool asked, bool all) {
    return run_in_child([=]() {
      exit_if_asked(fd, asked, all);
      return std::string();
    }).status;
  };
  CHECK(exit_if(true, true) == 0);
  CHECK(exit_if(true, false) == 1);
  CHECK(exit_if(false, false) == kReturned);
  close(fd);
}
