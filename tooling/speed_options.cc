// tooling/speed_options.cc - see speed_options.h.  Why each of these makes
// discardall and echoall faster, measured: docs/faster.md.
#include "tooling/speed_options.h"

#include <errno.h>  // program_invocation_short_name
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>

#include "tooling/tunio.h"  // tun_offload, tun_mtu, tun_txqueuelen

// The window the program offers, in bytes: its own (discardall_options.cc,
// echoall_options.cc), once the defaults of -K and --mtu are applied.
long window_bytes();

int mss_option = 0;
long window_option = 0;
bool offload = false;
int mtu_option = 0;
bool ack_burst = false;  // set by discardall_options.cc, its only user

// ---------------------------------------------------------------- command line

// A number with an optional K or M (times 1024, 1024 * 1024), in [min, max].
static bool parse_size(const char* text, long min, long max, long* value)
{
  char* end = nullptr;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (end == text || errno != 0)
    return false;
  long unit = 1;
  if (*end == 'K' || *end == 'k')
    unit = 1024;
  else if (*end == 'M' || *end == 'm')
    unit = 1024 * 1024;
  if (unit > 1)
    ++end;
  if (*end != '\0' || v < 0 || v > max / unit)
    return false;
  *value = v * unit;
  return *value >= min;
}

bool take_speed_option(int c, const char* arg)
{
  long value = 0;
  switch (c)
  {
    case 'M':
      // 536 is what a sender assumes without the option (RFC 9293 section
      // 3.7.1); 1460 is what a 1500-byte MTU carries.  The kernel never
      // sends more than its route's MTU allows, whatever we announce.
      if (!parse_size(arg, 64, 65535, &value))
      {
        fprintf(stderr, "%s: --mss %s: expected a segment size in bytes, 64..65535 (e.g. 1460)\n",
                program_invocation_short_name, arg);
        return false;
      }
      mss_option = static_cast<int>(value);
      return true;
    case 'W':
      // 65535 << 14 is the largest window window scaling can say (RFC 7323
      // section 2.3).
      if (!parse_size(arg, 1, 65535L << 14, &value))
      {
        fprintf(stderr, "%s: --window %s: expected bytes, 1..1073725440 (e.g. 65535, 256K, 4M)\n",
                program_invocation_short_name, arg);
        return false;
      }
      window_option = value;
      return true;
    case 'K':
      offload = true;
      return true;
    case 'U':
      // 68 is the least an IPv4 link may have (RFC 791); 65535 the most an
      // IPv4 packet can be, and the most a tun device takes.
      if (!parse_size(arg, 68, 65535, &value))
      {
        fprintf(stderr, "%s: --mtu %s: expected a packet size in bytes, 68..65535 (e.g. 9000)\n",
                program_invocation_short_name, arg);
        return false;
      }
      mtu_option = static_cast<int>(value);
      return true;
  }
  return false;
}

// ---------------------------------------------------------------- the SYN+ACK

int window_shift_of(long bytes)
{
  int shift = 0;
  while ((bytes >> shift) > 65535 && shift < 14)
    ++shift;
  return shift;
}

const unsigned char* tcp_option_find(const struct tcphdr* tcphdr, int kind, int len)
{
  const unsigned char* p = reinterpret_cast<const unsigned char*>(tcphdr) + sizeof *tcphdr;
  const unsigned char* end = reinterpret_cast<const unsigned char*>(tcphdr) + tcphdr->doff * 4;
  // RFC 9293 section 3.1: kind 0 ends the list, kind 1 (NOP) is one byte,
  // every other option is kind, length (counting both), then data.
  while (p < end && *p != TCPOPT_EOL)
  {
    if (*p == TCPOPT_NOP)
    {
      ++p;
      continue;
    }
    if (end - p < 2 || p[1] < 2 || p[1] > end - p)
      return nullptr;  // a length that cannot be: stop here, read nothing more
    if (*p == kind)
      return p[1] == len ? p : nullptr;
    p += p[1];
  }
  return nullptr;
}

int syn_wscale(const struct tcphdr* syn)
{
  const unsigned char* option = tcp_option_find(syn, TCPOPT_WINDOW, TCPOLEN_WINDOW);
  if (!option)
    return -1;
  return option[2] > 14 ? 14 : option[2];
}

int synack_options_write(const struct tcphdr* syn, int mss, int shift, unsigned char* options)
{
  int len = 0;
  if (mss)
  {
    // 0x05b4 == 1460
    const unsigned char option[4] = { TCPOPT_MAXSEG, TCPOLEN_MAXSEG,
                                      static_cast<unsigned char>(mss >> 8),
                                      static_cast<unsigned char>(mss & 0xff) };
    memcpy(options + len, option, sizeof option);
    len += sizeof option;
  }
  // RFC 7323 section 2.2: a window scale option "MAY be sent in a <SYN,ACK>
  // segment only if a Window Scale option was received in the initial <SYN>
  // segment".  A NOP before it keeps what follows 4-byte aligned, as Linux
  // does ("nop,wscale 7" in tcpdump).
  if (shift > 0 && syn_wscale(syn) >= 0)
  {
    const unsigned char option[4] = { TCPOPT_NOP, TCPOPT_WINDOW, TCPOLEN_WINDOW,
                                      static_cast<unsigned char>(shift) };
    memcpy(options + len, option, sizeof option);
    len += sizeof option;
  }
  return len;
}

bool tun_speed_setup(int fd, const char* dev)
{
  if (offload && !tun_offload(fd, dev))  // -K
    return false;
  if (mtu_option && !tun_mtu(dev, mtu_option))  // --mtu N
    return false;
  const long kDefaultQueue = 500;  // packets: ip link show tun0 says qlen 500
  const long segment = offload ? 65536 : (mtu_option ? mtu_option : 1500) - 40;
  const long packets = 4 * window_bytes() / segment;
  if (packets > kDefaultQueue && !tun_txqueuelen(dev, static_cast<int>(packets < 65536 ? packets : 65536)))
    return false;
  return true;
}
