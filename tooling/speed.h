// tooling/speed.h - --mss N, --window BYTES, --mtu N, -K and --ack-burst:
// the options that take one stream from tens of MiB/s to near the kernel's
// own speed (docs/faster.md), as one group of values, and what they mean
// for a SYN+ACK and for the tun device.  Tooling, not the lesson: the steps
// have none of this; discardall_fast and echoall_hardened compose it in
// their main.  Each option changes what crosses tun0, and tcpdump -n -i tun0
// shows it:
//   ./discardall_fast                          length 536, win 5000 (the article's)
//   ./discardall_fast --mss 1460 --window 256K length 1460, options [mss 1460,nop,wscale 3]
//   ./discardall_fast -K                       length 64240 (44 x 1460), one read() each
//   ./discardall_fast --ack-burst              one ACK after several data segments
//   ./discardall_fast -K --mtu 65535 -q        length 65495, and no line per packet
#pragma once

#include <stdint.h>

class OptionTable;
struct tcphdr;

// What -K gives when --mss or --window is not: the largest segment a
// 1500-byte tun MTU carries (1500 - 20 - 20), and a window of 4 MiB.
constexpr int kOffloadMss = 1460;
constexpr long kOffloadWindow = 4L << 20;

struct SpeedOptions
{
  // What the program offers when neither the option nor -K/--mtu says:
  // discardall_fast the article's (no MSS option, win 5000), echoall_hardened
  // MSS 1460 and 65535.  Set before speed_options_add: the help shows them.
  int default_mss = 0;
  long default_window = 5000;

  int mss = 0;             // --mss N: 0 when not given
  long window = 0;         // --window BYTES: 0 when not given
  int mtu = 0;             // --mtu N: 0 when not given (tun_mtu, tooling/tundev.h)
  bool offload = false;    // -K: tun_offload, up to 64 KB per read()
  bool ack_burst = false;  // --ack-burst: tun_write_later (tooling/ack_burst.h)
  bool quiet = false;      // -q: no line per packet (the article prints two)
};

// Which rows speed_options_add adds beyond --mss, --window and -K.
enum SpeedRows
{
  kSpeedBasic = 0,
  kSpeedMtu = 1,        // --mtu N
  kSpeedAckBurst = 2,   // --ack-burst
  kSpeedQuiet = 4,      // -q
};

// Adds --mss, --window, -K, and the rows `more` names, filling *speed.
void speed_options_add(OptionTable* table, SpeedOptions* speed, int more);

// The MSS we announce (0: none) and the window we offer in bytes, once the
// defaults of --mtu (MSS N - 40) and -K (MSS 1460, window 4M) are applied.
int synack_mss(const SpeedOptions& speed);
long window_bytes(const SpeedOptions& speed);

// The window scale factor (RFC 7323 section 2.3): the smallest shift that
// makes window_bytes() fit the 16-bit window field, at most 14.
int window_shift(const SpeedOptions& speed);

// Writes the options of our SYN+ACK, in reply to `syn`, at `options` (room
// for 8 bytes), and returns how many bytes it wrote, a multiple of 4:
//   an MSS to announce    02 04 NN NN         MSS N (RFC 9293 section 3.7.1)
//   a window over 65535   01 03 03 SS         NOP, window scale SS (RFC 7323),
//                                             only when the SYN offered a scale
// Nothing by default in discardall_fast, as in the article.  `syn` must
// have passed tcp_check.
int synack_options(const SpeedOptions& speed, const struct tcphdr* syn, unsigned char* options);

// The 16-bit window field of what we send: in a SYN+ACK the window in
// bytes, at most 65535 (a SYN's window is never scaled, RFC 7323 section
// 2.2); in every other segment the window shifted right by window_shift().
// A connection whose SYN offered no scale reads that field as bytes: a
// smaller window, never a wrong one.
uint16_t window_field(const SpeedOptions& speed, bool syn);

// What -K, --mtu N, --ack-burst and --window ask of the tun device once it
// is up: TUN offload (tun_offload), its MTU (tun_mtu), reads that do not
// wait (tun_nonblock, for tun_read_burst), and a queue that holds the
// window (tun_txqueuelen).  tun0's queue is where the kernel keeps what it
// sends us until we read it: 500 packets by default, 730 KB of 1460-byte
// segments.  A window is a promise of that much room (RFC 9293 section
// 3.8.6: the sequence numbers the receiver "is currently prepared to
// accept"); a sender that fills a larger one overflows the queue, and each
// segment dropped there is a hole that a sender without SACK (we offer none)
// repairs one round trip, or one timeout, at a time: a few drops of a 4 MiB
// window stalled streams for 20 s and more.  So the queue gets room for four
// windows of full-sized segments.  Returns false after printing why.
bool tun_speed_setup(int fd, const char* dev, const SpeedOptions& speed);
