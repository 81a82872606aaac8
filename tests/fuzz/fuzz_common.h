// fuzz_common.h - what every fuzz target shares: a socketpair in place of the
// tun fd, the input format, and the check that every packet the program
// wrote is a well-formed IPv4 packet with right checksums.
//
// Input format (every target):
//   byte 0      fix-up flags: bit 0 recomputes the IP header checksum, bit 1
//               the ICMP checksum, of each packet before it is fed.  Random
//               bytes almost never carry a right checksum, so without this
//               the fuzzer would stop at "bad IP header checksum"; with it,
//               half of its inputs get past ip_check.  The code under test
//               is unchanged: it sees bytes the kernel could have sent.
//   bytes 1..   the packet (single-packet targets), or for connect_one up to
//               kMaxDatagrams datagrams, each a 2-byte big-endian length then
//               that many bytes (a short last one takes what is left).
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>

#include "faketcp.h"  // ip_check
// The tests' own RFC 1071 checksum, written apart from faketcp.cc's
// in_checksum so that a bug there cannot hide itself; put16.
#include "tests/support/reference.h"

namespace fuzz
{

enum { kFixIpChecksum = 1, kFixIcmpChecksum = 2 };

// The tun fd is a datagram socketpair: one write() is one packet, as on tun.
// prog is the end the code under test reads and writes; peer is ours.
struct Tun
{
  int prog = -1, peer = -1;
};

inline void die(const char* what)
{
  fprintf(stderr, "fuzz: %s: %s\n", what, strerror(errno));
  abort();
}

inline Tun tun_pair()
{
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
    die("socketpair");
  // A 64 KiB packet must fit; the default buffer is about 208 KiB, enough
  // for one, so raise it for a few queued at once.
  const int size = 1 << 20;
  for (int fd : sv)
  {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  // Our end never blocks: draining stops at EAGAIN.
  if (fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0)
    die("fcntl O_NONBLOCK");
  return Tun{ sv[0], sv[1] };
}

// Printing every packet would dominate the run time; the targets check what
// is written to the fd, not what is printed.
inline void silence_stdout()
{
  if (!freopen("/dev/null", "w", stdout))
    die("freopen /dev/null");
}

// Makes the checksums the flags ask for right, where the packet is long
// enough to have them; leaves every other byte alone.
inline void fix_checksums(unsigned char* p, size_t len, uint8_t flags)
{
  if (ip_header_len(p, len) == 0)  // not an IPv4 header that fits: leave it
    return;
  if (flags & kFixIcmpChecksum && p[9] == IPPROTO_ICMP)
    icmp_fix_checksum(p, len);  // over tot_len, cut to len
  if (flags & kFixIpChecksum)
    ip_fix_checksum(p, len);
}

// Aborts, with the reason and the packet, so libFuzzer saves the input.
[[noreturn]] inline void bad_reply(const char* why, const unsigned char* p, ssize_t len)
{
  fprintf(stderr, "fuzz: the program wrote a bad packet: %s (%zd bytes)\n", why, len);
  fprintf(stderr, "%s\n", hex(p, static_cast<size_t>(len < 64 ? len : 64)).c_str());
  abort();
}

// Checks one packet the program wrote: ip_check (the program's own contract)
// passes, the header is a plain 20 bytes, tot_len is the datagram's length,
// and the ICMP or TCP checksum verifies, the TCP one with its pseudo-header,
// over header and payload.  These programs send nothing else.
inline void check_reply(const unsigned char* p, ssize_t len)
{
  const char* why = nullptr;
  if (len > IP_MAXPACKET)
    bad_reply("longer than an IPv4 packet can be", p, len);
  if (!ip_check(p, static_cast<int>(len), &why))
    bad_reply(why, p, len);
  if ((p[0] & 0x0f) != 5)
    bad_reply("IP header is not 20 bytes (ihl != 5)", p, len);
  if (((p[2] << 8) | p[3]) != len)
    bad_reply("tot_len is not the datagram's length", p, len);
  if (!ip_checksum_ok(p, static_cast<size_t>(len)))
    bad_reply("bad IP header checksum", p, len);
  const unsigned char* l4 = p + 20;
  const size_t l4_len = static_cast<size_t>(len) - 20;
  if (p[9] == IPPROTO_ICMP)
  {
    if (l4_len < 8)
      bad_reply("ICMP message shorter than 8 bytes", p, len);
    if (l4[0] != ICMP_ECHOREPLY || l4[1] != 0)
      bad_reply("ICMP message is not an echo reply", p, len);
    if (!icmp_checksum_ok(p, static_cast<size_t>(len)))
      bad_reply("bad ICMP checksum", p, len);
  }
  else if (p[9] == IPPROTO_TCP)
  {
    if (l4_len < 20)
      bad_reply("TCP segment shorter than 20 bytes", p, len);
    const size_t doff = (l4[12] >> 4) * 4u;
    if (doff < 20 || doff > l4_len)
      bad_reply("TCP doff outside the segment", p, len);
    if (!tcp_checksum_ok(p, static_cast<size_t>(len)))  // pseudo-header included
      bad_reply("bad TCP checksum", p, len);
  }
  else
  {
    bad_reply("neither ICMP nor TCP", p, len);
  }
}

// Reads back every datagram the program wrote, checks each, and returns how
// many there were.
inline int drain_and_check(const Tun& tun)
{
  static unsigned char buf[IP_MAXPACKET + 1];
  int count = 0;
  for (;;)
  {
    ssize_t n = read(tun.peer, buf, sizeof buf);
    if (n < 0 && errno == EAGAIN)
      return count;
    if (n < 0)
      die("read back");
    check_reply(buf, n);
    ++count;
  }
}

// Empties the program's own receive queue (datagrams it did not read).
inline void drain_prog(const Tun& tun)
{
  static unsigned char buf[IP_MAXPACKET + 1];
  while (recv(tun.prog, buf, sizeof buf, MSG_DONTWAIT) >= 0)
  {
  }
}

}  // namespace fuzz
