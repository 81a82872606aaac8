// tooling/discardall_options.h - what discardall has beyond the article,
// linked into discardall alone: --mss N, --window BYTES, --mtu N, -K and
// --ack-burst, the things that take one stream from tens of MiB/s to near
// the kernel's own speed (docs/faster.md).  Step 4 is discardall.cc,
// readable beside the article without any of this; each option changes
// what crosses tun0, and tcpdump -n -i tun0 shows it:
//   ./discardall                             length 536, win 5000
//   ./discardall --mss 1460 --window 256K    length 1460, options [mss 1460,nop,wscale 3]
//   ./discardall -K                          length 64240 (44 x 1460), one read() each
//   ./discardall --ack-burst                 one ACK after several data segments
// With no option discardall's packets are the article's, byte for byte.
#pragma once

#include "tooling/options.h"        // ExtraOptions
#include "tooling/speed_options.h"  // mss_option, window_option, offload, tcp_option_find

#include <stdint.h>

struct tcphdr;

// --mss N, --window BYTES, --mtu N, -K and --ack-burst, set by
// parse_options_or_exit through kDiscardallOptions (the values:
// tooling/speed_options.h).  --ack-burst makes discardall.cc write its ACKs
// of data with tun_write_later (tooling/tunio.h).
extern const ExtraOptions kDiscardallOptions;

// The MSS we announce (0: none) and the window we offer in bytes, once the
// defaults of --mtu (MSS N - 40) and -K (MSS 1460, window 4M) are applied.
int synack_mss();
long window_bytes();

// The window scale factor (RFC 7323 section 2.3): the smallest shift that
// makes window_bytes() fit the 16-bit window field, at most 14.
int window_shift();

// Writes the options of our SYN+ACK, in reply to `syn`, at `options` (room
// for 8 bytes), and returns how many bytes it wrote, a multiple of 4:
//   --mss N             02 04 NN NN         MSS N (RFC 9293 section 3.7.1)
//   --window BYTES      01 03 03 SS         NOP, window scale SS (RFC 7323),
//                                           only when the window needs it and
//                                           the SYN offered a scale of its own
// Nothing by default, as in the article.  `syn` must have passed tcp_check.
int synack_options(const struct tcphdr* syn, unsigned char* options);

// The 16-bit window field of what we send: in a SYN+ACK the window in
// bytes, at most 65535 (a SYN's window is never scaled, RFC 7323 section
// 2.2); in every other segment the window shifted right by window_shift().
// A connection whose SYN offered no scale reads that field as bytes: a
// smaller window, never a wrong one.  5000 by default, as in the article.
uint16_t window_field(bool syn);
