// discardall.cc - step 4: accept every TCP connection and discard its data.
//
// Read its source, then run it as:   sudo ./discardall
//   (or, leaving the host alone: scripts/netns bash, then ./discardall & in it)
// It responds to:                    nc 192.168.0.2 2000     (connects; type lines)
//                                    ss -tn                  (ESTAB; Send-Q stays 0)
//                                    ping 192.168.0.2        (answered, as in step 1)
#include "faketcp.h"
#include "tooling/cmdline.h"
#include "tooling/tunio.h"

#include <algorithm>  // std::swap
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

static const char kAbout[] =
  "  As acceptall, and every data segment is acknowledged (then thrown away),\n"
  "  so the sender's Send-Q drains to 0: a discard server for every address.\n"
  "  同 acceptall，并确认（然后丢弃）每个数据分节，发送方的 Send-Q 降为 0。\n";

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
    // We keep no state, so every connection gets the same initial sequence
    // number; a real stack picks an unpredictable one (RFC 6528).
    out.tcphdr.seq = htonl(123456);
    out.tcphdr.ack_seq = htonl(ntohl(tcphdr->seq) + 1);  // the SYN counts as one
    out.tcphdr.syn = 1;
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

int main(int argc, char* argv[])
{
  TunOptions opt;
  parse_options_or_exit(argc, argv, kAbout, &opt);
  setvbuf(stdout, nullptr, _IOLBF, 0);  // a line per packet, even into a pipe or | tee

  int fd = tun_alloc(opt.ifname, opt.addr, opt.netmask);
  if (fd < 0)
  {
    fprintf(stderr, "tunnel interface allocation failed\n");
    exit(1);
  }
  printf("allocated tunnel interface %s\n", opt.ifname);

  for (;;)
  {
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
    printf("read %d bytes from tunnel interface %s.\n", nread, opt.ifname);

    ip_input(fd, buf, nread, tcp_input);
  }
  return 0;
}
