// Unit tests of the fixture reader (tests/support/fixture.cc): it must read
// what the programs' --pcap and `tcpdump -i tun0 -w` write, and refuse what
// does not start with an IPv4 header.
#include "tests/support/fixture.h"

#include <catch2/catch.hpp>
#include <pcap/pcap.h>
#include <stdexcept>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Writes `packets` to a temporary pcap file of the given link type with
// libpcap itself, and returns its path.
static std::string write_pcap(int dlt, const std::vector<Bytes>& packets)
{
  char path[] = "/tmp/faketcp-fixture-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  pcap_t* dead = pcap_open_dead(dlt, 65535);
  REQUIRE(dead != nullptr);
  pcap_dumper_t* dumper = pcap_dump_open(dead, path);
  REQUIRE(dumper != nullptr);
  for (const Bytes& b : packets)
  {
    struct pcap_pkthdr h = {};
    h.caplen = h.len = static_cast<bpf_u_int32>(b.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper), &h, b.data());
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
  return path;
}

TEST_CASE("the fixture reader reads raw IPv4 pcaps of every link type a tun capture has",
          "[fixtures]")
{
  const std::vector<Bytes> packets = read_fixture("rejectall.pcap");
  REQUIRE(packets.size() == 2);
  int dlt = 0;
  SECTION("DLT_RAW, written as LINKTYPE_RAW 101 (tcpdump -i tun0 -w, --pcap)") { dlt = DLT_RAW; }
  SECTION("DLT_IPV4, LINKTYPE_IPV4 228") { dlt = DLT_IPV4; }
  const std::string path = write_pcap(dlt, packets);
  std::vector<Bytes> read;
  CHECK_NOTHROW(read = read_pcap_file(path));
  unlink(path.c_str());
  CHECK(read == packets);
}

TEST_CASE("the fixture reader refuses an Ethernet capture and a missing file", "[fixtures]")
{
  SECTION("Ethernet frames do not start with an IP header")
  {
    const std::string path = write_pcap(DLT_EN10MB, read_fixture("rejectall.pcap"));
    CHECK_THROWS_AS(read_pcap_file(path), std::runtime_error);
    unlink(path.c_str());
  }
  SECTION("a file that is not there")
  {
    CHECK_THROWS_AS(read_pcap_file("/nonexistent/none.pcap"), std::runtime_error);
  }
}

TEST_CASE("Packet keeps the bytes 4-byte aligned and inserts IP options right", "[fixtures][ip]")
{
  const Packet syn = find_tcp(read_fixture("rejectall.pcap"), TH_SYN);
  CHECK(reinterpret_cast<uintptr_t>(syn.data()) % 4 == 0);
  Packet with = syn;
  with.insert_ip_options({ 1, 1, 1, 0 });
  CHECK(with.size() == syn.size() + 4);
  CHECK(with.iphdr_len() == 24);
  CHECK(with.tot_len() == syn.tot_len() + 4);
  CHECK(ip_checksum_ok(with.bytes()));
  CHECK(memcmp(with.payload(), syn.payload(), syn.size() - 20) == 0);
}
