// Unit tests of echoall_hardened's tcp_input, linked with echoall_hardened.cc
// itself: what echoall (step 6) does, with SYN cookies, the table's bounds
// and the speed options (--mss, --window, -K) on top.
//
// Each case plays a client: it builds IPv4+TCP segments byte by byte, hands
// them to tcp_input with one end of a socketpair(AF_UNIX, SOCK_DGRAM) as the
// "tun" fd, and reads every reply from the other end, one datagram a packet.
// Every reply is checked field by field: seq and ack, flags, window, the
// payload byte for byte, and both checksums.  Each case uses a port of its
// own, since echoall_hardened's connection table lives as long as the program.
#include "faketcp.h"
#include "tooling/echo_bounds.h"
#include "tooling/siphash.h"
#include "tooling/speed.h"

#include <string>
#include <vector>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <catch2/catch.hpp>

// echoall_hardened.cc, compiled for this test with its main renamed: its
// tcp_input, and the options main reads, for the cases below to set.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);
EchoBounds* echoall_bounds();
SpeedOptions* echoall_speed();

namespace
{

const uint32_t kClientIsn = 1000;

struct Reply
{
  struct iphdr ip;
  struct tcphdr tcp;
  std::vector<unsigned char> options;
  std::string data;
  bool ip_sum_ok = false;
  bool tcp_sum_ok = false;
  uint32_t seq() const { return ntohl(tcp.seq); }
  uint32_t ack() const { return ntohl(tcp.ack_seq); }
  int window() const { return ntohs(tcp.window); }
};

// A client at 192.168.0.1:port talking to 192.168.0.2:7 through tcp_input.
class Client
{
 public:
  explicit Client(uint16_t port) : port_(port)
  {
    REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM, 0, fds_) == 0);
  }
  ~Client()
  {
    close(fds_[0]);
    close(fds_[1]);
  }

  // Sends one segment with these fields and returns what echoall_hardened wrote back.
  std::vector<Reply> send(uint32_t seq, uint32_t ack, const char* flags,
                          const std::string& data = "", uint16_t window = 64240)
  {
    unsigned char packet[20 + 60 + 1500] = {};
    REQUIRE(data.size() <= 1500);
    const bool syn = strchr(flags, 'S') != nullptr;
    const std::vector<unsigned char> options = syn ? syn_options : std::vector<unsigned char>();
    REQUIRE(options.size() % 4 == 0);
    REQUIRE(options.size() <= 40);
    const int tcphdr_len = 20 + static_cast<int>(options.size());
    struct iphdr ip = {};
    ip.version = 4;
    ip.ihl = 5;
    ip.tot_len = htons(static_cast<uint16_t>(20 + tcphdr_len + data.size()));
    ip.id = htons(0x1234);
    ip.frag_off = htons(IP_DF);
    ip.ttl = 64;
    ip.protocol = IPPROTO_TCP;
    inet_pton(AF_INET, "192.168.0.1", &ip.saddr);
    inet_pton(AF_INET, "192.168.0.2", &ip.daddr);
    ip.check = in_checksum(&ip, sizeof ip);

    struct tcphdr tcp = {};
    tcp.source = htons(port_);
    tcp.dest = htons(7);
    tcp.seq = htonl(seq);
    tcp.ack_seq = htonl(ack);
    tcp.doff = tcphdr_len / 4;
    tcp.window = htons(window);
    for (const char* f = flags; *f; ++f)
    {
      switch (*f)
      {
        case 'S': tcp.syn = 1; break;
        case 'F': tcp.fin = 1; break;
        case 'R': tcp.rst = 1; break;
        case 'P': tcp.psh = 1; break;
        case '.': tcp.ack = 1; break;
        default: FAIL("unknown flag " << *f);
      }
    }
    memcpy(packet, &ip, sizeof ip);
    memcpy(packet + 20, &tcp, sizeof tcp);
    if (!options.empty())
      memcpy(packet + 40, options.data(), options.size());
    memcpy(packet + 20 + tcphdr_len, data.data(), data.size());
    const int seg_len = tcphdr_len + static_cast<int>(data.size());
    const uint16_t check = tcp_checksum(&ip, packet + 20, seg_len);
    memcpy(packet + 20 + 16, &check, 2);

    tcp_input(fds_[0], packet, packet + 20, 20 + seg_len);
    return replies();
  }

  // The SYN, SYN+ACK, ACK of a new connection, checked on the way.
  void handshake(uint16_t window = 64240)
  {
    auto r = send(kClientIsn, 0, "S", "", window);
    REQUIRE(r.size() == 1);
    REQUIRE(r[0].ack() == kClientIsn + 1);
    iss = r[0].seq();  // echoall_hardened's ISN: its SYN cookie
    CHECK(send(kClientIsn + 1, iss + 1, ".", "", window).empty());
  }

  // The same, returning what the last ACK brought back (RSTs to connections
  // echoall_hardened dropped to make room, see tcp_make_room).
  std::vector<Reply> handshake_replies()
  {
    auto r = send(kClientIsn, 0, "S");
    REQUIRE(r.size() == 1);
    REQUIRE(r[0].ack() == kClientIsn + 1);
    iss = r[0].seq();
    return send(kClientIsn + 1, iss + 1, ".");
  }

  // Every packet tcp_input wrote, parsed; the checksums are verified here.
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
      REQUIRE(r.ip.ihl == 5);
      REQUIRE(ntohs(r.ip.tot_len) == n);
      memcpy(&r.tcp, buf + 20, sizeof r.tcp);
      const int tcphdr_len = r.tcp.doff * 4;
      REQUIRE(tcphdr_len >= 20);
      REQUIRE(40 + tcphdr_len - 20 <= n);
      r.options.assign(buf + 40, buf + 20 + tcphdr_len);
      r.data.assign(reinterpret_cast<char*>(buf) + 20 + tcphdr_len, n - 20 - tcphdr_len);
      r.ip_sum_ok = in_checksum(buf, 20) == 0;
      r.tcp_sum_ok = tcp_checksum(&r.ip, buf + 20, static_cast<int>(n) - 20) == 0;
      out.push_back(r);
    }
    return out;
  }

  uint16_t port_;
  int fds_[2];
  uint32_t iss = 0;  // echoall_hardened's initial sequence number, set by handshake()
  // The TCP options of every SYN it sends (none by default), a multiple of 4.
  std::vector<unsigned char> syn_options;
};

// Flags as tcpdump prints them, for readable failures: "FP.", "S.", "R".
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

// What every reply of a connection shares: addresses and ports swapped,
// both checksums right.
void check_common(const Reply& r, uint16_t port)
{
  char source[INET_ADDRSTRLEN], dest[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &r.ip.saddr, source, sizeof source);
  inet_ntop(AF_INET, &r.ip.daddr, dest, sizeof dest);
  CHECK(std::string(source) == "192.168.0.2");
  CHECK(std::string(dest) == "192.168.0.1");
  CHECK(r.ip.protocol == IPPROTO_TCP);
  CHECK(ntohs(r.tcp.source) == 7);
  CHECK(ntohs(r.tcp.dest) == port);
  CHECK(r.ip_sum_ok);
  CHECK(r.tcp_sum_ok);
}


}  // namespace

TEST_CASE("echoall_hardened answers a SYN with SYN+ACK acking seq+1 and announcing MSS 1460",
          "[tcp][hardened]")
{
  Client c(40001);
  auto r = c.send(kClientIsn, 0, "S", "", 29200);
  REQUIRE(r.size() == 1);
  check_common(r[0], 40001);
  CHECK(flags(r[0]) == "S.");
  // Its ISN is a SYN cookie for these four numbers and this client ISN
  // (the [cookie] cases below check the cookie itself).
  CHECK(r[0].ack() == kClientIsn + 1);
  CHECK(r[0].window() == 29200);  // its own window, mirrored
  const std::vector<unsigned char> mss = { 2, 4, 0x05, 0xb4 };  // kind 2, length 4, 1460
  CHECK(r[0].options == mss);
  CHECK(r[0].data.empty());
}

TEST_CASE("echoall_hardened echoes in-order data at seq + (iss - irs), odd lengths included",
          "[tcp][hardened]")
{
  Client c(40002);
  c.handshake();
  uint32_t seq = kClientIsn + 1;
  const std::string segments[] = { "hello\n", "odd", std::string(1460, 'x'), std::string(1, '\0') };
  for (const std::string& data : segments)
  {
    auto r = c.send(seq, c.iss + 1, "P.", data);
    REQUIRE(r.size() == 1);
    check_common(r[0], 40002);
    CHECK(flags(r[0]) == "P.");
    CHECK(r[0].seq() == seq + (c.iss - kClientIsn));  // the offset iss - irs
    // Nothing acknowledged yet: the client has not acknowledged any echo.
    CHECK(r[0].ack() == kClientIsn + 1);
    CHECK(r[0].data == data);
    CHECK(r[0].options.empty());
    seq += static_cast<uint32_t>(data.size());
  }
}

TEST_CASE("echoall_hardened acknowledges a byte once the client acknowledges its echo",
          "[tcp][hardened]")
{
  Client c(40003);
  c.handshake();
  auto echo = c.send(kClientIsn + 1, c.iss + 1, "P.", "hello");
  REQUIRE(echo.size() == 1);
  CHECK(echo[0].ack() == kClientIsn + 1);

  // The client's ACK of the echo comes back mirrored: hello is acknowledged.
  auto r = c.send(kClientIsn + 6, c.iss + 6, ".", "", 64235);
  REQUIRE(r.size() == 1);
  check_common(r[0], 40003);
  CHECK(flags(r[0]) == ".");
  CHECK(r[0].seq() == c.iss + 6);
  CHECK(r[0].ack() == kClientIsn + 6);
  CHECK(r[0].window() == 64235);
  CHECK(r[0].data.empty());

  // The same ACK again moves nothing: no answer (a dup ACK would start a
  // fast retransmit at the client).
  CHECK(c.send(kClientIsn + 6, c.iss + 6, ".", "", 64235).empty());
}

TEST_CASE("echoall_hardened re-acks a duplicate whose echo was acknowledged, without echoing twice",
          "[tcp][hardened]")
{
  Client c(40004);
  c.handshake();
  REQUIRE(c.send(kClientIsn + 1, c.iss + 1, "P.", "abc").size() == 1);
  REQUIRE(c.send(kClientIsn + 4, c.iss + 4, ".").size() == 1);  // echo acknowledged

  auto r = c.send(kClientIsn + 1, c.iss + 4, "P.", "abc");  // the same segment again
  REQUIRE(r.size() == 1);
  check_common(r[0], 40004);
  CHECK(flags(r[0]) == ".");
  CHECK(r[0].seq() == c.iss + 4);
  CHECK(r[0].ack() == kClientIsn + 4);
  CHECK(r[0].data.empty());
}

TEST_CASE("echoall_hardened echoes a retransmission again when the echo was lost", "[tcp][hardened]")
{
  Client c(40005);
  c.handshake();
  auto first = c.send(kClientIsn + 1, c.iss + 1, "P.", "lost?");
  REQUIRE(first.size() == 1);
  // The echo never arrives, so the client acknowledges nothing and, after
  // its retransmission timeout, sends the same bytes again.
  auto again = c.send(kClientIsn + 1, c.iss + 1, "P.", "lost?");
  REQUIRE(again.size() == 1);
  check_common(again[0], 40005);
  CHECK(flags(again[0]) == "P.");
  CHECK(again[0].seq() == first[0].seq());
  CHECK(again[0].ack() == kClientIsn + 1);
  CHECK(again[0].data == "lost?");

  // A retransmission that reaches past what we had: only its unacknowledged
  // part is echoed, from where the client's ACK says its echo stops.
  REQUIRE(c.send(kClientIsn + 6, c.iss + 3, ".", "", 64240).size() == 1);  // "lo" came back
  auto longer = c.send(kClientIsn + 1, c.iss + 3, "P.", "lost?more");
  REQUIRE(longer.size() == 1);
  CHECK(longer[0].seq() == c.iss + 3);
  CHECK(longer[0].ack() == kClientIsn + 3);
  CHECK(longer[0].data == "st?more");
  // and the next new byte follows it
  auto next = c.send(kClientIsn + 10, c.iss + 3, "P.", "!");
  REQUIRE(next.size() == 1);
  CHECK(next[0].seq() == c.iss + 10);
  CHECK(next[0].data == "!");
}

// RFC 9293 3.10.7.4: segments beyond RCV.NXT "SHOULD be held for later
// processing"; as in echoall, each is echoed at its own place at once.
TEST_CASE("echoall_hardened echoes an out-of-order segment at once, at its own place, acking only up to the gap",
          "[tcp][hardened]")
{
  Client c(40006);
  c.handshake();
  // "world" arrives before "hello ": a gap of 6 bytes.
  auto r = c.send(kClientIsn + 7, c.iss + 1, "P.", "world");
  REQUIRE(r.size() == 1);
  check_common(r[0], 40006);
  CHECK(flags(r[0]) == "P.");
  CHECK(r[0].seq() == c.iss + 7);          // its own place in the echo
  CHECK(r[0].ack() == kClientIsn + 1);     // nothing acknowledged past the gap
  CHECK(r[0].data == "world");

  auto hello = c.send(kClientIsn + 1, c.iss + 1, "P.", "hello ");
  REQUIRE(hello.size() == 1);
  CHECK(hello[0].seq() == c.iss + 1);
  CHECK(hello[0].ack() == kClientIsn + 1);
  CHECK(hello[0].data == "hello ");
  // The client now holds "hello world": its ACK of all 11 bytes releases its own.
  auto ack = c.send(kClientIsn + 12, c.iss + 12, ".");
  REQUIRE(ack.size() == 1);
  CHECK(flags(ack[0]) == ".");
  CHECK(ack[0].seq() == c.iss + 12);
  CHECK(ack[0].ack() == kClientIsn + 12);
}

TEST_CASE("echoall_hardened echoes only what fits in the client's window, and acks none of the rest",
          "[tcp][hardened]")
{
  Client c(40007);
  c.handshake(4);  // the client can take 4 bytes
  auto r = c.send(kClientIsn + 1, c.iss + 1, "P.", "abcdef", 4);
  REQUIRE(r.size() == 1);
  check_common(r[0], 40007);
  CHECK(r[0].seq() == c.iss + 1);
  CHECK(r[0].ack() == kClientIsn + 1);
  CHECK(r[0].data == "abcd");
  CHECK(r[0].window() == 4);

  // Window full, nothing read yet: the bytes are dropped, a bare ACK says so.
  auto full = c.send(kClientIsn + 5, c.iss + 1, "P.", "ef", 4);
  REQUIRE(full.size() == 1);
  CHECK(flags(full[0]) == ".");
  CHECK(full[0].ack() == kClientIsn + 1);
  CHECK(full[0].data.empty());

  // The client takes abcd and opens its window: we mirror it at once, so
  // its retransmission of ef may come.
  auto open = c.send(kClientIsn + 7, c.iss + 5, ".", "", 100);
  REQUIRE(open.size() == 1);
  CHECK(open[0].ack() == kClientIsn + 5);
  CHECK(open[0].window() == 100);
  auto ef = c.send(kClientIsn + 5, c.iss + 5, "P.", "ef", 100);
  REQUIRE(ef.size() == 1);
  CHECK(ef[0].seq() == c.iss + 5);
  CHECK(ef[0].data == "ef");
}

TEST_CASE("echoall_hardened answers a zero-window probe with an ACK", "[tcp][hardened]")
{
  Client c(40008);
  c.handshake();
  // Linux probes with seq one below what we acknowledged, and no data.
  auto r = c.send(kClientIsn, c.iss + 1, ".");
  REQUIRE(r.size() == 1);
  CHECK(flags(r[0]) == ".");
  CHECK(r[0].seq() == c.iss + 1);
  CHECK(r[0].ack() == kClientIsn + 1);
}

TEST_CASE("echoall_hardened echoes a FIN as its own FIN and forgets the connection when both are acked",
          "[tcp][hardened]")
{
  Client c(40009);
  c.handshake();
  REQUIRE(c.send(kClientIsn + 1, c.iss + 1, "P.", "bye").size() == 1);

  // The FIN rides with the client's ACK of "bye".
  auto fin = c.send(kClientIsn + 4, c.iss + 4, "F.");
  REQUIRE(fin.size() == 1);
  check_common(fin[0], 40009);
  CHECK(flags(fin[0]) == "F.");
  CHECK(fin[0].seq() == c.iss + 4);
  CHECK(fin[0].ack() == kClientIsn + 4);  // "bye" acked; the FIN once ours is
  CHECK(fin[0].data.empty());

  // The client acknowledges our FIN; we acknowledge its FIN, and forget.
  auto last = c.send(kClientIsn + 5, c.iss + 5, ".");
  REQUIRE(last.size() == 1);
  CHECK(flags(last[0]) == ".");
  CHECK(last[0].seq() == c.iss + 5);
  CHECK(last[0].ack() == kClientIsn + 5);

  auto after = c.send(kClientIsn + 5, c.iss + 5, ".");
  REQUIRE(after.size() == 1);
  CHECK(flags(after[0]) == "R");  // no such connection any more
}

TEST_CASE("echoall_hardened echoes data and FIN of one segment together", "[tcp][hardened]")
{
  Client c(40010);
  c.handshake();
  auto r = c.send(kClientIsn + 1, c.iss + 1, "FP.", "last words");
  REQUIRE(r.size() == 1);
  check_common(r[0], 40010);
  CHECK(flags(r[0]) == "FP.");
  CHECK(r[0].seq() == c.iss + 1);
  CHECK(r[0].data == "last words");
  auto last = c.send(kClientIsn + 12, c.iss + 12, ".");
  REQUIRE(last.size() == 1);
  CHECK(last[0].ack() == kClientIsn + 12);  // 10 bytes and the FIN
}

// ---------------------------------------------------------------- a lost echo before the close
//
// Once our FIN has gone out (TcpState's fin), the peer still holds every
// byte of ours it has not acknowledged: if our echo was lost, it sends its
// bytes, its FIN, or both again, and the close completes only if we echo
// them again (issue 26).  Each case replays what the client's kernel sends.

TEST_CASE("echoall_hardened echoes data again whose echo was lost before its FIN, "
          "and the close completes", "[tcp][hardened][fin]")
{
  Client c(40021);
  c.handshake();
  REQUIRE(c.send(kClientIsn + 1, c.iss + 1, "P.", "abc").size() == 1);  // this echo is lost
  // The client's FIN, acknowledging nothing of ours: we echo it as our FIN.
  auto fin = c.send(kClientIsn + 4, c.iss + 1, "F.");
  REQUIRE(fin.size() == 1);
  CHECK(flags(fin[0]) == "F.");
  CHECK(fin[0].seq() == c.iss + 4);
  CHECK(fin[0].ack() == kClientIsn + 1);
  // Our FIN came before the bytes it follows: the client's kernel keeps it
  // out of order and, at its timeout, sends "abc" again.
  auto again = c.send(kClientIsn + 1, c.iss + 1, "P.", "abc");
  REQUIRE(again.size() == 1);
  check_common(again[0], 40021);
  CHECK(flags(again[0]) == "P.");
  CHECK(again[0].seq() == c.iss + 1);
  CHECK(again[0].ack() == kClientIsn + 1);
  CHECK(again[0].data == "abc");
  // Now it holds abc and our FIN: it acknowledges both, we its FIN, and forget.
  auto last = c.send(kClientIsn + 5, c.iss + 5, ".");
  REQUIRE(last.size() == 1);
  CHECK(flags(last[0]) == ".");
  CHECK(last[0].seq() == c.iss + 5);
  CHECK(last[0].ack() == kClientIsn + 5);
  auto after = c.send(kClientIsn + 5, c.iss + 5, ".");
  REQUIRE(after.size() == 1);
  CHECK(flags(after[0]) == "R");  // the connection is closed, its entry gone
}

TEST_CASE("echoall_hardened echoes data+FIN again when that echo was lost, and the close completes",
          "[tcp][hardened][fin]")
{
  Client c(40022);
  c.handshake();
  auto first = c.send(kClientIsn + 1, c.iss + 1, "FP.", "bye");  // this echo is lost
  REQUIRE(first.size() == 1);
  CHECK(flags(first[0]) == "FP.");
  SECTION("nothing of it arrived: all of it again")
  {
    auto again = c.send(kClientIsn + 1, c.iss + 1, "FP.", "bye");
    REQUIRE(again.size() == 1);
    check_common(again[0], 40022);
    CHECK(flags(again[0]) == "FP.");
    CHECK(again[0].seq() == c.iss + 1);
    CHECK(again[0].ack() == kClientIsn + 1);
    CHECK(again[0].data == "bye");
  }
  SECTION("its first byte arrived (a window cut the echo): the rest and the FIN again")
  {
    CHECK(c.send(kClientIsn + 5, c.iss + 2, ".").size() == 1);  // "b" came back
    auto again = c.send(kClientIsn + 1, c.iss + 2, "FP.", "bye");
    REQUIRE(again.size() == 1);
    CHECK(flags(again[0]) == "FP.");
    CHECK(again[0].seq() == c.iss + 2);
    CHECK(again[0].ack() == kClientIsn + 2);
    CHECK(again[0].data == "ye");
  }
  auto last = c.send(kClientIsn + 5, c.iss + 5, ".");
  REQUIRE(last.size() == 1);
  CHECK(flags(last[0]) == ".");
  CHECK(last[0].seq() == c.iss + 5);
  CHECK(last[0].ack() == kClientIsn + 5);  // 3 bytes and the FIN
  auto after = c.send(kClientIsn + 5, c.iss + 5, ".");
  REQUIRE(after.size() == 1);
  CHECK(flags(after[0]) == "R");
}

TEST_CASE("echoall_hardened echoes a bare FIN again when its echo was lost, and the close completes",
          "[tcp][hardened][fin]")
{
  Client c(40023);
  c.handshake();
  REQUIRE(c.send(kClientIsn + 1, c.iss + 1, "P.", "abc").size() == 1);
  REQUIRE(c.send(kClientIsn + 4, c.iss + 4, ".").size() == 1);  // the echo acknowledged
  auto first = c.send(kClientIsn + 4, c.iss + 4, "F.");  // this echo is lost
  REQUIRE(first.size() == 1);
  CHECK(flags(first[0]) == "F.");
  // The client's FIN again, at its retransmission timeout.
  auto again = c.send(kClientIsn + 4, c.iss + 4, "F.");
  REQUIRE(again.size() == 1);
  check_common(again[0], 40023);
  CHECK(flags(again[0]) == "F.");
  CHECK(again[0].seq() == c.iss + 4);
  CHECK(again[0].ack() == kClientIsn + 4);
  CHECK(again[0].data.empty());
  auto last = c.send(kClientIsn + 5, c.iss + 5, ".");
  REQUIRE(last.size() == 1);
  CHECK(flags(last[0]) == ".");
  CHECK(last[0].ack() == kClientIsn + 5);
  auto after = c.send(kClientIsn + 5, c.iss + 5, ".");
  REQUIRE(after.size() == 1);
  CHECK(flags(after[0]) == "R");
}

TEST_CASE("echoall_hardened echoes nothing past the FIN it echoed, answering with an ACK",
          "[tcp][hardened][fin]")
{
  Client c(40024);
  c.handshake();
  REQUIRE(c.send(kClientIsn + 1, c.iss + 1, "FP.", "end").size() == 1);
  // Bytes after the FIN, and bytes that run into it: a peer that closed sends neither.
  for (uint32_t seq : { kClientIsn + 5, kClientIsn + 3 })
  {
    CAPTURE(seq);
    auto r = c.send(seq, c.iss + 1, "P.", "more");
    REQUIRE(r.size() == 1);
    CHECK(flags(r[0]) == ".");
    CHECK(r[0].seq() == c.iss + 5);
    CHECK(r[0].ack() == kClientIsn + 1);
    CHECK(r[0].data.empty());
  }
  CHECK(c.send(kClientIsn + 5, c.iss + 1, "R.").empty());
}

TEST_CASE("echoall_hardened answers a segment of an unknown connection with RST", "[tcp][hardened]")
{
  Client c(40011);
  SECTION("with ACK: the RST takes its seq from the ACK field")
  {
    auto r = c.send(5000, 777, "P.", "stray");
    REQUIRE(r.size() == 1);
    check_common(r[0], 40011);
    CHECK(flags(r[0]) == "R");
    CHECK(r[0].seq() == 777);
    CHECK(r[0].data.empty());
  }
  SECTION("without ACK: seq 0 and ACK of seq + length")
  {
    auto r = c.send(5000, 0, "F", "stray");
    REQUIRE(r.size() == 1);
    check_common(r[0], 40011);
    CHECK(flags(r[0]) == "R.");
    CHECK(r[0].seq() == 0);
    CHECK(r[0].ack() == 5000 + 5 + 1);
  }
  SECTION("a RST is never answered")
  {
    CHECK(c.send(5000, 777, "R").empty());
  }
}

TEST_CASE("echoall_hardened forgets a connection the client resets", "[tcp][hardened]")
{
  Client c(40012);
  c.handshake();
  REQUIRE(c.send(kClientIsn + 1, c.iss + 1, "P.", "ab").size() == 1);
  CHECK(c.send(kClientIsn + 3, c.iss + 1, "R.").empty());
  // (Not at kClientIsn + 1: that segment would hand the cookie back again,
  // and open the connection anew; see the [cookie] cases below.)
  auto r = c.send(kClientIsn + 3, c.iss + 1, "P.", "x");
  REQUIRE(r.size() == 1);
  CHECK(flags(r[0]) == "R");
}

TEST_CASE("echoall_hardened ignores an ACK of bytes it never sent, answering with its own ACK",
          "[tcp][hardened]")
{
  Client c(40013);
  c.handshake();
  auto r = c.send(kClientIsn + 1, c.iss + 100, "P.", "x");
  REQUIRE(r.size() == 1);
  CHECK(flags(r[0]) == ".");
  CHECK(r[0].ack() == kClientIsn + 1);
  CHECK(r[0].data.empty());
}

TEST_CASE("echoall_hardened keeps connections apart by their four numbers", "[tcp][hardened]")
{
  Client a(40014), b(40015);
  a.handshake();
  b.handshake();
  REQUIRE(a.send(kClientIsn + 1, a.iss + 1, "P.", "aaaa").size() == 1);
  auto r = b.send(kClientIsn + 1, b.iss + 1, "P.", "bb");
  REQUIRE(r.size() == 1);
  CHECK(ntohs(r[0].tcp.dest) == 40015);
  CHECK(r[0].seq() == b.iss + 1);  // b's own sequence space, untouched by a
  CHECK(r[0].data == "bb");
}

TEST_CASE("echoall_hardened writes nothing for a segment shorter than its header", "[tcp][hardened]")
{
  Client c(40016);
  // 20 bytes of IP header and 19 of TCP: tcp_check refuses it.
  unsigned char packet[39] = {};
  struct iphdr ip = {};
  ip.version = 4;
  ip.ihl = 5;
  ip.tot_len = htons(sizeof packet);
  ip.protocol = IPPROTO_TCP;
  memcpy(packet, &ip, sizeof ip);
  packet[20 + 12] = 5 << 4;  // doff 5: 20 bytes, one more than there are
  tcp_input(c.fds_[0], packet, packet + 20, sizeof packet);
  CHECK(c.replies().empty());
}

// ---------------------------------------------------------------- SYN cookies

// echoall_hardened.cc's cookie, its hash (tooling/siphash.h) and its table, as the
// program runs them.
uint32_t cookie_time(int64_t now);
uint32_t syn_cookie(const SocketAddr& key, uint32_t irs, uint32_t t, uint32_t scale = 0);
bool syn_cookie_check(const SocketAddr& key, uint32_t irs, uint32_t cookie, uint32_t t,
                      uint32_t* scale = nullptr);
size_t tcp_connections();

namespace
{

// Sets the table's bounds for one test case, as -c and -t would (and to
// -t 0, which -t refuses: every idle entry too old), and puts them back after.
struct Bounds
{
  Bounds(long max, long idle_s) : saved_(*echoall_bounds())
  {
    echoall_bounds()->max_connections = max;
    echoall_bounds()->idle_timeout_s = idle_s;
  }
  ~Bounds() { *echoall_bounds() = saved_; }
  Bounds(const Bounds&) = delete;
  Bounds& operator=(const Bounds&) = delete;
  EchoBounds saved_;
};

void sleep_ms(int ms)
{
  usleep(ms * 1000);  // the monotonic clock moves at least this much meanwhile
}

// The replies that are RSTs, by the port they go to.
std::vector<uint16_t> resets(const std::vector<Reply>& replies)
{
  std::vector<uint16_t> ports;
  for (const Reply& r : replies)
    if (flags(r) == "R")
      ports.push_back(ntohs(r.tcp.dest));
  return ports;
}

// Empties echoall_hardened's table through its own idle timeout: every entry is idle
// longer than 0 ms, so the next handshake resets them all.  Returns how many
// it reset; the throwaway connection is reset by its client.
size_t forget_all()
{
  const size_t before = tcp_connections();
  Bounds zero(echoall_bounds()->max_connections, 0);
  sleep_ms(2);
  Client t(39999);
  const size_t reset = resets(t.handshake_replies()).size();
  CHECK(t.send(kClientIsn + 1, t.iss + 1, "R.").empty());
  REQUIRE(tcp_connections() == 0);
  CHECK(reset == before);
  return reset;
}

SocketAddr client_key(uint16_t port)
{
  SocketAddr key;
  inet_pton(AF_INET, "192.168.0.1", &key.saddr);
  inet_pton(AF_INET, "192.168.0.2", &key.daddr);
  key.sport = htons(port);
  key.dport = htons(7);
  return key;
}

}  // namespace

TEST_CASE("SipHash-2-4 gives the reference outputs of its paper", "[cookie][hardened]")
{
  // Aumasson and Bernstein, "SipHash: a fast short-input PRF", appendix A:
  // key 00 01 .. 0f; the message 00 01 .. 0e gives a129ca6149be45e5, and
  // the empty message 726fdb47dd0e0e31 (the first line of its vectors.h).
  unsigned char key[16], msg[15];
  for (int i = 0; i < 16; ++i)
    key[i] = static_cast<unsigned char>(i);
  for (int i = 0; i < 15; ++i)
    msg[i] = static_cast<unsigned char>(i);
  CHECK(siphash(key, msg, 15) == 0xa129ca6149be45e5ull);
  CHECK(siphash(key, msg, 0) == 0x726fdb47dd0e0e31ull);
  CHECK(siphash(key, msg, 8) == 0x93f5f5799a932462ull);  // one whole block, then none
}

TEST_CASE("a SYN cookie is good for two minutes after its own and names its connection",
          "[cookie][hardened]")
{
  const SocketAddr key = client_key(41000);
  const uint32_t t = 77;
  const uint32_t cookie = syn_cookie(key, kClientIsn, t);
  CHECK(cookie >> 24 == t);  // the minute rides in the top byte
  CHECK(syn_cookie_check(key, kClientIsn, cookie, t));
  CHECK(syn_cookie_check(key, kClientIsn, cookie, t + 1));
  CHECK(syn_cookie_check(key, kClientIsn, cookie, t + 2));
  CHECK_FALSE(syn_cookie_check(key, kClientIsn, cookie, t + 3));  // too old
  CHECK_FALSE(syn_cookie_check(key, kClientIsn, cookie, t - 1));  // from the future
  CHECK_FALSE(syn_cookie_check(key, kClientIsn + 1, cookie, t));  // another client ISN
  CHECK_FALSE(syn_cookie_check(client_key(41001), kClientIsn, cookie, t));  // another port
  CHECK_FALSE(syn_cookie_check(key, kClientIsn, cookie + 1, t));
  CHECK_FALSE(syn_cookie_check(key, kClientIsn, cookie ^ 0x800000, t));
  // The minute counter wraps at 256: minute 255's cookie is good at minute 1.
  const uint32_t late = syn_cookie(key, kClientIsn, 255);
  CHECK(syn_cookie_check(key, kClientIsn, late, 1));
  CHECK_FALSE(syn_cookie_check(key, kClientIsn, late, 2));
  CHECK(cookie_time(0) == 0);
  CHECK(cookie_time(59999) == 0);
  CHECK(cookie_time(60000) == 1);
  CHECK(cookie_time(256 * 60000) == 0);
}

TEST_CASE("echoall_hardened's SYN+ACK carries a cookie its final ACK hands back, and keeps no entry "
          "for 10,000 SYNs", "[cookie][hardened]")
{
  const size_t before = tcp_connections();
  Client c(0);
  for (int port = 1; port <= 10000; ++port)
  {
    c.port_ = static_cast<uint16_t>(port);
    auto r = c.send(kClientIsn + port, 0, "S");
    REQUIRE(r.size() == 1);
    REQUIRE(flags(r[0]) == "S.");
    REQUIRE(r[0].ack() == kClientIsn + port + 1);
    const uint32_t t = r[0].seq() >> 24;
    REQUIRE(syn_cookie_check(client_key(static_cast<uint16_t>(port)), kClientIsn + port,
                             r[0].seq(), t));
  }
  CHECK(tcp_connections() == before);  // nothing remembered
}

TEST_CASE("echoall_hardened resets an ACK whose cookie is wrong and keeps no entry for it",
          "[cookie][hardened]")
{
  const size_t before = tcp_connections();
  Client c(41002);
  auto synack = c.send(kClientIsn, 0, "S");
  REQUIRE(synack.size() == 1);
  const uint32_t cookie = synack[0].seq();
  SECTION("ack one past the cookie's successor")
  {
    auto r = c.send(kClientIsn + 1, cookie + 2, ".");
    REQUIRE(r.size() == 1);
    CHECK(flags(r[0]) == "R");
    CHECK(r[0].seq() == cookie + 2);
  }
  SECTION("a seq that is not the SYN's + 1")
  {
    auto r = c.send(kClientIsn + 2, cookie + 1, ".");
    REQUIRE(r.size() == 1);
    CHECK(flags(r[0]) == "R");
  }
  SECTION("the cookie of another connection")
  {
    Client other(41003);
    auto r = other.send(kClientIsn + 1, cookie + 1, ".");
    REQUIRE(r.size() == 1);
    CHECK(flags(r[0]) == "R");
  }
  CHECK(tcp_connections() == before);
}

TEST_CASE("echoall_hardened echoes data riding on the handshake's last ACK", "[cookie][hardened]")
{
  Client c(41004);
  auto synack = c.send(kClientIsn, 0, "S");
  REQUIRE(synack.size() == 1);
  const uint32_t iss = synack[0].seq();
  auto r = c.send(kClientIsn + 1, iss + 1, "P.", "early");
  REQUIRE(r.size() == 1);
  check_common(r[0], 41004);
  CHECK(flags(r[0]) == "P.");
  CHECK(r[0].seq() == iss + 1);
  CHECK(r[0].ack() == kClientIsn + 1);
  CHECK(r[0].data == "early");
  CHECK(c.send(kClientIsn + 6, iss + 1, "R.").empty());
}

TEST_CASE("echoall_hardened resets every connection idle beyond its timeout when the next one is made",
          "[bounds][hardened]")
{
  // Whatever the cases above left in the table is reset by one handshake.
  forget_all();
  Client a(41010), b(41011);
  a.handshake();
  b.handshake();
  REQUIRE(tcp_connections() == 2);
  {
    Bounds bounds(echoall_bounds()->max_connections, 0);
    sleep_ms(2);  // a and b are now idle 2 ms, beyond 0 s
    Client c(41012);
    auto synack = c.send(kClientIsn, 0, "S");
    REQUIRE(synack.size() == 1);
    CHECK(tcp_connections() == 2);  // a SYN changes nothing
    auto r = c.send(kClientIsn + 1, synack[0].seq() + 1, ".");
    CHECK(resets(r) == std::vector<uint16_t>({ 41010, 41011 }));  // the table's order
    for (const Reply& reset : r)
    {
      CHECK(reset.ip_sum_ok);
      CHECK(reset.tcp_sum_ok);
      CHECK(reset.window() == 0);
      CHECK(reset.data.empty());
    }
    // Each RST carries the seq the client expects next: our snd_nxt.
    REQUIRE(r.size() == 2);
    CHECK(r[0].seq() == a.iss + 1);
    CHECK(r[1].seq() == b.iss + 1);
    CHECK(tcp_connections() == 1);
    CHECK(c.send(kClientIsn + 1, synack[0].seq() + 1, "R.").empty());
  }
  // a is gone: its data gets a RST.  (Its first byte, at kClientIsn + 1,
  // would hand the cookie back and open it anew: a is past it here.)
  auto r = a.send(kClientIsn + 2, a.iss + 1, "P.", "anyone?");
  REQUIRE(r.size() == 1);
  CHECK(flags(r[0]) == "R");
}

TEST_CASE("echoall_hardened keeps a connection idle for less than -t SECONDS", "[bounds][hardened]")
{
  forget_all();
  Bounds bounds(echoall_bounds()->max_connections, 1);  // -t 1: a second, 1000 ms
  Client a(41015), b(41016);
  a.handshake();
  sleep_ms(5);  // a is idle 5 ms: far from a second
  CHECK(resets(b.handshake_replies()).empty());
  CHECK(tcp_connections() == 2);
  auto r = a.send(kClientIsn + 1, a.iss + 1, "P.", "still here");
  REQUIRE(r.size() == 1);
  CHECK(r[0].data == "still here");
  CHECK(a.send(kClientIsn + 11, a.iss + 1, "R.").empty());
  CHECK(b.send(kClientIsn + 1, b.iss + 1, "R.").empty());
}

TEST_CASE("echoall_hardened resets the longest-idle connection when its table is full",
          "[bounds][hardened]")
{
  forget_all();
  Bounds bounds(2, 300);
  Client a(41020), b(41021), c(41022);
  a.handshake();
  b.handshake();
  sleep_ms(2);
  REQUIRE(a.send(kClientIsn + 1, a.iss + 1, "P.", "a").size() == 1);  // a is busy, b idles
  sleep_ms(2);
  auto synack = c.send(kClientIsn, 0, "S");
  REQUIRE(synack.size() == 1);
  c.iss = synack[0].seq();
  auto r = c.send(kClientIsn + 1, c.iss + 1, ".");
  REQUIRE(r.size() == 1);
  CHECK(flags(r[0]) == "R");
  CHECK(ntohs(r[0].tcp.dest) == 41021);  // b
  CHECK(r[0].seq() == b.iss + 1);
  CHECK(tcp_connections() == 2);

  // a and c echo; b is gone.
  auto ra = a.send(kClientIsn + 2, a.iss + 2, "P.", "bc");
  REQUIRE(ra.size() == 1);
  CHECK(ra[0].data == "bc");
  auto rc = c.send(kClientIsn + 1, c.iss + 1, "P.", "c");
  REQUIRE(rc.size() == 1);
  CHECK(rc[0].data == "c");
  auto rb = b.send(kClientIsn + 2, b.iss + 1, "P.", "b");
  REQUIRE(rb.size() == 1);
  CHECK(flags(rb[0]) == "R");

  // A full table of busy connections still takes a new one: 1000 handshakes
  // leave exactly 2 entries.
  for (int i = 0; i < 1000; ++i)
  {
    Client d(static_cast<uint16_t>(42000 + i));
    d.handshake_replies();
  }
  CHECK(tcp_connections() == 2);
}

TEST_CASE("echoall_hardened opens a connection again for a segment that repeats the handshake's last ACK",
          "[cookie][hardened]")
{
  // The price of keeping nothing: after a RST, a segment with seq irs + 1
  // and ack cookie + 1 is the handshake's last ACK again, and the cookie is
  // good for two minutes more.  Linux pays it only while its SYN queue has
  // overflowed lately (tcp_synq_no_recent_overflow); echoall_hardened always does.
  Client c(41030);
  c.handshake();
  CHECK(c.send(kClientIsn + 1, c.iss + 1, "R.").empty());
  auto r = c.send(kClientIsn + 1, c.iss + 1, "P.", "again");
  REQUIRE(r.size() == 1);
  CHECK(flags(r[0]) == "P.");
  CHECK(r[0].data == "again");
  CHECK(c.send(kClientIsn + 6, c.iss + 1, "R.").empty());
}

// The kernel picks a random ISN, so one connection in a few hundred million
// crosses 2^32 within its first bytes; here every one does.
TEST_CASE("echoall_hardened echoes a stream whose sequence numbers cross 2^32", "[tcp][hardened][wrap]")
{
  Client c(40017);
  const uint32_t isn = 0xfffffff0u;  // 16 below 2^32
  auto syn = c.send(isn, 0, "S");
  REQUIRE(syn.size() == 1);
  c.iss = syn[0].seq();  // echoall_hardened's ISN: its SYN cookie
  const uint32_t offset = c.iss - isn;
  CHECK(syn[0].ack() == isn + 1);
  CHECK(c.send(isn + 1, c.iss + 1, ".").empty());

  uint32_t seq = isn + 1;  // 0xfffffff1
  auto before = c.send(seq, c.iss + 1, "P.", "0123456789");
  REQUIRE(before.size() == 1);
  CHECK(before[0].seq() == seq + offset);
  CHECK(before[0].data == "0123456789");
  seq += 10;  // 0xfffffffb

  // 0xfffffffb .. 0x0000000a: the segment that crosses.
  auto across = c.send(seq, c.iss + 1, "P.", "across 2^32 here");
  REQUIRE(across.size() == 1);
  check_common(across[0], 40017);
  CHECK(flags(across[0]) == "P.");
  CHECK(across[0].seq() == seq + offset);
  CHECK(across[0].ack() == isn + 1);
  CHECK(across[0].data == "across 2^32 here");
  seq += 16;
  REQUIRE(seq == 0x0000000bu);

  // The client acknowledges both echoes: our ACK crosses 2^32 as well.
  auto ack = c.send(seq, c.iss + 27, ".");
  REQUIRE(ack.size() == 1);
  CHECK(ack[0].ack() == seq);

  auto after = c.send(seq, c.iss + 27, "P.", "after");
  REQUIRE(after.size() == 1);
  CHECK(after[0].seq() == seq + offset);
  CHECK(after[0].ack() == seq);
  CHECK(after[0].data == "after");

  // The crossing segment again, its echo acknowledged: a bare ACK, no echo.
  auto dup = c.send(seq - 16, c.iss + 27, "P.", "across 2^32 here");
  REQUIRE(dup.size() == 1);
  CHECK(flags(dup[0]) == ".");
  CHECK(dup[0].ack() == seq);

  auto fin = c.send(seq + 5, c.iss + 32, "F.");
  REQUIRE(fin.size() == 1);
  CHECK(flags(fin[0]) == "F.");
  CHECK(fin[0].seq() == seq + 5 + offset);
  CHECK(fin[0].ack() == seq + 5);
  auto last = c.send(seq + 6, c.iss + 33, ".");
  REQUIRE(last.size() == 1);
  CHECK(last[0].ack() == seq + 6);
}

TEST_CASE("echoall_hardened takes a SYN at 2^32 - 1, whose first data byte is number 0",
          "[tcp][hardened][wrap]")
{
  Client c(40018);
  auto syn = c.send(0xffffffffu, 0, "S");
  REQUIRE(syn.size() == 1);
  c.iss = syn[0].seq();
  CHECK(syn[0].ack() == 0);
  CHECK(c.send(0, c.iss + 1, ".").empty());
  auto r = c.send(0, c.iss + 1, "P.", "zero");
  REQUIRE(r.size() == 1);
  CHECK(r[0].seq() == c.iss + 1);
  CHECK(r[0].ack() == 0);
  CHECK(r[0].data == "zero");
  auto ack = c.send(4, c.iss + 5, ".");
  REQUIRE(ack.size() == 1);
  CHECK(ack[0].ack() == 4);
}

TEST_CASE("echoall_hardened passes on a window update that acknowledges nothing new", "[tcp][hardened]")
{
  Client c(40019);
  c.handshake(4);
  REQUIRE(c.send(kClientIsn + 1, c.iss + 1, "P.", "abcd", 4).size() == 1);
  // The client takes the echo into its buffer and has no room left ...
  auto zero = c.send(kClientIsn + 5, c.iss + 5, ".", "", 0);
  REQUIRE(zero.size() == 1);
  CHECK(zero[0].ack() == kClientIsn + 5);
  CHECK(zero[0].window() == 0);
  // ... then its application reads: the same ACK, a window open again.
  // Unless we pass it on, the client's kernel waits for our window to open.
  auto update = c.send(kClientIsn + 5, c.iss + 5, ".", "", 4000);
  REQUIRE(update.size() == 1);
  check_common(update[0], 40019);
  CHECK(flags(update[0]) == ".");
  CHECK(update[0].seq() == c.iss + 5);
  CHECK(update[0].ack() == kClientIsn + 5);
  CHECK(update[0].window() == 4000);
}

TEST_CASE("echoall_hardened drops a segment of a known connection that has no ACK", "[tcp][hardened]")
{
  Client c(40020);
  c.handshake();
  // RFC 793 section 3.9: "if the ACK bit is off drop the segment and return".
  CHECK(c.send(kClientIsn + 1, 0, "P", "no ack").empty());
  // Nothing of it was taken: the same bytes with an ACK are new data.
  auto r = c.send(kClientIsn + 1, c.iss + 1, "P.", "no ack");
  REQUIRE(r.size() == 1);
  CHECK(r[0].seq() == c.iss + 1);
  CHECK(r[0].data == "no ack");
}

// ---------------------------------------------------------------- --mss, --window, -K

namespace
{

// Sets --mss, --window and -K for one test case, as the command line would,
// and puts every speed option back after.
struct OptionsSet
{
  OptionsSet(int mss, long window, bool offload) : saved_(*echoall_speed())
  {
    echoall_speed()->mss = mss;
    echoall_speed()->window = window;
    echoall_speed()->offload = offload;
  }
  ~OptionsSet() { *echoall_speed() = saved_; }
  OptionsSet(const OptionsSet&) = delete;
  OptionsSet& operator=(const OptionsSet&) = delete;
  SpeedOptions saved_;
};

// What Linux's SYN offers, with the window scale `shift`:
// mss 1460, nop, nop, sackOK (no timestamps), nop, wscale SHIFT.
std::vector<unsigned char> linux_syn_options(unsigned char shift)
{
  return { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, shift };
}

}  // namespace

TEST_CASE("echoall_hardened --mss 1000 announces MSS 1000 (02 04 03 e8) in its SYN+ACK, and no scale",
          "[tcp][hardened][faster]")
{
  OptionsSet set(1000, 0, false);
  Client c(40101);
  c.syn_options = linux_syn_options(10);
  auto r = c.send(kClientIsn, 0, "S", "", 29200);
  REQUIRE(r.size() == 1);
  check_common(r[0], 40101);
  CHECK(flags(r[0]) == "S.");
  const std::vector<unsigned char> mss = { 2, 4, 0x03, 0xe8 };  // 0x03e8 == 1000
  CHECK(r[0].options == mss);  // a window of 65535 at most needs no scale
  CHECK(r[0].window() == 29200);
}

TEST_CASE("echoall_hardened --window 4M answers a SYN that offers a scale with mss 1460,nop,wscale 7, "
          "and scales both windows after it", "[tcp][hardened][faster]")
{
  OptionsSet set(0, 4L << 20, false);
  CHECK(window_shift(*echoall_speed()) == 7);  // 4 MiB >> 7 = 32768 fits 16 bits; >> 6 = 65536 would not
  Client c(40102);
  c.syn_options = linux_syn_options(2);  // the client's window field is in units of 4 bytes
  auto synack = c.send(kClientIsn, 0, "S", "", 64240);
  REQUIRE(synack.size() == 1);
  check_common(synack[0], 40102);
  const std::vector<unsigned char> options = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };
  CHECK(synack[0].options == options);
  CHECK(synack[0].window() == 64240);  // a SYN's window is never scaled (RFC 7323 2.2)
  c.iss = synack[0].seq();
  // The final ACK says 100: 100 x 4 = 400 bytes of room for echoes.
  CHECK(c.send(kClientIsn + 1, c.iss + 1, ".", "", 100).empty());
  auto echo = c.send(kClientIsn + 1, c.iss + 1, "P.", std::string(1000, 'x'), 100);
  REQUIRE(echo.size() == 1);
  check_common(echo[0], 40102);
  CHECK(echo[0].seq() == c.iss + 1);
  CHECK(echo[0].data.size() == 400);  // what 100 << 2 bytes hold, not 100
  CHECK(echo[0].ack() == kClientIsn + 1);
  CHECK(echo[0].window() == 3);  // its 400 bytes, mirrored, in our units: 400 >> 7
  // The client acknowledges the echo and opens its window to 64240 x 4
  // bytes: ours follows, 256960 >> 7.
  auto update = c.send(kClientIsn + 1, c.iss + 401, ".", "", 64240);
  REQUIRE(update.size() == 1);
  CHECK(update[0].ack() == kClientIsn + 401);
  CHECK(update[0].window() == 256960 >> 7);
  CHECK(c.send(kClientIsn + 401, c.iss + 401, "R.").empty());
}

TEST_CASE("echoall_hardened --window 4M sends no scale to a SYN that offered none, and reads its window "
          "in bytes", "[tcp][hardened][faster]")
{
  OptionsSet set(0, 4L << 20, false);
  Client c(40103);
  c.syn_options = { 2, 4, 0x05, 0xb4 };  // MSS only
  auto synack = c.send(kClientIsn, 0, "S", "", 64240);
  REQUIRE(synack.size() == 1);
  const std::vector<unsigned char> mss = { 2, 4, 0x05, 0xb4 };
  CHECK(synack[0].options == mss);
  c.iss = synack[0].seq();
  CHECK(c.send(kClientIsn + 1, c.iss + 1, ".", "", 100).empty());
  auto echo = c.send(kClientIsn + 1, c.iss + 1, "P.", std::string(1000, 'x'), 100);
  REQUIRE(echo.size() == 1);
  CHECK(echo[0].data.size() == 100);
  CHECK(echo[0].window() == 100);
  CHECK(c.send(kClientIsn + 101, c.iss + 101, "R.").empty());
}

TEST_CASE("echoall_hardened reads a window scale over 14 as 14 (RFC 7323 section 2.3)",
          "[tcp][hardened][faster]")
{
  OptionsSet set(0, 4L << 20, false);
  Client c(40104);
  c.syn_options = linux_syn_options(15);
  auto synack = c.send(kClientIsn, 0, "S");
  REQUIRE(synack.size() == 1);
  c.iss = synack[0].seq();
  CHECK(c.send(kClientIsn + 1, c.iss + 1, ".", "", 1).empty());  // 1 << 14 bytes
  auto echo = c.send(kClientIsn + 1, c.iss + 1, "P.", std::string(1400, 'y'), 1);
  REQUIRE(echo.size() == 1);
  CHECK(echo[0].data.size() == 1400);  // 16384 bytes of room
  CHECK(echo[0].window() == 16384 >> 7);
  CHECK(c.send(kClientIsn + 1401, c.iss + 1401, "R.").empty());
}

TEST_CASE("a SYN cookie carries the window scale, good only when echoall_hardened scales",
          "[cookie][hardened][faster]")
{
  const SocketAddr key = client_key(40105);
  const uint32_t t = 17;
  const uint32_t plain = syn_cookie(key, kClientIsn, t);
  const uint32_t scaled = syn_cookie(key, kClientIsn, t, 11);
  CHECK(scaled >> 24 == t);
  CHECK(((scaled - plain) & 0xffffff) == 11);  // the hash bits hold hash + scale
  uint32_t scale = 99;
  SECTION("without --window only scale 0 is good")
  {
    CHECK(syn_cookie_check(key, kClientIsn, plain, t, &scale));
    CHECK(scale == 0);
    CHECK_FALSE(syn_cookie_check(key, kClientIsn, scaled, t, &scale));
  }
  SECTION("with --window 4M every scale 0..15 is good, and comes back")
  {
    OptionsSet set(0, 4L << 20, false);
    CHECK(syn_cookie_check(key, kClientIsn, scaled, t + 2, &scale));
    CHECK(scale == 11);
    CHECK(syn_cookie_check(key, kClientIsn, syn_cookie(key, kClientIsn, t, 15), t, &scale));
    CHECK(scale == 15);
    CHECK_FALSE(syn_cookie_check(key, kClientIsn, syn_cookie(key, kClientIsn, t, 16), t));
    CHECK_FALSE(syn_cookie_check(key, kClientIsn + 1, scaled, t));  // another client ISN
    CHECK_FALSE(syn_cookie_check(key, kClientIsn, scaled, t + 3));  // too old
  }
}

TEST_CASE("echoall_hardened -K implies --window 4M unless given, and keeps MSS 1460",
          "[hardened][faster]")
{
  SECTION("-K alone")
  {
    OptionsSet set(0, 0, true);
    CHECK(synack_mss(*echoall_speed()) == 1460);
    CHECK(window_bytes(*echoall_speed()) == 4L << 20);
    CHECK(window_shift(*echoall_speed()) == 7);
  }
  SECTION("-K --mss 1000 --window 65000")
  {
    OptionsSet set(1000, 65000, true);
    CHECK(synack_mss(*echoall_speed()) == 1000);
    CHECK(window_bytes(*echoall_speed()) == 65000);
    CHECK(window_shift(*echoall_speed()) == 0);
  }
  SECTION("no option: MSS 1460, the peer's window up to 65535, no scale")
  {
    OptionsSet set(0, 0, false);
    CHECK(synack_mss(*echoall_speed()) == 1460);
    CHECK(window_bytes(*echoall_speed()) == 65535);
    CHECK(window_shift(*echoall_speed()) == 0);
  }
}
