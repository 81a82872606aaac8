// What the programs print, set beside what tcpdump itself prints for the
// same bytes: this test runs tcpdump (4.99 here; -nn -S -t, and -x for the
// hex) on the fixtures of tests/fixtures and on pcap files it writes of
// segments made for the purpose, and compares, field by field, with
// tcp_print, icmp_input's line and bad_packet's dump.  (print_unittest does
// the same against tcpdump's text stored beside the fixtures; this one asks
// tcpdump, so a tcpdump that prints otherwise is seen too.)
//
// Where we differ from tcpdump on purpose, the difference is undone below
// in one named place and checked to be there, so that it stays stated:
//   - seq: tcpdump leaves it out of a segment with no data, SYN, FIN or RST
//     (a bare ACK, a flagless segment) and shows a range "seq 1:7" for data;
//     we print the first seq always (the article's line).
//   - TCP options ("options [mss 1460,...]") and the urgent pointer ("urg 3")
//     tcpdump prints; we do not.
//   - ECE and CWR (RFC 3168) are "E" and "W" in tcpdump's flags; we print the
//     six flags of RFC 793 only.
//   - an ICMP line: tcpdump begins it with "IP "; we do not.  An echo reply
//     is a line in tcpdump's output; icmp_input prints only the request it
//     answers (icmpecho's reply is written to tun0, not printed).
//   - the hex dump: tcpdump -x prints every byte, 16 a line in groups of two
//     after an offset; bad_packet prints the article's four bytes a line,
//     the first 64 only, then "... N more bytes" for the rest of what was
//     read.  The bytes and the count must be tcpdump's.
#include "faketcp.h"
#include "tests/support/fixture.h"    // read_fixture, Packet, Wire
#include "tests/support/malformed.h"  // StdoutCapture
#include "tests/support/child.h"      // contains
#include "tests/support/reference.h"  // put16, put32, ip_fix_checksum

#include <pcap/pcap.h>
#include <regex>
#include <stdio.h>
#include <stdlib.h>
#include <string>
#include <unistd.h>
#include <vector>
#include <netinet/ip_icmp.h>
#include <catch2/catch.hpp>

namespace
{

// The fixtures, every packet of which is compared.
const char* const kFixtures[] = { "icmpecho", "rejectall", "acceptall", "discardall",
                                  "connectmany", "connectmany_refused" };

std::string fixture_path(const std::string& name)
{
  const char* dir = getenv("FAKETCP_FIXTURES");
  return std::string(dir ? dir : "tests/fixtures") + "/" + name + ".pcap";
}

// tcpdump's output lines for `path`, run with `flags`; fails the test when
// tcpdump cannot be run.
std::vector<std::string> tcpdump(const std::string& flags, const std::string& path)
{
  const std::string cmd = "tcpdump " + flags + " -r '" + path + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::vector<std::string> lines;
  char buf[4096];
  while (fgets(buf, sizeof buf, p))
  {
    std::string line(buf);
    if (!line.empty() && line.back() == '\n')
      line.pop_back();
    lines.push_back(line);
  }
  const int rc = pclose(p);
  if (rc != 0 || lines.empty())
    FAIL("`" << cmd << "` failed (status " << rc << "): this test needs tcpdump "
         "(apt-get install tcpdump, or scripts/install-deps)");
  return lines;
}

// Writes packets to a fresh pcap file of link type RAW, as --pcap does;
// returns its path (removed by the caller).
std::string pcap_write(const std::vector<Bytes>& packets)
{
  char path[] = "/tmp/faketcp-print-tcpdump.XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  pcap_t* dead = pcap_open_dead(DLT_RAW, 65535);
  REQUIRE(dead);
  pcap_dumper_t* dumper = pcap_dump_open(dead, path);
  REQUIRE(dumper);
  for (const Bytes& b : packets)
  {
    struct pcap_pkthdr h = {};
    h.caplen = h.len = static_cast<bpf_u_int32>(b.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper), &h, b.data());
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
  return path;
}

// 192.168.0.1:40000 > 192.168.0.2:2000, seq 7, ack 9 (when ACK), win 512,
// urgent pointer 3, the flags byte `flags`, `payload` bytes of data, and
// `extra` bytes after the datagram (read, beyond tot_len).
Bytes segment(uint8_t flags, int payload = 0, int extra = 0)
{
  const int tot_len = 40 + payload;
  Bytes p(tot_len + extra, 0xa5);
  std::fill(p.begin(), p.begin() + 40, 0);
  p[0] = 0x45;
  put16(&p[2], static_cast<uint16_t>(tot_len));
  p[8] = 64;
  p[9] = IPPROTO_TCP;
  const unsigned char addrs[8] = { 192, 168, 0, 1, 192, 168, 0, 2 };
  memcpy(&p[12], addrs, 8);
  ip_fix_checksum(p.data(), 20);
  put16(&p[20], 40000);
  put16(&p[22], 2000);
  put32(&p[24], 7);
  put32(&p[28], 9);
  p[32] = 5 << 4;
  p[33] = flags;
  put16(&p[34], 512);
  put16(&p[38], 3);
  return p;
}

// tcpdump's line in our words: the stated differences undone.
std::string tcpdump_in_our_words(std::string line)
{
  line = std::regex_replace(line, std::regex(", options \\[[^\\]]*\\]"), "");  // no options
  line = std::regex_replace(line, std::regex("seq ([0-9]+):[0-9]+,"), "seq $1,");  // first seq
  line = std::regex_replace(line, std::regex(", urg [0-9]+"), "");  // no urgent pointer
  // ECE, CWR: the six flags of RFC 793 only
  std::smatch m;
  if (std::regex_search(line, m, std::regex("Flags \\[([^\\]]*)\\]")))
  {
    std::string flags = m[1];
    if (flags != "none")
    {
      flags = std::regex_replace(flags, std::regex("[EW]"), "");
      if (flags.empty())
        flags = "none";
    }
    line = m.prefix().str() + "Flags [" + flags + "]" + m.suffix().str();
  }
  return line;
}

// tcp_print's line for the TCP packet p, our seq left out where tcpdump
// leaves it out (its line has no " seq ").
std::string tcp_line(const Packet& p, const std::string& theirs)
{
  const int seg_len = p.tot_len() - p.iphdr_len();
  const int payload_len = seg_len - p.tcp()->doff * 4;
  StdoutCapture out;
  tcp_print(p.ip(), p.tcp(), payload_len);
  std::string ours = out.text();
  if (!ours.empty() && ours.back() == '\n')
    ours.pop_back();
  if (theirs.find(" seq ") == std::string::npos)
    ours = std::regex_replace(ours, std::regex(" seq [0-9]+,"), "");
  return ours;
}

// "IP a.p > b.q: Flags [S.], seq 1, ..." -> its fields, by name, for a
// failure that names the field.
std::string field(const std::string& line, const std::string& name)
{
  std::smatch m;
  if (name == "addresses")
    return std::regex_search(line, m, std::regex("^IP ([^:]*):")) ? m[1].str() : "(none)";
  if (name == "flags")
    return std::regex_search(line, m, std::regex("Flags \\[([^\\]]*)\\]")) ? m[1].str() : "(none)";
  return std::regex_search(line, m, std::regex(" " + name + " ([0-9]+)")) ? m[1].str() : "(none)";
}

void check_fields(const std::string& ours, const std::string& theirs)
{
  for (const char* f : { "addresses", "flags", "seq", "ack", "win", "length" })
  {
    CAPTURE(f);
    CHECK(field(ours, f) == field(theirs, f));
  }
  CHECK(ours == theirs);  // and nothing else differs
}

// The records of tcpdump -x: each packet's bytes, from its "\t0x0010:  4500 0028" lines.
std::vector<Bytes> tcpdump_hex(const std::string& path)
{
  std::vector<Bytes> records;
  for (const std::string& line : tcpdump("-nn -t -x", path))
  {
    if (line.empty() || line[0] != '\t')
    {
      records.emplace_back();
      continue;
    }
    REQUIRE(!records.empty());
    const std::string hexpart = line.substr(line.find(':') + 1);
    for (size_t i = 0; i < hexpart.size(); ++i)
      if (isxdigit(static_cast<unsigned char>(hexpart[i])) && i + 1 < hexpart.size() &&
          isxdigit(static_cast<unsigned char>(hexpart[i + 1])))
      {
        records.back().push_back(static_cast<unsigned char>(std::stoi(hexpart.substr(i, 2), nullptr, 16)));
        ++i;
      }
  }
  return records;
}

// bad_packet's dump of b, read back: its bytes, the length of each line,
// and the N of "... N more bytes" (-1 without that line).
struct Dump
{
  Bytes bytes;
  std::vector<int> line_sizes;
  long more = -1;
};

Dump dump_of(const Bytes& b)
{
  StdoutCapture out;
  bad_packet("compared with tcpdump -x", b.data(), static_cast<int>(b.size()));
  const std::string text = out.text();
  Dump d;
  size_t start = text.find('\n') + 1;  // after "bad packet: ..."
  while (start < text.size())
  {
    const size_t nl = text.find('\n', start);
    const std::string line = text.substr(start, nl - start);
    start = nl + 1;
    std::smatch m;
    if (std::regex_match(line, m, std::regex("\\.\\.\\. ([0-9]+) more bytes")))
    {
      d.more = std::stol(m[1]);
      continue;
    }
    int n = 0;
    for (size_t i = 0; i + 1 < line.size() + 1; i += 3, ++n)
      d.bytes.push_back(static_cast<unsigned char>(std::stoi(line.substr(i, 2), nullptr, 16)));
    d.line_sizes.push_back(n);
  }
  return d;
}

void check_dump(const Bytes& read, const Bytes& theirs)
{
  const Dump d = dump_of(read);
  const size_t shown = std::min<size_t>(theirs.size(), 64);
  CHECK(d.bytes == Bytes(theirs.begin(), theirs.begin() + shown));  // the bytes: tcpdump's first 64
  for (size_t i = 0; i < d.line_sizes.size(); ++i)
  {
    CAPTURE(i);
    CHECK(d.line_sizes[i] == (i + 1 < d.line_sizes.size() ? 4 : static_cast<int>(shown - 4 * i)));
  }
  if (theirs.size() > 64)
    CHECK(d.more == static_cast<long>(theirs.size()) - 64);  // "... N more bytes": tcpdump's rest
  else
    CHECK(d.more == -1);  // no "more bytes" line
}

}  // namespace

TEST_CASE("every fixture packet is printed as tcpdump -nn -S prints it, but for the stated differences",
          "[print][tcpdump]")
{
  int tcp = 0, requests = 0, replies = 0;
  for (const char* name : kFixtures)
  {
    const std::vector<Bytes> packets = read_fixture(std::string(name) + ".pcap");
    const std::vector<std::string> text = tcpdump("-nn -S -t", fixture_path(name));
    REQUIRE(packets.size() == text.size());
    for (size_t i = 0; i < packets.size(); ++i)
    {
      const Packet p(packets[i]);
      CAPTURE(name, i, text[i]);
      REQUIRE(ip_check(p.data(), p.size(), nullptr));
      if (p.ip()->protocol == IPPROTO_TCP)
      {
        const std::string theirs = tcpdump_in_our_words(text[i]);
        check_fields(tcp_line(p, theirs), theirs);
        ++tcp;
        continue;
      }
      REQUIRE(p.ip()->protocol == IPPROTO_ICMP);
      Wire wire;
      StdoutCapture out;
      icmp_input(wire.fd, p.data(), p.payload(), p.tot_len());
      const std::string ours = out.text();
      if (p.payload()[0] == ICMP_ECHO)
      {
        // "IP a > b: ICMP echo request, id I, seq S, length L", no "IP " in ours
        REQUIRE(text[i].rfind("IP ", 0) == 0);
        CHECK(ours == text[i].substr(3) + "\n");
        ++requests;
      }
      else
      {
        // tcpdump prints the reply; icmp_input prints nothing for one.
        CHECK(contains(text[i], "ICMP echo reply, id "));
        CHECK(ours.empty());
        ++replies;
      }
    }
  }
  CHECK(tcp == 2 + 6 + 8 + 3 + 2);  // rejectall ... connectmany_refused
  CHECK(requests == 4);
  CHECK(replies == 4);
}

TEST_CASE("tcp_print's Flags [...] are tcpdump's for each of the 64 sets of FIN SYN RST PSH ACK URG",
          "[print][tcpdump][tcp]")
{
  std::vector<Bytes> packets;
  for (int flags = 0; flags < 64; ++flags)
    packets.push_back(segment(static_cast<uint8_t>(flags)));
  const std::string path = pcap_write(packets);
  const std::vector<std::string> text = tcpdump("-nn -S -t", path);
  unlink(path.c_str());
  REQUIRE(text.size() == packets.size());
  for (size_t i = 0; i < packets.size(); ++i)
  {
    CAPTURE(i, text[i]);
    const std::string theirs = tcpdump_in_our_words(text[i]);
    check_fields(tcp_line(Packet(packets[i]), theirs), theirs);
  }
  CHECK(field(text[0], "flags") == "none");  // a segment with no flag: tcpdump's [none]
}

TEST_CASE("the stated differences from tcpdump are there: ECE and CWR, the urgent pointer, a seq range",
          "[print][tcpdump][tcp]")
{
  // SYN+ECE+CWR (an ECN setup SYN, RFC 3168 6.1.1), URG+ACK, 6 bytes of data.
  const std::vector<Bytes> packets = { segment(TH_SYN | 0x40 | 0x80), segment(TH_URG | TH_ACK),
                                       segment(TH_PUSH | TH_ACK, 6) };
  const std::string path = pcap_write(packets);
  const std::vector<std::string> text = tcpdump("-nn -S -t", path);
  unlink(path.c_str());
  REQUIRE(text.size() == 3);
  CHECK(field(text[0], "flags") == "SEW");      // tcpdump: E and W
  CHECK(field(tcp_line(Packet(packets[0]), text[0]), "flags") == "S");  // ours: RFC 793's six
  CHECK(contains(text[1], ", urg 3,"));         // tcpdump: the urgent pointer
  CHECK_FALSE(contains(tcp_line(Packet(packets[1]), text[1]), "urg"));
  CHECK(contains(text[2], "seq 7:13,"));        // tcpdump: the range
  CHECK(contains(tcp_line(Packet(packets[2]), text[2]), "seq 7,"));  // ours: its first
  for (size_t i = 0; i < packets.size(); ++i)
  {
    CAPTURE(i, text[i]);
    const std::string theirs = tcpdump_in_our_words(text[i]);
    check_fields(tcp_line(Packet(packets[i]), theirs), theirs);
  }
}

TEST_CASE("bad_packet's hex dump is tcpdump -x's bytes, four a line, the rest past 64 counted",
          "[print][tcpdump]")
{
  SECTION("every packet of every fixture (28 to 1500 bytes)")
  {
    for (const char* name : kFixtures)
    {
      const std::vector<Bytes> packets = read_fixture(std::string(name) + ".pcap");
      const std::vector<Bytes> theirs = tcpdump_hex(fixture_path(name));
      REQUIRE(theirs.size() == packets.size());
      for (size_t i = 0; i < packets.size(); ++i)
      {
        CAPTURE(name, i, packets[i].size());
        CHECK(theirs[i].size() == packets[i].size());
        check_dump(packets[i], theirs[i]);
      }
    }
  }
  SECTION("bytes read beyond the datagram's total length: both count what was read")
  {
    // 40 + 6 bytes of datagram, 30 more read: 76 in all, 12 past 64.
    const std::vector<Bytes> packets = { segment(TH_ACK, 6, 30), segment(TH_ACK, 0, 24),
                                         segment(TH_ACK, 0, 25), segment(TH_ACK, 0, 3) };
    const std::string path = pcap_write(packets);
    const std::vector<Bytes> theirs = tcpdump_hex(path);
    unlink(path.c_str());
    REQUIRE(theirs.size() == packets.size());
    for (size_t i = 0; i < packets.size(); ++i)
    {
      CAPTURE(i, packets[i].size());
      CHECK(theirs[i] == packets[i]);
      check_dump(packets[i], theirs[i]);
    }
  }
}
