// connectmany_window: its own connect_one, connect_many and tcp_input pass
// step 5's cases (tests/support/connect_cases.h), and connect_window (-w N)
// opens the same connections, N handshakes at a time.
#define STEP "connectmany_window"

#include "tests/support/connect_cases.h"

// connectmany_window.cc, compiled for this test with its main renamed.
int connect_window(int fd, const char* ipstr, int port, int count, int in_flight);

TEST_CASE("connect_window (-w 2) opens connection i from source port 1024 + i, and matches"
          " each SYN+ACK to its connection", "[step5][window][golden]")
{
  // [golden]: as connect_many's case in connect_cases.h, two in flight.
  const Handshake h = handshake();
  Wire wire;
  deliver_two_answers(wire, h);
  CHECK(connect_window(wire.fd, "192.168.0.1", 2007, 2, 2) == 2);
  check_two_handshakes(wire, h);
}

TEST_CASE("connect_window gives up when a window of handshakes is silent after their last"
          " retry, and sends no more SYNs", "[step5][window]")
{
  Retries once(1);
  QuickRto quick;
  Wire wire;
  CHECK(connect_window(wire.fd, "192.168.0.1", 2007, 5, 2) == 0);
  CHECK(count_syns(wire, 4) == 4);  // ports 1024 and 1025, each sent twice
}

TEST_CASE("connect_window counts an RST as refused, not silent, and goes on to the next",
          "[step5][window][golden]")
{
  // The kernel's RST for 192.168.0.2:1024 (nothing listens on the port),
  // then the SYN+ACK of 1025 (a copy addressed one port up): one refused,
  // one established, and nothing sent again.
  const Exchange refused = find_exchange(read_fixture("connectmany_refused.pcap"), TH_SYN);
  const Handshake h = handshake();
  Wire wire;
  Packet rst(refused.reply);
  // The refused fixture is for port 2008: make it 2007's, as the window's SYN.
  unsigned char* tcp = rst.data() + rst.iphdr_len();
  const uint16_t sport = htons(2007);
  memcpy(tcp, &sport, 2);
  tcp[16] = tcp[17] = 0;
  const uint16_t check = tcp_checksum(rst.ip(), rst.payload(), rst.tot_len() - rst.iphdr_len());
  memcpy(tcp + 16, &check, 2);
  wire.deliver(rst.bytes());
  wire.deliver(for_another_port(h.syn_ack));
  const long resent = syns_resent;
  CHECK(connect_window(wire.fd, "192.168.0.1", 2007, 2, 2) == 1);
  CHECK(syns_resent == resent);
  int syns = 0, acks = 0;
  for (Bytes out = wire.written(); !out.empty(); out = wire.written())
  {
    const Packet p(out);
    REQUIRE(ip_check(p.data(), p.size(), nullptr));
    if (p.tcp()->syn)
      ++syns;
    else
    {
      CHECK(ntohs(p.tcp()->source) == 1025);  // the ACK of the one accepted
      ++acks;
    }
  }
  CHECK(syns == 2);
  CHECK(acks == 1);
}
