// synflood - a SYN flood from random source addresses, as `hping3 -S --flood
// --rand-source` sends, towards the hosts a faketcp program plays behind a
// tun device; and a count of the SYN+ACKs that come back.
//
//   tests/bin/synflood [-n COUNT] [-w IN_FLIGHT] [-s SEED] IFNAME
//   e.g. synflood -n 1000000 tun0      (after ./echoall, in a private namespace)
//
// Run it inside a network namespace of your own: every SYN goes through
// IFNAME, whose network (192.168.0.0/24 for tun0 at 192.168.0.1/24) names
// the destinations; the answers go to made-up addresses that no route leads
// to, so the kernel drops them where they arrive.
//
// Each SYN has a random source address (any unicast address outside
// IFNAME's network, 0/8, 127/8 and 224/3), source port and ISN, and goes to
// a random host of the network (not the network or broadcast address, not
// ours) and a random port, through a raw socket (IP_HDRINCL).  A packet
// socket on IFNAME sees the program's SYN+ACKs arrive.  At most IN_FLIGHT
// SYNs are unanswered at once (default 256, below tun's queue of 500), so
// the flood goes as fast as the program answers and no SYN is lost on the
// way in; after 1 s without an answer the unanswered ones count as lost.
//
// Prints "synflood: sent N SYNs from random sources to IFNAME's network,
// M answered with SYN+ACK, L lost, in S s" and exits 1 if any send failed.
// A RST is an answer too (a program whose table is full, as discardall2's):
// then ", R with RST" follows M.
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>   // ETH_P_IP
#include <linux/if_packet.h>  // struct sockaddr_ll, PACKET_OUTGOING
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

// put16/put32 and the RFC 1071 checksum: the tests' own (tests/support).
#include "tests/support/rawsock.h"
#include "tests/support/reference.h"

static uint64_t rng_state;

// xorshift64*: fast, and the same flood again for the same -s SEED.
static uint32_t random32()
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return static_cast<uint32_t>((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

// A unicast address outside [net, net | ~mask], 0/8, 127/8 and 224/3, in
// host byte order.
static uint32_t random_source(uint32_t net, uint32_t mask)
{
  for (;;)
  {
    const uint32_t a = random32();
    const uint32_t first = a >> 24;
    if (first == 0 || first == 127 || first >= 224 || (a & mask) == net)
      continue;
    return a;
  }
}

static double now_s()
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage()
{
  fprintf(stderr, "usage: synflood [-n COUNT 1..10000000] [-w IN_FLIGHT 1..4096] [-s SEED] IFNAME\n"
                  "  sends COUNT SYNs from random sources to random hosts of IFNAME's network\n");
  exit(2);
}

static long number(const char* text, long min, long max)
{
  char* end = nullptr;
  errno = 0;
  const long v = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || errno || v < min || v > max)
    usage();
  return v;
}

// Reads every packet waiting on the packet socket; returns how many were
// SYN+ACKs coming in to an address outside the network (ours, not nc's),
// and adds the RSTs to *resets.
static long count_answers(int packet, uint32_t net, uint32_t mask, long* resets)
{
  long answers = 0;
  unsigned char buf[2048];
  for (;;)
  {
    struct sockaddr_ll from;
    socklen_t fromlen = sizeof from;
    const ssize_t n = recvfrom(packet, buf, sizeof buf, MSG_DONTWAIT,
                               reinterpret_cast<struct sockaddr*>(&from), &fromlen);
    if (n < 0)
      return answers;
    if (from.sll_pkttype == PACKET_OUTGOING || n < 20)
      continue;  // our own SYNs on their way out, or not IPv4
    const size_t ihl = (buf[0] & 0x0f) * 4u;
    if ((buf[0] >> 4) != 4 || buf[9] != IPPROTO_TCP || static_cast<size_t>(n) < ihl + 14)
      continue;
    const uint32_t daddr = get32(buf + 16);
    if ((daddr & mask) == net)
      continue;
    if ((buf[ihl + 13] & 0x12) == 0x12)
      ++answers;
    else if (buf[ihl + 13] & 0x04)
      ++*resets;
  }
}

int main(int argc, char* argv[])
{
  long count = 1000, window = 256;
  rng_state = static_cast<uint64_t>(time(nullptr)) * 2654435761u + getpid();
  int c;
  while ((c = getopt(argc, argv, "n:w:s:h")) != -1)
  {
    switch (c)
    {
      case 'n': count = number(optarg, 1, 10000000); break;
      case 'w': window = number(optarg, 1, 4096); break;
      case 's': rng_state = static_cast<uint64_t>(number(optarg, 1, 0x7fffffff)) * 2654435761u; break;
      default: usage();
    }
  }
  if (argc - optind != 1)
    usage();
  const char* ifname = argv[optind];
  TunSockets sock;
  if (!tun_sockets_open("synflood", ifname, &sock))
    return 1;
  const int raw = sock.raw, packet = sock.packet;
  struct sockaddr_ll& dev = sock.dev;
  if (bind(packet, reinterpret_cast<struct sockaddr*>(&dev), sizeof dev) < 0)
  {
    fprintf(stderr, "synflood: bind to %s: %s\n", ifname, strerror(errno));
    return 1;
  }
  const int rcvbuf = 8 << 20;  // beyond net.core.rmem_max: we are root (CAP_NET_ADMIN)
  setsockopt(packet, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);

  // The network: the device's address and netmask.
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
  const uint32_t ours = ntohl(sock.addr);
  if (ioctl(raw, SIOCGIFNETMASK, &ifr) < 0)
  {
    fprintf(stderr, "synflood: SIOCGIFNETMASK %s: %s\n", ifname, strerror(errno));
    return 1;
  }
  const uint32_t mask = ntohl(reinterpret_cast<struct sockaddr_in*>(&ifr.ifr_netmask)->sin_addr.s_addr);
  const uint32_t net = ours & mask;
  const uint32_t hosts = ~mask;  // host numbers 1 .. hosts - 1
  if (hosts < 3)
  {
    fprintf(stderr, "synflood: %s's network has no host besides ours\n", ifname);
    return 1;
  }

  const double start = now_s();
  long sent = 0, answered = 0, reset = 0, lost = 0, failed = 0;
  double last_answer = start;
  while (sent < count || sent - answered - reset - lost > 0)
  {
    while (sent < count && sent - answered - reset - lost < window)
    {
      uint32_t dest;
      do
        dest = net | (1 + random32() % (hosts - 1));
      while (dest == ours);
      const uint32_t source = random_source(net, mask);
      unsigned char p[40] = {};
      p[0] = 0x45;
      put16(p + 2, sizeof p);
      p[8] = 64;
      p[9] = IPPROTO_TCP;
      put32(p + 12, source);
      put32(p + 16, dest);
      put16(p + 20, static_cast<uint16_t>(1024 + random32() % 64512));  // source port
      put16(p + 22, static_cast<uint16_t>(1 + random32() % 65535));     // destination port
      put32(p + 24, random32());                                        // ISN
      p[32] = 5 << 4;
      p[33] = 0x02;                                                     // SYN
      put16(p + 34, 64240);
      put16(p + 36, rfc1071_checksum(p + 20, 20, tcp_pseudo_header_sum(p, 20)));
      ip_fix_checksum(p, sizeof p);  // the kernel fills it in anyway
      struct sockaddr_in to;
      memset(&to, 0, sizeof to);
      to.sin_family = AF_INET;
      to.sin_addr.s_addr = htonl(dest);
      if (sendto(raw, p, sizeof p, 0, reinterpret_cast<struct sockaddr*>(&to), sizeof to) != sizeof p)
      {
        if (failed++ == 0)
          fprintf(stderr, "synflood: sendto: %s\n", strerror(errno));
        if (failed > 100)
          break;
        continue;
      }
      ++sent;
    }
    if (failed > 100)
      break;
    struct pollfd pfd = { packet, POLLIN, 0 };
    poll(&pfd, 1, 100);
    const long resets_before = reset;
    const long synacks = count_answers(packet, net, mask, &reset);
    answered += synacks;
    const double now = now_s();
    if (synacks > 0 || reset > resets_before)
      last_answer = now;
    else if (now - last_answer > 1.0)
    {
      lost += sent - answered - reset - lost;  // a second of silence: they are not coming
      last_answer = now;
    }
  }
  char resets_text[32] = "";
  if (reset > 0)
    snprintf(resets_text, sizeof resets_text, ", %ld with RST", reset);
  printf("synflood: sent %ld SYNs from random sources to %s's network, %ld answered with"
         " SYN+ACK%s, %ld lost, in %.1f s\n", sent, ifname, answered, resets_text, lost,
         now_s() - start);
  return failed ? 1 : 0;
}
