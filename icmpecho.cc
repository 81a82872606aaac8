// icmpecho.cc - step 1: answer every ping to 192.168.0.X.
//
// Read its source, then run it as:   sudo ./icmpecho
//   (or, leaving the host alone: scripts/netns bash, then ./icmpecho & in it)
// It responds to:                    ping 192.168.0.2
//                                    ping 192.168.0.234
//                                    ping -c 3 -s 1472 192.168.0.3
#include "faketcp.h"
#include "tooling/cmdline.h"
#include "tooling/tunio.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <netinet/in.h>

static const char kAbout[] =
  "  Creates tun0 at 192.168.0.1/24 and answers every ping to 192.168.0.2..254.\n"
  "  创建 tun0 (192.168.0.1/24)，回应发往 192.168.0.2..254 的每一个 ping。\n";

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

    ip_input(fd, buf, nread, nullptr);  // ICMP only: no tcp_input yet
  }
  return 0;
}
