// tooling/options.cc - see options.h.
#include "tooling/options.h"

#include "faketcp.h"        // parse_cidr
#include "tooling/tunio.h"  // pcap_open

#include <errno.h>  // program_invocation_short_name
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage_exit(const char* usage, const ExtraOptions* extra, int status)
{
  FILE* out = status == 0 ? stdout : stderr;
  fputs(usage, out);
  if (extra && extra->help)
    fputs(extra->help, out);
  fputs("options / 选项:\n"
        "  -i IFNAME        tunnel device name (default tun%d: tun0, tun1, ...)\n"
        "  -a ADDR/PREFIX   our address on the tunnel (default 192.168.0.1/24);\n"
        "                   pick another if your LAN is 192.168.0.0/24, e.g. -a 10.0.0.1/24\n"
        "  --pcap FILE      also write every packet read and written to FILE (Wireshark)\n"
        "  -h, --help       show this help\n",
        out);
  exit(status);
}

int parse_options_or_exit(int argc, char* argv[], const char* usage, int nargs,
                          Options* opt, const ExtraOptions* extra)
{
  // The shared long options, then the step's own.
  struct option longopts[16] = {
    { "help", no_argument, nullptr, 'h' },
    { "pcap", required_argument, nullptr, 'P' },
  };
  int n = 2;
  for (const struct option* o = extra ? extra->longopts : nullptr; o && o->name && n < 15; ++o)
    longopts[n++] = *o;
  char shortopts[32] = "hi:a:";
  if (extra)
    strncat(shortopts, extra->shortopts, sizeof shortopts - strlen(shortopts) - 1);

  int c;
  while ((c = getopt_long(argc, argv, shortopts, longopts, nullptr)) != -1)
  {
    uint32_t addr, netmask;
    switch (c)
    {
      case 'h':
        usage_exit(usage, extra, 0);
        break;
      case 'i':
        if (strlen(optarg) >= IFNAMSIZ || strchr(optarg, '/'))
        {
          fprintf(stderr, "%s: -i %s: a device name has at most %d characters and no '/'\n",
                  program_invocation_short_name, optarg, IFNAMSIZ - 1);
          usage_exit(usage, extra, 2);
        }
        snprintf(opt->ifname, sizeof opt->ifname, "%s", optarg);
        break;
      case 'a':
        if (strlen(optarg) >= sizeof opt->hostaddr || !parse_cidr(optarg, &addr, &netmask))
        {
          fprintf(stderr, "%s: -a %s: expected ADDR/PREFIX with a prefix of 8..30, e.g. 10.0.0.1/24\n",
                  program_invocation_short_name, optarg);
          usage_exit(usage, extra, 2);
        }
        snprintf(opt->hostaddr, sizeof opt->hostaddr, "%s", optarg);
        break;
      case 'P':
        opt->pcap = optarg;
        break;
      case '?':  // getopt_long has said what it did not understand
        usage_exit(usage, extra, 2);
        break;
      default:  // one of the step's own
        if (!extra || !extra->take(c, optarg))
          usage_exit(usage, extra, 2);
    }
  }
  if (argc - optind != nargs)
  {
    fprintf(stderr, "%s: expected %d argument%s, got %d\n", program_invocation_short_name,
            nargs, nargs == 1 ? "" : "s", argc - optind);
    usage_exit(usage, extra, 2);
  }
  if (opt->pcap && !pcap_open(opt->pcap))
    exit(1);
  return optind;
}
