// The conformance matrix's column for rejectall (tests/support/conformance_cases.h),
// run through rejectall's own tcp_input.
#define STEP "rejectall"

// rejectall.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

#include "tests/support/conformance_cases.h"
