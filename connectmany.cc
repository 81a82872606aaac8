// connectmany.cc - step 5: play COUNT TCP clients that connect to a server
// on this host, from addresses that exist only in this program.
//
// Read its source, then run it as:   sudo ./connectmany 192.168.0.1 2007 1000
// with a server on that port:        tests/bin/holdserver 2007   (make tools), or nc -lk 2007
// and count what the server holds:   ss -Htn state established '( sport = :2007 )' | wc -l
#include "faketcp.h"
#include "tooling/cmdline.h"
#include "tooling/tunio.h"

#include <algorithm>  // std::swap
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

static const char kAbout[] =
  "  Plays COUNT TCP clients (IP+1:1024, IP+1:1025, ...) that connect to IP:PORT.\n"
  "  扮演 COUNT 个 TCP 客户端（源为 IP+1:1024、IP+1:1025……）连接 IP:PORT。\n";

// Connection i: from port kFirstPort + i % kPortsPerAddr of address IP + 1 + i / kPortsPerAddr.
const int kFirstPort = 1024;  // below are the well-known ports; any would do
const int kPortsPerAddr = 65536 - kFirstPort;
// The article waits forever for one answer.  A server drops a SYN when its
// accept queue is full, and a client's kernel sends it again after 1 s, then
// twice the last wait (RFC 6298 section 5.5, "back off the timer"), 6 times:
// we do the same from 200 ms, our server being on this host (docs/connectmany.md).
int syn_rto_ms = 200;   // -r MS: the first wait; each one after is twice the last
int syn_retries = 6;    // as net.ipv4.tcp_syn_retries
long syns_resent = 0;   // how many SYNs went out again, for the summary

// Answers a SYN with SYN+ACK, a FIN with FIN+ACK and data with an ACK, and
// prints every segment.  The data itself is dropped: acknowledging it is all
// the sender's kernel needs to free its send queue.
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
    // passive: someone connects to us.  Else a server answers our SYN 123456
    // (maybe again: our ACK found its accept queue full), and gets the ACK.
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

int64_t now_ms()
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Sends the SYN that opens a connection from saddr:sport to daddr:dport (all
// in network byte order), with our initial sequence number 123456.
void tcp_send_syn(int fd, uint32_t daddr, uint16_t dport, uint32_t saddr, uint16_t sport)
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
  out.tcphdr.doff = sizeof out.tcphdr / 4;
  out.tcphdr.syn = 1;                // active open
  out.tcphdr.window = htons(4096);
  out.tcphdr.check = tcp_checksum(&out.iphdr, &out.tcphdr, sizeof out.tcphdr);
  tun_write(fd, &out, sizeof out);
}

// Plays one client: sends a SYN from saddr:sport to daddr:dport (network
// byte order), then serves packets as the main loop does until the server
// answers it, sending the SYN again after rto_ms, twice that, ... (the
// article takes whatever comes next as the answer).  True on its SYN+ACK,
// false on its RST or after the last wait.  Exits 1 if poll() or read() fail.
bool connect_one(int fd, uint32_t daddr, uint16_t dport, uint32_t saddr, uint16_t sport,
                 int rto_ms)
{
  tcp_send_syn(fd, daddr, dport, saddr, sport);
  const SocketAddr ours = { daddr, saddr, dport, sport };  // the answer comes this way
  int64_t deadline = now_ms() + rto_ms;
  for (int retries = 0;;)
  {
    // poll() before read(): a read() would wait forever for a silent server.
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
    {
      if (retries++ == syn_retries)
        return false;  // silent after the last retry: the handshake failed
      tcp_send_syn(fd, daddr, dport, saddr, sport);  // the same SYN again
      ++syns_resent;
      deadline = now_ms() + (rto_ms *= 2);  // twice the last wait
      continue;
    }

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
    if (!ip_input(fd, buf, nread, tcp_input) || iphdr.protocol != IPPROTO_TCP)
      continue;
    const void* payload = buf + iphdr.ihl * 4;
    if (!tcp_check(payload, ntohs(iphdr.tot_len) - iphdr.ihl * 4))
      continue;
    const struct tcphdr* tcphdr = static_cast<const struct tcphdr*>(payload);
    const SocketAddr from = { iphdr.saddr, iphdr.daddr, tcphdr->source, tcphdr->dest };
    const bool accepted = tcphdr->syn && tcphdr->ack && ntohl(tcphdr->ack_seq) == 123456 + 1;
    if (from == ours && (tcphdr->rst || accepted))  // an RST: nothing listens on that port
      return accepted;
  }
}

// Connects count times to ipstr:port, one handshake at a time as the article
// does, until one is silent to its last retry.  Returns how many completed.
int connect_many(int fd, const char* ipstr, int port, int count)
{
  uint32_t destip;
  inet_pton(AF_INET, ipstr, &destip);  // main has checked the text
  const int64_t waits_ms = static_cast<int64_t>(syn_rto_ms) * ((2 << syn_retries) - 1);

  int established = 0;
  const int64_t start = now_ms();
  for (int i = 0; i < count; ++i)
  {
    const uint32_t srcip = ntohl(destip) + 1 + i / kPortsPerAddr;
    const int srcport = kFirstPort + i % kPortsPerAddr;
    const int64_t sent = now_ms();
    if (connect_one(fd, destip, htons(port), htonl(srcip), htons(srcport), syn_rto_ms))
      ++established;
    else if (now_ms() - sent >= waits_ms)  // not refused: silent to its last retry
    {
      fprintf(stderr, "connectmany: no answer from %s:%d: a SYN sent %d times in %.1f s had none;"
              " is it an address of this host, and does its server accept() (ss -ltn: Recv-Q)?\n",
              ipstr, port, 1 + syn_retries, waits_ms / 1000.0);
      break;
    }
  }
  const double seconds = (now_ms() - start) / 1000.0;
  printf("established %d of %d connections in %.3f s (%.0f conn/s)\n",
         established, count, seconds, seconds > 0 ? established / seconds : 0.0);
  printf("resent %ld SYNs that had no answer in time (the first wait %d ms, then twice"
         " the last, %d times at most)\n", syns_resent, syn_rto_ms, syn_retries);
  return established;
}

// The sources IP+1, IP+2, ... must be hosts of the network hostaddr (ADDR/PREFIX)
// other than ours, or no answer comes back.  False after saying what is wrong.
bool sources_fit(const char* hostaddr, const char* ip, int count)
{
  uint32_t addr, netmask, destip;
  if (!parse_cidr(hostaddr, &addr, &netmask) || inet_pton(AF_INET, ip, &destip) != 1)
    return false;
  const uint64_t network = ntohl(addr) & ntohl(netmask), host = ntohl(addr);
  const uint64_t broadcast = network | (~ntohl(netmask) & 0xffffffffu);
  const uint64_t first = ntohl(destip) + 1ull, last = first + (count - 1) / kPortsPerAddr;
  if (first > network && last < broadcast && !(first <= host && host <= last))
    return true;
  fprintf(stderr, "connectmany: %d connections from source addresses just above %s need %d"
          " addresses inside %s; connect to an address of that network with fewer"
          " connections, or choose a larger network with -a\n",
          count, ip, 1 + (count - 1) / kPortsPerAddr, hostaddr);
  return false;
}

int main(int argc, char* argv[])
{
  TunOptions opt;
  const char* ip = nullptr;
  int port = 0, count = 0;
  OptionTable table(kAbout);
  tun_options_add(&table, &opt);
  table.add({ 'r', "syn-rto", "MS", OptionType::kInt, 1, 60000, "a SYN's first wait in milliseconds",
              nullptr, &syn_rto_ms,
              "a SYN unanswered after MS ms (default 200) is sent again,\n"
              "then after twice that, ... 6 times at most, as the kernel does\n"
              "(its first wait is 1 s): docs/connectmany.md",
              "SYN 在 MS 毫秒（默认 200）内没有回应就重发，之后每次等待加倍，\n"
              "最多重发 6 次，和内核一样（内核第一次等 1 秒）" });
  table.add_argument({ "IP", OptionType::kIpv4, 0, 0, "an IPv4 address", nullptr, &ip });
  table.add_argument({ "PORT", OptionType::kInt, 1, 65535, "a number", nullptr, &port });
  table.add_argument({ "COUNT", OptionType::kInt, 1, 100000000, "a number", nullptr, &count });
  table.parse_or_exit(argc, argv);
  if (!sources_fit(opt.hostaddr, ip, count))
    exit(2);
  setvbuf(stdout, nullptr, _IOLBF, 0);  // a line per packet, even into a pipe or | tee

  int fd = tun_alloc(opt.ifname, opt.addr, opt.netmask);
  if (fd < 0)
  {
    fprintf(stderr, "tunnel interface allocation failed\n");
    exit(1);
  }
  printf("allocated tunnel interface %s\n", opt.ifname);
  printf("press enter key to start connecting %s:%d\n", ip, port);
  getchar();  // also goes on at end of input: connectmany ... < /dev/null

  connect_many(fd, ip, port, count);

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

    ip_input(fd, buf, nread, tcp_input);
  }
  return 0;
}
