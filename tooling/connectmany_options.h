// tooling/connectmany_options.h - what connectmany has beyond the article,
// linked into connectmany alone: the checks of IP PORT COUNT, the options
// -q, -w N and -x with what they do (the progress line, connect_window, the
// exit status), and how stdout is buffered.  Step 5 is connectmany.cc,
// readable beside the article without any of this; this is what lets the
// same program make a million connections and be measured (make bench):
//                                    tests/bin/holdserver -w 64 2007
//                                    ./connectmany -q -w 64 192.168.0.1 2007 1000000
#pragma once

#include "faketcp.h"          // SocketAddr
#include "tooling/options.h"  // ExtraOptions

#include <stdint.h>

// -q, -w N and -x, set by parse_options_or_exit through kConnectmanyOptions.
extern bool quiet;           // -q: no line per packet
extern int in_flight;        // -w N: handshakes in flight; 1 is the article's way
extern bool exit_when_done;  // -x, --exit: exit after connecting
extern const ExtraOptions kConnectmanyOptions;

// Checks IP PORT COUNT (args[0..2]) and that COUNT source addresses just
// above IP fit inside the tunnel's network hostaddr.  Exits 2 after printing
// what is wrong and usage to stderr; else sets *port and *count.
void check_args_or_exit(char* args[], const char* hostaddr, const char* usage,
                        int* port, int* count);

// Chooses how stdout is buffered and whether a progress line is drawn, once
// the options are read.
void output_setup();

// The progress line on stderr (-q, or stdout into a file, and stderr a
// terminal), redrawn at most four times a second; progress_clear erases it.
void progress_print(long established, long done, long count, int64_t start);
void progress_clear();

// -w N: connect_many's handshakes, in_flight of them at a time.  Prints the
// summary line and returns how many handshakes completed.  Exits 1 when the
// tun fd fails, as wait_answer does.
int connect_window(int fd, const char* ipstr, int port, int count);

// -x: exits, with status 0 when all_established, else 1.  Returns without -x.
void exit_if_asked(int fd, bool all_established);

// ---------------------------------------------------------------- from connectmany.cc
// The step's own pieces that the window runs as connect_many does.
extern const int kFirstPort;     // connection i: source port kFirstPort + i % kPortsPerAddr,
extern const int kPortsPerAddr;  // address server + 1 + i / kPortsPerAddr
extern const int kSynTimeoutMs;  // how long a SYN waits for its answer
int64_t now_ms();
void tcp_send_syn(int fd, uint32_t daddr, uint16_t dport, uint32_t saddr, uint16_t sport);
bool wait_answer(int fd, int64_t deadline, SocketAddr* from, bool* accepted);
void summary_print(long established, long count, int64_t start);
void no_answer_print(const char* ipstr, int port);
