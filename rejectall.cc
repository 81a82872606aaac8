// rejectall.cc - step 2: refuse every TCP connection to 192.168.0.X.
//
// Read its source, then run it as:   sudo ./rejectall
//   (or, leaving the host alone: scripts/netns bash, then ./rejectall & in it)
// It responds to:                    nc 192.168.0.2 2000     (Connection refused)
//                                    nc 192.168.0.7 5555     (Connection refused)
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
  "  Answers pings, and every TCP SYN with RST+ACK: every connection is refused.\n"
  "  回应 ping；对每个 TCP SYN 回以 RST+ACK：所有连接都被拒绝。\n";

// Answers a SYN with RST+ACK.  The kernel on the other side then fails the
// connect() with ECONNREFUSED, exactly as if nothing listened on the port.
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

  if (tcphdr->syn)
  {
    tcp_print(iphdr, tcphdr, payload_len);

    struct
    {
      struct iphdr iphdr;
      struct tcphdr tcphdr;
    } out;
    static_assert(sizeof out == 20 + 20, "IP header then TCP header, no padding");
    memset(&out, 0, sizeof out);

    // IP header: the SYN's own, addresses swapped, options dropped.
    memcpy(&out.iphdr, iphdr, sizeof out.iphdr);
    out.iphdr.ihl = sizeof out.iphdr / 4;
    out.iphdr.tot_len = htons(sizeof out);
    std::swap(out.iphdr.saddr, out.iphdr.daddr);
    out.iphdr.check = 0;
    out.iphdr.check = in_checksum(&out.iphdr, sizeof out.iphdr);

    // TCP header.  RFC 793 section 3.4: "If the incoming segment has an ACK
    // field ... Otherwise the reset has sequence number zero and the ACK
    // field is set to the sum of the sequence number and segment length of
    // the incoming segment."  The SYN counts as one.
    out.tcphdr.source = tcphdr->dest;
    out.tcphdr.dest = tcphdr->source;
    out.tcphdr.seq = 0;
    out.tcphdr.ack_seq = htonl(ntohl(tcphdr->seq) + 1 + payload_len);
    out.tcphdr.doff = sizeof out.tcphdr / 4;
    out.tcphdr.ack = 1;
    out.tcphdr.rst = 1;  // the reset that refuses the connection
    out.tcphdr.window = 0;
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
