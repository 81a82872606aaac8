// tooling/tcp_options.h - the TCP options on the wire that a SYN+ACK of
// ours carries and a SYN of the peer's may carry: MSS (RFC 9293 section
// 3.7.1) and window scale (RFC 7323).  Tooling, not the lesson: the
// article's SYN+ACK has no options; discardall_fast and echoall_hardened
// add them (docs/faster.md).
#pragma once

struct tcphdr;

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
