// bareloop - the benchmark's baseline: the article's synchronous handshake
// and nothing else.  For each connection: write a SYN, read until a SYN+ACK
// comes, write the ACK.  No printing, no poll(), no timeout, no check beyond
// "a TCP SYN+ACK": what connectmany takes above this is the price of its
// output, its length checks and its bounded wait.  It shares connectmany's
// checksums and source addresses, and it hangs if an answer never comes
// (run.sh bounds it with timeout).
//
//   build/bench/bareloop IP PORT COUNT     (root, inside a private namespace)
#include "faketcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

struct Segment
{
  struct iphdr iphdr;
  struct tcphdr tcphdr;
};
static_assert(sizeof(Segment) == 40, "IP header then TCP header, no padding");

static void send_segment(int fd, Segment* s)
{
  s->iphdr.check = 0;
  s->tcphdr.check = 0;
  s->iphdr.check = in_checksum(&s->iphdr, sizeof s->iphdr);
  s->tcphdr.check = tcp_checksum(&s->iphdr, &s->tcphdr, sizeof s->tcphdr);
  if (write(fd, s, sizeof *s) != sizeof *s)
  {
    perror("bareloop: write to tun");
    exit(1);
  }
}

int main(int argc, char* argv[])
{
  uint32_t daddr;
  if (argc != 4 || inet_pton(AF_INET, argv[1], &daddr) != 1)
  {
    fprintf(stderr, "usage: bareloop IP PORT COUNT\n");
    return 2;
  }
  const uint16_t dport = htons(static_cast<uint16_t>(atoi(argv[2])));
  const long count = atol(argv[3]);
  char dev[IFNAMSIZ] = "tun%d";
  const int fd = tun_alloc(dev, "192.168.0.1/24");
  if (fd < 0)
    return 1;

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < count; ++i)
  {
    Segment syn;
    memset(&syn, 0, sizeof syn);
    syn.iphdr.version = 4;
    syn.iphdr.ihl = 5;
    syn.iphdr.tot_len = htons(sizeof syn);
    syn.iphdr.frag_off = htons(IP_DF);
    syn.iphdr.ttl = 64;
    syn.iphdr.protocol = IPPROTO_TCP;
    syn.iphdr.saddr = htonl(ntohl(daddr) + 1 + i / 64512);  // as connectmany
    syn.iphdr.daddr = daddr;
    syn.tcphdr.source = htons(static_cast<uint16_t>(1024 + i % 64512));
    syn.tcphdr.dest = dport;
    syn.tcphdr.seq = htonl(123456);
    syn.tcphdr.doff = 5;
    syn.tcphdr.syn = 1;
    syn.tcphdr.window = htons(4096);
    send_segment(fd, &syn);

    Segment in;
    for (;;)  // skip what is not a SYN+ACK (IPv6 router solicitations)
    {
      unsigned char buf[2048];
      if (read(fd, buf, sizeof buf) < static_cast<ssize_t>(sizeof in))
        continue;
      memcpy(&in, buf, sizeof in);
      if (in.iphdr.version == 4 && in.iphdr.protocol == IPPROTO_TCP && in.iphdr.ihl == 5
          && in.tcphdr.syn && in.tcphdr.ack)
        break;
    }

    Segment ack;
    memset(&ack, 0, sizeof ack);
    ack.iphdr = syn.iphdr;
    ack.tcphdr.source = in.tcphdr.dest;
    ack.tcphdr.dest = in.tcphdr.source;
    ack.tcphdr.seq = htonl(123457);
    ack.tcphdr.ack_seq = htonl(ntohl(in.tcphdr.seq) + 1);
    ack.tcphdr.doff = 5;
    ack.tcphdr.ack = 1;
    ack.tcphdr.window = htons(5000);
    send_segment(fd, &ack);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const double seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("established %ld of %ld connections in %.3f s (%.0f conn/s)\n",
         count, count, seconds, count / seconds);
  return 0;
}
