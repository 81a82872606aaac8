// discardall2.cc - discardall (step 4) with a memory: each connection's
// rcv_nxt, so a lost segment is seen as a hole, answered by a duplicate ACK,
// and a retransmission is recognized.  The sender is the real Linux kernel:
// --drop loses what it sends, --delay and --zero-window slow it down, and
// its recovery is there to watch (docs/discardall2.md).
// `diff discardall.cc discardall2.cc` is the lesson.
// chenshuo/recipes has it as faketcp/discardall2.cc; two of its defects are
// corrected here (docs/errata.md).
//
// Read its source, then run it as:   sudo ./discardall2 --drop 3
//   (or, leaving the host alone: scripts/netns bash, then ./discardall2 --drop 3 & in it)
// It responds to:                    head -c 20000 /dev/zero | nc -N 192.168.0.2 2000
//                                    ss -tni                 (retrans, cwnd, ssthresh)
//                                    ping 192.168.0.2        (answered, as in step 1)
#include "faketcp.h"
#include "tooling/cmdline.h"
#include "tooling/delay.h"  // --delay
#include "tooling/loss.h"   // --drop
#include "tooling/sock_diag.h"  // --kernel-state
#include "tooling/tunio.h"
#include "tooling/zero_window.h"  // --zero-window

#include <algorithm>  // std::swap
#include <map>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

static const char kAbout[] =
  "  As discardall, keeping each connection's rcv_nxt: a segment past a hole gets a\n"
  "  duplicate ACK, a retransmission is recognized; --drop loses segments on purpose.\n"
  "  同 discardall，但记住每个连接的 rcv_nxt：空洞之后的分节得到重复 ACK，\n"
  "  重传被识别出来；--drop 故意丢掉分节。\n";

// At most this many out-of-order ranges held per connection (see TcpState).
const int kMaxHeld = 8;

// What we remember about one connection, in RFC 793's names (section 3.2).
//
// The data is still thrown away, but we know where the stream is: rcv_nxt,
// the next byte we expect.  A segment that begins there is in order and
// moves it; one that begins past it means the bytes between were lost on the
// way; one that ends before it is a retransmission.
//
// Out of order data: we hold the ranges (not the bytes: we discard them) of
// up to kMaxHeld segments that came past a hole, so that when the hole is
// filled our ACK jumps over them, as a real receiver's does (RFC 9293
// 3.10.7.4: segments beyond rcv_nxt are "held for later processing").
// Without them the sender would go back N: every segment after the hole sent
// again, and a timeout for each loss among them (docs/discardall2.md).  The
// ranges are bounded, so a peer cannot grow them: a segment that finds all
// of them taken is not held, and comes again.
struct TcpState
{
  uint32_t rcv_nxt;            // the peer's next byte; every byte before it was acknowledged
  int dupacks;                 // duplicate ACKs of rcv_nxt sent in a row
  bool fin;                    // the peer's FIN came past a hole, at fin_seq
  uint32_t fin_seq;
  int nheld;                   // ranges held past rcv_nxt, [start, end) each
  uint32_t held_start[kMaxHeld];
  uint32_t held_end[kMaxHeld];
  LossState loss;              // --drop: what tooling/loss.cc counts (tooling, not the lesson)
  ZeroWindowState zero;        // --zero-window: where its window closes (tooling/zero_window.h)
};

// The four numbers of a connection name its state.  A SYN makes its entry;
// a FIN (once every byte before it came) or a RST removes it.
static std::map<SocketAddr, TcpState> connections;

// -c N: a SYN that finds N entries gets a RST, so a flood of SYNs from made-up
// addresses cannot grow the table past N.
static long max_connections = 4096;

// --drop, as main read it.  Not static: a unit test sets it as main would.
LossOptions loss;

// --delay and --zero-window, as main read them.  Not static, as loss.
DelayOptions delay;
ZeroWindowOptions zero;

// --kernel-state: after each segment's line, the sender's own (tooling/sock_diag.h).
static bool kernel_state = false;

static const uint32_t kIss = 123456;  // our SYN; our FIN is kIss + 1
static const uint16_t kWindow = 5000;   // the article's window

// Sequence numbers wrap at 2^32: a is before b when b - a is "positive" as a
// 32-bit signed number (RFC 1982; the kernel's before()).  The original
// compared them with >=, and its "FIXME: wrap!" says so (docs/errata.md).
static bool seq_before(uint32_t a, uint32_t b)
{
  return static_cast<int32_t>(a - b) < 0;
}

// Sends seq, ack and flags (TH_SYN, TH_ACK, ... of <netinet/tcp.h>) back to
// whoever sent iphdr/tcphdr, addresses swapped, window `window` (0 with a
// RST), no options; --delay's milliseconds later, and `later` more.
static void tcp_reply(int fd, const struct iphdr* iphdr, const struct tcphdr* tcphdr,
                      uint32_t seq, uint32_t ack, int flags, uint16_t window = kWindow,
                      int later = 0);

// The window an ACK of st.rcv_nxt advertises: kWindow, unless --zero-window
// is closing it.
static uint16_t rcv_window(const TcpState& st)
{
  return zero_window_of(zero, st.zero, st.rcv_nxt, clock_ms(), kWindow);
}

// Remembers [start, end), beyond st.rcv_nxt, merged with the ranges it
// touches.  False when it touches none and all kMaxHeld are taken.
static bool held_add(TcpState& st, uint32_t start, uint32_t end)
{
  for (int i = 0; i < st.nheld; ++i)
  {
    if (!seq_before(st.held_end[i], start) && !seq_before(end, st.held_start[i]))
    {
      // They overlap or touch: one range covers both, and may now touch others.
      if (seq_before(start, st.held_start[i]))
        st.held_start[i] = start;
      if (seq_before(st.held_end[i], end))
        st.held_end[i] = end;
      const uint32_t s = st.held_start[i], e = st.held_end[i];
      st.held_start[i] = st.held_start[st.nheld - 1];
      st.held_end[i] = st.held_end[st.nheld - 1];
      --st.nheld;
      held_add(st, s, e);  // at most kMaxHeld deep: each call has one range fewer
      return true;
    }
  }
  if (st.nheld == kMaxHeld)
    return false;
  st.held_start[st.nheld] = start;
  st.held_end[st.nheld] = end;
  ++st.nheld;
  return true;
}

// rcv_nxt has moved: the held ranges it reaches are in order now.
static void held_take(TcpState& st)
{
  for (int i = 0; i < st.nheld;)
  {
    if (!seq_before(st.rcv_nxt, st.held_start[i]))
    {
      if (seq_before(st.rcv_nxt, st.held_end[i]))
        st.rcv_nxt = st.held_end[i];
      st.held_start[i] = st.held_start[st.nheld - 1];
      st.held_end[i] = st.held_end[st.nheld - 1];
      --st.nheld;
      i = 0;  // rcv_nxt moved: look again from the first
    }
    else
      ++i;
  }
}

// Answers a SYN with SYN+ACK, data with an ACK of rcv_nxt (a duplicate ACK
// when it came past a hole), a FIN with FIN+ACK once every byte before it
// came, and prints every segment and every decision.  The data is dropped.
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
  if (kernel_state)  // cwnd, ssthresh, rto ... of the socket that sent it (docs/discardall2.md)
    kernel_state_print(iphdr->saddr, tcphdr->source, iphdr->daddr, tcphdr->dest);

  const SocketAddr key = { iphdr->saddr, iphdr->daddr, tcphdr->source, tcphdr->dest };
  const uint32_t seq = ntohl(tcphdr->seq);

  if (tcphdr->rst)
  {
    connections.erase(key);  // RFC 793: a RST is never answered
    return;
  }
  auto it = connections.find(key);
  if (tcphdr->syn)
  {
    if (it == connections.end() && connections.size() >= static_cast<size_t>(max_connections))
    {
      char us[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &iphdr->daddr, us, sizeof us);
      inet_ntop(AF_INET, &iphdr->saddr, peer, sizeof peer);
      printf("table full (%ld connections): reset %s.%u > %s.%u\n", max_connections, us,
             ntohs(tcphdr->dest), peer, ntohs(tcphdr->source));
      // RFC 9293 3.5.2: no ACK field, so seq 0 and ack = seq + 1 (the SYN).
      tcp_reply(fd, iphdr, tcphdr, 0, seq + 1, TH_RST | TH_ACK);
      return;
    }
    // A new connection, its SYN again, or its peer started over: a fresh
    // entry.  The SYN counts as one, so the first data byte is seq + 1.
    TcpState st = {};
    st.rcv_nxt = seq + 1;
    loss_start(&st.loss, seq + 1);
    zero_window_start(zero, &st.zero, seq + 1);
    connections[key] = st;
    tcp_reply(fd, iphdr, tcphdr, kIss, seq + 1, TH_SYN | TH_ACK, rcv_window(st));
    return;
  }
  if (it == connections.end())
  {
    if (tcphdr->fin)  // its entry is gone with our FIN+ACK, which was lost: again
      tcp_reply(fd, iphdr, tcphdr, kIss + 1, seq + payload_len + 1, TH_FIN | TH_ACK);
    else if (payload_len > 0)  // data of no connection: RFC 9293 3.5.2, from its ACK field
      tcp_reply(fd, iphdr, tcphdr, ntohl(tcphdr->ack_seq), 0, TH_RST);
    return;  // a bare ACK of no connection (the last of a close): nothing
  }
  TcpState& st = it->second;
  char why[128];
  if (zero_window_refuses(zero, st.zero, st.rcv_nxt, seq, payload_len, clock_ms(), why,
                          sizeof why))
  {
    // --zero-window: a probe, or data past the window.  RFC 9293 3.10.7.4:
    // a segment not acceptable is answered with an ACK of rcv_nxt.
    printf("%s\n", why);
    tcp_reply(fd, iphdr, tcphdr, kIss + 1, st.rcv_nxt, TH_ACK, rcv_window(st));
    return;
  }
  if (payload_len == 0 && !tcphdr->fin)
    return;  // a bare ACK: nothing to acknowledge

  if (payload_len > 0 && loss_drop(loss, &st.loss, seq, payload_len, why, sizeof why))
  {
    printf("%s\n", why);  // --drop: as if the path lost it; nothing came, nothing is said
    return;
  }

  const uint32_t end = seq + payload_len;
  if (seq_before(st.rcv_nxt, seq))
  {
    // Past a hole: the bytes from rcv_nxt to seq were lost.  RFC 5681 4.2:
    // "A TCP receiver SHOULD send an immediate duplicate ACK when an
    // out-of-order segment arrives."  Three of them and the sender resends
    // the hole at once (fast retransmit, RFC 5681 3.2).  The original said
    // nothing here, and left the sender to its timer (docs/errata.md).
    const bool held = payload_len == 0 || held_add(st, seq, end);
    if (tcphdr->fin)
    {
      st.fin = true;
      st.fin_seq = end;
    }
    printf("packet loss, rcv_nxt = %u, seq = %u, %u bytes missing%s\n", st.rcv_nxt, seq,
           seq - st.rcv_nxt, held ? "" : " (not held: every range is taken)");
    ++st.dupacks;
    printf("duplicate ACK %d, ack = %u\n", st.dupacks, st.rcv_nxt);
    tcp_reply(fd, iphdr, tcphdr, kIss + 1, st.rcv_nxt, TH_ACK, rcv_window(st));
    return;
  }

  if (payload_len > 0)
  {
    if (seq == st.rcv_nxt)
      printf("received, seq = %u:%u, len = %d\n", seq, end, payload_len);
    else
      printf("retransmit, rcv_nxt = %u, seq = %u:%u, len = %d\n", st.rcv_nxt, seq, end,
             payload_len);
    if (seq_before(st.rcv_nxt, end))
    {
      st.rcv_nxt = end;
      const uint32_t before = st.rcv_nxt;
      held_take(st);
      if (st.rcv_nxt != before)
        printf("hole filled, ack jumps from %u to %u over the held segments\n", before,
               st.rcv_nxt);
      st.dupacks = 0;
    }
  }
  if (tcphdr->fin && end == st.rcv_nxt)
  {
    st.fin = true;
    st.fin_seq = end;
  }
  if (st.fin && st.fin_seq == st.rcv_nxt)
  {
    // Every byte before the FIN came: the FIN counts as one, and our own
    // FIN closes our side.  The entry goes; its last ACK finds none.
    tcp_reply(fd, iphdr, tcphdr, kIss + 1, st.rcv_nxt + 1, TH_FIN | TH_ACK);
    connections.erase(it);
    return;
  }
  if (zero_window_close(zero, &st.zero, st.rcv_nxt, clock_ms(), why, sizeof why))
  {
    // --zero-window: the window opens again in MS ms; its update, the same
    // ACK with the window open, is written then (RFC 9293 3.8.6.2.2).
    printf("%s\n", why);
    tcp_reply(fd, iphdr, tcphdr, kIss + 1, st.rcv_nxt, TH_ACK, kWindow, zero.ms);
  }
  tcp_reply(fd, iphdr, tcphdr, kIss + 1, st.rcv_nxt, TH_ACK, rcv_window(st));
}

// tcp_reply, declared above tcp_input: one segment, built from zero.
static void tcp_reply(int fd, const struct iphdr* iphdr, const struct tcphdr* tcphdr,
                      uint32_t seq, uint32_t ack, int flags, uint16_t window, int later)
{
  struct
  {
    struct iphdr iphdr;
    struct tcphdr tcphdr;
  } out;
  static_assert(sizeof out == 20 + 20, "IP header then TCP header, no padding");
  memset(&out, 0, sizeof out);

  // IP header: the segment's own, addresses swapped, options dropped.
  memcpy(&out.iphdr, iphdr, sizeof out.iphdr);
  out.iphdr.ihl = sizeof out.iphdr / 4;
  out.iphdr.tot_len = htons(sizeof out);
  std::swap(out.iphdr.saddr, out.iphdr.daddr);
  out.iphdr.check = 0;
  out.iphdr.check = in_checksum(&out.iphdr, sizeof out.iphdr);

  out.tcphdr.source = tcphdr->dest;
  out.tcphdr.dest = tcphdr->source;
  out.tcphdr.seq = htonl(seq);
  out.tcphdr.ack_seq = htonl(ack);
  out.tcphdr.doff = sizeof out.tcphdr / 4;
  out.tcphdr.fin = (flags & TH_FIN) != 0;
  out.tcphdr.syn = (flags & TH_SYN) != 0;
  out.tcphdr.rst = (flags & TH_RST) != 0;
  out.tcphdr.ack = (flags & TH_ACK) != 0;
  out.tcphdr.window = htons((flags & TH_RST) ? 0 : window);

  out.tcphdr.check = tcp_checksum(&out.iphdr, &out.tcphdr, sizeof out.tcphdr);
  delay_write(fd, &out, sizeof out, delay.ms + later);  // --delay: tooling/delay.h
}

int main(int argc, char* argv[])
{
  TunOptions opt;
  OptionTable table(kAbout);
  tun_options_add(&table, &opt);
  table.add({ 'c', "max-connections", "N", OptionType::kLong, 1, 1000000, "a number of connections",
              nullptr, &max_connections, "at most N connections (default 4096), then SYN gets RST",
              "最多 N 个连接（默认 4096）；表满时 SYN 得到 RST" });
  loss_options_add(&table, &loss);
  delay_options_add(&table, &delay);
  zero_window_options_add(&table, &zero);
  table.add({ 0, "kernel-state", nullptr, OptionType::kFlag, 0, 0, nullptr, nullptr, &kernel_state,
              "after each segment, the sender's state from the kernel (sock_diag):\n"
              "cwnd, ssthresh, rto, rtt, unacked, retrans, as ss -ti shows them",
              "每个分节之后打印内核里发送方的状态（sock_diag）：cwnd、ssthresh、rto……" });
  table.parse_or_exit(argc, argv);
  loss_options_check_or_exit(table, &loss);
  zero_window_options_check_or_exit(table, &zero);
  setvbuf(stdout, nullptr, _IOLBF, 0);  // a line per packet, even into a pipe or | tee

  int fd = tun_alloc(opt.ifname, opt.addr, opt.netmask);
  if (fd < 0)
  {
    fprintf(stderr, "tunnel interface allocation failed\n");
    exit(1);
  }
  if (kernel_state && !kernel_state_open())
    exit(1);
  printf("allocated tunnel interface %s\n", opt.ifname);

  for (;;)
  {
    union
    {
      unsigned char buf[IP_MAXPACKET];
      struct iphdr iphdr;
    };

    // --delay, --zero-window: poll, writing the held ACKs as they fall due.
    if ((delay.ms > 0 || zero.bytes > 0) && !delay_wait_input(fd))
    {
      close(fd);
      exit(1);
    }
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
