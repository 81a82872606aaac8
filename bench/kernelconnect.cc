// kernelconnect - the benchmark's other client: COUNT connections made the
// ordinary way, a socket() and a blocking connect() each, by the kernel's
// own TCP.  Every connection costs the client a file descriptor and an
// ephemeral port from net.ipv4.ip_local_port_range (32768..60999 by
// default: 28,232 ports for one server address and port), so it stops
// there with EADDRNOTAVAIL and says where.  The per-process fd limit (20,000
// on some machines, not raisable) is side-stepped by handing every 16,000
// connections to a child process that only holds them.
//
//   build/bench/kernelconnect IP PORT COUNT
// prints "established N of COUNT connections in T s (R conn/s)" (the words
// connectmany uses) and then holds them until SIGTERM or SIGINT.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>

static const int kBatch = 16000;  // fds a process holds, under the limit of 20,000

int main(int argc, char* argv[])
{
  struct sockaddr_in server;
  memset(&server, 0, sizeof server);
  server.sin_family = AF_INET;
  if (argc != 4 || inet_pton(AF_INET, argv[1], &server.sin_addr) != 1)
  {
    fprintf(stderr, "usage: kernelconnect IP PORT COUNT\n");
    return 2;
  }
  server.sin_port = htons(static_cast<uint16_t>(atoi(argv[2])));
  const long count = atol(argv[3]);
  setvbuf(stdout, nullptr, _IOLBF, 0);

  static int held[kBatch];
  int nheld = 0;
  long established = 0;
  const char* stopped = nullptr;
  int saved = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (established < count)
  {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
    {
      stopped = "socket";
      saved = errno;
      break;
    }
    if (connect(fd, reinterpret_cast<struct sockaddr*>(&server), sizeof server) < 0)
    {
      stopped = "connect";
      saved = errno;
      close(fd);
      break;
    }
    held[nheld++] = fd;
    ++established;
    if (nheld == kBatch)
    {
      // The child gets a copy of every fd and keeps the connections open;
      // we close ours and start a fresh batch.
      pid_t pid = fork();
      if (pid < 0)
      {
        stopped = "fork";
        saved = errno;
        break;
      }
      if (pid == 0)
      {
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // go when the parent goes
        for (;;)
          pause();
      }
      for (int i = 0; i < nheld; ++i)
        close(held[i]);
      nheld = 0;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const double seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("established %ld of %ld connections in %.3f s (%.0f conn/s)\n",
         established, count, seconds, established / seconds);
  if (stopped)
    printf("stopped at %ld: %s: %s\n", established, stopped, strerror(saved));
  for (;;)
    pause();  // hold them until killed; the children follow (PDEATHSIG)
}
