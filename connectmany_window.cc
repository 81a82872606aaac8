// connectmany_window.cc - connectmany (step 5) at a million connections:
// the options of docs/bench.md, each one thing that makes the article's
// one-handshake-at-a-time loop slow to run or to watch at that scale.
// `diff connectmany.cc connectmany_window.cc` is that lesson:
//   -w N   N handshakes in flight (connect_window), not one at a time
//   -q     no line per packet, stdout into a file 64 KiB at a time, and a
//          progress line on stderr when it is a terminal
//   -x     exit after connecting, with a status that says whether all did
// With none of them it is connectmany, packet for packet.
//
// Read its source, then run it as:   sudo ./connectmany_window -q -w 64 192.168.0.1 2007 1000000
// with a server on that port:        tests/bin/holdserver -w 64 2007   (make tools)
// and count what the server holds:   ss -Htn state established '( sport = :2007 )' | wc -l
#include "faketcp.h"
#include "tooling/cmdline.h"
#include "tooling/tunio.h"

#include <algorithm>  // std::swap, std::min, std::max
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

static const char kAbout[] =
  "  Plays COUNT TCP clients (IP+1:1024, IP+1:1025, ...) that connect to IP:PORT,\n"
  "  as connectmany, N handshakes at a time with -w N (docs/bench.md).\n"
  "  扮演 COUNT 个 TCP 客户端（源为 IP+1:1024、IP+1:1025……）连接 IP:PORT，\n"
  "  同 connectmany；-w N 时同时进行 N 个握手（见 docs/bench.md）。\n";

// -w N, -q and -x, as main read them.
struct WindowOptions
{
  int in_flight = 1;            // -w N: handshakes in flight; 1 is the article's way
  bool quiet = false;           // -q: no line per packet
  bool exit_when_done = false;  // -x, --exit: exit after connecting
};
static WindowOptions window_options;
static bool show_progress = false;  // a person watches stderr: output_setup

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

  if (!window_options.quiet)  // -q: no line per packet
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

// Reads packets and serves each as the main loop does until one answers a
// SYN of ours (an RST, or a SYN+ACK acking our 123456); *from gets its
// addresses and ports, *accepted whether it was the SYN+ACK.  Returns false
// when none came before deadline (in now_ms()).  A deadline of 0 reads only
// what is already queued, from a non-blocking fd (connect_window's).  Exits
// 1 when poll() or read() fails: the tun fd is unusable.
static bool wait_answer(int fd, int64_t deadline, SocketAddr* from, bool* accepted)
{
  for (;;)
  {
    // poll() before read(): a read() would wait forever for a silent server.
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
    if (!ip_input(fd, buf, nread, tcp_input) || iphdr.protocol != IPPROTO_TCP)
      continue;
    const void* payload = buf + iphdr.ihl * 4;
    if (!tcp_check(payload, ntohs(iphdr.tot_len) - iphdr.ihl * 4))
      continue;
    const struct tcphdr* tcphdr = static_cast<const struct tcphdr*>(payload);
    *from = { iphdr.saddr, iphdr.daddr, tcphdr->source, tcphdr->dest };
    *accepted = tcphdr->syn && tcphdr->ack && ntohl(tcphdr->ack_seq) == 123456 + 1;
    if (tcphdr->rst || *accepted)  // an RST: nothing listens on that port
      return true;
  }
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
    SocketAddr from;
    bool accepted;
    while (wait_answer(fd, deadline, &from, &accepted))  // until the deadline
      if (from == ours)
        return accepted;
    if (retries++ == syn_retries)
      return false;  // silent after the last retry: the handshake failed
    tcp_send_syn(fd, daddr, dport, saddr, sport);  // the same SYN again
    ++syns_resent;
    deadline = now_ms() + (rto_ms *= 2);  // twice the last wait
  }
}

// ---------------------------------------------------------------- output

// How stdout is buffered, and whether a progress line is drawn, once the
// options are read.  On a terminal, each line as soon as it is printed.
// Into a file or a pipe, 64 KiB at a time (docs/bench.md).  Everything
// printed is flushed before the program waits (for enter, and for each
// packet after connecting), so `| tee` and `> log` still get every line,
// just in bursts while connecting.
static void output_setup()
{
  if (isatty(STDOUT_FILENO))
    setvbuf(stdout, nullptr, _IOLBF, 0);
  else
    setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
  // A progress line when someone watches stderr and the packet lines do not
  // go to the same screen.
  show_progress = isatty(STDERR_FILENO) && (window_options.quiet || !isatty(STDOUT_FILENO));
}

// The progress line on stderr (-q, or stdout into a file, and stderr a
// terminal), redrawn at most four times a second.  "\r" goes back to the
// start of the line and "\033[K" clears it, so each update overwrites the
// last.  `done` counts handshakes finished either way.
static void progress_print(long established, long done, long count, int64_t start)
{
  static int64_t shown = 0;  // when the line was last drawn
  const int64_t now = now_ms();
  if (!show_progress || now - std::max(shown, start) < 250)
    return;
  shown = now;
  const double seconds = (now - start) / 1000.0;
  const double rate = seconds > 0 ? done / seconds : 0.0;
  fprintf(stderr, "\r\033[Kconnectmany_window: %ld of %ld established, %.0f conn/s, ETA %.0f s",
          established, count, rate, rate > 0 ? (count - done) / rate : 0.0);
}

// How long a handshake waits in all before it fails: 200 + 400 + ... ms.
static int64_t syn_waits_ms()
{
  return static_cast<int64_t>(syn_rto_ms) * ((2 << syn_retries) - 1);
}

static void no_answer_print(const char* ipstr, int port)
{
  fprintf(stderr, "connectmany_window: no answer from %s:%d: a SYN sent %d times in %.1f s had"
          " none; is it an address of this host, and does its server accept() (ss -ltn: Recv-Q)?\n",
          ipstr, port, 1 + syn_retries, syn_waits_ms() / 1000.0);
}

// The last lines connect_many and connect_window print.
static void summary_print(long established, long count, int64_t start)
{
  if (show_progress)
    fputs("\r\033[K", stderr);  // the summary replaces the progress line
  const double seconds = (now_ms() - start) / 1000.0;
  printf("established %ld of %ld connections in %.3f s (%.0f conn/s)\n",
         established, count, seconds, seconds > 0 ? established / seconds : 0.0);
  printf("resent %ld SYNs that had no answer in time (the first wait %d ms, then twice"
         " the last, %d times at most)\n", syns_resent, syn_rto_ms, syn_retries);
}

// Connects count times to ipstr:port, one handshake at a time as the article
// does, until one is silent to its last retry.  Returns how many completed.
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

// ---------------------------------------------------------------- -w N

// Connection number i comes from the source address and port connect_many
// gives it, so the destination of a SYN+ACK says which connection it
// answers, and tcp_input builds the ACK from the SYN+ACK alone.  No table of
// connections: what we keep is a window, like TCP's own send window, of the
// N most recent SYNs (when each left, how long it may wait, and whether it
// was answered), so that one unanswered in time is sent again, waiting twice
// as long, as connect_one does, and counts as failed after its last retry.
// N slots, the same for a hundred connections as for a million.
// The SYN of connection i, from the address and port connect_many gives it.
static void send_syn(int fd, uint32_t destip, uint16_t dport, uint32_t first_src, long i)
{
  tcp_send_syn(fd, destip, dport, htonl(static_cast<uint32_t>(first_src + i / kPortsPerAddr)),
               htons(static_cast<uint16_t>(kFirstPort + i % kPortsPerAddr)));
}

// connect_many's handshakes, in_flight of them at a time (1..4096).  Prints
// the summary line and returns how many handshakes completed.  Exits 1 when
// the tun fd fails, as wait_answer does.
int connect_window(int fd, const char* ipstr, int port, int count, int in_flight)
{
  uint32_t destip;
  inet_pton(AF_INET, ipstr, &destip);  // main has checked the text
  const uint32_t first_src = ntohl(destip) + 1;
  const uint16_t dport = htons(static_cast<uint16_t>(port));
  const int window = std::min(std::max(in_flight, 1), 4096);

  struct Slot
  {
    int64_t sent;  // when its SYN last left, in now_ms()
    int rto;       // how long that SYN may wait: syn_rto_ms, doubled at each retry
    int retries;   // how many times it was sent again
    bool done;     // answered (SYN+ACK: established, or RST: refused), or failed
  };
  static Slot slots[4096];  // connection i uses slot i % window

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
  bool drained = true;  // the last wait found no answer waiting
  int64_t next_timeout = 0;  // no slot's SYN times out before this
  while (oldest < count)
  {
    // Send in bursts: once every answer waiting has been read, fill the
    // window again (docs/bench.md says why bursts).
    int64_t deadline = 0;  // read what is queued, without waiting
    if (drained)
    {
      int sent = 0;
      for (; next < count && next - oldest < window; ++next, ++sent)
      {
        send_syn(fd, destip, dport, first_src, next);
        slots[next % window] = { now_ms(), syn_rto_ms, 0, false };
        next_timeout = std::min(next_timeout, now_ms() + syn_rto_ms);
      }
      // The window is full and nothing is waiting: wait for a packet, but
      // only until the first SYN in flight has waited its time.
      if (sent == 0)
        deadline = std::max<int64_t>(next_timeout, 1);
    }

    SocketAddr from;
    bool accepted;
    drained = !wait_answer(fd, deadline, &from, &accepted);
    if (!drained && from.saddr == destip && from.sport == dport)
    {
      // Which connection in flight does it answer?
      const long addr_index = static_cast<long>(ntohl(from.daddr)) - first_src;
      const long port_index = ntohs(from.dport) - kFirstPort;
      const long i = addr_index * kPortsPerAddr + port_index;
      if (addr_index >= 0 && port_index >= 0 && i >= oldest && i < next && !slots[i % window].done)
      {
        slots[i % window].done = true;  // an RST: refused, nothing listens on dport
        if (accepted)
        {
          ++established;
          silent = 0;
        }
      }
    }

    // Each SYN that has waited its time is sent again, to wait twice as
    // long, or after its last retry counts as failed.  A walk of the window,
    // but only when one of them is due.  An answer that comes after the
    // last wait still gets its ACK from tcp_input, but is not counted.
    const int64_t now = now_ms();
    if (now >= next_timeout)
    {
      next_timeout = INT64_MAX;
      for (long i = oldest; i < next; ++i)
      {
        Slot& slot = slots[i % window];
        if (!slot.done && now - slot.sent >= slot.rto)
        {
          if (slot.retries == syn_retries)
          {
            slot.done = true;  // silent after its last retry
            ++silent;
          }
          else
          {
            send_syn(fd, destip, dport, first_src, i);  // the same SYN again
            ++syns_resent;
            slot = { now, slot.rto * 2, slot.retries + 1, false };
          }
        }
        if (!slot.done)
          next_timeout = std::min(next_timeout, slot.sent + slot.rto);
      }
    }
    // Slide the window past the answered and the failed.
    while (oldest < next && slots[oldest % window].done)
      ++oldest;
    if (silent >= window)  // a window of handshakes in a row, as one in connect_many
    {
      no_answer_print(ipstr, port);
      break;
    }
    progress_print(established, oldest, count, start);
  }
  fcntl(fd, F_SETFL, flags);  // cannot fail where the call above did not
  summary_print(established, count, start);
  return established;
}

// ---------------------------------------------------------------- -x

// With -x (asked), exits, with status 0 when all_established, else 1, once
// the tunnel has been quiet for a while: until then it serves what comes,
// so that a SYN+ACK a server sends again (it dropped our ACK: its accept
// queue was full) gets its ACK again, and the server its connection.
// Returns without -x.
void exit_if_asked(int fd, bool asked, bool all_established)
{
  if (!asked)
    return;
  // A server whose accept queue was full dropped our ACK and keeps the
  // connection half-open; its kernel sends the SYN+ACK again 1 s after the
  // first, then 2 s after that, ... (net.ipv4.tcp_synack_retries).  Answer
  // those until none has come for kQuietMs, so that the server gets every
  // connection we counted.
  const int kQuietMs = 3000;
  for (;;)
  {
    fflush(stdout);
    struct pollfd pfd = { fd, POLLIN, 0 };
    const int ready = poll(&pfd, 1, kQuietMs);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0)
      break;  // quiet, or the fd failed: nothing more to answer
    unsigned char buf[IP_MAXPACKET] __attribute__((aligned(4)));  // ip_input reads struct iphdr
    const int nread = tun_read(fd, buf, sizeof buf);
    if (nread < 0)
      break;
    ip_input(fd, buf, nread, tcp_input);
  }
  // The server keeps its end until it closes or sends something: nobody is
  // left to answer, since closing the tun fd removes tun0.
  fflush(stdout);
  close(fd);
  exit(all_established ? 0 : 1);
}

// ---------------------------------------------------------------- main

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
  fprintf(stderr, "connectmany_window: %d connections from source addresses just above %s need %d"
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
  table.add({ 'w', nullptr, "N", OptionType::kInt, 1, 4096, "a number of handshakes in flight",
              nullptr, &window_options.in_flight,
              "N handshakes in flight (1..4096; default 1, one at a time as in\n"
              "the article)",
              "同时进行 N 个握手（默认 1，即文章中的逐个连接）" });
  table.add({ 'q', nullptr, nullptr, OptionType::kFlag, 0, 0, nullptr, nullptr,
              &window_options.quiet,
              "no line per packet; a progress line on stderr if it is a terminal",
              "不逐包打印；若 stderr 是终端，显示进度行" });
  table.add({ 'x', "exit", nullptr, OptionType::kFlag, 0, 0, nullptr, nullptr,
              &window_options.exit_when_done,
              "exit after connecting: status 0 if every handshake completed,\n"
              "1 if any failed (default: keep serving the connections)",
              "连接完即退出：全部握手成功返回 0，否则返回 1（默认继续服务）" });
  table.add_argument({ "IP", OptionType::kIpv4, 0, 0, "an IPv4 address", nullptr, &ip });
  table.add_argument({ "PORT", OptionType::kInt, 1, 65535, "a number", nullptr, &port });
  table.add_argument({ "COUNT", OptionType::kInt, 1, 100000000, "a number", nullptr, &count });
  table.parse_or_exit(argc, argv);
  if (!sources_fit(opt.hostaddr, ip, count))
    exit(2);
  output_setup();  // how stdout is buffered, and -q's progress line

  int fd = tun_alloc(opt.ifname, opt.addr, opt.netmask);
  if (fd < 0)
  {
    fprintf(stderr, "tunnel interface allocation failed\n");
    exit(1);
  }
  printf("allocated tunnel interface %s\n", opt.ifname);
  printf("press enter key to start connecting %s:%d\n", ip, port);
  fflush(stdout);
  getchar();  // also goes on at end of input: connectmany_window ... < /dev/null

  // -w N keeps N handshakes in flight; 1 is the article's one at a time.
  const int established = window_options.in_flight > 1
      ? connect_window(fd, ip, port, count, window_options.in_flight)
      : connect_many(fd, ip, port, count);
  exit_if_asked(fd, window_options.exit_when_done, established == count);  // -x

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
    if (!window_options.quiet)
      printf("read %d bytes from tunnel interface %s.\n", nread, opt.ifname);

    ip_input(fd, buf, nread, tcp_input);
  }
  return 0;
}
