// tests/support/malformed.cc - see malformed.h.
#include "tests/support/malformed.h"

#include "faketcp.h"

#include <errno.h>
#include <memory>
#include <stdexcept>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

StdoutCapture::StdoutCapture()
{
  fflush(stdout);
  file_ = tmpfile();
  saved_ = dup(1);
  if (!file_ || saved_ < 0 || dup2(fileno(file_), 1) < 0)
    throw std::runtime_error(std::string("capturing stdout: ") + strerror(errno));
}

StdoutCapture::~StdoutCapture()
{
  restore();
  if (file_)
    fclose(file_);
}

std::string StdoutCapture::text()
{
  restore();
  std::string out;
  rewind(file_);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, file_)) > 0)
    out.append(chunk, n);
  return out;
}

void StdoutCapture::restore()
{
  if (saved_ < 0)
    return;
  fflush(stdout);
  dup2(saved_, 1);
  close(saved_);
  saved_ = -1;
}

Outcome main_loop_once(const Bytes& bytes, TcpInput tcp_input)
{
  Outcome o;
  Wire wire;
  const int nread = static_cast<int>(bytes.size());
  // new[] aligns for struct iphdr, as the programs' union does.
  std::unique_ptr<unsigned char[]> buf(new unsigned char[bytes.empty() ? 1 : bytes.size()]);
  if (!bytes.empty())  // an empty vector's data() may be null, even for 0 bytes
    memcpy(buf.get(), bytes.data(), bytes.size());
  {
    StdoutCapture capture;
    // The step files' main loop, after read(): the same function.
    const char* why = nullptr;
    o.accepted = ip_check(buf.get(), nread, &why);  // for the test: the verdict and its reason
    o.why = why ? why : "";
    ip_input(wire.fd, buf.get(), nread, tcp_input);
    o.printed = capture.text();
  }
  for (Bytes p = wire.written(); !p.empty(); p = wire.written())
    o.written.push_back(p);
  return o;
}

void set_tot_len(Bytes& p, int tot_len)
{
  if (p.size() < 20)
    throw std::out_of_range("set_tot_len: the packet is shorter than an IP header");
  put16(&p[2], static_cast<uint16_t>(tot_len));
  ip_fix_checksum(p);
}

void set_frag_off(Bytes& p, uint16_t frag_off)
{
  if (p.size() < 20)
    throw std::out_of_range("set_frag_off: the packet is shorter than an IP header");
  put16(&p[6], frag_off);
  ip_fix_checksum(p);
}
