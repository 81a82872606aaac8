// Malformed TCP through connectmany_window's own tcp_input, as its main loop
// runs it: the cases of tests/support/step_malformed_cases.h.
#define STEP "connectmany_window"

// connectmany_window.cc, compiled for this test with its main renamed.
void tcp_input(int fd, const void* input, const void* payload, int tot_len);

#include "tests/support/step_malformed_cases.h"
