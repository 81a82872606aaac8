// rawsend - sends a fixed burst of odd IPv4 packets through a tun device, so
// that a test can check the program behind it survives them.
//
//   tests/bin/rawsend [-n ROUNDS] IFNAME DEST      e.g.  rawsend tun0 192.168.0.2
//
// Run it inside a network namespace of your own: every packet goes to DEST
// through IFNAME, the tun device the program under test reads.
//
// Two ways in, because a raw socket cannot carry every kind of damage:
//
// * A raw socket with IP_HDRINCL (socket(AF_INET, SOCK_RAW, IPPROTO_RAW))
//   sends our IP header, routed to DEST like any packet.  But Linux
//   (raw_send_hdrinc in net/ipv4/raw.c) rewrites part of it: it always sets
//   tot_len to the bytes we hand it and recomputes the header checksum, fills
//   in id and saddr when they are 0, and refuses ihl below 5 or beyond the
//   packet (EINVAL).  What it carries unchanged is everything after the first
//   20 bytes and the remaining fields: truncated TCP, doff 0 and 15, odd
//   lengths, UDP, unknown protocols, fragments (MF bit, offsets), IP options.
// * A packet socket (AF_PACKET) bound to IFNAME hands our bytes to the
//   device exactly as they are, so the tun device gives them to its reader
//   untouched: this carries what the kernel would have fixed or refused: ihl
//   below 5 or beyond tot_len, tot_len beyond the bytes or below the header,
//   a wrong header checksum, versions other than 4, packets shorter than an
//   IP header.
//
// It prints "rawsend: sent N packets ..." and exits 1 if any send failed.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>    // ETH_P_IP
#include <linux/if_packet.h>   // struct sockaddr_ll
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>  // std::copy, std::min
#include <vector>

// Bytes, put16 and the RFC 1071 checksum: the tests' own, kept apart from
// faketcp.cc on purpose (a test tool should not share the code it tests).
#include "tests/support/rawsock.h"
#include "tests/support/reference.h"

static uint32_t g_saddr, g_daddr;  // network byte order

// A well-formed IPv4 header (ihl 5 plus `options`, which must be a multiple
// of 4 bytes) followed by `payload`, with tot_len and checksum right.
static Bytes ip_packet(int protocol, const Bytes& payload, const Bytes& options = Bytes(),
                       uint16_t frag_off = 0)
{
  Bytes pkt(20 + options.size() + payload.size());
  struct iphdr ip;
  memset(&ip, 0, sizeof ip);
  ip.version = 4;
  ip.ihl = static_cast<unsigned>((20 + options.size()) / 4);
  ip.tot_len = htons(static_cast<uint16_t>(pkt.size()));
  ip.id = htons(4242);
  ip.frag_off = htons(frag_off);
  ip.ttl = 64;
  ip.protocol = static_cast<uint8_t>(protocol);
  ip.saddr = g_saddr;
  ip.daddr = g_daddr;
  memcpy(pkt.data(), &ip, sizeof ip);
  // std::copy, not memcpy: an empty vector's data() may be a null pointer.
  std::copy(options.begin(), options.end(), pkt.begin() + 20);
  std::copy(payload.begin(), payload.end(), pkt.begin() + 20 + options.size());
  ip_fix_checksum(pkt);
  return pkt;
}

// A TCP header with the given doff and flags byte, then `extra` bytes of
// 0xab (options or payload).  The checksum covers the RFC 793 pseudo-header,
// so a segment that is long enough looks like a real one.
static Bytes tcp_segment(int doff, uint8_t flags, size_t extra)
{
  Bytes seg(20 + extra, 0xab);
  const uint16_t sport = 40000, dport = 2000;
  put16(&seg[0], sport);
  put16(&seg[2], dport);
  put32(&seg[4], 1000);             // seq
  put32(&seg[8], 2000);             // ack
  seg[12] = static_cast<unsigned char>(doff << 4);
  seg[13] = flags;
  put16(&seg[14], 4096);            // window
  put16(&seg[16], 0);               // checksum, below
  put16(&seg[18], 0);               // urgent pointer
  // The pseudo-header's addresses are the ones ip_packet will write.
  unsigned char ip[20] = {};
  memcpy(ip + 12, &g_saddr, 4);
  memcpy(ip + 16, &g_daddr, 4);
  put16(&seg[16], rfc1071_checksum(seg.data(), seg.size(), tcp_pseudo_header_sum(ip, seg.size())));
  return seg;
}

static Bytes icmp_echo(size_t payload_len, bool good_sum = true)
{
  Bytes msg(8 + payload_len, 0x5a);
  msg[0] = 8;   // echo request
  msg[1] = 0;
  msg[2] = msg[3] = 0;
  put16(&msg[4], 0x1234);  // id
  put16(&msg[6], 1);       // sequence
  put16(&msg[2], rfc1071_checksum(msg.data(), msg.size()) ^ (good_sum ? 0 : 0x0101));
  return msg;
}

// The first n bytes of b: a packet cut short.
static Bytes first(Bytes b, size_t n)
{
  b.resize(std::min(n, b.size()));
  return b;
}

enum Way { kHdrincl, kPacket };

struct Case
{
  const char* name;
  Way way;
  Bytes bytes;
};

static std::vector<Case> make_cases()
{
  const uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20;
  const Bytes nop4 = { 1, 1, 1, 1 };
  Bytes junk40(40, 0xff);          // 40 bytes of option type 255, no length: nonsense
  Bytes bad_ts = { 0x44, 0xff, 5, 0 };  // timestamp option claiming 255 bytes
  bad_ts.resize(40, 0);
  std::vector<Case> cases = {
    // TCP segments shorter than a TCP header (ip_check passes, tcp_check must not).
    { "tcp 0 bytes", kHdrincl, ip_packet(IPPROTO_TCP, Bytes()) },
    { "tcp 1 byte", kHdrincl, ip_packet(IPPROTO_TCP, Bytes(1, 0x02)) },
    { "tcp 13 bytes", kHdrincl, ip_packet(IPPROTO_TCP, Bytes(13, 0xff)) },
    { "tcp 19 bytes", kHdrincl, ip_packet(IPPROTO_TCP, first(tcp_segment(5, SYN, 0), 19)) },
    // doff outside 5..segment/4.
    { "tcp doff 0 SYN", kHdrincl, ip_packet(IPPROTO_TCP, tcp_segment(0, SYN, 0)) },
    { "tcp doff 4 SYN", kHdrincl, ip_packet(IPPROTO_TCP, tcp_segment(4, SYN, 0)) },
    { "tcp doff 15 in 20 bytes", kHdrincl, ip_packet(IPPROTO_TCP, tcp_segment(15, SYN, 0)) },
    { "tcp doff 15 in 59 bytes", kHdrincl, ip_packet(IPPROTO_TCP, tcp_segment(15, SYN, 39)) },
    // doff 15 that fits: 40 bytes of nonsense options, every flag set.
    { "tcp doff 15 every flag", kHdrincl,
      ip_packet(IPPROTO_TCP, tcp_segment(15, FIN | SYN | RST | PSH | ACK | URG, 40)) },
    // Odd lengths: 1 and 3 payload bytes; a FIN with data; a bare ACK.
    { "tcp SYN odd length 21", kHdrincl, ip_packet(IPPROTO_TCP, tcp_segment(5, SYN, 1)) },
    { "tcp PSH|ACK odd length 23", kHdrincl, ip_packet(IPPROTO_TCP, tcp_segment(5, PSH | ACK, 3)) },
    { "tcp FIN|ACK with data", kHdrincl, ip_packet(IPPROTO_TCP, tcp_segment(5, FIN | ACK, 7)) },
    { "tcp no flags", kHdrincl, ip_packet(IPPROTO_TCP, tcp_segment(5, 0, 0)) },
    { "tcp RST", kHdrincl, ip_packet(IPPROTO_TCP, tcp_segment(5, RST | ACK, 0)) },
    // UDP, whole and truncated; ICMP short, odd, wrong checksum, other types.
    { "udp 13 bytes", kHdrincl, ip_packet(IPPROTO_UDP, Bytes(13, 0x35)) },
    { "udp 3 bytes", kHdrincl, ip_packet(IPPROTO_UDP, Bytes(3, 0x35)) },
    { "icmp 0 bytes", kHdrincl, ip_packet(IPPROTO_ICMP, Bytes()) },
    { "icmp 1 byte", kHdrincl, ip_packet(IPPROTO_ICMP, Bytes(1, 8)) },
    { "icmp echo 7 bytes", kHdrincl, ip_packet(IPPROTO_ICMP, first(icmp_echo(0), 7)) },
    { "icmp echo odd length 9", kHdrincl, ip_packet(IPPROTO_ICMP, icmp_echo(1)) },
    { "icmp echo wrong checksum", kHdrincl, ip_packet(IPPROTO_ICMP, icmp_echo(56, false)) },
    { "icmp timestamp request", kHdrincl, ip_packet(IPPROTO_ICMP, Bytes{ 13, 0, 0xf2, 0xff, 0, 0, 0, 0 }) },
    // Protocols nobody here speaks.
    { "protocol 0", kHdrincl, ip_packet(0, Bytes(8, 0)) },
    { "protocol 41 (IPv6 in IPv4)", kHdrincl, ip_packet(41, Bytes(40, 0x60)) },
    { "protocol 47 (GRE)", kHdrincl, ip_packet(47, Bytes(4, 0)) },
    { "protocol 132 (SCTP)", kHdrincl, ip_packet(132, Bytes(12, 0)) },
    { "protocol 255", kHdrincl, ip_packet(255, Bytes(1, 0)) },
    // Fragments: the first with MF, a later one with an offset, an ICMP one.
    { "fragment MF tcp SYN", kHdrincl, ip_packet(IPPROTO_TCP, tcp_segment(5, SYN, 0), Bytes(), IP_MF) },
    { "fragment offset 8", kHdrincl, ip_packet(IPPROTO_TCP, Bytes(12, 0xcd), Bytes(), 1) },
    { "fragment MF icmp echo", kHdrincl, ip_packet(IPPROTO_ICMP, icmp_echo(16), Bytes(), IP_MF) },
    // IP options: short, full length, nonsense, then protocols behind them.
    { "options nop tcp SYN", kHdrincl, ip_packet(IPPROTO_TCP, tcp_segment(5, SYN, 0), nop4) },
    { "options 40 bytes junk icmp echo", kHdrincl, ip_packet(IPPROTO_ICMP, icmp_echo(8), junk40) },
    { "options bad timestamp tcp 7 bytes", kHdrincl, ip_packet(IPPROTO_TCP, Bytes(7, 0), bad_ts) },
    { "options 40 bytes tcp doff 15", kHdrincl, ip_packet(IPPROTO_TCP, tcp_segment(15, SYN, 0), junk40) },
  };

  // What only a packet socket can carry: start from a good echo request and
  // break one thing.
  const Bytes echo = ip_packet(IPPROTO_ICMP, icmp_echo(24));
  Bytes p;
  cases.push_back({ "1 byte", kPacket, Bytes(1, 0x45) });
  cases.push_back({ "19 bytes", kPacket, first(echo, 19) });
  p = echo; p[0] = 0x40; ip_fix_checksum(p);
  cases.push_back({ "ihl 0", kPacket, p });
  p = echo; p[0] = 0x44; ip_fix_checksum(p);
  cases.push_back({ "ihl 4", kPacket, p });
  p = echo; p[0] = 0x4f; ip_fix_checksum(p);
  cases.push_back({ "ihl 15 in a 52-byte packet", kPacket, p });
  p = echo; p[2] = 0; p[3] = 0; ip_fix_checksum(p);
  cases.push_back({ "tot_len 0", kPacket, p });
  p = echo; p[2] = 0; p[3] = 19; ip_fix_checksum(p);
  cases.push_back({ "tot_len 19", kPacket, p });
  p = echo; p[2] = 0xff; p[3] = 0xff; ip_fix_checksum(p);
  cases.push_back({ "tot_len 65535", kPacket, p });
  p = echo; p[2] = 0; p[3] = static_cast<unsigned char>(echo.size() + 1); ip_fix_checksum(p);
  cases.push_back({ "tot_len one beyond", kPacket, p });
  p = echo; p[11] ^= 0x01;
  cases.push_back({ "wrong IP checksum", kPacket, p });
  p = echo; p[0] = 0x55; ip_fix_checksum(p);
  cases.push_back({ "version 5", kPacket, p });
  p = echo; p[0] = 0x05; ip_fix_checksum(p);
  cases.push_back({ "version 0", kPacket, p });
  p = Bytes(40, 0); p[0] = 0x60;
  cases.push_back({ "IPv6 header only", kPacket, p });
  // tot_len shorter than the bytes: valid, the tail is not the packet's.
  p = echo; p.resize(echo.size() + 13, 0xee);
  cases.push_back({ "13 bytes past tot_len", kPacket, p });
  // tot_len cuts a TCP header short, though the bytes are there.
  p = ip_packet(IPPROTO_TCP, tcp_segment(5, SYN, 0)); p[3] = 30; ip_fix_checksum(p);
  cases.push_back({ "tot_len cuts tcp header", kPacket, p });
  return cases;
}

static void usage()
{
  fprintf(stderr, "usage: rawsend [-n ROUNDS 1..1000] IFNAME DEST\n"
                  "  sends a fixed burst of malformed IPv4 packets to DEST through IFNAME\n");
  exit(2);
}

int main(int argc, char* argv[])
{
  long rounds = 1;
  int c;
  while ((c = getopt(argc, argv, "n:h")) != -1)
  {
    char* end = nullptr;
    if (c == 'n')
      rounds = strtol(optarg, &end, 10);
    if (c != 'n' || *optarg == '\0' || *end != '\0' || rounds < 1 || rounds > 1000)
      usage();
  }
  if (argc - optind != 2)
    usage();
  const char* ifname = argv[optind];
  if (inet_pton(AF_INET, argv[optind + 1], &g_daddr) != 1)
    usage();

  TunSockets sock;
  if (!tun_sockets_open("rawsend", ifname, &sock))
    return 1;
  g_saddr = sock.addr;  // our source address: the one the device has (192.168.0.1 by default)

  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = g_daddr;

  const std::vector<Case> cases = make_cases();
  long sent = 0, failed = 0, via_raw = 0, via_packet = 0;
  for (long r = 0; r < rounds; ++r)
  {
    for (const Case& k : cases)
    {
      ssize_t n;
      if (k.way == kHdrincl)
        n = sendto(sock.raw, k.bytes.data(), k.bytes.size(), 0,
                   reinterpret_cast<const struct sockaddr*>(&to), sizeof to);
      else
        n = sendto(sock.packet, k.bytes.data(), k.bytes.size(), 0,
                   reinterpret_cast<const struct sockaddr*>(&sock.dev), sizeof sock.dev);
      if (n != static_cast<ssize_t>(k.bytes.size()))
      {
        if (r == 0)
          fprintf(stderr, "rawsend: %s: sendto: %s\n", k.name,
                  n < 0 ? strerror(errno) : "short send");
        ++failed;
        continue;
      }
      ++sent;
      ++(k.way == kHdrincl ? via_raw : via_packet);
    }
    usleep(2000);  // a burst, not a flood: let the reader keep up
  }
  printf("rawsend: sent %ld packets (%zu kinds x %ld rounds: %ld via IP_HDRINCL, %ld via"
         " AF_PACKET on %s), %ld failed\n",
         sent, cases.size(), rounds, via_raw, via_packet, ifname, failed);
  return failed ? 1 : 0;
}
