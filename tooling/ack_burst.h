// tooling/ack_burst.h - discardall_fast --ack-burst: one ACK per burst of
// segments instead of one per segment (docs/faster.md).  Linked into
// discardall_fast alone; every other program reads and writes with
// tun_read and tun_write (tooling/tunio.h), which know nothing of it.
#pragma once

// Keeps `buf` to write later when it is a bare ACK
// (IPv4, TCP, the ACK flag, no SYN, FIN or RST, no payload) of at most 64
// bytes; writes anything else at once, as tun_write does.  A later ACK of
// the same connection (addresses and ports) takes the kept one's place when
// it acknowledges more (`(int32_t)(new - old) > 0`, sequence numbers wrap);
// one that acknowledges no more is dropped.  What is kept is written, in
// the order it was first kept, by the next tun_write_later of anything but a bare ACK, by tun_read_burst when
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

// --ack-burst: stdout becomes fully buffered, and tun_read_burst writes what it
// holds when it writes the kept ACKs, before it waits: one write() per burst
// for the console lines too, instead of one per line.  Call it before the
// first line is printed.
void tun_buffer_console();

// Writes the ACKs tun_write_later kept, now.  Returns false when a write
// failed.
bool tun_flush();

// tun_read for --ack-burst, on a non-blocking tun fd (tun_nonblock,
// tooling/tundev.h; tun_speed_setup sets it for --ack-burst): reads the next
// packet; when none waits (read() says EAGAIN), the burst is over: writes
// the kept ACKs and console lines, then waits in poll() up to `wait_ms`
// (-1: as long as it takes) and reads again.  So a burst of segments costs
// one read() each and one more that finds the queue empty; asking poll()
// before every read() would cost a system call a segment.  Returns what
// the last read() returned: -1 with errno EAGAIN when nothing came within
// `wait_ms`.
int tun_read_burst(int fd, void* buf, int size, int wait_ms = -1);
