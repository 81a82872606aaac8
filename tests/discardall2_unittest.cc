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
#include "tooling/delay.h"
#include "tooling/loss.h"
#include "tooling/zero_window.h"

#include <algorithm>
#include <string>
#include <vector>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <catch2/catch.hpp>

// discardall2.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);
extern LossOptions loss;
extern DelayOptions delay;
extern ZeroWindowOptions zero;

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
  void handshake(int window = 5000)
  {
    auto r = send(isn_, 0, "S");
    REQUIRE(r.size() == 1);
    REQUIRE(flags(r[0]) == "S.");
    CHECK(r[0].seq() == kIss);
    CHECK(r[0].ack() == isn_ + 1);
    CHECK(r[0].window() == window);
    CHECK(r[0].tcp.doff == 5);  // the article's SYN+ACK: no options
    CHECK(send(isn_ + 1, kIss + 1, ".").empty());
  }

  // Data segment number i (from 0) of kMss bytes, as the kernel numbers them.
  uint32_t isn() const { return isn_; }
  uint32_t seg(int i) const { return isn_ + 1 + static_cast<uint32_t>(i) * kMss; }
  std::vector<Reply> data(int i) { return send(seg(i), kIss + 1, ".", kMss); }

  // What was written since: the ACKs --delay held, once delay_release wrote them.
  std::vector<Reply> released()
  {
    delay_release(fds_[0]);
    return replies();
  }

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

// The one reply is a bare ACK of `ack`, window `window`, checksums right.
void check_ack(const std::vector<Reply>& r, uint32_t ack, const std::string& lines,
               int window = 5000)
{
  INFO("discardall2 printed:\n" << lines);
  {
    INFO("rule: every data segment gets one ACK at once, in order or past a hole: a segment past"
         " rcv_nxt is answered by a duplicate ACK of rcv_nxt (RFC 5681 4.2)");
    REQUIRE(r.size() == 1);
  }
  CHECK(flags(r[0]) == ".");
  CHECK(r[0].seq() == kIss + 1);
  {
    INFO("rule: ack = rcv_nxt, the next byte expected: the SYN's seq + 1 (a SYN counts as one byte),"
         " then the end (seq + length) of the data that arrives at it; past a hole rcv_nxt stays");
    CHECK(r[0].ack() == ack);
  }
  CHECK(r[0].window() == window);
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

TEST_CASE("discardall2 --delay 100 holds each ACK 100 ms, then writes them in the order they "
          "were made", "[tcp][discardall2][delay]")
{
  clock_fake(1000);
  Sender s(41012, 70000);
  s.handshake();
  delay.ms = 100;
  CHECK(s.data(0).empty());  // held, not written
  clock_fake(1050);
  CHECK(s.data(1).empty());
  CHECK(delay_held() == 2);
  CHECK(delay_next_ms() == 50);
  clock_fake(1099);
  CHECK(s.released().empty());  // 99 ms: not yet
  clock_fake(1100);
  check_ack(s.released(), s.seg(1), s.lines);  // the first, at 100 ms
  CHECK(delay_next_ms() == 50);
  clock_fake(1200);
  check_ack(s.released(), s.seg(2), s.lines);  // the second, 50 ms later
  CHECK(delay_held() == 0);
  CHECK(delay_next_ms() == -1);
  SECTION("two made at one time are written in the order they were made")
  {
    s.data(2);
    s.data(3);
    clock_fake(1300);
    auto r = s.released();
    REQUIRE(r.size() == 2);
    CHECK(r[0].ack() == s.seg(3));
    CHECK(r[1].ack() == s.seg(4));
  }
  delay.ms = 0;
  clock_fake(-1);
}

TEST_CASE("discardall2 --delay holds at most 1024 ACKs; one more is lost, and a line says so",
          "[discardall2][delay]")
{
  const int null_fd = open("/dev/null", O_WRONLY);
  REQUIRE(null_fd >= 0);
  clock_fake(5000);
  const unsigned char ack[40] = {};
  for (int i = 0; i < kDelayMaxHeld; ++i)
    REQUIRE(delay_write(null_fd, ack, sizeof ack, 10));
  StdoutCapture capture;
  CHECK_FALSE(delay_write(null_fd, ack, sizeof ack, 10));
  const std::string line = capture.text();
  CHECK(has(line, "delay: 1024 segments held already, the limit: this one is lost"));
  CHECK(delay_held() == kDelayMaxHeld);
  clock_fake(5010);
  CHECK(delay_release(null_fd) == kDelayMaxHeld);  // every wait ends
  CHECK(delay_held() == 0);
  clock_fake(-1);
  close(null_fd);
}

TEST_CASE("discardall2's main loop writes a held ACK once it is due, while it waits for a packet",
          "[discardall2][delay]")
{
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM, 0, fds) == 0);
  clock_fake(0);
  const unsigned char ack[40] = { 0x45 };
  REQUIRE(delay_write(fds[0], ack, sizeof ack, 10));
  clock_fake(10);
  REQUIRE(send(fds[1], "x", 1, 0) == 1);  // a packet to read: the wait ends
  CHECK(delay_wait_input(fds[0]));
  unsigned char buf[64];
  CHECK(recv(fds[1], buf, sizeof buf, MSG_DONTWAIT) == 40);  // the held ACK came out
  CHECK(delay_held() == 0);
  clock_fake(-1);
  close(fds[0]);
  close(fds[1]);
}

TEST_CASE("discardall2 --zero-window 1608,500: the window narrows to 0 at byte 1608, probes and "
          "data get ack = rcv_nxt win 0, and it opens again 500 ms later with a window update",
          "[tcp][discardall2][zero-window]")
{
  zero.bytes = 3 * kMss;
  zero.ms = 500;
  clock_fake(1000);
  Sender s(41013, 80000);
  s.handshake(3 * kMss);                              // the SYN+ACK: room for 1608 bytes
  check_ack(s.data(0), s.seg(1), s.lines, 2 * kMss);  // the edge stays: 1072 left
  check_ack(s.data(1), s.seg(2), s.lines, kMss);
  check_ack(s.data(2), s.seg(3), s.lines, 0);         // 1608 came: window 0
  CHECK(has(s.lines, "zero window: 1608 bytes received, the window is 0 for 500 ms"));
  CHECK(delay_held() == 1);                           // its window update, for later

  clock_fake(1200);
  // Linux's zero-window probe: no data, seq = snd_una - 1 (tcp_xmit_probe_skb).
  check_ack(s.send(s.seg(3) - 1, kIss + 1, "."), s.seg(3), s.lines, 0);
  CHECK(has(s.lines, "zero window probe, rcv_nxt = " + std::to_string(s.seg(3)) + ", seq = " +
                         std::to_string(s.seg(3) - 1) + ", answered with win 0"));
  check_ack(s.data(3), s.seg(3), s.lines, 0);         // data past the window: not taken
  CHECK(has(s.lines, "zero window, rcv_nxt = " + std::to_string(s.seg(3)) + ", seq = " +
                         std::to_string(s.seg(3)) + ":" + std::to_string(s.seg(4)) + " not taken"));

  clock_fake(1499);
  CHECK(s.released().empty());
  clock_fake(1500);
  check_ack(s.released(), s.seg(3), s.lines, 5000);   // the window update: open again
  check_ack(s.data(3), s.seg(4), s.lines, 5000);      // and data is taken
  check_ack(s.data(4), s.seg(5), s.lines, 5000);      // the window stays open
  zero.bytes = 0;
  clock_fake(-1);
}

TEST_CASE("discardall2 --zero-window: a segment past the window's edge is not taken, and the "
          "edge never moves back", "[tcp][discardall2][zero-window]")
{
  zero.bytes = 1000;
  zero.ms = 500;
  clock_fake(1000);
  Sender s(41014, 90000);
  s.handshake(1000);
  check_ack(s.data(0), s.seg(1), s.lines, 1000 - kMss);
  check_ack(s.data(1), s.seg(1), s.lines, 1000 - kMss);  // ends at 1072, past 1000
  CHECK(has(s.lines, "past the window, rcv_nxt = " + std::to_string(s.seg(1))));
  check_ack(s.send(s.seg(1), kIss + 1, ".", 1000 - kMss), s.isn() + 1 + 1000, s.lines, 0);
  clock_fake(1500);
  check_ack(s.released(), s.isn() + 1 + 1000, s.lines, 5000);  // its window update
  zero.bytes = 0;
  clock_fake(-1);
}

TEST_CASE("discardall2 --zero-window: a FIN right after the edge's last byte is taken, and "
          "answered with FIN+ACK", "[tcp][discardall2][zero-window]")
{
  zero.bytes = 2 * kMss;
  zero.ms = 500;
  clock_fake(1000);
  Sender s(41015, 95000);
  s.handshake(2 * kMss);
  check_ack(s.data(0), s.seg(1), s.lines, kMss);
  auto r = s.send(s.seg(1), kIss + 1, "F.", kMss);  // the last bytes up to the edge, and the FIN
  INFO("discardall2 printed:\n" << s.lines);
  REQUIRE(r.size() == 1);
  CHECK(flags(r[0]) == "F.");
  CHECK(r[0].ack() == s.seg(2) + 1);
  CHECK_FALSE(has(s.lines, "past the window"));
  zero.bytes = 0;
  clock_fake(-1);
}

TEST_CASE("discardall2 --zero-window parses BYTES,MS and refuses anything else",
          "[options][discardall2][zero-window]")
{
  long bytes = 0, ms = 0;
  REQUIRE(zero_window_parse("10360,3000", &bytes, &ms));
  CHECK(bytes == 10360);
  CHECK(ms == 3000);
  REQUIRE(zero_window_parse("1000000000,60000", &bytes, &ms));
  REQUIRE(zero_window_parse("1,1", &bytes, &ms));
  for (const char* bad : { "", "5", "5,", ",5", "0,5", "5,0", "5,60001", "1000000001,5", "5,6,7",
                           " 5,6", "5, 6", "-5,6", "5,-6", "5K,6" })
  {
    INFO("--zero-window " << '"' << bad << '"');
    CHECK_FALSE(zero_window_parse(bad, &bytes, &ms));
  }
}
