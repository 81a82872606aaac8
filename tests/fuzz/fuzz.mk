# tests/fuzz/fuzz.mk - libFuzzer targets, one per packet entry point; the
# top Makefile includes this file.
#
#   make fuzz                   build every target and run each FUZZ_SECONDS (60)
#   make fuzz FUZZ_SECONDS=20   a short run, as CI does
#   make fuzz-build             build only (build/fuzz/*_fuzzer)
#
# Targets (each checks that every packet the code writes is well-formed):
#   ip_icmp_fuzzer      ip_check, then icmp_input (the path of icmpecho)
#   <step>_fuzzer       ip_check, then icmp_input or the step's own tcp_input
#   connect_one_fuzzer  connectmany's connect_one reading fuzzed answers
#   echoall_fuzzer      echoall's tcp_input fed sequences of segments, its
#   echoall_hardened_fuzzer  connection table kept across them (the stateful ones)
#   discardall2_fuzzer  the same file, for discardall2's table of rcv_nxt and
#                       held ranges, with --drop rules from the input's first byte
#
# Built with clang (libFuzzer ships with it) and AddressSanitizer plus
# UBSan, in build/fuzz, apart from the ordinary and SANITIZE=1 objects.
FUZZ_CXX      ?= clang++
FUZZ_BUILD    := build/fuzz
FUZZ_SECONDS  ?= 60
FUZZ_SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CXXFLAGS := -std=c++17 -g -O1 $(WARNINGS) $(FUZZ_SANFLAGS)
# Every program that answers TCP statelessly, from the Makefile's lists:
# icmpecho is ip_icmp, and the echo programs keep state across segments,
# so they have a fuzzer of their own (echoall_fuzzer.cc).
FUZZ_STEPS    := $(filter-out icmpecho echoall echoall_hardened discardall2,$(ALL_PROGRAMS))
FUZZ_TARGETS  := ip_icmp $(FUZZ_STEPS) connect_one echoall echoall_hardened discardall2
FUZZ_BINS     := $(patsubst %,$(FUZZ_BUILD)/%_fuzzer,$(FUZZ_TARGETS))

# The code under test gets coverage instrumentation (fuzzer-no-link); only
# the targets link libFuzzer's main().
# Every target links all of tooling/, as the unit tests do (none has a main).
FUZZ_SHARED := $(FUZZ_BUILD)/faketcp.o $(patsubst %.cc,$(FUZZ_BUILD)/%.o,$(wildcard tooling/*.cc))

$(FUZZ_BUILD)/%.o: %.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(CPPFLAGS) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/%.step.o: %.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(CPPFLAGS) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link -Dmain=faketcp_step_main -c -o $@ $<

$(FUZZ_BUILD)/ip_icmp_fuzzer: tests/fuzz/packet_fuzzer.cc $(FUZZ_SHARED)
	$(FUZZ_CXX) $(CPPFLAGS) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer -o $@ $(filter %.cc %.o,$^)

$(patsubst %,$(FUZZ_BUILD)/%_fuzzer,$(FUZZ_STEPS)): $(FUZZ_BUILD)/%_fuzzer: \
    tests/fuzz/packet_fuzzer.cc $(FUZZ_BUILD)/%.step.o $(FUZZ_SHARED)
	$(FUZZ_CXX) $(CPPFLAGS) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer -DFUZZ_STEP_HAS_TCP -o $@ $(filter %.cc %.o,$^)

$(FUZZ_BUILD)/connect_one_fuzzer: tests/fuzz/connect_one_fuzzer.cc \
    $(FUZZ_BUILD)/connectmany.step.o $(FUZZ_SHARED)
	$(FUZZ_CXX) $(CPPFLAGS) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer -o $@ $(filter %.cc %.o,$^)

$(FUZZ_BUILD)/echoall_fuzzer $(FUZZ_BUILD)/echoall_hardened_fuzzer $(FUZZ_BUILD)/discardall2_fuzzer: $(FUZZ_BUILD)/%_fuzzer: \
    tests/fuzz/echoall_fuzzer.cc $(FUZZ_BUILD)/%.step.o $(FUZZ_SHARED)
	$(FUZZ_CXX) $(CPPFLAGS) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer -DFUZZ_PROGRAM='"$*"' $(if $(filter echoall_hardened,$*),-DFUZZ_ECHOALL_HARDENED) $(if $(filter discardall2,$*),-DFUZZ_DISCARDALL2) -o $@ $(filter %.cc %.o,$^)

# Seeds: a few packets built by hand, plus every packet of the pcap
# fixtures (tests/fixtures/*.pcap) when there are any.
$(FUZZ_BUILD)/make_seeds: tests/fuzz/make_seeds.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) -std=c++17 -O1 $(WARNINGS) -o $@ $< -lpcap

fuzz-build: $(FUZZ_BINS) $(FUZZ_BUILD)/make_seeds

fuzz: fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-build
-include $(wildcard $(FUZZ_BUILD)/*.d $(FUZZ_BUILD)/tooling/*.d)
