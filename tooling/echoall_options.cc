// tooling/echoall_options.cc - see echoall_options.h.
#include "tooling/echoall_options.h"

#include <errno.h>  // program_invocation_short_name
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// In echoall.cc, beside tcp_make_room, which applies them.
extern size_t max_connections;
extern int64_t idle_timeout_ms;

static bool parse_long(const char* text, long min, long max, long* value)
{
  char* end = nullptr;
  errno = 0;
  *value = strtol(text, &end, 10);
  return *text != '\0' && *end == '\0' && errno == 0 && *value >= min && *value <= max;
}

static bool take_option(int c, const char* arg)
{
  long value;
  switch (c)
  {
    case 'c':
      if (!parse_long(arg, 1, 1000000, &value))
      {
        fprintf(stderr, "%s: -c %s: expected a number of connections, 1..1000000\n",
                program_invocation_short_name, arg);
        return false;
      }
      max_connections = static_cast<size_t>(value);
      return true;
    case 't':
      if (!parse_long(arg, 1, 7 * 24 * 3600, &value))
      {
        fprintf(stderr, "%s: -t %s: expected an idle timeout in seconds, 1..604800\n",
                program_invocation_short_name, arg);
        return false;
      }
      idle_timeout_ms = value * 1000;
      return true;
  }
  return take_speed_option(c, arg);  // --mss, --window, -K
}

static const struct option kLongOptions[] = {
  { "max-connections", required_argument, nullptr, 'c' },
  { "idle-timeout", required_argument, nullptr, 't' },
  SPEED_LONG_OPTIONS,
  { nullptr, 0, nullptr, 0 },
};

const ExtraOptions kEchoallOptions = {
  "c:t:K",
  kLongOptions,
  "  -c, --max-connections N  at most N connections (default 4096, about 400 KB);\n"
  "              when full, the longest-idle one is reset to make room\n"
  "              最多 N 个连接（默认 4096，约 400 KB）；满了就重置空闲最久的一个\n"
  "  -t, --idle-timeout SECONDS  a connection idle this long is reset when the\n"
  "              next one is made (default 300)\n"
  "              空闲这么久的连接在下一个连接建立时被重置（默认 300）\n"
  "  --mss N     announce MSS N in the SYN+ACK (default 1460)\n"
  "              在 SYN+ACK 中通告 MSS N（默认 1460）\n"
  "  --window BYTES  offer at most BYTES (K, M allowed), scaled (RFC 7323) when\n"
  "              over 65535 and the SYN offered scaling; below it, the peer's own\n"
  "              window (default 65535)   窗口至多 BYTES 字节，超过 65535 且 SYN 支持时缩放\n"
  "  -K          TUN offload (TUNSETOFFLOAD): read and echo up to 64 KB at once;\n"
  "              implies --window 4M unless given   TUN 卸载：一次读入并回显至多 64 KB\n",
  take_option,
};

// ---------------------------------------------------------------- the SYN+ACK

int synack_mss()
{
  return mss_option ? mss_option : kEchoallMss;
}

long window_bytes()
{
  if (window_option)
    return window_option;
  return offload ? kOffloadWindow : 65535;
}

int window_shift()
{
  return window_shift_of(window_bytes());
}

int synack_options(const struct tcphdr* syn, unsigned char* options)
{
  return synack_options_write(syn, synack_mss(), window_shift(), options);
}
