// tooling/zero_window.cc - see zero_window.h.
#include "tooling/zero_window.h"

#include <errno.h>  // program_invocation_short_name
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void zero_window_options_add(OptionTable* table, ZeroWindowOptions* zero)
{
  table->add({ 0, "zero-window", "BYTES,MS", OptionType::kText, 0, 0, nullptr, nullptr, &zero->text,
               "once BYTES of a connection came, advertise window 0 for MS ms,\n"
               "then open it again: the sender's zero-window probes",
               "一个连接收到 BYTES 字节后通告窗口 0，持续 MS 毫秒再打开：发送方的零窗口探测" });
}

bool zero_window_parse(const char* text, long* bytes, long* ms)
{
  char bytes_text[16];
  const char* comma = strchr(text, ',');
  if (!comma || comma == text || static_cast<size_t>(comma - text) >= sizeof bytes_text)
    return false;
  memcpy(bytes_text, text, comma - text);
  bytes_text[comma - text] = '\0';
  return parse_number(bytes_text, 1, kZeroWindowMaxBytes, false, bytes)
         && parse_number(comma + 1, 1, kZeroWindowMaxMs, false, ms);
}

void zero_window_options_check_or_exit(const OptionTable& table, ZeroWindowOptions* zero)
{
  if (!zero->text)
    return;
  if (!zero_window_parse(zero->text, &zero->bytes, &zero->ms))
  {
    fprintf(stderr, "%s: --zero-window %s: expected BYTES,MS, bytes received 1..%ld, "
            "then window 0 for 1..%ld ms (e.g. 10720,3000)\n",
            program_invocation_short_name, zero->text, kZeroWindowMaxBytes, kZeroWindowMaxMs);
    zero->bytes = 0;
    table.usage_print(stderr);
    fputs("(-h tells every option / -h 列出全部选项)\n", stderr);
    exit(2);
  }
}

static bool seq_before(uint32_t a, uint32_t b)
{
  return static_cast<int32_t>(a - b) < 0;
}

void zero_window_start(const ZeroWindowOptions& zero, ZeroWindowState* state, uint32_t first)
{
  *state = ZeroWindowState();
  state->edge = first + static_cast<uint32_t>(zero.bytes);
}

// The window has been 0 and its MS are over.
static bool is_open_again(const ZeroWindowState& state, int64_t now)
{
  return state.closed && now >= state.open_at;
}

uint16_t zero_window_of(const ZeroWindowOptions& zero, const ZeroWindowState& state,
                        uint32_t rcv_nxt, int64_t now, uint16_t window)
{
  if (zero.bytes == 0 || is_open_again(state, now))
    return window;
  if (state.closed || !seq_before(rcv_nxt, state.edge))
    return 0;
  const uint32_t left = state.edge - rcv_nxt;
  return left < window ? static_cast<uint16_t>(left) : window;
}

bool zero_window_close(const ZeroWindowOptions& zero, ZeroWindowState* state, uint32_t rcv_nxt,
                       int64_t now, char* why, int why_size)
{
  if (zero.bytes == 0 || state->closed || seq_before(rcv_nxt, state->edge))
    return false;
  state->closed = true;
  state->open_at = now + zero.ms;
  snprintf(why, why_size, "zero window: %ld bytes received, the window is 0 for %ld ms",
           zero.bytes, zero.ms);
  return true;
}

bool zero_window_refuses(const ZeroWindowOptions& zero, const ZeroWindowState& state,
                         uint32_t rcv_nxt, uint32_t seq, int len, int64_t now, char* why,
                         int why_size)
{
  if (zero.bytes == 0 || is_open_again(state, now))
    return false;
  const uint32_t end = seq + static_cast<uint32_t>(len);
  if (state.closed && len == 0)
    snprintf(why, why_size, "zero window probe, rcv_nxt = %u, seq = %u, answered with win 0",
             rcv_nxt, seq);
  else if (state.closed)
    snprintf(why, why_size, "zero window, rcv_nxt = %u, seq = %u:%u not taken, answered with win 0",
             rcv_nxt, seq, end);
  else if (seq_before(state.edge, end))
    snprintf(why, why_size, "past the window, rcv_nxt = %u, seq = %u:%u not taken, its edge is %u",
             rcv_nxt, seq, end, state.edge);
  else
    return false;
  return true;
}
