// echoall.cc - step 6: echo every TCP connection's bytes back, keeping state.
//
// Read its source, then run it as:   sudo ./echoall
//   (or, leaving the host alone: scripts/netns bash, then ./echoall & in it)
// It responds to:                    nc 192.168.0.2 2007     (every line typed comes back)
//                                    ss -tn                  (ESTAB; Send-Q drains to 0)
//                                    ping 192.168.0.2        (answered, as in step 1)
#include "faketcp.h"
#include "tooling/cmdline.h"
#include "tooling/tunio.h"

#include <algorithm>  // std::swap, std::min
#include <map>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

static const char kAbout[] =
  "  An echo server (RFC 862) on every address: discardall plus a std::map of each\n"
  "  connection's sequence numbers.  At most 4096 connections (-c); then SYN gets RST.\n"
  "  每个地址上的 echo 服务 (RFC 862)：discardall 加上记住每个连接序号的\n"
  "  std::map；最多 4096 个连接（-c），表满时 SYN 得到 RST。\n";

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
  uint32_t rcv_nxt;  // the end of the peer's furthest byte we echoed
  uint32_t snd_nxt;  // our next new byte: rcv_nxt + the offset
  uint32_t snd_una;  // our oldest byte the peer has not acknowledged
  uint32_t snd_wnd;  // the peer's window: we may send up to snd_una + snd_wnd
  bool fin;          // the peer's FIN came, and went back as our FIN
};

// The four numbers of a connection name its state.  A SYN makes its entry;
// the end of the FIN exchange, or a RST, removes it.
static std::map<SocketAddr, TcpState> connections;

// -c N: a SYN that finds N entries gets a RST, so a flood of SYNs from made-up
// addresses cannot grow the table past N (a std::map node is about 80 bytes).
static long max_connections = 4096;

// One initial sequence number for all, as in the steps before (RFC 6528's is unpredictable).
static const uint32_t kIss = 123456;

// Sequence numbers wrap at 2^32: a is before b when b - a is "positive" as
// a 32-bit signed number (RFC 1982; the kernel's before()).
static bool seq_before(uint32_t a, uint32_t b)
{
  return static_cast<int32_t>(a - b) < 0;
}

// Sends seq, ack, flags (TH_SYN, TH_ACK, ... of <netinet/tcp.h>), window and
// len bytes of data back to whoever sent iphdr/tcphdr, addresses swapped.
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

  if (tcphdr->rst)
  {
    connections.erase(key);  // RFC 793: a RST is never answered
    return;
  }
  auto it = connections.find(key);
  // A SYN opens a connection; a SYN+ACK of none we know is answered below
  // with a RST at seq = SEG.ACK (RFC 9293 3.10.7.2, LISTEN: "if the ACK bit
  // is on ... <SEQ=SEG.ACK><CTL=RST>").
  const bool open = tcphdr->syn && !tcphdr->ack;
  if (open &&
      (it != connections.end() || connections.size() < static_cast<size_t>(max_connections)))
  {
    // A new connection, its SYN again (our SYN+ACK was lost), or its peer
    // started over: a fresh entry.  Each SYN counts as one byte; ours is taken
    // as acknowledged, so the handshake's last ACK changes nothing.  No MSS
    // option: the peer's segments carry 536 bytes at most, and so do echoes.
    tcp_reply(fd, iphdr, tcphdr, kIss, seq + 1, TH_SYN | TH_ACK, window, nullptr, 0);
    connections[key] = { seq + 1, kIss + 1, kIss + 1, window, false };
    return;
  }
  if (open)
  {
    // The table is full: answered below as a segment of no connection.
    char us[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &iphdr->daddr, us, sizeof us);
    inet_ntop(AF_INET, &iphdr->saddr, peer, sizeof peer);
    printf("table full (%ld connections): reset %s.%u > %s.%u\n", max_connections, us,
           ntohs(tcphdr->dest), peer, ntohs(tcphdr->source));
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
      send_ack = ack != st.snd_una || window != st.snd_wnd;
      st.snd_una = ack;
      st.snd_wnd = window;
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
        tcp_reply(fd, iphdr, tcphdr, echo_seq, acked, flags, st.snd_wnd, data + skip, len);
        const uint32_t end = seq + skip + len + echo_fin;
        st.rcv_nxt = seq_before(st.rcv_nxt, end) ? end : st.rcv_nxt;  // never back
        st.snd_nxt = st.rcv_nxt + offset;
        st.fin = st.fin || echo_fin;
        send_ack = false;  // the echo carried the ACK
      }
    }
  }

  if (send_ack)
    tcp_reply(fd, iphdr, tcphdr, st.snd_nxt, st.snd_una - offset, TH_ACK, st.snd_wnd, nullptr, 0);

  // Both FINs acknowledged (the ACK just sent covers the peer's): the entry goes.
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

  const int tcp_seg_len = static_cast<int>(sizeof out.tcphdr) + len;
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
  out.tcphdr.doff = sizeof out.tcphdr / 4;
  out.tcphdr.fin = (flags & TH_FIN) != 0;
  out.tcphdr.syn = (flags & TH_SYN) != 0;
  out.tcphdr.rst = (flags & TH_RST) != 0;
  out.tcphdr.psh = (flags & TH_PUSH) != 0;
  out.tcphdr.ack = (flags & TH_ACK) != 0;
  out.tcphdr.window = htons(static_cast<uint16_t>(std::min<uint32_t>(window, 65535)));

  if (len > 0)
    memcpy(out.data, data, len);

  out.tcphdr.check = tcp_checksum(&out.iphdr, &out.tcphdr, tcp_seg_len);
  tun_write(fd, &out, tot_len);
}

int main(int argc, char* argv[])
{
  TunOptions opt;
  OptionTable table(kAbout);
  tun_options_add(&table, &opt);
  table.add({ 'c', "max-connections", "N", OptionType::kLong, 1, 1000000, "a number of connections",
              nullptr, &max_connections, "at most N connections (default 4096), then SYN gets RST",
              "最多 N 个连接（默认 4096）；表满时 SYN 得到 RST" });
  table.parse_or_exit(argc, argv);
  setvbuf(stdout, nullptr, _IOLBF, 0);  // a line per packet, even into a pipe or | tee

  int fd = tun_alloc(opt.ifname, opt.addr, opt.netmask);
  if (fd < 0)
  {
    fprintf(stderr, "tunnel interface allocation failed\n");
    exit(1);
  }
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
