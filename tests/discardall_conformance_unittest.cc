// The conformance matrix's column for discardall (tests/support/conformance_cases.h),
// run through discardall's own tcp_input.
#define STEP "discardall"

// discardall.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

#include "tests/support/conformance_cases.h"
