// connectmany.cc - step 5: play COUNT TCP clients that connect to a server
// on this host, from addresses that exist only in this program.
//
// Read its source, then run it as:   sudo ./connectmany 192.168.0.1 2007 1000
// with a server listening on port 2007, e.g. a shell loop in another window:
//                                    nc -lk 2007    (holds one at a time)
//                                    make && tests/holdserver 2007
// and count what the server holds:  ss -Htn state established '( sport = :2007 )' | wc -l
#include "faketcp.h"

#include <algorithm>  // std::swap
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

static const char kUsage[] =
  "usage: connectmany [-i IFNAME] [-a ADDR/PREFIX] [--pcap FILE] IP PORT COUNT\n"
  "  Plays COUNT TCP clients from 192.168.0.2, .3, ... (source ports 1024..65535\n"
  "  on each address) that connect to the server at IP:PORT, e.g.\n"
  "      connectmany 192.168.0.1 2007 1000\n"
  "  扮演 COUNT 个 TCP 客户端（源地址 192.168.0.2, .3, ...，每个地址用源端口\n"
  "  1024..65535），连接到 IP:PORT 上的服务器。\n";

// As in discardall, plus the client's side of the handshake: a SYN+ACK (the
// answer to a SYN of ours) gets the ACK that completes it.  The article
// passes a flag `passive` for this; the segment itself says which case it
// is, and a SYN+ACK that a server sends again (because our ACK found its
// accept queue full) must be acked again, even after connect_many is done.
void tcp_input(int fd, const void* input, const void* payload, int tot_len)
{
  const struct iphdr* iphdr = static_cast<const struct iphdr*>(input);
  const int iphdr_len = iphdr->ihl * 4;
  const int tcp_seg_len = tot_len - iphdr_len;
  if (!tcp_check(payload, tcp_seg_len))
  {
    bad_packet("TCP segment shorter than its header (doff)", input, tot_len);
    return;
  }
  const struct tcphdr* tcphdr = static_cast<const struct tcphdr*>(payload);
  const int tcphdr_len = tcphdr->doff * 4;
  const int payload_len = tcp_seg_len - tcphdr_len;

  tcp_print(iphdr, tcphdr, payload_len);

  struct
  {
    struct iphdr iphdr;
    struct tcphdr tcphdr;
  } out;
  static_assert(sizeof out == 20 + 20, "IP header then TCP header, no padding");
  memset(&out, 0, sizeof out);

  // IP header: the segment's own, addresses swapped, options dropped.
  memcpy(&out.iphdr, iphdr, sizeof out.iphdr);
  out.iphdr.ihl = sizeof out.iphdr / 4;
  out.iphdr.tot_len = htons(sizeof out);
  std::swap(out.iphdr.saddr, out.iphdr.daddr);
  out.iphdr.check = 0;
  out.iphdr.check = in_checksum(&out.iphdr, sizeof out.iphdr);

  out.tcphdr.source = tcphdr->dest;
  out.tcphdr.dest = tcphdr->source;
  out.tcphdr.doff = sizeof out.tcphdr / 4;
  out.tcphdr.window = htons(5000);

  bool response = false;
  if (tcphdr->syn)
  {
    // passive: the other side opens a connection to us, answer SYN+ACK.
    // Otherwise it answers our SYN (seq 123456): answer with an ACK alone.
    const bool passive = !tcphdr->ack;
    // We keep no state, so every connection gets the same initial sequence
    // number; a real stack picks an unpredictable one (RFC 6528).
    out.tcphdr.seq = htonl(passive ? 123456 : 123457);
    out.tcphdr.ack_seq = htonl(ntohl(tcphdr->seq) + 1);  // the SYN counts as one
    out.tcphdr.syn = passive;
    out.tcphdr.ack = 1;
    response = true;
  }
  else if (tcphdr->fin)
  {
    // Our SYN used 123456, so our FIN is 123457.  The FIN counts as one,
    // after whatever data rides in the same segment.
    out.tcphdr.seq = htonl(123457);
    out.tcphdr.ack_seq = htonl(ntohl(tcphdr->seq) + payload_len + 1);
    out.tcphdr.fin = 1;
    out.tcphdr.ack = 1;
    response = true;
  }
  else if (payload_len > 0)
  {
    // A bare ACK saying "I have everything up to here", no data of our own.
    // Being stateless we ack whatever arrives, even past a gap; a real
    // receiver acks only what it holds in order.
    out.tcphdr.seq = htonl(123457);
    out.tcphdr.ack_seq = htonl(ntohl(tcphdr->seq) + payload_len);
    out.tcphdr.ack = 1;
    response = true;
  }

  if (response)
  {
    out.tcphdr.check = tcp_checksum(&out.iphdr, &out.tcphdr, sizeof out.tcphdr);
    tun_write(fd, &out, sizeof out);
  }
}

static int64_t now_ms()
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Plays one client: sends a SYN from saddr:sport to daddr:dport (all in
// network byte order), then waits for the server's SYN+ACK and answers it
// through tcp_input, which sends the ACK that completes the handshake.
// Returns false when the server refuses (RST) or stays silent for a second.
// Packets that are not the answer are served as the main loop serves them,
// not mistaken for it (the article takes whatever comes next).
bool connect_one(int fd, uint32_t daddr, uint16_t dport, uint32_t saddr, uint16_t sport)
{
  {
    struct
    {
      struct iphdr iphdr;
      struct tcphdr tcphdr;
    } out;
    static_assert(sizeof out == 20 + 20, "IP header then TCP header, no padding");
    memset(&out, 0, sizeof out);

    out.iphdr.version = IPVERSION;
    out.iphdr.ihl = sizeof out.iphdr / 4;
    out.iphdr.tos = 0;
    out.iphdr.tot_len = htons(sizeof out);
    out.iphdr.id = htons(55564);       // any value will do: DF forbids fragments
    out.iphdr.frag_off = htons(IP_DF);
    out.iphdr.ttl = IPDEFTTL;          // 64
    out.iphdr.protocol = IPPROTO_TCP;
    out.iphdr.saddr = saddr;
    out.iphdr.daddr = daddr;
    out.iphdr.check = in_checksum(&out.iphdr, sizeof out.iphdr);

    out.tcphdr.source = sport;
    out.tcphdr.dest = dport;
    out.tcphdr.seq = htonl(123456);
    out.tcphdr.ack_seq = 0;
    out.tcphdr.doff = sizeof out.tcphdr / 4;
    out.tcphdr.syn = 1;                // active open
    out.tcphdr.window = htons(4096);
    out.tcphdr.check = tcp_checksum(&out.iphdr, &out.tcphdr, sizeof out.tcphdr);
    tun_write(fd, &out, sizeof out);
  }

  const int64_t deadline = now_ms() + 1000;
  for (;;)
  {
    // poll() before read(): a read() on the tun fd would wait forever for a
    // server that never answers.
    const int64_t left = deadline - now_ms();
    struct pollfd pfd = { fd, POLLIN, 0 };
    const int ready = left > 0 ? poll(&pfd, 1, static_cast<int>(left)) : 0;
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready < 0)
    {
      perror("poll on tunnel interface");
      exit(1);
    }
    if (ready == 0)
      return false;  // no answer in time

    union
    {
      unsigned char buf[IP_MAXPACKET];
      struct iphdr iphdr;
    };

    int nread = tun_read(fd, buf, sizeof buf);
    if (nread < 0)
    {
      perror("read from tunnel interface");
      close(fd);
      exit(1);
    }

    const char* why = nullptr;
    if (!ip_check(buf, nread, &why))
    {
      bad_packet(why, buf, nread);
      continue;
    }
    const int iphdr_len = iphdr.ihl * 4;
    const int tot_len = ntohs(iphdr.tot_len);
    const void* payload = buf + iphdr_len;
    if (iphdr.protocol == IPPROTO_ICMP)
    {
      icmp_input(fd, buf, payload, tot_len);
      continue;
    }
    if (iphdr.protocol != IPPROTO_TCP)
      continue;
    if (!tcp_check(payload, tot_len - iphdr_len))
    {
      bad_packet("TCP segment shorter than its header (doff)", buf, tot_len);
      continue;
    }
    const struct tcphdr* tcphdr = static_cast<const struct tcphdr*>(payload);
    const bool ours = iphdr.saddr == daddr && tcphdr->source == dport
                      && iphdr.daddr == saddr && tcphdr->dest == sport;
    if (ours && tcphdr->rst)
    {
      tcp_print(&iphdr, tcphdr, tot_len - iphdr_len - tcphdr->doff * 4);
      return false;  // refused: nothing listens on dport
    }
    // tcp_input answers the SYN+ACK with an ACK, and anything else as the
    // main loop would.
    tcp_input(fd, buf, payload, tot_len);
    if (ours && tcphdr->syn && tcphdr->ack && ntohl(tcphdr->ack_seq) == 123456 + 1)
      return true;
  }
}

// Connects COUNT times to ipstr:port, from source addresses just above it
// (192.168.0.2, .3, ...) with source ports 1024..65535 on each.  Returns
// how many handshakes completed.
int connect_many(int fd, const char* ipstr, int port, int count)
{
  uint32_t destip;
  inet_pton(AF_INET, ipstr, &destip);  // main has checked the text

  uint32_t srcip = ntohl(destip) + 1;
  int srcport = 1024;  // below are the well-known ports; any would do
  int established = 0;
  int silent = 0;      // consecutive handshakes that got no answer at all

  const int64_t start = now_ms();
  for (int i = 0; i < count; ++i)
  {
    const int64_t sent = now_ms();
    if (connect_one(fd, destip, htons(port), htonl(srcip), htons(srcport)))
    {
      ++established;
      silent = 0;
    }
    else if (now_ms() - sent >= 1000 && ++silent == 3)
    {
      fprintf(stderr, "connectmany: no answer from %s:%d three times in a row; is it an"
              " address of this host, and is a server listening on that port?\n",
              ipstr, port);
      break;
    }
    if (++srcport > 0xFFFF)
    {
      srcport = 1024;
      ++srcip;
    }
  }
  const double seconds = (now_ms() - start) / 1000.0;
  printf("established %d of %d connections in %.3f s (%.0f conn/s)\n",
         established, count, seconds, seconds > 0 ? established / seconds : 0.0);
  return established;
}

static bool parse_int(const char* text, long min, long max, long* value)
{
  char* end = nullptr;
  errno = 0;
  *value = strtol(text, &end, 10);
  return *text != '\0' && *end == '\0' && errno == 0 && *value >= min && *value <= max;
}

// The source addresses dest+1, dest+2, ... must stay inside the tunnel's
// network, or the server's answers would not come back to us; and none may
// be the network, broadcast or our own address, which the kernel would drop.
static bool sources_fit(const char* hostaddr, uint32_t destip, long count)
{
  uint32_t addr, netmask;
  parse_cidr(hostaddr, &addr, &netmask);
  const uint64_t mask = ntohl(netmask);
  const uint64_t host = ntohl(addr);
  const uint64_t network = host & mask;
  const uint64_t broadcast = network | (~mask & 0xffffffffu);
  const uint64_t first = ntohl(destip) + 1ull;
  const uint64_t last = first + (count - 1) / (65536 - 1024);  // 64512 ports an address
  return first > network && last < broadcast && !(first <= host && host <= last);
}

int main(int argc, char* argv[])
{
  Options opt;
  const int args = parse_options(argc, argv, kUsage, "", 3, &opt);
  setvbuf(stdout, nullptr, _IOLBF, 0);  // a line per packet, even into a pipe or | tee

  const char* ip = argv[args];
  long port = 0, count = 0;
  uint32_t destip;
  if (inet_pton(AF_INET, ip, &destip) != 1)
  {
    fprintf(stderr, "connectmany: IP %s: expected an IPv4 address such as 192.168.0.1\n", ip);
    fputs(kUsage, stderr);
    exit(2);
  }
  if (!parse_int(argv[args + 1], 1, 65535, &port))
  {
    fprintf(stderr, "connectmany: PORT %s: expected a number 1..65535\n", argv[args + 1]);
    fputs(kUsage, stderr);
    exit(2);
  }
  if (!parse_int(argv[args + 2], 1, 100000000, &count))
  {
    fprintf(stderr, "connectmany: COUNT %s: expected a number 1..100000000\n", argv[args + 2]);
    fputs(kUsage, stderr);
    exit(2);
  }
  if (!sources_fit(opt.hostaddr, destip, count))
  {
    fprintf(stderr, "connectmany: %ld connections from source addresses just above %s need %ld"
            " addresses inside %s; connect to an address of that network with fewer"
            " connections, or choose a larger network with -a\n",
            count, ip, 1 + (count - 1) / (65536 - 1024), opt.hostaddr);
    exit(2);
  }

  int fd = tun_alloc(opt.ifname, opt.hostaddr);
  if (fd < 0)
  {
    fprintf(stderr, "tunnel interface allocation failed\n");
    exit(1);
  }
  printf("allocated tunnel interface %s\n", opt.ifname);
  printf("press enter key to start connecting %s:%ld\n", ip, port);
  getchar();  // also goes on at end of input: connectmany ... < /dev/null

  connect_many(fd, ip, static_cast<int>(port), static_cast<int>(count));

  // Keep serving: the server may send data, close, or send its SYN+ACK again.
  for (;;)
  {
    union
    {
      unsigned char buf[IP_MAXPACKET];
      struct iphdr iphdr;
    };

    int nread = tun_read(fd, buf, sizeof buf);
    if (nread < 0)
    {
      perror("read from tunnel interface");
      close(fd);
      exit(1);
    }
    printf("read %d bytes from tunnel interface %s.\n", nread, opt.ifname);

    const char* why = nullptr;
    if (ip_check(buf, nread, &why))
    {
      const int iphdr_len = iphdr.ihl * 4;
      const int tot_len = ntohs(iphdr.tot_len);  // bytes past it are not the packet's
      const void* payload = buf + iphdr_len;
      if (iphdr.protocol == IPPROTO_ICMP)
      {
        icmp_input(fd, buf, payload, tot_len);
      }
      else if (iphdr.protocol == IPPROTO_TCP)
      {
        tcp_input(fd, buf, payload, tot_len);
      }
    }
    else
    {
      bad_packet(why, buf, nread);
    }
  }
  return 0;
}
