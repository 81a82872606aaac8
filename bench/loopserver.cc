// loopserver - the throughput benchmark's reference (make bench-throughput):
// the kernel's own TCP on 127.0.0.1, with a server that does as little as
// a server can, so that its row is the kernel's speed, not ours.
//
//   build/bench/loopserver [-e] PORT
//
// Listens on 127.0.0.1:PORT and serves any number of connections from one
// thread with epoll.  Without -e it is a sink (discardall's part): read()
// into one 1 MiB buffer and drop.  With -e it is an echo server (echoall's
// part): whatever a read() returns is written back before that connection
// is read again.  A connection's FIN is answered with ours once everything
// before it has gone back.  Prints "listening on 127.0.0.1:PORT" when ready,
// and runs until killed.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

static const int kBuffer = 1 << 20;

// One connection's echo that did not fit into its send buffer yet.
struct Pending
{
  unsigned char* data = nullptr;  // kBuffer bytes, allocated on the first partial write
  int off = 0, len = 0;           // data[off, len) is still to go back
};

static void die(const char* what)
{
  fprintf(stderr, "loopserver: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void watch(int epfd, int op, int fd, uint32_t events)
{
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epfd, op, fd, &ev) < 0)
    die("epoll_ctl");
}

static void finish(int epfd, int fd, Pending* p)
{
  epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);  // our FIN; the peer half-closed first, so nothing is lost
  free(p->data);
  *p = Pending();
}

// Writes data[off, len) back; returns false while some remains.
static bool flush(int fd, Pending* p)
{
  while (p->off < p->len)
  {
    const ssize_t n = write(fd, p->data + p->off, p->len - p->off);
    if (n < 0)
    {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return false;
      return true;  // the peer is gone: drop what is left
    }
    p->off += static_cast<int>(n);
  }
  p->off = p->len = 0;
  return true;
}

int main(int argc, char* argv[])
{
  bool echo = false;
  int c;
  while ((c = getopt(argc, argv, "e")) != -1)
  {
    if (c == 'e')
      echo = true;
    else
      return 2;
  }
  if (argc - optind != 1)
  {
    fprintf(stderr, "usage: loopserver [-e] PORT\n");
    return 2;
  }
  setvbuf(stdout, nullptr, _IOLBF, 0);

  int listenfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listenfd < 0)
    die("socket");
  const int on = 1;
  setsockopt(listenfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(atoi(argv[optind])));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listenfd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
    die("bind");
  if (listen(listenfd, 128) < 0)
    die("listen");
  const int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0)
    die("epoll_create1");
  watch(epfd, EPOLL_CTL_ADD, listenfd, EPOLLIN);
  printf("listening on 127.0.0.1:%s\n", argv[optind]);

  static unsigned char buf[kBuffer];
  static Pending pending[4096];  // by fd
  for (;;)
  {
    struct epoll_event events[64];
    const int n = epoll_wait(epfd, events, 64, -1);
    if (n < 0)
    {
      if (errno == EINTR)
        continue;
      die("epoll_wait");
    }
    for (int k = 0; k < n; ++k)
    {
      const int fd = events[k].data.fd;
      if (fd == listenfd)
      {
        int conn;
        while ((conn = accept4(listenfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
        {
          if (conn >= static_cast<int>(sizeof pending / sizeof pending[0]))
          {
            close(conn);
            continue;
          }
          watch(epfd, EPOLL_CTL_ADD, conn, EPOLLIN);
        }
        continue;
      }
      Pending* p = &pending[fd];
      if (p->len > 0)  // EPOLLOUT: the rest of an echo
      {
        if (!flush(fd, p))
          continue;
        watch(epfd, EPOLL_CTL_MOD, fd, EPOLLIN);
      }
      for (;;)
      {
        const ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
          break;
        if (got <= 0)  // their FIN (or an error); every echo before it has gone back
        {
          finish(epfd, fd, p);
          break;
        }
        if (!echo)
          continue;
        const ssize_t put = write(fd, buf, got);
        const ssize_t done = put < 0 ? 0 : put;
        if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        {
          finish(epfd, fd, p);
          break;
        }
        if (done < got)
        {
          // The send buffer is full: keep the rest, and read this
          // connection again only when it has gone back.
          if (!p->data && !(p->data = static_cast<unsigned char*>(malloc(kBuffer))))
            die("malloc");
          memcpy(p->data, buf + done, got - done);
          p->off = 0;
          p->len = static_cast<int>(got - done);
          watch(epfd, EPOLL_CTL_MOD, fd, EPOLLOUT);
          break;
        }
      }
    }
  }
}
