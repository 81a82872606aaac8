// tooling/speed.cc - see speed.h.  Why each of these makes a stream faster,
// measured: docs/faster.md.
#include "tooling/speed.h"

#include "tooling/cmdline.h"
#include "tooling/tcp_options.h"
#include "tooling/tundev.h"  // tun_offload, tun_mtu, tun_nonblock, tun_txqueuelen

void speed_options_add(OptionTable* table, SpeedOptions* speed, int more)
{
  // 536 is what a sender assumes without the option (RFC 9293 section
  // 3.7.1); 1460 is what a 1500-byte MTU carries.  The kernel never sends
  // more than its route's MTU allows, whatever we announce.
  table->add({ 0, "mss", "N", OptionType::kInt, 64, 65535, "a segment size in bytes", "1460",
               &speed->mss,
               speed->default_mss == 0
                   ? "announce MSS N in the SYN+ACK (default: no MSS option, so\n"
                     "the sender's segments carry 536 bytes, as in the article)"
                   : "announce MSS N in the SYN+ACK (default 1460)",
               speed->default_mss == 0 ? "在 SYN+ACK 中通告 MSS N（默认不带 MSS 选项，发送方每段 536 字节）"
                                       : "在 SYN+ACK 中通告 MSS N（默认 1460）" });
  // 65535 << 14 is the largest window window scaling can say (RFC 7323
  // section 2.3).
  table->add({ 0, "window", "BYTES", OptionType::kSize, 1, 65535L << 14, "bytes",
               "65535, 256K, 4M", &speed->window,
               speed->default_window == 5000
                   ? "offer a window of BYTES (K, M allowed), scaled (RFC 7323) when\n"
                     "over 65535 and the SYN offered scaling (default: 5000)"
                   : "offer at most BYTES (K, M allowed), scaled (RFC 7323) when\n"
                     "over 65535 and the SYN offered scaling; below it, the peer's own\n"
                     "window (default 65535)",
               "通告 BYTES 字节的窗口；超过 65535 且 SYN 支持时使用窗口缩放" });
  if (more & kSpeedMtu)
    // 68 is the least an IPv4 link may have (RFC 791); 65535 the most an
    // IPv4 packet can be, and the most a tun device takes.
    table->add({ 0, "mtu", "N", OptionType::kInt, 68, 65535, "a packet size in bytes", "9000",
                 &speed->mtu,
                 "set tun0's MTU to N (ip link set tun0 mtu N), so the kernel's\n"
                 "segments may carry N - 40 bytes without offload; implies\n"
                 "--mss N-40 unless given",
                 "设置 tun0 的 MTU，不用卸载也能发大分节" });
  table->add({ 'K', nullptr, nullptr, OptionType::kFlag, 0, 0, nullptr, nullptr, &speed->offload,
               "TUN offload (TUNSETOFFLOAD): read up to 64 KB at once; implies\n"
               "--mss 1460 --window 4M unless given",
               "TUN 卸载：一次读入至多 64 KB" });
  if (more & kSpeedAckBurst)
    table->add({ 0, "ack-burst", nullptr, OptionType::kFlag, 0, 0, nullptr, nullptr,
                 &speed->ack_burst,
                 "one ACK per burst: acknowledge the segments waiting in tun0's\n"
                 "queue once, when it is empty, not each one (fewer ACKs than\n"
                 "RFC 5681 asks; -K does not imply it)",
                 "每批只确认一次：等 tun0 队列中的分节读完后再发一个 ACK，而不是每段一个\n"
                 "（比 RFC 5681 要求的少；-K 不包含此选项）" });
  if (more & kSpeedQuiet)
    table->add({ 'q', nullptr, nullptr, OptionType::kFlag, 0, 0, nullptr, nullptr, &speed->quiet,
                 "quiet: print no line per packet (the article prints two: 'read N\n"
                 "bytes' and the tcpdump-style line); errors are still printed",
                 "安静：不为每个包打印行（文章每包打印两行）；错误照常打印" });
}

int synack_mss(const SpeedOptions& speed)
{
  if (speed.mss)
    return speed.mss;
  if (speed.mtu)
    return speed.mtu - 40;  // 20 bytes of IP header, 20 of TCP
  return speed.offload ? kOffloadMss : speed.default_mss;
}

long window_bytes(const SpeedOptions& speed)
{
  if (speed.window)
    return speed.window;
  return speed.offload ? kOffloadWindow : speed.default_window;
}

int window_shift(const SpeedOptions& speed)
{
  return window_shift_of(window_bytes(speed));
}

int synack_options(const SpeedOptions& speed, const struct tcphdr* syn, unsigned char* options)
{
  return synack_options_write(syn, synack_mss(speed), window_shift(speed), options);
}

uint16_t window_field(const SpeedOptions& speed, bool syn)
{
  const long bytes = window_bytes(speed);
  if (syn)
    return static_cast<uint16_t>(bytes > 65535 ? 65535 : bytes);
  return static_cast<uint16_t>(bytes >> window_shift(speed));
}

bool tun_speed_setup(int fd, const char* dev, const SpeedOptions& speed)
{
  if (speed.offload && !tun_offload(fd, dev))  // -K
    return false;
  if (speed.mtu && !tun_mtu(dev, speed.mtu))  // --mtu N
    return false;
  if (speed.ack_burst && !tun_nonblock(fd, dev))  // --ack-burst: tun_read_burst
    return false;
  const long kDefaultQueue = 500;  // packets: ip link show tun0 says qlen 500
  const long segment = speed.offload ? 65536 : (speed.mtu ? speed.mtu : 1500) - 40;
  const long packets = 4 * window_bytes(speed) / segment;
  if (packets > kDefaultQueue &&
      !tun_txqueuelen(dev, static_cast<int>(packets < 65536 ? packets : 65536)))
    return false;
  return true;
}
