// tooling/connectmany_options.cc - see connectmany_options.h.  Why each of
// these makes connectmany faster, measured: docs/bench.md.
#include "tooling/connectmany_options.h"
#include "tooling/tunio.h"  // tun_read

#include <algorithm>  // std::max
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

bool quiet = false;
int in_flight = 1;
bool exit_when_done = false;
static bool show_progress = false;  // a person watches stderr: output_setup

// ---------------------------------------------------------------- command line

static bool take_option(int c, const char* arg)
{
  char* end = nullptr;
  switch (c)
  {
    case 'q':
      quiet = true;
      return true;
    case 'w':
      in_flight = static_cast<int>(strtol(arg, &end, 10));
      if (*arg == '\0' || *end != '\0' || in_flight < 1 || in_flight > 4096)
      {
        fprintf(stderr, "%s: -w %s: expected a number of handshakes in flight, 1..4096\n",
                program_invocation_short_name, arg);
        return false;
      }
      return true;
    case 'x':
      exit_when_done = true;
      return true;
    case 'r':
      syn_rto_ms = static_cast<int>(strtol(arg, &end, 10));
      if (*arg == '\0' || *end != '\0' || syn_rto_ms < 1 || syn_rto_ms > 60000)
      {
        fprintf(stderr, "%s: -r %s: expected a SYN's first wait in milliseconds, 1..60000\n",
                program_invocation_short_name, arg);
        return false;
      }
      return true;
  }
  return false;
}

static const struct option kLongOptions[] = {
  { "exit", no_argument, nullptr, 'x' },
  { "syn-rto", required_argument, nullptr, 'r' },
  { nullptr, 0, nullptr, 0 },
};

const ExtraOptions kConnectmanyOptions = {
  "qw:xr:",
  kLongOptions,
  "  -q          no line per packet; a progress line on stderr if it is a terminal\n"
  "              不逐包打印；若 stderr 是终端，显示进度行\n"
  "  -w N        N handshakes in flight (1..4096; default 1, one at a time as in\n"
  "              the article)   同时进行 N 个握手（默认 1，即文章中的逐个连接）\n"
  "  -x, --exit  exit after connecting: status 0 if every handshake completed,\n"
  "              1 if any failed (default: keep serving the connections)\n"
  "              连接完即退出：全部握手成功返回 0，否则返回 1（默认继续服务）\n"
  "  -r, --syn-rto MS  a SYN unanswered after MS ms (default 200) is sent again,\n"
  "              then after twice that, ... 6 times at most, as the kernel does\n"
  "              (its first wait is 1 s): docs/connectmany.md\n"
  "              SYN 在 MS 毫秒（默认 200）内没有回应就重发，之后每次等待加倍，\n"
  "              最多重发 6 次，和内核一样（内核第一次等 1 秒）\n",
  take_option,
};

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
  const uint64_t last = first + (count - 1) / kPortsPerAddr;
  return first > network && last < broadcast && !(first <= host && host <= last);
}

static void usage_exit(const char* usage)
{
  fputs(usage, stderr);
  fputs(kConnectmanyOptions.help, stderr);
  exit(2);
}

void check_args_or_exit(char* args[], const char* hostaddr, const char* usage,
                        int* port, int* count)
{
  const char* ip = args[0];
  long p = 0, n = 0;
  uint32_t destip;
  if (inet_pton(AF_INET, ip, &destip) != 1)
  {
    fprintf(stderr, "connectmany: IP %s: expected an IPv4 address such as 192.168.0.1\n", ip);
    usage_exit(usage);
  }
  if (!parse_int(args[1], 1, 65535, &p))
  {
    fprintf(stderr, "connectmany: PORT %s: expected a number 1..65535\n", args[1]);
    usage_exit(usage);
  }
  if (!parse_int(args[2], 1, 100000000, &n))
  {
    fprintf(stderr, "connectmany: COUNT %s: expected a number 1..100000000\n", args[2]);
    usage_exit(usage);
  }
  if (!sources_fit(hostaddr, destip, n))
  {
    fprintf(stderr, "connectmany: %ld connections from source addresses just above %s need %ld"
            " addresses inside %s; connect to an address of that network with fewer"
            " connections, or choose a larger network with -a\n",
            n, ip, 1 + (n - 1) / kPortsPerAddr, hostaddr);
    exit(2);
  }
  *port = static_cast<int>(p);
  *count = static_cast<int>(n);
}

// ---------------------------------------------------------------- output

void output_setup()
{
  // On a terminal, each line as soon as it is printed.  Into a file or a
  // pipe, 64 KiB at a time (docs/bench.md).  Everything printed is flushed
  // before the program waits (for enter, and for each packet after
  // connecting), so `| tee` and `> log` still get every line, just in
  // bursts while connecting.
  if (isatty(STDOUT_FILENO))
    setvbuf(stdout, nullptr, _IOLBF, 0);
  else
    setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
  // A progress line when someone watches stderr and the packet lines do not
  // go to the same screen.
  show_progress = isatty(STDERR_FILENO) && (quiet || !isatty(STDOUT_FILENO));
}

// "\r" goes back to the start of the line and "\033[K" clears it, so each
// update overwrites the last.  `done` counts handshakes finished either way.
void progress_print(long established, long done, long count, int64_t start)
{
  static int64_t shown = 0;  // when the line was last drawn
  const int64_t now = now_ms();
  if (!show_progress || now - std::max(shown, start) < 250)
    return;
  shown = now;
  const double seconds = (now - start) / 1000.0;
  const double rate = seconds > 0 ? done / seconds : 0.0;
  fprintf(stderr, "\r\033[Kconnectmany: %ld of %ld established, %.0f conn/s, ETA %.0f s",
          established, count, rate, rate > 0 ? (count - done) / rate : 0.0);
}

void progress_clear()
{
  if (show_progress)
    fputs("\r\033[K", stderr);
}

// ---------------------------------------------------------------- -w N, -x

// Connection number i comes from the source address and port connect_many
// gives it, so the destination of a SYN+ACK says which connection it
// answers, and tcp_input builds the ACK from the SYN+ACK alone.  No table of
// connections: what we keep is a window, like TCP's own send window, of the
// N most recent SYNs (when each left, how long it may wait, and whether it
// was answered), so that one unanswered in time is sent again, waiting twice
// as long, as wait_reply does in connect_many, and counts as failed after its
// last retry.  N slots, the same for a hundred connections as for a million.
// The SYN of connection i, from the address and port connect_many gives it.
static void send_syn(int fd, uint32_t destip, uint16_t dport, uint32_t first_src, long i)
{
  tcp_send_syn(fd, destip, dport, htonl(static_cast<uint32_t>(first_src + i / kPortsPerAddr)),
               htons(static_cast<uint16_t>(kFirstPort + i % kPortsPerAddr)));
}

int connect_window(int fd, const char* ipstr, int port, int count)
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

void exit_if_asked(int fd, bool all_established)
{
  if (!exit_when_done)
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
