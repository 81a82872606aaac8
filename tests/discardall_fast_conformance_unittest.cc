// The conformance matrix's column for discardall_fast (tests/support/conformance_cases.h),
// run through discardall_fast's own tcp_input.
#define STEP "discardall_fast"

// discardall_fast.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

#include "tests/support/conformance_cases.h"
