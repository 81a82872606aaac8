// tests/support/packet_diff.h - what differs between two packets, said field
// by field, for the tests that compare packets byte for byte.
#pragma once

#include "tests/support/reference.h"

#include <string>

// One line for each field of `actual` that differs from `expected`, named
// as a student reads the packet, with what was written and what was wanted:
//
//   RST+ACK: tcp ack is 1001, want 1002 = the SYN's seq + 1 (a SYN counts as one byte)
//
// The words after "want N" say the rule the wanted value follows (or that
// its bytes are swapped: htons/htonl), for a student whose packet it is.
// It walks the IPv4 header (options included), then the TCP or ICMP header,
// the payload, and any bytes past tot_len; each packet by its own ihl, doff
// and tot_len.  The packet is named after `expected`: its TCP flags
// ("SYN+ACK"), its ICMP type ("echo reply"), or "IPv4 packet".  Bytes that
// are not an IPv4 packet are compared as bytes.  Returns "" when the two are
// the same bytes, so that a test writes
//
//   CHECK(packet_diff(want, got) == "");
//
// and a failure prints the lines.  At most 12 lines, then how many more.
//
// Under check-lab (FAKETCP_GRADE=rules in the environment) the fields the
// RFCs leave free are checked by their rule alone, not against `expected`:
// the IP id and tos (any), the TTL (not 0), DF (either; MF and the offset
// 0), the TCP window (a test of echoall's mirror window checks it
// itself), the urgent pointer without URG;
// the checksums must be right for the packet as it is.  The repository's own
// tests, without it, compare every byte.
std::string packet_diff(const Bytes& expected, const Bytes& actual);

// True under FAKETCP_GRADE=rules (check-lab): a test then accepts what the
// protocol leaves free, such as the words of a "bad packet" line.
bool grading_by_rules();
void grade_by_rules(bool on);  // for packet_diff's own tests

// "" when `printed` begins with the line "bad packet: WHY\n" (under
// check-lab any "bad packet: ..." line: the words are the student's own);
// otherwise what was printed and what was wanted, for a student:
//
//   CHECK(refusal_diff(o.printed, "bad ICMP checksum") == "");
std::string refusal_diff(const std::string& printed, const std::string& why);

// "" when an Internet checksum is right; otherwise what it is, what it
// should be, and the step of RFC 1071 that most likely went wrong (the ~
// missing, the bytes swapped), both as numbers (ntohs() of the field):
//
//   CHECK(checksum_diff(ntohs(in_checksum(data, 8)), 0x220d) == "");
std::string checksum_diff(uint16_t got, uint16_t want);
