// tests/support/child.cc - see child.h.
#include "tests/support/child.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

static std::string slurp(FILE* f)
{
  std::string s;
  rewind(f);
  int c;
  while ((c = fgetc(f)) != EOF)
    s += static_cast<char>(c);
  return s;
}

ChildRun run_in_child(const std::function<std::string()>& f)
{
  FILE* out = tmpfile();
  FILE* err = tmpfile();
  FILE* result = tmpfile();
  REQUIRE(out);
  REQUIRE(err);
  REQUIRE(result);
  fflush(stdout);
  fflush(stderr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0)
  {
    dup2(fileno(out), STDOUT_FILENO);
    dup2(fileno(err), STDERR_FILENO);
    const std::string text = f();
    fputs(text.c_str(), result);
    fflush(result);
    fflush(stdout);
    fflush(stderr);
    _exit(kReturned);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  ChildRun run;
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = slurp(out);
  run.err = slurp(err);
  run.result = slurp(result);
  fclose(out);
  fclose(err);
  fclose(result);
  return run;
}
