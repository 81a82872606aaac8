// tooling/cmdline.cc - see cmdline.h.
#include "tooling/cmdline.h"

#include "tooling/tunio.h"  // pcap_open

#include <errno.h>  // program_invocation_short_name
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <string>

// ---------------------------------------------------------------- numbers and addresses

bool parse_number(const char* text, long min, long max, bool suffixes, long* value)
{
  const char* p = text;
  const bool negative = *p == '-';
  if (negative)
    ++p;
  if (*p < '0' || *p > '9')
    return false;  // strtol would also take " 5", "+5" and "0x5"
  errno = 0;
  char* end = nullptr;
  long v = strtol(text, &end, 10);
  if (errno != 0)
    return false;
  long unit = 1;
  if (suffixes && (*end == 'K' || *end == 'k'))
    unit = 1024;
  else if (suffixes && (*end == 'M' || *end == 'm'))
    unit = 1024 * 1024;
  if (unit > 1)
    ++end;
  if (*end != '\0' || v > LONG_MAX / unit || v < LONG_MIN / unit)
    return false;
  v *= unit;
  if (v < min || v > max)
    return false;
  *value = v;
  return true;
}

bool parse_cidr(const char* text, uint32_t* addr, uint32_t* netmask)
{
  char ip[INET_ADDRSTRLEN];
  const char* slash = strchr(text, '/');
  if (!slash || slash - text >= INET_ADDRSTRLEN)
    return false;
  memcpy(ip, text, slash - text);
  ip[slash - text] = '\0';
  // One or two digits and nothing else (strtol would also take "+24", " 24").
  const size_t ndigits = strspn(slash + 1, "0123456789");
  const int prefix = atoi(slash + 1);
  if (ndigits < 1 || ndigits > 2 || slash[1 + ndigits] != '\0' || prefix < 8 || prefix > 30)
    return false;
  if (inet_pton(AF_INET, ip, addr) != 1)
    return false;
  *netmask = htonl(~0u << (32 - prefix));
  // The host part is neither the network (all zeros) nor broadcast (all ones).
  const uint32_t host = ntohl(*addr) & ~ntohl(*netmask);
  return host != 0 && host != (~ntohl(*netmask));
}

bool network_is_free(const char* dev, uint32_t addr, uint32_t netmask)
{
  struct ifaddrs* list = nullptr;
  if (getifaddrs(&list) < 0)
    return true;  // cannot tell; the kernel will still keep both routes sane
  bool is_free = true;
  for (struct ifaddrs* ifa = list; ifa && is_free; ifa = ifa->ifa_next)
  {
    if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET || !ifa->ifa_netmask
        || strcmp(ifa->ifa_name, dev) == 0)
      continue;
    uint32_t other, other_mask;
    memcpy(&other, &reinterpret_cast<const struct sockaddr_in*>(ifa->ifa_addr)->sin_addr, 4);
    memcpy(&other_mask, &reinterpret_cast<const struct sockaddr_in*>(ifa->ifa_netmask)->sin_addr, 4);
    // Two networks overlap when either one contains the other's address.
    if ((other & netmask) == (addr & netmask) || (other & other_mask) == (addr & other_mask))
    {
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &other, text, sizeof text);
      fprintf(stderr, "%s: %s already has %s, in the network we would take; "
              "choose another with -a (e.g. -a 10.0.0.1/24), or run inside a private "
              "namespace: scripts/netns ./%s\n",
              program_invocation_short_name, ifa->ifa_name, text, program_invocation_short_name);
      is_free = false;
    }
  }
  freeifaddrs(list);
  return is_free;
}

// ---------------------------------------------------------------- help

// "-w N", "--syn-rto MS", "-c, --max-connections N": how a row is written.
static std::string row_spelling(const OptionRow& row, bool both)
{
  std::string s;
  if (row.letter)
    s = std::string("-") + row.letter;
  if (row.name && (both || !row.letter))
    s += std::string(s.empty() ? "" : ", ") + "--" + row.name;
  if (row.metavar)
    s += std::string(" ") + row.metavar;
  return s;
}

void OptionTable::usage_print(FILE* out) const
{
  std::string line = std::string("usage: ") + program_;
  const size_t indent = line.size() + 1;
  std::vector<std::string> words;
  for (const OptionRow& row : rows_)
    words.push_back("[" + row_spelling(row, false) + "]");
  for (const ArgumentRow& arg : args_)
    words.push_back(arg.metavar);
  for (const std::string& word : words)
  {
    if (line.size() + 1 + word.size() > 80)
    {
      fprintf(out, "%s\n", line.c_str());
      line = std::string(indent - 1, ' ');
    }
    line += " " + word;
  }
  fprintf(out, "%s\n", line.c_str());
}

// Prints text's lines, each after `first` (the first line) or as many
// spaces (the others).
static void lines_print(FILE* out, const std::string& first, const char* text)
{
  const std::string pad(first.size(), ' ');
  bool is_first = true;
  for (const char* p = text; *p;)
  {
    const char* nl = strchr(p, '\n');
    const size_t n = nl ? static_cast<size_t>(nl - p) : strlen(p);
    fprintf(out, "%s%.*s\n", (is_first ? first : pad).c_str(), static_cast<int>(n), p);
    is_first = false;
    p += n + (nl ? 1 : 0);
  }
}

void OptionTable::help_print(FILE* out) const
{
  usage_print(out);
  fputs(about_, out);
  fputs("options / 选项:\n", out);
  for (const OptionRow& row : rows_)
  {
    std::string spelling = "  " + row_spelling(row, true);
    spelling += spelling.size() < 20 ? std::string(20 - spelling.size(), ' ') : "  ";
    if (spelling.size() > 20)
    {
      fprintf(out, "%s\n", spelling.c_str());
      spelling = std::string(20, ' ');
    }
    lines_print(out, spelling, row.help);
    if (row.help_zh)
      lines_print(out, std::string(20, ' '), row.help_zh);
  }
  fputs("  -h, --help        show this help   显示本帮助\n", out);
}

// ---------------------------------------------------------------- parsing

[[noreturn]] static void usage_exit(const OptionTable& table)
{
  table.usage_print(stderr);
  fputs("(-h tells every option / -h 列出全部选项)\n", stderr);
  exit(2);
}

// "-w", "--syn-rto", "PORT": the row as its message names it (an option
// with both a letter and a name by its letter).
static std::string row_name(const OptionRow& row)
{
  if (row.letter)
    return std::string("-") + row.letter;
  return row.name ? std::string("--") + row.name : std::string(row.metavar);
}

// "expected a segment size in bytes, 64..65535 (e.g. 1460)"
static void expected_print(const char* who, const char* text, const char* what, long min,
                           long max, const char* example)
{
  fprintf(stderr, "%s: %s %s: expected %s, %ld..%ld%s%s%s\n", program_invocation_short_name,
          who, text, what, min, max, example ? " (e.g. " : "", example ? example : "",
          example ? ")" : "");
}

// "int", "cidr": a type as the FAKETCP_OPTION_ROWS listing names it.
static const char* type_name(OptionType type)
{
  switch (type)
  {
    case OptionType::kFlag: return "flag";
    case OptionType::kInt: return "int";
    case OptionType::kLong: return "long";
    case OptionType::kSize: return "size";
    case OptionType::kText: return "text";
    case OptionType::kTextList: return "textlist";
    case OptionType::kIpv4: return "ipv4";
    case OptionType::kIfname: return "ifname";
    case OptionType::kCidr: return "cidr";
    case OptionType::kCapture: return "capture";
  }
  return "?";
}

// The FAKETCP_OPTION_ROWS listing (cmdline.h): every row, then every argument.
static void rows_print(const std::vector<OptionRow>& rows, const std::vector<ArgumentRow>& args)
{
  for (const OptionRow& row : rows)
  {
    std::string spellings;
    if (row.letter)
      spellings = std::string("-") + row.letter;
    if (row.name)
      spellings += std::string(spellings.empty() ? "" : ",") + "--" + row.name;
    printf("option\t%s\t%s\t%s\t%ld\t%ld\n", row_name(row).c_str(), spellings.c_str(),
           type_name(row.type), row.min, row.max);
  }
  for (const ArgumentRow& arg : args)
    printf("argument\t%s\t%s\t%s\t%ld\t%ld\n", arg.metavar, arg.metavar, type_name(arg.type),
           arg.min, arg.max);
}

// Takes one value into its place; false after printing what is wrong.
static bool take(const OptionRow& row, const char* text)
{
  const std::string who = row_name(row);
  long v = 0;
  switch (row.type)
  {
    case OptionType::kFlag:
      *static_cast<bool*>(row.value) = true;
      return true;
    case OptionType::kInt:
    case OptionType::kLong:
    case OptionType::kSize:
      if (!parse_number(text, row.min, row.max, row.type == OptionType::kSize, &v))
      {
        expected_print(who.c_str(), text, row.what, row.min, row.max, row.example);
        return false;
      }
      if (row.type == OptionType::kInt)
        *static_cast<int*>(row.value) = static_cast<int>(v);
      else
        *static_cast<long*>(row.value) = v;
      return true;
    case OptionType::kTextList:
      static_cast<std::vector<const char*>*>(row.value)->push_back(text);
      return true;
    case OptionType::kText:
    case OptionType::kCapture:
      *static_cast<const char**>(row.value) = text;
      return true;
    case OptionType::kIpv4:
    {
      struct in_addr a;
      if (inet_pton(AF_INET, text, &a) != 1)
      {
        fprintf(stderr, "%s: %s %s: expected an IPv4 address such as 192.168.0.1\n",
                program_invocation_short_name, who.c_str(), text);
        return false;
      }
      *static_cast<const char**>(row.value) = text;
      return true;
    }
    case OptionType::kIfname:
      if (strlen(text) >= IFNAMSIZ || strchr(text, '/') || *text == '\0')
      {
        fprintf(stderr, "%s: %s %s: a device name has at most %d characters and no '/'\n",
                program_invocation_short_name, who.c_str(), text, IFNAMSIZ - 1);
        return false;
      }
      snprintf(static_cast<char*>(row.value), IFNAMSIZ, "%s", text);
      return true;
    case OptionType::kCidr:
    {
      TunOptions* tun = static_cast<TunOptions*>(row.value);
      uint32_t addr, netmask;
      if (strlen(text) >= sizeof tun->hostaddr || !parse_cidr(text, &addr, &netmask))
      {
        fprintf(stderr, "%s: %s %s: expected ADDR/PREFIX with a prefix of 8..30, e.g. 10.0.0.1/24\n",
                program_invocation_short_name, who.c_str(), text);
        return false;
      }
      snprintf(tun->hostaddr, sizeof tun->hostaddr, "%s", text);
      inet_ntop(AF_INET, &addr, tun->addr, sizeof tun->addr);
      inet_ntop(AF_INET, &netmask, tun->netmask, sizeof tun->netmask);
      return true;
    }
  }
  return false;
}

void OptionTable::parse_or_exit(int argc, char* argv[])
{
  // getopt_long's tables, made from the rows: as long as the rows, so
  // nothing is cut off.  Each row's getopt code is 256 + its index.
  std::vector<struct option> longopts;
  std::string shortopts = "+h";  // '+': options before the arguments, as POSIX says
  longopts.push_back({ "help", no_argument, nullptr, 'h' });
  for (size_t i = 0; i < rows_.size(); ++i)
  {
    const OptionRow& row = rows_[i];
    for (size_t j = 0; j < i; ++j)
      if ((row.letter && row.letter == rows_[j].letter) ||
          (row.name && rows_[j].name && strcmp(row.name, rows_[j].name) == 0))
      {
        fprintf(stderr, "%s: two options are spelled %s (a mistake in the program)\n",
                program_invocation_short_name, row_name(row).c_str());
        exit(70);  // EX_SOFTWARE
      }
    if (row.letter)
      shortopts += std::string(1, row.letter) + (row.metavar ? ":" : "");
    if (row.name)
      longopts.push_back({ row.name, row.metavar ? required_argument : no_argument, nullptr,
                           static_cast<int>(256 + i) });
  }
  longopts.push_back({ nullptr, 0, nullptr, 0 });
  const char* listing = getenv("FAKETCP_OPTION_ROWS");
  if (listing && strcmp(listing, "1") == 0)
  {
    rows_print(rows_, args_);
    exit(0);
  }

  const char* slash = argc > 0 ? strrchr(argv[0], '/') : nullptr;
  program_ = argc > 0 ? (slash ? slash + 1 : argv[0]) : program_invocation_short_name;
  optind = 0;  // a fresh scan, also when a test parses twice in one process
  opterr = 1;  // getopt_long says what it did not understand
  int c;
  while ((c = getopt_long(argc, argv, shortopts.c_str(), longopts.data(), nullptr)) != -1)
  {
    if (c == 'h')
    {
      help_print(stdout);
      exit(0);
    }
    // '?': getopt_long has said what it did not understand; no row has it.
    const OptionRow* row = nullptr;
    if (c >= 256)
      row = &rows_[c - 256];
    else
      for (const OptionRow& r : rows_)
        if (r.letter == c)
          row = &r;
    if (!row || !take(*row, optarg))
      usage_exit(*this);
  }

  const int nargs = argc - optind;
  if (nargs != static_cast<int>(args_.size()))
  {
    fprintf(stderr, "%s: expected %zu argument%s, got %d\n", program_invocation_short_name,
            args_.size(), args_.size() == 1 ? "" : "s", nargs);
    usage_exit(*this);
  }
  for (size_t i = 0; i < args_.size(); ++i)
  {
    const ArgumentRow& arg = args_[i];
    const char* text = argv[optind + i];
    const OptionRow as_row = { 0, nullptr, arg.metavar, arg.type, arg.min, arg.max,
                               arg.what, arg.example, arg.value, "", nullptr };
    if (arg.type == OptionType::kIpv4 || arg.type == OptionType::kText)
    {
      if (!take(as_row, text))
        usage_exit(*this);
      continue;
    }
    long v = 0;
    if (!parse_number(text, arg.min, arg.max, false, &v))
    {
      fprintf(stderr, "%s: %s %s: expected %s %ld..%ld\n", program_invocation_short_name,
              arg.metavar, text, arg.what, arg.min, arg.max);
      usage_exit(*this);
    }
    if (arg.type == OptionType::kInt)
      *static_cast<int*>(arg.value) = static_cast<int>(v);
    else
      *static_cast<long*>(arg.value) = v;
  }

  // What the tun group needs once everything is read: the network checked
  // (with -i's name, which may be given after -a), the capture file open.
  for (const OptionRow& row : rows_)
  {
    if (row.type == OptionType::kCidr)
    {
      const TunOptions* tun = static_cast<const TunOptions*>(row.value);
      uint32_t addr, netmask;
      inet_pton(AF_INET, tun->addr, &addr);
      inet_pton(AF_INET, tun->netmask, &netmask);
      if (!network_is_free(tun->ifname, addr, netmask))
        exit(1);
    }
    if (row.type == OptionType::kCapture)
    {
      const char* path = *static_cast<const char* const*>(row.value);
      if (path && !pcap_open(path))
        exit(1);
    }
  }
}

// ---------------------------------------------------------------- the tun device

void tun_options_add(OptionTable* table, TunOptions* tun)
{
  table->add({ 'i', nullptr, "IFNAME", OptionType::kIfname, 0, 0, nullptr, nullptr, tun->ifname,
               "tunnel device name (default tun%d: tun0, tun1, ...)",
               "隧道设备名（默认 tun%d：内核依次选 tun0、tun1……）" });
  table->add({ 'a', nullptr, "ADDR/PREFIX", OptionType::kCidr, 0, 0, nullptr, nullptr, tun,
               "our address on the tunnel (default 192.168.0.1/24);\n"
               "pick another if your LAN is 192.168.0.0/24, e.g. -a 10.0.0.1/24",
               "我们在隧道上的地址（默认 192.168.0.1/24）；若局域网已占用，另选一个" });
  table->add({ 0, "pcap", "FILE", OptionType::kCapture, 0, 0, nullptr, nullptr, &tun->pcap,
               "also write every packet read and written to FILE (Wireshark)",
               "把读写的每个包另存到 FILE（可用 Wireshark 打开）" });
}

void parse_options_or_exit(int argc, char* argv[], const char* about, TunOptions* tun)
{
  OptionTable table(about);
  tun_options_add(&table, tun);
  table.parse_or_exit(argc, argv);
}
