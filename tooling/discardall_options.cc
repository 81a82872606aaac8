// tooling/discardall_options.cc - see discardall_options.h.  Why each of
// these makes discardall faster, measured: docs/faster.md.
#include "tooling/discardall_options.h"

#include <getopt.h>

// The article's window, in every segment discardall sends.
static const long kArticleWindow = 5000;

// ---------------------------------------------------------------- command line

static const struct option kLongOptions[] = {
  SPEED_LONG_OPTIONS,
  MTU_LONG_OPTION,
  { "ack-burst", no_argument, nullptr, 'B' },
  { nullptr, 0, nullptr, 0 },
};

// --ack-burst ('B') here, the others as echoall takes them.
static bool take_discardall_option(int c, const char* arg)
{
  if (c == 'B')
  {
    ack_burst = true;
    return true;
  }
  return take_speed_option(c, arg);
}

const ExtraOptions kDiscardallOptions = {
  "K",
  kLongOptions,
  "  --mss N          announce MSS N in the SYN+ACK (default: no MSS option, so\n"
  "                   the sender's segments carry 536 bytes, as in the article)\n"
  "                   在 SYN+ACK 中通告 MSS N（默认不带 MSS 选项，发送方每段 536 字节）\n"
  "  --window BYTES   offer a window of BYTES (K, M allowed), scaled (RFC 7323) when\n"
  "                   over 65535 and the SYN offered scaling (default: 5000).  Without\n"
  "                   -K keep it under 500 segments: tun0 queues 500 packets, drops\n"
  "                   the rest, and discardall acknowledges past the gap\n"
  "                   通告 BYTES 字节的窗口；超过 65535 且 SYN 支持时使用窗口缩放（默认 5000）。\n"
  "                   不用 -K 时应小于 500 个分节：tun0 只排队 500 个包，多的被丢弃\n"
  "  --mtu N          set tun0's MTU to N (ip link set tun0 mtu N), so the kernel's\n"
  "                   segments may carry N - 40 bytes without offload; implies\n"
  "                   --mss N-40 unless given   设置 tun0 的 MTU，不用卸载也能发大分节\n"
  "  -K               TUN offload (TUNSETOFFLOAD): read up to 64 KB at once; implies\n"
  "                   --mss 1460 --window 4M unless given   TUN 卸载：一次读入至多 64 KB\n"
  "  --ack-burst      one ACK per burst: acknowledge the segments waiting in tun0's\n"
  "                   queue once, when it is empty, not each one (fewer ACKs than\n"
  "                   RFC 5681 asks; -K does not imply it)\n"
  "                   每批只确认一次：等 tun0 队列中的分节读完后再发一个 ACK，而不是每段一个\n"
  "                   （比 RFC 5681 要求的少；-K 不包含此选项）\n",
  take_discardall_option,
};

// ---------------------------------------------------------------- the SYN+ACK

int synack_mss()
{
  if (mss_option)
    return mss_option;
  if (mtu_option)
    return mtu_option - 40;  // 20 bytes of IP header, 20 of TCP
  return offload ? kOffloadMss : 0;
}

long window_bytes()
{
  if (window_option)
    return window_option;
  return offload ? kOffloadWindow : kArticleWindow;
}

int window_shift()
{
  return window_shift_of(window_bytes());
}

int synack_options(const struct tcphdr* syn, unsigned char* options)
{
  return synack_options_write(syn, synack_mss(), window_shift(), options);
}

uint16_t window_field(bool syn)
{
  const long bytes = window_bytes();
  if (syn)
    return static_cast<uint16_t>(bytes > 65535 ? 65535 : bytes);
  return static_cast<uint16_t>(bytes >> window_shift());
}
