// The one translation unit that holds Catch2's main().
#define CATCH_CONFIG_MAIN
// g++ 12 with -fsanitize=address warns about libstdc++'s own <regex>, which
// catch.hpp includes: a known false positive, not ours to fix.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <catch2/catch.hpp>
