// tests/compat/catch2/catch.hpp: Catch2 v3 under v2's name, so that the
// tests, written for v2's single header, compile unchanged against v3.
//
// The Makefile puts tests/compat on the include path only when its probe
// finds v3's <catch2/catch_all.hpp> (Debian 13, Ubuntu 24.04); with v2
// (Debian 12, Ubuntu 22.04) <catch2/catch.hpp> is the distribution's own.
// What differs between the two for what our tests use:
//   - v3 is a library, not a header: no CATCH_CONFIG_MAIN or _RUNNER, the
//     Makefile links -lCatch2 and tests/main.cc writes main() itself;
//   - Approx and the listener base moved or were renamed, aliased below;
//   - TEST_CASE, SECTION, REQUIRE/CHECK, GENERATE and range(), INFO,
//     UNSCOPED_INFO, CAPTURE, FAIL and the tags are the same macros.
#pragma once
#include <catch2/catch_all.hpp>
#include <catch2/reporters/catch_reporter_event_listener.hpp>
#include <catch2/reporters/catch_reporter_registrars.hpp>

#define FAKETCP_CATCH2_V3 1

using Catch::Approx;   // v2 had Approx at the top level too

namespace Catch {
// v2: TestEventListenerBase; v3: EventListenerBase, the same hooks.
using TestEventListenerBase = EventListenerBase;
}  // namespace Catch
