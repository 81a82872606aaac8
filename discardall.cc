// discardall.cc - step 4: accept every TCP connection and discard its data.
//
// Read its source, then run it as:   sudo ./discardall
//   (or, leaving the host alone: scripts/netns bash, then ./discardall & in it)
// It responds to:                    nc 192.168.0.2 2000     (connects; type lines)
//                                    ss -tn                  (ESTAB; Send-Q stays 0)
//                                    ping 192.168.0.2        (answered, as in step 1)
#include "faketcp.h"
#include "tooling/discardall_options.h"
#include "tooling/options.h"
#include "tooling/tunio.h"

#include <algorithm>  // std::swap
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

static const char kUsage[] =
  "usage: discardall [-i IFNAME] [-a ADDR/PREFIX] [--pcap FILE]\n"
  "                  [--mss N] [--window BYTES] [--mtu N] [-K] [--ack-burst]\n"
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

  union
  {
    unsigned char output[20 + 20 + 8];  // and room for a SYN+ACK's options
    struct
    {
      struct iphdr iphdr;
      struct tcphdr tcphdr;
    } out;
  };
  static_assert(sizeof out == 20 + 20, "IP header then TCP header, no padding");
  memset(&out, 0, sizeof out);
  // None by default, as in the article; --mss and --window add theirs
  // (tooling/discardall_options.h, docs/faster.md).
  const int options_len = tcphdr->syn ? synack_options(tcphdr, output + sizeof out) : 0;
  const int out_len = static_cast<int>(sizeof out) + options_len;

  // IP header: the segment's own, addresses swapped, options dropped.
  memcpy(&out.iphdr, iphdr, sizeof out.iphdr);
  out.iphdr.ihl = sizeof out.iphdr / 4;
  out.iphdr.tot_len = htons(out_len);
  std::swap(out.iphdr.saddr, out.iphdr.daddr);
  out.iphdr.check = 0;
  out.iphdr.check = in_checksum(&out.iphdr, sizeof out.iphdr);

  out.tcphdr.source = tcphdr->dest;
  out.tcphdr.dest = tcphdr->source;
  out.tcphdr.doff = (sizeof out.tcphdr + options_len) / 4;
  out.tcphdr.window = htons(window_field(tcphdr->syn));  // 5000 unless --window

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
    out.tcphdr.check = tcp_checksum(&out.iphdr, &out.tcphdr, sizeof out.tcphdr + options_len);
    if (ack_burst)  // --ack-burst: a bare ACK waits for the burst's end (docs/faster.md)
      tun_write_later(fd, output, out_len);
    else
      tun_write(fd, output, out_len);
  }
}

int main(int argc, char* argv[])
{
  Options opt;
  parse_options_or_exit(argc, argv, kUsage, 0, &opt, &kDiscardallOptions);
  setvbuf(stdout, nullptr, _IOLBF, 0);  // a line per packet, even into a pipe or | tee
  if (ack_burst)
    tun_buffer_console();  // --ack-burst: the lines too, one write() per burst

  int fd = tun_alloc(opt.ifname, opt.hostaddr);
  if (fd < 0)
  {
    fprintf(stderr, "tunnel interface allocation failed\n");
    exit(1);
  }
  if (!tun_speed_setup(fd, opt.ifname))  // -K, --mtu N, --window (docs/faster.md)
    exit(1);
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
