// tooling/tcp_options.cc - see tcp_options.h.
#include "tooling/tcp_options.h"

#include <string.h>
#include <netinet/tcp.h>

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
