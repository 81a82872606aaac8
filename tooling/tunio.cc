// tooling/tunio.cc - see tunio.h.  The --pcap writer needs no libpcap: the
// format is two fixed headers, written here by hand.
#include "tooling/tunio.h"

#include <errno.h>     // program_invocation_short_name
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio_ext.h>  // __fpending: bytes a stdio buffer holds
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <linux/if_tun.h>

static FILE* pcap_file = nullptr;  // --pcap, written by tun_read and tun_write

// pcap file format: a 24-byte file header, then per packet a 16-byte record
// header and the bytes.  Link type 101 (LINKTYPE_RAW) means "starts with an
// IP header", which is exactly what a tun device without IFF_PI gives us.
bool pcap_open(const char* path)
{
  pcap_file = fopen(path, "wb");
  if (!pcap_file)
  {
    fprintf(stderr, "%s: open %s: %s (choose a writable path)\n",
            program_invocation_short_name, path, strerror(errno));
    return false;
  }
  const uint32_t header[6] = { 0xa1b2c3d4,   // magic, microsecond timestamps
                               0x00040002,   // version 2.4 (minor << 16 | major)
                               0, 0,         // time zone, accuracy
                               65535,        // snapshot length
                               101 };        // LINKTYPE_RAW
  fwrite(header, sizeof header, 1, pcap_file);
  fflush(pcap_file);
  return true;
}

static void pcap_record(const void* buf, int len)
{
  if (!pcap_file || len <= 0)
    return;
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  const uint32_t record[4] = { static_cast<uint32_t>(tv.tv_sec),
                               static_cast<uint32_t>(tv.tv_usec),
                               static_cast<uint32_t>(len),    // bytes saved
                               static_cast<uint32_t>(len) };  // bytes on the wire
  fwrite(record, sizeof record, 1, pcap_file);
  fwrite(buf, len, 1, pcap_file);
  fflush(pcap_file);  // so Wireshark can open the file while we run
}

// ---------------------------------------------------------------- --ack-burst

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

// write() of one packet, with its --pcap copy.
static bool write_packet(int fd, const void* buf, int len)
{
  pcap_record(buf, len);
  ssize_t nwritten = write(fd, buf, len);
  if (nwritten != len)
  {
    printf("write %d bytes: %s\n", len, nwritten < 0 ? strerror(errno) : "short write");
    return false;
  }
  return true;
}

bool tun_flush()
{
  bool ok = true;
  for (int i = 0; i < npending; ++i)
    ok = write_packet(pending[i].fd, pending[i].packet, pending[i].len) && ok;
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
    return tun_write(fd, buf, len);

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

// ---------------------------------------------------------------- read and write

static bool console_buffered = false;  // tun_buffer_console

void tun_buffer_console()
{
  setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
  console_buffered = true;
}

int tun_read(int fd, void* buf, int size)
{
  if (npending > 0 || (console_buffered && __fpending(stdout) > 0))
  {
    // --ack-burst: the burst ends when nothing more waits in tun0's queue;
    // its ACKs go before read() blocks, and so do the console lines that
    // tun_buffer_console keeps.  When poll fails, they go too: an ACK or a
    // line a little early is harmless, one held while we block is not.
    struct pollfd pfd = { fd, POLLIN, 0 };
    if (poll(&pfd, 1, 0) <= 0)
    {
      fflush(stdout);
      tun_flush();
    }
  }
  int nread = static_cast<int>(read(fd, buf, size));
  if (nread > 0)
    pcap_record(buf, nread);
  return nread;
}

bool tun_write(int fd, const void* buf, int len)
{
  const bool flushed = tun_flush();
  return write_packet(fd, buf, len) && flushed;
}

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
