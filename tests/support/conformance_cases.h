// tests/support/conformance_cases.h - the conformance matrix: each row a kind
// of arriving segment, each column a step that answers TCP, each cell the
// answer RFC 9293 section 3.10.7 asks for, or the article's answer where a
// stateless step differs from it (each difference is in docs/errata.md,
// "Conformance matrix").  Included by tests/<step>_conformance_unittest.cc
// after it has defined STEP (the step's name, a string, which is also the
// column's name) and declared the step's own tcp_input.
//
// Every row runs at two sequence numbers: just below 2^32 (the row's bytes
// cross it) and just above (its setup crossed it).  A cell feeds the row's
// segment to the step's real tcp_input, as the step's main loop does, and
// checks every field of the answer the RFC fixes; a failure names the step,
// the row, the field and the rule:
//
//   discardall, FIN with data at seq 4294967294: tcp ack is 4294967299, want
//   4294967300 = SEG.SEQ + data + 1 (RFC 9293 3.10.7.4: the FIN counts one, after the data)
//
// A new column (a new program) is one more case in column_answer below and
// a three-line test file; a new row is one more Row and its case there.
#include "faketcp.h"
#include "tests/support/fixture.h"
#include "tests/support/malformed.h"  // StdoutCapture

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <stdlib.h>
#include <string>
#include <vector>

#ifndef STEP
#error "define STEP, the step's name, before including this file"
#endif

namespace conformance
{

enum Row
{
  kSyn, kSynData, kSynAck, kAck, kData, kBeyondWindow, kOldDuplicate, kFin, kFinData,
  kRst, kRstAck, kKeepAlive, kWindowProbe, kNoFlags, kRows
};

inline const char* row_name(int r)
{
  static const char* const names[kRows] = {
    "SYN", "SYN with data", "unexpected SYN+ACK", "ACK", "data", "data beyond the window",
    "old duplicate", "FIN", "FIN with data", "RST", "RST+ACK", "keep-alive", "window probe",
    "no flags",
  };
  return names[r];
}

const uint32_t kIss = 123456;        // every step's initial sequence number
const uint16_t kPeerWindow = 64240;  // the window the peer (the kernel) offers
const uint32_t kStrayAck = 777777;   // the ACK field of an unexpected SYN+ACK
const char kData5[] = "hello";       // the 5 bytes of a data row

// What a step answers: nothing, or one segment whose every listed field is
// fixed.  `rule` says where the seq and ack come from (RFC section or the
// article's step), and is printed beside a wrong value.
struct Answer
{
  bool none = true;
  int flags = 0;          // TH_SYN | TH_ACK ...
  uint32_t seq = 0;
  uint32_t ack = 0;
  int window = -1;        // -1: neither the RFC nor the step fixes it
  std::string data;       // the payload (echoall's echo)
  std::string rule;
};

inline Answer nothing(const char* rule)
{
  Answer a;
  a.rule = rule;
  return a;
}

inline Answer segment(int flags, uint32_t seq, uint32_t ack, int window, const char* rule,
                      const std::string& data = std::string())
{
  Answer a;
  a.none = false;
  a.flags = flags;
  a.seq = seq;
  a.ack = ack;
  a.window = window;
  a.data = data;
  a.rule = rule;
  return a;
}

// The step's side of an established connection, as the row's segment finds
// it: our next sequence number and the window we offer.  A stateless step
// assumes its one handshake (ISS 123456, so 123457); echoall has echoed the
// setup's 5 bytes and had the echo acknowledged.
struct Column
{
  bool stateful;
  uint32_t snd_nxt;
  int window;
};

inline Column column(const std::string& step)
{
  if (step == "echoall")
    return { true, kIss + 1 + 5, kPeerWindow };  // its window mirrors the peer's
  return { false, kIss + 1, 5000 };              // the article's window, 5000
}

// The cell: what STEP answers row r whose sequence number is s (for an
// established row, the peer's RCV.NXT as the step knows it).
inline Answer column_answer(const std::string& step, int r, uint32_t s)
{
  const Column c = column(step);
  const uint32_t D = 5;
  const bool rejectall = step == "rejectall";
  const bool acceptall = step == "acceptall";
  const bool connectmany = step == "connectmany" || step == "connectmany_window";
  const bool echoall = step == "echoall";
  // discardall and discardall_fast (whose default packets are discardall's)
  // are the rest.
  switch (r)
  {
    case kSyn:
      if (rejectall)
        return segment(TH_RST | TH_ACK, 0, s + 1, 0,
                       "RFC 9293 3.10.7.1, ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, "
                       "the SYN counts one");
      return segment(TH_SYN | TH_ACK, kIss, s + 1, echoall ? kPeerWindow : 5000,
                     "RFC 9293 3.10.7.2: <SEQ=ISS><ACK=SEG.SEQ+1><CTL=SYN,ACK>");
    case kSynData:
      if (rejectall)
        return segment(TH_RST | TH_ACK, 0, s + 1 + D, 0,
                       "RFC 9293 3.10.7.1: ACK=SEG.SEQ+SEG.LEN, SEG.LEN counts the SYN and "
                       "the data");
      return segment(TH_SYN | TH_ACK, kIss, s + 1, echoall ? kPeerWindow : 5000,
                     "the SYN's data is dropped, so not acknowledged: ACK=SEG.SEQ+1 (Linux "
                     "without TCP Fast Open; errata)");
    case kSynAck:
      if (rejectall)  // decided: the article's answer, the RFC's in docs/errata.md
        return segment(TH_RST | TH_ACK, 0, s + 1, 0,
                       "the article refuses every SYN alike: <SEQ=0><ACK=SEG.SEQ+1>"
                       "<CTL=RST,ACK>; RFC 9293 3.10.7.1 asks <SEQ=SEG.ACK><CTL=RST> (errata)");
      if (connectmany)
        return segment(TH_ACK, kIss + 1, s + 1, 5000,
                       "the client's handshake ACK: <SEQ=ISS+1><ACK=SEG.SEQ+1> (RFC 9293 "
                       "3.10.7.3; stateless, it cannot tell ours from a stray one)");
      if (echoall)
        return segment(TH_RST, kStrayAck, 0, 0,
                       "RFC 9293 3.10.7.2, LISTEN, ACK on: <SEQ=SEG.ACK><CTL=RST>, no ACK flag");
      return segment(TH_SYN | TH_ACK, kIss, s + 1, 5000,
                     "the article answers every SYN; RFC 9293 3.10.7.2 asks <SEQ=SEG.ACK>"
                     "<CTL=RST> (errata)");
    case kAck:
    case kRst:
    case kRstAck:
      return nothing("RFC 9293 3.10.7.4: an acceptable ACK, and a RST, are not answered");
    case kNoFlags:
      return nothing("RFC 9293 3.10.7.4 fifth check: ACK bit off, drop the segment (rejectall: "
                     "the article answers only SYNs, errata)");
    case kData:
      if (rejectall || acceptall)
        return nothing("the article's step ignores data (errata)");
      if (echoall)
        return segment(TH_ACK | TH_PUSH, c.snd_nxt, s, kPeerWindow,
                       "the echo: SEQ=SEG.SEQ+(ISS-IRS), ACK=the bytes whose echo is "
                       "acknowledged (TcpState)", kData5);
      return segment(TH_ACK, kIss + 1, s + D, 5000,
                     "RFC 9293 3.10.7.4 seventh: <SEQ=SND.NXT><ACK=SEG.SEQ+SEG.LEN><CTL=ACK>");
    case kBeyondWindow:
      if (rejectall || acceptall)
        return nothing("the article's step ignores data (errata)");
      if (echoall)
        return segment(TH_ACK, c.snd_nxt, s, kPeerWindow,
                       "RFC 9293 3.10.7.4 first check: not acceptable, <SEQ=SND.NXT>"
                       "<ACK=RCV.NXT><CTL=ACK>");
      return segment(TH_ACK, kIss + 1, s + 70000 + D, 5000,
                     "stateless, the article acks any data; RFC 9293 3.10.7.4 asks "
                     "<ACK=RCV.NXT> (errata)");
    case kOldDuplicate:
      if (rejectall || acceptall)
        return nothing("the article's step ignores data (errata)");
      return segment(TH_ACK, c.snd_nxt, s, c.window,
                     "RFC 9293 3.10.7.4 first check: not acceptable, <SEQ=SND.NXT>"
                     "<ACK=RCV.NXT><CTL=ACK>");
    case kFin:
      if (rejectall)
        return nothing("the article's rejectall answers only SYNs (errata)");
      if (echoall)
        return segment(TH_FIN | TH_ACK, c.snd_nxt, s, kPeerWindow,
                       "the FIN echoed as ours; its ACK waits for the echo's (TcpState, errata)");
      return segment(TH_FIN | TH_ACK, kIss + 1, s + 1, 5000,
                     "RFC 9293 3.10.7.4 eighth: the FIN counts one, ACK=SEG.SEQ+1; our FIN "
                     "at ISS+1");
    case kFinData:
      if (rejectall)
        return nothing("the article's rejectall answers only SYNs (errata)");
      if (echoall)
        return segment(TH_FIN | TH_PUSH | TH_ACK, c.snd_nxt, s, kPeerWindow,
                       "data and FIN echoed together; the ACK waits for the echo's (TcpState)",
                       kData5);
      return segment(TH_FIN | TH_ACK, kIss + 1, s + D + 1, 5000,
                     "RFC 9293 3.10.7.4: ACK=SEG.SEQ+data+1, the FIN counts one, after the data");
    case kKeepAlive:
      if (echoall)
        return segment(TH_ACK, c.snd_nxt, s, kPeerWindow,
                       "RFC 9293 3.8.4 and 3.10.7.4 first check: a keep-alive (SEG.SEQ=RCV.NXT-1) "
                       "gets <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>");
      return nothing("the article's stateless step leaves a keep-alive unanswered (errata)");
    case kWindowProbe:
      if (rejectall || acceptall)
        return nothing("the article's step ignores data (errata)");
      if (echoall)
        return segment(TH_ACK, c.snd_nxt, s, 0,
                       "RFC 9293 3.8.6.1: a zero window's probe gets <ACK=RCV.NXT> and the "
                       "window, still 0");
      return segment(TH_ACK, kIss + 1, s + 1, 5000,
                     "stateless, its window never closes: the probe's byte is data, acked");
  }
  return nothing("no such row");
}

// One IPv4+TCP segment from the peer 192.168.0.1:port to 192.168.0.2:2000.
inline Bytes make_segment(uint16_t port, uint32_t seq, uint32_t ack, int flags, uint16_t window,
                          const std::string& data = std::string())
{
  Bytes p(40 + data.size(), 0);
  p[0] = 0x45;
  put16(&p[2], static_cast<uint16_t>(p.size()));
  put16(&p[4], 4242);  // id
  p[8] = 64;           // ttl
  p[9] = IPPROTO_TCP;
  const unsigned char peer[4] = { 192, 168, 0, 1 }, us[4] = { 192, 168, 0, 2 };
  memcpy(&p[12], peer, 4);
  memcpy(&p[16], us, 4);
  put16(&p[20], port);
  put16(&p[22], 2000);
  put32(&p[24], seq);
  put32(&p[28], ack);
  p[32] = 5 << 4;
  p[33] = static_cast<unsigned char>(flags);
  put16(&p[34], window);
  memcpy(&p[40], data.data(), data.size());
  ip_fix_checksum(p);
  tcp_fix_checksum(p);
  return p;
}

inline std::string flag_names(int flags)
{
  std::string s;
  const struct { int bit; const char* name; } names[] = {
    { TH_SYN, "SYN" }, { TH_FIN, "FIN" }, { TH_RST, "RST" }, { TH_PUSH, "PSH" }, { TH_ACK, "ACK" },
    { TH_URG, "URG" },
  };
  for (const auto& n : names)
    if (flags & n.bit)
      s += (s.empty() ? "" : "+") + std::string(n.name);
  return s.empty() ? "none" : s;
}

// What a cell checked: the lines of what differs ("" when all is right),
// and how many fields it checked.
struct Verdict
{
  std::string diff;
  int fields = 0;
};

// Every field of `got`, the answer to `in`, against `want`.
inline Verdict check_answer(const Bytes& in, const std::vector<Bytes>& got, const Answer& want)
{
  Verdict v;
  auto field = [&v, &want](const char* name, uint64_t is, uint64_t wanted, const char* rule) {
    ++v.fields;
    if (is != wanted)
      v.diff += std::string(name) + " is " + std::to_string(is) + ", want " +
                std::to_string(wanted) + " = " + (rule ? rule : want.rule) + "\n";
  };
  auto text = [&v](const char* name, const std::string& is, const std::string& wanted,
                   const char* rule) {
    ++v.fields;
    if (is != wanted)
      v.diff += std::string(name) + " is " + is + ", want " + wanted + " (" + rule + ")\n";
  };
  if (want.none)
  {
    field("packets written", got.size(), 0, nullptr);
    return v;
  }
  field("packets written", got.size(), 1, "one answer");
  if (got.size() != 1)
    return v;
  const Bytes& p = got[0];
  field("packet length >= 40", p.size() >= 40, 1, "an IPv4 and a TCP header");
  if (p.size() < 40 || (p[0] & 0x0f) != 5)
  {
    field("ip ihl", p.empty() ? 0 : p[0] & 0x0f, 5, "no IP options in an answer");
    return v;
  }
  const unsigned char* t = &p[20];
  const size_t doff = (t[12] >> 4) * 4u;
  field("ip version", p[0] >> 4, 4, "IPv4");
  field("ip tot_len", get16(&p[2]), p.size(), "the bytes written");
  field("ip protocol", p[9], IPPROTO_TCP, "TCP");
  field("ip saddr", get32(&p[12]), get32(&in[16]), "the segment's daddr (RFC 9293 3.10.7: "
        "answer the sender)");
  field("ip daddr", get32(&p[16]), get32(&in[12]), "the segment's saddr");
  field("ip checksum ok", ip_checksum_ok(p), 1, "RFC 791 header checksum");
  field("tcp source port", get16(&t[0]), get16(&in[22]), "the segment's destination port");
  field("tcp dest port", get16(&t[2]), get16(&in[20]), "the segment's source port");
  text("tcp flags", flag_names(t[13]), flag_names(want.flags), want.rule.c_str());
  field("tcp seq", get32(&t[4]), want.seq, nullptr);
  if (want.flags & TH_ACK)
    field("tcp ack", get32(&t[8]), want.ack, nullptr);
  if (want.window >= 0)
    field("tcp window", get16(&t[14]), static_cast<uint64_t>(want.window),
          "the window the step offers");
  field("tcp doff within the segment", doff >= 20 && 20 + doff <= p.size(), 1, "RFC 9293 3.1");
  if (doff >= 20 && 20 + doff <= p.size())
    text("tcp payload", std::string(p.begin() + 20 + doff, p.end()), want.data,
         "data only where the step echoes");
  field("tcp checksum ok", tcp_checksum_ok(p), 1, "RFC 9293 3.1, the pseudo-header included");
  return v;
}

// Feeds one packet as the step's main loop would, returns all it wrote.
inline std::vector<Bytes> run_segment(Wire& wire, const Bytes& p, TcpInput tcp_input)
{
  std::vector<Bytes> out;
  feed(wire, Packet(p), tcp_input);
  for (Bytes b = wire.written(); !b.empty(); b = wire.written())
    out.push_back(b);
  return out;
}

// The segment of row r at s from port, and for a stateful step the
// segments that bring the connection to where the row needs it (the setup),
// after which its RCV.NXT is s.
inline std::vector<Bytes> setup(int r, uint16_t port, uint32_t s, const Column& c)
{
  std::vector<Bytes> v;
  if (r == kSyn || r == kSynData || r == kSynAck)
    return v;  // a new connection
  // SYN at s - 6, the handshake's ACK, 5 bytes at s - 5, the ACK of their echo.
  v.push_back(make_segment(port, s - 6, 0, TH_SYN, kPeerWindow));
  v.push_back(make_segment(port, s - 5, kIss + 1, TH_ACK, kPeerWindow));
  v.push_back(make_segment(port, s - 5, kIss + 1, TH_ACK | TH_PUSH, kPeerWindow, kData5));
  v.push_back(make_segment(port, s, c.stateful ? c.snd_nxt : kIss + 1, TH_ACK, kPeerWindow));
  if (r == kWindowProbe)  // the peer's window closes: its ACK says 0
    v.push_back(make_segment(port, s, c.stateful ? c.snd_nxt : kIss + 1, TH_ACK, 0));
  return v;
}

inline Bytes row_segment(int r, uint16_t port, uint32_t s, const Column& c)
{
  const uint32_t a = c.stateful ? c.snd_nxt : kIss + 1;
  switch (r)
  {
    case kSyn: return make_segment(port, s, 0, TH_SYN, kPeerWindow);
    case kSynData: return make_segment(port, s, 0, TH_SYN, kPeerWindow, kData5);
    case kSynAck: return make_segment(port, s, kStrayAck, TH_SYN | TH_ACK, kPeerWindow);
    case kAck: return make_segment(port, s, a, TH_ACK, kPeerWindow);
    case kData: return make_segment(port, s, a, TH_ACK | TH_PUSH, kPeerWindow, kData5);
    case kBeyondWindow:
      return make_segment(port, s + 70000, a, TH_ACK | TH_PUSH, kPeerWindow, kData5);
    case kOldDuplicate:
      return make_segment(port, s - 5, a, TH_ACK | TH_PUSH, kPeerWindow, kData5);
    case kFin: return make_segment(port, s, a, TH_FIN | TH_ACK, kPeerWindow);
    case kFinData: return make_segment(port, s, a, TH_FIN | TH_PUSH | TH_ACK, kPeerWindow, kData5);
    case kRst: return make_segment(port, s, 0, TH_RST, 0);
    case kRstAck: return make_segment(port, s, a, TH_RST | TH_ACK, 0);
    case kKeepAlive: return make_segment(port, s - 1, a, TH_ACK, kPeerWindow);
    case kWindowProbe: return make_segment(port, s, a, TH_ACK | TH_PUSH, 0, "h");
    case kNoFlags: return make_segment(port, s, 0, 0, kPeerWindow);
  }
  return Bytes();
}

// Runs one cell; `port` is the cell's own, so that a stateful step's entries
// never meet.  Ends with a RST, which no step answers, so that echoall's
// table is empty again.
inline Verdict run_cell(const std::string& step, int r, uint32_t s, uint16_t port,
                        TcpInput tcp_input)
{
  const Column c = column(step);
  Wire wire;
  StdoutCapture quiet;  // the steps print every segment
  for (const Bytes& p : setup(r, port, s, c))
    run_segment(wire, p, tcp_input);
  const Bytes in = row_segment(r, port, s, c);
  const Verdict v = check_answer(in, run_segment(wire, in, tcp_input), column_answer(step, r, s));
  run_segment(wire, make_segment(port, s + 100000, 0, TH_RST, 0), tcp_input);
  return v;
}

const uint32_t kSeqs[] = { 0xfffffffeu, 2 };  // just below 2^32 (its bytes cross), just above

}  // namespace conformance

TEST_CASE(STEP " answers every row of the conformance matrix as RFC 9293 3.10.7 (or the "
               "article, errata) says",
          "[tcp][conformance]")
{
  using namespace conformance;
  uint16_t port = 41000;
  std::string matrix;
  for (int r = 0; r < kRows; ++r)
    for (uint32_t s : kSeqs)
    {
      const Verdict v = run_cell(STEP, r, s, port++, tcp_input);
      INFO(STEP << ", " << row_name(r) << " at seq " << s << ":\n" << v.diff);
      CHECK(v.diff == "");
      if (s == kSeqs[0])
        matrix += std::string(row_name(r)) + ": " + std::to_string(v.fields) + " fields\n";
    }
  // FAKETCP_MATRIX=1 prints the column, for the closing note.
  if (getenv("FAKETCP_MATRIX"))
    fprintf(stderr, "%s column:\n%s", STEP, matrix.c_str());
}
