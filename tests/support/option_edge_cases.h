// tests/support/option_edge_cases.h - an option's least and greatest value,
// as a program's help and docs promise them, checked on the program's own
// main (its .cc compiled with main renamed faketcp_step_main) in a child:
// each edge is taken (then -h ends the run with the help, exit 0, before any
// tunnel), one beyond each is refused with exit 2 and the row's message.
//
// tests/integration/option_edges.sh checks every row of every table against
// the range the row itself states, so a new option is checked as soon as it
// exists; these cases pin the ranges themselves, so a row whose range
// changes by mistake (-r 1..6000 for 1..60000) fails here.
#pragma once

#include "tests/support/child.h"

#include <fcntl.h>
#include <sched.h>  // unshare
#include <string>
#include <unistd.h>
#include <vector>
#include <catch2/catch.hpp>

int faketcp_step_main(int argc, char* argv[]);

// Runs the program's main with args in a child: stdin /dev/null, 10 s at
// most, and as root a network namespace of its own (a tunnel made by
// mistake stays in there).
inline ChildRun step_main_run(const char* program, std::vector<std::string> args)
{
  args.insert(args.begin(), program);
  return run_in_child([&]() {
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(&a[0]);
    argv.push_back(nullptr);
    unshare(CLONE_NEWNET);
    alarm(10);
    dup2(open("/dev/null", O_RDONLY), STDIN_FILENO);
    faketcp_step_main(static_cast<int>(args.size()), argv.data());
    return std::string();
  });
}

// opt (as written: "-r", "--loss") takes least and greatest and refuses one
// beyond each, naming itself (as `name`, the spelling its message uses),
// `what` and the range: "-r 0: expected a SYN's first wait in milliseconds, 1..60000".
inline void option_edges_check(const char* program, const std::string& opt, const std::string& name,
                               long least, long greatest, const std::string& what)
{
  for (long v : { least, greatest })
  {
    CAPTURE(program, opt, v);
    const ChildRun r = step_main_run(program, { opt, std::to_string(v), "-h" });
    CHECK(r.status == 0);  // taken, then the help
    CHECK(contains(r.out, std::string("usage: ") + program));
  }
  for (long v : { least - 1, greatest + 1 })
  {
    CAPTURE(program, opt, v);
    const ChildRun r = step_main_run(program, { opt, std::to_string(v), "-h" });
    CHECK(r.status == 2);
    CHECK(contains(r.err, name + " " + std::to_string(v) + ": expected " + what + ", " +
                              std::to_string(least) + ".." + std::to_string(greatest)));
  }
}
