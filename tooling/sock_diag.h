// tooling/sock_diag.h - discardall2 --kernel-state: the sending socket's
// state as the kernel reports it through sock_diag (NETLINK_SOCK_DIAG,
// inet_diag: what `ss -ti` reads), one request per segment, from the program
// itself.  Running ss per segment would delay each ACK by tens of ms and turn
// a fast retransmission into a timeout.  Tooling, not the lesson.
#pragma once

#include <stdint.h>

// Opens the netlink socket; false after printing why (needs no root beyond
// what tun_alloc needs).  Replies are awaited at most 100 ms.
bool kernel_state_open();

// One line: "kernel: state ESTABLISHED, cwnd 10, ssthresh 6, rto 204 ms,
// rtt 0.128 ms, unacked 3, retrans 1" (ssthresh "unset" until the kernel
// sets one) of the TCP socket from saddr:sport to daddr:dport (network byte
// order, as in the IP and TCP headers), or "kernel: no socket ..." when the
// kernel has none.  True when it printed the socket's state.
bool kernel_state_print(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport);
