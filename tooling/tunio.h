// tooling/tunio.h - read() and write() on the tun fd, with the copy of every
// packet that --pcap asks for.  Tooling, not the lesson: the article calls
// read() and write() directly; these do the same, plus the capture file.
//
// The bottom floor: it includes nothing of the project.  faketcp.cc (the
// lesson) writes through tun_write; tooling/options.cc opens the capture.
#pragma once

// read() on the tun fd, copying the packet to the --pcap file if one is
// open.  Returns what read() returned.  When tun_write_later keeps ACKs
// and nothing waits to be read (poll), writes them first.
int tun_read(int fd, void* buf, int size);

// write() on the tun fd, copying the packet to the --pcap file if one is
// open.  Prints a line and returns false when the kernel refuses the packet.
// ACKs that tun_write_later keeps are written first, so that the packets
// leave in the order the program made them.
bool tun_write(int fd, const void* buf, int len);

// discardall --ack-burst: keeps `buf` to write later when it is a bare ACK
// (IPv4, TCP, the ACK flag, no SYN, FIN or RST, no payload) of at most 64
// bytes; writes anything else at once, as tun_write does.  A later ACK of
// the same connection (addresses and ports) takes the kept one's place when
// it acknowledges more (`(int32_t)(new - old) > 0`, sequence numbers wrap);
// one that acknowledges no more is dropped.  What is kept is written, in
// the order it was first kept, by the next tun_write, by tun_read when
// nothing waits in the queue (before it blocks), or by tun_flush.  At most
// 16 connections wait at once: a 17th writes the 16 first.  Returns false
// when a write failed (tun_write's line says why).
//
// So a burst of segments waiting in tun0's queue gets one ACK, for its last
// byte, once the program has read them all: a "stretch ACK", as the kernel
// sends when GRO hands its TCP one aggregate of many segments.  RFC 1122
// 4.2.3.2 and RFC 5681 4.2 say a receiver SHOULD ACK at least every second
// full-sized segment; this goes beyond that, on purpose.  It is safe with a
// sender that grows its window by what an ACK covers, not by how many ACKs
// arrive: Linux counts the segments an ACK covers (net/ipv4/tcp_cong.c,
// tcp_slow_start: "a stretch ACK of degree N as if N ACKs of degree 1"),
// RFC 3465 counts bytes (in slow start at most 2 segments' worth an ACK: a
// slower start, never a wrong one).  The ACK still goes within RFC 5681's
// 500 ms: it waits only while segments wait in the queue, and a sender
// stops when its window is full, so the queue empties (docs/faster.md).
bool tun_write_later(int fd, const void* buf, int len);

// --ack-burst: stdout becomes fully buffered, and tun_read writes what it
// holds when it writes the kept ACKs, before it waits: one write() per burst
// for the console lines too, instead of one per line.  Call it before the
// first line is printed.
void tun_buffer_console();

// Writes the ACKs tun_write_later kept, now.  Returns false when a write
// failed.
bool tun_flush();

// ip link set DEV txqueuelen N (SIOCSIFTXQLEN): how many packets the kernel
// may queue on the device for us to read before it drops the next.
// Returns false after printing why when the kernel refuses.
bool tun_txqueuelen(const char* dev, int packets);

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
