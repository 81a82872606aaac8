// tests/support/speed_options_set.h - sets --mss, --window and -K as the
// command line would (tooling/speed_options.h), and puts every speed option
// back to the article's default when the test ends, whatever happens:
// --mtu and --ack-burst too, which a test sets by hand after it.
#pragma once

#include "tooling/speed_options.h"

struct OptionsSet
{
  OptionsSet(int mss, long window, bool offload_on)
  {
    mss_option = mss;
    window_option = window;
    offload = offload_on;
  }
  ~OptionsSet()
  {
    mss_option = 0;
    window_option = 0;
    offload = false;
    mtu_option = 0;
    ack_burst = false;
  }
  OptionsSet(const OptionsSet&) = delete;
  OptionsSet& operator=(const OptionsSet&) = delete;
};
