// tooling/tunio.h - read() and write() on the tun fd, with the copy of every
// packet that --pcap asks for.  Tooling, not the lesson: the article calls
// read() and write() directly; these do the same, plus the capture file.
//
// The bottom floor: it includes nothing of the project.  faketcp.cc (the
// lesson) writes through tun_write; tooling/options.cc opens the capture.
#pragma once

// read() on the tun fd, copying the packet to the --pcap file if one is
// open.  Returns what read() returned.
int tun_read(int fd, void* buf, int size);

// write() on the tun fd, copying the packet to the --pcap file if one is
// open.  Prints a line and returns false when the kernel refuses the packet.
bool tun_write(int fd, const void* buf, int len);

// Opens path as the capture file (pcap, link type RAW: packets start with
// their IP header) that every later tun_read and tun_write copy into.
// Returns false after printing why it could not.
bool pcap_open(const char* path);

// -K: asks the kernel to hand over TCP segments of up to 64 KB, as a network
// card with segmentation offload gets them (TUNSETOFFLOAD with TUN_F_CSUM |
// TUN_F_TSO4, as chenshuo/recipes faketcp does).  The TCP checksum of such a
// segment is left partial: it covers the pseudo-header only (docs/faster.md).
// Returns false after printing why when the kernel refuses.
bool tun_offload(int fd, const char* dev);

// --mtu N: ip link set DEV mtu N (SIOCSIFMTU).  The kernel then sends
// segments of up to N - 40 bytes to a peer whose MSS allows them, with their
// checksums complete, as over a link with jumbo frames (docs/faster.md).
// Returns false after printing why when the kernel refuses.
bool tun_mtu(const char* dev, int mtu);
