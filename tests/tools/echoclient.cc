// echoclient - round-trips bytes through an echo server and checks every one,
// the client that the echoall (step 6) tests run.
//
//   tests/bin/echoclient [-n CLIENTS] [-s BYTES] [-t SECONDS] [-p] ADDR PORT
//
// Opens CLIENTS connections (default 1) at once, writes BYTES bytes (default
// 1048576) of a different pseudo-random stream on each while reading the
// echo back, half-closes (shutdown SHUT_WR) when all is written, and expects
// exactly those bytes, then end of file.  Writing and reading at the same
// time matters: a client that writes everything before reading deadlocks
// against any echo server once both directions' buffers are full.
//
// -p: a reader that pauses.  Each client writes but reads nothing until the
// process gets SIGUSR1: its receive queue fills with the echo, its window
// falls to 0, and the server's writes must wait.  It keeps writing all the
// while, so the zero window is certain, not a race with how much was queued
// when reading stopped (tests/integration/echoall.sh sends the signal once
// the server has seen "win 0").
//
// Prints one line, e.g.
//   echoclient: 100 clients, 10240000 bytes sent, 10240000 bytes back and equal, 0.84 s
// and exits 0; or names the first client that went wrong and exits 1.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <vector>

struct Client
{
  int fd = -1;
  std::vector<unsigned char> sent;  // the whole stream, to compare the echo with
  size_t written = 0;
  size_t received = 0;
  bool connected = false;
  bool shut = false;  // SHUT_WR done
  bool done = false;  // end of file after every byte
};

static volatile sig_atomic_t paused = 0;  // -p, until SIGUSR1
static void resume(int) { paused = 0; }

static double now()
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage_exit(int status)
{
  fprintf(status ? stderr : stdout,
          "usage: echoclient [-n CLIENTS] [-s BYTES] [-t SECONDS] [-p] ADDR PORT\n"
          "  CLIENTS connections at once, each writes BYTES and checks the echo.\n"
          "  -p: read nothing until SIGUSR1 (a reader that pauses).\n");
  exit(status);
}

static long number(const char* text, long lo, long hi, char opt)
{
  char* end = nullptr;
  errno = 0;
  long n = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || errno || n < lo || n > hi)
  {
    fprintf(stderr, "echoclient: -%c %s: expected a number %ld..%ld\n", opt, text, lo, hi);
    usage_exit(2);
  }
  return n;
}

// Each client's stream differs (xorshift32 seeded by its index), so bytes
// echoed on the wrong connection, or at the wrong offset, do not compare equal.
static void fill(std::vector<unsigned char>* buf, uint32_t seed)
{
  uint32_t x = seed * 2654435761u + 1;
  for (unsigned char& b : *buf)
  {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<unsigned char>(x >> 24);
  }
}

static int fail(int i, const char* what)
{
  printf("echoclient: client %d: %s\n", i, what);
  return 1;
}

int main(int argc, char* argv[])
{
  int nclients = 1;
  long size = 1048576;
  double seconds = 100;  // a liveness bound: the kernel's backed-off RTO after loss can reach 26 s
  int c;
  while ((c = getopt(argc, argv, "hn:s:t:p")) != -1)
  {
    switch (c)
    {
      case 'n': nclients = static_cast<int>(number(optarg, 1, 10000, 'n')); break;
      case 's': size = number(optarg, 0, 1L << 30, 's'); break;
      case 't': seconds = static_cast<double>(number(optarg, 1, 3600, 't')); break;
      case 'p': paused = 1; break;
      case 'h': usage_exit(0); break;
      default: usage_exit(2);
    }
  }
  if (argc - optind != 2)
    usage_exit(2);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(number(argv[optind + 1], 1, 65535, 'p')));
  if (inet_pton(AF_INET, argv[optind], &addr.sin_addr) != 1)
  {
    fprintf(stderr, "echoclient: %s is not an IPv4 address\n", argv[optind]);
    usage_exit(2);
  }

  if (paused)
    signal(SIGUSR1, resume);

  std::vector<Client> clients(nclients);
  for (int i = 0; i < nclients; ++i)
  {
    Client& cl = clients[i];
    cl.sent.resize(size);
    fill(&cl.sent, static_cast<uint32_t>(i + 1));
    cl.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (cl.fd < 0)
    {
      fprintf(stderr, "echoclient: socket: %s (lower -n: the open-file limit is %ld)\n",
              strerror(errno), sysconf(_SC_OPEN_MAX));
      return 1;
    }
    if (connect(cl.fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0
        && errno != EINPROGRESS)
    {
      fprintf(stderr, "echoclient: connect: %s\n", strerror(errno));
      return 1;
    }
  }

  const double start = now();
  std::vector<unsigned char> buf(65536);
  std::vector<struct pollfd> pfds(nclients);
  int remaining = nclients;
  while (remaining > 0)
  {
    if (now() - start > seconds)
    {
      for (int i = 0; i < nclients; ++i)
        if (!clients[i].done)
        {
          printf("echoclient: client %d: timed out after %.0f s, %zu of %ld bytes written, "
                 "%zu back\n", i, seconds, clients[i].written, size, clients[i].received);
          return 1;
        }
    }
    for (int i = 0; i < nclients; ++i)
    {
      const Client& cl = clients[i];
      pfds[i].fd = cl.done ? -1 : cl.fd;
      pfds[i].events = (paused ? 0 : POLLIN) | (cl.shut ? 0 : POLLOUT);
      pfds[i].revents = 0;
    }
    if (poll(pfds.data(), nclients, 100) < 0 && errno != EINTR)
    {
      fprintf(stderr, "echoclient: poll: %s\n", strerror(errno));
      return 1;
    }
    for (int i = 0; i < nclients; ++i)
    {
      Client& cl = clients[i];
      if (cl.done || pfds[i].revents == 0)
        continue;
      if (!cl.connected)
      {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(cl.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err)
          return fail(i, strerror(err));
        cl.connected = true;
      }
      if ((pfds[i].revents & POLLOUT) && !cl.shut)
      {
        const size_t chunk = std::min<size_t>(cl.sent.size() - cl.written, 65536);
        ssize_t n = chunk ? write(cl.fd, cl.sent.data() + cl.written, chunk) : 0;
        if (n < 0 && errno != EAGAIN)
          return fail(i, strerror(errno));
        if (n > 0)
          cl.written += n;
        if (cl.written == cl.sent.size())
        {
          shutdown(cl.fd, SHUT_WR);  // our FIN: "that is all", the server's FIN follows the echo
          cl.shut = true;
        }
      }
      if (!paused && (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
      {
        ssize_t n = read(cl.fd, buf.data(), buf.size());
        if (n < 0 && errno != EAGAIN)
          return fail(i, strerror(errno));
        if (n > 0)
        {
          if (cl.received + n > cl.sent.size())
            return fail(i, "more bytes came back than were sent");
          if (memcmp(buf.data(), cl.sent.data() + cl.received, n) != 0)
          {
            size_t k = 0;
            while (buf[k] == cl.sent[cl.received + k])
              ++k;
            printf("echoclient: client %d: byte %zu differs: sent 0x%02x, got 0x%02x\n", i,
                   cl.received + k, cl.sent[cl.received + k], buf[k]);
            return 1;
          }
          cl.received += n;
        }
        if (n == 0)
        {
          if (cl.received != cl.sent.size())
          {
            printf("echoclient: client %d: end of file after %zu of %zu bytes\n", i,
                   cl.received, cl.sent.size());
            return 1;
          }
          cl.done = true;
          close(cl.fd);
          --remaining;
        }
      }
    }
  }
  const double elapsed = now() - start;
  const long long total = static_cast<long long>(size) * nclients;
  printf("echoclient: %d client%s, %lld bytes sent, %lld bytes back and equal, %.2f s\n",
         nclients, nclients == 1 ? "" : "s", total, total, elapsed);
  return 0;
}
