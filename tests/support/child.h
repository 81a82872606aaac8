// tests/support/child.h - runs a function in a child process and keeps what
// it left behind: its exit status, what it printed on stdout and stderr, and
// the text it returned.  For code that exits, as a program's command line
// does on -h or a bad option: the test process goes on.
#pragma once

#include <functional>
#include <string>

struct ChildRun
{
  int status = -1;       // its exit status (128 + N after signal N); kReturned when f returned
  std::string out, err;  // what it printed on stdout and stderr
  std::string result;    // what f returned, when it returned
};

// The status of a child whose function returned instead of exiting.
constexpr int kReturned = 99;

// Runs f in a child process (fork), its stdout and stderr sent to files.
ChildRun run_in_child(const std::function<std::string()>& f);

// True when part occurs in text.
inline bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}
