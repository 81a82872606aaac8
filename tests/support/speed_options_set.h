// tests/support/speed_options_set.h - sets the speed options of the program
// under test (its `speed`, tooling/speed.h) as its main would, and puts them
// back to the program's defaults when the test ends, whatever happens.
#pragma once

#include "tooling/speed.h"

// The program's own, in discardall_fast.cc or echoall_hardened.cc: what its
// main fills from the command line.
extern SpeedOptions speed;

struct OptionsSet
{
  OptionsSet(int mss, long window, bool offload) : saved_(speed)
  {
    speed.mss = mss;
    speed.window = window;
    speed.offload = offload;
  }
  ~OptionsSet() { speed = saved_; }
  OptionsSet(const OptionsSet&) = delete;
  OptionsSet& operator=(const OptionsSet&) = delete;

 private:
  const SpeedOptions saved_;
};
