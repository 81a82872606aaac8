// packet_fuzzer.cc - feeds one fuzzed packet to a step's receive path and
// checks what it writes back.
//
// Built once per step (see fuzz.mk): with faketcp.o alone it is the path of
// icmpecho (ip_check, then icmp_input); linked with a step's own .cc,
// compiled with -Dmain=faketcp_step_main, it is that step's path, its real
// tcp_input included.  FUZZ_STEP_HAS_TCP says which.
#include "tests/fuzz/fuzz_common.h"

#include <vector>

#ifdef FUZZ_STEP_HAS_TCP
// Lives in the step's .cc, beside its main().
void tcp_input(int fd, const void* input, const void* payload, int tot_len);
#endif

static fuzz::Tun tun;

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
  fuzz::silence_stdout();
  tun = fuzz::tun_pair();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  if (size < 1 || size - 1 > IP_MAXPACKET)
    return -1;  // not an input of this format: not added to the corpus
  const uint8_t flags = data[0];
  const int nread = static_cast<int>(size - 1);
  // Exactly nread bytes, on the heap: a read past what read() returned is an
  // AddressSanitizer report here, where the program's 64 KiB buffer would
  // hide it.  (new[] aligns it as the program's union does.)
  std::vector<unsigned char> packet(data + 1, data + size);
  unsigned char* buf = packet.data();
  fuzz::fix_checksums(buf, packet.size(), flags);

  // The main loop of the step files, after read(): the same function.
#ifdef FUZZ_STEP_HAS_TCP
  const TcpInput step_tcp_input = tcp_input;
#else
  const TcpInput step_tcp_input = nullptr;  // icmpecho
#endif
  const bool good = ip_input(tun.prog, buf, nread, step_tcp_input);
  // buf[9] is the IP header's protocol; ip_check has seen 20 bytes.
  const bool may_reply = good && (buf[9] == IPPROTO_ICMP || (buf[9] == IPPROTO_TCP && step_tcp_input));

  // Every packet written is well-formed; a packet that failed ip_check, or
  // of a protocol the step does not serve, gets no answer; one gets at most one.
  const int replies = fuzz::drain_and_check(tun);
  if (replies > (may_reply ? 1 : 0))
  {
    fprintf(stderr, "fuzz: %d replies to a packet that deserves %s\n",
            replies, may_reply ? "at most one" : "none");
    abort();
  }
  return 0;
}
