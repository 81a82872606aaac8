// The conformance matrix's column for connectmany (tests/support/conformance_cases.h),
// run through connectmany's own tcp_input.
#define STEP "connectmany"

// connectmany.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

#include "tests/support/conformance_cases.h"
