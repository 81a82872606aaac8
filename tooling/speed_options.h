// tooling/speed_options.h - --mss N, --window BYTES and -K, the options of
// discardall and echoall that take one stream from tens of MiB/s to near
// the kernel's own speed (docs/faster.md): the values, their parsing, and
// the bytes they put in a SYN+ACK.  Tooling, not the lesson: each program's
// own file (discardall_options.h, echoall_options.h) says what the values
// mean for it, and the step files ask that file alone.
#pragma once

#include <stdint.h>

struct tcphdr;

// Set by take_speed_option, from the command line.
extern int mss_option;      // --mss N: 0 when not given
extern long window_option;  // --window BYTES: 0 when not given
extern bool offload;        // -K: tun_offload (tooling/tunio.h), up to 64 KB per read()
extern int mtu_option;      // --mtu N (discardall): tun_mtu (tooling/tunio.h); 0 when not given
extern bool ack_burst;       // --ack-burst (discardall): tun_write_later (tooling/tunio.h)

// What -K gives when --mss or --window is not: the largest segment a
// 1500-byte tun MTU carries (1500 - 20 - 20), and a window of 4 MiB.
constexpr int kOffloadMss = 1460;
constexpr long kOffloadWindow = 4L << 20;

// getopt's entries for --mss and --window (their letters 'M' and 'W'), for
// a program's table of long options; -K is the letter "K" in its shortopts.
#define SPEED_LONG_OPTIONS                          \
  { "mss", required_argument, nullptr, 'M' },       \
  { "window", required_argument, nullptr, 'W' }

// The entry for --mtu (its letter 'U'), which discardall alone has.
#define MTU_LONG_OPTION { "mtu", required_argument, nullptr, 'U' }

// What -K, --mtu N and --window ask of the tun device once it is up: TUN
// offload (tun_offload), its MTU (tun_mtu), and a queue that holds the
// window (tun_txqueuelen).  tun0's queue is where the kernel keeps what it
// sends us until we read it: 500 packets by default, 730 KB of 1460-byte
// segments.  A window is a promise of that much room (RFC 9293 section
// 3.8.6: the sequence numbers the receiver "is currently prepared to
// accept"); a sender that fills a larger one overflows the queue, and each
// segment dropped there is a hole that a sender without SACK (we offer none)
// repairs one round trip, or one timeout, at a time: a few drops of a 4 MiB
// window stalled streams for 20 s and more.  So the queue gets room for four
// windows of full-sized segments.  Returns false after printing why.
bool tun_speed_setup(int fd, const char* dev);

// Takes 'M' (--mss), 'W' (--window), 'K' (-K) or 'U' (--mtu).  Returns false after
// printing what is wrong with arg, or when c is none of them.
bool take_speed_option(int c, const char* arg);

// The window scale factor (RFC 7323 section 2.3): the smallest shift that
// makes `bytes` fit the 16-bit window field, at most 14.
int window_shift_of(long bytes);

// Writes a SYN+ACK's options at `options` (room for 8 bytes) and returns
// how many bytes it wrote, a multiple of 4:
//   mss > 0                   02 04 NN NN    MSS N (RFC 9293 section 3.7.1)
//   shift > 0, and `syn`      01 03 03 SS    NOP, window scale SS (RFC 7323)
//   offered a window scale
// `syn` must have passed tcp_check.
int synack_options_write(const struct tcphdr* syn, int mss, int shift, unsigned char* options);

// The shift a SYN's window scale option asks for, or -1 when it has none.
// A shift over 14 counts as 14 (RFC 7323 section 2.3: the receiver "MUST
// use 14 instead").  `syn` must have passed tcp_check.
int syn_wscale(const struct tcphdr* syn);

// Finds TCP option `kind` in the header at tcphdr and returns a pointer to
// its kind byte, or nullptr.  tcphdr must have passed tcp_check (its doff*4
// bytes are readable).  When this returns non-null, the option's length byte
// says `len`, and all `len` bytes lie inside the header.  An option whose
// length byte is below 2 or runs past the header ends the search.
const unsigned char* tcp_option_find(const struct tcphdr* tcphdr, int kind, int len);
