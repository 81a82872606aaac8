// discardall's --mss, --window and -K (tooling/discardall_options.h):
// discardall's own tcp_input, fed the kernel's SYN and data segment of
// tests/fixtures/discardall.pcap (the SYN offers "mss 1460,sackOK,TS,nop,
// wscale 10"), writing into a socketpair instead of tun0.
#include "faketcp.h"
#include "tests/support/fixture.h"
#include "tests/support/speed_options_set.h"  // OptionsSet
#include "tooling/discardall_options.h"
#include "tooling/options.h"
#include "tooling/tunio.h"

#include <getopt.h>
#include <string>
#include <vector>
#include <arpa/inet.h>
#include <catch2/catch.hpp>

// discardall.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

namespace
{

// The reply discardall writes for p, checked to be one well-formed packet.
Bytes answer(const Packet& p)
{
  REQUIRE(ip_check(p.data(), p.size(), nullptr));
  Wire wire;
  tcp_input(wire.fd, p.data(), p.payload(), p.tot_len());
  const Bytes reply = wire.written();
  CHECK(wire.written().empty());
  REQUIRE_FALSE(reply.empty());
  CHECK(ip_checksum_ok(reply));
  CHECK(tcp_checksum_ok(reply));
  return reply;
}

// The TCP options of a reply: the bytes from 20 to doff*4 of its header.
Bytes tcp_options(const Bytes& reply)
{
  const Packet r(reply);
  REQUIRE(ip_check(r.data(), r.size(), nullptr));
  REQUIRE(tcp_check(r.payload(), r.tot_len() - r.iphdr_len()));
  return Bytes(r.payload() + 20, r.payload() + r.tcp()->doff * 4);
}

// The fixture's SYN with its window scale option (the last 3 bytes of its
// 20 bytes of options, after a NOP) turned into NOPs: a SYN that does not
// offer scaling.  TCP's checksum is not checked by tcp_input, IP's still
// holds: only TCP bytes change.
Packet syn_without_wscale()
{
  Packet syn = find_tcp(read_fixture("discardall.pcap"), TH_SYN);
  const unsigned char* opt = tcp_option_find(syn.tcp(), TCPOPT_WINDOW, TCPOLEN_WINDOW);
  REQUIRE(opt != nullptr);
  unsigned char* p = syn.data() + (opt - syn.data());
  memset(p, TCPOPT_NOP, TCPOLEN_WINDOW);
  REQUIRE(tcp_option_find(syn.tcp(), TCPOPT_WINDOW, TCPOLEN_WINDOW) == nullptr);
  return syn;
}

// A TCP header (no IP) whose options are `options`, padded with EOL (0) to
// a multiple of 4, aligned as the programs' buffers are.
struct Header
{
  explicit Header(const Bytes& options)
  {
    memset(words, 0, sizeof words);
    unsigned char* p = reinterpret_cast<unsigned char*>(words);
    if (!options.empty())  // memcpy from an empty vector's null data() is undefined
      memcpy(p + 20, options.data(), options.size());
    p[12] = static_cast<unsigned char>(((20 + options.size() + 3) / 4) << 4);  // doff
  }
  const struct tcphdr* tcp() const { return reinterpret_cast<const struct tcphdr*>(words); }
  const unsigned char* at(int offset) const { return reinterpret_cast<const unsigned char*>(words) + offset; }
  uint32_t words[15];  // 60 bytes, the longest TCP header
};

}  // namespace

TEST_CASE("discardall without options answers a SYN with the article's SYN+ACK: no options, win 5000",
          "[step4][faster][golden]")
{
  const Exchange x = find_exchange(read_fixture("discardall.pcap"), TH_SYN);
  const Bytes reply = answer(x.input);
  CHECK(reply == x.reply);
  CHECK(tcp_options(reply).empty());
  CHECK(ntohs(Packet(reply).tcp()->window) == 5000);
}

TEST_CASE("discardall --mss 1460 puts MSS 1460 (02 04 05 b4) in its SYN+ACK, and nothing else changes",
          "[step4][faster]")
{
  OptionsSet set(1460, 0, false);
  const Exchange x = find_exchange(read_fixture("discardall.pcap"), TH_SYN);
  const Bytes reply = answer(x.input);
  CHECK(tcp_options(reply) == Bytes{ 0x02, 0x04, 0x05, 0xb4 });
  const Packet r(reply), article(x.reply);
  CHECK(r.tot_len() == 44);
  CHECK(r.tcp()->doff == 6);
  CHECK(r.tcp()->syn == 1);
  CHECK(r.tcp()->ack == 1);
  CHECK(r.tcp()->seq == article.tcp()->seq);
  CHECK(r.tcp()->ack_seq == article.tcp()->ack_seq);
  CHECK(ntohs(r.tcp()->window) == 5000);

  SECTION("and only the SYN+ACK: an ACK of data has no options")
  {
    const Bytes ack = answer(find_tcp(read_fixture("discardall.pcap"), TH_PUSH | TH_ACK));
    CHECK(tcp_options(ack).empty());
    CHECK(Packet(ack).tot_len() == 40);
  }
}

TEST_CASE("discardall --window 4M answers a SYN that offers window scaling with nop,wscale 7,"
          " window 65535, then ACKs with 32768 (x 128 = 4 MiB)", "[step4][faster]")
{
  OptionsSet set(1460, 4L << 20, false);
  CHECK(window_shift() == 7);  // 4 MiB >> 7 = 32768 <= 65535; >> 6 = 65536 would not fit
  const Bytes reply = answer(find_tcp(read_fixture("discardall.pcap"), TH_SYN));
  CHECK(tcp_options(reply) == Bytes{ 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07 });
  const Packet r(reply);
  CHECK(r.tot_len() == 48);
  CHECK(r.tcp()->doff == 7);
  CHECK(ntohs(r.tcp()->window) == 65535);  // RFC 7323: a SYN's window is never scaled

  SECTION("the ACK of data")
  {
    const Bytes ack = answer(find_tcp(read_fixture("discardall.pcap"), TH_PUSH | TH_ACK));
    CHECK(ntohs(Packet(ack).tcp()->window) == 32768);
  }
  SECTION("the FIN+ACK")
  {
    const Bytes fin = answer(find_tcp(read_fixture("discardall.pcap"), TH_FIN | TH_ACK));
    CHECK(ntohs(Packet(fin).tcp()->window) == 32768);
  }
}

TEST_CASE("discardall --window 4M sends no window scale to a SYN that offered none",
          "[step4][faster]")
{
  OptionsSet set(0, 4L << 20, false);
  const Bytes reply = answer(syn_without_wscale());
  CHECK(tcp_options(reply).empty());  // RFC 7323 2.2: only if the SYN had one
  CHECK(Packet(reply).tcp()->doff == 5);
  CHECK(ntohs(Packet(reply).tcp()->window) == 65535);
  // Its ACKs still say 32768, which such a peer reads as bytes: a smaller
  // window than we could take, never a larger one.
  CHECK(window_field(false) == 32768);
}

TEST_CASE("discardall --window up to 65535 needs no scale and sends none", "[step4][faster]")
{
  long window = 0;
  SECTION("65535") { window = 65535; }
  SECTION("65000, the original's later discardall") { window = 65000; }
  OptionsSet set(0, window, false);
  CHECK(window_shift() == 0);
  const Bytes reply = answer(find_tcp(read_fixture("discardall.pcap"), TH_SYN));
  CHECK(tcp_options(reply).empty());
  CHECK(ntohs(Packet(reply).tcp()->window) == window);
  CHECK(window_field(false) == window);
}

TEST_CASE("the window scale is the smallest shift that fits the window in 16 bits, at most 14",
          "[step4][faster]")
{
  struct { long window; int shift; } cases[] = {
    { 5000, 0 }, { 65535, 0 }, { 65536, 1 }, { 131071, 1 }, { 131072, 2 },
    { 256L << 10, 3 }, { 1L << 20, 5 }, { 65535L << 14, 14 },
  };
  for (const auto& c : cases)
  {
    OptionsSet set(0, c.window, false);
    INFO("window " << c.window);
    CHECK(window_shift() == c.shift);
    CHECK((c.window >> window_shift()) <= 65535);
  }
}

TEST_CASE("-K implies --mss 1460 --window 4M unless they are given", "[step4][faster]")
{
  SECTION("-K alone")
  {
    OptionsSet set(0, 0, true);
    CHECK(synack_mss() == 1460);
    CHECK(window_bytes() == 4L << 20);
    const Bytes reply = answer(find_tcp(read_fixture("discardall.pcap"), TH_SYN));
    CHECK(tcp_options(reply) == Bytes{ 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07 });
  }
  SECTION("-K --mss 1000 --window 65000")
  {
    OptionsSet set(1000, 65000, true);
    CHECK(synack_mss() == 1000);
    CHECK(window_bytes() == 65000);
    const Bytes reply = answer(find_tcp(read_fixture("discardall.pcap"), TH_SYN));
    CHECK(tcp_options(reply) == Bytes{ 0x02, 0x04, 0x03, 0xe8 });  // 0x03e8 == 1000
    CHECK(ntohs(Packet(reply).tcp()->window) == 65000);
  }
  SECTION("no option: the article")
  {
    CHECK(synack_mss() == 0);
    CHECK(window_bytes() == 5000);
    CHECK(window_field(true) == 5000);
    CHECK(window_field(false) == 5000);
  }
}

TEST_CASE("--mtu 9000 implies --mss 8960 unless given, and puts 02 04 23 00 in the SYN+ACK",
          "[step4][faster]")
{
  const Packet syn = find_tcp(read_fixture("discardall.pcap"), TH_SYN);
  SECTION("--mtu 9000 --window 512K")
  {
    OptionsSet set(0, 512 * 1024, false);
    mtu_option = 9000;
    CHECK(synack_mss() == 8960);  // 9000 - 20 (IP) - 20 (TCP)
    CHECK(window_shift() == 4);   // 512 KiB >> 3 = 65536 does not fit 16 bits
    const Bytes options = { 2, 4, 0x23, 0x00, 1, 3, 3, 4 };  // 0x2300 == 8960
    CHECK(tcp_options(answer(syn)) == options);
  }
  SECTION("--mtu 9000 --mss 4000")
  {
    OptionsSet set(4000, 0, false);
    mtu_option = 9000;
    CHECK(synack_mss() == 4000);
  }
}

TEST_CASE("tcp_option_find reads the kernel's SYN options", "[step4][faster][tcp]")
{
  const Packet syn = find_tcp(read_fixture("discardall.pcap"), TH_SYN);
  REQUIRE(tcp_check(syn.payload(), syn.tot_len() - syn.iphdr_len()));
  const unsigned char* mss = tcp_option_find(syn.tcp(), TCPOPT_MAXSEG, TCPOLEN_MAXSEG);
  REQUIRE(mss != nullptr);
  CHECK(get16(mss + 2) == 1460);
  const unsigned char* ws = tcp_option_find(syn.tcp(), TCPOPT_WINDOW, TCPOLEN_WINDOW);
  REQUIRE(ws != nullptr);
  CHECK(ws[2] == 10);  // "wscale 10" in tcpdump
  CHECK(tcp_option_find(syn.tcp(), TCPOPT_TIMESTAMP, TCPOLEN_TIMESTAMP) != nullptr);
  CHECK(tcp_option_find(syn.tcp(), TCPOPT_WINDOW, 4) == nullptr);  // right kind, wrong length
  CHECK(tcp_option_find(syn.tcp(), 99, 2) == nullptr);             // not there
}

TEST_CASE("tcp_option_find stops at a length that cannot be, reading nothing past the header",
          "[step4][faster][tcp]")
{
  SECTION("no options")
  {
    const Header h(Bytes{});
    CHECK(tcp_option_find(h.tcp(), TCPOPT_WINDOW, TCPOLEN_WINDOW) == nullptr);
  }
  SECTION("a window scale whose last byte is past doff")
  {
    // doff 6: 4 bytes of options, NOP NOP then kind 3 length 3 needs 5
    const Header h(Bytes{ 0x01, 0x01, 0x01, 0x03 });
    CHECK(tcp_option_find(h.tcp(), TCPOPT_WINDOW, TCPOLEN_WINDOW) == nullptr);
  }
  SECTION("a length of 3 that runs past the header")
  {
    const Header h(Bytes{ 0x01, 0x01, 0x03, 0x03 });
    CHECK(tcp_option_find(h.tcp(), TCPOPT_WINDOW, TCPOLEN_WINDOW) == nullptr);
  }
  SECTION("a length of 0 or 1 before it (would never advance, or land inside itself)")
  {
    for (unsigned char len : { 0, 1 })
    {
      const Header h(Bytes{ 0x08, len, 0x01, 0x03, 0x03, 0x07, 0x00, 0x00 });
      CHECK(tcp_option_find(h.tcp(), TCPOPT_WINDOW, TCPOLEN_WINDOW) == nullptr);
    }
  }
  SECTION("after the end-of-list option")
  {
    const Header h(Bytes{ 0x00, 0x03, 0x03, 0x07 });
    CHECK(tcp_option_find(h.tcp(), TCPOPT_WINDOW, TCPOLEN_WINDOW) == nullptr);
  }
  SECTION("a good one, found at its place")
  {
    const Header h(Bytes{ 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07 });
    const unsigned char* ws = tcp_option_find(h.tcp(), TCPOPT_WINDOW, TCPOLEN_WINDOW);
    CHECK(ws == h.at(25));
  }
}

TEST_CASE("--mss, --window and -K read their arguments as the help says: K and M are 1024s, "
          "nothing may follow", "[step4][faster][options]")
{
  OptionsSet set(0, 0, false);  // puts the defaults back after
  const ExtraOptions& o = kDiscardallOptions;
  SECTION("--window")
  {
    CHECK(o.take('W', "65535"));
    CHECK(window_option == 65535);
    CHECK(o.take('W', "256K"));
    CHECK(window_option == 256L << 10);  // 262144, not 256000
    CHECK(o.take('W', "256k"));
    CHECK(window_option == 256L << 10);
    CHECK(o.take('W', "4M"));
    CHECK(window_option == 4L << 20);
    CHECK(o.take('W', "1073725440"));    // 65535 << 14, the most scaling can say
    CHECK(window_option == 65535L << 14);
    for (const char* bad : { "1073725441", "0", "", "K", "-1", "256KB", "256x", "12 ", "4G" })
    {
      CAPTURE(bad);
      CHECK_FALSE(o.take('W', bad));
    }
  }
  SECTION("--mss")
  {
    CHECK(o.take('M', "1460"));
    CHECK(mss_option == 1460);
    CHECK(o.take('M', "64"));
    CHECK(mss_option == 64);
    CHECK(o.take('M', "65535"));
    CHECK(mss_option == 65535);
    for (const char* bad : { "63", "65536", "1460x", "", "64K" })
    {
      CAPTURE(bad);
      CHECK_FALSE(o.take('M', bad));
    }
  }
  SECTION("-K")
  {
    CHECK(o.take('K', nullptr));
    CHECK(offload);
  }
}

TEST_CASE("--ack-burst is read from the command line, and -K does not imply it",
          "[step4][faster][options][ackburst]")
{
  OptionsSet set(0, 0, false);  // puts the defaults back after
  const char* argv_burst[] = { "discardall", "--mss", "1460", "--ack-burst", nullptr };
  const char* argv_k[] = { "discardall", "-K", nullptr };
  Options opt;
  optind = 0;  // getopt starts afresh (glibc)
  CHECK(parse_options_or_exit(4, const_cast<char**>(argv_burst), "usage\n", 0, &opt,
                              &kDiscardallOptions) == 4);
  CHECK(ack_burst);
  CHECK(mss_option == 1460);
  ack_burst = false;
  optind = 0;
  CHECK(parse_options_or_exit(2, const_cast<char**>(argv_k), "usage\n", 0, &opt,
                              &kDiscardallOptions) == 2);
  CHECK(offload);
  CHECK_FALSE(ack_burst);
  optind = 0;
  CHECK(std::string(kDiscardallOptions.help).find("--ack-burst") != std::string::npos);
}

TEST_CASE("discardall --ack-burst writes nothing for data segments until a flush, then one ACK "
          "for all of them", "[step4][faster][ackburst]")
{
  OptionsSet set(1460, 128 * 1024, false);
  ack_burst = true;
  const std::vector<Bytes> capture = read_fixture("discardall.pcap");
  const Exchange x = find_exchange(capture, TH_PUSH | TH_ACK);
  const int len = x.input.tot_len() - x.input.iphdr_len() - x.input.tcp()->doff * 4;
  REQUIRE(len > 0);
  const uint32_t seq = ntohl(x.input.tcp()->seq);
  Wire wire;
  // Three segments back to back, as tun0's queue holds them: seq, seq +
  // len, seq + 2 len (only TCP bytes change: tcp_input checks IP's checksum,
  // not TCP's).
  for (int i = 0; i < 3; ++i)
  {
    Packet segment = x.input;
    put32(segment.data() + segment.iphdr_len() + 4, seq + i * len);
    tcp_input(wire.fd, segment.data(), segment.payload(), segment.tot_len());
    INFO("after segment " << i + 1);
    CHECK(wire.written().empty());
  }
  CHECK(tun_flush());
  const Bytes ack = wire.written();
  REQUIRE_FALSE(ack.empty());
  CHECK(wire.written().empty());  // one ACK, not three
  CHECK(ip_checksum_ok(ack));
  CHECK(tcp_checksum_ok(ack));
  const Packet r(ack);
  CHECK(r.tot_len() == 40);
  CHECK(r.tcp()->ack == 1);
  CHECK(ntohl(r.tcp()->ack_seq) == seq + 3 * len);  // the last byte of the third, plus one
  CHECK(ntohl(r.tcp()->seq) == 123457);
  CHECK(ntohs(r.tcp()->window) == 32768);  // 128 KiB >> 2

  SECTION("the FIN+ACK after them is written at once, the kept ACK first")
  {
    tcp_input(wire.fd, x.input.data(), x.input.payload(), x.input.tot_len());
    CHECK(wire.written().empty());
    const Packet fin = find_tcp(capture, TH_FIN | TH_ACK);
    tcp_input(wire.fd, fin.data(), fin.payload(), fin.tot_len());
    const Bytes first = wire.written();
    const Bytes second = wire.written();
    REQUIRE(first.size() == 40);
    REQUIRE(second.size() == 40);
    CHECK(Packet(first).tcp()->fin == 0);
    CHECK(ntohl(Packet(first).tcp()->ack_seq) == seq + len);
    CHECK(Packet(second).tcp()->fin == 1);
  }
  SECTION("without --ack-burst each segment has its ACK at once, as in the article")
  {
    ack_burst = false;
    tcp_input(wire.fd, x.input.data(), x.input.payload(), x.input.tot_len());
    CHECK(wire.written() == answer(x.input));
  }
  tun_flush();  // nothing left for the next test, whatever happened
}
