// tooling/tunio.cc - see tunio.h.  The --pcap writer needs no libpcap: the
// format is two fixed headers, written here by hand.
#include "tooling/tunio.h"

#include <errno.h>     // program_invocation_short_name
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <arpa/inet.h>

static FILE* pcap_file = nullptr;  // --pcap, written by tun_read and tun_write

// pcap file format: a 24-byte file header, then per packet a 16-byte record
// header and the bytes.  Link type 101 (LINKTYPE_RAW) means "starts with an
// IP header", which is exactly what a tun device without IFF_PI gives us.
bool pcap_open(const char* path)
{
  pcap_file = fopen(path, "wb");
  if (!pcap_file)
  {
    fprintf(stderr, "%s: open %s: %s (choose a writable path)\n",
            program_invocation_short_name, path, strerror(errno));
    return false;
  }
  const uint32_t header[6] = { 0xa1b2c3d4,   // magic, microsecond timestamps
                               0x00040002,   // version 2.4 (minor << 16 | major)
                               0, 0,         // time zone, accuracy
                               65535,        // snapshot length
                               101 };        // LINKTYPE_RAW
  fwrite(header, sizeof header, 1, pcap_file);
  fflush(pcap_file);
  return true;
}

static void pcap_record(const void* buf, int len)
{
  if (!pcap_file || len <= 0)
    return;
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  const uint32_t record[4] = { static_cast<uint32_t>(tv.tv_sec),
                               static_cast<uint32_t>(tv.tv_usec),
                               static_cast<uint32_t>(len),    // bytes saved
                               static_cast<uint32_t>(len) };  // bytes on the wire
  fwrite(record, sizeof record, 1, pcap_file);
  fwrite(buf, len, 1, pcap_file);
  fflush(pcap_file);  // so Wireshark can open the file while we run
}

// ---------------------------------------------------------------- read and write

int tun_read(int fd, void* buf, int size)
{
  int nread = static_cast<int>(read(fd, buf, size));
  if (nread > 0)
    pcap_record(buf, nread);
  return nread;
}

bool tun_write(int fd, const void* buf, int len)
{
  pcap_record(buf, len);
  ssize_t nwritten = write(fd, buf, len);
  if (nwritten != len)
  {
    printf("write %d bytes: %s\n", len, nwritten < 0 ? strerror(errno) : "short write");
    return false;
  }
  return true;
}
