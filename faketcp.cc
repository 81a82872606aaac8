// faketcp.cc - the shared part of every step.  See faketcp.h for what each
// function promises; this file explains how.
#include "faketcp.h"
#include "tooling/tunio.h"  // tun_write: icmp_input's reply, copied to --pcap

#include <algorithm>  // std::swap
#include <errno.h>    // program_invocation_short_name
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>

// ---------------------------------------------------------------- tun device

static void ioctl_error(const char* what, const char* dev)
{
  const int saved = errno;
  const char* fix = "";
  if (saved == EPERM || saved == EACCES)
    fix = " (needs CAP_NET_ADMIN: run with sudo, or root-free inside scripts/netns)";
  else if (saved == EBUSY)
    fix = " (another program holds this device: stop it, or choose a name with -i)";
  fprintf(stderr, "%s: ioctl %s on %s: %s%s\n",
          program_invocation_short_name, what, dev, strerror(saved), fix);
}

int sethostaddr(const char* dev, const char* hostaddr, const char* netmask)
{
  uint32_t addr, mask;
  if (inet_pton(AF_INET, hostaddr, &addr) != 1 || inet_pton(AF_INET, netmask, &mask) != 1)
  {
    fprintf(stderr, "%s: bad host address %s or netmask %s\n", program_invocation_short_name,
            hostaddr, netmask);
    return -1;
  }

  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", dev);
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;

  // Interface ioctls go through any socket; a UDP one is the usual choice.
  int sockfd = socket(AF_INET, SOCK_DGRAM, 0);
  if (sockfd < 0)
  {
    fprintf(stderr, "%s: socket: %s\n", program_invocation_short_name, strerror(errno));
    return -1;
  }
  int err = 0;
  // ifconfig tun0 192.168.0.1
  sin.sin_addr.s_addr = addr;
  memcpy(&ifr.ifr_addr, &sin, sizeof sin);
  if ((err = ioctl(sockfd, SIOCSIFADDR, &ifr)) < 0)
  {
    ioctl_error("SIOCSIFADDR", dev);
    goto done;
  }
  // ifconfig tun0 netmask 255.255.255.0.  The article sets it after bringing
  // the device up; before is better, so that the route the kernel adds is
  // the /24 from the start, not the address's old class for a moment.
  sin.sin_addr.s_addr = mask;
  memcpy(&ifr.ifr_netmask, &sin, sizeof sin);
  if ((err = ioctl(sockfd, SIOCSIFNETMASK, &ifr)) < 0)
  {
    ioctl_error("SIOCSIFNETMASK", dev);
    goto done;
  }
  // ifconfig tun0 up: read the flags, add IFF_UP, write them back.
  if ((err = ioctl(sockfd, SIOCGIFFLAGS, &ifr)) < 0)
  {
    ioctl_error("SIOCGIFFLAGS", dev);
    goto done;
  }
  ifr.ifr_flags |= IFF_UP;
  if ((err = ioctl(sockfd, SIOCSIFFLAGS, &ifr)) < 0)
  {
    ioctl_error("SIOCSIFFLAGS", dev);
    goto done;
  }
done:
  close(sockfd);
  return err < 0 ? -1 : 0;
}

int tun_alloc(char dev[IFNAMSIZ], const char* hostaddr, const char* netmask)
{
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
  {
    const int saved = errno;
    const char* prog = program_invocation_short_name;
    if (saved == ENOENT || saved == ENODEV || saved == ENXIO)
      fprintf(stderr, "%s: open /dev/net/tun: %s (no TUN driver: 'sudo modprobe tun'; in a"
              " container, start it with --cap-add=NET_ADMIN --device=/dev/net/tun)\n",
              prog, strerror(saved));
    else if (saved == EPERM || saved == EACCES)
      fprintf(stderr, "%s: open /dev/net/tun: %s (run as root, e.g. sudo ./%s, or as a user"
              " inside 'scripts/netns ./%s' where /dev/net/tun is mode 0666)\n",
              prog, strerror(saved), prog, prog);
    else
      fprintf(stderr, "%s: open /dev/net/tun: %s\n", prog, strerror(saved));
    return -1;
  }

  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  // IFF_TUN: we read and write IP packets (a TAP would give Ethernet frames).
  // IFF_NO_PI: no 4-byte "packet information" header in front of each packet.
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", dev);  // "tun%d": kernel picks
  if (ioctl(fd, TUNSETIFF, &ifr) < 0)
  {
    ioctl_error("TUNSETIFF", dev);
    close(fd);
    return -1;
  }
  snprintf(dev, IFNAMSIZ, "%s", ifr.ifr_name);  // the name the kernel chose

  if (sethostaddr(dev, hostaddr, netmask) < 0)
  {
    close(fd);  // closing the fd destroys the device again
    return -1;
  }
  return fd;
}

// ---------------------------------------------------------------- checksums

// RFC 1071: add the data as 16-bit words in one's complement arithmetic.  We
// add into 32 bits and fold the carries back in at the end ("end-around
// carry").  Summing words in the machine's own byte order and storing the
// result the same way gives the right bytes on any machine (RFC 1071 section
// 2(B)), so no ntohs() is needed.  An odd last byte is padded with a zero
// byte on its right, as if the data were one byte longer.
static uint32_t sum_words(const void* buf, int len, uint32_t sum)
{
  const unsigned char* p = static_cast<const unsigned char*>(buf);
  for (; len >= 2; p += 2, len -= 2)
  {
    uint16_t word;
    memcpy(&word, p, 2);  // no unaligned or type-punned read
    sum += word;
    if (sum & 0x80000000u)  // fold early: a 64 KiB packet cannot overflow
      sum = (sum & 0xffff) + (sum >> 16);
  }
  if (len == 1)
  {
    const unsigned char last[2] = { *p, 0 };
    uint16_t word;
    memcpy(&word, last, 2);
    sum += word;
  }
  return sum;
}

static uint16_t fold(uint32_t sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint16_t in_checksum(const void* buf, int len)
{
  return fold(sum_words(buf, len, 0));
}

// The pseudo-header makes the checksum cover the addresses too, so a segment
// delivered to the wrong host fails the check.  RFC 793 section 3.1:
//   +--------+--------+--------+--------+
//   |           Source Address          |
//   |         Destination Address       |
//   |  zero  |  PTCL  |    TCP Length   |
//   +--------+--------+--------+--------+
struct PseudoHeader
{
  uint32_t saddr, daddr;
  uint8_t zero, protocol;
  uint16_t length;
};
static_assert(sizeof(PseudoHeader) == 12, "the pseudo-header is 12 bytes on the wire");

uint16_t tcp_checksum(const struct iphdr* iphdr, const void* segment, int seg_len)
{
  PseudoHeader pseudo;
  pseudo.saddr = iphdr->saddr;
  pseudo.daddr = iphdr->daddr;
  pseudo.zero = 0;
  pseudo.protocol = IPPROTO_TCP;
  pseudo.length = htons(static_cast<uint16_t>(seg_len));  // 16 bits: segments over 255 bytes too
  return fold(sum_words(segment, seg_len, sum_words(&pseudo, sizeof pseudo, 0)));
}

// ---------------------------------------------------------------- length checks

bool ip_check(const void* buf, int nread, const char** why)
{
  const char* reason = nullptr;
  const unsigned char* p = static_cast<const unsigned char*>(buf);
  struct iphdr iphdr;
  if (nread <= 0)
    reason = "empty read";
  else if ((p[0] >> 4) != 4)
    reason = (p[0] >> 4) == 6 ? "IPv6" : "not IPv4";
  else if (nread < static_cast<int>(sizeof iphdr))
    reason = "shorter than an IPv4 header (20 bytes)";
  else
  {
    memcpy(&iphdr, buf, sizeof iphdr);
    const int iphdr_len = iphdr.ihl * 4;
    const int tot_len = ntohs(iphdr.tot_len);
    if (iphdr_len < static_cast<int>(sizeof iphdr))
      reason = "IP header length (ihl) below 5";
    else if (tot_len < iphdr_len)
      reason = "total length shorter than the IP header";
    else if (tot_len > nread)
      reason = "total length beyond the bytes read";
    else if (in_checksum(buf, iphdr_len) != 0)
      reason = "bad IP header checksum";
    else if (ntohs(iphdr.frag_off) & (IP_MF | IP_OFFMASK))
      reason = "IP fragment (this program does not reassemble)";
  }
  if (why)
    *why = reason;
  return reason == nullptr;
}

bool tcp_check(const void* segment, int seg_len)
{
  if (seg_len < static_cast<int>(sizeof(struct tcphdr)))
    return false;
  // doff is the high nibble of byte 12: the header length in 32-bit words.
  const int tcphdr_len = (static_cast<const unsigned char*>(segment)[12] >> 4) * 4;
  return tcphdr_len >= static_cast<int>(sizeof(struct tcphdr)) && tcphdr_len <= seg_len;
}

void tcp_print(const struct iphdr* iphdr, const struct tcphdr* tcphdr, int payload_len)
{
  // tcpdump's letters in tcpdump's order (FSRP.U: ACK before URG, as
  // tcp_flag_values in its print-tcp.c); '.' is ACK, "none" is no flag.
  char flags[8];
  char* p = flags;
  if (tcphdr->fin) *p++ = 'F';
  if (tcphdr->syn) *p++ = 'S';
  if (tcphdr->rst) *p++ = 'R';
  if (tcphdr->psh) *p++ = 'P';
  if (tcphdr->ack) *p++ = '.';
  if (tcphdr->urg) *p++ = 'U';
  *p = '\0';
  if (p == flags)
    strcpy(flags, "none");

  char source[INET_ADDRSTRLEN], dest[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &iphdr->saddr, source, sizeof source);
  inet_ntop(AF_INET, &iphdr->daddr, dest, sizeof dest);
  printf("IP %s.%d > %s.%d: Flags [%s], seq %u, ",
         source, ntohs(tcphdr->source), dest, ntohs(tcphdr->dest), flags, ntohl(tcphdr->seq));
  if (tcphdr->ack)
    printf("ack %u, ", ntohl(tcphdr->ack_seq));
  printf("win %d, length %d\n", ntohs(tcphdr->window), payload_len);
}

void bad_packet(const char* why, const void* buf, int len)
{
  const unsigned char* p = static_cast<const unsigned char*>(buf);
  if (len > 0 && (p[0] >> 4) == 6)
  {
    // The kernel greets every new interface with router solicitations and
    // MLD reports; they are normal, not an error.
    printf("IPv6 packet ignored (this program speaks IPv4; see docs/troubleshooting.md)\n");
    return;
  }
  printf("bad packet: %s\n", why ? why : "unknown");
  const int shown = len < 64 ? len : 64;
  for (int i = 0; i < shown; ++i)
    printf("%02x%s", p[i], (i % 4 == 3 || i == shown - 1) ? "\n" : " ");
  if (len > shown)
    printf("... %d more bytes\n", len - shown);
}

// ---------------------------------------------------------------- ICMP, and the main loop

void icmp_input(int fd, const void* input, const void* payload, int len)
{
  const struct iphdr* iphdr = static_cast<const struct iphdr*>(input);
  const int iphdr_len = iphdr->ihl * 4;
  const int icmp_len = len - iphdr_len;
  if (icmp_len < static_cast<int>(sizeof(struct icmphdr)))
  {
    bad_packet("ICMP message shorter than 8 bytes", input, len);
    return;
  }
  const struct icmphdr* icmphdr = static_cast<const struct icmphdr*>(payload);
  if (icmphdr->type != ICMP_ECHO)
    return;  // only echo requests get an answer
  if (in_checksum(payload, icmp_len) != 0)
  {
    bad_packet("bad ICMP checksum", input, len);
    return;
  }

  char source[INET_ADDRSTRLEN], dest[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &iphdr->saddr, source, sizeof source);
  inet_ntop(AF_INET, &iphdr->daddr, dest, sizeof dest);
  printf("%s > %s: ICMP echo request, id %d, seq %d, length %d\n",
         source, dest, ntohs(icmphdr->un.echo.id), ntohs(icmphdr->un.echo.sequence),
         icmp_len);

  union
  {
    unsigned char output[IP_MAXPACKET];
    struct
    {
      struct iphdr iphdr;
      struct icmphdr icmphdr;
    } out;
  };
  static_assert(sizeof out == 20 + 8, "IP header then ICMP header, no padding");

  // The reply has a plain 20-byte IP header even if the request carried
  // options; tos, id, frag_off (DF) and ttl are kept from the request.
  memcpy(&out.iphdr, iphdr, sizeof out.iphdr);
  out.iphdr.ihl = sizeof out.iphdr / 4;
  out.iphdr.tot_len = htons(static_cast<uint16_t>(sizeof out.iphdr + icmp_len));
  std::swap(out.iphdr.saddr, out.iphdr.daddr);
  out.iphdr.check = 0;
  out.iphdr.check = in_checksum(&out.iphdr, sizeof out.iphdr);

  // RFC 792: "the data received in the echo message must be returned in the
  // echo reply message."  Only the type changes, and so the checksum, which
  // we compute again from zero rather than patch (see docs/errata.md).
  memcpy(&out.icmphdr, payload, icmp_len);
  out.icmphdr.type = ICMP_ECHOREPLY;
  out.icmphdr.code = 0;
  out.icmphdr.checksum = 0;
  out.icmphdr.checksum = in_checksum(&out.icmphdr, icmp_len);
  tun_write(fd, output, static_cast<int>(sizeof out.iphdr) + icmp_len);
}

bool ip_input(int fd, const void* buf, int nread, TcpInput tcp_input)
{
  const char* why = nullptr;
  if (!ip_check(buf, nread, &why))
  {
    bad_packet(why, buf, nread);
    return false;
  }
  const struct iphdr* iphdr = static_cast<const struct iphdr*>(buf);
  const int tot_len = ntohs(iphdr->tot_len);  // bytes past it are not the packet's
  const void* payload = static_cast<const unsigned char*>(buf) + iphdr->ihl * 4;
  if (iphdr->protocol == IPPROTO_ICMP)
    icmp_input(fd, buf, payload, tot_len);
  else if (iphdr->protocol == IPPROTO_TCP && tcp_input)
    tcp_input(fd, buf, payload, tot_len);
  return true;
}
