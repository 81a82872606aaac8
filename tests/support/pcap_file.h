// tests/support/pcap_file.h - reads a whole pcap file with libpcap: for the
// fixture reader, the --pcap tests and the fuzzers' seeds.  Header-only;
// whatever includes it links -lpcap.
#pragma once

#include "tests/support/reference.h"

#include <pcap/pcap.h>
#include <stdexcept>
#include <string>
#include <vector>

struct PcapRecord
{
  Bytes data;         // the bytes captured (caplen of them)
  uint32_t wire_len;  // the packet's length on the wire (len)
  struct timeval ts;
};

struct PcapFile
{
  int linktype = -1;  // pcap_datalink(): DLT_RAW for what --pcap and `tcpdump -i tun0 -w` write
  std::vector<PcapRecord> records;
};

// Every record of the file at `path`; throws std::runtime_error naming the
// file and libpcap's reason when it cannot be opened or read to its end.
inline PcapFile pcap_read_file(const std::string& path)
{
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* pcap = pcap_open_offline(path.c_str(), errbuf);
  if (!pcap)
    throw std::runtime_error(path + ": " + errbuf);
  PcapFile file{ pcap_datalink(pcap), {} };
  struct pcap_pkthdr* header;
  const u_char* data;
  int rc;
  while ((rc = pcap_next_ex(pcap, &header, &data)) == 1)
    file.records.push_back({ Bytes(data, data + header->caplen), header->len, header->ts });
  const std::string error = rc == PCAP_ERROR ? pcap_geterr(pcap) : "";
  pcap_close(pcap);
  if (!error.empty())
    throw std::runtime_error(path + ": " + error);
  return file;
}
