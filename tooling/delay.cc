// tooling/delay.cc - see delay.h.
#include "tooling/delay.h"

#include "tooling/tunio.h"

#include <algorithm>
#include <deque>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void delay_options_add(OptionTable* table, DelayOptions* delay)
{
  table->add({ 0, "delay", "MS", OptionType::kInt, 0, kDelayMaxMs, "a delay in milliseconds", "100",
               &delay->ms,
               "hold every ACK MS milliseconds before it is written (default 0):\n"
               "the sender's RTT and RTO grow by MS",
               "每个 ACK 先扣住 MS 毫秒再写出（默认 0）：发送方的 RTT 与 RTO 随之变大" });
}

static int64_t fake_now_us = -1;

// Microseconds: a segment held at 100.9 ms and due at 150 ms would be held
// 49.1 ms on a clock of milliseconds.
static int64_t clock_us()
{
  if (fake_now_us >= 0)
    return fake_now_us;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_ms()
{
  return clock_us() / 1000;
}

void clock_fake(int64_t ms)
{
  fake_now_us = ms < 0 ? -1 : ms * 1000;
}

struct HeldSegment
{
  int64_t due;  // clock_us() when it is to be written
  int len;
  unsigned char bytes[kDelayMaxLen];
};

// Ordered by due; a deque, since most come at the back and leave at the front.
static std::deque<HeldSegment> held;

bool delay_write(int fd, const void* buf, int len, int ms)
{
  if (ms == 0)
    return tun_write(fd, buf, len);
  if (len > kDelayMaxLen || held.size() >= static_cast<size_t>(kDelayMaxHeld))
  {
    if (len > kDelayMaxLen)
      printf("delay: a %d-byte segment is longer than %d, not held: lost\n", len, kDelayMaxLen);
    else
      printf("delay: %d segments held already, the limit: this one is lost\n", kDelayMaxHeld);
    return false;
  }
  HeldSegment seg;
  seg.due = clock_us() + static_cast<int64_t>(ms) * 1000;
  seg.len = len;
  memcpy(seg.bytes, buf, len);
  // After every one due at the same time or before: those of one time keep their order.
  auto after = std::upper_bound(held.begin(), held.end(), seg.due,
                                [](int64_t due, const HeldSegment& h) { return due < h.due; });
  held.insert(after, seg);
  return true;
}

int delay_release(int fd)
{
  int n = 0;
  const int64_t now = clock_us();
  while (!held.empty() && held.front().due <= now)
  {
    tun_write(fd, held.front().bytes, held.front().len);
    held.pop_front();
    ++n;
  }
  return n;
}

int delay_held()
{
  return static_cast<int>(held.size());
}

int delay_next_ms()
{
  if (held.empty())
    return -1;
  const int64_t wait_us = held.front().due - clock_us();
  return wait_us > 0 ? static_cast<int>((wait_us + 999) / 1000) : 0;  // poll's ms, rounded up
}

bool delay_wait_input(int fd)
{
  for (;;)
  {
    delay_release(fd);
    struct pollfd p = { fd, POLLIN, 0 };
    const int n = poll(&p, 1, delay_next_ms());
    if (n > 0)
      return true;
    if (n < 0 && errno != EINTR)
    {
      perror("poll on the tunnel interface");
      return false;
    }
  }
}
