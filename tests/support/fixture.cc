// tests/support/fixture.cc - see fixture.h.
#include "tests/support/fixture.h"

#include "tests/support/packet_diff.h"
#include "tests/support/pcap_file.h"

#include <errno.h>
#include <stdexcept>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <catch2/catch.hpp>

std::vector<Bytes> read_pcap_file(const std::string& path)
{
  PcapFile file;
  try
  {
    file = pcap_read_file(path);
  }
  catch (const std::runtime_error& e)
  {
    throw std::runtime_error(std::string(e.what())
                             + " (fixtures come from tests/fixtures/capture.sh; run the tests"
                               " from the top of the repository, or set FAKETCP_FIXTURES)");
  }
  // libpcap reports LINKTYPE_RAW (101 in the file) as DLT_RAW, which is 12
  // on Linux and 14 on some BSDs; LINKTYPE_IPV4 (228) stays 228.
  const int linktype = file.linktype;
  if (linktype != DLT_RAW && linktype != 12 && linktype != 14 && linktype != DLT_IPV4)
    throw std::runtime_error(path + ": link type " + std::to_string(linktype)
                             + ", expected raw IPv4 (LINKTYPE_RAW 101 or LINKTYPE_IPV4 228)");
  std::vector<Bytes> packets;
  for (const PcapRecord& r : file.records)
  {
    if (r.data.size() != r.wire_len)
      throw std::runtime_error(path + ": a packet was cut by the snapshot length");
    packets.push_back(r.data);
  }
  return packets;
}

std::vector<Bytes> read_fixture(const std::string& name)
{
  const char* dir = getenv("FAKETCP_FIXTURES");
  return read_pcap_file(std::string(dir && *dir ? dir : "tests/fixtures") + "/" + name);
}

// ---------------------------------------------------------------- Packet

Packet::Packet(const Bytes& bytes)
  : words_((bytes.size() + 3) / 4), size_(static_cast<int>(bytes.size()))
{
  if (!bytes.empty())
    memcpy(data(), bytes.data(), bytes.size());
}

int Packet::tot_len() const
{
  return ntohs(ip()->tot_len);
}

void Packet::fix_ip_checksum()
{
  ip_fix_checksum(data(), size_);
}

void Packet::insert_ip_options(const Bytes& options)
{
  if (options.size() % 4 != 0 || size_ < 20 || iphdr_len() != 20)
    throw std::invalid_argument("IP options are whole 32-bit words after a 20-byte header");
  const int tot_len_after = tot_len() + static_cast<int>(options.size());
  Bytes b = bytes();
  b.insert(b.begin() + 20, options.begin(), options.end());
  *this = Packet(b);
  unsigned char* p = data();
  p[0] = static_cast<unsigned char>((p[0] & 0xf0) | ((20 + options.size()) / 4));  // ihl
  p[2] = static_cast<unsigned char>(tot_len_after >> 8);
  p[3] = static_cast<unsigned char>(tot_len_after & 0xff);
  fix_ip_checksum();
}

static bool is_tcp_with(const Bytes& b, uint8_t flags)
{
  if (b.size() < 40 || (b[0] >> 4) != 4 || b[9] != IPPROTO_TCP)
    return false;
  const size_t ihl = (b[0] & 0x0f) * 4u;
  return b.size() >= ihl + 20 && (b[ihl + 13] & 0x3f) == flags;
}

Packet find_tcp(const std::vector<Bytes>& packets, uint8_t flags)
{
  return find_exchange(packets, flags).input;
}

Exchange find_exchange(const std::vector<Bytes>& packets, uint8_t flags)
{
  for (size_t i = 0; i < packets.size(); ++i)
  {
    if (!is_tcp_with(packets[i], flags))
      continue;
    Exchange x{ Packet(packets[i]), i + 1 < packets.size() ? packets[i + 1] : Bytes() };
    if (!x.reply.empty()
        && (x.reply.size() < 20 || memcmp(&x.reply[12], packets[i].data() + 16, 4) != 0))
      x.reply.clear();  // the next packet is not addressed back to the sender
    return x;
  }
  throw std::runtime_error("no TCP packet with flags 0x" + std::to_string(flags)
                           + " in the fixture (re-run tests/fixtures/capture.sh?)");
}

// ---------------------------------------------------------------- Wire

Wire::Wire()
{
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) < 0)
    throw std::runtime_error(std::string("socketpair: ") + strerror(errno));
  fd = fds[0];
  peer = fds[1];
  // A 1500-byte packet must fit, with room for a few queued ones.
  const int size = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

Wire::~Wire()
{
  close(fd);
  close(peer);
}

Bytes Wire::written()
{
  Bytes buf(IP_MAXPACKET);
  const ssize_t n = recv(peer, buf.data(), buf.size(), MSG_DONTWAIT);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    throw std::runtime_error(std::string("recv: ") + strerror(errno));
  buf.resize(n < 0 ? 0 : n);
  return buf;
}

void Wire::deliver(const Bytes& packet)
{
  if (send(peer, packet.data(), packet.size(), 0) != static_cast<ssize_t>(packet.size()))
    throw std::runtime_error(std::string("send: ") + strerror(errno));
}

void feed(Wire& wire, const Packet& p, TcpInput tcp_input)
{
  REQUIRE(ip_check(p.data(), p.size(), nullptr));
  REQUIRE(p.ip()->protocol == IPPROTO_TCP);
  tcp_input(wire.fd, p.data(), p.payload(), p.tot_len());
}

Bytes answer_matches_golden(const Exchange& x, TcpInput tcp_input)
{
  REQUIRE_FALSE(x.reply.empty());
  Wire wire;
  feed(wire, x.input, tcp_input);
  const Bytes reply = wire.written();
  CHECK(packet_diff(x.reply, reply) == "");
  CHECK(ip_checksum_ok(reply));
  CHECK(tcp_checksum_ok(reply));
  CHECK(wire.written().empty());  // one reply, no more
  return reply;
}

