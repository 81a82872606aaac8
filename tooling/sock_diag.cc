// tooling/sock_diag.cc - see sock_diag.h.
#include "tooling/sock_diag.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>  // struct rtattr, RTA_OK
#include <linux/sock_diag.h>
#include <linux/tcp.h>     // struct tcp_info
#include <netinet/in.h>

static int diag_fd = -1;

bool kernel_state_open()
{
  diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (diag_fd < 0)
  {
    fprintf(stderr, "--kernel-state: socket(AF_NETLINK, NETLINK_SOCK_DIAG): %s - "
            "a kernel without CONFIG_INET_DIAG cannot report its sockets (modprobe inet_diag "
            "tcp_diag)\n", strerror(errno));
    return false;
  }
  struct timeval tv = { 0, 100 * 1000 };  // every wait ends by itself
  setsockopt(diag_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return true;
}

// The names of <netinet/tcp.h>'s TCP_ESTABLISHED ... (1 ..), as ss says them.
static const char* state_name(int state)
{
  static const char* const names[] = { "?", "ESTABLISHED", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1",
                                       "FIN-WAIT-2", "TIME-WAIT", "CLOSE", "CLOSE-WAIT",
                                       "LAST-ACK", "LISTEN", "CLOSING" };
  return state > 0 && state < static_cast<int>(sizeof names / sizeof names[0]) ? names[state] : "?";
}

bool kernel_state_print(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
  if (diag_fd < 0)
    return false;
  struct
  {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST;  // one socket, named by its four numbers: no dump
  static uint32_t seq = 0;
  msg.nlh.nlmsg_seq = ++seq;
  msg.req.sdiag_family = AF_INET;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_ext = 1 << (INET_DIAG_INFO - 1);  // and its struct tcp_info
  msg.req.idiag_states = ~0u;
  msg.req.id.idiag_sport = sport;
  msg.req.id.idiag_dport = dport;
  msg.req.id.idiag_src[0] = saddr;
  msg.req.id.idiag_dst[0] = daddr;
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  if (send(diag_fd, &msg, sizeof msg, 0) < 0)
  {
    printf("kernel: sock_diag request failed: %s\n", strerror(errno));
    return false;
  }

  alignas(struct nlmsghdr) unsigned char buf[8192];
  for (int tries = 0; tries < 4; ++tries)  // a late answer to an earlier request: skip it
  {
    const ssize_t n = recv(diag_fd, buf, sizeof buf, 0);
    if (n < 0)
    {
      printf("kernel: no answer from sock_diag: %s\n", strerror(errno));
      return false;
    }
    const struct nlmsghdr* nlh = reinterpret_cast<const struct nlmsghdr*>(buf);
    if (!NLMSG_OK(nlh, static_cast<unsigned>(n)) || nlh->nlmsg_seq != seq)
      continue;
    if (nlh->nlmsg_type == NLMSG_ERROR)
    {
      printf("kernel: no socket from port %u (sock_diag: %s)\n", ntohs(sport),
             nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))
               ? strerror(-reinterpret_cast<const struct nlmsgerr*>(NLMSG_DATA(nlh))->error)
               : "error");
      return false;
    }
    if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
        nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
      continue;
    const struct inet_diag_msg* diag = static_cast<const struct inet_diag_msg*>(NLMSG_DATA(nlh));
    // The attributes after the message: find INET_DIAG_INFO, a struct tcp_info
    // (older kernels send a shorter one: copy what came, zeros after).
    int len = static_cast<int>(nlh->nlmsg_len - NLMSG_LENGTH(sizeof *diag));
    const struct rtattr* attr = reinterpret_cast<const struct rtattr*>(diag + 1);
    struct tcp_info info;
    memset(&info, 0, sizeof info);
    bool have_info = false;
    for (; RTA_OK(attr, len); attr = RTA_NEXT(attr, len))
      if (attr->rta_type == INET_DIAG_INFO)
      {
        const size_t got = RTA_PAYLOAD(attr);
        memcpy(&info, RTA_DATA(attr), got < sizeof info ? got : sizeof info);
        have_info = true;
      }
    if (!have_info)
    {
      printf("kernel: state %s, no tcp_info\n", state_name(diag->idiag_state));
      return true;
    }
    char ssthresh[16];
    if (info.tcpi_snd_ssthresh >= 0x7fffffff)  // TCP_INFINITE_SSTHRESH: none yet
      snprintf(ssthresh, sizeof ssthresh, "unset");
    else
      snprintf(ssthresh, sizeof ssthresh, "%u", info.tcpi_snd_ssthresh);
    printf("kernel: state %s, cwnd %u, ssthresh %s, rto %u ms, rtt %.3f ms, unacked %u, "
           "retrans %u\n", state_name(diag->idiag_state), info.tcpi_snd_cwnd, ssthresh,
           info.tcpi_rto / 1000, info.tcpi_rtt / 1000.0, info.tcpi_unacked,
           info.tcpi_total_retrans);
    return true;
  }
  printf("kernel: no answer from sock_diag\n");
  return false;
}
