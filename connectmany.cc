// connectmany.cc - step 5: play COUNT TCP clients that connect to a server
// on this host, from addresses that exist only in this program.
//
// Read its source, then run it as:   sudo ./connectmany 192.168.0.1 2007 1000
// with a server listening on port 2007, e.g. a shell loop in another window:
//                                    nc -lk 2007    (holds one at a time)
//                                    make tools && tests/bin/holdserver 2007
// and count what the server holds:  ss -Htn state established '( sport = :2007 )' | wc -l
// For a million, see -q and -w in tooling/connectmany_options.h.
#include "faketcp.h"
#include "tooling/connectmany_options.h"
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
  "                   IP PORT COUNT\n"
  "  Plays COUNT TCP clients from 192.168.0.2, .3, ... (source ports 1024..65535\n"
  "  on each address) that connect to the server at IP:PORT, e.g.\n"
  "      connectmany 192.168.0.1 2007 1000\n"
  "  扮演 COUNT 个 TCP 客户端（源地址 192.168.0.2, .3, ...，每个地址用源端口\n"
  "  1024..65535），连接到 IP:PORT 上的服务器。\n";

// Connection number i (0, 1, 2, ...) comes from the address just above the
// server's, plus i / kPortsPerAddr, and from source port kFirstPort +
// i % kPortsPerAddr: 192.168.0.2:1024 ... 192.168.0.2:65535, 192.168.0.3:1024 ...
const int kFirstPort = 1024;  // below are the well-known ports; any would do
const int kPortsPerAddr = 65536 - kFirstPort;
// How long a SYN waits for its answer before it is sent again, and how many
// times it is: the article waits forever for one answer.  A server's kernel
// drops a SYN when its accept queue is full, and a client's kernel sends the
// SYN again: after RFC 6298's initial RTO, 1 s, then doubling each time (its
// section 5.5: "set RTO <- RTO * 2 ('back off the timer')"), at most
// net.ipv4.tcp_syn_retries (6) times.  Our server is on this host and answers
// in microseconds, so we start at 200 ms (-r MS).  docs/connectmany.md compares.
int syn_rto_ms = 200;   // -r MS: the first wait; each one after is twice the last
int syn_retries = 6;    // as net.ipv4.tcp_syn_retries
long syns_resent = 0;   // how many SYNs went out again, for the summary

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

  if (!quiet)  // -q: no line per packet
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

// Reads packets and serves each as the main loop does until one answers a
// SYN of ours (an RST, or a SYN+ACK acking our 123456); *from gets its
// addresses and ports, *accepted whether it was the SYN+ACK.  Returns false
// when none came before deadline (in now_ms()).  A deadline of 0 reads only
// what is already queued, from a non-blocking fd (connect_window's).  Exits
// 1 when poll() or read() fails: the tun fd is unusable.
bool wait_answer(int fd, int64_t deadline, SocketAddr* from, bool* accepted)
{
  for (;;)
  {
    // poll() before read(): a read() on the tun fd would wait forever for a
    // server that never answers.
    const int64_t left = deadline - now_ms();
    struct pollfd pfd = { fd, POLLIN, 0 };
    const int ready = deadline == 0 ? 1 : left > 0 ? poll(&pfd, 1, static_cast<int>(left)) : 0;
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
    if (nread < 0 && deadline == 0 && (errno == EAGAIN || errno == EINTR))
      return false;  // nothing more queued
    if (nread < 0)
    {
      perror("read from tunnel interface");
      close(fd);
      exit(1);
    }
    // Served as the main loop serves it: tcp_input sends the ACK of a SYN+ACK.
    if (!ip_input(fd, buf, nread, tcp_input) || iphdr.protocol != IPPROTO_TCP)
      continue;
    const int iphdr_len = iphdr.ihl * 4;
    const void* payload = buf + iphdr_len;
    if (!tcp_check(payload, ntohs(iphdr.tot_len) - iphdr_len))
      continue;
    const struct tcphdr* tcphdr = static_cast<const struct tcphdr*>(payload);
    *from = { iphdr.saddr, iphdr.daddr, tcphdr->source, tcphdr->dest };
    *accepted = tcphdr->syn && tcphdr->ack && ntohl(tcphdr->ack_seq) == 123456 + 1;
    if (tcphdr->rst || *accepted)  // an RST: refused, nothing listens on that port
      return true;
  }
}

// Waits for the server's answer to the SYN we sent from ours (its four
// numbers as the answer carries them: the server's address and port first).
// When none comes within rto_ms, sends the same SYN again and waits twice as
// long, at most syn_retries times.  Returns true on the server's SYN+ACK
// (which tcp_input has acked), false on its RST or after the last wait.
// Exits as wait_answer does.  Packets that are not the answer are served as
// the main loop serves them, not mistaken for it.
static bool wait_reply(int fd, const SocketAddr& ours, int rto_ms)
{
  for (int retries = 0;; ++retries)
  {
    const int64_t deadline = now_ms() + rto_ms;
    SocketAddr from;
    bool accepted;
    while (wait_answer(fd, deadline, &from, &accepted))  // until the deadline
      if (from == ours)
        return accepted;
    if (retries == syn_retries)
      return false;  // silent after the last retry: the handshake failed
    tcp_send_syn(fd, ours.saddr, ours.sport, ours.daddr, ours.dport);  // the same SYN again
    ++syns_resent;
    rto_ms *= 2;
  }
}

// Plays one client: sends a SYN from saddr:sport to daddr:dport (all in
// network byte order), then waits for the server's answer, sending the SYN
// again after rto_ms, 2 * rto_ms, ... (wait_reply).  Returns true when the
// server accepted, false when it refused (RST) or stayed silent.  The article
// takes whatever packet comes next as the answer.
bool connect_one(int fd, uint32_t daddr, uint16_t dport, uint32_t saddr, uint16_t sport,
                 int rto_ms)
{
  tcp_send_syn(fd, daddr, dport, saddr, sport);
  return wait_reply(fd, { daddr, saddr, dport, sport }, rto_ms);  // the answer comes this way
}

// How long a handshake waits in all before it fails: 200 + 400 + ... ms.
static int64_t syn_waits_ms()
{
  return static_cast<int64_t>(syn_rto_ms) * ((2 << syn_retries) - 1);
}

void no_answer_print(const char* ipstr, int port)
{
  fprintf(stderr, "connectmany: no answer from %s:%d: a SYN sent %d times in %.1f s had none;"
          " is it an address of this host, and does its server accept() (ss -ltn: Recv-Q)?\n",
          ipstr, port, 1 + syn_retries, syn_waits_ms() / 1000.0);
}

// The last line connect_many prints.
void summary_print(long established, long count, int64_t start)
{
  progress_clear();  // the summary replaces -q's progress line
  const double seconds = (now_ms() - start) / 1000.0;
  printf("established %ld of %ld connections in %.3f s (%.0f conn/s)\n",
         established, count, seconds, seconds > 0 ? established / seconds : 0.0);
  printf("resent %ld SYNs that had no answer in time (the first wait %d ms, then twice"
         " the last, %d times at most)\n", syns_resent, syn_rto_ms, syn_retries);
}

// Connects COUNT times to ipstr:port, one handshake at a time as the article
// does, from the source addresses and ports above.  Returns how many
// handshakes completed.
int connect_many(int fd, const char* ipstr, int port, int count)
{
  uint32_t destip;
  inet_pton(AF_INET, ipstr, &destip);  // main has checked the text

  int established = 0;
  const int64_t start = now_ms();
  for (int i = 0; i < count; ++i)
  {
    const uint32_t srcip = ntohl(destip) + 1 + i / kPortsPerAddr;
    const int srcport = kFirstPort + i % kPortsPerAddr;
    const int64_t sent = now_ms();
    if (connect_one(fd, destip, htons(port), htonl(srcip), htons(srcport), syn_rto_ms))
      ++established;
    else if (now_ms() - sent >= syn_waits_ms())  // not refused: silent to its last retry
    {
      no_answer_print(ipstr, port);
      break;
    }
    progress_print(established, i + 1, count, start);  // -q on a terminal
  }
  summary_print(established, count, start);
  return established;
}

int main(int argc, char* argv[])
{
  Options opt;
  const int args = parse_options_or_exit(argc, argv, kUsage, 3, &opt, &kConnectmanyOptions);
  output_setup();  // how stdout is buffered, and -q's progress line

  const char* ip = argv[args];
  int port, count;
  check_args_or_exit(argv + args, opt.hostaddr, kUsage, &port, &count);

  int fd = tun_alloc(opt.ifname, opt.addr, opt.netmask);
  if (fd < 0)
  {
    fprintf(stderr, "tunnel interface allocation failed\n");
    exit(1);
  }
  printf("allocated tunnel interface %s\n", opt.ifname);
  printf("press enter key to start connecting %s:%d\n", ip, port);
  fflush(stdout);
  getchar();  // also goes on at end of input: connectmany ... < /dev/null

  // -w N keeps N handshakes in flight; 1 is the article's one at a time.
  const int established = in_flight > 1 ? connect_window(fd, ip, port, count)
                                         : connect_many(fd, ip, port, count);
  exit_if_asked(fd, established == count);  // -x: exit after connecting

  // Keep serving: the server may send data, close, or send its SYN+ACK again.
  for (;;)
  {
    union
    {
      unsigned char buf[IP_MAXPACKET];
      struct iphdr iphdr;
    };

    fflush(stdout);  // before waiting: see output_setup
    int nread = tun_read(fd, buf, sizeof buf);
    if (nread < 0)
    {
      perror("read from tunnel interface");
      close(fd);
      exit(1);
    }
    if (!quiet)
      printf("read %d bytes from tunnel interface %s.\n", nread, opt.ifname);

    ip_input(fd, buf, nread, tcp_input);
  }
  return 0;
}
