// tooling/echo_bounds.h - -c N and -t SECONDS: the bounds of
// echoall_hardened's connection table, as one group of values.  Tooling,
// not the lesson: echoall_hardened.cc holds the table and what the bounds
// do to it (tcp_make_room); its main composes this group with the tun
// device's (tooling/cmdline.h) and the speed options (tooling/speed.h).
//   ./echoall_hardened -c 2 -t 2     at most 2 connections; one idle 2 s is reset
#pragma once

class OptionTable;

struct EchoBounds
{
  // A std::map node holding a TcpState is about 100 bytes, so 4096 entries
  // are about 400 KB, well inside echoall_hardened's 8 MB.
  long max_connections = 4096;  // -c N: when full, the longest-idle entry goes
  // A client that vanished without FIN or RST (unplugged, or killed with its
  // host) leaves an entry that nothing would ever remove: one idle this long
  // is reset when the next connection is made, the one moment the table grows.
  long idle_timeout_s = 300;    // -t SECONDS
};

// Adds -c, --max-connections N and -t, --idle-timeout SECONDS, filling *bounds.
void echo_bounds_add(OptionTable* table, EchoBounds* bounds);
