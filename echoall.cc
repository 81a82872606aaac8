// echoall.cc - step 6: echo every TCP connection's bytes back, keeping state.
//
// Read its source, then run it as:   sudo ./echoall
//   (or, leaving the host alone: scripts/netns bash, then ./echoall & in it)
// It responds to:                    nc 192.168.0.2 2007     (every line typed comes back)
//                                    ss -tn                  (ESTAB; Send-Q drains to 0)
//                                    ping 192.168.0.2        (answered, as in step 1)
#include "faketcp.h"
#include "tooling/options.h"
#include "tooling/tunio.h"

#include <algorithm>  // std::swap, std::min
#include <map>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

static const char kUsage[] =
  "usage: echoall [-i IFNAME] [-a ADDR/PREFIX] [--pcap FILE]\n"
  "  An echo server (RFC 862) on every port of every address: the bytes of each\n"
  "  connection come back in order, as in discardall plus a std::map<SocketAddr,\n"
  "  TcpState> that remembers the sequence numbers of each connection.\n"
  "  每个地址、每个端口上的 echo 服务 (RFC 862)：每个连接收到的字节按序原样发回；\n"
  "  在 discardall 的基础上用 std::map<SocketAddr, TcpState> 记住每个连接的序号。\n";

// What we remember about one connection, in RFC 793's names (section 3.2).
//
// The echoed stream is the received stream, byte for byte, so the byte that
// arrived with sequence number s goes back with s + (iss - irs), a fixed
// offset.  We echo a byte when we first accept it, so rcv_nxt and snd_nxt
// move together and snd_nxt - rcv_nxt is that offset at every moment.
//
// Everything we send mirrors the peer across that offset: our data is its
// data, our ACK is its ACK (a byte of its is acknowledged once its echo is
// acknowledged), our window is its window (so it never sends more than it
// can take back).  We keep no copy of what we sent: if an echo is lost, its
// bytes are not acknowledged, the peer sends them again, and we echo them
// again.  Reliability without a timer, paid for by one more round trip
// before the peer may free its send buffer.
struct TcpState
{
  uint32_t rcv_nxt;  // the peer's next new byte; every byte before it was echoed
  uint32_t snd_nxt;  // our next new byte: rcv_nxt + the offset
  uint32_t snd_una;  // our oldest byte the peer has not acknowledged
  uint32_t snd_wnd;  // the peer's window: we may send up to snd_una + snd_wnd
  bool fin;          // the peer's FIN came, and went back as our FIN
};

// The four numbers of a connection name its state.
static std::map<SocketAddr, TcpState> connections;

// Every connection starts at the same number, as in steps 3 and 4; a real
// stack picks an unpredictable one (RFC 6528).
static const uint32_t kIss = 123456;

// 0x05b4 == 1460, the MSS we announce: a 1500-byte tun MTU less 40 bytes of
// IP and TCP header.  An echo is as long as the segment it answers, so it
// fits the same MTU on the way back.  We announce no window scale, SACK or
// timestamps, so the peer sends none and its window field is in bytes.
static const uint16_t kMss = 1460;

// Sequence numbers wrap at 2^32: a is before b when b - a is "positive" as
// a 32-bit signed number (RFC 1982; the kernel's before()).
static bool seq_before(uint32_t a, uint32_t b)
{
  return static_cast<int32_t>(a - b) < 0;
}

// Sends one segment back to whoever sent iphdr/tcphdr: addresses and ports
// swapped, our seq, ack, flags (TH_SYN, TH_ACK, ... of <netinet/tcp.h>) and
// window, then len bytes of data.  A SYN carries the MSS option.  The
// checksum covers the pseudo-header, the header and the data, odd lengths
// included.  Returns false when the kernel refused the packet.
static bool tcp_reply(int fd, const struct iphdr* iphdr, const struct tcphdr* tcphdr,
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
  if (tcphdr->syn)
  {
    // A new connection, or the same SYN again because our SYN+ACK was lost:
    // either way the entry starts afresh.  We count our SYN as acknowledged
    // at once; if the SYN+ACK is lost, the peer's next SYN brings us here.
    TcpState& st = connections[key];
    st.rcv_nxt = seq + 1;  // the SYN counts as one
    st.snd_nxt = kIss + 1;
    st.snd_una = kIss + 1;
    st.snd_wnd = window;   // a SYN's window is never scaled (RFC 7323)
    st.fin = false;
    tcp_reply(fd, iphdr, tcphdr, kIss, st.rcv_nxt, TH_SYN | TH_ACK, window, nullptr, 0);
    return;
  }

  auto it = connections.find(key);
  if (it == connections.end())
  {
    // RFC 793 section 3.4, Reset Generation: "If the incoming segment has an
    // ACK field, the reset takes its sequence number from the ACK field of
    // the segment, otherwise the reset has sequence number zero and the ACK
    // field is set to the sum of the sequence number and segment length".
    if (tcphdr->ack)
      tcp_reply(fd, iphdr, tcphdr, ack, 0, TH_RST, 0, nullptr, 0);
    else
      tcp_reply(fd, iphdr, tcphdr, 0, seq + payload_len + tcphdr->fin, TH_RST | TH_ACK, 0,
                nullptr, 0);
    return;
  }
  TcpState& st = it->second;
  if (!tcphdr->ack)
    return;  // RFC 793: "if the ACK bit is off drop the segment"

  const uint32_t offset = st.snd_nxt - st.rcv_nxt;  // iss - irs, see TcpState
  bool send_ack = false;
  if (seq_before(st.snd_nxt, ack))
  {
    send_ack = true;  // it acknowledges what we never sent: answer with an ACK, drop it
  }
  else
  {
    // A newer ACK moves snd_una and brings the peer's current window.  The
    // peer should hear of it: its bytes whose echo it now holds are
    // acknowledged, and its window is ours.
    if (!seq_before(ack, st.snd_una))
    {
      send_ack = ack != st.snd_una || window != st.snd_wnd;
      st.snd_una = ack;
      st.snd_wnd = window;
    }
    // The peer's bytes before `acked` are back with it, acknowledged: they
    // are done.  Those from acked to rcv_nxt were echoed but not yet
    // acknowledged; if they come again, their echo was lost: echo again.
    const uint32_t acked = st.snd_una - offset;
    const int fin = tcphdr->fin;
    if (payload_len == 0 && !fin)
    {
      if (seq_before(seq, st.rcv_nxt))
        send_ack = true;  // a keep-alive or window probe (seq one below): answer it
    }
    else if (st.fin || seq_before(st.rcv_nxt, seq))
    {
      send_ack = true;  // out of order, or past the FIN: echo nothing, say where we are
    }
    else if (!seq_before(acked, seq + payload_len + fin))
    {
      send_ack = true;  // a duplicate whose echo the peer has already acknowledged
    }
    else
    {
      // Skip what the peer has back already, then echo what fits in its
      // window.  We acknowledge nothing new here: the peer's ACK of this
      // echo will move `acked`.
      const int skip = seq_before(seq, acked) ? static_cast<int>(acked - seq) : 0;
      const uint32_t echo_seq = seq + skip + offset;
      const uint32_t in_flight = echo_seq - st.snd_una;
      const int room = st.snd_wnd > in_flight ? static_cast<int>(st.snd_wnd - in_flight) : 0;
      const int len = std::min(payload_len - skip, room);
      const bool echo_fin = fin && len == payload_len - skip;
      if (len == 0 && !echo_fin)
      {
        send_ack = true;  // its window is full: drop the bytes, it sends them again
      }
      else if (tcp_reply(fd, iphdr, tcphdr, echo_seq, acked,
                         TH_ACK | (len > 0 ? TH_PUSH : 0) | (echo_fin ? TH_FIN : 0),
                         st.snd_wnd, data + skip, len))
      {
        const uint32_t end = seq + skip + len + echo_fin;
        if (seq_before(st.rcv_nxt, end))
        {
          st.rcv_nxt = end;
          st.snd_nxt = end + offset;
        }
        st.fin = st.fin || echo_fin;
        send_ack = false;  // the echo carried the ACK
      }
    }
  }

  if (send_ack)
    tcp_reply(fd, iphdr, tcphdr, st.snd_nxt, st.snd_una - offset, TH_ACK, st.snd_wnd, nullptr, 0);

  // Both FINs are acknowledged (the ACK just sent covers the peer's): the
  // connection is over, and so is its entry.
  if (st.fin && st.snd_una == st.snd_nxt)
    connections.erase(it);
}

// tcp_reply, declared above tcp_input: one segment, built from zero.
static bool tcp_reply(int fd, const struct iphdr* iphdr, const struct tcphdr* tcphdr,
                      uint32_t seq, uint32_t ack, int flags, uint32_t window,
                      const unsigned char* data, int len)
{
  union
  {
    unsigned char output[IP_MAXPACKET];
    struct
    {
      struct iphdr iphdr;
      struct tcphdr tcphdr;
    } out;
  };
  static_assert(sizeof out == 20 + 20, "IP header then TCP header, no padding");
  memset(&out, 0, sizeof out);

  const int options_len = (flags & TH_SYN) ? 4 : 0;
  const int tcp_seg_len = static_cast<int>(sizeof out.tcphdr) + options_len + len;
  const int tot_len = static_cast<int>(sizeof out.iphdr) + tcp_seg_len;
  if (tot_len > static_cast<int>(sizeof output))
    return false;  // cannot happen: an echo is never longer than what came in

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

  unsigned char* options = output + sizeof out;
  if (options_len)
  {
    const unsigned char mss[4] = { TCPOPT_MAXSEG, TCPOLEN_MAXSEG, kMss >> 8, kMss & 0xff };
    memcpy(options, mss, sizeof mss);
  }
  if (len > 0)
    memcpy(options + options_len, data, len);

  out.tcphdr.check = tcp_checksum(&out.iphdr, &out.tcphdr, tcp_seg_len);
  return tun_write(fd, output, tot_len);
}

int main(int argc, char* argv[])
{
  Options opt;
  parse_options_or_exit(argc, argv, kUsage, 0, &opt);
  setvbuf(stdout, nullptr, _IOLBF, 0);  // a line per packet, even into a pipe or | tee

  int fd = tun_alloc(opt.ifname, opt.hostaddr);
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
