// discardall_fast.cc - discardall (step 4) at the kernel's own speed: the
// options of docs/faster.md, each one thing the article's discardall leaves
// slow.  `diff discardall.cc discardall_fast.cc` is that lesson:
//   --mss N, --window BYTES   bigger segments, more of them in flight (SYN+ACK options)
//   --mtu N, -K               bigger reads: a jumbo MTU, or TUN offload (64 KB a read)
//   --ack-burst               one ACK per burst of segments, not one per segment
//   -q                        no line per packet
// With no option its packets are the article's, byte for byte.
//
// Read its source, then run it as:   sudo ./discardall_fast -K
//   (or, leaving the host alone: scripts/netns bash, then ./discardall_fast -K & in it)
// It responds to:                    nc 192.168.0.2 2000     (connects; type lines)
//                                    ss -tn                  (ESTAB; Send-Q stays 0)
//                                    ping 192.168.0.2        (answered, as in step 1)
#include "faketcp.h"
#include "tooling/ack_burst.h"  // --ack-burst
#include "tooling/speed.h"      // --mss, --window, --mtu, -K
#include "tooling/cmdline.h"
#include "tooling/tunio.h"

#include <algorithm>  // std::swap
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

static const char kAbout[] =
  "  As discardall (every data segment acknowledged, then thrown away), with the\n"
  "  options that take one stream near the kernel's own speed (docs/faster.md).\n"
  "  同 discardall，另有让单条流接近内核自身速度的选项（见 docs/faster.md）。\n";

// --mss, --window, --mtu, -K, --ack-burst and -q, as main read them: what
// our SYN+ACK announces, the window we offer, and how we read and write.  Not
// static: a unit test sets it as main would (tests/support/speed_options_set.h).
SpeedOptions speed;

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

  if (!speed.quiet)  // -q: no line per packet (docs/faster.md)
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
  // (tooling/speed.h, docs/faster.md).
  const int options_len = tcphdr->syn ? synack_options(speed, tcphdr, output + sizeof out) : 0;
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
  out.tcphdr.window = htons(window_field(speed, tcphdr->syn));  // 5000 unless --window

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
    if (speed.ack_burst)  // --ack-burst: a bare ACK waits for the burst's end (docs/faster.md)
      tun_write_later(fd, output, out_len);
    else
      tun_write(fd, output, out_len);
  }
}

int main(int argc, char* argv[])
{
  TunOptions opt;
  OptionTable table(kAbout);
  tun_options_add(&table, &opt);
  speed_options_add(&table, &speed, kSpeedMtu | kSpeedAckBurst | kSpeedQuiet);
  table.parse_or_exit(argc, argv);
  setvbuf(stdout, nullptr, _IOLBF, 0);  // a line per packet, even into a pipe or | tee
  if (speed.ack_burst)
    tun_buffer_console();  // --ack-burst: the lines too, one write() per burst

  int fd = tun_alloc(opt.ifname, opt.addr, opt.netmask);
  if (fd < 0)
  {
    fprintf(stderr, "tunnel interface allocation failed\n");
    exit(1);
  }
  if (!tun_speed_setup(fd, opt.ifname, speed))  // -K, --mtu N, --window (docs/faster.md)
    exit(1);
  printf("allocated tunnel interface %s\n", opt.ifname);

  for (;;)
  {
    union
    {
      unsigned char buf[IP_MAXPACKET];
      struct iphdr iphdr;
    };

    // --ack-burst: the kept ACKs go once nothing more waits to be read.
    int nread = speed.ack_burst ? tun_read_burst(fd, buf, sizeof buf) : tun_read(fd, buf, sizeof buf);
    if (nread < 0)
    {
      perror("read from tunnel interface");
      close(fd);
      exit(1);
    }
    if (!speed.quiet)
      printf("read %d bytes from tunnel interface %s.\n", nread, opt.ifname);

    ip_input(fd, buf, nread, tcp_input);
  }
  return 0;
}
