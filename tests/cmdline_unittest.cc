// The command line of every program (tooling/cmdline.h): parse_number,
// parse_cidr (-a ADDR/PREFIX), and OptionTable, with good input and with the
// mistakes a student makes.
//
// parse_or_exit exits on -h and on a bad option, as a program should, so each
// case runs it in a child process (run_in_child) and checks the exit status,
// what it printed, and the values it filled in.
#include "tests/support/child.h"
#include "tooling/cmdline.h"

#include <limits.h>
#include <stdio.h>
#include <string>
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

// What a program of each kind of option would have: the tun group, a flag,
// a number, a size, and (with_args) two arguments, as connectmany's IP PORT.
struct Values
{
  TunOptions tun;
  bool flag = false;
  int number = 1;
  long size = 0;
  const char* ip = "-";
  int port = 0;
};

void table_fill(OptionTable* table, Values* v, bool with_args)
{
  tun_options_add(table, &v->tun);
  table->add({ 'q', "quiet", nullptr, OptionType::kFlag, 0, 0, nullptr, nullptr, &v->flag,
               "a flag", "一个开关" });
  table->add({ 'w', nullptr, "N", OptionType::kInt, 1, 4096, "a number of handshakes in flight",
               nullptr, &v->number, "a number", "一个数" });
  table->add({ 0, "window", "BYTES", OptionType::kSize, 1, 65535L << 14, "bytes", "65535, 256K, 4M",
               &v->size, "a size", "一个大小" });
  if (with_args)
  {
    table->add_argument({ "IP", OptionType::kIpv4, 0, 0, "an IPv4 address", nullptr, &v->ip });
    table->add_argument({ "PORT", OptionType::kInt, 1, 65535, "a number", nullptr, &v->port });
  }
}

// Parses args (after the program's name) in a child; result: the values.
ChildRun parse(std::vector<std::string> args, bool with_args = false)
{
  args.insert(args.begin(), "faketcp-test");
  return run_in_child([&]() {
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(&a[0]);
    argv.push_back(nullptr);
    Values v;
    OptionTable table("  about: what the program does / 程序做什么\n");
    table_fill(&table, &v, with_args);
    table.parse_or_exit(static_cast<int>(args.size()), argv.data());
    char text[512];
    snprintf(text, sizeof text, "ifname=%s hostaddr=%s addr=%s netmask=%s pcap=%s flag=%d number=%d size=%ld ip=%s port=%d",
             v.tun.ifname, v.tun.hostaddr, v.tun.addr, v.tun.netmask, v.tun.pcap ? v.tun.pcap : "-",
             v.flag, v.number, v.size, v.ip, v.port);
    return std::string(text);
  });
}

}  // namespace

TEST_CASE("parse_number takes decimal digits and, where allowed, K or M, inside its range",
          "[options][number]")
{
  struct Case { const char* text; long min, max; bool suffixes; bool ok; long value; };
  const Case cases[] = {
    { "0", 0, 10, false, true, 0 },
    { "10", 0, 10, false, true, 10 },        // the greatest
    { "11", 0, 10, false, false, 0 },        // one past it
    { "1", 1, 10, false, true, 1 },          // the least
    { "0", 1, 10, false, false, 0 },         // one below it
    { "-1", -5, 5, false, true, -1 },
    { "-1", 0, 5, false, false, 0 },
    { "64K", 1, 1L << 30, true, true, 65536 },
    { "4M", 1, 1L << 30, true, true, 4L << 20 },
    { "4m", 1, 1L << 30, true, true, 4L << 20 },
    { "4K", 1, 1L << 30, false, false, 0 },  // no suffix where none is allowed
    { "4KB", 1, 1L << 30, true, false, 0 },
    { "", 0, 10, false, false, 0 },
    { " 5", 0, 10, false, false, 0 },        // strtol would take these
    { "+5", 0, 10, false, false, 0 },
    { "0x5", 0, 10, false, false, 0 },
    { "5 ", 0, 10, false, false, 0 },
    { "1e3", 0, 10000, false, false, 0 },
    { "99999999999999999999", 0, LONG_MAX, false, false, 0 },  // past a long
    { "9223372036854775807M", 0, LONG_MAX, true, false, 0 },   // past a long once scaled
  };
  for (const Case& c : cases)
  {
    CAPTURE(c.text, c.min, c.max, c.suffixes);
    long v = -12345;
    CHECK(parse_number(c.text, c.min, c.max, c.suffixes, &v) == c.ok);
    CHECK(v == (c.ok ? c.value : -12345));  // untouched when refused
  }
}

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

TEST_CASE("OptionTable keeps every default when given nothing", "[options]")
{
  const ChildRun r = parse({});
  REQUIRE(r.status == kReturned);
  CHECK(r.result == "ifname=tun%d hostaddr=192.168.0.1/24 addr=192.168.0.1 netmask=255.255.255.0 pcap=- flag=0 number=1 size=0 ip=- port=0");
  CHECK(r.out.empty());
  CHECK(r.err.empty());
}

TEST_CASE("OptionTable reads -i, -a and --pcap into the tun group", "[options]")
{
  char path[] = "/tmp/faketcp-options-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  const ChildRun r = parse({ "-i", "tun7", "-a", "10.1.2.3/16", "--pcap", path });
  REQUIRE(r.status == kReturned);
  CHECK(r.result == std::string("ifname=tun7 hostaddr=10.1.2.3/16 addr=10.1.2.3 netmask=255.255.0.0 pcap=") + path
                    + " flag=0 number=1 size=0 ip=- port=0");
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

TEST_CASE("OptionTable takes a device name of at most 15 characters and no '/'", "[options]")
{
  const ChildRun fifteen = parse({ "-i", "abcdefghijklmno" });
  REQUIRE(fifteen.status == kReturned);
  CHECK(contains(fifteen.result, "ifname=abcdefghijklmno "));

  for (const char* name : { "abcdefghijklmnop", "a/b", "" })
  {
    CAPTURE(name);
    const ChildRun r = parse({ "-i", name });
    CHECK(r.status == 2);
    CHECK(contains(r.err, std::string("-i ") + name + ": a device name has at most 15 characters"));
    CHECK(contains(r.err, "usage: faketcp-test"));
  }
}

TEST_CASE("OptionTable refuses a bad -a, naming it and the form it expects", "[options]")
{
  for (const char* text : { "10.0.0.1/24x", "10.0.0.0/24", "10.0.0.255/24", "10.0.0.1/31",
                            "10.0.0.1/7", "10.0.0.1", "192.168.0.1/24/24" })
  {
    CAPTURE(text);
    const ChildRun r = parse({ "-a", text });
    CHECK(r.status == 2);
    CHECK(contains(r.err, std::string("-a ") + text + ": expected ADDR/PREFIX with a prefix of 8..30"));
    CHECK(r.result.empty());
  }
}

TEST_CASE("OptionTable prints a help made from its rows, in both languages, and exits 0 on -h and --help",
          "[options]")
{
  for (const char* flag : { "-h", "--help" })
  {
    CAPTURE(flag);
    const ChildRun r = parse({ flag }, true);
    CHECK(r.status == 0);
    CHECK(r.err.empty());
    // The usage line names every row and the arguments, in order.
    CHECK(contains(r.out, "usage: faketcp-test [-i IFNAME] [-a ADDR/PREFIX] [--pcap FILE] [-q] [-w N]"));
    CHECK(contains(r.out, "[--window BYTES] IP PORT"));
    CHECK(contains(r.out, "  about: what the program does / 程序做什么\n"));
    // Every row once, with both spellings, and its help in both languages.
    for (const char* entry : { "  -i IFNAME ", "  -a ADDR/PREFIX ", "  --pcap FILE ", "  -q, --quiet ",
                               "  -w N ", "  --window BYTES ", "  -h, --help " })
      CHECK(contains(r.out, entry));
    for (const char* help : { "a flag", "一个开关", "a number", "一个数", "a size", "一个大小",
                              "tunnel device name", "隧道设备名" })
      CHECK(contains(r.out, help));
  }
}

TEST_CASE("OptionTable reads each kind of value, and refuses one out of its range with the row's words",
          "[options]")
{
  const ChildRun good = parse({ "-q", "-w", "4096", "--window", "256K", "192.168.0.1", "2007" }, true);
  REQUIRE(good.status == kReturned);
  CHECK(contains(good.result, "flag=1 number=4096 size=262144 ip=192.168.0.1 port=2007"));
  const ChildRun longname = parse({ "--quiet", "-w1", "--window=1", "10.0.0.1", "1" }, true);
  REQUIRE(longname.status == kReturned);
  CHECK(contains(longname.result, "flag=1 number=1 size=1 ip=10.0.0.1 port=1"));

  for (const char* w : { "0", "4097", "-1", "12x", "" })
  {
    CAPTURE(w);
    const ChildRun r = parse({ "-w", w });
    CHECK(r.status == 2);
    CHECK(contains(r.err, std::string("-w ") + w + ": expected a number of handshakes in flight, 1..4096\n"));
  }
  const ChildRun size = parse({ "--window", "2G" });
  CHECK(size.status == 2);
  CHECK(contains(size.err, "--window 2G: expected bytes, 1..1073725440 (e.g. 65535, 256K, 4M)"));
  const ChildRun ip = parse({ "192.168.0", "2007" }, true);
  CHECK(ip.status == 2);
  CHECK(contains(ip.err, "IP 192.168.0: expected an IPv4 address such as 192.168.0.1"));
  const ChildRun port = parse({ "192.168.0.1", "65536" }, true);
  CHECK(port.status == 2);
  CHECK(contains(port.err, "PORT 65536: expected a number 1..65535"));
  const ChildRun unknown = parse({ "--exit" });
  CHECK(unknown.status == 2);
  CHECK(contains(unknown.err, "unrecognized option '--exit'"));
  CHECK(contains(unknown.err, "usage: faketcp-test"));
}

TEST_CASE("OptionTable checks the number of arguments left", "[options]")
{
  const ChildRun few = parse({ "192.168.0.1" }, true);
  CHECK(few.status == 2);
  CHECK(contains(few.err, "expected 2 arguments, got 1"));
  const ChildRun many = parse({ "192.168.0.1", "2007", "10" }, true);
  CHECK(many.status == 2);
  CHECK(contains(many.err, "expected 2 arguments, got 3"));
  const ChildRun stray = parse({ "extra" });
  CHECK(stray.status == 2);
  CHECK(contains(stray.err, "expected 0 arguments, got 1"));
}

TEST_CASE("OptionTable refuses a table with one letter or name twice: the program's mistake, exit 70",
          "[options]")
{
  const ChildRun r = run_in_child([]() {
    TunOptions tun;
    bool a = false, b = false;
    OptionTable table("");
    tun_options_add(&table, &tun);
    table.add({ 'x', nullptr, nullptr, OptionType::kFlag, 0, 0, nullptr, nullptr, &a, "", "" });
    table.add({ 'x', nullptr, nullptr, OptionType::kFlag, 0, 0, nullptr, nullptr, &b, "", "" });
    char arg0[] = "faketcp-test";
    char* argv[] = { arg0, nullptr };
    table.parse_or_exit(1, argv);
    return std::string("returned");
  });
  CHECK(r.status == 70);
  CHECK(contains(r.err, "two options are spelled -x"));
}

TEST_CASE("OptionTable exits 1 when the --pcap file cannot be written, saying so", "[options]")
{
  const ChildRun r = parse({ "--pcap", "/nonexistent-dir/x.pcap" });
  CHECK(r.status == 1);
  CHECK(contains(r.err, "open /nonexistent-dir/x.pcap"));
  CHECK(contains(r.err, "choose a writable path"));
}

TEST_CASE("OptionTable lists every row and argument with its range under FAKETCP_OPTION_ROWS=1, "
          "and exits 0", "[options]")
{
  // tests/integration/option_edges.sh asks every program for this listing.
  const ChildRun r = run_in_child([]() {
    setenv("FAKETCP_OPTION_ROWS", "1", 1);
    Values v;
    OptionTable table("");
    table_fill(&table, &v, true);
    char arg0[] = "faketcp-test";
    char bad[] = "--no-such-option";  // never read: the listing comes first
    char* argv[] = { arg0, bad, nullptr };
    table.parse_or_exit(2, argv);
    return std::string("returned");
  });
  CHECK(r.status == 0);
  CHECK(r.out == "option\t-i\t-i\tifname\t0\t0\n"
                 "option\t-a\t-a\tcidr\t0\t0\n"
                 "option\t--pcap\t--pcap\tcapture\t0\t0\n"
                 "option\t-q\t-q,--quiet\tflag\t0\t0\n"
                 "option\t-w\t-w\tint\t1\t4096\n"
                 "option\t--window\t--window\tsize\t1\t1073725440\n"
                 "argument\tIP\tIP\tipv4\t0\t0\n"
                 "argument\tPORT\tPORT\tint\t1\t65535\n");
  CHECK(r.err.empty());
}
