// echoall_hardened.cc - echoall (step 6) made safe to leave running: what a
// flood or a vanished client can do to its table, and the speed options.
// `diff echoall.cc echoall_hardened.cc` is that lesson (docs/syncookies.md):
//   SYN cookies               a SYN leaves no state (SipHash, tooling/siphash.h)
//   -c N, -t SECONDS          when full, the longest idle goes; an idle one is reset
//   --mss, --window, -K       MSS 1460 by default, window scaling, TUN offload
//
// Read its source, then run it as:   sudo ./echoall_hardened
//   (or, leaving the host alone: scripts/netns bash, then ./echoall_hardened & in it)
// It responds to:                    nc 192.168.0.2 2007     (every line typed comes back)
//                                    ss -tn                  (ESTAB; Send-Q drains to 0)
//                                    ping 192.168.0.2        (answered, as in step 1)
#include "faketcp.h"
#include "tooling/cmdline.h"
#include "tooling/echo_bounds.h"   // -c N, -t SECONDS
#include "tooling/siphash.h"       // siphash, the hash in our SYN cookies
#include "tooling/speed.h"         // --mss, --window, -K
#include "tooling/tcp_options.h"   // syn_wscale
#include "tooling/tunio.h"

#include <algorithm>  // std::swap, std::min
#include <iterator>   // std::next
#include <map>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>  // getrandom

static const char kAbout[] =
  "  An echo server (RFC 862) on every port of every address: the bytes of each\n"
  "  connection come back in order, as in discardall plus a std::map<SocketAddr,\n"
  "  TcpState> that remembers the sequence numbers of each connection.\n"
  "  A SYN leaves no state: the SYN+ACK carries a SYN cookie, and a connection\n"
  "  gets its entry when the final ACK hands the cookie back.  At most 4096\n"
  "  connections (-c): when full, the longest idle is reset; one idle 300 s (-t)\n"
  "  is reset when the next connection is made.  (docs/syncookies.md)\n"
  "  每个地址、每个端口上的 echo 服务 (RFC 862)：每个连接收到的字节按序原样发回；\n"
  "  在 discardall 的基础上用 std::map<SocketAddr, TcpState> 记住每个连接的序号。\n"
  "  SYN 不留任何状态：SYN+ACK 带着 SYN cookie，最后的 ACK 交回 cookie 时连接才入表。\n"
  "  最多 4096 个连接：表满时重置空闲最久的；空闲 300 秒的在下一个连接建立时重置。\n";

// What we remember about one connection, in RFC 793's names (section 3.2).
//
// The echo is the received stream, byte for byte: the byte that arrived as
// sequence number s goes back as s + (iss - irs), a fixed offset, and
// snd_nxt - rcv_nxt is that offset at every moment.  Everything we send
// mirrors the peer across it: our data is its data, our ACK is its ACK (its
// byte is acknowledged once its echo is), our window is its window (it never
// sends more than it can take back).  We keep no copy of what we sent: if an
// echo is lost, its bytes are not acknowledged, the peer sends them again, and
// we echo them again.  Reliability without a buffer or a timer, paid for by
// one more round trip before the peer may free its send buffer.
struct TcpState
{
  uint32_t rcv_nxt;  // the peer's next new byte; every byte before it was echoed
  uint32_t snd_nxt;  // our next new byte: rcv_nxt + the offset
  uint32_t snd_una;  // our oldest byte the peer has not acknowledged
  uint32_t snd_wnd;  // the peer's window: we may send up to snd_una + snd_wnd
  bool fin;          // the peer's FIN came, and went back as our FIN
  uint8_t snd_wscale;  // the peer's window field is in units of 2^snd_wscale bytes,
  uint8_t rcv_wscale;  // ours in units of 2^rcv_wscale (RFC 7323; both 0 unless --window, -K)
  int64_t last_ms;   // when its last segment came (now_ms): how long it has been idle
};

// The four numbers of a connection name its state.  Only a connection whose
// handshake completed has an entry: a SYN leaves nothing behind (see
// syn_cookie), so a flood of SYNs from made-up addresses costs no memory.
// The end of the FIN exchange, a RST, or tcp_make_room removes it.
static std::map<SocketAddr, TcpState> connections;

// The options main read: the table's bounds, -c N and -t SECONDS
// (tooling/echo_bounds.h; tcp_make_room applies them), and --mss, --window,
// -K (tooling/speed.h).  Our SYN+ACK announces MSS 1460, or --mss N, and no
// SACK or timestamps, so the peer sends none.  Nor a window scale, unless
// --window or -K asks for a window over 65535: then both window fields are
// scaled, each by the shift its sender announced.
static EchoBounds bounds;
static SpeedOptions speed = { 1460, 65535 };  // default_mss, default_window

// What the tests and the fuzzer see of the table, its size, and how they
// set the options as main's command line does (and to -t 0, which -t
// refuses: then every idle entry is too old).
size_t tcp_connections() { return connections.size(); }
EchoBounds* echoall_bounds() { return &bounds; }
SpeedOptions* echoall_speed() { return &speed; }

// Sequence numbers wrap at 2^32: a is before b when b - a is "positive" as
// a 32-bit signed number (RFC 1982; the kernel's before()).
static bool seq_before(uint32_t a, uint32_t b)
{
  return static_cast<int32_t>(a - b) < 0;
}

// Milliseconds on a clock nobody can set back (CLOCK_MONOTONIC).
static int64_t now_ms()
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// The ISN of the SYN+ACK answering a SYN with sequence number irs from key,
// at cookie time t, carrying `scale` (0..15, see syn_scale), and its check
// on the final ACK, which gives `scale` back: see the SYN cookies section
// at the end of this file.
uint32_t cookie_time(int64_t now);
uint32_t syn_cookie(const SocketAddr& key, uint32_t irs, uint32_t t, uint32_t scale = 0);
bool syn_cookie_check(const SocketAddr& key, uint32_t irs, uint32_t cookie, uint32_t t,
                      uint32_t* scale = nullptr);

// What a connection's window scaling will be, decided by its SYN and kept
// in its cookie: 0 when it has none (the SYN offered none, or we need
// none), else 1 + the shift the SYN announced.
static uint32_t syn_scale(const struct tcphdr* syn)
{
  const int wscale = syn_wscale(syn);
  return window_shift(speed) > 0 && wscale >= 0 ? 1 + wscale : 0;
}

// The window field we send on a connection: the peer's own window (the
// mirror, see TcpState), at most window_bytes(speed), in our units.
static uint32_t rcv_window(const TcpState& st)
{
  return std::min<uint32_t>(st.snd_wnd, window_bytes(speed)) >> st.rcv_wscale;
}

// Before a new entry: resets the connections idle longer than
// -t SECONDS, then, if the table is still full (-c N), the longest-idle one.
static void tcp_make_room(int fd, int64_t now);

// Sends seq, ack, flags (TH_SYN, TH_ACK, ... of <netinet/tcp.h>), window and
// len bytes of data back to whoever sent iphdr/tcphdr, addresses swapped.  A
// SYN+ACK carries our options (synack_options: the MSS, and a window scale
// with --window or -K).
static void tcp_reply(int fd, const struct iphdr* iphdr, const struct tcphdr* tcphdr,
                      uint32_t seq, uint32_t ack, int flags, uint32_t window,
                      const unsigned char* data, int len);

// Answers a SYN with SYN+ACK, echoes every byte in order back to its sender,
// answers a FIN with our own FIN, and a segment of no known connection with
// RST; prints every segment.  See TcpState for the one idea behind it.
void tcp_input(int fd, const void* input, const void* payload, int tot_len)
{
  const struct iphdr* iphdr = static_cast<const struct iphdr*>(input);
  const int iphdr_len = iphdr->ihl * 4;
  const int tcp_seg_len = tot_len - iphdr_len;
  if (!tcp_check(payload, tcp_seg_len))
  {
    bad_packet("TCP segment shorter than its header (doff)", input, tot_len);
    return;
  }
  const struct tcphdr* tcphdr = static_cast<const struct tcphdr*>(payload);
  const int tcphdr_len = tcphdr->doff * 4;
  const int payload_len = tcp_seg_len - tcphdr_len;

  tcp_print(iphdr, tcphdr, payload_len);

  const SocketAddr key = { iphdr->saddr, iphdr->daddr, tcphdr->source, tcphdr->dest };
  const uint32_t seq = ntohl(tcphdr->seq);
  const uint32_t ack = ntohl(tcphdr->ack_seq);
  const uint32_t window = ntohs(tcphdr->window);
  const unsigned char* data = static_cast<const unsigned char*>(payload) + tcphdr_len;
  const int64_t now = now_ms();

  if (tcphdr->rst)
  {
    connections.erase(key);  // RFC 793: a RST is never answered
    return;
  }
  if (tcphdr->syn)
  {
    // A new connection, or the same SYN again because our SYN+ACK was lost:
    // answer it, and remember nothing.  Our ISN is a SYN cookie: what the
    // final ACK must prove (that it saw this SYN+ACK) rides in it, so no
    // entry waits for that ACK.  A SYN of a connection we hold means its
    // peer started over: the old one is gone.  A SYN's window is never
    // scaled (RFC 7323 section 2.2), nor is ours in reply.
    connections.erase(key);
    const uint32_t cookie = syn_cookie(key, seq, cookie_time(now), syn_scale(tcphdr));
    tcp_reply(fd, iphdr, tcphdr, cookie, seq + 1, TH_SYN | TH_ACK,
              std::min<uint32_t>(window, window_bytes(speed)), nullptr, 0);
    return;
  }

  auto it = connections.find(key);
  uint32_t scale = 0;
  if (it == connections.end() && tcphdr->ack &&
      syn_cookie_check(key, seq - 1, ack - 1, cookie_time(now), &scale))
  {
    // The handshake's last ACK (maybe with data): it acknowledges our
    // cookie, so its sender had our SYN+ACK.  Only now an entry, as if our
    // SYN had just been acknowledged.  Its window is scaled when the cookie
    // says both ends announced a scale (RFC 7323 section 2.2).
    tcp_make_room(fd, now);
    const uint8_t snd_wscale = scale ? static_cast<uint8_t>(scale - 1) : 0;
    const uint8_t rcv_wscale = scale ? static_cast<uint8_t>(window_shift(speed)) : 0;
    const TcpState st = { seq, ack, ack, window << snd_wscale, false, snd_wscale, rcv_wscale, now };
    it = connections.insert({ key, st }).first;
  }
  if (it == connections.end())
  {
    // RFC 9293 section 3.5.2, Reset Generation: with an ACK field, the reset
    // "takes its sequence number from the ACK field"; without, seq 0 and ack
    // = seq + the segment's length, in which a SYN and a FIN count one each.
    if (tcphdr->ack)
      tcp_reply(fd, iphdr, tcphdr, ack, 0, TH_RST, 0, nullptr, 0);
    else
      tcp_reply(fd, iphdr, tcphdr, 0, seq + payload_len + tcphdr->syn + tcphdr->fin,
                TH_RST | TH_ACK, 0, nullptr, 0);
    return;
  }
  TcpState& st = it->second;
  if (!tcphdr->ack)
    return;  // RFC 793: "if the ACK bit is off drop the segment"
  st.last_ms = now;

  const uint32_t offset = st.snd_nxt - st.rcv_nxt;  // iss - irs, see TcpState
  bool send_ack = false;
  if (seq_before(st.snd_nxt, ack))
    send_ack = true;  // it acknowledges what we never sent: answer with an ACK, drop it
  else
  {
    // A newer ACK moves snd_una and brings the peer's window, and the peer
    // should hear of it: its bytes whose echo it holds are acknowledged now.
    if (!seq_before(ack, st.snd_una))
    {
      const uint32_t wnd = window << st.snd_wscale;
      send_ack = ack != st.snd_una || wnd != st.snd_wnd;
      st.snd_una = ack;
      st.snd_wnd = wnd;
    }
    // The peer's bytes before `acked` are back with it, acknowledged: done.
    // Any after it are echoed at their own place, in order or not (the peer's
    // out-of-order queue holds them, RFC 9293 3.10.7.4); if they come again,
    // their echo was lost: echoed again, an echoed FIN too, or the close waits.
    const uint32_t acked = st.snd_una - offset;
    const int fin = tcphdr->fin;
    if (payload_len == 0 && !fin)
      send_ack |= seq_before(seq, st.rcv_nxt);  // a keep-alive or window probe: answer it
    else if (st.fin && seq_before(st.rcv_nxt, seq + payload_len + fin))
      send_ack = true;  // past the FIN: echo nothing, say where we are
    else if (!seq_before(acked, seq + payload_len + fin))
      send_ack = true;  // a duplicate whose echo the peer has already acknowledged
    else
    {
      // Skip what the peer has back, echo what fits in its window (a refused
      // write is a lost echo); its ACK of the echo will move `acked`.
      const int skip = seq_before(seq, acked) ? static_cast<int>(acked - seq) : 0;
      const uint32_t echo_seq = seq + skip + offset;
      const uint32_t in_flight = echo_seq - st.snd_una;
      const int room = st.snd_wnd > in_flight ? static_cast<int>(st.snd_wnd - in_flight) : 0;
      const int len = std::min(payload_len - skip, room);
      const bool echo_fin = fin && len == payload_len - skip;
      if (len == 0 && !echo_fin)
        send_ack = true;  // its window is full: drop the bytes, it sends them again
      else
      {
        const int flags = TH_ACK | (len > 0 ? TH_PUSH : 0) | (echo_fin ? TH_FIN : 0);
        tcp_reply(fd, iphdr, tcphdr, echo_seq, acked, flags, rcv_window(st), data + skip, len);
        const uint32_t end = seq + skip + len + echo_fin;
        st.rcv_nxt = seq_before(st.rcv_nxt, end) ? end : st.rcv_nxt;  // never back
        st.snd_nxt = st.rcv_nxt + offset;
        st.fin = st.fin || echo_fin;
        send_ack = false;  // the echo carried the ACK
      }
    }
  }

  if (send_ack)
    tcp_reply(fd, iphdr, tcphdr, st.snd_nxt, st.snd_una - offset, TH_ACK, rcv_window(st),
              nullptr, 0);

  // Both FINs are acknowledged (the ACK just sent covers the peer's): the
  // connection is over, and so is its entry.
  if (st.fin && st.snd_una == st.snd_nxt)
    connections.erase(it);
}

// tcp_reply, declared above tcp_input: one segment, built from zero.
static void tcp_reply(int fd, const struct iphdr* iphdr, const struct tcphdr* tcphdr,
                      uint32_t seq, uint32_t ack, int flags, uint32_t window,
                      const unsigned char* data, int len)
{
  struct
  {
    struct iphdr iphdr;
    struct tcphdr tcphdr;
    unsigned char data[IP_MAXPACKET - 20 - 20];  // what we echo
  } out;
  static_assert(offsetof(decltype(out), data) == 20 + 20, "IP header then TCP header, no padding");
  memset(&out, 0, sizeof out.iphdr + sizeof out.tcphdr);

  // None but a SYN+ACK's: the MSS, and a window scale when we scale.
  const int options_len = (flags & TH_SYN) ? synack_options(speed, tcphdr, out.data) : 0;
  const int tcp_seg_len = static_cast<int>(sizeof out.tcphdr) + options_len + len;
  const int tot_len = static_cast<int>(sizeof out.iphdr) + tcp_seg_len;  // at most what came in

  // IP header: the segment's own, addresses swapped, options dropped.
  memcpy(&out.iphdr, iphdr, sizeof out.iphdr);
  out.iphdr.ihl = sizeof out.iphdr / 4;
  out.iphdr.tot_len = htons(static_cast<uint16_t>(tot_len));
  std::swap(out.iphdr.saddr, out.iphdr.daddr);
  out.iphdr.check = 0;
  out.iphdr.check = in_checksum(&out.iphdr, sizeof out.iphdr);

  out.tcphdr.source = tcphdr->dest;
  out.tcphdr.dest = tcphdr->source;
  out.tcphdr.seq = htonl(seq);
  out.tcphdr.ack_seq = htonl(ack);
  out.tcphdr.doff = (sizeof out.tcphdr + options_len) / 4;
  out.tcphdr.fin = (flags & TH_FIN) != 0;
  out.tcphdr.syn = (flags & TH_SYN) != 0;
  out.tcphdr.rst = (flags & TH_RST) != 0;
  out.tcphdr.psh = (flags & TH_PUSH) != 0;
  out.tcphdr.ack = (flags & TH_ACK) != 0;
  out.tcphdr.window = htons(static_cast<uint16_t>(std::min<uint32_t>(window, 65535)));

  if (len > 0)
    memcpy(out.data + options_len, data, len);

  out.tcphdr.check = tcp_checksum(&out.iphdr, &out.tcphdr, tcp_seg_len);
  tun_write(fd, &out, tot_len);
}

// ---------------------------------------------------------------- bounded state

// Drops the entry at `it` with a RST to its peer, as a real stack aborts a
// connection (RFC 793 section 3.4: a RST "aborts the connection"): if the
// peer is still there, it learns at once that its connection is gone, and
// its next write fails instead of waiting for an echo that never comes.
// The RST carries our snd_nxt, the peer's rcv_nxt once every echo arrived.
static void tcp_drop(int fd, std::map<SocketAddr, TcpState>::iterator it, const char* why,
                     int64_t idle_ms)
{
  const SocketAddr& key = it->first;
  // tcp_reply answers a segment: make the one this connection's peer sends.
  struct iphdr ip;
  memset(&ip, 0, sizeof ip);
  ip.version = 4;
  ip.ihl = sizeof ip / 4;
  ip.ttl = 64;
  ip.protocol = IPPROTO_TCP;
  ip.saddr = key.saddr;
  ip.daddr = key.daddr;
  struct tcphdr tcp;
  memset(&tcp, 0, sizeof tcp);
  tcp.source = key.sport;
  tcp.dest = key.dport;
  char peer[INET_ADDRSTRLEN], us[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &key.saddr, peer, sizeof peer);
  inet_ntop(AF_INET, &key.daddr, us, sizeof us);
  printf("reset %s.%u > %s.%u: %s, idle %lld ms\n", us, ntohs(key.dport), peer,
         ntohs(key.sport), why, static_cast<long long>(idle_ms));
  tcp_reply(fd, &ip, &tcp, it->second.snd_nxt, 0, TH_RST, 0, nullptr, 0);
  connections.erase(it);
}

// One walk of the table, only when a connection is about to be added:
// with at most -c N entries that is a few microseconds, paid
// once a handshake, never once a packet.
static void tcp_make_room(int fd, int64_t now)
{
  auto oldest = connections.end();
  for (auto it = connections.begin(); it != connections.end();)
  {
    auto next = std::next(it);
    const int64_t idle = now - it->second.last_ms;
    if (idle > bounds.idle_timeout_s * 1000)
      tcp_drop(fd, it, "idle timeout", idle);
    else if (oldest == connections.end() || it->second.last_ms < oldest->second.last_ms)
      oldest = it;  // the longest idle so far; ties: the first in the table
    it = next;
  }
  if (connections.size() >= static_cast<size_t>(bounds.max_connections) &&
      oldest != connections.end())
    tcp_drop(fd, oldest, "table full, longest idle", now - oldest->second.last_ms);
}

// ---------------------------------------------------------------- SYN cookies
//
// RFC 4987 section 3.6: "SYN cookies ... the cookie is encoded in the ISN
// of the SYN-ACK ... the responder's state is reconstructed from the
// cookie upon receipt of the final ACK", so "the responder does not need
// to store any state for half-open connections".  Ours, in 32 bits:
//
//    31      24 23                                 0
//   +----------+------------------------------------+
//   |    t     | SipHash(secret; 4 numbers, irs, t) |   t: minutes, mod 256
//   +----------+------------------------------------+
//
// The final ACK acknowledges cookie + 1 with seq irs + 1, so both come back
// for the check: t must be at most kCookieMaxAge minutes old, and the hash
// must match, which without the secret is one chance in 2^24 a guess.
// Linux does the same (net/ipv4/syncookies.c: a counter of minutes, at most
// 2 old, and a SipHash of the four numbers), and also packs the peer's MSS
// into 2 bits; we need no MSS, since an echo is never longer than the
// segment it answers.  What Linux keeps while it can, and we never keep,
// are the SYN's options (SACK, window scale, timestamps): we announce none.
//
// But one, with --window or -K: the peer's window scale (syn_scale), 0 for
// none or 1 + its shift, 0..15.  It rides in the hash bits as Linux's MSS
// index does: they hold hash + scale (mod 2^24), and the check subtracts
// the hash and finds the scale.  A guess then succeeds one time in 2^20
// (16 scales of 2^24); without --window only scale 0 is good, one in 2^24.

static const uint32_t kCookieMaxAge = 2;  // minutes, Linux's MAX_SYNCOOKIE_AGE

// 16 random bytes, drawn once (getrandom(2), the kernel's own generator):
// whoever knows them could forge cookies, so they never leave the process.
static const unsigned char* cookie_secret()
{
  static unsigned char secret[16];
  static bool drawn = false;
  if (!drawn)
  {
    if (getrandom(secret, sizeof secret, 0) != static_cast<ssize_t>(sizeof secret))
    {
      perror("getrandom for the SYN cookie secret (needs Linux 3.17 or later)");
      exit(1);
    }
    drawn = true;
  }
  return secret;
}

// The cookie clock: minutes since boot, as Linux's tcp_cookie_time(); the
// 8 bits that fit in the cookie.
uint32_t cookie_time(int64_t now)
{
  return static_cast<uint32_t>(now / 60000) & 0xff;
}

uint32_t syn_cookie(const SocketAddr& key, uint32_t irs, uint32_t t, uint32_t scale)
{
  t &= 0xff;
  unsigned char msg[sizeof key + 4 + 4];
  memcpy(msg, &key, sizeof key);
  memcpy(msg + sizeof key, &irs, 4);
  memcpy(msg + sizeof key + 4, &t, 4);
  const uint32_t hash = static_cast<uint32_t>(siphash(cookie_secret(), msg, sizeof msg));
  return t << 24 | ((hash + scale) & 0xffffff);
}

// True when cookie is what syn_cookie gave key and irs at most kCookieMaxAge
// minutes before t, with a scale we could have given (0 unless we scale);
// then *scale (when not null) is that scale.
bool syn_cookie_check(const SocketAddr& key, uint32_t irs, uint32_t cookie, uint32_t t,
                      uint32_t* scale)
{
  const uint32_t then = cookie >> 24;
  const uint32_t age = (t - then) & 0xff;
  if (age > kCookieMaxAge)
    return false;
  const uint32_t found = (cookie - syn_cookie(key, irs, then)) & 0xffffff;
  const uint32_t most = window_shift(speed) > 0 ? 15 : 0;  // 1 + 14, RFC 7323's largest shift
  if (found > most)
    return false;
  if (scale)
    *scale = found;
  return true;
}

int main(int argc, char* argv[])
{
  TunOptions opt;
  OptionTable table(kAbout);
  tun_options_add(&table, &opt);
  echo_bounds_add(&table, &bounds);               // -c N, -t SECONDS
  speed_options_add(&table, &speed, kSpeedBasic);  // --mss N, --window BYTES, -K
  table.parse_or_exit(argc, argv);
  setvbuf(stdout, nullptr, _IOLBF, 0);  // a line per packet, even into a pipe or | tee

  int fd = tun_alloc(opt.ifname, opt.addr, opt.netmask);
  if (fd < 0)
  {
    fprintf(stderr, "tunnel interface allocation failed\n");
    exit(1);
  }
  if (!tun_speed_setup(fd, opt.ifname, speed))  // -K, --window (docs/faster.md)
    exit(1);
  printf("allocated tunnel interface %s\n", opt.ifname);

  for (;;)
  {
    union
    {
      unsigned char buf[IP_MAXPACKET];
      struct iphdr iphdr;
    };

    int nread = tun_read(fd, buf, sizeof buf);
    if (nread < 0)
    {
      perror("read from tunnel interface");
      close(fd);
      exit(1);
    }
    printf("read %d bytes from tunnel interface %s.\n", nread, opt.ifname);

    ip_input(fd, buf, nread, tcp_input);
  }
  return 0;
}
