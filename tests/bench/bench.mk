# make bench: connectmany against a bare loop and the kernel's own client, at
# 10,000, 100,000 and 1,000,000 connections, in a private namespace (root).
# Prints a table and writes docs/bench/results.md and docs/bench/connections.png.
#   make bench BENCH_N="10000 100000"     fewer sizes, for a quick look
BENCH_TOOLS := $(BUILD)/bench/bareloop $(BUILD)/bench/kernelconnect

$(BUILD)/bench/%: tests/bench/%.cc $(SHARED)
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(LDFLAGS) -o $@ $(filter %.cc %.o,$^) $(LDLIBS)

bench: all tools $(BENCH_TOOLS)
	FAKETCP_BIN=$(if $(BINPREFIX),$(BINPREFIX),.) FAKETCP_BUILD=$(BUILD) tests/bench/run.sh

.PHONY: bench
-include $(BENCH_TOOLS:=.d)
