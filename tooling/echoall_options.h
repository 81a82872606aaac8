// tooling/echoall_options.h - echoall's options: its table's bounds, -c N
// (at most N connections) and -t SECONDS (an idle connection's life), and
// the speed options it shares with discardall, --mss N, --window BYTES and
// -K (tooling/speed_options.h, docs/faster.md).  Tooling, not the lesson:
// echoall.cc holds the bounds and what they do (tcp_make_room), and asks
// this file only for its SYN+ACK's options and the window it may offer.
//   ./echoall                             options [mss 1460], the peer's window mirrored
//   ./echoall --window 4M                 options [mss 1460,nop,wscale 7]
//   ./echoall -K                          the same, and echoes of up to 64 KB
#pragma once

#include "tooling/options.h"        // ExtraOptions
#include "tooling/speed_options.h"  // mss_option, window_option, offload

struct tcphdr;

extern const ExtraOptions kEchoallOptions;

// The MSS our SYN+ACK announces: --mss N, else 1460 (0x05b4), what a
// 1500-byte tun MTU carries after 40 bytes of IP and TCP header.  An echo
// is as long as the segment it answers, so it fits the same MTU on the way
// back.
constexpr int kEchoallMss = 1460;
int synack_mss();

// The most we offer as our window, in bytes: --window BYTES, else 4 MiB
// with -K, else 65535 (all a window field says unscaled).  Below it
// echoall's window is its peer's own (the mirror: echoall.cc, TcpState).
long window_bytes();

// Our window scale (RFC 7323): the smallest shift that fits window_bytes()
// in 16 bits; 0, no scaling, unless --window or -K asks for over 65535.
int window_shift();

// Writes the options of our SYN+ACK, in reply to `syn`, at `options` (room
// for 8 bytes), and returns how many bytes it wrote:
//   always             02 04 05 b4    MSS 1460, or --mss N
//   window_shift() > 0 01 03 03 SS    NOP, window scale SS, only when the
//                                     SYN offered a scale of its own
// `syn` must have passed tcp_check.
int synack_options(const struct tcphdr* syn, unsigned char* options);
