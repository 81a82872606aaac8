// tooling/echo_bounds.cc - see echo_bounds.h.
#include "tooling/echo_bounds.h"

#include "tooling/cmdline.h"

void echo_bounds_add(OptionTable* table, EchoBounds* bounds)
{
  table->add({ 'c', "max-connections", "N", OptionType::kLong, 1, 1000000,
               "a number of connections", nullptr, &bounds->max_connections,
               "at most N connections (default 4096, about 400 KB);\n"
               "when full, the longest-idle one is reset to make room",
               "最多 N 个连接（默认 4096，约 400 KB）；满了就重置空闲最久的一个" });
  // 1 second to a week (604800 s).
  table->add({ 't', "idle-timeout", "SECONDS", OptionType::kLong, 1, 7 * 24 * 3600,
               "an idle timeout in seconds", nullptr, &bounds->idle_timeout_s,
               "a connection idle this long is reset when the next one is made\n"
               "(default 300)",
               "空闲这么久的连接在下一个连接建立时被重置（默认 300）" });
}
