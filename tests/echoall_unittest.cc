// Unit tests of echoall's tcp_input (step 6), linked with echoall.cc itself.
//
// Each case plays a client: it builds IPv4+TCP segments byte by byte, hands
// them to tcp_input with one end of a socketpair(AF_UNIX, SOCK_DGRAM) as the
// "tun" fd, and reads every reply from the other end, one datagram a packet.
// Every reply is checked field by field: seq and ack, flags, window, the
// payload byte for byte, and both checksums.  Each case uses ports of its
// own and resets its connections when it ends (a RST is never answered), so
// echoall's table, which lives as long as the program, is empty between cases.
#include "faketcp.h"
#include "tests/support/malformed.h"  // StdoutCapture

#include <string>
#include <vector>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <catch2/catch.hpp>

// echoall.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

namespace
{

const uint32_t kClientIsn = 1000;
const uint32_t kIss = 123456;  // echoall's initial sequence number, every connection's

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
// Its destructor resets the connection, so that it leaves no entry behind.
class Client
{
 public:
  explicit Client(uint16_t port) : port_(port)
  {
    REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM, 0, fds_) == 0);
  }
  ~Client()
  {
    send(0, 0, "R");
    close(fds_[0]);
    close(fds_[1]);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one segment with these fields from port_ and returns what echoall
  // wrote back.
  std::vector<Reply> send(uint32_t seq, uint32_t ack, const char* flags,
                          const std::string& data = "", uint16_t window = 64240)
  {
    return send_from(port_, seq, ack, flags, data, window);
  }

  // The same from another port: another connection on the same wire.
  std::vector<Reply> send_from(uint16_t port, uint32_t seq, uint32_t ack, const char* flags,
                               const std::string& data = "", uint16_t window = 64240)
  {
    unsigned char packet[20 + 20 + 1500] = {};
    REQUIRE(data.size() <= 1500);
    struct iphdr ip = {};
    ip.version = 4;
    ip.ihl = 5;
    ip.tot_len = htons(static_cast<uint16_t>(20 + 20 + data.size()));
    ip.id = htons(0x1234);
    ip.frag_off = htons(IP_DF);
    ip.ttl = 64;
    ip.protocol = IPPROTO_TCP;
    inet_pton(AF_INET, "192.168.0.1", &ip.saddr);
    inet_pton(AF_INET, "192.168.0.2", &ip.daddr);
    ip.check = in_checksum(&ip, sizeof ip);

    struct tcphdr tcp = {};
    tcp.source = htons(port);
    tcp.dest = htons(7);
    tcp.seq = htonl(seq);
    tcp.ack_seq = htonl(ack);
    tcp.doff = 5;
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
    memcpy(packet + 40, data.data(), data.size());
    const int seg_len = 20 + static_cast<int>(data.size());
    const uint16_t check = tcp_checksum(&ip, packet + 20, seg_len);
    memcpy(packet + 20 + 16, &check, 2);

    tcp_input(fds_[0], packet, packet + 20, 20 + seg_len);
    return replies();
  }

  // The SYN, SYN+ACK, ACK of a new connection, checked on the way.
  void handshake(uint16_t window = 64240, uint32_t isn = kClientIsn)
  {
    auto r = send(isn, 0, "S", "", window);
    REQUIRE(r.size() == 1);
    REQUIRE(r[0].ack() == isn + 1);
    REQUIRE(r[0].seq() == kIss);
    CHECK(send(isn + 1, kIss + 1, ".", "", window).empty());
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
      REQUIRE(20 + tcphdr_len <= n);
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

// The offset between the client's numbers and echoall's (TcpState): iss - irs.
const uint32_t kOffset = kIss - kClientIsn;

}  // namespace

TEST_CASE("echoall answers a SYN with SYN+ACK: seq 123456, ack seq+1, its window, no options",
          "[tcp][step6]")
{
  INFO("rule: a SYN makes the entry: rcv_nxt = its seq + 1 (a SYN counts as one byte), snd_nxt = snd_una = kIss + 1, snd_wnd = its window; the SYN+ACK has seq kIss, ack rcv_nxt");
  Client c(40001);
  auto r = c.send(kClientIsn, 0, "S", "", 29200);
  REQUIRE(r.size() == 1);
  check_common(r[0], 40001);
  CHECK(flags(r[0]) == "S.");
  CHECK(r[0].seq() == kIss);
  CHECK(r[0].ack() == kClientIsn + 1);  // the SYN counts as one
  CHECK(r[0].window() == 29200);        // its own window, mirrored
  CHECK(r[0].options.empty());          // the article's SYN+ACK: no MSS, so 536-byte segments
  CHECK(r[0].data.empty());
  // The handshake's last ACK changes nothing: no answer.
  CHECK(c.send(kClientIsn + 1, kIss + 1, ".", "", 29200).empty());
}

TEST_CASE("echoall answers a SYN again with the same SYN+ACK when its SYN+ACK was lost",
          "[tcp][step6]")
{
  Client c(40002);
  auto first = c.send(kClientIsn, 0, "S");
  auto again = c.send(kClientIsn, 0, "S");
  REQUIRE(first.size() == 1);
  REQUIRE(again.size() == 1);
  CHECK(flags(again[0]) == "S.");
  CHECK(again[0].seq() == first[0].seq());
  CHECK(again[0].ack() == first[0].ack());
  CHECK(c.send(kClientIsn + 1, kIss + 1, ".").empty());
  auto r = c.send(kClientIsn + 1, kIss + 1, "P.", "one entry");
  REQUIRE(r.size() == 1);
  CHECK(r[0].seq() == kIss + 1);
  CHECK(r[0].data == "one entry");
}

TEST_CASE("echoall echoes in-order data at seq + (iss - irs), odd lengths included",
          "[tcp][step6]")
{
  INFO("rule: an echo goes out at the data's own seq + offset (offset = snd_nxt - rcv_nxt = iss - irs), and acknowledges only what the client has acknowledged of our echo: ack = snd_una - offset");
  Client c(40003);
  c.handshake();
  uint32_t seq = kClientIsn + 1;
  const std::string segments[] = { "hello\n", "odd", std::string(536, 'x'), std::string(1, '\0'),
                                   std::string(1460, 'y') };
  for (const std::string& data : segments)
  {
    CAPTURE(data.size());
    auto r = c.send(seq, kIss + 1, "P.", data);
    REQUIRE(r.size() == 1);
    check_common(r[0], 40003);
    CHECK(flags(r[0]) == "P.");
    CHECK(r[0].seq() == seq + kOffset);  // the offset iss - irs
    // Nothing acknowledged yet: the client has not acknowledged any echo.
    CHECK(r[0].ack() == kClientIsn + 1);
    CHECK(r[0].window() == 64240);  // its window, mirrored
    CHECK(r[0].data == data);
    CHECK(r[0].options.empty());
    seq += static_cast<uint32_t>(data.size());
  }
}

TEST_CASE("echoall acknowledges a byte once the client acknowledges its echo (the mirror ACK)",
          "[tcp][step6]")
{
  INFO("rule: the mirror ACK: a newer ACK from the client moves snd_una (snd_una = its ack, snd_wnd = its window); our ack is then snd_una - offset");
  Client c(40004);
  c.handshake();
  auto echo = c.send(kClientIsn + 1, kIss + 1, "P.", "hello");
  REQUIRE(echo.size() == 1);
  CHECK(echo[0].ack() == kClientIsn + 1);

  // The client's ACK of the echo comes back mirrored: hello is acknowledged.
  auto r = c.send(kClientIsn + 6, kIss + 6, ".", "", 64235);
  REQUIRE(r.size() == 1);
  check_common(r[0], 40004);
  CHECK(flags(r[0]) == ".");
  CHECK(r[0].seq() == kIss + 6);
  CHECK(r[0].ack() == kClientIsn + 6);
  CHECK(r[0].window() == 64235);
  CHECK(r[0].data.empty());

  // The same ACK again moves nothing: no answer (a dup ACK would start a
  // fast retransmit at the client).
  CHECK(c.send(kClientIsn + 6, kIss + 6, ".", "", 64235).empty());
}

TEST_CASE("echoall echoes only what fits in the client's window (the mirror window)",
          "[tcp][step6]")
{
  INFO("rule: the mirror window: we may send up to snd_una + snd_wnd; snd_wnd is the window of the client's newest ACK");
  Client c(40005);
  c.handshake(4);  // the client can take 4 bytes
  auto r = c.send(kClientIsn + 1, kIss + 1, "P.", "abcdef", 4);
  REQUIRE(r.size() == 1);
  check_common(r[0], 40005);
  CHECK(r[0].seq() == kIss + 1);
  CHECK(r[0].ack() == kClientIsn + 1);  // none of abcdef: ef was not echoed, so not taken
  CHECK(r[0].data == "abcd");
  CHECK(r[0].window() == 4);  // ours is its own: it never sends more than it can take back

  // Window full, nothing read yet: the bytes are dropped, a bare ACK says so.
  auto full = c.send(kClientIsn + 5, kIss + 1, "P.", "ef", 4);
  REQUIRE(full.size() == 1);
  CHECK(flags(full[0]) == ".");
  CHECK(full[0].seq() == kIss + 5);
  CHECK(full[0].ack() == kClientIsn + 1);
  CHECK(full[0].data.empty());

  // The client takes abcd and opens its window: we mirror it at once, so
  // its retransmission of ef may come.
  auto open = c.send(kClientIsn + 7, kIss + 5, ".", "", 100);
  REQUIRE(open.size() == 1);
  CHECK(open[0].ack() == kClientIsn + 5);
  CHECK(open[0].window() == 100);
  auto ef = c.send(kClientIsn + 5, kIss + 5, "P.", "ef", 100);
  REQUIRE(ef.size() == 1);
  CHECK(ef[0].seq() == kIss + 5);
  CHECK(ef[0].data == "ef");
  CHECK(ef[0].window() == 100);
}

TEST_CASE("echoall passes on a window update that acknowledges nothing new", "[tcp][step6]")
{
  Client c(40006);
  c.handshake(4);
  REQUIRE(c.send(kClientIsn + 1, kIss + 1, "P.", "abcd", 4).size() == 1);
  // The client takes the echo into its buffer and has no room left ...
  auto zero = c.send(kClientIsn + 5, kIss + 5, ".", "", 0);
  REQUIRE(zero.size() == 1);
  CHECK(zero[0].ack() == kClientIsn + 5);
  CHECK(zero[0].window() == 0);
  // ... then its application reads: the same ACK, a window open again.
  // Unless we pass it on, the client's kernel waits for our window to open.
  auto update = c.send(kClientIsn + 5, kIss + 5, ".", "", 4000);
  REQUIRE(update.size() == 1);
  check_common(update[0], 40006);
  CHECK(flags(update[0]) == ".");
  CHECK(update[0].seq() == kIss + 5);
  CHECK(update[0].ack() == kClientIsn + 5);
  CHECK(update[0].window() == 4000);
}

TEST_CASE("echoall re-acks an old duplicate whose echo was acknowledged, without echoing twice",
          "[tcp][step6]")
{
  Client c(40007);
  c.handshake();
  REQUIRE(c.send(kClientIsn + 1, kIss + 1, "P.", "abc").size() == 1);
  REQUIRE(c.send(kClientIsn + 4, kIss + 4, ".").size() == 1);  // echo acknowledged

  auto r = c.send(kClientIsn + 1, kIss + 4, "P.", "abc");  // the same segment again
  REQUIRE(r.size() == 1);
  check_common(r[0], 40007);
  CHECK(flags(r[0]) == ".");
  CHECK(r[0].seq() == kIss + 4);
  CHECK(r[0].ack() == kClientIsn + 4);
  CHECK(r[0].data.empty());
  // An old ACK (below what it acknowledged before) moves nothing back.
  auto next = c.send(kClientIsn + 4, kIss + 2, "P.", "d");
  REQUIRE(next.size() == 1);
  CHECK(next[0].seq() == kIss + 4);
  CHECK(next[0].ack() == kClientIsn + 4);
  CHECK(next[0].data == "d");
}

TEST_CASE("echoall echoes a retransmission again when the echo was lost", "[tcp][step6]")
{
  Client c(40008);
  c.handshake();
  auto first = c.send(kClientIsn + 1, kIss + 1, "P.", "lost?");
  REQUIRE(first.size() == 1);
  // The echo never arrives, so the client acknowledges nothing and, after
  // its retransmission timeout, sends the same bytes again.
  auto again = c.send(kClientIsn + 1, kIss + 1, "P.", "lost?");
  REQUIRE(again.size() == 1);
  check_common(again[0], 40008);
  CHECK(flags(again[0]) == "P.");
  CHECK(again[0].seq() == first[0].seq());
  CHECK(again[0].ack() == kClientIsn + 1);
  CHECK(again[0].data == "lost?");

  // A retransmission that reaches past what we had: only its unacknowledged
  // part is echoed, from where the client's ACK says its echo stops.
  REQUIRE(c.send(kClientIsn + 6, kIss + 3, ".").size() == 1);  // "lo" came back
  auto longer = c.send(kClientIsn + 1, kIss + 3, "P.", "lost?more");
  REQUIRE(longer.size() == 1);
  CHECK(longer[0].seq() == kIss + 3);
  CHECK(longer[0].ack() == kClientIsn + 3);
  CHECK(longer[0].data == "st?more");
  // and the next new byte follows it
  auto next = c.send(kClientIsn + 10, kIss + 3, "P.", "!");
  REQUIRE(next.size() == 1);
  CHECK(next[0].seq() == kIss + 10);
  CHECK(next[0].data == "!");
}

// RFC 9293 3.10.7.4: segments beyond RCV.NXT "SHOULD be held for later
// processing".  echoall holds them where a mirror can: it echoes each at its
// own place, and the client's out-of-order queue holds the echo.
TEST_CASE("echoall echoes an out-of-order segment at once, at its own place, acking only up to the gap",
          "[tcp][step6]")
{
  Client c(40009);
  c.handshake();
  // "world" arrives before "hello ": a gap of 6 bytes.
  auto r = c.send(kClientIsn + 7, kIss + 1, "P.", "world");
  REQUIRE(r.size() == 1);
  check_common(r[0], 40009);
  CHECK(flags(r[0]) == "P.");
  CHECK(r[0].seq() == kIss + 7);           // its own place in the echo
  CHECK(r[0].ack() == kClientIsn + 1);     // nothing acknowledged past the gap
  CHECK(r[0].data == "world");

  auto hello = c.send(kClientIsn + 1, kIss + 1, "P.", "hello ");
  REQUIRE(hello.size() == 1);
  CHECK(hello[0].seq() == kIss + 1);
  CHECK(hello[0].ack() == kClientIsn + 1);
  CHECK(hello[0].data == "hello ");
  // The client now holds "hello world": its ACK of all 11 bytes releases its own.
  auto ack = c.send(kClientIsn + 12, kIss + 12, ".");
  REQUIRE(ack.size() == 1);
  CHECK(flags(ack[0]) == ".");
  CHECK(ack[0].seq() == kIss + 12);
  CHECK(ack[0].ack() == kClientIsn + 12);
}

TEST_CASE("echoall answers a keep-alive or zero-window probe with an ACK", "[tcp][step6]")
{
  Client c(40010);
  c.handshake();
  // Linux probes with seq one below what we acknowledged, and no data.
  auto r = c.send(kClientIsn, kIss + 1, ".");
  REQUIRE(r.size() == 1);
  CHECK(flags(r[0]) == ".");
  CHECK(r[0].seq() == kIss + 1);
  CHECK(r[0].ack() == kClientIsn + 1);
}

TEST_CASE("echoall echoes a FIN as its own FIN and forgets the connection when both are acked",
          "[tcp][step6]")
{
  INFO("rule: a FIN counts as one byte: after its echo rcv_nxt = end + 1 and fin = true; the entry is erased once the client acknowledges our FIN (snd_una == snd_nxt)");
  Client c(40011);
  c.handshake();
  REQUIRE(c.send(kClientIsn + 1, kIss + 1, "P.", "bye").size() == 1);

  // The FIN rides with the client's ACK of "bye".
  auto fin = c.send(kClientIsn + 4, kIss + 4, "F.");
  REQUIRE(fin.size() == 1);
  check_common(fin[0], 40011);
  CHECK(flags(fin[0]) == "F.");
  CHECK(fin[0].seq() == kIss + 4);
  CHECK(fin[0].ack() == kClientIsn + 4);  // "bye" acked; the FIN once ours is
  CHECK(fin[0].data.empty());

  // The client acknowledges our FIN; we acknowledge its FIN, and forget.
  auto last = c.send(kClientIsn + 5, kIss + 5, ".");
  REQUIRE(last.size() == 1);
  CHECK(flags(last[0]) == ".");
  CHECK(last[0].seq() == kIss + 5);
  CHECK(last[0].ack() == kClientIsn + 5);

  auto after = c.send(kClientIsn + 5, kIss + 5, ".");
  REQUIRE(after.size() == 1);
  CHECK(flags(after[0]) == "R");  // no such connection any more
  CHECK(after[0].seq() == kIss + 5);
}

TEST_CASE("echoall echoes data and FIN of one segment together", "[tcp][step6]")
{
  INFO("rule: data and FIN in one segment: the echo carries both, end = seq + skip + len + 1 for the FIN");
  Client c(40012);
  c.handshake();
  auto r = c.send(kClientIsn + 1, kIss + 1, "FP.", "last words");
  REQUIRE(r.size() == 1);
  check_common(r[0], 40012);
  CHECK(flags(r[0]) == "FP.");
  CHECK(r[0].seq() == kIss + 1);
  CHECK(r[0].data == "last words");
  auto last = c.send(kClientIsn + 12, kIss + 12, ".");
  REQUIRE(last.size() == 1);
  CHECK(last[0].ack() == kClientIsn + 12);  // 10 bytes and the FIN
}

TEST_CASE("echoall echoes the data of a FIN its window cuts, and the FIN only with the last byte",
          "[tcp][step6][fin]")
{
  Client c(40013);
  c.handshake(4);
  auto cut = c.send(kClientIsn + 1, kIss + 1, "FP.", "abcdef", 4);
  REQUIRE(cut.size() == 1);
  CHECK(flags(cut[0]) == "P.");  // no FIN: ef and the FIN did not fit
  CHECK(cut[0].data == "abcd");
  REQUIRE(c.send(kClientIsn + 7, kIss + 5, ".", "", 100).size() == 1);  // abcd back
  auto rest = c.send(kClientIsn + 5, kIss + 5, "FP.", "ef", 100);
  REQUIRE(rest.size() == 1);
  CHECK(flags(rest[0]) == "FP.");
  CHECK(rest[0].seq() == kIss + 5);
  CHECK(rest[0].data == "ef");
  auto last = c.send(kClientIsn + 8, kIss + 8, ".");
  REQUIRE(last.size() == 1);
  CHECK(last[0].ack() == kClientIsn + 8);
}

TEST_CASE("echoall answers a segment of an unknown connection with RST (RFC 9293 3.5.2)",
          "[tcp][step6]")
{
  Client c(40014);
  SECTION("with ACK: the RST takes its seq from the ACK field, and has no ACK")
  {
    auto r = c.send(5000, 777, "P.", "stray");
    REQUIRE(r.size() == 1);
    check_common(r[0], 40014);
    CHECK(flags(r[0]) == "R");
    CHECK(r[0].seq() == 777);
    CHECK(r[0].data.empty());
  }
  SECTION("without ACK: seq 0 and ACK of seq + length, a FIN counting one")
  {
    auto r = c.send(5000, 0, "F", "stray");
    REQUIRE(r.size() == 1);
    check_common(r[0], 40014);
    CHECK(flags(r[0]) == "R.");
    CHECK(r[0].seq() == 0);
    CHECK(r[0].ack() == 5000 + 5 + 1);
  }
  SECTION("a RST is never answered")
  {
    CHECK(c.send(5000, 777, "R").empty());
  }
}

TEST_CASE("echoall forgets a connection the client resets", "[tcp][step6]")
{
  Client c(40015);
  c.handshake();
  REQUIRE(c.send(kClientIsn + 1, kIss + 1, "P.", "ab").size() == 1);
  CHECK(c.send(kClientIsn + 3, kIss + 1, "R.").empty());
  auto r = c.send(kClientIsn + 1, kIss + 1, "P.", "x");
  REQUIRE(r.size() == 1);
  CHECK(flags(r[0]) == "R");
  CHECK(r[0].seq() == kIss + 1);
}

TEST_CASE("echoall starts over on a new SYN for a 4-tuple it holds", "[tcp][step6]")
{
  Client c(40016);
  c.handshake();
  REQUIRE(c.send(kClientIsn + 1, kIss + 1, "P.", "first life").size() == 1);
  // The client was restarted and connects again from the same port, with
  // another ISN: the old connection is gone, the new one starts at kIss.
  const uint32_t isn = 500000;
  auto syn = c.send(isn, 0, "S");
  REQUIRE(syn.size() == 1);
  CHECK(flags(syn[0]) == "S.");
  CHECK(syn[0].seq() == kIss);
  CHECK(syn[0].ack() == isn + 1);
  CHECK(c.send(isn + 1, kIss + 1, ".").empty());
  auto r = c.send(isn + 1, kIss + 1, "P.", "second");
  REQUIRE(r.size() == 1);
  CHECK(r[0].seq() == kIss + 1);
  CHECK(r[0].ack() == isn + 1);
  CHECK(r[0].data == "second");
}

TEST_CASE("echoall ignores an ACK of bytes it never sent, answering with its own ACK",
          "[tcp][step6]")
{
  Client c(40017);
  c.handshake();
  auto r = c.send(kClientIsn + 1, kIss + 100, "P.", "x");
  REQUIRE(r.size() == 1);
  CHECK(flags(r[0]) == ".");
  CHECK(r[0].seq() == kIss + 1);
  CHECK(r[0].ack() == kClientIsn + 1);
  CHECK(r[0].data.empty());
}

TEST_CASE("echoall drops a segment of a known connection that has no ACK", "[tcp][step6]")
{
  Client c(40018);
  c.handshake();
  // RFC 793 section 3.9: "if the ACK bit is off drop the segment and return".
  CHECK(c.send(kClientIsn + 1, 0, "P", "no ack").empty());
  // Nothing of it was taken: the same bytes with an ACK are new data.
  auto r = c.send(kClientIsn + 1, kIss + 1, "P.", "no ack");
  REQUIRE(r.size() == 1);
  CHECK(r[0].seq() == kIss + 1);
  CHECK(r[0].data == "no ack");
}

TEST_CASE("echoall keeps connections apart by their four numbers", "[tcp][step6]")
{
  Client a(40019), b(40020);
  a.handshake();
  b.handshake(64240, 7000);
  REQUIRE(a.send(kClientIsn + 1, kIss + 1, "P.", "aaaa").size() == 1);
  auto r = b.send(7001, kIss + 1, "P.", "bb");
  REQUIRE(r.size() == 1);
  CHECK(ntohs(r[0].tcp.dest) == 40020);
  CHECK(r[0].seq() == kIss + 1);  // b's own sequence space, untouched by a
  CHECK(r[0].ack() == 7001);
  CHECK(r[0].data == "bb");
}

// ---------------------------------------------------------------- the bound

namespace
{

// The first port of the connections that fill the table, one port each.
const uint16_t kFillPort = 50000;

// Opens connections from kFillPort on until a SYN is refused, and returns
// how many were opened: the room the table had.  At most `most` + 1 SYNs.
int fill_table(Client& c, int most)
{
  for (int i = 0; i <= most; ++i)
  {
    const uint16_t port = static_cast<uint16_t>(kFillPort + i);
    auto r = c.send_from(port, kClientIsn, 0, "S");
    REQUIRE(r.size() == 1);
    if (flags(r[0]) != "S.")
      return i;
    c.send_from(port, kClientIsn + 1, kIss + 1, ".");
  }
  return most + 1;
}

void empty_table(Client& c, int n)
{
  for (int i = 0; i < n; ++i)
    CHECK(c.send_from(static_cast<uint16_t>(kFillPort + i), kClientIsn + 1, 0, "R").empty());
}

}  // namespace

TEST_CASE("echoall holds 4096 connections, answers a SYN beyond them with RST+ACK and one line "
          "saying so, and takes one again once an entry is freed", "[tcp][step6][bounds]")
{
  Client c(40021);
  // Every case before this one left the table empty: all 4096 are free.
  const int opened = fill_table(c, 4096);
  REQUIRE(opened == 4096);  // the 4097th SYN was refused

  std::string printed;
  std::vector<Reply> r;
  {
    StdoutCapture capture;
    r = c.send(kClientIsn, 0, "S");
    printed = capture.text();
  }
  REQUIRE(r.size() == 1);
  check_common(r[0], 40021);
  // RFC 9293 section 3.5.2: a SYN has no ACK, so the RST has seq 0 and
  // acknowledges seq + the SYN's length, 1.
  CHECK(flags(r[0]) == "R.");
  CHECK(r[0].seq() == 0);
  CHECK(r[0].ack() == kClientIsn + 1);
  CHECK(r[0].window() == 0);
  CHECK(r[0].data.empty());
  CHECK(printed.find("table full (4096 connections): reset 192.168.0.2.7 > 192.168.0.1.40021\n")
        != std::string::npos);
  // The refused SYN left no entry: its ACK gets a RST too.
  auto none = c.send(kClientIsn + 1, kIss + 1, ".");
  REQUIRE(none.size() == 1);
  CHECK(flags(none[0]) == "R");

  // A SYN of a connection the table holds is still answered: it starts over.
  auto again = c.send_from(kFillPort, kClientIsn, 0, "S");
  REQUIRE(again.size() == 1);
  CHECK(flags(again[0]) == "S.");

  SECTION("an entry freed by RST")
  {
    CHECK(c.send_from(kFillPort + 7, kClientIsn + 1, kIss + 1, "R.").empty());
  }
  SECTION("an entry freed by the end of its FIN exchange")
  {
    const uint16_t port = kFillPort + 7;
    REQUIRE(c.send_from(port, kClientIsn + 1, kIss + 1, "F.").size() == 1);
    REQUIRE(c.send_from(port, kClientIsn + 2, kIss + 2, ".").size() == 1);
  }
  auto syn = c.send(kClientIsn, 0, "S");
  REQUIRE(syn.size() == 1);
  CHECK(flags(syn[0]) == "S.");  // the freed entry is 40021's now
  auto full = c.send_from(kFillPort + 4096, kClientIsn, 0, "S");  // and the table is full again
  REQUIRE(full.size() == 1);
  CHECK(flags(full[0]) == "R.");
  empty_table(c, 4096);
}

// ---------------------------------------------------------------- 2^32

// The kernel picks a random ISN, so one connection in a few hundred million
// crosses 2^32 within its first bytes; here every one does.
TEST_CASE("echoall echoes a stream whose sequence numbers cross 2^32", "[tcp][step6][wrap]")
{
  Client c(40022);
  const uint32_t isn = 0xfffffff0u;  // 16 below 2^32
  c.handshake(64240, isn);
  const uint32_t offset = kIss - isn;  // 2^32 + kIss - isn: the offset wraps too

  uint32_t seq = isn + 1;  // 0xfffffff1
  auto before = c.send(seq, kIss + 1, "P.", "0123456789");
  REQUIRE(before.size() == 1);
  CHECK(before[0].seq() == seq + offset);
  CHECK(before[0].data == "0123456789");
  seq += 10;  // 0xfffffffb

  // 0xfffffffb .. 0x0000000a: the segment that crosses.
  auto across = c.send(seq, kIss + 1, "P.", "across 2^32 here");
  REQUIRE(across.size() == 1);
  check_common(across[0], 40022);
  CHECK(flags(across[0]) == "P.");
  CHECK(across[0].seq() == seq + offset);
  CHECK(across[0].ack() == isn + 1);
  CHECK(across[0].data == "across 2^32 here");
  seq += 16;
  REQUIRE(seq == 0x0000000bu);

  // The client acknowledges both echoes: our ACK crosses 2^32 as well.
  auto ack = c.send(seq, kIss + 27, ".");
  REQUIRE(ack.size() == 1);
  CHECK(ack[0].ack() == seq);

  auto after = c.send(seq, kIss + 27, "P.", "after");
  REQUIRE(after.size() == 1);
  CHECK(after[0].seq() == seq + offset);
  CHECK(after[0].ack() == seq);
  CHECK(after[0].data == "after");

  // The crossing segment again, its echo acknowledged: a bare ACK, no echo.
  auto dup = c.send(seq - 16, kIss + 27, "P.", "across 2^32 here");
  REQUIRE(dup.size() == 1);
  CHECK(flags(dup[0]) == ".");
  CHECK(dup[0].ack() == seq);

  auto fin = c.send(seq + 5, kIss + 32, "F.");
  REQUIRE(fin.size() == 1);
  CHECK(flags(fin[0]) == "F.");
  CHECK(fin[0].seq() == seq + 5 + offset);
  CHECK(fin[0].ack() == seq + 5);
  auto last = c.send(seq + 6, kIss + 33, ".");
  REQUIRE(last.size() == 1);
  CHECK(last[0].ack() == seq + 6);
}

TEST_CASE("echoall takes a SYN at 2^32 - 1, whose first data byte is number 0",
          "[tcp][step6][wrap]")
{
  Client c(40023);
  auto syn = c.send(0xffffffffu, 0, "S");
  REQUIRE(syn.size() == 1);
  CHECK(syn[0].ack() == 0);
  CHECK(c.send(0, kIss + 1, ".").empty());
  auto r = c.send(0, kIss + 1, "P.", "zero");
  REQUIRE(r.size() == 1);
  CHECK(r[0].seq() == kIss + 1);
  CHECK(r[0].ack() == 0);
  CHECK(r[0].data == "zero");
  auto ack = c.send(4, kIss + 5, ".");
  REQUIRE(ack.size() == 1);
  CHECK(ack[0].ack() == 4);
}

TEST_CASE("echoall re-acks an old segment from just below 2^32 after the stream crossed it",
          "[tcp][step6][wrap]")
{
  Client c(40024);
  const uint32_t isn = 0xfffffffau;
  c.handshake(64240, isn);
  REQUIRE(c.send(isn + 1, kIss + 1, "P.", "0123456789").size() == 1);  // to 0x00000004
  REQUIRE(c.send(isn + 11, kIss + 11, ".").size() == 1);               // all acknowledged
  // The first bytes again, from below 2^32: old, not new data far ahead.
  auto r = c.send(isn + 1, kIss + 11, "P.", "0123");
  REQUIRE(r.size() == 1);
  CHECK(flags(r[0]) == ".");
  CHECK(r[0].ack() == isn + 11);
  CHECK(r[0].data.empty());
}

// ---------------------------------------------------------------- a lost echo before the close
//
// Once our FIN has gone out (TcpState's fin), the peer still holds every
// byte of ours it has not acknowledged: if our echo was lost, it sends its
// bytes, its FIN, or both again, and the close completes only if we echo
// them again (issue 26).  Each case replays what the client's kernel sends.

TEST_CASE("echoall echoes data again whose echo was lost before its FIN, and the close completes",
          "[tcp][step6][fin]")
{
  Client c(40025);
  c.handshake();
  REQUIRE(c.send(kClientIsn + 1, kIss + 1, "P.", "abc").size() == 1);  // this echo is lost
  // The client's FIN, acknowledging nothing of ours: we echo it as our FIN.
  auto fin = c.send(kClientIsn + 4, kIss + 1, "F.");
  REQUIRE(fin.size() == 1);
  CHECK(flags(fin[0]) == "F.");
  CHECK(fin[0].seq() == kIss + 4);
  CHECK(fin[0].ack() == kClientIsn + 1);
  // Our FIN came before the bytes it follows: the client's kernel keeps it
  // out of order and, at its timeout, sends "abc" again.
  auto again = c.send(kClientIsn + 1, kIss + 1, "P.", "abc");
  REQUIRE(again.size() == 1);
  check_common(again[0], 40025);
  CHECK(flags(again[0]) == "P.");
  CHECK(again[0].seq() == kIss + 1);
  CHECK(again[0].ack() == kClientIsn + 1);
  CHECK(again[0].data == "abc");
  // Now it holds abc and our FIN: it acknowledges both, we its FIN, and forget.
  auto last = c.send(kClientIsn + 5, kIss + 5, ".");
  REQUIRE(last.size() == 1);
  CHECK(flags(last[0]) == ".");
  CHECK(last[0].seq() == kIss + 5);
  CHECK(last[0].ack() == kClientIsn + 5);
  auto after = c.send(kClientIsn + 5, kIss + 5, ".");
  REQUIRE(after.size() == 1);
  CHECK(flags(after[0]) == "R");  // the connection is closed, its entry gone
}

TEST_CASE("echoall echoes data+FIN again when that echo was lost, and the close completes",
          "[tcp][step6][fin]")
{
  Client c(40026);
  c.handshake();
  auto first = c.send(kClientIsn + 1, kIss + 1, "FP.", "bye");  // this echo is lost
  REQUIRE(first.size() == 1);
  CHECK(flags(first[0]) == "FP.");
  SECTION("nothing of it arrived: all of it again")
  {
    auto again = c.send(kClientIsn + 1, kIss + 1, "FP.", "bye");
    REQUIRE(again.size() == 1);
    check_common(again[0], 40026);
    CHECK(flags(again[0]) == "FP.");
    CHECK(again[0].seq() == kIss + 1);
    CHECK(again[0].ack() == kClientIsn + 1);
    CHECK(again[0].data == "bye");
  }
  SECTION("its first byte arrived (a window cut the echo): the rest and the FIN again")
  {
    CHECK(c.send(kClientIsn + 5, kIss + 2, ".").size() == 1);  // "b" came back
    auto again = c.send(kClientIsn + 1, kIss + 2, "FP.", "bye");
    REQUIRE(again.size() == 1);
    CHECK(flags(again[0]) == "FP.");
    CHECK(again[0].seq() == kIss + 2);
    CHECK(again[0].ack() == kClientIsn + 2);
    CHECK(again[0].data == "ye");
  }
  auto last = c.send(kClientIsn + 5, kIss + 5, ".");
  REQUIRE(last.size() == 1);
  CHECK(flags(last[0]) == ".");
  CHECK(last[0].seq() == kIss + 5);
  CHECK(last[0].ack() == kClientIsn + 5);  // 3 bytes and the FIN
  auto after = c.send(kClientIsn + 5, kIss + 5, ".");
  REQUIRE(after.size() == 1);
  CHECK(flags(after[0]) == "R");
}

TEST_CASE("echoall echoes a bare FIN again when its echo was lost, and the close completes",
          "[tcp][step6][fin]")
{
  Client c(40027);
  c.handshake();
  REQUIRE(c.send(kClientIsn + 1, kIss + 1, "P.", "abc").size() == 1);
  REQUIRE(c.send(kClientIsn + 4, kIss + 4, ".").size() == 1);  // the echo acknowledged
  auto first = c.send(kClientIsn + 4, kIss + 4, "F.");  // this echo is lost
  REQUIRE(first.size() == 1);
  CHECK(flags(first[0]) == "F.");
  // The client's FIN again, at its retransmission timeout.
  auto again = c.send(kClientIsn + 4, kIss + 4, "F.");
  REQUIRE(again.size() == 1);
  check_common(again[0], 40027);
  CHECK(flags(again[0]) == "F.");
  CHECK(again[0].seq() == kIss + 4);
  CHECK(again[0].ack() == kClientIsn + 4);
  CHECK(again[0].data.empty());
  auto last = c.send(kClientIsn + 5, kIss + 5, ".");
  REQUIRE(last.size() == 1);
  CHECK(flags(last[0]) == ".");
  CHECK(last[0].ack() == kClientIsn + 5);
  auto after = c.send(kClientIsn + 5, kIss + 5, ".");
  REQUIRE(after.size() == 1);
  CHECK(flags(after[0]) == "R");
}

TEST_CASE("echoall echoes nothing past the FIN it echoed, answering with an ACK",
          "[tcp][step6][fin]")
{
  Client c(40028);
  c.handshake();
  REQUIRE(c.send(kClientIsn + 1, kIss + 1, "FP.", "end").size() == 1);
  // Bytes after the FIN, and bytes that run into it: a peer that closed sends neither.
  for (uint32_t seq : { kClientIsn + 5, kClientIsn + 3 })
  {
    CAPTURE(seq);
    auto r = c.send(seq, kIss + 1, "P.", "more");
    REQUIRE(r.size() == 1);
    CHECK(flags(r[0]) == ".");
    CHECK(r[0].seq() == kIss + 5);
    CHECK(r[0].ack() == kClientIsn + 1);
    CHECK(r[0].data.empty());
  }
}
