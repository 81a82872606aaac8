// tooling/cmdline.h - the command line of every program, as values.
// Tooling, not the lesson: the article's programs take no options.
//
// An option group is a struct with its defaults (TunOptions below: -i, -a,
// --pcap; SpeedOptions in tooling/speed.h; ...).  A program composes the
// groups it has in main, each adding its rows to one OptionTable, then
// parses once:
//
//   TunOptions tun;                              // -i IFNAME -a ADDR/PREFIX --pcap FILE
//   SpeedOptions speed;                          // --mss N --window BYTES ...
//   OptionTable table(kAbout);
//   tun_options_add(&table, &tun);
//   speed_options_add(&table, &speed, ...);
//   table.parse_or_exit(argc, argv);
//
// One row per option gives its letter, its long name, what it takes, its
// range and its help in English and Chinese; the usage line, the help and
// every error message are made from the rows, so no option can be missing
// from them.  Nothing is set by callbacks, and nothing lives at file scope:
// the values are the groups' fields.
//
// The top floor: it uses the tun I/O (pcap_open, tooling/tunio.h) and
// nothing of the lesson; the lesson (faketcp.h) uses none of it.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>       // IFNAMSIZ
#include <netinet/in.h>   // INET_ADDRSTRLEN
#include <vector>

// What an option or an argument takes, and so how its text becomes a value.
enum class OptionType
{
  kFlag,     // no argument: *(bool*)value = true
  kInt,      // a decimal number in [min, max]: int*
  kLong,     // the same: long*
  kSize,     // a number with an optional K or M (x 1024, x 1024 * 1024): long*
  kText,     // any text: const char**
  kTextList, // any text, the option repeatable: each one appended to std::vector<const char*>*
  kIpv4,     // a dotted IPv4 address (inet_pton): const char**
  kIfname,   // a device name, at most IFNAMSIZ - 1 characters, no '/': char[IFNAMSIZ]
  kCidr,     // ADDR/PREFIX, prefix 8..30 (parse_cidr): TunOptions*
  kCapture,  // a file that --pcap opens once parsing is done: const char**
};

struct OptionRow
{
  char letter;           // 'w' for -w, or 0 for a long name alone
  const char* name;      // "syn-rto" for --syn-rto, or nullptr for a letter alone
  const char* metavar;   // what it takes in the help: "N", "BYTES"; nullptr for a flag
  OptionType type;
  long min, max;         // a number's range, both included
  const char* what;      // a number's meaning, in its message: "a segment size in bytes"
  const char* example;   // shown after the range in its message: "1460", or nullptr
  void* value;           // where the value goes (see OptionType)
  const char* help;      // English, lines joined by '\n'
  const char* help_zh;   // 中文
};

// The positional arguments (connectmany's IP PORT COUNT), in order.
struct ArgumentRow
{
  const char* metavar;   // "PORT"
  OptionType type;       // kIpv4, kInt or kLong
  long min, max;
  const char* what;      // "a number", "an IPv4 address"
  const char* example;   // "192.168.0.1", or nullptr
  void* value;
};

class OptionTable
{
 public:
  // about: what the program does, in both languages, printed under the
  // usage line by -h; it ends with '\n'.
  explicit OptionTable(const char* about) : about_(about) {}

  // Adds one row.  Two rows with one letter or one name is a mistake of the
  // program, not of its user: parse_or_exit says so and exits 70.
  void add(const OptionRow& row) { rows_.push_back(row); }
  void add_argument(const ArgumentRow& arg) { args_.push_back(arg); }

  // Reads every option and argument into the groups' fields.  Exits: 0
  // after printing the help on -h or --help; 2 after printing what is wrong
  // and the usage line to stderr, on an unknown option, a value out of its
  // range, or a wrong number of arguments; 1 when the --pcap file cannot be
  // opened.
  //
  // With FAKETCP_OPTION_ROWS=1 in the environment it prints the table
  // instead, one line per row then per argument, tab-separated, and exits 0:
  //   option<TAB>NAME<TAB>SPELLINGS<TAB>TYPE<TAB>MIN<TAB>MAX
  //   argument<TAB>METAVAR<TAB>METAVAR<TAB>TYPE<TAB>MIN<TAB>MAX
  // NAME is the option as its messages name it (-r, --pcap), SPELLINGS every
  // way to write it ("-r,--syn-rto"), TYPE kFlag's "flag", "int", ...  This
  // is how tests/integration/option_edges.sh finds every option of every program,
  // so none is added without its edges being checked.
  void parse_or_exit(int argc, char* argv[]);

  // usage: PROGRAM [-i IFNAME] ... ARGS, wrapped at 80 columns.
  void usage_print(FILE* out) const;
  // The usage line, the about text, then one entry per option.
  void help_print(FILE* out) const;

  const std::vector<OptionRow>& rows() const { return rows_; }

 private:
  const char* about_;
  const char* program_ = "";  // argv[0]'s last part, once parse_or_exit has it
  std::vector<OptionRow> rows_;
  std::vector<ArgumentRow> args_;
};

// The one number parser: decimal digits (a leading '-' for a negative
// number), then with `suffixes` an optional K or M (x 1024, x 1048576), and
// nothing else; true when the value is in [min, max].  "", "12x", "1e3",
// " 5" and values past a long are refused.
bool parse_number(const char* text, long min, long max, bool suffixes, long* value);

// Splits "192.168.0.1/24" into an address and a netmask, both in network
// byte order.  Returns false when the text is not IPv4/prefix with prefix
// 8..30 (a network must have room for hosts to fake), or names the network
// or broadcast address instead of a host.
bool parse_cidr(const char* text, uint32_t* addr, uint32_t* netmask);

// Refuses a network that is already in use by another interface than dev,
// such as the student's own LAN: two routes to 192.168.0.0/24 would send the
// host's traffic for the LAN into our program.  Prints why, naming -a and
// scripts/netns, and returns false.
bool network_is_free(const char* dev, uint32_t addr, uint32_t netmask);

// ---------------------------------------------------------------- the tun device

// -i IFNAME, -a ADDR/PREFIX and --pcap FILE: what every program has.
struct TunOptions
{
  char ifname[IFNAMSIZ] = "tun%d";             // -i: the kernel picks tun0, tun1, ...
  char hostaddr[32] = "192.168.0.1/24";        // -a: our end of the tunnel, as typed
  char addr[INET_ADDRSTRLEN] = "192.168.0.1";  // its address and netmask, as tun_alloc
  char netmask[INET_ADDRSTRLEN] = "255.255.255.0";  // takes them (the article's two)
  const char* pcap = nullptr;                  // --pcap: copy every packet to this file
};

// Adds -i, -a and --pcap.  Once parsed, -a has filled addr and netmask, the
// network has been checked to be free (network_is_free), and the --pcap
// file is open.
void tun_options_add(OptionTable* table, TunOptions* tun);

// What a step with no options of its own calls: -i, -a, --pcap, -h and no
// arguments.  Exits as OptionTable::parse_or_exit does.
void parse_options_or_exit(int argc, char* argv[], const char* about, TunOptions* tun);
