// tests/support/rawsock.h - how the test tools that forge packets
// (tests/tools/rawsend.cc, synflood.cc) put them on a tun device: through a
// raw IP socket with IP_HDRINCL (the kernel routes the packet out of the
// device, fixing nothing but what it must), or through an AF_PACKET socket
// bound to the device (the bytes go out exactly as written, however broken).
// Header-only: each tool is one file, compiled alone.
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>   // ETH_P_IP
#include <linux/if_packet.h>  // struct sockaddr_ll
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

struct TunSockets
{
  int raw = -1;             // AF_INET, SOCK_RAW, IPPROTO_RAW: IP_HDRINCL implied
  int packet = -1;          // AF_PACKET, SOCK_DGRAM, ETH_P_IP
  struct sockaddr_ll dev;   // where `packet` sends: the device
  uint32_t addr = 0;        // the device's address, network order
};

// Opens both sockets for the device `ifname` and reads its address.  On
// failure prints "PROG: what failed (the fix)" and returns false.
inline bool tun_sockets_open(const char* prog, const char* ifname, TunSockets* s)
{
  const unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0)
  {
    fprintf(stderr, "%s: no interface %s: %s (start the program first)\n", prog, ifname,
            strerror(errno));
    return false;
  }
  s->raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  s->packet = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
  if (s->raw < 0 || s->packet < 0)
  {
    fprintf(stderr, "%s: socket: %s (needs CAP_NET_RAW: run as root in a namespace)\n", prog,
            strerror(errno));
    return false;
  }
  memset(&s->dev, 0, sizeof s->dev);
  s->dev.sll_family = AF_PACKET;
  s->dev.sll_protocol = htons(ETH_P_IP);
  s->dev.sll_ifindex = static_cast<int>(ifindex);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
  if (ioctl(s->raw, SIOCGIFADDR, &ifr) < 0)
  {
    fprintf(stderr, "%s: SIOCGIFADDR %s: %s\n", prog, ifname, strerror(errno));
    return false;
  }
  memcpy(&s->addr, &reinterpret_cast<struct sockaddr_in*>(&ifr.ifr_addr)->sin_addr, 4);
  return true;
}
