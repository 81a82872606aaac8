// tooling/tundev.h - what -K, --mtu and a long queue ask of the tun device
// once it is up: offload, its MTU, its queue length.  Tooling, not the
// lesson (docs/faster.md); the bottom floor, beside tooling/tunio.h.
#pragma once

// ip link set DEV txqueuelen N (SIOCSIFTXQLEN): how many packets the kernel
// may queue on the device for us to read before it drops the next.
// Returns false after printing why when the kernel refuses.
bool tun_txqueuelen(const char* dev, int packets);

// -K: asks the kernel to hand over TCP segments of up to 64 KB, as a network
// card with segmentation offload gets them (TUNSETOFFLOAD with TUN_F_CSUM |
// TUN_F_TSO4, as chenshuo/recipes faketcp does).  The TCP checksum of such a
// segment is left partial: it covers the pseudo-header only (docs/faster.md).
// Returns false after printing why when the kernel refuses.
bool tun_offload(int fd, const char* dev);

// --ack-burst: fcntl(fd, F_SETFL, O_NONBLOCK), so that a read() of an empty
// queue returns EAGAIN instead of waiting: how tun_read_burst
// (tooling/ack_burst.h) learns that a burst is over.  A write() into tun0
// never waits either way.  Returns false after printing why when fcntl fails.
bool tun_nonblock(int fd, const char* dev);

// --mtu N: ip link set DEV mtu N (SIOCSIFMTU).  The kernel then sends
// segments of up to N - 40 bytes to a peer whose MSS allows them, with their
// checksums complete, as over a link with jumbo frames (docs/faster.md).
// Returns false after printing why when the kernel refuses.
bool tun_mtu(const char* dev, int mtu);
