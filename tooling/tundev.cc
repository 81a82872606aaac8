// tooling/tundev.cc - see tundev.h.
#include "tooling/tundev.h"

#include <errno.h>  // program_invocation_short_name
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>

bool tun_offload(int fd, const char* dev)
{
  // TUN_F_CSUM: we take packets whose TCP checksum the kernel has not
  // finished (CHECKSUM_PARTIAL), so it need not compute it at all.
  // TUN_F_TSO4: we take IPv4 TCP segments longer than the MTU, so the
  // kernel need not cut its 64 KB into 1460-byte pieces.  The device then
  // has the features of a card with offload (ethtool -k tun0).
  const unsigned long flags = TUN_F_CSUM | TUN_F_TSO4;
  if (ioctl(fd, TUNSETOFFLOAD, flags) < 0)
  {
    fprintf(stderr, "%s: ioctl TUNSETOFFLOAD on %s: %s (-K needs a Linux tun driver with"
            " offload, 2.6.27 or later; run without -K)\n",
            program_invocation_short_name, dev, strerror(errno));
    return false;
  }
  return true;
}

bool tun_nonblock(int fd, const char* dev)
{
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
  {
    fprintf(stderr, "%s: fcntl O_NONBLOCK on %s: %s (run without --ack-burst)\n",
            program_invocation_short_name, dev, strerror(errno));
    return false;
  }
  return true;
}

// ip link set DEV ... N: sets an int of the interface (ifr_mtu and ifr_qlen
// are the same int of struct ifreq's union) through any socket.  Prints
// what failed, with `fix`, and returns false when the kernel refuses.
static bool link_set(const char* dev, unsigned long request, const char* request_name, int value,
                     const char* fix)
{
  int sock = socket(AF_INET, SOCK_DGRAM, 0);
  if (sock < 0)
  {
    fprintf(stderr, "%s: socket: %s\n", program_invocation_short_name, strerror(errno));
    return false;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
  ifr.ifr_ifru.ifru_ivalue = value;
  const bool ok = ioctl(sock, request, &ifr) == 0;
  if (!ok)
    fprintf(stderr, "%s: ioctl %s %d on %s: %s (%s)\n",
            program_invocation_short_name, request_name, value, dev, strerror(errno), fix);
  close(sock);
  return ok;
}

bool tun_txqueuelen(const char* dev, int packets)
{
  return link_set(dev, SIOCSIFTXQLEN, "SIOCSIFTXQLEN", packets, "a smaller --window needs none");
}

bool tun_mtu(const char* dev, int mtu)
{
  return link_set(dev, SIOCSIFMTU, "SIOCSIFMTU", mtu, "--mtu takes 68..65535; run without it");
}
