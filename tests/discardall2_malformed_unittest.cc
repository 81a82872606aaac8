// Malformed TCP through discardall2's own tcp_input, as its main loop runs it:
// the cases of tests/support/step_malformed_cases.h.  Its SYN+ACK has no
// options, as the article's: 40 bytes.
#define STEP "discardall2"

// discardall2.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

#include "tests/support/step_malformed_cases.h"
