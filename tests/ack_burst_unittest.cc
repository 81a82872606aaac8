// ack_burst_unittest.cc - tun_write_later (tooling/ack_burst.h), what
// discardall_fast --ack-burst writes its segments with: a bare ACK waits, a
// later one of the same connection takes its place, and what waits is
// written by the next tun_write_later of anything else, by tun_read_burst
// when nothing is queued, or by tun_flush.  The "tun"
// fd is one end of a socketpair (tests/support/fixture.h's Wire); each
// packet written there is one datagram at the other end.
#include <catch2/catch.hpp>

#include "tests/support/fixture.h"
#include "tooling/ack_burst.h"
#include "tooling/tunio.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace
{

// A packet from 192.168.0.2 port `source` to 192.168.0.1 port 40000, as
// discardall writes them: 20 bytes of IP, 20 of TCP with `flags` and
// `ack_seq`, `payload` bytes of data, checksums filled in.
Bytes tcp_packet(uint16_t source, uint32_t ack_seq, uint8_t flags = TH_ACK, int payload = 0)
{
  Bytes p(40 + payload, 0);
  p[0] = 0x45;                                       // version 4, ihl 5
  put16(&p[2], static_cast<uint16_t>(p.size()));     // tot_len
  p[8] = 64;                                         // ttl
  p[9] = IPPROTO_TCP;
  put32(&p[12], 0xc0a80002);                         // 192.168.0.2
  put32(&p[16], 0xc0a80001);                         // 192.168.0.1
  put16(&p[20], source);
  put16(&p[22], 40000);
  put32(&p[24], 123457);                             // seq
  put32(&p[28], ack_seq);
  p[32] = 5 << 4;                                    // doff 5
  p[33] = flags;
  put16(&p[34], 5000);                               // win
  ip_fix_checksum(p);
  tcp_fix_checksum(p);
  return p;
}

Bytes bare_ack(uint16_t source, uint32_t ack_seq) { return tcp_packet(source, ack_seq); }

// What a written packet says: "port P ack A" (or "nothing"), for messages
// that name the packet, not a byte offset.
std::string said(const Bytes& p)
{
  if (p.empty())
    return "nothing";
  if (p.size() < 40)
    return std::to_string(p.size()) + " bytes";
  return "port " + std::to_string(get16(&p[20])) + " ack " + std::to_string(get32(&p[28]));
}

// Every packet written so far, in order.
std::vector<std::string> all_written(Wire& wire)
{
  std::vector<std::string> out;
  for (Bytes p = wire.written(); !p.empty(); p = wire.written())
    out.push_back(said(p));
  return out;
}

bool later(Wire& wire, const Bytes& p)
{
  return tun_write_later(wire.fd, p.data(), static_cast<int>(p.size()));
}

// Writes what a test left waiting before its Wire closes, whatever happens:
// declared after the Wire, so destroyed before it.
struct FlushAtEnd
{
  ~FlushAtEnd() { tun_flush(); }
};

}  // namespace

TEST_CASE("tun_write_later keeps a bare ACK: nothing is written until a flush, then it, "
          "byte for byte", "[tunio][ackburst]")
{
  Wire wire;
  FlushAtEnd flush_at_end;
  const Bytes ack = bare_ack(9, 1001);
  CHECK(later(wire, ack));
  CHECK(said(wire.written()) == "nothing");
  CHECK(tun_flush());
  CHECK(wire.written() == ack);
  CHECK(said(wire.written()) == "nothing");
  CHECK(tun_flush());  // nothing left: writes nothing
  CHECK(said(wire.written()) == "nothing");
}

TEST_CASE("tun_write_later: a later ACK of the same connection replaces the kept one, an "
          "older or equal one does not", "[tunio][ackburst]")
{
  Wire wire;
  FlushAtEnd flush_at_end;
  SECTION("later replaces")
  {
    CHECK(later(wire, bare_ack(9, 1001)));
    CHECK(later(wire, bare_ack(9, 2461)));
    CHECK(later(wire, bare_ack(9, 3921)));
    tun_flush();
    CHECK(all_written(wire) == std::vector<std::string>{ "port 9 ack 3921" });
  }
  SECTION("older or equal does not")
  {
    CHECK(later(wire, bare_ack(9, 3921)));
    CHECK(later(wire, bare_ack(9, 2461)));
    Bytes same = bare_ack(9, 3921);
    put16(&same[34], 4000);  // the same ack with another window: not kept
    tcp_fix_checksum(same);
    CHECK(later(wire, same));
    tun_flush();
    const Bytes got = wire.written();
    CHECK(said(got) == "port 9 ack 3921");
    CHECK(got == bare_ack(9, 3921));
    CHECK(said(wire.written()) == "nothing");
  }
}

TEST_CASE("tun_write_later: sequence numbers wrap at 2^32, so 16 is after 4294967280",
          "[tunio][ackburst]")
{
  Wire wire;
  FlushAtEnd flush_at_end;
  SECTION("across the wrap, forward: replaced")
  {
    later(wire, bare_ack(9, 4294967280u));
    later(wire, bare_ack(9, 16));
    tun_flush();
    CHECK(all_written(wire) == std::vector<std::string>{ "port 9 ack 16" });
  }
  SECTION("across the wrap, backward: kept")
  {
    later(wire, bare_ack(9, 16));
    later(wire, bare_ack(9, 4294967280u));
    tun_flush();
    CHECK(all_written(wire) == std::vector<std::string>{ "port 9 ack 16" });
  }
  SECTION("half the space ahead is behind: 2^31 + 1 after 0 is older")
  {
    later(wire, bare_ack(9, 0));
    later(wire, bare_ack(9, 2147483649u));
    tun_flush();
    CHECK(all_written(wire) == std::vector<std::string>{ "port 9 ack 0" });
  }
}

TEST_CASE("tun_write_later keeps one ACK per connection, written in the order each was "
          "first kept", "[tunio][ackburst]")
{
  Wire wire;
  FlushAtEnd flush_at_end;
  later(wire, bare_ack(1001, 100));
  later(wire, bare_ack(1002, 200));
  later(wire, bare_ack(1001, 300));  // replaces the first, keeps its place
  Bytes other_host = bare_ack(1002, 400);
  put32(&other_host[12], 0xc0a80003);  // 192.168.0.3, same ports: another connection
  ip_fix_checksum(other_host);
  tcp_fix_checksum(other_host);
  later(wire, other_host);
  Bytes other_client = bare_ack(1001, 500);
  put16(&other_client[22], 40001);  // the client's port differs, as two nc's to port 9
  tcp_fix_checksum(other_client);
  later(wire, other_client);
  CHECK(said(wire.written()) == "nothing");
  tun_flush();
  CHECK(all_written(wire) == std::vector<std::string>{ "port 1001 ack 300", "port 1002 ack 200",
                                                       "port 1002 ack 400", "port 1001 ack 500" });
}

TEST_CASE("tun_write_later writes the kept ACKs before anything else, so packets leave in the "
          "order they were made", "[tunio][ackburst]")
{
  Wire wire;
  FlushAtEnd flush_at_end;
  later(wire, bare_ack(9, 5001));
  const Bytes fin = tcp_packet(9, 5002, TH_FIN | TH_ACK);
  CHECK(tun_write_later(wire.fd, fin.data(), static_cast<int>(fin.size())));
  CHECK(said(wire.written()) == "port 9 ack 5001");
  CHECK(wire.written() == fin);
  CHECK(said(wire.written()) == "nothing");
}

TEST_CASE("tun_read_burst writes the kept ACKs when nothing waits to be read, not before",
          "[tunio][ackburst]")
{
  Wire wire;
  FlushAtEnd flush_at_end;
  // Non-blocking, so that a read with nothing queued returns instead of
  // waiting forever; tun0's fd blocks there, after the ACKs went.
  REQUIRE(fcntl(wire.fd, F_SETFL, fcntl(wire.fd, F_GETFL) | O_NONBLOCK) == 0);
  later(wire, bare_ack(9, 1461));
  const Bytes segment = tcp_packet(40000, 0, TH_ACK | TH_PUSH, 100);
  wire.deliver(segment);
  unsigned char buf[2048];
  // A segment waits: it is read, the ACK still kept.
  CHECK(tun_read_burst(wire.fd, buf, sizeof buf, 0) == static_cast<int>(segment.size()));
  CHECK(said(wire.written()) == "nothing");
  // Then the queue is empty: the ACK goes before the read.
  CHECK(tun_read_burst(wire.fd, buf, sizeof buf, 0) < 0);  // EAGAIN: nothing queued
  CHECK(all_written(wire) == std::vector<std::string>{ "port 9 ack 1461" });
}

TEST_CASE("tun_read_burst waits up to wait_ms for the next segment once the burst is over",
          "[tunio][ackburst]")
{
  Wire wire;
  FlushAtEnd flush_at_end;
  REQUIRE(fcntl(wire.fd, F_SETFL, fcntl(wire.fd, F_GETFL) | O_NONBLOCK) == 0);
  const Bytes segment = tcp_packet(40001, 0, TH_ACK | TH_PUSH, 100);
  // The segment comes 50 ms after the queue ran dry: the read waits for it
  // in poll(), as the main loop does, rather than return EAGAIN.
  std::thread late([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    wire.deliver(segment);
  });
  unsigned char buf[2048];
  const int n = tun_read_burst(wire.fd, buf, sizeof buf, 2000);
  late.join();
  CHECK(n == static_cast<int>(segment.size()));
}

TEST_CASE("tun_buffer_console: the console lines wait like the ACKs, and go when nothing "
          "waits to be read", "[tunio][ackburst]")
{
  Wire wire;
  REQUIRE(fcntl(wire.fd, F_SETFL, fcntl(wire.fd, F_GETFL) | O_NONBLOCK) == 0);
  // stdout into a pipe of ours for the test, then back.
  int console[2];
  REQUIRE(pipe2(console, O_NONBLOCK) == 0);
  fflush(stdout);
  const int saved = dup(STDOUT_FILENO);
  dup2(console[1], STDOUT_FILENO);
  tun_buffer_console();
  auto shown = [&] {
    char text[256];
    const ssize_t n = read(console[0], text, sizeof text);
    return n > 0 ? std::string(text, n) : std::string();
  };
  printf("IP 192.168.0.1.40000 > 192.168.0.2.9: Flags [S], seq 1, win 64240, length 0\n");
  const Bytes segment = tcp_packet(40000, 0, TH_ACK | TH_PUSH, 100);
  wire.deliver(segment);
  unsigned char buf[2048];
  const int first = tun_read_burst(wire.fd, buf, sizeof buf, 0);  // a segment waited: the line too
  const std::string before = shown();
  const int second = tun_read_burst(wire.fd, buf, sizeof buf, 0);  // nothing waits: the line goes
  const std::string after = shown();
  fflush(stdout);
  setvbuf(stdout, nullptr, _IOLBF, 0);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  close(console[0]);
  close(console[1]);
  CHECK(first == static_cast<int>(segment.size()));
  CHECK(before == "");
  CHECK(second < 0);  // EAGAIN
  CHECK(after == "IP 192.168.0.1.40000 > 192.168.0.2.9: Flags [S], seq 1, win 64240, length 0\n");
}

TEST_CASE("tun_write_later keeps at most 16 connections: the 17th writes the 16 first",
          "[tunio][ackburst]")
{
  Wire wire;
  FlushAtEnd flush_at_end;
  std::vector<std::string> sixteen;
  for (uint16_t port = 1; port <= 16; ++port)
  {
    later(wire, bare_ack(port, port * 1000u));
    sixteen.push_back("port " + std::to_string(port) + " ack " + std::to_string(port * 1000));
  }
  CHECK(said(wire.written()) == "nothing");
  later(wire, bare_ack(17, 17000));
  CHECK(all_written(wire) == sixteen);
  tun_flush();
  CHECK(all_written(wire) == std::vector<std::string>{ "port 17 ack 17000" });
}

TEST_CASE("tun_write_later writes at once what is not a bare ACK of at most 64 bytes",
          "[tunio][ackburst]")
{
  Wire wire;
  FlushAtEnd flush_at_end;
  Bytes p;
  SECTION("SYN+ACK") { p = tcp_packet(9, 1, TH_SYN | TH_ACK); }
  SECTION("FIN+ACK") { p = tcp_packet(9, 1, TH_FIN | TH_ACK); }
  SECTION("RST+ACK") { p = tcp_packet(9, 1, TH_RST | TH_ACK); }
  SECTION("no ACK flag") { p = tcp_packet(9, 1, 0); }
  SECTION("an ACK with data") { p = tcp_packet(9, 1, TH_ACK | TH_PUSH, 1); }
  SECTION("an ACK of 68 bytes, TCP options filling a header of 48")
  {
    p = tcp_packet(9, 1, TH_ACK, 28);
    p[32] = 12 << 4;  // doff 12: no payload, 28 bytes of options (NOP = 1)
    std::fill(p.begin() + 40, p.end(), 1);
    tcp_fix_checksum(p);
  }
  SECTION("not TCP (UDP)")
  {
    p = bare_ack(9, 1);
    p[9] = IPPROTO_UDP;
    ip_fix_checksum(p);
  }
  SECTION("tot_len says more than was given")
  {
    p = bare_ack(9, 1);
    put16(&p[2], 60);
    ip_fix_checksum(p);
  }
  SECTION("doff 4")
  {
    p = bare_ack(9, 1);
    p[32] = 4 << 4;
  }
  SECTION("19 bytes")
  {
    p = bare_ack(9, 1);
    p.resize(19);
  }
  INFO("packet " << hex(p.data(), p.size()));
  later(wire, bare_ack(7, 7));  // kept, and written before p, in order
  CHECK(later(wire, p));
  CHECK(said(wire.written()) == "port 7 ack 7");
  CHECK(wire.written() == p);
  CHECK(said(wire.written()) == "nothing");
}
