// faketcp.h - what every step shares: the tun device, the Internet checksum,
// the length checks that guard every header read, the ICMP echo reply, and
// what every step's main loop does with a packet (ip_input).
//
// The program owns tun0 (192.168.0.1/24 by default) and plays every other
// host of that network: whatever the kernel routes to 192.168.0.2..254 comes
// out of read(), and whatever we write() goes into the kernel as if it had
// arrived from the wire.
//
// The lesson only.  What the article's programs do not have lives in
// tooling/: the command line (cmdline.h) and the --pcap copy made by
// tun_read and tun_write (tunio.h), through which icmp_input writes.
#pragma once

#include <stdint.h>
#include <string.h>
#include <net/if.h>       // IFNAMSIZ
#include <netinet/ip.h>   // struct iphdr
#include <netinet/tcp.h>  // struct tcphdr

// The four numbers that name a TCP connection.  The article defines it for
// the steps after step 5 (a std::map key in echoall); operator< compares raw
// bytes, which is a total order, good enough for a map.
struct SocketAddr
{
  uint32_t saddr, daddr;  // network byte order
  uint16_t sport, dport;  // network byte order

  bool operator==(const SocketAddr& rhs) const
  {
    return saddr == rhs.saddr && daddr == rhs.daddr &&
           sport == rhs.sport && dport == rhs.dport;
  }

  bool operator<(const SocketAddr& rhs) const
  {
    return memcmp(this, &rhs, sizeof rhs) < 0;
  }
};
// memcmp above would compare padding bytes if there were any.
static_assert(sizeof(SocketAddr) == 12, "SocketAddr must have no padding");

// Opens /dev/net/tun, creates the device named by dev ("tun%d" lets the
// kernel choose and writes the chosen name back), then gives it hostaddr
// and netmask and brings it up.  Returns the fd, or -1 after printing what
// went wrong.
int tun_alloc(char dev[IFNAMSIZ], const char* hostaddr, const char* netmask);

// ifconfig DEV HOSTADDR netmask NETMASK up ("192.168.0.1", "255.255.255.0",
// as the article writes them), done with ioctl()s as ifconfig does.
// Returns 0, or -1 after printing what went wrong.
int sethostaddr(const char* dev, const char* hostaddr, const char* netmask);

// The Internet checksum of RFC 1071 over any number of bytes, odd included.
// A header whose checksum field is filled in sums to zero.
uint16_t in_checksum(const void* buf, int len);

// The TCP checksum: in_checksum over the pseudo-header of RFC 793 section 3.1
// (source, destination, zero, protocol, TCP length) followed by the segment.
uint16_t tcp_checksum(const struct iphdr* iphdr, const void* segment, int seg_len);

// Length checks.  When ip_check returns true, every field of the IPv4 header
// and every byte up to tot_len lies inside the nread bytes of buf, the header
// checksum is right, and the packet is not a fragment.  When it returns
// false, *why says what is wrong.
bool ip_check(const void* buf, int nread, const char** why);

// When this returns true, the TCP header, its options and its payload lie
// inside the seg_len bytes at segment.
bool tcp_check(const void* segment, int seg_len);

// Prints one segment the way `tcpdump -n -S` does, in the article's words:
//   IP 192.168.0.1.40000 > 192.168.0.2.2000: Flags [S], seq 1234, win 64240, length 0
// with ", ack N" after the seq when the ACK flag is set, as tcpdump has it.
// The segment must have passed tcp_check.
void tcp_print(const struct iphdr* iphdr, const struct tcphdr* tcphdr, int payload_len);

// Prints a packet ip_check refused: one line for IPv6 (the kernel sends
// router solicitations to every new interface), else "bad packet" with why
// and a hex dump, four bytes a line as the article prints it.
void bad_packet(const char* why, const void* buf, int len);

// Answers an ICMP echo request with an echo reply.  input is an IPv4 packet
// that passed ip_check, payload points just past its IP header, and len is
// its tot_len.
void icmp_input(int fd, const void* input, const void* payload, int len);

// A step's own TCP: the tcp_input of rejectall.cc, acceptall.cc, ...
typedef void (*TcpInput)(int fd, const void* input, const void* payload, int tot_len);

// What every step's main loop does with the nread bytes read() returned:
// ip_check, then icmp_input for ICMP, tcp_input for TCP (icmpecho passes
// nullptr: it serves ICMP alone), and nothing for another protocol; a packet
// ip_check refuses goes to bad_packet.  Returns ip_check's verdict.  buf is
// aligned for struct iphdr, as the steps' `union { buf; iphdr; }` is.
bool ip_input(int fd, const void* buf, int nread, TcpInput tcp_input);
