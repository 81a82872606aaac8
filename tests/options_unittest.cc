// The command line every step shares: parse_cidr (-a ADDR/PREFIX) and
// parse_options_or_exit, with good input and with the mistakes a student makes.
//
// parse_options_or_exit exits on -h and on a bad option, as a program should, so each
// case runs it in a child process (fork) and checks the exit status, what it
// printed, and the Options it filled in.
#include "faketcp.h"
#include "tooling/connectmany_options.h"  // connectmany's -q, -w N, -x
#include "tooling/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>
#include <arpa/inet.h>
#include <catch2/catch.hpp>

namespace
{

std::string dotted(uint32_t addr)  // network byte order
{
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr, text, sizeof text);
  return text;
}

// What a child that ran parse_options_or_exit left behind.
struct Run
{
  int status = -1;       // its exit status; kReturned when parse_options_or_exit returned
  std::string out, err;  // what it printed on stdout and stderr
  std::string result;    // when it returned: "index=N ifname=... hostaddr=... ..."
};

const int kReturned = 99;

std::string slurp(FILE* f)
{
  std::string s;
  rewind(f);
  int c;
  while ((c = fgetc(f)) != EOF)
    s += static_cast<char>(c);
  return s;
}

// Runs parse_options_or_exit(argv, kUsage, nargs, extra) in a child process.
Run parse(std::vector<std::string> args, const ExtraOptions* extra = nullptr, int nargs = 0)
{
  args.insert(args.begin(), "faketcp-test");
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
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(&a[0]);
    argv.push_back(nullptr);
    Options opt;
    const int index = parse_options_or_exit(static_cast<int>(args.size()), argv.data(),
                                            "usage: faketcp-test [options]\n", nargs, &opt, extra);
    fprintf(result, "index=%d ifname=%s hostaddr=%s pcap=%s quiet=%d window=%d exit=%d",
            index, opt.ifname, opt.hostaddr, opt.pcap ? opt.pcap : "-", quiet,
            in_flight, exit_when_done);
    fflush(result);
    fflush(stdout);
    _exit(kReturned);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  Run run;
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = slurp(out);
  run.err = slurp(err);
  run.result = slurp(result);
  fclose(out);
  fclose(err);
  fclose(result);
  return run;
}

bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("parse_cidr splits ADDR/PREFIX into an address and a netmask", "[options][cidr]")
{
  struct Good { const char* text; const char* addr; const char* netmask; };
  const Good cases[] = {
    { "192.168.0.1/24", "192.168.0.1", "255.255.255.0" },   // the default
    { "10.0.0.1/24", "10.0.0.1", "255.255.255.0" },         // the README's way out
    { "10.0.0.254/24", "10.0.0.254", "255.255.255.0" },     // the last host
    { "10.1.2.3/8", "10.1.2.3", "255.0.0.0" },              // the widest: 8
    { "172.16.5.5/30", "172.16.5.5", "255.255.255.252" },   // the narrowest: 30
    { "172.16.0.1/12", "172.16.0.1", "255.240.0.0" },
    { "192.168.7.1/09", "192.168.7.1", "255.128.0.0" },     // two digits, a leading zero
  };
  for (const Good& c : cases)
  {
    CAPTURE(c.text);
    uint32_t addr = 0, netmask = 0;
    REQUIRE(parse_cidr(c.text, &addr, &netmask));
    CHECK(dotted(addr) == c.addr);
    CHECK(dotted(netmask) == c.netmask);
  }
}

TEST_CASE("parse_cidr refuses what is not IPv4/PREFIX with a host address and a prefix of 8..30",
          "[options][cidr]")
{
  const char* bad[] = {
    "10.0.0.1/24x",      // text after the prefix
    "10.0.0.1/24 ",
    "10.0.0.1/2 4",
    "10.0.0.1/",         // no prefix
    "10.0.0.1",          // no slash
    "/24",               // no address
    "",
    "10.0.0.1/+24",      // strtol takes a sign and spaces; a prefix does not
    "10.0.0.1/ 24",
    "10.0.0.1/-24",
    "10.0.0.1/024",      // three digits
    "10.0.0.1/99999999999999999999",
    "10.0.0.1/0",        // prefixes out of 8..30
    "10.0.0.1/7",
    "10.0.0.1/31",
    "10.0.0.1/32",
    "10.0.0.0/24",       // the network's own address
    "10.0.0.255/24",     // its broadcast address
    "172.16.5.4/30",
    "172.16.5.7/30",
    "10.0.0.0/8",
    "10.255.255.255/8",
    "256.0.0.1/24",      // not an address
    "10.0.0/24",
    "10.0.0.1.5/24",
    " 10.0.0.1/24",
    "10.0.0.x/24",
    "1234567890.1234567890/24",  // longer than any address
    "::1/24",            // IPv6
  };
  for (const char* text : bad)
  {
    CAPTURE(text);
    uint32_t addr = 0, netmask = 0;
    CHECK_FALSE(parse_cidr(text, &addr, &netmask));
  }
}

TEST_CASE("parse_options_or_exit keeps the article's defaults when given nothing", "[options]")
{
  const Run r = parse({});
  REQUIRE(r.status == kReturned);
  CHECK(r.result == "index=1 ifname=tun%d hostaddr=192.168.0.1/24 pcap=- quiet=0 window=1 exit=0");
  CHECK(r.out.empty());
  CHECK(r.err.empty());
}

TEST_CASE("parse_options_or_exit reads -i, -a and --pcap", "[options]")
{
  char path[] = "/tmp/faketcp-options-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  const Run r = parse({ "-i", "tun7", "-a", "10.0.0.1/24", "--pcap", path });
  REQUIRE(r.status == kReturned);
  CHECK(r.result == std::string("index=7 ifname=tun7 hostaddr=10.0.0.1/24 pcap=") + path
                    + " quiet=0 window=1 exit=0");
  // --pcap opened the file and wrote its 24-byte header: magic, version 2.4,
  // snapshot length 65535, link type 101 (LINKTYPE_RAW: packets start with IP).
  FILE* f = fopen(path, "rb");
  REQUIRE(f);
  uint32_t header[6] = {};
  CHECK(fread(header, sizeof header, 1, f) == 1);
  fclose(f);
  unlink(path);
  CHECK(header[0] == 0xa1b2c3d4);
  CHECK(header[1] == 0x00040002);
  CHECK(header[4] == 65535);
  CHECK(header[5] == 101);
}

TEST_CASE("parse_options_or_exit takes a device name of at most 15 characters and no '/'", "[options]")
{
  const Run fifteen = parse({ "-i", "abcdefghijklmno" });
  REQUIRE(fifteen.status == kReturned);
  CHECK(contains(fifteen.result, "ifname=abcdefghijklmno "));

  for (const char* name : { "abcdefghijklmnop", "a/b" })
  {
    CAPTURE(name);
    const Run r = parse({ "-i", name });
    CHECK(r.status == 2);
    CHECK(contains(r.err, std::string("-i ") + name + ": a device name has at most 15 characters"));
    CHECK(contains(r.err, "usage: faketcp-test"));
  }
}

TEST_CASE("parse_options_or_exit refuses a bad -a, naming it and the form it expects", "[options]")
{
  for (const char* text : { "10.0.0.1/24x", "10.0.0.0/24", "10.0.0.255/24", "10.0.0.1/31",
                            "10.0.0.1/7", "10.0.0.1", "192.168.0.1/24/24" })
  {
    CAPTURE(text);
    const Run r = parse({ "-a", text });
    CHECK(r.status == 2);
    CHECK(contains(r.err, std::string("-a ") + text + ": expected ADDR/PREFIX with a prefix of 8..30"));
    CHECK(r.result.empty());
  }
}

TEST_CASE("parse_options_or_exit prints the usage and exits 0 on -h and --help", "[options]")
{
  for (const char* flag : { "-h", "--help" })
  {
    CAPTURE(flag);
    const Run r = parse({ flag });
    CHECK(r.status == 0);
    CHECK(contains(r.out, "usage: faketcp-test"));
    CHECK(contains(r.out, "-a ADDR/PREFIX"));
    CHECK(contains(r.out, "选项"));
    CHECK(r.err.empty());
  }
}

TEST_CASE("parse_options_or_exit reads -q, -w N and -x/--exit only where the program takes them",
          "[options]")
{
  SECTION("connectmany's options")
  {
    const Run r = parse({ "-q", "-w", "64", "-x", "192.168.0.1", "2007", "10" }, &kConnectmanyOptions, 3);
    REQUIRE(r.status == kReturned);
    CHECK(r.result == "index=5 ifname=tun%d hostaddr=192.168.0.1/24 pcap=- quiet=1 window=64 exit=1");
    const Run exit = parse({ "--exit", "-w", "4096", "192.168.0.1", "2007", "10" }, &kConnectmanyOptions, 3);
    REQUIRE(exit.status == kReturned);
    CHECK(exit.result == "index=4 ifname=tun%d hostaddr=192.168.0.1/24 pcap=- quiet=0 window=4096 exit=1");
  }
  SECTION("a window out of 1..4096 or not a number")
  {
    for (const char* w : { "0", "4097", "-1", "12x", "" })
    {
      CAPTURE(w);
      const Run r = parse({ "-w", w, "192.168.0.1", "2007", "10" }, &kConnectmanyOptions, 3);
      CHECK(r.status == 2);
      CHECK(contains(r.err, std::string("-w ") + w + ": expected a number of handshakes in flight, 1..4096"));
    }
  }
  SECTION("a program without them refuses them")
  {
    for (const char* flag : { "-q", "-x", "--exit" })
    {
      CAPTURE(flag);
      const Run r = parse({ flag });
      CHECK(r.status == 2);
      CHECK(contains(r.err, "usage: faketcp-test"));
    }
    CHECK(contains(parse({ "--exit" }).err, "unrecognized option '--exit'"));
    CHECK(parse({ "-w", "4" }).status == 2);
  }
}

TEST_CASE("parse_options_or_exit checks the number of arguments left", "[options]")
{
  const Run few = parse({ "192.168.0.1", "2007" }, &kConnectmanyOptions, 3);
  CHECK(few.status == 2);
  CHECK(contains(few.err, "expected 3 arguments, got 2"));
  const Run many = parse({ "192.168.0.1", "2007", "10", "11" }, &kConnectmanyOptions, 3);
  CHECK(many.status == 2);
  CHECK(contains(many.err, "expected 3 arguments, got 4"));
  const Run stray = parse({ "extra" });
  CHECK(stray.status == 2);
  CHECK(contains(stray.err, "expected 0 arguments, got 1"));
  const Run one = parse({ "a" }, nullptr, 1);
  REQUIRE(one.status == kReturned);
  CHECK(contains(one.result, "index=1 "));
}

TEST_CASE("parse_options_or_exit exits 1 when the --pcap file cannot be written, saying so", "[options]")
{
  const Run r = parse({ "--pcap", "/nonexistent-dir/x.pcap" });
  CHECK(r.status == 1);
  CHECK(contains(r.err, "open /nonexistent-dir/x.pcap"));
  CHECK(contains(r.err, "choose a writable path"));
}
