// tooling/delay.h - discardall2's --delay MS (docs/discardall2.md): every
// segment it writes, its ACKs, is held MS milliseconds, then written, as if
// the path back to the sender were that long; the kernel's RTT and RTO
// follow.  Tooling, not the lesson: discardall2.cc hands each reply to
// delay_write and waits for its input in delay_wait_input.
//
// Bounded: at most kDelayMaxHeld segments are held (one more is lost, and a
// line says so), and every one is written when its time comes, by the poll
// in delay_wait_input, whose timeout is the time until the next.
#pragma once

#include "tooling/cmdline.h"

#include <stdint.h>

const int kDelayMaxMs = 10000;    // --delay 0..10000 ms
const int kDelayMaxHeld = 1024;   // segments held at once
const int kDelayMaxLen = 60;      // the longest held: an IP and a TCP header of 20 + 40

struct DelayOptions
{
  int ms = 0;  // --delay MS: 0 writes every reply at once, as discardall does
};

// Adds --delay to the table.
void delay_options_add(OptionTable* table, DelayOptions* delay);

// Milliseconds of CLOCK_MONOTONIC (held segments are timed to the
// microsecond), or the fake time a test set.
int64_t clock_ms();
// From now on clock_ms() returns ms (a test's clock); -1: the real clock again.
void clock_fake(int64_t ms);

// Writes buf (len bytes, at most kDelayMaxLen) to fd with tun_write at
// clock_ms() + ms: at once when ms is 0, else held until delay_release
// finds it due.  Held segments are written in the order of their times,
// those of one time in the order they came.  False when it was not held:
// kDelayMaxHeld are held already, or it is too long; a line says so.
bool delay_write(int fd, const void* buf, int len, int ms);

// Writes every held segment whose time has come (clock_ms() >= its time),
// in order.  Returns how many it wrote.
int delay_release(int fd);

// How many segments are held now.
int delay_held();

// Milliseconds until the next held segment is due (0 when one is due
// already), or -1 when none is held: poll's timeout.
int delay_next_ms();

// Waits until fd can be read, writing the held segments as they fall due
// (poll(2) with delay_next_ms() as its timeout).  False when poll fails,
// after printing why.
bool delay_wait_input(int fd);
