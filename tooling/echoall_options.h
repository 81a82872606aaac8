// tooling/echoall_options.h - echoall's two options, its table's bounds:
// -c N (at most N connections) and -t SECONDS (an idle connection's life).
// Tooling, not the lesson: echoall.cc holds the bounds and what they do
// (tcp_make_room); this only reads them from the command line.
#pragma once

#include "tooling/options.h"  // ExtraOptions

extern const ExtraOptions kEchoallOptions;
