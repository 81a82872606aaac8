// connectmany's tooling (tooling/connectmany_options.h) beyond the command
// line's letters (options_unittest): check_args_or_exit, which refuses
// source addresses the tunnel's network cannot hold, and -x's exit status.
// Both exit, as a program should, so each case runs in a child process.
#include "faketcp.h"
#include "tooling/connectmany_options.h"

#include <fcntl.h>
#include <stdio.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

namespace
{

const int kReturned = 99;  // the child's status when the function returned

// Runs f() in a child process with stderr discarded; returns its exit status.
template <typename F>
int exit_status(F f)
{
  fflush(stdout);
  fflush(stderr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0)
  {
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
    f();
    _exit(kReturned);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// check_args_or_exit on IP PORT COUNT with the tunnel at hostaddr.
int check_args(std::string ip, std::string port, std::string count,
               const char* hostaddr = "192.168.0.1/24")
{
  return exit_status([&] {
    char* args[] = { &ip[0], &port[0], &count[0] };
    int p = 0, n = 0;
    check_args_or_exit(args, hostaddr, "usage: connectmany\n", &p, &n);
    if (p != std::stoi(port) || n != std::stoi(count))
      _exit(3);
  });
}

}  // namespace

TEST_CASE("check_args_or_exit takes IP PORT COUNT whose sources fit in the tunnel's network",
          "[step5][options]")
{
  CHECK(check_args("192.168.0.1", "2007", "1000") == kReturned);   // from .2
  CHECK(check_args("192.168.0.253", "1", "1") == kReturned);       // from .254, the last host
  CHECK(check_args("192.168.0.1", "65535", "64512") == kReturned); // every port of .2
  CHECK(check_args("10.0.0.1", "2007", "10", "10.0.0.1/24") == kReturned);
}

TEST_CASE("check_args_or_exit refuses the network, broadcast or our own address as a source,"
          " and bad numbers, with status 2", "[step5][options]")
{
  CHECK(check_args("192.168.0.254", "2007", "1") == 2);    // the source would be .255, the broadcast
  CHECK(check_args("192.168.0.253", "2007", "64513") == 2); // .254 full, the next is .255
  CHECK(check_args("192.168.0.255", "2007", "1") == 2);    // .0 of the next network
  CHECK(check_args("192.168.0.0", "2007", "1") == 2);      // the source .1 is our own address
  CHECK(check_args("10.0.0.1", "2007", "1") == 2);         // outside 192.168.0.0/24
  CHECK(check_args("192.168.0.1", "0", "1") == 2);
  CHECK(check_args("192.168.0.1", "65536", "1") == 2);
  CHECK(check_args("192.168.0.1", "2007", "0") == 2);
  CHECK(check_args("192.168.0.1", "2007", "10x") == 2);
  CHECK(check_args("192.168.0.x", "2007", "1") == 2);
}

TEST_CASE("-x exits 0 when every handshake completed, 1 when one failed; without -x it returns",
          "[step5][options]")
{
  const int fd = open("/dev/null", O_WRONLY);  // exit_if_asked closes the tun fd
  REQUIRE(fd >= 0);
  exit_when_done = true;
  CHECK(exit_status([&] { exit_if_asked(fd, true); }) == 0);
  CHECK(exit_status([&] { exit_if_asked(fd, false); }) == 1);
  exit_when_done = false;
  CHECK(exit_status([&] { exit_if_asked(fd, false); }) == kReturned);
  close(fd);
}
