# faketcp: the six steps of the article, one program each, and the programs
# that extend them, built at the top.
#
#   make                  build every program
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

# The one list of the steps, in the article's order, and ours (echoall, step
# 6).  scripts/, the tests, the capture scripts and the lab cutter read it
# from here (`make -s list-steps`, or the line itself); a list that leaves a
# step out says why beside it.
STEPS      := icmpecho rejectall acceptall discardall connectmany echoall
# Each extension is a program of its own, a near-copy of the step its name
# begins with, so `diff discardall.cc discardall_fast.cc` is its lesson:
#   discardall_fast     --mss, --window, --mtu, -K, --ack-burst (docs/faster.md)
#   connectmany_window  -w N handshakes in flight, -q, -x (docs/bench.md)
#   echoall_hardened    SYN cookies, an idle timeout, window scaling, -K
#                       (docs/syncookies.md)
#   discardall2         rcv_nxt per connection, duplicate ACKs, --drop N[xK],
#                       --loss P --seed S, --delay MS, --zero-window BYTES,MS,
#                       --kernel-state
#                       (docs/discardall2.md)
EXTENSIONS := discardall_fast connectmany_window echoall_hardened discardall2
ALL_PROGRAMS := $(STEPS) $(EXTENSIONS)
# The labs (make lab STEP=..., docs/labs.md): every step, and discardall2,
# whose lesson (rcv_nxt and the duplicate ACK) is one to write yourself too.
# The other extensions add options, not a protocol lesson.
LABS       := $(STEPS) discardall2
PROGRAMS := $(addprefix $(BINPREFIX),$(ALL_PROGRAMS))
# What every program links: the lesson (faketcp.cc), and the tooling around
# it (tooling/: the tun reads and writes with their --pcap copy, the command
# line).
SHARED   := $(BUILD)/faketcp.o $(BUILD)/tooling/tunio.o $(BUILD)/tooling/cmdline.o
# What an extension links beyond that, from tooling/ (a name is tooling/NAME.cc).
discardall_fast_TOOLING    := speed tcp_options tundev ack_burst
connectmany_window_TOOLING :=
echoall_hardened_TOOLING   := speed tcp_options tundev siphash echo_bounds
discardall2_TOOLING        := loss sock_diag delay zero_window
program_tooling = $(patsubst %,$(BUILD)/tooling/%.o,$($(1)_TOOLING))
# Every object of tooling/ (none has a main).
TOOLING  := $(patsubst %.cc,$(BUILD)/%.o,$(wildcard tooling/*.cc))

all: $(PROGRAMS)

$(PROGRAMS): $(BINPREFIX)%: $(BUILD)/%.o $(SHARED)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(foreach p,$(EXTENSIONS),$(eval $(BINPREFIX)$(p): $(call program_tooling,$(p))))

list-steps:
	@echo $(STEPS)
list-programs:
	@echo $(ALL_PROGRAMS)

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
# The tests' own code (cases, support, main) is built without optimisation:
# it halves the clean build's compile time, and what the tests exercise, the
# programs' objects and tooling/, keeps the flags the programs are built with.
TEST_CODE_FLAGS ?= -O0
$(UNIT_TESTS:=.o) $(BUILD)/tests/main.o $(TEST_SUPPORT): override CXXFLAGS += $(TEST_CODE_FLAGS)
# tests/main.o is Catch2's session alone, the longest compile of a clean
# build: no debug info for it (-g0 takes 40 % off its time here).
$(BUILD)/tests/main.o: override CXXFLAGS += -g0
# Programs the integration tests run (a server that holds connections, ...).
TEST_TOOLS   := $(patsubst tests/tools/%.cc,$(BINPREFIX)tests/bin/%,$(wildcard tests/tools/*.cc))

$(UNIT_TESTS): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/tests/main.o $(TEST_SUPPORT) $(SHARED)
	$(CXX) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) $(LDLIBS)

# A test named after a program (tests/rejectall_unittest.cc,
# tests/discardall_fast_malformed_unittest.cc) also links that program's
# object: the longest program name its name begins with, then '_'.
test_program = $(lastword $(foreach p,$(ALL_PROGRAMS),$(if $(filter $(p)_%,$(1)),$(p))))
$(foreach t,$(UNIT_TESTS),$(if $(call test_program,$(notdir $(t))),\
  $(eval $(t): $(BUILD)/$(call test_program,$(notdir $(t))).step.o)))
# It links that program's objects of tooling/ too (a step's: none, so that
# make check-lab builds only what the step needs); a test named after no
# program (cmdline_unittest, ...) links every object of tooling/.
$(foreach t,$(UNIT_TESTS),$(eval $(t): $(if $(call test_program,$(notdir $(t))),\
  $(call program_tooling,$(call test_program,$(notdir $(t)))),$(TOOLING))))

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
# A lab has no default step (demo's icmpecho is not one): without STEP= on
# the command line or in the environment, lab.py prints its usage.
LAB_STEP = $(if $(filter command line environment,$(origin STEP)),$(STEP))
lab:
	@labs/lab.py new $(LAB_STEP)

check-lab:
	@labs/lab.py check $(LAB_STEP)

lab-pack:
	@labs/lab.py pack $(OUT)

# Checks this machine the way a teaching assistant would, naming each fix.
doctor:
	scripts/doctor

clean:
	rm -rf build tests/bin $(ALL_PROGRAMS)

# Optional parts, each kept beside what it builds.
-include tests/fuzz/fuzz.mk
-include bench/bench.mk
-include tests/mutate/mutate.mk

.PHONY: all test unit-tests tools demo doctor clean lab check-lab lab-pack list-steps list-programs
.DELETE_ON_ERROR:
.SECONDARY:

# The header dependencies -MMD wrote beside each object and tool.
OBJECTS := $(patsubst %,$(BUILD)/%.o,$(ALL_PROGRAMS)) $(patsubst %,$(BUILD)/%.step.o,$(ALL_PROGRAMS)) \
           $(sort $(SHARED) $(TOOLING)) $(UNIT_TESTS:=.o) $(BUILD)/tests/main.o $(TEST_SUPPORT)
-include $(OBJECTS:.o=.d) $(TEST_TOOLS:=.d)
