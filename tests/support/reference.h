// tests/support/reference.h - the tests' own RFC 1071 checksum and byte
// helpers, shared by the unit tests, tests/tools, the fuzzers and their seeds.
//
// A reference, written apart from faketcp.cc's in_checksum on purpose: the
// tests check the programs' checksums with this one, so a bug in in_checksum
// cannot hide itself.  It works the plain way, on big-endian 16-bit words
// read one byte at a time, where in_checksum adds host-order words.  Plain
// C++ and header-only: anything that includes it can use it, with no library
// to link.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string>
#include <vector>

using Bytes = std::vector<unsigned char>;

// ---------------------------------------------------------------- bytes

// Big-endian (network order) reads and writes at any address.
inline uint16_t get16(const unsigned char* p)
{
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

inline uint32_t get32(const unsigned char* p)
{
  return static_cast<uint32_t>(get16(p)) << 16 | get16(p + 2);
}

inline void put16(unsigned char* p, uint16_t v)
{
  p[0] = static_cast<unsigned char>(v >> 8);
  p[1] = static_cast<unsigned char>(v & 0xff);
}

inline void put32(unsigned char* p, uint32_t v)
{
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v & 0xffff));
}

// "45 00 00 54": len bytes in hex, one line, a space between bytes.
inline std::string hex(const unsigned char* p, size_t len)
{
  std::string out;
  char byte[4];
  for (size_t i = 0; i < len; ++i)
  {
    snprintf(byte, sizeof byte, i ? " %02x" : "%02x", p[i]);
    out += byte;
  }
  return out;
}

// ---------------------------------------------------------------- RFC 1071

// RFC 1071 section 1: the one's complement sum of the 16-bit big-endian
// words, an odd last byte padded with a zero on its right, carries folded
// back in.  `sum` carries on from an earlier part (a pseudo-header).
// Returns the folded sum: 0xffff when the bytes include a right checksum.
inline uint16_t rfc1071_sum(const unsigned char* p, size_t len, uint32_t sum = 0)
{
  uint64_t s = sum;
  for (size_t i = 0; i + 1 < len; i += 2)
    s += get16(p + i);
  if (len % 2)
    s += static_cast<uint32_t>(p[len - 1]) << 8;
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// The checksum to store in a header whose checksum field is zero: the
// complement of the sum, as a number (put16 stores it).
inline uint16_t rfc1071_checksum(const unsigned char* p, size_t len, uint32_t sum = 0)
{
  return static_cast<uint16_t>(~rfc1071_sum(p, len, sum));
}

// ---------------------------------------------------------------- IPv4 packets
// The functions below take an IPv4 packet as bytes read (`len` of them) and
// check every length they rely on: a packet too short for the header or
// segment they look at fails the check, or is left alone by a fix.

// The IP header length, ihl * 4, or 0 when `len` bytes hold no IPv4 header.
inline size_t ip_header_len(const unsigned char* p, size_t len)
{
  if (len < 20 || (p[0] >> 4) != 4)
    return 0;
  const size_t ihl = (p[0] & 0x0f) * 4u;
  return ihl >= 20 && ihl <= len ? ihl : 0;
}

// The transport part: from past the IP header to tot_len.  False when the
// header or tot_len does not fit the bytes.
inline bool ip_transport(const unsigned char* p, size_t len, size_t* begin, size_t* end)
{
  *begin = ip_header_len(p, len);
  *end = *begin ? get16(p + 2) : 0;
  return *begin != 0 && *begin <= *end && *end <= len;
}

// RFC 793 section 3.1: the sum of the pseudo-header of a TCP segment of
// seg_len bytes (source, destination, zero, protocol, TCP length), to pass
// on to rfc1071_sum of the segment.
inline uint32_t tcp_pseudo_header_sum(const unsigned char* ip, size_t seg_len)
{
  uint32_t sum = rfc1071_sum(ip + 12, 8);  // source and destination addresses
  sum += 6;                                // IPPROTO_TCP, after a zero byte
  sum += static_cast<uint32_t>(seg_len);   // 16 bits: segments beyond 255 bytes too
  return sum;
}

inline bool ip_checksum_ok(const unsigned char* p, size_t len)
{
  const size_t ihl = ip_header_len(p, len);
  return ihl && rfc1071_sum(p, ihl) == 0xffff;
}

inline bool tcp_checksum_ok(const unsigned char* p, size_t len)
{
  size_t begin, end;
  if (!ip_transport(p, len, &begin, &end) || p[9] != 6)  // IPPROTO_TCP
    return false;
  return rfc1071_sum(p + begin, end - begin, tcp_pseudo_header_sum(p, end - begin)) == 0xffff;
}

inline bool icmp_checksum_ok(const unsigned char* p, size_t len)
{
  size_t begin, end;
  if (!ip_transport(p, len, &begin, &end) || p[9] != 1)  // IPPROTO_ICMP
    return false;
  return rfc1071_sum(p + begin, end - begin) == 0xffff;
}

inline bool ip_checksum_ok(const Bytes& b) { return ip_checksum_ok(b.data(), b.size()); }
inline bool tcp_checksum_ok(const Bytes& b) { return tcp_checksum_ok(b.data(), b.size()); }
inline bool icmp_checksum_ok(const Bytes& b) { return icmp_checksum_ok(b.data(), b.size()); }

// Recomputes the IP header checksum over min(ihl * 4, len) bytes, so that a
// packet made malformed on purpose (ihl beyond the read, another version)
// still gets a well-defined one.  Leaves a packet under 20 bytes alone.
inline void ip_fix_checksum(unsigned char* p, size_t len)
{
  if (len < 20)
    return;
  size_t hlen = (p[0] & 0x0f) * 4u;
  if (hlen > len)
    hlen = len;
  put16(p + 10, 0);
  put16(p + 10, rfc1071_checksum(p, hlen));
}

// Recomputes the TCP checksum, pseudo-header included, of the segment
// between the IP header and tot_len, when it holds a TCP header.
inline void tcp_fix_checksum(unsigned char* p, size_t len)
{
  size_t begin, end;
  if (!ip_transport(p, len, &begin, &end) || end - begin < 20)
    return;
  unsigned char* seg = p + begin;
  put16(seg + 16, 0);
  put16(seg + 16, rfc1071_checksum(seg, end - begin, tcp_pseudo_header_sum(p, end - begin)));
}

// Recomputes the ICMP checksum of the message between the IP header and
// tot_len (tot_len cut to the bytes read), when it reaches the field.
inline void icmp_fix_checksum(unsigned char* p, size_t len)
{
  const size_t begin = ip_header_len(p, len);
  if (!begin)
    return;
  size_t end = get16(p + 2);
  if (end > len)
    end = len;
  if (end < begin + 4)
    return;
  put16(p + begin + 2, 0);
  put16(p + begin + 2, rfc1071_checksum(p + begin, end - begin));
}

inline void ip_fix_checksum(Bytes& b) { ip_fix_checksum(b.data(), b.size()); }
inline void tcp_fix_checksum(Bytes& b) { tcp_fix_checksum(b.data(), b.size()); }
inline void icmp_fix_checksum(Bytes& b) { icmp_fix_checksum(b.data(), b.size()); }
