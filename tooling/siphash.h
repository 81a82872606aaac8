// tooling/siphash.h - SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast
// short-input PRF", 2012), the keyed hash inside echoall's SYN cookies
// (docs/syncookies.md), the one Linux's own cookies use since 4.13.
// Tooling, not the lesson: what the lesson needs is a hash that an attacker
// without the key cannot predict; how SipHash mixes its bits is another course.
#pragma once

#include <stddef.h>
#include <stdint.h>

// The 64-bit SipHash-2-4 of len bytes at msg under the 16-byte key.
uint64_t siphash(const unsigned char key[16], const unsigned char* msg, size_t len);
