// tooling/ack_burst.cc - see ack_burst.h.
#include "tooling/ack_burst.h"

#include "tooling/tunio.h"  // tun_read, tun_write

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>

// A bare ACK kept by tun_write_later, and the connection it belongs to.
struct PendingAck
{
  int fd;
  uint32_t saddr, daddr;   // as on the wire
  uint16_t source, dest;   // as on the wire
  uint32_t ack_seq;        // host byte order
  int len;
  unsigned char packet[64];  // 20 bytes of IP, 20 of TCP, room for options
};

static const int kMaxPending = 16;       // connections, a fixed array: no heap
static PendingAck pending[kMaxPending];  // in the order they were first kept
static int npending = 0;

bool tun_flush()
{
  bool ok = true;
  for (int i = 0; i < npending; ++i)
    ok = tun_write(pending[i].fd, pending[i].packet, pending[i].len) && ok;
  npending = 0;
  return ok;
}

// Reads the headers of `buf` into *ip and *tcp and returns true when it is
// a bare ACK of ours that fits a slot: IPv4 (ihl*4 >= 20, tot_len == len),
// TCP (20 <= doff*4), header lengths adding up to len (no payload), ACK
// set, SYN, FIN and RST clear.  Checks each length before the header it
// covers; reads by memcpy, so `buf` need not be aligned.
static bool bare_ack(const void* buf, int len, struct iphdr* ip, struct tcphdr* tcp)
{
  const unsigned char* p = static_cast<const unsigned char*>(buf);
  if (len < static_cast<int>(sizeof *ip) || len > static_cast<int>(sizeof pending[0].packet))
    return false;
  memcpy(ip, p, sizeof *ip);
  const int iphdr_len = ip->ihl * 4;
  if (ip->version != 4 || ip->protocol != IPPROTO_TCP || ntohs(ip->tot_len) != len ||
      iphdr_len < static_cast<int>(sizeof *ip) || len - iphdr_len < static_cast<int>(sizeof *tcp))
    return false;
  memcpy(tcp, p + iphdr_len, sizeof *tcp);
  return tcp->doff * 4 >= static_cast<int>(sizeof *tcp) && iphdr_len + tcp->doff * 4 == len &&
         tcp->ack && !tcp->syn && !tcp->fin && !tcp->rst;
}

bool tun_write_later(int fd, const void* buf, int len)
{
  struct iphdr ip;
  struct tcphdr tcp;
  if (!bare_ack(buf, len, &ip, &tcp))
  {
    const bool flushed = tun_flush();  // the kept ACKs go first: packets leave in the order made
    return tun_write(fd, buf, len) && flushed;
  }

  const uint32_t ack_seq = ntohl(tcp.ack_seq);
  int i = 0;
  while (i < npending && !(pending[i].fd == fd && pending[i].saddr == ip.saddr &&
                           pending[i].daddr == ip.daddr && pending[i].source == tcp.source &&
                           pending[i].dest == tcp.dest))
    ++i;
  bool ok = true;
  if (i == npending)  // a connection with nothing kept: the next free slot
  {
    if (npending == kMaxPending)
      ok = tun_flush();  // the 17th: the 16 go first, then it is kept
    i = npending++;
    PendingAck& a = pending[i];
    a.fd = fd;
    a.saddr = ip.saddr;
    a.daddr = ip.daddr;
    a.source = tcp.source;
    a.dest = tcp.dest;
  }
  else if (static_cast<int32_t>(ack_seq - pending[i].ack_seq) <= 0)
  {
    return true;  // acknowledges nothing the kept one does not (RFC 9293 3.4: wraps at 2^32)
  }
  pending[i].ack_seq = ack_seq;
  pending[i].len = len;
  memcpy(pending[i].packet, buf, len);
  return ok;
}

static bool console_buffered = false;  // tun_buffer_console

void tun_buffer_console()
{
  setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
  console_buffered = true;
}

int tun_read_burst(int fd, void* buf, int size, int wait_ms)
{
  int nread = tun_read(fd, buf, size);
  if (nread >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
    return nread;
  // --ack-burst: the burst ends when nothing more waits in tun0's queue;
  // its ACKs go before we wait, and so do the console lines that
  // tun_buffer_console keeps.
  if (console_buffered)
    fflush(stdout);
  tun_flush();
  struct pollfd pfd = { fd, POLLIN, 0 };
  if (poll(&pfd, 1, wait_ms) < 0)
    return -1;  // errno says why (EINTR: a signal came)
  return tun_read(fd, buf, size);
}
