// echoall_fuzzer.cc - echoall's tcp_input fed a sequence of segments, its
// connection table kept from one segment to the next: echoall is the one
// step with state, and the state is what a single packet cannot reach.
// Built twice: for echoall.cc (step 6), and with -DFUZZ_ECHOALL_HARDENED
// for echoall_hardened.cc (SYN cookies, the table's bounds, window scaling).
// Built a third time with -DFUZZ_DISCARDALL2 for discardall2.cc, whose table
// of 4096 is echoall's: byte 0 then gives its --drop rule, N 1 + bits 0-2,
// K 1 + bits 3-4 (bit 5 clear: no rule), and bit 6 --zero-window
// BYTES,MS (BYTES 1 + 300 x bits 0-2, MS 1 or 10 by bit 7), on a clock that
// each record moves by bits 4-6 of its `how` in ms.
//
// Input format (its own, not fuzz_common.h's single packet):
//   byte 0      echoall_hardened: the table's bounds, -c 1 + (bits 0-1), so
//               the fuzzer fills the table and makes it evict; bit 2 sets
//               -t 0, so every handshake resets the idle.  echoall: unused;
//               its table of 4096 is filled at start but for kRoom entries,
//               so that the 8 connections below find it full.
//   then records, each 14 bytes and a payload, until the input ends:
//     [0]       who: bits 0-1 the client's port (40000 + n), bit 2 the server
//               (192.168.0.3 instead of .2): 8 connections to play with
//     [1]       the TCP flags byte (FIN 01, SYN 02, RST 04, PSH 08, ACK 10 ...)
//     [2]       how: bit 0 adds the client's ISN (1000) to seq, bit 1 adds
//               the seq of the last SYN+ACK echoall sent `who` to ack, so a
//               small number is a plausible segment (echoall_hardened's ISN
//               is a cookie the fuzzer could never guess); bit 7 makes the
//               payload a whole raw IPv4 packet instead, its checksums fixed,
//               fed through ip_check as the main loop does
//     [3..6]    seq, big-endian          [7..10]  ack, big-endian
//     [11..12]  window, big-endian       [13]     payload length n (0..255)
//     then n payload bytes (fewer if the input ends first)
//
// After each segment: every packet echoall wrote is well-formed (fuzz_common.h),
// at most one answer plus one RST per connection it dropped, and (hardened)
// the table never holds more than -c.  At the end a RST from each of the 8
// connections must leave no entry of theirs (hardened: an empty table): an
// entry nobody can name would be state that only grows.
#include "tests/fuzz/fuzz_common.h"

#include <arpa/inet.h>
#include <map>
#include <vector>

// The program's tcp_input, beside its main().
void tcp_input(int fd, const void* input, const void* payload, int tot_len);
#ifdef FUZZ_ECHOALL_HARDENED
#include "tooling/echo_bounds.h"
// echoall_hardened.cc's table, and its bounds to set as -c and -t would.
size_t tcp_connections();
EchoBounds* echoall_bounds();
#endif

static fuzz::Tun tun;

static const uint32_t kClient = htonl(0xc0a80001);  // 192.168.0.1, the tunnel's address
static const uint32_t kClientIsn = 1000;
static const int kWho = 8;

// The seq of the last SYN+ACK echoall sent to each `who` (0 before any).
static uint32_t cookie_of[kWho];

static uint32_t server_of(int who)
{
  return htonl(0xc0a80002 + ((who >> 2) & 1));  // 192.168.0.2 or .3
}

static uint16_t port_of(int who)
{
  return htons(static_cast<uint16_t>(40000 + (who & 3)));
}

// One segment from `who`, built right: IP header, TCP header, payload, both
// checksums.
static std::vector<unsigned char> segment(int who, uint8_t flags, uint32_t seq, uint32_t ack,
                                          uint16_t window, const uint8_t* data, size_t len)
{
  std::vector<unsigned char> p(40 + len);
  p[0] = 0x45;
  put16(&p[2], static_cast<uint16_t>(p.size()));
  put16(&p[6], 0x4000);  // DF
  p[8] = 64;
  p[9] = IPPROTO_TCP;
  const uint32_t server = server_of(who);
  const uint16_t port = port_of(who);
  memcpy(&p[12], &kClient, 4);
  memcpy(&p[16], &server, 4);
  memcpy(&p[20], &port, 2);
  put16(&p[22], 7);
  put32(&p[24], seq);
  put32(&p[28], ack);
  p[32] = 5 << 4;
  p[33] = flags;
  put16(&p[34], window);
  std::copy(data, data + len, p.begin() + 40);
  ip_fix_checksum(p.data(), p.size());
  tcp_fix_checksum(p.data(), p.size());
  return p;
}

// What the main loop does with one read(): ip_input (ip_check, then
// icmp_input or tcp_input by protocol).  p's data is aligned as new[] aligns.
static void feed(std::vector<unsigned char>& p)
{
  ip_input(tun.prog, p.data(), static_cast<int>(p.size()), tcp_input);
}

// Reads back what echoall wrote: checks each packet, remembers each SYN+ACK's
// seq by who it went to, and returns how many there were.
static int drain()
{
  static unsigned char buf[IP_MAXPACKET + 1];
  int count = 0;
  for (;;)
  {
    const ssize_t n = read(tun.peer, buf, sizeof buf);
    if (n < 0 && errno == EAGAIN)
      return count;
    if (n < 0)
      fuzz::die("read back");
    fuzz::check_reply(buf, n);
    ++count;
    if (buf[9] == IPPROTO_TCP && (buf[33] & 0x12) == 0x12)  // SYN+ACK
    {
      for (int who = 0; who < kWho; ++who)
      {
        const uint32_t server = server_of(who);
        const uint16_t port = port_of(who);
        if (memcmp(&buf[12], &server, 4) == 0 && memcmp(&buf[22], &port, 2) == 0)
          cookie_of[who] = get32(&buf[24]);
      }
    }
  }
}

// A raw packet names any connection, and echoall's SYN makes an entry: so
// that only the 8 connections keep state from one input to the next (else
// a long run would fill the table for good), each raw TCP packet is
// followed by a RST of its four numbers.
static void forget(const std::vector<unsigned char>& raw)
{
  const size_t ihl = ip_header_len(raw.data(), raw.size());
  if (!ihl || raw[9] != IPPROTO_TCP || raw.size() < ihl + 20)
    return;
  std::vector<unsigned char> rst = segment(0, 0x04, 0, 0, 0, nullptr, 0);
  memcpy(&rst[12], &raw[12], 8);    // its addresses
  memcpy(&rst[20], &raw[ihl], 4);   // its ports
  ip_fix_checksum(rst.data(), rst.size());
  tcp_fix_checksum(rst.data(), rst.size());
  feed(rst);
  drain();
}

#ifndef FUZZ_ECHOALL_HARDENED
// echoall's table holds 4096 (-c); all but kRoom of them are taken at start
// by SYNs from ports no record names (a raw packet's RST may free one), so
// that a SYN of the 8 connections can find the table full.
static const int kRoom = 3;
static void fill_table()
{
  for (int i = 0; i < 4096 - kRoom; ++i)
  {
    std::vector<unsigned char> syn = segment(0, 0x02, kClientIsn, 0, 64240, nullptr, 0);
    put16(&syn[20], static_cast<uint16_t>(10000 + i));  // from port 10000 + i
    tcp_fix_checksum(syn.data(), syn.size());
    feed(syn);
    drain();  // each SYN+ACK, or the socket's buffer fills and the next write blocks
  }
}
#endif

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
  fuzz::silence_stdout();
  tun = fuzz::tun_pair();
#ifndef FUZZ_ECHOALL_HARDENED
  fill_table();
#endif
  return 0;
}

#ifdef FUZZ_ECHOALL_HARDENED
static size_t connections() { return tcp_connections(); }
static void check_table(const char* when)
{
  if (tcp_connections() > static_cast<size_t>(echoall_bounds()->max_connections))
  {
    fprintf(stderr, "fuzz: %s: %zu connections in a table of %ld\n", when, tcp_connections(),
            echoall_bounds()->max_connections);
    abort();
  }
}
#else
static size_t connections() { return 0; }  // the step shows its table to nobody
static void check_table(const char*) {}
#endif

#ifdef FUZZ_DISCARDALL2
#include "tooling/delay.h"
#include "tooling/loss.h"
#include "tooling/zero_window.h"
extern LossOptions loss;  // discardall2.cc's --drop
extern ZeroWindowOptions zero;  // and its --zero-window
static int64_t fake_ms = 0;
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  if (size < 1)
    return -1;
#ifdef FUZZ_DISCARDALL2
  loss.drops.clear();
  if (data[0] & 0x20)
    loss.drops.push_back({ 1 + (data[0] & 7), 1 + ((data[0] >> 3) & 3) });
  zero.bytes = (data[0] & 0x40) ? 1 + 300 * (data[0] & 7) : 0;
  zero.ms = (data[0] & 0x80) ? 10 : 1;
  clock_fake(fake_ms);
#endif
#ifdef FUZZ_ECHOALL_HARDENED
  echoall_bounds()->max_connections = 1 + (data[0] & 3);
  echoall_bounds()->idle_timeout_s = (data[0] & 4) ? 0 : 300;
#endif
  memset(cookie_of, 0, sizeof cookie_of);

  size_t at = 1;
  while (at + 14 <= size)
  {
    const uint8_t* r = data + at;
    const int who = r[0] & 7;
    const uint8_t flags = r[1], how = r[2];
    uint32_t seq = get32(r + 3), ack = get32(r + 7);
    const uint16_t window = get16(r + 11);
    size_t len = r[13];
    at += 14;
    if (len > size - at)
      len = size - at;
    const uint8_t* payload = data + at;
    at += len;

    std::vector<unsigned char> p;
    if (how & 0x80)
    {
      p.assign(payload, payload + len);  // a raw packet, its checksums fixed
      fuzz::fix_checksums(p.data(), p.size(), fuzz::kFixIpChecksum);
      if (ip_header_len(p.data(), p.size()) && p[9] == IPPROTO_TCP)
        tcp_fix_checksum(p.data(), p.size());
    }
    else
    {
      if (how & 1)
        seq += kClientIsn;
      if (how & 2)
        ack += cookie_of[who];
      p = segment(who, flags, seq, ack, window, payload, len);
    }
    const size_t before = connections();
#ifdef FUZZ_DISCARDALL2
    fake_ms += (how >> 4) & 7;
    clock_fake(fake_ms);
#endif
    feed(p);
    const int written = drain();
    // One answer, and a RST to each connection dropped to make room.
    const size_t dropped = before + 1 > connections() ? before + 1 - connections() : 0;
    if (written > 1 + static_cast<int>(dropped))
    {
      fprintf(stderr, "fuzz: %d packets written for one segment, %zu connections dropped\n",
              written, dropped);
      abort();
    }
    if (how & 0x80)
      forget(p);
    check_table("after a segment");
  }

#ifdef FUZZ_DISCARDALL2
  // Every window opens again: the held window updates go out.
  fake_ms += 1000;
  clock_fake(fake_ms);
  delay_release(tun.prog);
  drain();
#endif
  // A RST from each connection: the table must be empty after.
  for (int who = 0; who < kWho; ++who)
  {
    std::vector<unsigned char> rst = segment(who, 0x04, 0, 0, 0, nullptr, 0);
    feed(rst);
  }
  if (drain() != 0)
  {
    fprintf(stderr, "fuzz: a RST was answered\n");
    abort();
  }
#ifdef FUZZ_ECHOALL_HARDENED
  if (tcp_connections() != 0)
  {
    fprintf(stderr, "fuzz: %zu connections left that no RST of ours could name\n",
            tcp_connections());
    abort();
  }
#else
  // No entry is left for any of them: a bare ACK of each is answered with a
  // RST, as a segment of no connection is.
  for (int who = 0; who < kWho; ++who)
  {
#ifdef FUZZ_DISCARDALL2
    // discardall2 answers a bare ACK of no connection with nothing, and data
    // of no connection with a RST; no --drop may eat the probe.
    loss.drops.clear();
    static const unsigned char one = 'x';
    std::vector<unsigned char> probe = segment(who, 0x10, 0, 0, 0, &one, 1);
#else
    std::vector<unsigned char> probe = segment(who, 0x10, 0, 0, 0, nullptr, 0);
#endif
    feed(probe);
    static unsigned char buf[IP_MAXPACKET + 1];
    const ssize_t n = read(tun.peer, buf, sizeof buf);
    if (n < 40 || (buf[33] & 0x04) == 0 || drain() != 0)
    {
      fprintf(stderr, "fuzz: connection %d still has an entry after its RST\n", who);
      abort();
    }
  }
#endif
  return 0;
}
