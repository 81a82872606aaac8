// tooling/zero_window.h - discardall2's --zero-window BYTES,MS
// (docs/discardall2.md): a receiver whose buffer fills.  Its window's right
// edge stops at the connection's byte BYTES, so the window narrows as the
// bytes come and is 0 once BYTES came: the edge never moves back (RFC 9293
// 3.8.6: "shrinking the window" is "strongly discouraged").  MS
// milliseconds later the window opens again, the program's 5000 from then
// on, and a window update ACK says so.  While it is 0
// the sender probes it (the persist timer, RFC 9293 3.8.6.1, RFC 1122
// 4.2.2.17): every segment then, probe or data, is answered with an ACK of
// rcv_nxt and window 0, and no byte past the edge is taken.
//
// Tooling, not the lesson: discardall2.cc asks these functions about each
// segment and each ACK's window.  They take the time (clock_ms(),
// tooling/delay.h) as an argument, so a test gives its own.
#pragma once

#include "tooling/cmdline.h"

#include <stdint.h>

const long kZeroWindowMaxBytes = 1000000000;  // BYTES 1..10^9
const long kZeroWindowMaxMs = 60000;          // MS 1..60000: the window always opens again

struct ZeroWindowOptions
{
  const char* text = nullptr;  // --zero-window as typed
  long bytes = 0;              // BYTES; 0: no --zero-window, the window is always the program's
  long ms = 0;                 // MS
};

// Adds --zero-window to the table.
void zero_window_options_add(OptionTable* table, ZeroWindowOptions* zero);

// Parses "BYTES,MS" (BYTES 1..kZeroWindowMaxBytes, MS 1..kZeroWindowMaxMs).
// False for anything else: "0,5", "5", "5,", ",5", "5,0", "5,6,7".
bool zero_window_parse(const char* text, long* bytes, long* ms);

// After table->parse_or_exit: reads --zero-window into bytes and ms.  A bad
// value is refused with a message naming --zero-window and its ranges,
// then the usage line, and exit status 2.
void zero_window_options_check_or_exit(const OptionTable& table, ZeroWindowOptions* zero);

// One connection's window.
struct ZeroWindowState
{
  uint32_t edge = 0;      // the window's right edge until it opens: the first byte + BYTES
  bool closed = false;    // BYTES came: the window is 0 ...
  int64_t open_at = 0;    // ... until this time (ms)
};

// A new connection whose first data byte is `first` (the SYN's seq + 1).
void zero_window_start(const ZeroWindowOptions& zero, ZeroWindowState* state, uint32_t first);

// The window an ACK of rcv_nxt advertises at time now: `window` (the
// program's own) without --zero-window or once the window opened again;
// before, what is left up to the edge, at most `window`; 0 while closed.
uint16_t zero_window_of(const ZeroWindowOptions& zero, const ZeroWindowState& state,
                        uint32_t rcv_nxt, int64_t now, uint16_t window);

// rcv_nxt has moved: true once, when it reached the edge; the window is 0
// from now for MS ms, and `why` holds the line that says so ("zero window:
// 10720 bytes received, the window is 0 for 3000 ms").
bool zero_window_close(const ZeroWindowOptions& zero, ZeroWindowState* state, uint32_t rcv_nxt,
                       int64_t now, char* why, int why_size);

// True when the segment whose data is [seq, seq + len) is not to be taken:
// the window is 0 (any segment: a probe, data, a FIN), or its data ends past
// the edge (a FIN right after the last byte is taken: Linux sends none past
// the edge, and RFC 9293 3.10.7.4 trims what lies beyond).  Then `why`
// holds the line ("zero window probe, rcv_nxt = 10721, seq = 10720, answered
// with win 0").
bool zero_window_refuses(const ZeroWindowOptions& zero, const ZeroWindowState& state,
                         uint32_t rcv_nxt, uint32_t seq, int len, int64_t now, char* why,
                         int why_size);
