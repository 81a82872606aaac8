// The console lines against tcpdump's own text: tcp_print and icmp_input's
// line for every packet of the captures in tests/fixtures/, compared with what
// `tcpdump -n -S -r FILE` printed for the same packets (tests/fixtures/
// *.tcpdump.txt, printed by tcpdump 4.99.3; the first lines of each say so).
//
// Our lines are tcpdump's, in the article's words, with four differences
// that each line below undoes before comparing, and nothing else:
//   - tcpdump begins with a timestamp; we do not.
//   - tcpdump prints TCP options ("options [mss 1460,...]") and a data
//     segment's range ("seq 100:106"); we print no options and the first seq.
//   - tcpdump leaves seq out of a segment without data, SYN or FIN (a bare
//     ACK); we print it: for those, our seq is left out before comparing.
//   - an ICMP line begins with "IP " in tcpdump's text, not in ours.
#include "faketcp.h"
#include "tests/support/fixture.h"

#include <fstream>
#include <regex>
#include <stdio.h>
#include <string>
#include <unistd.h>
#include <vector>
#include <netinet/ip_icmp.h>
#include <catch2/catch.hpp>

namespace
{

// Everything f() prints on stdout.
template <typename F>
std::string stdout_of(F f)
{
  fflush(stdout);
  FILE* tmp = tmpfile();
  REQUIRE(tmp);
  const int saved = dup(STDOUT_FILENO);
  dup2(fileno(tmp), STDOUT_FILENO);
  f();
  fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  std::string text;
  rewind(tmp);
  int c;
  while ((c = fgetc(tmp)) != EOF)
    text += static_cast<char>(c);
  fclose(tmp);
  return text;
}

// tcpdump's lines for tests/fixtures/NAME.pcap, its comment lines left out.
std::vector<std::string> tcpdump_text(const std::string& name)
{
  const char* dir = getenv("FAKETCP_FIXTURES");
  const std::string path = std::string(dir ? dir : "tests/fixtures") + "/" + name + ".tcpdump.txt";
  std::ifstream in(path);
  if (!in)
    FAIL("cannot read " << path << ": run the tests from the top of the repository");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#')
      lines.push_back(line);
  return lines;
}

// A tcpdump line in our words: no timestamp, no options, a range's first seq.
std::string in_our_words(const std::string& tcpdump)
{
  std::string line = std::regex_replace(tcpdump, std::regex("^[0-9:.]+ "), "");
  line = std::regex_replace(line, std::regex(", options \\[[^\\]]*\\]"), "");
  line = std::regex_replace(line, std::regex("seq ([0-9]+):[0-9]+,"), "seq $1,");
  return line;
}

// Compares tcp_print's line for every TCP packet of NAME.pcap with tcpdump's.
void check_tcp_lines(const std::string& name)
{
  const std::vector<Bytes> packets = read_fixture(name + ".pcap");
  const std::vector<std::string> text = tcpdump_text(name);
  REQUIRE(packets.size() == text.size());
  for (size_t i = 0; i < packets.size(); ++i)
  {
    const Packet p(packets[i]);
    REQUIRE(ip_check(p.data(), p.size(), nullptr));
    REQUIRE(p.ip()->protocol == IPPROTO_TCP);
    const int seg_len = p.tot_len() - p.iphdr_len();
    REQUIRE(tcp_check(p.payload(), seg_len));
    const int payload_len = seg_len - p.tcp()->doff * 4;
    std::string ours = stdout_of([&] { tcp_print(p.ip(), p.tcp(), payload_len); });
    std::string theirs = in_our_words(text[i]) + "\n";
    if (theirs.find(" seq ") == std::string::npos)
      ours = std::regex_replace(ours, std::regex(" seq [0-9]+,"), "");
    CAPTURE(name, i, text[i]);
    CHECK(ours == theirs);
  }
}

}  // namespace

TEST_CASE("tcp_print prints the kernel's and rejectall's segments as tcpdump does", "[print][tcp]")
{
  check_tcp_lines("rejectall");
}

TEST_CASE("tcp_print prints a handshake and a close (acceptall) as tcpdump does", "[print][tcp]")
{
  check_tcp_lines("acceptall");
}

TEST_CASE("tcp_print prints data and its ACK (discardall) as tcpdump does", "[print][tcp]")
{
  check_tcp_lines("discardall");
}

TEST_CASE("tcp_print prints connectmany's handshake and the kernel's RST as tcpdump does",
          "[print][tcp]")
{
  check_tcp_lines("connectmany");
  check_tcp_lines("connectmany_refused");
}

TEST_CASE("icmp_input prints each echo request as tcpdump does, and nothing for a reply",
          "[print][icmp]")
{
  const std::vector<Bytes> packets = read_fixture("icmpecho.pcap");
  const std::vector<std::string> text = tcpdump_text("icmpecho");
  REQUIRE(packets.size() == text.size());
  int requests = 0;
  for (size_t i = 0; i < packets.size(); ++i)
  {
    const Packet p(packets[i]);
    REQUIRE(ip_check(p.data(), p.size(), nullptr));
    REQUIRE(p.ip()->protocol == IPPROTO_ICMP);
    Wire wire;
    const std::string ours = stdout_of([&] { icmp_input(wire.fd, p.data(), p.payload(), p.tot_len()); });
    CAPTURE(i, text[i]);
    if (p.payload()[0] == ICMP_ECHO)
    {
      // tcpdump's "IP a > b: ICMP echo request, id I, seq S, length L"
      CHECK(ours == std::regex_replace(in_our_words(text[i]), std::regex("^IP "), "") + "\n");
      ++requests;
    }
    else
    {
      CHECK(ours.empty());
    }
  }
  CHECK(requests == 4);
}
