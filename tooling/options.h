// tooling/options.h - the command line every step shares: -i IFNAME,
// -a ADDR/PREFIX, --pcap FILE, -h.  Tooling, not the lesson: the article's
// programs take no options.  A step with options of its own (connectmany)
// passes them in ExtraOptions; nothing here names them.
//
// The top floor: it uses the lesson (parse_cidr, faketcp.h) and the tun I/O
// (pcap_open, tooling/tunio.h); neither uses it.
#pragma once

#include <net/if.h>  // IFNAMSIZ

struct option;  // <getopt.h>

// What the shared command line sets.
struct Options
{
  char ifname[IFNAMSIZ] = "tun%d";       // -i: the kernel picks tun0, tun1, ...
  char hostaddr[32] = "192.168.0.1/24";  // -a: our end of the tunnel
  const char* pcap = nullptr;            // --pcap: copy every packet to this file
};

// A step's own options: getopt's letters ("qw:x") and long options (ending
// with a zero entry, or nullptr), the lines that describe them in the help,
// and the function that takes each one found; it returns false after
// printing what is wrong with the argument.
struct ExtraOptions
{
  const char* shortopts;
  const struct option* longopts;
  const char* help;
  bool (*take)(int c, const char* arg);
};

// Reads -i IFNAME, -a ADDR/PREFIX, --pcap FILE, -h/--help and the step's
// extra options, checks that exactly nargs positional arguments remain, and
// opens the --pcap file.  Exits: 0 after printing `usage` on -h; 2 after
// printing it to stderr on a bad option or argument count; 1 when the
// --pcap file cannot be opened.  Returns the index in argv of the first
// positional argument.
int parse_options_or_exit(int argc, char* argv[], const char* usage, int nargs,
                          Options* opt, const ExtraOptions* extra = nullptr);
