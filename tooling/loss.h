// tooling/loss.h - discardall2's losses, chosen by its user (docs/discardall2.md):
//   --drop N     the first transmission of the Nth new data segment of each
//                connection is lost (never acknowledged, as if the path ate it)
//   --drop NxK   its first K transmissions: the sender's timer backs off K-1 times
//   --loss P     every data segment (a retransmission too) lost with
//   --seed S     probability P percent, from a generator seeded with S: the
//                same S, the same losses for the same segments
// Several --drop may be given.  Tooling, not the lesson: discardall2.cc asks
// loss_drop about each data segment, and knows nothing of how it decides.
#pragma once

#include "tooling/cmdline.h"

#include <stdint.h>
#include <vector>

// One --drop: the Nth new data segment (counted from 1) loses its first K
// transmissions.
struct DropRule
{
  long n;
  long k;
};

// The bounds a --drop value is checked against, in its message too.
const long kDropMaxN = 1000000;  // the Nth segment: 1..kDropMaxN
const long kDropMaxK = 10;       // K transmissions: 1..10 (RTO backoff 2^9 s at most past the first)
const int kDropMaxRules = 16;    // --drop given at most 16 times

struct LossOptions
{
  std::vector<const char*> drop_text;  // --drop, as typed, in order
  std::vector<DropRule> drops;         // the same, parsed by loss_options_check_or_exit
  int loss_percent = 0;                // --loss P: 0..100
  long seed = 1;                       // --seed S
};

// Starts --loss's generator (xorshift64*) from seed: loss_options_check_or_exit
// calls it with --seed; a test calls it to replay.
void loss_seed(long seed);

// Adds --drop, --loss and --seed to the table.
void loss_options_add(OptionTable* table, LossOptions* loss);

// Parses "N" or "NxK" (N 1..kDropMaxN, K 1..kDropMaxK; K defaults to 1).
// False for anything else: "0", "3x", "3x0", "x2", "3x4x5", " 3".
bool drop_parse(const char* text, DropRule* rule);

// After table->parse_or_exit: turns every --drop into a DropRule.  A bad
// value, or more than kDropMaxRules, is refused with a message naming
// --drop and its range, then the usage line, and exit status 2.
void loss_options_check_or_exit(const OptionTable& table, LossOptions* loss);

// What one connection has seen, for the rules: how many new data segments,
// where the newest byte ends, and for each rule the segment it picked and
// how many of its transmissions are still to be lost.
struct LossState
{
  uint32_t new_segments = 0;  // data segments that began at or past `high`
  uint32_t high = 0;          // one past the newest byte seen (the SYN counts)
  uint32_t seq[kDropMaxRules] = {};   // the picked segment's first byte
  uint8_t left[kDropMaxRules] = {};   // its transmissions still to lose
};

// A new connection whose first data byte is `first` (the SYN's seq + 1).
void loss_start(LossState* state, uint32_t first);

// Decides about one data segment [seq, seq + len) of a connection: true
// when it is to be lost.  Then `why` holds the line that says so ("drop
// (--drop 3x4): transmission 1 of 4 of seq 1537", "drop (--loss 5): seq 1537").  Sequence numbers wrap
// (RFC 1982).
bool loss_drop(const LossOptions& loss, LossState* state, uint32_t seq, int len,
               char* why, int why_size);
