# faketcp: the six steps of the article, one program each, built at the top.
#
#   make                  build the six programs
#   make test             build and run every test (root-only ones skip without root)
#   make SANITIZE=1 test  the same with AddressSanitizer and UBSan, built in build/san
#   make lab STEP=S       a step to write yourself, in lab/; make check-lab STEP=S grades it
#   make clean

CXX      ?= g++
CXXFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Wshadow -Wpointer-arith
override CXXFLAGS += -std=c++17 $(WARNINGS)
override CPPFLAGS += -MMD -MP -I.

# A sanitizer build is one flag away, kept apart so it never mixes with the
# ordinary objects; its programs are in build/san instead of the top level.
ifeq ($(SANITIZE),1)
  BUILD     := build/san
  BINPREFIX := build/san/
  SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  override CXXFLAGS += $(SANFLAGS)
  override LDFLAGS  += $(SANFLAGS)
else
  BUILD     := build
  BINPREFIX :=
endif

STEPS    := icmpecho rejectall acceptall discardall connectmany echoall
PROGRAMS := $(addprefix $(BINPREFIX),$(STEPS))
# What every step links: the lesson (faketcp.cc), and the tooling around it
# (tooling/: the tun reads and writes with their --pcap copy, the command line).
SHARED   := $(BUILD)/faketcp.o $(BUILD)/tooling/tunio.o $(BUILD)/tooling/options.o
# connectmany's -q, -w N and -x, linked into connectmany (and its tests) alone.
CONNECTMANY_OPTIONS := $(BUILD)/tooling/connectmany_options.o
# --mss, --window and -K, the options of discardall and echoall (docs/faster.md).
SPEED_OPTIONS := $(BUILD)/tooling/speed_options.o
# discardall's --mss, --window and -K, linked into discardall (and its tests) alone.
DISCARDALL_OPTIONS := $(BUILD)/tooling/discardall_options.o $(SPEED_OPTIONS)
# echoall's -c N and -t SECONDS, and --mss, --window and -K, linked into
# echoall (and its tests) alone, with the SipHash of its SYN cookies.
ECHOALL_OPTIONS := $(BUILD)/tooling/echoall_options.o $(SPEED_OPTIONS) $(BUILD)/tooling/siphash.o

all: $(PROGRAMS)

$(PROGRAMS): $(BINPREFIX)%: $(BUILD)/%.o $(SHARED)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BINPREFIX)connectmany: $(CONNECTMANY_OPTIONS)
$(BINPREFIX)discardall: $(DISCARDALL_OPTIONS)
$(BINPREFIX)echoall: $(ECHOALL_OPTIONS)

$(BUILD)/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c -o $@ $<

# ---------------------------------------------------------------- tests
# Unit tests call the code the programs run.  A step's tcp_input lives in
# the step's own file, next to its main(); for a test we compile that file
# once more with main renamed, and link it with the test.
$(BUILD)/%.step.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -Dmain=faketcp_step_main -c -o $@ $<

UNIT_SRCS    := $(wildcard tests/*_unittest.cc)
UNIT_TESTS   := $(patsubst tests/%.cc,$(BUILD)/tests/%,$(UNIT_SRCS))
# tests/support/*.cc: helpers shared by the unit tests (fixture reader, ...).
TEST_SUPPORT := $(patsubst %.cc,$(BUILD)/%.o,$(wildcard tests/support/*.cc))
# The fixture reader (tests/support/fixture.cc) reads pcap files with libpcap.
TEST_LDLIBS  := -lpcap
# Catch2 v2 is one header (Debian 12, Ubuntu 22.04); v3 (Debian 13, Ubuntu
# 24.04) is headers and a library, and tests/compat/catch2/catch.hpp gives
# the tests v2's header on top of it.  Which one: the installed headers say.
hash := \#
CATCH2_V3 := $(shell echo '$(hash)include <catch2/catch_all.hpp>' | $(CXX) -std=c++17 -x c++ -E - >/dev/null 2>&1 && echo yes)
ifeq ($(CATCH2_V3),yes)
  override CPPFLAGS += -Itests/compat
  TEST_LDLIBS += -lCatch2
endif
# Programs the integration tests run (a server that holds connections, ...).
TEST_TOOLS   := $(patsubst tests/tools/%.cc,$(BINPREFIX)tests/bin/%,$(wildcard tests/tools/*.cc))

$(UNIT_TESTS): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/tests/main.o $(TEST_SUPPORT) $(SHARED)
	$(CXX) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) $(LDLIBS)

# A test named after a step (tests/rejectall_unittest.cc,
# tests/rejectall_malformed_unittest.cc) also links that step's object.
$(filter $(BUILD)/tests/icmpecho_%,$(UNIT_TESTS)):    $(BUILD)/icmpecho.step.o
$(filter $(BUILD)/tests/rejectall_%,$(UNIT_TESTS)):   $(BUILD)/rejectall.step.o
$(filter $(BUILD)/tests/acceptall_%,$(UNIT_TESTS)):   $(BUILD)/acceptall.step.o
$(filter $(BUILD)/tests/discardall_%,$(UNIT_TESTS)):  $(BUILD)/discardall.step.o $(DISCARDALL_OPTIONS)
$(filter $(BUILD)/tests/connectmany_%,$(UNIT_TESTS)): $(BUILD)/connectmany.step.o $(CONNECTMANY_OPTIONS)
# The command line's test also reads connectmany's -q, -w N and -x.
$(BUILD)/tests/options_unittest: $(BUILD)/connectmany.step.o $(CONNECTMANY_OPTIONS)
$(filter $(BUILD)/tests/echoall_%,$(UNIT_TESTS)):     $(BUILD)/echoall.step.o $(ECHOALL_OPTIONS)

$(BINPREFIX)tests/bin/%: tests/tools/%.cc tests/support/reference.h tests/support/rawsock.h
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

unit-tests: $(UNIT_TESTS)
tools: $(TEST_TOOLS)

# tests/run runs every suite and ends with "N passed, N failed, N skipped".
test: all unit-tests tools
	FAKETCP_BIN=$(if $(BINPREFIX),$(BINPREFIX),.) FAKETCP_BUILD=$(BUILD) tests/run

# A lecture demo in tmux panes, in a private namespace (docs/demo.md): make demo
# STEP=rejectall [MODE=step|scripted|interactive] [ARGS="-a 10.0.0.1/24"] [COUNT=20]
STEP ?= icmpecho
demo: all tools
	scripts/demo $(STEP) $(ARGS)

# Labs (docs/labs.md): make lab STEP=rejectall writes lab/rejectall.cc, the
# step with its lesson cut out (never over a file that is there);
# make check-lab STEP=rejectall builds it in build/lab/rejectall and grades
# it with the step's unit tests and real-kernel test; make lab-pack writes
# build/faketcp-labs.tar.gz, the repository with every step a skeleton.
lab:
	@tests/labs/lab.py new $(STEP)

check-lab:
	@tests/labs/lab.py check $(STEP)

lab-pack:
	@tests/labs/lab.py pack $(OUT)

# Checks this machine the way a teaching assistant would, naming each fix.
doctor:
	scripts/doctor

clean:
	rm -rf build tests/bin $(STEPS)

# Optional parts, each kept beside what it builds.
-include tests/fuzz/fuzz.mk
-include tests/bench/bench.mk
-include tests/mutate/mutate.mk

.PHONY: all test unit-tests tools demo doctor clean lab check-lab lab-pack
.DELETE_ON_ERROR:
.SECONDARY:

# The header dependencies -MMD wrote beside each object and tool.
OBJECTS := $(patsubst %,$(BUILD)/%.o,$(STEPS)) $(patsubst %,$(BUILD)/%.step.o,$(STEPS)) \
           $(SHARED) $(CONNECTMANY_OPTIONS) $(sort $(DISCARDALL_OPTIONS) $(ECHOALL_OPTIONS)) $(UNIT_TESTS:=.o) $(BUILD)/tests/main.o $(TEST_SUPPORT)
-include $(OBJECTS:.o=.d) $(TEST_TOOLS:=.d)
