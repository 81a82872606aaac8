// discardall_fast's --mss, --window, --mtu, -K and --ack-burst
// (tooling/speed.h): discardall_fast's own tcp_input, fed the kernel's SYN and data segment of
// tests/fixtures/discardall.pcap (the SYN offers "mss 1460,sackOK,TS,nop,
// wscale 10"), writing into a socketpair instead of tun0.
#include "faketcp.h"
#include "tests/support/fixture.h"
#include "tests/support/child.h"
#include "tests/support/speed_options_set.h"  // OptionsSet, speed
#include "tooling/ack_burst.h"
#include "tooling/cmdline.h"
#include "tooling/speed.h"
#include "tooling/tcp_options.h"
#include "tooling/tunio.h"

#include <getopt.h>
#include <string>
#include <vector>
#include <arpa/inet.h>
#include <catch2/catch.hpp>

// discardall_fast.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

namespace
{

// The speed options a command line gives, read as discardall_fast's main
// reads them (speed_options_add with --mtu and --ack-burst), in a child:
// "mss=N window=N mtu=N K=0|1 burst=0|1", or "exit S: " and the message.
std::string parsed(std::vector<std::string> args)
{
  args.insert(args.begin(), "discardall_fast");
  const ChildRun r = run_in_child([&]() {
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(&a[0]);
    argv.push_back(nullptr);
    SpeedOptions s;
    OptionTable table("");
    speed_options_add(&table, &s, kSpeedMtu | kSpeedAckBurst);
    table.parse_or_exit(static_cast<int>(args.size()), argv.data());
    return "mss=" + std::to_string(s.mss) + " window=" + std::to_string(s.window) +
           " mtu=" + std::to_string(s.mtu) + " K=" + std::to_string(s.offload) +
           " burst=" + std::to_string(s.ack_burst);
  });
  if (r.status == kReturned)
    return r.result;
  const std::string first = r.err.substr(0, r.err.find('\n'));
  return "exit " + std::to_string(r.status) + ": " + first.substr(first.find(": ") + 2);
}

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

TEST_CASE("discardall_fast without options answers a SYN with the article's SYN+ACK: no options, win 5000",
          "[discardall_fast][faster][golden]")
{
  const Exchange x = find_exchange(read_fixture("discardall.pcap"), TH_SYN);
  const Bytes reply = answer(x.input);
  CHECK(reply == x.reply);
  CHECK(tcp_options(reply).empty());
  CHECK(ntohs(Packet(reply).tcp()->window) == 5000);
}

TEST_CASE("discardall_fast --mss 1460 puts MSS 1460 (02 04 05 b4) in its SYN+ACK, and nothing else changes",
          "[discardall_fast][faster]")
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

TEST_CASE("discardall_fast --window 4M answers a SYN that offers window scaling with nop,wscale 7,"
          " window 65535, then ACKs with 32768 (x 128 = 4 MiB)", "[discardall_fast][faster]")
{
  OptionsSet set(1460, 4L << 20, false);
  CHECK(window_shift(speed) == 7);  // 4 MiB >> 7 = 32768 <= 65535; >> 6 = 65536 would not fit
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

TEST_CASE("discardall_fast --window 4M sends no window scale to a SYN that offered none",
          "[discardall_fast][faster]")
{
  OptionsSet set(0, 4L << 20, false);
  const Bytes reply = answer(syn_without_wscale());
  CHECK(tcp_options(reply).empty());  // RFC 7323 2.2: only if the SYN had one
  CHECK(Packet(reply).tcp()->doff == 5);
  CHECK(ntohs(Packet(reply).tcp()->window) == 65535);
  // Its ACKs still say 32768, which such a peer reads as bytes: a smaller
  // window than we could take, never a larger one.
  CHECK(window_field(speed, false) == 32768);
}

TEST_CASE("discardall_fast --window up to 65535 needs no scale and sends none", "[discardall_fast][faster]")
{
  long window = 0;
  SECTION("65535") { window = 65535; }
  SECTION("65000, the original's later discardall") { window = 65000; }
  OptionsSet set(0, window, false);
  CHECK(window_shift(speed) == 0);
  const Bytes reply = answer(find_tcp(read_fixture("discardall.pcap"), TH_SYN));
  CHECK(tcp_options(reply).empty());
  CHECK(ntohs(Packet(reply).tcp()->window) == window);
  CHECK(window_field(speed, false) == window);
}

TEST_CASE("the window scale is the smallest shift that fits the window in 16 bits, at most 14",
          "[discardall_fast][faster]")
{
  struct { long window; int shift; } cases[] = {
    { 5000, 0 }, { 65535, 0 }, { 65536, 1 }, { 131071, 1 }, { 131072, 2 },
    { 256L << 10, 3 }, { 1L << 20, 5 }, { 65535L << 14, 14 },
  };
  for (const auto& c : cases)
  {
    OptionsSet set(0, c.window, false);
    INFO("window " << c.window);
    CHECK(window_shift(speed) == c.shift);
    CHECK((c.window >> window_shift(speed)) <= 65535);
  }
}

TEST_CASE("-K implies --mss 1460 --window 4M unless they are given", "[discardall_fast][faster]")
{
  SECTION("-K alone")
  {
    OptionsSet set(0, 0, true);
    CHECK(synack_mss(speed) == 1460);
    CHECK(window_bytes(speed) == 4L << 20);
    const Bytes reply = answer(find_tcp(read_fixture("discardall.pcap"), TH_SYN));
    CHECK(tcp_options(reply) == Bytes{ 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07 });
  }
  SECTION("-K --mss 1000 --window 65000")
  {
    OptionsSet set(1000, 65000, true);
    CHECK(synack_mss(speed) == 1000);
    CHECK(window_bytes(speed) == 65000);
    const Bytes reply = answer(find_tcp(read_fixture("discardall.pcap"), TH_SYN));
    CHECK(tcp_options(reply) == Bytes{ 0x02, 0x04, 0x03, 0xe8 });  // 0x03e8 == 1000
    CHECK(ntohs(Packet(reply).tcp()->window) == 65000);
  }
  SECTION("no option: the article")
  {
    CHECK(synack_mss(speed) == 0);
    CHECK(window_bytes(speed) == 5000);
    CHECK(window_field(speed, true) == 5000);
    CHECK(window_field(speed, false) == 5000);
  }
}

TEST_CASE("--mtu 9000 implies --mss 8960 unless given, and puts 02 04 23 00 in the SYN+ACK",
          "[discardall_fast][faster]")
{
  const Packet syn = find_tcp(read_fixture("discardall.pcap"), TH_SYN);
  SECTION("--mtu 9000 --window 512K")
  {
    OptionsSet set(0, 512 * 1024, false);
    speed.mtu = 9000;
    CHECK(synack_mss(speed) == 8960);  // 9000 - 20 (IP) - 20 (TCP)
    CHECK(window_shift(speed) == 4);   // 512 KiB >> 3 = 65536 does not fit 16 bits
    const Bytes options = { 2, 4, 0x23, 0x00, 1, 3, 3, 4 };  // 0x2300 == 8960
    CHECK(tcp_options(answer(syn)) == options);
  }
  SECTION("--mtu 9000 --mss 4000")
  {
    OptionsSet set(4000, 0, false);
    speed.mtu = 9000;
    CHECK(synack_mss(speed) == 4000);
  }
}

TEST_CASE("tcp_option_find reads the kernel's SYN options", "[discardall_fast][faster][tcp]")
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
          "[discardall_fast][faster][tcp]")
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

TEST_CASE("--mss, --window, --mtu and -K read their arguments as the help says: K and M are "
          "1024s, nothing may follow", "[discardall_fast][faster][options]")
{
  SECTION("--window")
  {
    CHECK(parsed({ "--window", "65535" }) == "mss=0 window=65535 mtu=0 K=0 burst=0");
    CHECK(parsed({ "--window", "256K" }) == "mss=0 window=262144 mtu=0 K=0 burst=0");  // not 256000
    CHECK(parsed({ "--window", "256k" }) == "mss=0 window=262144 mtu=0 K=0 burst=0");
    CHECK(parsed({ "--window", "4M" }) == "mss=0 window=4194304 mtu=0 K=0 burst=0");
    // 65535 << 14, the most scaling can say
    CHECK(parsed({ "--window", "1073725440" }) == "mss=0 window=1073725440 mtu=0 K=0 burst=0");
    for (const char* bad : { "1073725441", "0", "", "K", "-1", "256KB", "256x", "12 ", "4G" })
    {
      CAPTURE(bad);
      CHECK(parsed({ "--window", bad }) == std::string("exit 2: --window ") + bad +
                                               ": expected bytes, 1..1073725440 (e.g. 65535, 256K, 4M)");
    }
  }
  SECTION("--mss")
  {
    CHECK(parsed({ "--mss", "1460" }) == "mss=1460 window=0 mtu=0 K=0 burst=0");
    CHECK(parsed({ "--mss", "64" }) == "mss=64 window=0 mtu=0 K=0 burst=0");
    CHECK(parsed({ "--mss", "65535" }) == "mss=65535 window=0 mtu=0 K=0 burst=0");
    for (const char* bad : { "63", "65536", "1460x", "", "64K" })
    {
      CAPTURE(bad);
      CHECK(parsed({ "--mss", bad }) == std::string("exit 2: --mss ") + bad +
                                            ": expected a segment size in bytes, 64..65535 (e.g. 1460)");
    }
  }
  SECTION("--mtu")
  {
    CHECK(parsed({ "--mtu", "68" }) == "mss=0 window=0 mtu=68 K=0 burst=0");
    CHECK(parsed({ "--mtu", "65535" }) == "mss=0 window=0 mtu=65535 K=0 burst=0");
    for (const char* bad : { "67", "65536", "9k" })
    {
      CAPTURE(bad);
      CHECK(parsed({ "--mtu", bad }) == std::string("exit 2: --mtu ") + bad +
                                            ": expected a packet size in bytes, 68..65535 (e.g. 9000)");
    }
  }
  SECTION("-K")
  {
    CHECK(parsed({ "-K" }) == "mss=0 window=0 mtu=0 K=1 burst=0");
  }
}

TEST_CASE("--ack-burst is read from the command line, and -K does not imply it",
          "[discardall_fast][faster][options][ackburst]")
{
  CHECK(parsed({ "--mss", "1460", "--ack-burst" }) == "mss=1460 window=0 mtu=0 K=0 burst=1");
  CHECK(parsed({ "-K" }) == "mss=0 window=0 mtu=0 K=1 burst=0");
}

TEST_CASE("discardall_fast --ack-burst writes nothing for data segments until a flush, then one ACK "
          "for all of them", "[discardall_fast][faster][ackburst]")
{
  OptionsSet set(1460, 128 * 1024, false);
  speed.ack_burst = true;
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
    speed.ack_burst = false;
    tcp_input(wire.fd, x.input.data(), x.input.payload(), x.input.tot_len());
    CHECK(wire.written() == answer(x.input));
  }
  tun_flush();  // nothing left for the next test, whatever happened
}
