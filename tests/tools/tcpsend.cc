// tcpsend - the sender of make bench-throughput and tests/integration/faster.sh:
// BYTES over STREAMS TCP connections at once, made by the kernel's own TCP,
// from one thread, so that the sender is never what limits the figure.
//
//   tests/bin/tcpsend [-e] [-c CONGESTION] IP PORT BYTES STREAMS
//
// Each stream gets BYTES / STREAMS bytes (the first one the remainder),
// written with non-blocking write()s of at most 1 MiB whenever epoll says
// the socket has room; then shutdown(SHUT_WR) (our FIN: "half-close") and
// wait for the other side's FIN (read() returns 0).  The time runs from the
// first connect() to the last FIN.
//
// The bytes are a fixed pseudo-random pattern that repeats every 65,521
// bytes (a prime, so it never lines up with a block), each stream starting
// at its own place in it.  With -e (an echo server at the other end) every
// byte read back is compared with the byte sent at that offset, and the
// stream must end with exactly as many bytes as were sent.  -c sets the
// sockets' congestion control (TCP_CONGESTION: cubic, bbr, reno), so that
// every row of a benchmark uses the same whatever the machine's default.
//
// Prints, when every stream ended well:
//   sent 1073741824 bytes over 4 streams in 0.532 s (1924.8 MiB/s)
//   ... , every byte echoed back equal         (with -e)
// and exits 0; otherwise says which stream failed and why, and exits 1.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

static const int kBlock = 1 << 20;       // bytes a write() offers at most
static const int kPeriod = 65521;        // the pattern repeats every kPeriod bytes
static const int kMaxStreams = 1024;
static const int kIdleSeconds = 20;      // no progress on any stream this long: give up

// The pattern, kPeriod bytes and then kBlock more that repeat its start, so
// that any offset's next kBlock bytes are one contiguous run in memory.
static unsigned char pattern[kPeriod + kBlock];
static unsigned char readbuf[kBlock];

struct Stream
{
  int fd = -1;
  long long total = 0;     // bytes this stream sends
  long long sent = 0;      // written so far
  long long received = 0;  // read back so far (-e)
  int start = 0;           // where in the pattern its byte 0 is
  bool connected = false;
  bool shut = false;       // our FIN is queued
  bool done = false;       // their FIN has come
};

static void fill_pattern()
{
  uint32_t x = 2463534242u;  // xorshift32 (Marsaglia 2003): cheap, not periodic over kPeriod
  for (int i = 0; i < kPeriod; ++i)
  {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    pattern[i] = static_cast<unsigned char>(x >> 24);
  }
  for (int i = 0; i < kBlock; ++i)
    pattern[kPeriod + i] = pattern[i % kPeriod];
}

static const unsigned char* pattern_at(const Stream& s, long long offset)
{
  return pattern + (s.start + offset) % kPeriod;
}

static void fail(int index, const char* what, int err)
{
  fprintf(stderr, "tcpsend: stream %d: %s: %s\n", index, what, err ? strerror(err) : "");
  exit(1);
}

static double now()
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// Writes until the socket is full or the stream's bytes are all written,
// then half-closes.  Returns whether anything happened.
static bool stream_write(Stream& s, int index, int epfd)
{
  bool progress = false;
  while (s.sent < s.total)
  {
    const long long left = s.total - s.sent;
    const int len = left < kBlock ? static_cast<int>(left) : kBlock;
    const ssize_t n = write(s.fd, pattern_at(s, s.sent), len);
    if (n < 0)
    {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return progress;
      fail(index, "write", errno);
    }
    s.sent += n;
    progress = true;
  }
  if (!s.shut)
  {
    if (shutdown(s.fd, SHUT_WR) < 0)  // our FIN, after the last byte
      fail(index, "shutdown", errno);
    s.shut = true;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;  // nothing more to write: only wait for their bytes and FIN
    ev.data.u32 = static_cast<uint32_t>(index);
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, s.fd, &ev) < 0)
      fail(index, "epoll_ctl", errno);
    progress = true;
  }
  return progress;
}

// Reads what has arrived: with -e, checks it against what was sent; without,
// any byte is an error (a sink sends nothing).  A read of 0 is their FIN.
static bool stream_read(Stream& s, int index, bool echo)
{
  bool progress = false;
  for (;;)
  {
    const ssize_t n = read(s.fd, readbuf, sizeof readbuf);
    if (n < 0)
    {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return progress;
      fail(index, "read", errno);
    }
    progress = true;
    if (n == 0)
    {
      if (echo && s.received != s.total)
      {
        fprintf(stderr, "tcpsend: stream %d: the echo ended after %lld of %lld bytes\n",
                index, s.received, s.total);
        exit(1);
      }
      if (!s.shut)
        fail(index, "the other side closed before we had sent everything", 0);
      s.done = true;
      close(s.fd);
      return progress;
    }
    if (!echo)
    {
      fprintf(stderr, "tcpsend: stream %d: %zd bytes came back from a sink\n", index, n);
      exit(1);
    }
    if (s.received + n > s.total)
    {
      fprintf(stderr, "tcpsend: stream %d: %lld bytes came back, more than the %lld sent\n",
              index, s.received + n, s.total);
      exit(1);
    }
    // Compare a whole read at once; on a difference, find the first byte.
    // A read never spans more than kBlock bytes, and pattern_at() has kBlock
    // contiguous bytes after any offset.
    if (memcmp(readbuf, pattern_at(s, s.received), n) != 0)
    {
      const unsigned char* want = pattern_at(s, s.received);
      ssize_t i = 0;
      while (readbuf[i] == want[i])
        ++i;
      fprintf(stderr, "tcpsend: stream %d: byte %lld came back as 0x%02x, sent as 0x%02x\n",
              index, s.received + i, readbuf[i], want[i]);
      exit(1);
    }
    s.received += n;
  }
}

int main(int argc, char* argv[])
{
  bool echo = false;
  const char* congestion = nullptr;
  int c;
  while ((c = getopt(argc, argv, "ec:")) != -1)
  {
    if (c == 'e')
      echo = true;
    else if (c == 'c')
      congestion = optarg;
    else
      return 2;
  }
  struct sockaddr_in server;
  memset(&server, 0, sizeof server);
  server.sin_family = AF_INET;
  char* end = nullptr;
  if (argc - optind != 4 || inet_pton(AF_INET, argv[optind], &server.sin_addr) != 1)
  {
    fprintf(stderr, "usage: tcpsend [-e] [-c CONGESTION] IP PORT BYTES STREAMS\n");
    return 2;
  }
  server.sin_port = htons(static_cast<uint16_t>(atoi(argv[optind + 1])));
  const long long bytes = strtoll(argv[optind + 2], &end, 10);
  const int nstreams = atoi(argv[optind + 3]);
  if (*end != '\0' || bytes < 1 || nstreams < 1 || nstreams > kMaxStreams)
  {
    fprintf(stderr, "tcpsend: BYTES must be a number >= 1, STREAMS 1..%d\n", kMaxStreams);
    return 2;
  }
  fill_pattern();

  const int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0)
    fail(-1, "epoll_create1", errno);
  static Stream streams[kMaxStreams];
  const double t0 = now();
  for (int i = 0; i < nstreams; ++i)
  {
    Stream& s = streams[i];
    s.total = bytes / nstreams + (i == 0 ? bytes % nstreams : 0);
    s.start = static_cast<int>((i * 7919LL) % kPeriod);
    s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0)
      fail(i, "socket", errno);
    if (congestion && setsockopt(s.fd, IPPROTO_TCP, TCP_CONGESTION, congestion,
                                 static_cast<socklen_t>(strlen(congestion))) < 0)
      fail(i, "setsockopt TCP_CONGESTION", errno);
    if (connect(s.fd, reinterpret_cast<struct sockaddr*>(&server), sizeof server) < 0
        && errno != EINPROGRESS)
      fail(i, "connect", errno);
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, s.fd, &ev) < 0)
      fail(i, "epoll_ctl", errno);
  }

  int left = nstreams;
  double last_progress = now();
  while (left > 0)
  {
    struct epoll_event events[64];
    const int n = epoll_wait(epfd, events, 64, 1000);
    if (n < 0 && errno != EINTR)
      fail(-1, "epoll_wait", errno);
    bool progress = false;
    for (int k = 0; k < n; ++k)
    {
      const int index = static_cast<int>(events[k].data.u32);
      Stream& s = streams[index];
      if (s.done)
        continue;
      if (!s.connected)
      {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err)
          fail(index, "connect", err);
        if (!(events[k].events & (EPOLLOUT | EPOLLIN)))
          continue;
        s.connected = true;
      }
      if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        progress |= stream_read(s, index, echo);
      if (!s.done && !s.shut && (events[k].events & EPOLLOUT))
        progress |= stream_write(s, index, epfd);
      if (s.done)
        --left;
    }
    if (progress)
      last_progress = now();
    else if (now() - last_progress > kIdleSeconds)
    {
      for (int i = 0; i < nstreams; ++i)
        if (!streams[i].done)
          fprintf(stderr, "tcpsend: stream %d: no progress for %d s: %lld of %lld bytes written,"
                  " %lld read back%s\n", i, kIdleSeconds, streams[i].sent, streams[i].total,
                  streams[i].received, streams[i].shut ? ", FIN sent, no FIN back" : "");
      return 1;
    }
  }
  const double seconds = now() - t0;
  printf("sent %lld bytes over %d stream%s in %.3f s (%.1f MiB/s)%s\n", bytes, nstreams,
         nstreams == 1 ? "" : "s", seconds, bytes / seconds / (1 << 20),
         echo ? ", every byte echoed back equal" : "");
  return 0;
}
