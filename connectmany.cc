// connectmany.cc - step 5: play COUNT TCP clients that connect to a server
// on this host, from addresses that exist only in this program.
//
// Read its source, then run it as:   sudo ./connectmany 192.168.0.1 2007 1000
// with a server listening on port 2007, e.g. a shell loop in another window:
//                                    nc -lk 2007    (holds one at a time)
//                                    make tools && tests/bin/holdserver 2007
// and count what the server holds:  ss -Htn state established '( sport = :2007 )' | wc -l
// A million, watched on a progress line:
//                                    tests/bin/holdserver -w 64 2007
//                                    ./connectmany -q -w 64 192.168.0.1 2007 1000000
#include "faketcp.h"

#include <algorithm>  // std::swap
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

static const char kUsage[] =
  "usage: connectmany [-i IFNAME] [-a ADDR/PREFIX] [--pcap FILE] [-q] [-w N] [-x]\n"
  "                   IP PORT COUNT\n"
  "  Plays COUNT TCP clients from 192.168.0.2, .3, ... (source ports 1024..65535\n"
  "  on each address) that connect to the server at IP:PORT, e.g.\n"
  "      connectmany 192.168.0.1 2007 1000\n"
  "  扮演 COUNT 个 TCP 客户端（源地址 192.168.0.2, .3, ...，每个地址用源端口\n"
  "  1024..65535），连接到 IP:PORT 上的服务器。\n"
  "  -q          no line per packet; a progress line on stderr if it is a terminal\n"
  "              不逐包打印；若 stderr 是终端，显示进度行\n"
  "  -w N        N handshakes in flight (1..4096; default 1, one at a time as in\n"
  "              the article)   同时进行 N 个握手（默认 1，即文章中的逐个连接）\n"
  "  -x, --exit  exit after connecting: status 0 if every handshake completed,\n"
  "              1 if any failed (default: keep serving the connections)\n"
  "              连接完即退出：全部握手成功返回 0，否则返回 1（默认继续服务）\n";

// -q: no line per packet.  The article prints every segment, which is the
// lesson for ten connections and a flood for a million.
static bool quiet = false;
// A progress line on stderr, set by main when a person can see it.
static bool show_progress = false;

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

  if (!quiet)
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

// Sends the SYN that opens a connection from saddr:sport to daddr:dport (all
// in network byte order), with our initial sequence number 123456.
static void tcp_send_syn(int fd, uint32_t daddr, uint16_t dport, uint32_t saddr, uint16_t sport)
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

// Plays one client: sends a SYN from saddr:sport to daddr:dport (all in
// network byte order), then waits for the server's SYN+ACK and answers it
// through tcp_input, which sends the ACK that completes the handshake.
// Returns false when the server refuses (RST) or stays silent for a second.
// Packets that are not the answer are served as the main loop serves them,
// not mistaken for it (the article takes whatever comes next).
bool connect_one(int fd, uint32_t daddr, uint16_t dport, uint32_t saddr, uint16_t sport)
{
  tcp_send_syn(fd, daddr, dport, saddr, sport);

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
      if (!quiet)
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

// The progress line (-q, or stdout into a file, and stderr a terminal):
// "\r" goes back to the start of the line and "\033[K" clears it, so each
// update overwrites the last.  `done` counts handshakes finished either way.
static void progress_print(long established, long done, long count, int64_t start)
{
  const double seconds = (now_ms() - start) / 1000.0;
  const double rate = seconds > 0 ? done / seconds : 0.0;
  fprintf(stderr, "\r\033[Kconnectmany: %ld of %ld established, %.0f conn/s, ETA %.0f s",
          established, count, rate, rate > 0 ? (count - done) / rate : 0.0);
}

static void summary_print(long established, long count, int64_t start)
{
  if (show_progress)
    fputs("\r\033[K", stderr);  // the summary replaces the progress line
  const double seconds = (now_ms() - start) / 1000.0;
  printf("established %ld of %ld connections in %.3f s (%.0f conn/s)\n",
         established, count, seconds, seconds > 0 ? established / seconds : 0.0);
}

static const char kNoAnswer[] =
  "connectmany: no answer from %s:%d three times in a row; is it an address of this"
  " host, and is a server listening on that port?\n";

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
  int64_t shown = start;  // when the progress line was last drawn
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
      fprintf(stderr, kNoAnswer, ipstr, port);
      break;
    }
    if (++srcport > 0xFFFF)
    {
      srcport = 1024;
      ++srcip;
    }
    if (show_progress && sent - shown >= 250)  // four times a second
    {
      progress_print(established, i + 1, count, start);
      shown = sent;
    }
  }
  summary_print(established, count, start);
  return established;
}

// The checks of connect_one's loop, for connect_window: returns the TCP
// header of a good TCP segment, or nullptr after serving anything else
// (ICMP echo, a bad packet, another protocol) as the main loop would.
static const struct tcphdr* tcp_segment(int fd, const unsigned char* buf, int nread)
{
  const char* why = nullptr;
  if (!ip_check(buf, nread, &why))
  {
    bad_packet(why, buf, nread);
    return nullptr;
  }
  struct iphdr iphdr;
  memcpy(&iphdr, buf, sizeof iphdr);
  const int iphdr_len = iphdr.ihl * 4;
  const int tot_len = ntohs(iphdr.tot_len);
  const void* payload = buf + iphdr_len;
  if (iphdr.protocol == IPPROTO_ICMP)
  {
    icmp_input(fd, buf, payload, tot_len);
    return nullptr;
  }
  if (iphdr.protocol != IPPROTO_TCP)
    return nullptr;
  if (!tcp_check(payload, tot_len - iphdr_len))
  {
    bad_packet("TCP segment shorter than its header (doff)", buf, tot_len);
    return nullptr;
  }
  return static_cast<const struct tcphdr*>(payload);
}

// -w N: the same handshakes, N of them in flight.  Connection number i
// (0, 1, 2, ...) comes from source address dest+1 + i / 64512 and port
// 1024 + i % 64512, the order connect_many uses; so the destination of a
// SYN+ACK says which connection it answers, and tcp_input builds the ACK
// from the SYN+ACK alone.  No table of connections: what we keep is a
// window, like TCP's own send window, of the N most recent SYNs (when each
// left, and whether it was answered), so that one unanswered for a second
// counts as failed.  N slots, the same for a hundred connections as for a
// million.  Returns how many handshakes completed.
static const int kPortsPerAddr = 65536 - 1024;

int connect_window(int fd, const char* ipstr, int port, int count, int window)
{
  uint32_t destip;
  inet_pton(AF_INET, ipstr, &destip);  // main has checked the text
  const uint32_t first_src = ntohl(destip) + 1;
  const uint16_t dport = htons(static_cast<uint16_t>(port));

  struct Slot
  {
    int64_t sent;  // when its SYN left, in now_ms()
    bool done;     // answered: SYN+ACK (established) or RST (refused)
  };
  static Slot slots[4096];  // -w is at most 4096; connection i uses slot i % window
  if (window < 1 || window > 4096)
    window = window < 1 ? 1 : 4096;

  // Non-blocking reads: take every answer already queued, and poll() only
  // when there is none.  The main loop wants blocking reads again after.
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
  {
    perror("fcntl O_NONBLOCK on tunnel interface");
    exit(1);
  }

  long next = 0;        // the next connection to send a SYN for
  long oldest = 0;      // the oldest one neither answered nor given up
  int established = 0;
  long silent = 0;      // consecutive handshakes that got no answer at all
  const int64_t start = now_ms();
  int64_t shown = start;
  bool drained = true;  // the last read found no packet waiting
  while (oldest < count)
  {
    // Send in bursts: once every answer waiting has been read, fill the
    // window again.  The kernel answers each SYN inside our write(), so a
    // burst of SYNs comes back as a burst of SYN+ACKs; the kernel then runs
    // the same code many times in a row, which its caches like better than
    // SYN, SYN+ACK, ACK, SYN, ...
    if (drained)
    {
      int sent = 0;
      for (; next < count && next - oldest < window; ++next, ++sent)
      {
        tcp_send_syn(fd, destip, dport, htonl(first_src + next / kPortsPerAddr),
                     htons(static_cast<uint16_t>(1024 + next % kPortsPerAddr)));
        slots[next % window] = { now_ms(), false };
      }
      if (sent == 0)
      {
        // The window is full and nothing is waiting: sleep until a packet
        // comes, but only until the oldest SYN has waited its second.
        const int64_t left = slots[oldest % window].sent + 1000 - now_ms();
        struct pollfd pfd = { fd, POLLIN, 0 };
        if (left > 0 && poll(&pfd, 1, static_cast<int>(left)) < 0 && errno != EINTR)
        {
          perror("poll on tunnel interface");
          exit(1);
        }
      }
      drained = false;
    }

    union
    {
      unsigned char buf[IP_MAXPACKET];
      struct iphdr iphdr;
    };
    int nread = tun_read(fd, buf, sizeof buf);
    if (nread < 0 && (errno == EAGAIN || errno == EINTR))
    {
      drained = true;
    }
    else if (nread < 0)
    {
      perror("read from tunnel interface");
      close(fd);
      exit(1);
    }
    else if (const struct tcphdr* tcphdr = tcp_segment(fd, buf, nread))
    {
      const int iphdr_len = iphdr.ihl * 4;
      const int tot_len = ntohs(iphdr.tot_len);
      const void* payload = buf + iphdr_len;

      // Which connection in flight does it answer?  -1: none of them.
      long i = -1;
      if (iphdr.saddr == destip && tcphdr->source == dport)
      {
        const long addr_index = static_cast<long>(ntohl(iphdr.daddr)) - first_src;
        const long port_index = ntohs(tcphdr->dest) - 1024;
        if (addr_index >= 0 && port_index >= 0)
          i = addr_index * kPortsPerAddr + port_index;
        if (i < oldest || i >= next || slots[i % window].done)
          i = -1;
      }
      if (i >= 0 && tcphdr->rst)
      {
        if (!quiet)
          tcp_print(&iphdr, tcphdr, tot_len - iphdr_len - tcphdr->doff * 4);
        slots[i % window].done = true;  // refused: nothing listens on dport
      }
      else
      {
        tcp_input(fd, buf, payload, tot_len);  // the ACK, or as the main loop would
        if (i >= 0 && tcphdr->syn && tcphdr->ack && ntohl(tcphdr->ack_seq) == 123456 + 1)
        {
          slots[i % window].done = true;
          ++established;
          silent = 0;
        }
      }
    }

    // Slide the window past the answered, and give up on the oldest after
    // its second.  An answer that comes later still gets its ACK from
    // tcp_input, but is not counted.
    const int64_t now = now_ms();
    while (oldest < next && (slots[oldest % window].done || now - slots[oldest % window].sent >= 1000))
    {
      if (!slots[oldest % window].done)
        ++silent;
      ++oldest;
    }
    if (silent >= 3L * window)  // three windows in a row, like three SYNs in connect_many
    {
      fprintf(stderr, kNoAnswer, ipstr, port);
      break;
    }
    if (show_progress && now - shown >= 250)
    {
      progress_print(established, oldest, count, start);
      shown = now;
    }
  }
  fcntl(fd, F_SETFL, flags);  // cannot fail where the call above did not
  summary_print(established, count, start);
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
  const int args = parse_options(argc, argv, kUsage, "qw:x", 3, &opt);
  quiet = opt.quiet;
  // On a terminal, each line as soon as it is printed.  Into a file or a
  // pipe, 64 KiB at a time: one write() per line would cost as much as the
  // handshake it describes.  Everything printed is flushed before the
  // program waits (for enter, and for each packet after connecting), so
  // `| tee` and `> log` still get every line, just in bursts while connecting.
  if (isatty(STDOUT_FILENO))
    setvbuf(stdout, nullptr, _IOLBF, 0);
  else
    setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
  // A progress line when someone watches stderr and the packet lines do not
  // go to the same screen.
  show_progress = isatty(STDERR_FILENO) && (quiet || !isatty(STDOUT_FILENO));

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
  fflush(stdout);
  getchar();  // also goes on at end of input: connectmany ... < /dev/null

  const int established = opt.window == 1
      ? connect_many(fd, ip, static_cast<int>(port), static_cast<int>(count))
      : connect_window(fd, ip, static_cast<int>(port), static_cast<int>(count), opt.window);
  if (opt.exit_when_done)
  {
    // -x: the exit status says whether every handshake completed.  The
    // server keeps its end until it closes or sends something: nobody is
    // left to answer, since closing the tun fd removes tun0.
    fflush(stdout);
    close(fd);
    return established == count ? 0 : 1;
  }

  // Keep serving: the server may send data, close, or send its SYN+ACK again.
  for (;;)
  {
    union
    {
      unsigned char buf[IP_MAXPACKET];
      struct iphdr iphdr;
    };

    fflush(stdout);  // before waiting: see setvbuf above
    int nread = tun_read(fd, buf, sizeof buf);
    if (nread < 0)
    {
      perror("read from tunnel interface");
      close(fd);
      exit(1);
    }
    if (!quiet)
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
