// tooling/tunio.h - read() and write() on the tun fd, with the copy of every
// packet that --pcap asks for.  Tooling, not the lesson: the article calls
// read() and write() directly; these do the same, plus the capture file.
//
// The bottom floor: it includes nothing of the project.  faketcp.cc (the
// lesson) writes through tun_write; tooling/cmdline.cc opens the capture.
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
