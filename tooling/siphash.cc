// tooling/siphash.cc - see siphash.h.  Written from the paper's
// description (section 2); the test vectors of its appendix A are in
// tests/echoall_unittest.cc.
#include "tooling/siphash.h"

static uint64_t rotl(uint64_t x, int b)
{
  return (x << b) | (x >> (64 - b));
}

static uint64_t load_le64(const unsigned char* p, size_t n)  // n <= 8 bytes, little-endian
{
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

uint64_t siphash(const unsigned char key[16], const unsigned char* msg, size_t len)
{
  const uint64_t k0 = load_le64(key, 8), k1 = load_le64(key + 8, 8);
  uint64_t v0 = 0x736f6d6570736575 ^ k0, v1 = 0x646f72616e646f6d ^ k1;  // "somepseudorandomly
  uint64_t v2 = 0x6c7967656e657261 ^ k0, v3 = 0x7465646279746573 ^ k1;  //  generatedbytes"
  auto rounds = [&](int n) {
    for (int i = 0; i < n; ++i)
    {
      v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
      v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
      v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
      v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
    }
  };
  const size_t whole = len - len % 8;
  for (size_t i = 0; i < whole; i += 8)
  {
    const uint64_t m = load_le64(msg + i, 8);
    v3 ^= m;
    rounds(2);
    v0 ^= m;
  }
  const uint64_t last = static_cast<uint64_t>(len) << 56 | load_le64(msg + whole, len % 8);
  v3 ^= last;
  rounds(2);
  v0 ^= last;
  v2 ^= 0xff;
  rounds(4);
  return v0 ^ v1 ^ v2 ^ v3;
}
