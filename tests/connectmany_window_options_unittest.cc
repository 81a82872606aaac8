// connectmany_window's -w N, -q and -x/--exit (its WindowOptions rows), its
// own copy of sources_fit, and -x's exit status.  main and exit_if_asked
// exit, as a program should, so each case runs in a child process; main
// only with -h or a bad option, which stop before any tunnel is made (and
// in a network namespace of its own when it can, as root).
#include "faketcp.h"

#include <fcntl.h>
#include <sched.h>  // unshare
#include <stdio.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>
#include <catch2/catch.hpp>

// connectmany_window.cc, compiled for this test with its main renamed.
int faketcp_step_main(int argc, char* argv[]);
bool sources_fit(const char* hostaddr, const char* ip, int count);
void exit_if_asked(int fd, bool asked, bool all_established);

namespace
{

const int kReturned = 99;  // the child's status when the function returned

struct Run
{
  int status = -1;       // its exit status; kReturned when f returned
  std::string out, err;  // what it printed on stdout and stderr
};

std::string slurp(FILE* f)
{
  std::string s;
  rewind(f);
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;)
    s.append(buf, n);
  fclose(f);
  return s;
}

// Runs f() in a child: stdin /dev/null, stdout and stderr kept, 10 s at most.
template <typename F>
Run in_child(F f)
{
  FILE* out = tmpfile();
  FILE* err = tmpfile();
  REQUIRE(out);
  REQUIRE(err);
  fflush(stdout);
  fflush(stderr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0)
  {
    unshare(CLONE_NEWNET);  // as root: a tun0 made by mistake stays in here
    alarm(10);
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    dup2(fileno(out), STDOUT_FILENO);
    dup2(fileno(err), STDERR_FILENO);
    f();
    fflush(stdout);
    _exit(kReturned);
  }
  Run r;
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

Run run_main(std::vector<std::string> args)
{
  args.insert(args.begin(), "connectmany_window");
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(&a[0]);
  argv.push_back(nullptr);
  return in_child([&] { faketcp_step_main(static_cast<int>(args.size()), argv.data()); });
}

bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
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
    const Run r = run_main(args);  // every option taken, then the help
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
    const Run r = run_main({ "-w", w, "-h" });
    CHECK(r.status == 2);
    CHECK(contains(r.err, std::string("-w ") + w + ": expected a number of handshakes in flight, 1..4096"));
    CHECK(contains(r.err, "[-w N]"));  // the usage line
  }
  const Run flag = run_main({ "-q", "-x", "192.168.0.254", "2007" });
  CHECK(flag.status == 2);
  CHECK(contains(flag.err, "expected 3 arguments, got 2"));
}

TEST_CASE("connectmany_window's sources_fit refuses what connectmany's does", "[window][options]")
{
  const Run r = in_child([] {
    if (!sources_fit("192.168.0.1/24", "192.168.0.1", 64513))
      _exit(3);  // .2 and .3: fits
    if (sources_fit("192.168.0.1/24", "192.168.0.254", 1) ||
        sources_fit("192.168.0.1/24", "192.168.0.0", 1) ||
        sources_fit("10.0.0.1/29", "10.0.0.5", 64513))
      _exit(4);
  });
  CHECK(r.status == kReturned);
  CHECK(contains(r.err, "connectmany_window: 64513 connections from source addresses just above"
                        " 10.0.0.5 need 2 addresses inside 10.0.0.1/29"));
}

TEST_CASE("-x exits 0 when every handshake completed, 1 when one failed; without -x it returns",
          "[window][options]")
{
  const int fd = open("/dev/null", O_WRONLY);  // exit_if_asked closes the tun fd
  REQUIRE(fd >= 0);
  CHECK(in_child([&] { exit_if_asked(fd, true, true); }).status == 0);
  CHECK(in_child([&] { exit_if_asked(fd, true, false); }).status == 1);
  CHECK(in_child([&] { exit_if_asked(fd, false, false); }).status == kReturned);
  close(fd);
}
