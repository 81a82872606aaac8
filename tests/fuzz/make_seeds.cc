// make_seeds.cc - writes the fuzzers' seed corpora: a few packets built by
// hand (so fuzzing starts past the first checks), plus every packet of the
// pcap files named on the command line.
//
//   make_seeds OUTDIR [FILE.pcap...]
// writes OUTDIR/packet/*       one packet each, for ip_icmp and the steps
//        OUTDIR/connect_one/*  datagrams answering connect_one's SYN
//        OUTDIR/echoall/*      sequences of segments (echoall_fuzzer.cc's format)
// in the input format of fuzz_common.h: a flags byte, then the packet(s).
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <string>
#include <vector>

// Bytes, put16/put32 and the tests' own RFC 1071 checksum; the pcap reader.
#include "tests/support/pcap_file.h"
#include "tests/support/reference.h"

// Flags byte of every seed: recompute IP and ICMP checksums (fuzz_common.h),
// so the mutations of a seed stay past the checksum checks.
static const unsigned char kFixAll = 3;

static std::string outdir;
static int written = 0;

static void mkdir_or_die(const std::string& path)
{
  if (mkdir(path.c_str(), 0755) < 0 && errno != EEXIST)
  {
    fprintf(stderr, "make_seeds: mkdir %s: %s\n", path.c_str(), strerror(errno));
    exit(1);
  }
}

static void write_seed(const std::string& kind, const std::string& name, const Bytes& bytes)
{
  const std::string path = outdir + "/" + kind + "/" + name;
  FILE* f = fopen(path.c_str(), "wb");
  if (!f || fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || fclose(f) != 0)
  {
    fprintf(stderr, "make_seeds: write %s: %s\n", path.c_str(), strerror(errno));
    exit(1);
  }
  ++written;
}

const uint32_t kHost = 0xc0a80001;  // 192.168.0.1, the tunnel's own address
const uint32_t kPeer = 0xc0a80002;  // 192.168.0.2, a host the program plays

// An IPv4 packet with right checksums: ip_options is a multiple of 4 bytes.
static Bytes ip_packet(uint8_t protocol, uint32_t saddr, uint32_t daddr, const Bytes& l4,
                       const Bytes& ip_options = Bytes(), uint16_t frag_off = 0x4000)
{
  const size_t ihl = 20 + ip_options.size();
  Bytes p(ihl + l4.size());
  p[0] = static_cast<unsigned char>(0x40 | (ihl / 4));
  put16(&p[2], static_cast<uint16_t>(p.size()));
  put16(&p[4], 0x1234);
  put16(&p[6], frag_off);  // DF, as Linux sends
  p[8] = 64;
  p[9] = protocol;
  put32(&p[12], saddr);
  put32(&p[16], daddr);
  memcpy(&p[20], ip_options.data(), ip_options.size());
  memcpy(&p[ihl], l4.data(), l4.size());
  ip_fix_checksum(p);
  if (protocol == IPPROTO_TCP)
    tcp_fix_checksum(p);
  return p;
}

static Bytes icmp(uint8_t type, uint8_t code, size_t data_len)
{
  Bytes m(8 + data_len);
  m[0] = type;
  m[1] = code;
  put16(&m[4], 0x4d2);  // id
  put16(&m[6], 1);      // seq
  for (size_t i = 0; i < data_len; ++i)
    m[8 + i] = static_cast<unsigned char>(i);
  put16(&m[2], rfc1071_checksum(m.data(), m.size()));
  return m;
}

enum { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16 };

static Bytes tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                 const Bytes& options = Bytes(), const std::string& data = "")
{
  Bytes s(20 + options.size() + data.size());
  put16(&s[0], sport);
  put16(&s[2], dport);
  put32(&s[4], seq);
  put32(&s[8], ack);
  s[12] = static_cast<unsigned char>((20 + options.size()) / 4 << 4);
  s[13] = flags;
  put16(&s[14], 64240);
  memcpy(&s[20], options.data(), options.size());
  memcpy(&s[20 + options.size()], data.data(), data.size());
  return s;  // the checksum is filled in by ip_packet
}

static Bytes with_flags(const Bytes& packet)
{
  Bytes seed(1, kFixAll);
  seed.insert(seed.end(), packet.begin(), packet.end());
  return seed;
}

// connect_one's format: each datagram after a 2-byte big-endian length.
static Bytes datagrams(const std::vector<Bytes>& packets)
{
  Bytes seed(1, kFixAll);
  for (const Bytes& p : packets)
  {
    seed.push_back(p.size() >> 8);
    seed.push_back(p.size() & 0xff);
    seed.insert(seed.end(), p.begin(), p.end());
  }
  return seed;
}

static void hand_made()
{
  // Linux's SYN options: MSS 1460, SACK permitted, timestamps, NOP, wscale 7.
  const Bytes syn_options = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };
  const Bytes ip_options = { 1, 1, 1, 0 };  // NOP NOP NOP EOL: ihl 6
  std::vector<std::pair<std::string, Bytes>> packets = {
    { "icmp-echo", ip_packet(IPPROTO_ICMP, kHost, kPeer, icmp(8, 0, 56)) },
    { "icmp-echo-odd", ip_packet(IPPROTO_ICMP, kHost, kPeer, icmp(8, 0, 7)) },
    { "icmp-echo-ipopt", ip_packet(IPPROTO_ICMP, kHost, kPeer, icmp(8, 0, 16), ip_options) },
    { "icmp-unreach", ip_packet(IPPROTO_ICMP, kHost, kPeer, icmp(3, 3, 28)) },
    { "tcp-syn", ip_packet(IPPROTO_TCP, kHost, kPeer, tcp(40000, 2000, 1000, 0, SYN, syn_options)) },
    { "tcp-syn-ipopt", ip_packet(IPPROTO_TCP, kHost, kPeer, tcp(40000, 2000, 1000, 0, SYN), ip_options) },
    { "tcp-data", ip_packet(IPPROTO_TCP, kHost, kPeer, tcp(40000, 2000, 1001, 123457, PSH | ACK, {}, "hello\n")) },
    { "tcp-fin", ip_packet(IPPROTO_TCP, kHost, kPeer, tcp(40000, 2000, 1007, 123457, FIN | ACK)) },
    { "tcp-fin-data", ip_packet(IPPROTO_TCP, kHost, kPeer, tcp(40000, 2000, 1007, 123457, FIN | ACK, {}, "bye")) },
    { "tcp-ack", ip_packet(IPPROTO_TCP, kHost, kPeer, tcp(40000, 2000, 1001, 123457, ACK)) },
    { "tcp-rst", ip_packet(IPPROTO_TCP, kHost, kPeer, tcp(40000, 2000, 1001, 0, RST)) },
    { "tcp-synack", ip_packet(IPPROTO_TCP, kHost, kPeer, tcp(2007, 1024, 5000, 123457, SYN | ACK)) },
    { "udp", ip_packet(IPPROTO_UDP, kHost, kPeer, Bytes{ 0x9c, 0x40, 0x07, 0xd0, 0, 12, 0, 0, 'h', 'i', '!', '\n' }) },
    { "fragment", ip_packet(IPPROTO_ICMP, kHost, kPeer, icmp(8, 0, 16), {}, 0x2000) },
  };
  // The kernel's router solicitation on a new interface: IPv6, 48 bytes.
  Bytes ipv6(48);
  ipv6[0] = 0x60;
  put16(&ipv6[4], 8);
  ipv6[6] = 58;  // ICMPv6
  ipv6[7] = 255;
  ipv6[8] = 0xfe;
  ipv6[9] = 0x80;
  ipv6[24] = 0xff;
  ipv6[25] = 0x02;
  ipv6[39] = 2;
  ipv6[40] = 133;  // router solicitation
  packets.push_back({ "ipv6-rs", ipv6 });
  // Bytes past tot_len: the packet stops at tot_len.
  Bytes trailing = ip_packet(IPPROTO_ICMP, kHost, kPeer, icmp(8, 0, 8));
  trailing.insert(trailing.end(), 5, 0xa5);
  packets.push_back({ "icmp-trailing", trailing });

  for (const auto& p : packets)
    write_seed("packet", "hand-" + p.first, with_flags(p.second));

  // connect_one plays 192.168.0.2:1024 -> 192.168.0.1:2007 (see its fuzzer).
  const Bytes synack = ip_packet(IPPROTO_TCP, kHost, kPeer, tcp(2007, 1024, 5000, 123457, SYN | ACK, syn_options));
  const Bytes refused = ip_packet(IPPROTO_TCP, kHost, kPeer, tcp(2007, 1024, 0, 123457, RST | ACK));
  const Bytes wrong_ack = ip_packet(IPPROTO_TCP, kHost, kPeer, tcp(2007, 1024, 5000, 999, SYN | ACK));
  const Bytes other = ip_packet(IPPROTO_TCP, kHost, 0xc0a80003, tcp(2007, 1024, 5000, 123457, SYN | ACK));
  const Bytes data = ip_packet(IPPROTO_TCP, kHost, kPeer, tcp(2007, 1024, 5001, 123457, PSH | ACK, {}, "220 hello\r\n"));
  write_seed("connect_one", "hand-synack", datagrams({ synack }));
  write_seed("connect_one", "hand-refused", datagrams({ refused }));
  write_seed("connect_one", "hand-wrong-ack-then-synack", datagrams({ wrong_ack, synack }));
  write_seed("connect_one", "hand-other-then-synack", datagrams({ other, synack }));
  write_seed("connect_one", "hand-ping-data-synack",
             datagrams({ packets[0].second, data, ipv6, synack }));
  write_seed("connect_one", "hand-silence", datagrams({}));
}

// echoall_fuzzer's format: one record, 14 bytes and a payload.  how bit 0
// adds the client's ISN (1000) to seq, bit 1 the last cookie to ack.
static void record(Bytes& seed, int who, uint8_t flags, uint32_t seq, uint32_t ack,
                   uint16_t window, const std::string& data = "", uint8_t how = 3)
{
  unsigned char r[14];
  r[0] = static_cast<unsigned char>(who);
  r[1] = flags;
  r[2] = how;
  put32(r + 3, seq);
  put32(r + 7, ack);
  put16(r + 11, window);
  r[13] = static_cast<unsigned char>(data.size());
  seed.insert(seed.end(), r, r + sizeof r);
  seed.insert(seed.end(), data.begin(), data.end());
}

// Conversations with echoall: a handshake (SYN, then the ACK handing the
// cookie back), data, acknowledgements, FINs, several connections at once.
static void echoall_seeds()
{
  const uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
  Bytes s(1, 0);  // bounds byte 0: a table of 1
  record(s, 0, SYN, 0, 0, 64240);
  record(s, 0, ACK, 1, 1, 64240);
  record(s, 0, PSH | ACK, 1, 1, 64240, "hello\n");
  record(s, 0, ACK, 7, 7, 64240);
  record(s, 0, FIN | ACK, 7, 7, 64240);
  record(s, 0, ACK, 8, 8, 64240);
  write_seed("echoall", "hand-echo-close", s);

  s = Bytes(1, 3);  // a table of 4: two connections, interleaved, one out of order
  record(s, 0, SYN, 0, 0, 4);
  record(s, 5, SYN, 0, 0, 64240);
  record(s, 5, PSH | ACK, 1, 1, 64240, "early data");
  record(s, 0, ACK, 1, 1, 4);
  record(s, 0, PSH | ACK, 1, 1, 4, "abcdef");
  record(s, 0, PSH | ACK, 7, 1, 4, "gh");
  record(s, 0, ACK, 5, 5, 100);
  record(s, 5, FIN | PSH | ACK, 11, 11, 64240, "bye");
  record(s, 0, RST | ACK, 7, 5, 0);
  write_seed("echoall", "hand-two-window", s);

  s = Bytes(1, 1 | 4);  // a table of 2, idle timeout 0: every handshake resets
  for (int who = 0; who < 4; ++who)
  {
    record(s, who, SYN, 0, 0, 64240);
    record(s, who, ACK, 1, 1, 64240);
    record(s, who, PSH | ACK, 1, 1, 64240, "x");
  }
  write_seed("echoall", "hand-evict", s);

  s = Bytes(1, 0);  // echoes lost before the close: data+FIN, then a bare FIN, sent again
  record(s, 0, SYN, 0, 0, 64240);
  record(s, 0, ACK, 1, 1, 64240);
  record(s, 0, FIN | PSH | ACK, 1, 1, 64240, "bye");
  record(s, 0, FIN | PSH | ACK, 1, 1, 64240, "bye");
  record(s, 0, ACK, 5, 4, 64240);
  record(s, 0, FIN | ACK, 4, 4, 64240);
  record(s, 0, ACK, 5, 5, 64240);
  write_seed("echoall", "hand-fin-again", s);

  s = Bytes(1, 0);  // a wrong cookie, a stray ACK, then a raw SYN with options
  record(s, 1, SYN, 0, 0, 64240);
  record(s, 1, ACK, 1, 2, 64240);
  record(s, 2, ACK, 1, 1, 64240);
  const Bytes syn_options = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };
  const Bytes raw = ip_packet(IPPROTO_TCP, kHost, kPeer, tcp(40000, 7, 1000, 0, SYN, syn_options));
  record(s, 0, 0, 0, 0, 0, std::string(raw.begin(), raw.end()), 0x80);
  write_seed("echoall", "hand-wrong-cookie-raw", s);
}

// Every packet of a capture, whatever link layer it was captured on.
static void from_pcap(const char* path)
{
  PcapFile file;
  try
  {
    file = pcap_read_file(path);
  }
  catch (const std::runtime_error& e)
  {
    fprintf(stderr, "make_seeds: %s (is it a pcap file?)\n", e.what());
    exit(1);
  }
  size_t skip;
  switch (file.linktype)
  {
    case DLT_RAW: case DLT_IPV4: skip = 0; break;  // LINKTYPE_RAW is what --pcap writes
    case DLT_NULL: skip = 4; break;
    case DLT_EN10MB: skip = 14; break;
    case DLT_LINUX_SLL: skip = 16; break;
    default:
      fprintf(stderr, "make_seeds: %s: link type %d not handled, skipped\n", path, file.linktype);
      return;
  }
  std::string base = path;
  base = base.substr(base.rfind('/') + 1);
  base = base.substr(0, base.rfind('.'));
  std::vector<Bytes> all;
  int n = 0;
  for (const PcapRecord& r : file.records)
  {
    if (r.data.size() < skip)
      continue;
    Bytes p(r.data.begin() + skip, r.data.end());
    char name[64];
    snprintf(name, sizeof name, "-%03d", n++);
    write_seed("packet", base + name, with_flags(p));
    write_seed("connect_one", base + name, datagrams({ p }));
    if (all.size() < 8)
      all.push_back(p);
  }
  write_seed("connect_one", base + "-first8", datagrams(all));
}

int main(int argc, char* argv[])
{
  if (argc < 2)
  {
    fprintf(stderr, "usage: make_seeds OUTDIR [FILE.pcap...]\n");
    return 2;
  }
  outdir = argv[1];
  mkdir_or_die(outdir);
  mkdir_or_die(outdir + "/packet");
  mkdir_or_die(outdir + "/connect_one");
  mkdir_or_die(outdir + "/echoall");
  hand_made();
  echoall_seeds();
  for (int i = 2; i < argc; ++i)
    from_pcap(argv[i]);
  printf("make_seeds: %d seeds in %s from %d pcap file(s)\n", written, outdir.c_str(), argc - 2);
  return 0;
}
