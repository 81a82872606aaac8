// Step 5: connectmany's own connect_one, connect_many and tcp_input, against
// the kernel's answers (tests/fixtures/connectmany.pcap and
// connectmany_refused.pcap): the cases of tests/support/connect_cases.h.
#define STEP "connectmany"

#include "tests/support/connect_cases.h"
