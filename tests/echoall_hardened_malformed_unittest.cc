// Malformed TCP through echoall_hardened's own tcp_input, as its main loop
// runs it: the cases of tests/support/step_malformed_cases.h.  Its SYN+ACK
// carries the MSS option: 44 bytes.
#define STEP "echoall_hardened"
#define STEP_SYNACK_LEN 44

// echoall_hardened.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

#include "tests/support/step_malformed_cases.h"
