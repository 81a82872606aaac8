// tests/support/malformed.h - one pass of a step's main loop over the bytes
// of one read(), for the malformed-input tests: what the program decided,
// what it printed, and every packet it wrote.
#pragma once

#include "faketcp.h"  // TcpInput
#include "tests/support/fixture.h"

#include <stdio.h>
#include <string>
#include <vector>

struct Outcome
{
  bool accepted = false;       // ip_check's verdict
  std::string why;             // its reason, when it refused
  std::string printed;         // everything the program printed
  std::vector<Bytes> written;  // every packet it wrote to the fd, in order
};

// Does what the main loop of the step files does after read() returned
// `bytes`: ip_input (faketcp.h) with the step's tcp_input, or nullptr for
// icmpecho.  The bytes sit in a buffer of exactly their size, so that in
// the SANITIZE=1 build a read past them is an AddressSanitizer report (the
// programs' 64 KiB buffer would hide it).  A socketpair stands in for tun0.
Outcome main_loop_once(const Bytes& bytes, TcpInput tcp_input);

// Sends stdout (fd 1, as the programs print with printf) into a temporary
// file while alive; text() stops the capture and gives what was printed.
class StdoutCapture
{
 public:
  StdoutCapture();
  ~StdoutCapture();
  StdoutCapture(const StdoutCapture&) = delete;
  StdoutCapture& operator=(const StdoutCapture&) = delete;
  std::string text();

 private:
  void restore();
  FILE* file_ = nullptr;
  int saved_ = -1;
};

// Edits of a raw packet for building malformed ones; each fixes the IP
// header checksum after (ip_fix_checksum of tests/support/reference.h).
void set_tot_len(Bytes& p, int tot_len);
void set_frag_off(Bytes& p, uint16_t frag_off);  // flags and offset
