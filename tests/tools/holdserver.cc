// holdserver - accepts TCP connections and holds them open without reading,
// the server that connectmany (step 5) connects to in tests and demos.
//
//   tests/bin/holdserver [-w WORKERS] [-b ADDR] [-r] [-l BACKLOG] [-d MS] PORT
//
// -l BACKLOG: listen(fd, BACKLOG) (default: as large as net.core.somaxconn
// allows).  -d MS: wait MS milliseconds (0.5 is fine) after each accept().
// Together they make a server whose accept queue overflows: its kernel then
// drops new SYNs (and final ACKs) until accept() makes room, and a client
// must send them again (connectmany does, tests/integration/connectmany_overflow.sh).
//
// -r: close every connection with a reset when stopped (SO_LINGER of 0
// seconds), so a million of them go at once instead of each waiting in
// FIN_WAIT for a peer that may be gone (the benchmark uses it).
//
// One process can hold no more connections than its open-file limit (20,000
// on some machines, and not raisable without CAP_SYS_RESOURCE), so WORKERS
// processes (default 4) each listen on PORT with SO_REUSEPORT and the kernel
// spreads new connections over them.  The parent prints "holding N
// connections" whenever the total changes, at most every 200 ms, and stops
// the workers when it gets SIGINT or SIGTERM.
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

static volatile sig_atomic_t stop = 0;
static bool reset_on_close = false;  // -r
static int backlog = INT_MAX;        // -l
static useconds_t accept_delay = 0;  // -d, in microseconds

static void on_signal(int) { stop = 1; }

static void die(const char* what)
{
  fprintf(stderr, "holdserver: %s: %s\n", what, strerror(errno));
  exit(1);
}

// Raises the soft open-file limit to the hard one: each held connection is a fd.
static void raise_fd_limit()
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
  {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static int listen_on(uint32_t addr, int port)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die("socket");
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0)
    die("setsockopt SO_REUSEPORT");
  if (reset_on_close)
  {
    // On, 0 s: close() sends RST and frees the socket at once.  Set on the
    // listener, it is inherited by every connection accept() returns (the
    // kernel makes each one a copy of the listener), which saves a
    // setsockopt() per connection.
    struct linger lg = { 1, 0 };
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
      die("setsockopt SO_LINGER");
  }
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = addr;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&sin), sizeof sin) < 0)
    die("bind");
  // The accept queue: connections whose handshake is done, waiting for
  // accept().  When it is full the kernel drops new SYNs, so ask for as
  // much as net.core.somaxconn allows (the kernel caps the backlog there;
  // SOMAXCONN, 4096, would cap it lower still).
  if (listen(fd, backlog) < 0)
    die("listen");
  return fd;
}

// A worker: accept everything, keep every fd, read nothing.
static void worker(int listenfd, long* held)
{
  prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the parent
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0)
    die("epoll_create1");
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.fd = listenfd;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, listenfd, &ev) < 0)
    die("epoll_ctl");
  bool full = false;
  while (!stop)
  {
    struct epoll_event ready;
    // When out of fds, stop polling the listener (it would stay readable)
    // and just hold what we have; the rest wait in the accept queue.
    if (epoll_wait(ep, &ready, 1, full ? -1 : 1000) <= 0)
      continue;
    for (;;)
    {
      int fd = accept4(listenfd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0)
      {
        __atomic_add_fetch(held, 1, __ATOMIC_RELAXED);
        if (accept_delay)
          usleep(accept_delay);  // -d: a slow server
        continue;
      }
      if (errno == EMFILE || errno == ENFILE)
      {
        fprintf(stderr, "holdserver: worker %d is out of file descriptors at %ld;"
                " start more workers with -w\n", getpid(), *held);
        epoll_ctl(ep, EPOLL_CTL_DEL, listenfd, nullptr);
        full = true;
      }
      break;  // EAGAIN: the queue is empty
    }
    // Let the next connections gather in the accept queue for a moment
    // before we wait again.  The kernel wakes a sleeping worker inside the
    // client's write() that completes the handshake; at 50,000 connections
    // a second those wake-ups took a fifth of connectmany's time (perf).
    // Sleeping 5 ms turns them into at most 200 a second per worker.  An idle server
    // still sleeps in epoll_wait, and a lone `nc` is accepted at once.
    usleep(5 * 1000);
  }
  _exit(0);
}

int main(int argc, char* argv[])
{
  int workers = 4;
  uint32_t addr = htonl(INADDR_ANY);
  int c;
  double delay_ms = 0;
  while ((c = getopt(argc, argv, "w:b:rl:d:h")) != -1)
  {
    if (c == 'r')
      reset_on_close = true;
    else if (c == 'w')
      workers = atoi(optarg);
    else if (c == 'l')
      backlog = atoi(optarg);
    else if (c == 'd')
      delay_ms = atof(optarg);
    else if (c == 'b' && inet_pton(AF_INET, optarg, &addr) == 1)
      continue;
    else
    {
      fprintf(stderr, "usage: holdserver [-w WORKERS] [-b ADDR] [-r] [-l BACKLOG] [-d MS] PORT\n");
      return 2;
    }
  }
  const int port = optind < argc ? atoi(argv[optind]) : 0;
  if (optind + 1 != argc || port < 1 || port > 65535 || workers < 1 || workers > 1024 ||
      backlog < 1 || delay_ms < 0 || delay_ms > 10000)
  {
    fprintf(stderr, "usage: holdserver [-w WORKERS 1..1024] [-b ADDR] [-r] [-l BACKLOG 1..]"
                    " [-d MS 0..10000] PORT\n");
    return 2;
  }
  accept_delay = static_cast<useconds_t>(delay_ms * 1000);
  setvbuf(stdout, nullptr, _IOLBF, 0);
  raise_fd_limit();

  // One counter per worker, in memory the workers share with us.
  long* held = static_cast<long*>(mmap(nullptr, workers * sizeof(long), PROT_READ | PROT_WRITE,
                                       MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (held == MAP_FAILED)
    die("mmap");
  memset(held, 0, workers * sizeof(long));

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  pid_t* pids = new pid_t[workers];
  for (int i = 0; i < workers; ++i)
  {
    // Each worker opens its own listening socket: SO_REUSEPORT then
    // balances new connections across them.
    int listenfd = listen_on(addr, port);
    pids[i] = fork();
    if (pids[i] < 0)
      die("fork");
    if (pids[i] == 0)
      worker(listenfd, &held[i]);
    close(listenfd);
  }
  printf("holdserver listening on port %d with %d workers\n", port, workers);

  long last = -1;
  while (!stop)
  {
    long total = 0;
    for (int i = 0; i < workers; ++i)
      total += __atomic_load_n(&held[i], __ATOMIC_RELAXED);
    if (total != last)
      printf("holding %ld connections\n", total);
    last = total;
    usleep(200 * 1000);
  }
  for (int i = 0; i < workers; ++i)
    kill(pids[i], SIGTERM);
  for (int i = 0; i < workers; ++i)
    waitpid(pids[i], nullptr, 0);
  delete[] pids;
  return 0;
}
