// pcap_unittest.cc - --pcap: every packet tun_read() and tun_write() pass
// goes to the file, in order, flushed as written, in a format libpcap (and
// so tcpdump and Wireshark) reads as raw IPv4.
//
// The hidden test case "[.pcapfile]" reads a capture made by a running step
// (tests/integration/pcap.sh passes it in FAKETCP_PCAP_FILE) and prints each
// packet the way tcpdump -n -t -S does, so the script can compare the two.
#include <catch2/catch.hpp>

#include "faketcp.h"
#include "tooling/cmdline.h"
#include "tooling/tunio.h"
#include "tests/support/packet_diff.h"
#include "tests/support/pcap_file.h"  // read back with libpcap

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/ip_icmp.h>

#include <string>
#include <vector>

namespace
{

// An ICMP echo request from 192.168.0.1 to 192.168.0.2 with 56 bytes of
// data, as ping sends it, checksums filled in.
Bytes echo_request(uint16_t id, uint16_t seq)
{
  Bytes packet(20 + 8 + 56);
  struct iphdr ip;
  memset(&ip, 0, sizeof ip);
  ip.version = 4;
  ip.ihl = 5;
  ip.tot_len = htons(static_cast<uint16_t>(packet.size()));
  ip.id = htons(0x1234);
  ip.frag_off = htons(IP_DF);
  ip.ttl = 64;
  ip.protocol = IPPROTO_ICMP;
  inet_pton(AF_INET, "192.168.0.1", &ip.saddr);
  inet_pton(AF_INET, "192.168.0.2", &ip.daddr);
  ip.check = in_checksum(&ip, sizeof ip);
  memcpy(packet.data(), &ip, sizeof ip);

  struct icmphdr icmp;
  memset(&icmp, 0, sizeof icmp);
  icmp.type = ICMP_ECHO;
  icmp.un.echo.id = htons(id);
  icmp.un.echo.sequence = htons(seq);
  memcpy(packet.data() + 20, &icmp, sizeof icmp);
  for (size_t i = 28; i < packet.size(); ++i)
    packet[i] = static_cast<unsigned char>(i);
  icmp.checksum = in_checksum(packet.data() + 20, static_cast<int>(packet.size()) - 20);
  memcpy(packet.data() + 20, &icmp, sizeof icmp);
  return packet;
}

// Opens FILE as the --pcap file, the way every step does: through
// parse_options_or_exit, with the command line a student would type.
void open_capture(const std::string& path)
{
  std::string arg0 = "pcap_unittest", arg1 = "--pcap", arg2 = path;
  char* argv[] = { &arg0[0], &arg1[0], &arg2[0], nullptr };
  TunOptions opt;
  parse_options_or_exit(3, argv, "  pcap_unittest\n", &opt);
}

off_t file_size(const std::string& path)
{
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

// Prints one packet as tcpdump -n -t -S prints it, options left out; the
// TCP line is tcp_print's, the one every step prints.
void print_packet(const Bytes& packet)
{
  const char* why = nullptr;
  if (!ip_check(packet.data(), static_cast<int>(packet.size()), &why))
  {
    printf("not IPv4 (%s), %zu bytes\n", why, packet.size());
    return;
  }
  struct iphdr ip;
  memcpy(&ip, packet.data(), sizeof ip);
  const int iphdr_len = ip.ihl * 4;
  const int tot_len = ntohs(ip.tot_len);
  const unsigned char* payload = packet.data() + iphdr_len;
  char source[INET_ADDRSTRLEN], dest[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &ip.saddr, source, sizeof source);
  inet_ntop(AF_INET, &ip.daddr, dest, sizeof dest);
  if (ip.protocol == IPPROTO_ICMP && tot_len - iphdr_len >= 8)
  {
    struct icmphdr icmp;
    memcpy(&icmp, payload, sizeof icmp);
    const char* type = icmp.type == ICMP_ECHO ? "echo request"
                     : icmp.type == ICMP_ECHOREPLY ? "echo reply" : "other";
    printf("IP %s > %s: ICMP %s, id %d, seq %d, length %d\n", source, dest, type,
           ntohs(icmp.un.echo.id), ntohs(icmp.un.echo.sequence), tot_len - iphdr_len);
  }
  else if (ip.protocol == IPPROTO_TCP && tcp_check(payload, tot_len - iphdr_len))
  {
    struct tcphdr tcp;
    memcpy(&tcp, payload, sizeof tcp);
    tcp_print(&ip, &tcp, tot_len - iphdr_len - tcp.doff * 4);
  }
  else
  {
    printf("IP %s > %s: protocol %d, length %d\n", source, dest, ip.protocol, tot_len - iphdr_len);
  }
}

}  // namespace

TEST_CASE("--pcap writes what tun_read and icmp_input pass, in order, readable by libpcap",
          "[pcap]")
{
  char dir[] = "/tmp/pcap_unittest.XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string path = std::string(dir) + "/x.pcap";
  open_capture(path);
  CHECK(file_size(path) == 24);  // the file header is there at once

  // The "tun device": a pipe to read the request from, /dev/null to write
  // the reply to.
  int pipefd[2];
  REQUIRE(pipe(pipefd) == 0);
  const int devnull = open("/dev/null", O_WRONLY);
  REQUIRE(devnull >= 0);

  const Bytes request = echo_request(77, 1);
  REQUIRE(write(pipefd[1], request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  unsigned char buf[IP_MAXPACKET];
  const int nread = tun_read(pipefd[0], buf, sizeof buf);
  REQUIRE(nread == static_cast<int>(request.size()));
  // Flushed as written: the record is in the file before the next packet.
  CHECK(file_size(path) == 24 + 16 + nread);

  icmp_input(devnull, buf, buf + 20, nread);
  CHECK(file_size(path) == 24 + 2 * (16 + nread));
  close(pipefd[0]);
  close(pipefd[1]);
  close(devnull);

  const PcapFile file = pcap_read_file(path);  // throws, failing the test, if libpcap cannot
  const std::vector<PcapRecord>& records = file.records;
  CHECK(file.linktype == DLT_RAW);  // LINKTYPE_RAW (101) in the file: an IP header first
  REQUIRE(records.size() == 2);

  SECTION("the first record is the request, byte for byte")
  {
    // Expected: the request this test wrote into the pipe (neither a kernel
    // packet nor a golden: what tun_read read must be what the file holds).
    CHECK(packet_diff(request, records[0].data) == "");
    CHECK(records[0].wire_len == request.size());
  }
  SECTION("the second record is the reply to it, a valid IPv4 packet")
  {
    const Bytes& reply = records[1].data;
    REQUIRE(reply.size() == request.size());
    CHECK(records[1].wire_len == reply.size());
    const char* why = nullptr;
    CHECK(ip_check(reply.data(), static_cast<int>(reply.size()), &why));
    CHECK(reply[20] == ICMP_ECHOREPLY);
    CHECK(in_checksum(reply.data() + 20, static_cast<int>(reply.size()) - 20) == 0);
    // Addresses swapped; id and sequence (bytes 24..27) and data kept.
    CHECK(memcmp(reply.data() + 12, request.data() + 16, 4) == 0);
    CHECK(memcmp(reply.data() + 16, request.data() + 12, 4) == 0);
    CHECK(memcmp(reply.data() + 24, request.data() + 24, request.size() - 24) == 0);
  }
  SECTION("timestamps do not go backwards")
  {
    const auto& a = records[0].ts;
    const auto& b = records[1].ts;
    CHECK((a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_usec <= b.tv_usec)));
  }
  unlink(path.c_str());
  rmdir(dir);
}

// Run by tests/integration/pcap.sh on a capture a running step made:
//   FAKETCP_PCAP_FILE=x.pcap build/tests/pcap_unittest '[.pcapfile]'
TEST_CASE("a capture made by a step reads back with libpcap", "[.pcapfile]")
{
  const char* path = getenv("FAKETCP_PCAP_FILE");
  REQUIRE(path != nullptr);
  const PcapFile file = pcap_read_file(path);
  CHECK(file.linktype == DLT_RAW);
  for (const PcapRecord& r : file.records)
  {
    CHECK(r.data.size() == r.wire_len);  // nothing cut short by the snapshot length
    print_packet(r.data);
  }
  fflush(stdout);
}
