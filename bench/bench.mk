# make bench: connectmany_window against a bare loop and the kernel's own client, at
# 10,000, 100,000 and 1,000,000 connections, in a private namespace (root).
# Prints a table and writes docs/bench/results.md and docs/bench/connections.png.
#   make bench BENCH_N="10000 100000"     fewer sizes, for a quick look
BENCH_TOOLS := $(BUILD)/bench/bareloop $(BUILD)/bench/kernelconnect

$(BUILD)/bench/%: bench/%.cc $(SHARED)
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(LDFLAGS) -o $@ $(filter %.cc %.o,$^) $(LDLIBS)

bench: all tools $(BENCH_TOOLS)
	FAKETCP_BIN=$(if $(BINPREFIX),$(BINPREFIX),.) FAKETCP_BUILD=$(BUILD) bench/run.sh

.PHONY: bench
-include $(BENCH_TOOLS:=.d)

# make bench-throughput: how many MiB/s one TCP stream (and four) push
# through discardall and echoall, against the kernel's own TCP on
# 127.0.0.1, in a private namespace (root).  Writes docs/bench/throughput.md
# and docs/bench/throughput.png (docs/bench.md, "Throughput").
#   make bench-throughput BENCH_BYTES=1G     the documented run (default 128M)
# Its sender is tests/bin/tcpsend (make tools), which tests/integration/faster.sh runs too.
THROUGHPUT_TOOLS := $(BUILD)/bench/loopserver

bench-throughput: all tools $(THROUGHPUT_TOOLS)
	FAKETCP_BIN=$(if $(BINPREFIX),$(BINPREFIX),.) FAKETCP_BUILD=$(BUILD) bench/throughput.sh

.PHONY: bench-throughput
-include $(THROUGHPUT_TOOLS:=.d)

# make bench-overflow: connectmany_window -x at 1,000,000 connections, one at a time
# and 64 in flight, against a holdserver whose accept queues overflow now and
# then (listen backlog 511, 2 ms per accept), in a private namespace (root):
# every SYN the server's kernel drops is sent again, and all N get through.
# Writes docs/bench/overflow.md (docs/bench.md, "A server that overflows").
#   make bench-overflow BENCH_N=100000 BENCH_SERVER="-l 64 -d 2"
bench-overflow: all tools
	FAKETCP_BIN=$(if $(BINPREFIX),$(BINPREFIX),.) bench/overflow.sh

.PHONY: bench-overflow
