// Unit tests of discardall2's tcp_input, linked with discardall2.cc itself.
//
// Each case plays the Linux sender: it builds IPv4+TCP segments as the
// kernel sends them to a peer that offered no options (536-byte segments,
// the ACK bit on), hands them to tcp_input with one end of a
// socketpair(AF_UNIX, SOCK_DGRAM) as the "tun" fd, and reads every reply
// from the other end.  Each reply is checked field by field, and so is the
// line the program prints for its decision.  Each case uses ports of its own
// and resets its connection at the end (a RST is never answered), so the
// table is empty between cases.
#include "faketcp.h"
#include "tests/support/malformed.h"  // StdoutCapture
#include "tooling/loss.h"

#include <algorithm>
#include <string>
#include <vector>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <catch2/catch.hpp>

// discardall2.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);
extern LossOptions loss;

namespace
{

const uint32_t kIss = 123456;  // discardall2's SYN; its FIN and ACKs use kIss + 1
const int kMss = 536;          // what Linux sends to a peer that announced no MSS

struct Reply
{
  struct iphdr ip;
  struct tcphdr tcp;
  int data_len = 0;
  bool ip_sum_ok = false;
  bool tcp_sum_ok = false;
  uint32_t seq() const { return ntohl(tcp.seq); }
  uint32_t ack() const { return ntohl(tcp.ack_seq); }
  int window() const { return ntohs(tcp.window); }
};

// Flags as tcpdump prints them, for readable failures: "F.", "S.", "R".
std::string flags(const Reply& r)
{
  std::string s;
  if (r.tcp.fin) s += 'F';
  if (r.tcp.syn) s += 'S';
  if (r.tcp.rst) s += 'R';
  if (r.tcp.psh) s += 'P';
  if (r.tcp.ack) s += '.';
  return s;
}

// The kernel at 192.168.0.1:port sending to 192.168.0.2:2000 through tcp_input.
class Sender
{
 public:
  Sender(uint16_t port, uint32_t isn) : port_(port), isn_(isn)
  {
    REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM, 0, fds_) == 0);
  }
  ~Sender()
  {
    send(0, 0, "R");
    close(fds_[0]);
    close(fds_[1]);
  }
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // One segment; what tcp_input wrote back, and what it printed in `lines`.
  std::vector<Reply> send(uint32_t seq, uint32_t ack, const char* flag_text, int len = 0,
                          uint16_t port = 0)
  {
    unsigned char packet[20 + 20 + 1500] = {};
    REQUIRE(len <= 1500);
    struct iphdr ip = {};
    ip.version = 4;
    ip.ihl = 5;
    ip.tot_len = htons(static_cast<uint16_t>(20 + 20 + len));
    ip.frag_off = htons(IP_DF);
    ip.ttl = 64;
    ip.protocol = IPPROTO_TCP;
    inet_pton(AF_INET, "192.168.0.1", &ip.saddr);
    inet_pton(AF_INET, "192.168.0.2", &ip.daddr);
    ip.check = in_checksum(&ip, sizeof ip);
    struct tcphdr tcp = {};
    tcp.source = htons(port ? port : port_);
    tcp.dest = htons(2000);
    tcp.seq = htonl(seq);
    tcp.ack_seq = htonl(ack);
    tcp.doff = 5;
    tcp.window = htons(64240);
    for (const char* f = flag_text; *f; ++f)
      switch (*f)
      {
        case 'S': tcp.syn = 1; break;
        case 'F': tcp.fin = 1; break;
        case 'R': tcp.rst = 1; break;
        case 'P': tcp.psh = 1; break;
        case '.': tcp.ack = 1; break;
        default: FAIL("unknown flag " << *f);
      }
    memcpy(packet, &ip, sizeof ip);
    memcpy(packet + 20, &tcp, sizeof tcp);
    memset(packet + 40, 'x', len);
    const uint16_t check = tcp_checksum(&ip, packet + 20, 20 + len);
    memcpy(packet + 20 + 16, &check, 2);

    StdoutCapture capture;
    tcp_input(fds_[0], packet, packet + 20, 20 + 20 + len);
    lines = capture.text();
    return replies();
  }

  // The handshake; then data byte 1 is isn + 1.
  void handshake()
  {
    auto r = send(isn_, 0, "S");
    REQUIRE(r.size() == 1);
    REQUIRE(flags(r[0]) == "S.");
    CHECK(r[0].seq() == kIss);
    CHECK(r[0].ack() == isn_ + 1);
    CHECK(r[0].window() == 5000);
    CHECK(r[0].tcp.doff == 5);  // the article's SYN+ACK: no options
    CHECK(send(isn_ + 1, kIss + 1, ".").empty());
  }

  // Data segment number i (from 0) of kMss bytes, as the kernel numbers them.
  uint32_t seg(int i) const { return isn_ + 1 + static_cast<uint32_t>(i) * kMss; }
  std::vector<Reply> data(int i) { return send(seg(i), kIss + 1, ".", kMss); }

  std::string lines;

 private:
  std::vector<Reply> replies()
  {
    std::vector<Reply> out;
    unsigned char buf[65536];
    ssize_t n;
    while ((n = recv(fds_[1], buf, sizeof buf, MSG_DONTWAIT)) > 0)
    {
      REQUIRE(n >= 40);
      Reply r;
      memcpy(&r.ip, buf, sizeof r.ip);
      memcpy(&r.tcp, buf + 20, sizeof r.tcp);
      REQUIRE(ntohs(r.ip.tot_len) == n);
      r.data_len = static_cast<int>(n) - 20 - r.tcp.doff * 4;
      r.ip_sum_ok = in_checksum(buf, 20) == 0;
      r.tcp_sum_ok = tcp_checksum(&r.ip, buf + 20, static_cast<int>(n) - 20) == 0;
      out.push_back(r);
    }
    return out;
  }

  uint16_t port_;
  uint32_t isn_;
  int fds_[2];
};

// The one reply is a bare ACK of `ack`, window 5000, checksums right.
void check_ack(const std::vector<Reply>& r, uint32_t ack, const std::string& lines)
{
  INFO("discardall2 printed:\n" << lines);
  REQUIRE(r.size() == 1);
  CHECK(flags(r[0]) == ".");
  CHECK(r[0].seq() == kIss + 1);
  CHECK(r[0].ack() == ack);
  CHECK(r[0].window() == 5000);
  CHECK(r[0].data_len == 0);
  CHECK(r[0].ip_sum_ok);
  CHECK(r[0].tcp_sum_ok);
}

bool has(const std::string& text, const std::string& what)
{
  return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("discardall2 acknowledges data in order, one ACK of its end per segment",
          "[tcp][discardall2]")
{
  Sender s(41001, 1000);
  s.handshake();
  for (int i = 0; i < 3; ++i)
  {
    auto r = s.data(i);
    check_ack(r, s.seg(i + 1), s.lines);
    CHECK(has(s.lines, "received, seq = " + std::to_string(s.seg(i)) + ":" +
                           std::to_string(s.seg(i + 1)) + ", len = 536"));
  }
}

TEST_CASE("discardall2 answers a segment beyond rcv_nxt with an immediate duplicate ACK of "
          "rcv_nxt (RFC 5681 4.2)", "[tcp][discardall2]")
{
  Sender s(41002, 5000);
  s.handshake();
  check_ack(s.data(0), s.seg(1), s.lines);
  // Segment 1 is lost on the way: 2, 3, 4 each get an ACK of seg(1), counted.
  for (int i = 2; i <= 4; ++i)
  {
    auto r = s.data(i);
    check_ack(r, s.seg(1), s.lines);
    CHECK(has(s.lines, "packet loss, rcv_nxt = " + std::to_string(s.seg(1)) + ", seq = " +
                           std::to_string(s.seg(i))));
    CHECK(has(s.lines, "duplicate ACK " + std::to_string(i - 1) + ", ack = " +
                           std::to_string(s.seg(1))));
  }
  SECTION("the hole filled, the ACK jumps over the segments held past it")
  {
    auto r = s.data(1);
    check_ack(r, s.seg(5), s.lines);
    CHECK(has(s.lines, "hole filled, ack jumps from " + std::to_string(s.seg(2)) + " to " +
                           std::to_string(s.seg(5))));
    // The next duplicate ACK counts from 1 again.
    auto d = s.data(6);
    check_ack(d, s.seg(5), s.lines);
    CHECK(has(s.lines, "duplicate ACK 1, ack = "));
  }
}

TEST_CASE("discardall2 holds at most 8 out-of-order ranges; one more is not held and comes again",
          "[tcp][discardall2]")
{
  Sender s(41003, 70000);
  s.handshake();
  // Holes at 0, 2, 4, ...: segments 1, 3, ..., 17 are nine separate ranges.
  for (int i = 1; i <= 17; i += 2)
  {
    auto r = s.data(i);
    check_ack(r, s.seg(0), s.lines);
    CHECK(has(s.lines, "not held") == (i == 17));
  }
  // Filling the holes 0..14 walks the ACK to the end of segment 15; 16 and 17
  // were never held, so it stops at seg(16).
  for (int i = 0; i <= 14; i += 2)
    s.data(i);
  check_ack(s.data(16), s.seg(17), s.lines);
}

TEST_CASE("discardall2 recognizes a retransmission and acknowledges rcv_nxt again",
          "[tcp][discardall2]")
{
  Sender s(41004, 9000);
  s.handshake();
  s.data(0);
  s.data(1);
  auto r = s.data(0);  // its ACK was lost: the kernel's timer sends it again
  check_ack(r, s.seg(2), s.lines);
  CHECK(has(s.lines, "retransmit, rcv_nxt = " + std::to_string(s.seg(2)) + ", seq = " +
                         std::to_string(s.seg(0))));
  SECTION("a retransmission that also carries new bytes moves rcv_nxt to its end")
  {
    auto big = s.send(s.seg(1), kIss + 1, ".", 2 * kMss);
    check_ack(big, s.seg(3), s.lines);
    CHECK(has(s.lines, "retransmit, "));
  }
}

TEST_CASE("discardall2 compares sequence numbers modulo 2^32: a stream wraps past 2^32 "
          "(RFC 1982)", "[tcp][discardall2][wrap]")
{
  // isn + 1 = 2^32 - 600: segment 0 ends at 2^32 - 64, segment 1 crosses 0.
  Sender s(41005, 0xffffffffu - 600);
  s.handshake();
  check_ack(s.data(0), s.seg(1), s.lines);
  check_ack(s.data(1), s.seg(2), s.lines);
  CHECK(s.seg(2) < 1000);  // past the wrap
  SECTION("a retransmission from before the wrap is old, not \"beyond rcv_nxt\"")
  {
    check_ack(s.data(0), s.seg(2), s.lines);
    CHECK(has(s.lines, "retransmit, "));
  }
  SECTION("a segment after a hole past the wrap is beyond rcv_nxt")
  {
    check_ack(s.data(3), s.seg(2), s.lines);
    CHECK(has(s.lines, "packet loss, "));
    check_ack(s.data(2), s.seg(4), s.lines);
  }
}

TEST_CASE("discardall2 answers a FIN after a hole with a duplicate ACK, and closes once the hole "
          "is filled", "[tcp][discardall2][fin]")
{
  Sender s(41006, 20000);
  s.handshake();
  s.data(0);
  // Segment 1 lost; segment 2 carries the FIN.
  auto r = s.send(s.seg(2), kIss + 1, "F.", kMss);
  check_ack(r, s.seg(1), s.lines);
  CHECK(has(s.lines, "packet loss, "));
  // The retransmission of segment 1 fills the hole: everything up to the
  // FIN came, so the FIN is acknowledged with our own.
  auto f = s.data(1);
  INFO("discardall2 printed:\n" << s.lines);
  REQUIRE(f.size() == 1);
  CHECK(flags(f[0]) == "F.");
  CHECK(f[0].seq() == kIss + 1);
  CHECK(f[0].ack() == s.seg(3) + 1);  // the FIN counts as one
  // The entry is gone: the last ACK of the close gets no answer, and data
  // of the connection gets a RST taken from its ACK field.
  CHECK(s.send(s.seg(3) + 1, kIss + 2, ".").empty());
  auto rst = s.send(s.seg(3) + 1, kIss + 2, ".", 10);
  REQUIRE(rst.size() == 1);
  CHECK(flags(rst[0]) == "R");
  CHECK(rst[0].seq() == kIss + 2);
}

TEST_CASE("discardall2 answers a FIN in order with FIN+ACK, and a FIN again after its entry is "
          "gone the same way", "[tcp][discardall2][fin]")
{
  Sender s(41007, 30000);
  s.handshake();
  s.data(0);
  for (int round = 0; round < 2; ++round)
  {
    auto f = s.send(s.seg(1), kIss + 1, "F.");
    REQUIRE(f.size() == 1);
    CHECK(flags(f[0]) == "F.");
    CHECK(f[0].seq() == kIss + 1);
    CHECK(f[0].ack() == s.seg(1) + 1);
  }
}

TEST_CASE("discardall2's table is bounded: a SYN that finds it full gets RST+ACK and a line",
          "[tcp][discardall2][table]")
{
  // max_connections is 4096: fill it from 4096 ports, then one more.
  Sender s(41008, 1);
  for (int i = 0; i < 4096; ++i)
  {
    auto r = s.send(1, 0, "S", 0, static_cast<uint16_t>(10000 + i));
    REQUIRE(r.size() == 1);
  }
  auto full = s.send(1, 0, "S", 0, 20000);
  REQUIRE(full.size() == 1);
  CHECK(flags(full[0]) == "R.");
  CHECK(full[0].ack() == 2);
  CHECK(has(s.lines, "table full (4096 connections): reset 192.168.0.2.2000 > 192.168.0.1.20000"));
  // A SYN of a connection in the table still gets its SYN+ACK.
  auto again = s.send(1, 0, "S", 0, 10000);
  REQUIRE(again.size() == 1);
  CHECK(flags(again[0]) == "S.");
  for (int i = 0; i < 4096; ++i)
    s.send(2, kIss + 1, "R", 0, static_cast<uint16_t>(10000 + i));
  // Emptied: a new SYN gets its SYN+ACK again.
  auto after = s.send(1, 0, "S", 0, 20000);
  REQUIRE(after.size() == 1);
  CHECK(flags(after[0]) == "S.");
  s.send(2, kIss + 1, "R", 0, 20000);
}

TEST_CASE("discardall2 --drop 3x2 loses the first two transmissions of the third new segment, "
          "then takes the third", "[tcp][discardall2][drop]")
{
  loss.drops = { { 3, 2 } };
  Sender s(41009, 40000);
  s.handshake();
  check_ack(s.data(0), s.seg(1), s.lines);
  check_ack(s.data(1), s.seg(2), s.lines);
  CHECK(s.data(2).empty());
  CHECK(has(s.lines, "drop (--drop 3x2): transmission 1 of 2 of seq " + std::to_string(s.seg(2))));
  check_ack(s.data(3), s.seg(2), s.lines);  // a duplicate ACK: the hole is segment 2
  CHECK(s.data(2).empty());                 // the fast retransmission, lost too
  CHECK(has(s.lines, "transmission 2 of 2"));
  check_ack(s.data(2), s.seg(4), s.lines);  // the timer's retransmission gets through
  check_ack(s.data(4), s.seg(5), s.lines);  // and nothing else is dropped
  loss.drops.clear();
}

TEST_CASE("discardall2 --drop N counts new segments only: a retransmission before the Nth is not "
          "one of them", "[tcp][discardall2][drop]")
{
  loss.drops = { { 3, 1 } };
  Sender s(41010, 50000);
  s.handshake();
  check_ack(s.data(0), s.seg(1), s.lines);
  check_ack(s.data(0), s.seg(1), s.lines);  // sent again: still one new segment
  check_ack(s.data(1), s.seg(2), s.lines);  // the second new one
  CHECK(s.data(2).empty());                 // the third: lost
  CHECK(has(s.lines, "drop (--drop 3x1): transmission 1 of 1 of seq " + std::to_string(s.seg(2))));
  loss.drops.clear();
}

TEST_CASE("discardall2 --loss P --seed S: P percent of the segments lost, the same ones for the "
          "same seed", "[tcp][discardall2][loss]")
{
  SECTION("--loss 100 loses every data segment, --loss 0 none")
  {
    loss.loss_percent = 100;
    Sender s(41011, 60000);
    s.handshake();
    CHECK(s.data(0).empty());
    CHECK(has(s.lines, "drop (--loss 100): seq " + std::to_string(s.seg(0))));
    loss.loss_percent = 0;
    check_ack(s.data(0), s.seg(1), s.lines);
  }
  SECTION("--loss 20 --seed 7: about 20 of 100 segments, and the same ones again")
  {
    LossState st;
    char why[128];
    std::vector<bool> first, second;
    loss.loss_percent = 20;
    for (std::vector<bool>* run : { &first, &second })
    {
      loss_seed(7);
      loss_start(&st, 1);
      for (int i = 0; i < 100; ++i)
        run->push_back(loss_drop(loss, &st, 1 + i * kMss, kMss, why, sizeof why));
    }
    loss.loss_percent = 0;
    const long lost = std::count(first.begin(), first.end(), true);
    INFO(lost << " of 100 lost");
    CHECK(lost >= 8);
    CHECK(lost <= 35);
    CHECK(first == second);
  }
}

TEST_CASE("discardall2 --drop parses N and NxK and refuses anything else", "[options][discardall2]")
{
  DropRule r{};
  REQUIRE(drop_parse("3", &r));
  CHECK(r.n == 3);
  CHECK(r.k == 1);
  REQUIRE(drop_parse("5x4", &r));
  CHECK(r.n == 5);
  CHECK(r.k == 4);
  REQUIRE(drop_parse("1000000x10", &r));
  for (const char* bad : { "", "0", "x", "3x", "x2", "3x0", "3x11", "1000001", "3x4x5", " 3",
                           "-1", "3X4", "3x 4", "3k" })
  {
    INFO("--drop " << '"' << bad << '"');
    CHECK_FALSE(drop_parse(bad, &r));
  }
}
