// connect_one_fuzzer.cc - connectmany's connect_one against fuzzed answers.
//
// connect_one writes a SYN to its fd, then reads packets until the server's
// SYN+ACK or RST, or until its last wait runs out (it sends the SYN again
// after 1 s here, then 2 s, ...).  Here its fd is one end of a datagram
// socketpair whose other end already holds the fuzzed datagrams (see
// fuzz_common.h for the format), followed by a sentinel RST that ends the
// handshake, so it never waits for a timeout to pass.  Every packet it
// wrote, SYN included, is then read back and checked.
#include "tests/fuzz/fuzz_common.h"

#include <arpa/inet.h>
#include <vector>

// Lives in connectmany.cc, beside its main().
bool connect_one(int fd, uint32_t daddr, uint16_t dport, uint32_t saddr, uint16_t sport,
                 int rto_ms);

static fuzz::Tun tun;

// The handshake the fuzzer answers: 192.168.0.2:1024 -> 192.168.0.1:2007,
// as `connectmany 192.168.0.1 2007 N` begins.
static const uint32_t kServer = htonl(0xc0a80001);
static const uint32_t kClient = htonl(0xc0a80002);
static const uint16_t kServerPort = htons(2007);
static const uint16_t kClientPort = htons(1024);

// At most this many datagrams an input.  A socketpair queues at most
// net.unix.max_dgram_qlen (10) datagrams before a write blocks: the SYN plus
// one reply per datagram must fit.
static const int kMaxDatagrams = 8;

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
  fuzz::silence_stdout();
  tun = fuzz::tun_pair();
  return 0;
}

// The server's RST+ACK for our SYN: connect_one returns false on it.
static void send_sentinel()
{
  unsigned char p[40] = {};
  p[0] = 0x45;
  put16(p + 2, sizeof p);
  p[8] = 64;
  p[9] = IPPROTO_TCP;
  memcpy(p + 12, &kServer, 4);
  memcpy(p + 16, &kClient, 4);
  ip_fix_checksum(p, sizeof p);
  memcpy(p + 20, &kServerPort, 2);
  memcpy(p + 22, &kClientPort, 2);
  p[32] = 5 << 4;  // doff 5
  p[33] = 0x14;    // RST+ACK; seq, ack and checksum do not matter to connect_one
  if (write(tun.peer, p, sizeof p) != sizeof p)
    fuzz::die("write sentinel");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  if (size < 1)
    return -1;
  const uint8_t flags = data[0];
  size_t at = 1;
  int count = 0;
  while (at < size && count < kMaxDatagrams)
  {
    size_t len = size - at;
    if (len >= 2)
    {
      const size_t want = (data[at] << 8) | data[at + 1];
      at += 2;
      len = want < size - at ? want : size - at;
    }
    else
    {
      at = size;  // one stray byte: no room for a length, so no datagram
      break;
    }
    std::vector<unsigned char> packet(data + at, data + at + len);
    at += len;
    fuzz::fix_checksums(packet.data(), packet.size(), flags);
    // An empty vector's data() may be null; write() of 0 bytes is fine anyway.
    if (write(tun.peer, packet.data(), packet.size()) != static_cast<ssize_t>(packet.size()))
      fuzz::die("write datagram");
    ++count;
  }
  send_sentinel();

  connect_one(tun.prog, kServer, kServerPort, kClient, kClientPort, 1000);  // ends at the sentinel

  // connect_one may return before reading everything (a SYN+ACK that
  // completes the handshake): what it left is not its business.
  fuzz::drain_prog(tun);
  const int written = fuzz::drain_and_check(tun);
  // The SYN, then at most one answer to each datagram it read.
  if (written < 1 || written > 1 + count)
  {
    fprintf(stderr, "fuzz: connect_one wrote %d packets for %d datagrams\n", written, count);
    abort();
  }
  return 0;
}
