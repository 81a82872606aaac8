// tests/support/connect_cases.h - the cases of step 5's client, included by
// tests/connectmany_unittest.cc and tests/connectmany_window_unittest.cc
// after each has defined STEP (the program's name, a string) and linked the
// program's own connect_one, connect_many and tcp_input (its .cc compiled
// with main renamed; the declarations are below).  connectmany_window.cc is
// a near-copy of connectmany.cc; so are their tests.
//
// They run against the kernel's answers in tests/fixtures/connectmany.pcap
// (our SYN, the server's SYN+ACK, our ACK) and connectmany_refused.pcap (our
// SYN, the kernel's RST for a port where nothing listens).  A socketpair
// stands in for tun0: packets the "kernel" sends are datagrams written to its
// other end.
#include "faketcp.h"
#include "tests/support/fixture.h"
#include "tests/support/packet_diff.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>

#ifndef STEP
#error "define STEP, the program's name, before including this file"
#endif

// The program's own, beside its main().
bool connect_one(int fd, uint32_t daddr, uint16_t dport, uint32_t saddr, uint16_t sport,
                 int rto_ms);
int connect_many(int fd, const char* ipstr, int port, int count);
void tcp_input(int fd, const void* input, const void* payload, int tot_len);
extern int syn_rto_ms;   // -r MS: a SYN's first wait (200 ms)
extern int syn_retries;  // how many times a SYN is sent again (6, as the kernel)
extern long syns_resent;

// Sets syn_retries for one test case and puts it back after: six retries
// from 100 ms would wait 12.7 s for a server that never answers.
struct Retries
{
  explicit Retries(int n) : saved(syn_retries) { syn_retries = n; }
  ~Retries() { syn_retries = saved; }
  int saved;
};

// The handshake of connectmany.pcap: 192.168.0.2:1024 > 192.168.0.1:2007,
// our ISN 123456 (tests/checks/fixtures.sh checks the file).  Our SYN and
// ACK in it are connectmany's own earlier output: goldens.
struct Handshake
{
  Packet syn;         // ours
  Bytes syn_ack;      // the kernel's
  Bytes ack;          // ours
};

static Handshake handshake()
{
  const std::vector<Bytes> packets = read_fixture("connectmany.pcap");
  const Exchange first = find_exchange(packets, TH_SYN);
  const Exchange second = find_exchange(packets, TH_SYN | TH_ACK);
  return { first.input, first.reply, second.reply };
}

// How long connect_one's SYN first waits for an answer here: an eighth of
// connectmany's 200 ms (syn_rto_ms), so that the cases where nothing answers
// are quick.
static const int kWaitMs = 25;

// connect_one with the addresses and ports of the captured SYN.
static bool connect_like(Wire& wire, const Packet& syn, int timeout_ms = kWaitMs)
{
  return connect_one(wire.fd, syn.ip()->daddr, syn.tcp()->dest, syn.ip()->saddr, syn.tcp()->source,
                     timeout_ms);
}

// A copy of the captured SYN+ACK addressed to another of our source ports,
// checksums fixed: the answer to some other connection.
static Bytes for_another_port(const Bytes& syn_ack)
{
  Packet p(syn_ack);
  unsigned char* tcp = p.data() + p.iphdr_len();
  const uint16_t other = htons(ntohs(p.tcp()->dest) + 1);
  memcpy(tcp + 2, &other, 2);
  tcp[16] = tcp[17] = 0;
  const uint16_t check = tcp_checksum(p.ip(), p.payload(), p.tot_len() - p.iphdr_len());
  memcpy(tcp + 16, &check, 2);
  return p.bytes();
}

TEST_CASE(STEP "'s connect_one sends the captured SYN and answers the captured SYN+ACK with the captured ACK",
          "[step5][tcp][golden]")
{
  // [golden]: the expected SYN and ACK are connectmany's own, as capture.sh
  // recorded them (holdserver accepted the connection); the SYN+ACK fed in is the kernel's.
  const Handshake h = handshake();
  Wire wire;
  Bytes syn_sent;

  SECTION("the SYN+ACK already waiting")
  {
    wire.deliver(h.syn_ack);
    REQUIRE(connect_like(wire, h.syn));
    syn_sent = wire.written();
  }
  SECTION("the SYN+ACK sent by a server thread once it has read the SYN")
  {
    // The thread plays the kernel: it waits (at most 2 s) for the SYN, then answers.
    struct timeval limit = { 2, 0 };
    setsockopt(wire.peer, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    std::thread server([&] {
      Bytes buf(IP_MAXPACKET);
      const ssize_t n = recv(wire.peer, buf.data(), buf.size(), 0);
      buf.resize(n < 0 ? 0 : n);
      syn_sent = buf;
      if (n > 0)
        send(wire.peer, h.syn_ack.data(), h.syn_ack.size(), 0);
    });
    const bool established = connect_like(wire, h.syn, 2000);  // it returns on the answer
    server.join();
    REQUIRE(established);
  }
  CHECK(packet_diff(h.syn.bytes(), syn_sent) == "");
  CHECK(ip_checksum_ok(syn_sent));
  CHECK(tcp_checksum_ok(syn_sent));
  const Bytes ack = wire.written();
  CHECK(packet_diff(h.ack, ack) == "");
  CHECK(ip_checksum_ok(ack));
  CHECK(tcp_checksum_ok(ack));
  CHECK(wire.written().empty());
}

TEST_CASE(STEP "'s connect_one returns false on the kernel's RST, and reads no further", "[step5][tcp][golden]")
{
  // [golden]: the expected SYN is connectmany's own, captured earlier.
  const Exchange refused = find_exchange(read_fixture("connectmany_refused.pcap"), TH_SYN);
  const Packet rst(refused.reply);  // the packet after our SYN: the kernel's RST+ACK
  REQUIRE(rst.tcp()->rst == 1);
  REQUIRE(ntohl(rst.tcp()->ack_seq) == 123456 + 1);

  Wire wire;
  wire.deliver(rst.bytes());
  // A SYN+ACK queued behind the RST must still be there afterwards: had
  // connect_one ignored the RST, it would have taken this one as success.
  const Bytes late = find_exchange(read_fixture("connectmany.pcap"), TH_SYN | TH_ACK).input.bytes();
  wire.deliver(late);
  CHECK_FALSE(connect_like(wire, refused.input));

  CHECK(packet_diff(refused.input.bytes(), wire.written()) == "");  // the captured SYN
  CHECK(wire.written().empty());                 // no answer to an RST
  Bytes left(IP_MAXPACKET);
  const ssize_t n = recv(wire.fd, left.data(), left.size(), MSG_DONTWAIT);
  CHECK(n == static_cast<ssize_t>(late.size()));
}

TEST_CASE(STEP "'s connect_one does not mistake another packet for its SYN+ACK", "[step5][tcp][golden]")
{
  // [golden]: the expected SYN and ACK are connectmany's own, captured earlier.
  const Handshake h = handshake();
  // Each kind of packet in turn (GENERATE), each then run in both SECTIONs.
  Bytes unrelated;
  bool answered = true;  // connectmany serves it as its main loop would
  const int kind = GENERATE(range(0, 5));
  switch (kind)
  {
    case 0:
      // the SYN+ACK of another connection (another source port)
      unrelated = for_another_port(h.syn_ack);
      break;
    case 1:
    {
      // a SYN+ACK that does not acknowledge our SYN (ack_seq not 123457)
      Packet p(h.syn_ack);
      unsigned char* tcp = p.data() + p.iphdr_len();
      tcp[11] ^= 0x01;
      tcp[16] = tcp[17] = 0;
      const uint16_t check = tcp_checksum(p.ip(), p.payload(), p.tot_len() - p.iphdr_len());
      memcpy(tcp + 16, &check, 2);
      unrelated = p.bytes();
      break;
    }
    case 2:  // an echo request from ping
      unrelated = read_fixture("icmpecho.pcap").at(0);
      break;
    case 3:  // an RST for another connection
      unrelated = for_another_port(find_exchange(read_fixture("connectmany_refused.pcap"), TH_SYN).reply);
      answered = false;
      break;
    default:  // an IPv6 packet, as a fresh tun0 gets
      unrelated = Bytes(48, 0);
      unrelated[0] = 0x60;
      answered = false;
  }
  REQUIRE_FALSE(unrelated.empty());
  CAPTURE(kind);  // 0 another port, 1 wrong ack_seq, 2 ping, 3 RST elsewhere, 4 IPv6

  SECTION("followed by the real SYN+ACK: the handshake completes")
  {
    Wire wire;
    wire.deliver(unrelated);
    wire.deliver(h.syn_ack);
    REQUIRE(connect_like(wire, h.syn));
    CHECK(packet_diff(h.syn.bytes(), wire.written()) == "");
    if (answered)
      CHECK_FALSE(wire.written().empty());  // the answer to the unrelated packet
    CHECK(packet_diff(h.ack, wire.written()) == "");
    CHECK(wire.written().empty());
  }
  SECTION("alone: connect_one waits its time out and returns false")
  {
    Retries once(1);
    Wire wire;
    wire.deliver(unrelated);
    CHECK_FALSE(connect_like(wire, h.syn));
    CHECK(packet_diff(h.syn.bytes(), wire.written()) == "");
  }
}

TEST_CASE(STEP "'s connect_one sends its SYN again after rto_ms, then twice that, and gives up after "
          "its last retry", "[step5][tcp][golden]")
{
  // [golden]: the expected SYN is connectmany's own, captured earlier.
  const Handshake h = handshake();
  Retries twice(2);
  Wire wire;
  const long resent = syns_resent;
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(connect_like(wire, h.syn));
  const auto waited = std::chrono::steady_clock::now() - start;
  // The contract: it waits kWaitMs, twice and four times that, never forever.
  CHECK(waited >= std::chrono::milliseconds(kWaitMs + 2 * kWaitMs + 4 * kWaitMs));
  CHECK(waited < std::chrono::seconds(10));
  // The same SYN three times, byte for byte: a retransmission is the segment
  // again (RFC 793 section 3.7), the same ISN, 123456.
  for (int i = 0; i < 3; ++i)
  {
    CAPTURE(i);
    CHECK(packet_diff(h.syn.bytes(), wire.written()) == "");
  }
  CHECK(wire.written().empty());
  CHECK(syns_resent - resent == 2);
}

TEST_CASE(STEP "'s connect_one completes the handshake when the server answers its SYN sent again",
          "[step5][tcp][golden]")
{
  // A server whose accept queue was full dropped our first SYN: it answers
  // the second.  The server here is a thread that waits for two SYNs.
  const Handshake h = handshake();
  Wire wire;
  const long resent = syns_resent;
  std::thread server([&] {
    Bytes syn(IP_MAXPACKET);
    for (int i = 0; i < 2; ++i)
      recv(wire.peer, syn.data(), syn.size(), 0);  // blocks until connect_one writes it
    wire.deliver(h.syn_ack);
  });
  const bool established = connect_like(wire, h.syn);
  server.join();
  CHECK(established);
  CHECK(syns_resent - resent == 1);
  CHECK(packet_diff(h.ack, wire.written()) == "");  // the captured ACK: both SYNs were read
  CHECK(wire.written().empty());
}

TEST_CASE(STEP "'s tcp_input acks a SYN+ACK the server sends again with the captured ACK",
          "[step5][tcp][golden]")
{
  // [golden]: the expected ACK is connectmany's own, captured earlier.
  const Handshake h = handshake();
  const Packet syn_ack(h.syn_ack);
  REQUIRE(ip_check(syn_ack.data(), syn_ack.size(), nullptr));
  Wire wire;
  tcp_input(wire.fd, syn_ack.data(), syn_ack.payload(), syn_ack.tot_len());
  CHECK(packet_diff(h.ack, wire.written()) == "");
  CHECK(wire.written().empty());
}

TEST_CASE(STEP "'s tcp_input serves as discardall does: the captured replies, byte for byte",
          "[step5][tcp][golden]")
{
  // [golden]: the expected replies are discardall's own, captured earlier.
  const std::vector<Bytes> packets = read_fixture("discardall.pcap");
  Exchange x;
  SECTION("SYN -> SYN+ACK") { x = find_exchange(packets, TH_SYN); }
  SECTION("data -> ACK") { x = find_exchange(packets, TH_PUSH | TH_ACK); }
  SECTION("FIN -> FIN+ACK") { x = find_exchange(packets, TH_FIN | TH_ACK); }
  REQUIRE(ip_check(x.input.data(), x.input.size(), nullptr));
  Wire wire;
  tcp_input(wire.fd, x.input.data(), x.input.payload(), x.input.tot_len());
  CHECK(packet_diff(x.reply, wire.written()) == "");
  CHECK(wire.written().empty());
}

// connect_many's SYNs, from 1024 + i and one at a time, and its answers to
// the two SYN+ACKs: what connect_window (-w N) must send too, in any order.
static void check_two_handshakes(Wire& wire, const Handshake& h)
{
  int syns[2] = { 0, 0 }, acks[2] = { 0, 0 };
  for (Bytes out = wire.written(); !out.empty(); out = wire.written())
  {
    const Packet p(out);
    REQUIRE(ip_check(p.data(), p.size(), nullptr));
    const int port = ntohs(p.tcp()->source);
    CAPTURE(port);
    REQUIRE((port == 1024 || port == 1025));
    if (p.tcp()->syn && !p.tcp()->ack)  // one of our SYNs
    {
      if (port == 1024)
        CHECK(packet_diff(h.syn.bytes(), out) == "");
      ++syns[port - 1024];
    }
    else  // tcp_input's answer to the server's SYN+ACK: the ACK of the handshake
    {
      INFO("the answer to the server's SYN+ACK from port " << port
           << " (not one of our SYNs: it has the ACK flag) is the ACK that completes the handshake");
      if (port == 1024)
        CHECK(packet_diff(h.ack, out) == "");
      else
      {
        CHECK(p.tcp()->syn == 0);
        CHECK(p.tcp()->ack == 1);
        CHECK(ntohl(p.tcp()->ack_seq) == ntohl(Packet(h.syn_ack).tcp()->seq) + 1);
      }
      ++acks[port - 1024];
    }
  }
  CHECK(syns[0] == 1);
  CHECK(syns[1] == 1);
  CHECK(acks[0] == 1);
  CHECK(acks[1] == 1);
}

// Both answers already waiting, in the order the SYNs leave; connectmany is
// stateless, so its SYNs are known in advance.  A program that sent both
// from one port, or matched an answer to the wrong connection, would count
// one of them as unanswered (after a second).
static void deliver_two_answers(Wire& wire, const Handshake& h)
{
  REQUIRE(ntohs(h.syn.tcp()->source) == 1024);
  wire.deliver(h.syn_ack);
  wire.deliver(for_another_port(h.syn_ack));
}

TEST_CASE(STEP "'s connect_many opens connection i from source port 1024 + i, one at a time"
          " as the article, and matches each SYN+ACK to its connection", "[step5][tcp][golden]")
{
  // [golden]: the expected SYN is connectmany's own, captured earlier; the
  // second connection's SYN and the kernel's SYN+ACK are the same but for
  // our source port, 1025.
  const Handshake h = handshake();
  Wire wire;
  deliver_two_answers(wire, h);
  CHECK(connect_many(wire.fd, "192.168.0.1", 2007, 2) == 2);
  check_two_handshakes(wire, h);
}

// Sets syn_rto_ms to kWaitMs for one test case and puts it back after.
struct QuickRto
{
  QuickRto() : saved(syn_rto_ms) { syn_rto_ms = kWaitMs; }
  ~QuickRto() { syn_rto_ms = saved; }
  int saved;
};

// Every packet written: SYNs alone, from ports below 1024 + syns / 2
// (each sent twice: once, then its one retry).  Returns how many.
static int count_syns(Wire& wire, int expected_syns)
{
  int syns = 0;
  for (Bytes out = wire.written(); !out.empty(); out = wire.written())
  {
    const Packet p(out);
    REQUIRE(ip_check(p.data(), p.size(), nullptr));
    CAPTURE(ntohs(p.tcp()->source));
    CHECK(p.tcp()->syn);
    CHECK(ntohs(p.tcp()->source) < 1024 + expected_syns / 2);  // no later connection tried
    ++syns;
  }
  return syns;
}

TEST_CASE(STEP "'s connect_many stops at the first handshake still silent after its last"
          " retry, and sends no more SYNs", "[step5][tcp]")
{
  // Nothing answers (an address with no server, or a student's SYN the
  // kernel drops): one handshake that waited through every retry is enough
  // to know, as a kernel's connect() fails after its last retry.
  Retries once(1);
  QuickRto quick;
  Wire wire;
  CHECK(connect_many(wire.fd, "192.168.0.1", 2007, 5) == 0);
  CHECK(count_syns(wire, 2) == 2);  // the SYN of port 1024 and its one retry
}
