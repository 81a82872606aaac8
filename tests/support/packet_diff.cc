// tests/support/packet_diff.cc - see packet_diff.h.
#include "tests/support/packet_diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <vector>

namespace
{

// One field of a packet as printed: a number, an address, flags; or, for
// options, payloads and other runs of bytes, the bytes themselves.
struct Field
{
  std::string name;   // "tcp ack"
  std::string value;  // "1002"; empty for a run of bytes
  Bytes bytes;        // the run of bytes
  bool is_bytes;
};

std::string number(unsigned long v)
{
  return std::to_string(v);
}

std::string hex_number(unsigned v, int digits)
{
  char s[16];
  snprintf(s, sizeof s, "0x%0*x", digits, v);
  return s;
}

std::string address(const unsigned char* p)
{
  char s[16];
  snprintf(s, sizeof s, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
  return s;
}

// "SYN+ACK", in the order of the bits (RFC 793 section 3.1, RFC 3168).
std::string tcp_flags(uint8_t flags)
{
  static const char* const names[] = { "FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR" };
  std::string s;
  for (int bit = 0; bit < 8; ++bit)
  {
    if (flags & (1 << bit))
      s += (s.empty() ? "" : "+") + std::string(names[bit]);
  }
  return s.empty() ? "none" : s;
}

// "0x4000 (DF)": the flags bits and the offset, as the header holds them.
std::string frag_off(uint16_t v)
{
  std::string s = hex_number(v, 4);
  std::string names;
  if (v & 0x8000)
    names += " reserved";
  if (v & 0x4000)
    names += " DF";
  if (v & 0x2000)
    names += " MF";
  if (v & 0x1fff)
    names += " offset " + number((v & 0x1fffu) * 8);
  return names.empty() ? s : s + " (" + names.substr(1) + ")";
}

std::string ip_protocol(uint8_t protocol)
{
  const char* name = protocol == 1 ? " (ICMP)" : protocol == 6 ? " (TCP)" : protocol == 17 ? " (UDP)" : "";
  return number(protocol) + name;
}

std::string icmp_type(uint8_t type)
{
  return type == 0 ? "echo reply" : type == 8 ? "echo request" : "ICMP type " + number(type);
}

// The fields of one packet, in wire order.
std::vector<Field> fields_of(const Bytes& b)
{
  std::vector<Field> f;
  auto value = [&](const char* name, const std::string& v) { f.push_back({ name, v, Bytes(), false }); };
  auto bytes = [&](const char* name, size_t from, size_t to) {
    f.push_back({ name, "", Bytes(b.begin() + from, b.begin() + to), true });
  };
  value("length", number(b.size()) + " bytes");
  const unsigned char* p = b.data();
  const size_t ihl = ip_header_len(p, b.size());
  if (ihl == 0)
  {
    bytes("bytes (not an IPv4 packet)", 0, b.size());
    return f;
  }
  value("ip version", number(p[0] >> 4));
  value("ip ihl", number(p[0] & 0x0f));
  value("ip tos", hex_number(p[1], 2));
  value("ip tot_len", number(get16(p + 2)));
  value("ip id", number(get16(p + 4)));
  value("ip frag_off", frag_off(get16(p + 6)));
  value("ip ttl", number(p[8]));
  value("ip protocol", ip_protocol(p[9]));
  value("ip checksum", hex_number(get16(p + 10), 4));
  value("ip saddr", address(p + 12));
  value("ip daddr", address(p + 16));
  bytes("ip options", 20, ihl);

  // The transport part ends at tot_len, kept between the header and the bytes.
  const size_t end = std::min(std::max<size_t>(get16(p + 2), ihl), b.size());
  const unsigned char* l4 = p + ihl;
  const size_t l4_len = end - ihl;
  if (p[9] == 6 && l4_len >= 20)
  {
    const size_t doff = std::min(std::max<size_t>((l4[12] >> 4) * 4u, 20), l4_len);
    value("tcp source port", number(get16(l4)));
    value("tcp dest port", number(get16(l4 + 2)));
    value("tcp seq", number(get32(l4 + 4)));
    value("tcp ack", number(get32(l4 + 8)));
    value("tcp doff", number(l4[12] >> 4));
    value("tcp reserved bits", hex_number(l4[12] & 0x0f, 1));
    value("tcp flags", tcp_flags(l4[13]));
    value("tcp win", number(get16(l4 + 14)));
    value("tcp checksum", hex_number(get16(l4 + 16), 4));
    value("tcp urg", number(get16(l4 + 18)));
    bytes("tcp options", ihl + 20, ihl + doff);
    bytes("tcp payload", ihl + doff, end);
  }
  else if (p[9] == 1 && l4_len >= 8)
  {
    value("icmp type", icmp_type(l4[0]));
    value("icmp code", number(l4[1]));
    value("icmp checksum", hex_number(get16(l4 + 2), 4));
    if (l4[0] == 0 || l4[0] == 8)
    {
      value("icmp id", number(get16(l4 + 4)));
      value("icmp seq", number(get16(l4 + 6)));
    }
    else
    {
      bytes("icmp rest of header", ihl + 4, ihl + 8);
    }
    bytes("icmp payload", ihl + 8, end);
  }
  else
  {
    bytes("ip payload", ihl, end);
  }
  bytes("bytes past tot_len", end, b.size());
  return f;
}

bool printable(const Bytes& b)
{
  for (unsigned char c : b)
  {
    if ((c < 0x20 || c > 0x7e) && c != '\n' && c != '\r' && c != '\t')
      return false;
  }
  return !b.empty();
}

// Short runs whole: "hello\n" in quotes when it is text, else hex.
std::string show(const Bytes& b)
{
  if (b.empty())
    return "none";
  if (!printable(b))
    return hex(b.data(), b.size());
  std::string s = "\"";
  for (unsigned char c : b)
    s += c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '"' ? "\\\"" : std::string(1, c);
  return s + "\"";
}

// What follows a run's name: "is "hellp\n", want "hello\n"" for short runs;
// for long ones the lengths, or the first byte that differs.
std::string compare_runs(const Bytes& got, const Bytes& want)
{
  if (got.size() <= 16 && want.size() <= 16)
    return " is " + show(got) + ", want " + show(want);
  const size_t common = std::min(got.size(), want.size());
  size_t first = common, differ = 0;
  for (size_t i = 0; i < common; ++i)
  {
    if (got[i] != want[i] && differ++ == 0)
      first = i;
  }
  std::string s;
  if (got.size() != want.size())
    s = " is " + number(got.size()) + " bytes, want " + number(want.size());
  if (differ > 0)
  {
    s += (s.empty() ? " byte " : "; byte ") + number(first) + " is " + hex_number(got[first], 2)
         + ", want " + hex_number(want[first], 2) + " (" + number(differ) + " of " + number(common)
         + " bytes differ)";
  }
  return s;
}

const Field* find(const std::vector<Field>& fields, const std::string& name)
{
  for (const Field& f : fields)
  {
    if (f.name == name)
      return &f;
  }
  return nullptr;
}

std::string shown(const Field& f)
{
  return f.is_bytes ? show(f.bytes) : f.value;
}

// "RST+ACK", "echo reply", "IPv4 packet", "packet".
std::string packet_name(const Bytes& b)
{
  const size_t ihl = ip_header_len(b.data(), b.size());
  if (ihl == 0)
    return "packet";
  if (b[9] == 6 && b.size() >= ihl + 14)
    return tcp_flags(b[ihl + 13]);
  if (b[9] == 1 && b.size() > ihl)
    return icmp_type(b[ihl]);
  return "IPv4 packet";
}

// The TCP flags of a packet, 0 when it has no TCP header.
uint8_t flags_of(const Bytes& b)
{
  const size_t ihl = ip_header_len(b.data(), b.size());
  return ihl != 0 && b[9] == 6 && b.size() >= ihl + 14 ? b[ihl + 13] : 0;
}

bool to_number(const std::string& s, unsigned long* v)
{
  if (s.empty() || s[0] < '0' || s[0] > '9')
    return false;
  *v = std::stoul(s, nullptr, 0);
  return true;
}

// What to do about one field that differs, after "is X, want Y": the
// rule the expected value follows, in a student's words.
std::string hint(const std::string& field, const Bytes& expected, const std::string& got,
                 const std::string& want)
{
  unsigned long g = 0, w = 0;
  if (to_number(got, &g) && to_number(want, &w) && g != w)
  {
    const bool wide = field == "tcp seq" || field == "tcp ack";
    const unsigned long swapped = wide ? __builtin_bswap32(static_cast<uint32_t>(g))
                                       : __builtin_bswap16(static_cast<uint16_t>(g));
    if (swapped == w && field.find("checksum") == std::string::npos
        && field != "ip ttl" && field != "tcp doff" && field != "ip ihl" && field != "ip tos")
      return std::string(" (its bytes are swapped: one ") + (wide ? "htonl()/ntohl()" : "htons()/ntohs()")
             + " too many or too few)";
  }
  const uint8_t f = flags_of(expected);
  const bool syn = f & 0x02, fin = f & 0x01, rst = f & 0x04;
  if (field == "tcp ack")
  {
    if (syn || (rst && w != 0))
      return " = the SYN's seq + 1 (a SYN counts as one byte)";
    if (fin)
      return " = the FIN's seq + its data length + 1 (a FIN counts as one byte)";
    // A bare ACK: the segment it answers may have been a SYN+ACK, a FIN or
    // data, which the expected packet does not say; one off says which way.
    std::string rule = " = the next byte expected: the segment's seq + its data length (+ 1 for a SYN or FIN)";
    if (g + 1 == w)
      rule += "; one short: if it answers a SYN or a FIN, a SYN counts as one byte, a FIN too";
    else if (g == w + 1)
      rule += "; one too many: data counts its bytes alone, only a SYN or a FIN adds 1";
    return rule;
  }
  if (field == "tcp seq")
  {
    if (rst && w == 0)
      return " (a reset answering a segment without ACK has seq 0)";
    if (syn)
      return " (the initial sequence number of this side)";
    return " (the next sequence number of this side: its SYN counted as one)";
  }
  if (field == "tcp flags")
  {
    std::string bits;
    static const char* const names[] = { "fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr" };
    for (int bit = 0; bit < 8; ++bit)
    {
      if (f & (1 << bit))
        bits += (bits.empty() ? "" : " and ") + std::string(names[bit]);
    }
    return " (set the tcphdr bits " + (bits.empty() ? std::string("none") : bits) + " to 1, the others 0)";
  }
  if (field == "tcp win")
    return rst ? " (a reset carries window 0)" : " (the window this side announces, htons())";
  if (field == "tcp checksum")
    return " (tcp_checksum() of the pseudo-header and the segment, the field 0, once every other field is set)";
  if (field == "ip checksum")
    return " (in_checksum() of the 20-byte IP header, check 0, once every other IP field is set)";
  if (field == "icmp checksum")
    return " (in_checksum() of the whole ICMP message, the field 0, once the type is set)";
  if (field == "icmp type")
    return " (an echo reply is type 0, ICMP_ECHOREPLY)";
  if (field == "tcp source port" || field == "tcp dest port")
    return " (a reply's ports are the segment's, swapped)";
  if (field == "ip saddr" || field == "ip daddr")
    return " (a reply goes back: the packet's addresses, swapped)";
  if (field == "ip ihl")
    return " (the header in 32-bit words: 5 for 20 bytes, no options)";
  if (field == "tcp doff")
    return " (the header in 32-bit words: 5 for 20 bytes, no options)";
  if (field == "ip tot_len")
    return " (the whole packet, IP header included, htons())";
  return "";
}

// check-lab (FAKETCP_GRADE=rules) grades a student's packet by the rules
// of the RFCs: a field they leave free may hold any value, or any value its
// rule allows, and is not compared with the repository's own packet.  Sets
// *is_free and returns what breaks the rule ("" when nothing does).
std::string free_field(const Field& w, const Field& g, const Bytes& actual, bool* is_free)
{
  *is_free = true;
  const std::string is = " is " + shown(g);
  if (w.name == "ip id" || w.name == "ip tos")
    return "";  // RFC 6864 4.1: any id for an unfragmented datagram; RFC 2474: any DSCP
  if (w.name == "ip ttl")
    return g.value == "0" ? is + ", want 1 to 255 (RFC 791: a datagram whose TTL is 0 is destroyed; 64 is usual)" : "";
  if (w.name == "ip frag_off")
  {
    unsigned long v = 0;
    return to_number(g.value, &v) && (v & 0xbfff) == 0
               ? ""
               : is + ", want 0x0000 or 0x4000 (DF): an unfragmented datagram has MF 0, offset 0 and the"
                      " reserved bit 0 (RFC 791); DF is yours to choose";
  }
  if (w.name == "ip checksum")
    return ip_checksum_ok(actual) ? "" : is + ", want the in_checksum() of this 20-byte header with check 0,"
                                              " stored once every other IP field is set";
  if (w.name == "tcp checksum")
    return tcp_checksum_ok(actual) ? "" : is + ", want tcp_checksum() of the pseudo-header and this segment with"
                                               " the field 0, stored once every other field is set";
  if (w.name == "tcp win")
    return "";  // the window a side offers is its own choice (RFC 9293 3.8.6); a reset's means nothing
  if (w.name == "tcp urg" && !(flags_of(actual) & 0x20))
    return "";  // the urgent pointer counts only with URG set (RFC 9293 3.1)
  *is_free = false;
  return "";
}

}  // namespace

namespace
{
int rules = -1;  // -1: FAKETCP_GRADE not read yet
}

bool grading_by_rules()
{
  if (rules < 0)
  {
    const char* g = getenv("FAKETCP_GRADE");
    rules = g != nullptr && strcmp(g, "rules") == 0;
  }
  return rules == 1;
}

void grade_by_rules(bool on)
{
  rules = on;
}

std::string packet_diff(const Bytes& expected, const Bytes& actual)
{
  if (expected == actual)
    return "";
  const std::string name = packet_name(expected) + ": ";
  // Nothing to walk field by field: one line.
  if (actual.empty())
    return name + "nothing was written, want " + number(expected.size()) + " bytes (build the reply, then tun_write() it)";
  if (ip_header_len(actual.data(), actual.size()) == 0 && ip_header_len(expected.data(), expected.size()) != 0)
    return name + "the " + number(actual.size()) + " bytes written are not an IPv4 packet ("
           + hex(actual.data(), std::min<size_t>(actual.size(), 20)) + (actual.size() > 20 ? " ..." : "")
           + "), want " + number(expected.size()) + " bytes of IPv4";
  const std::vector<Field> want = fields_of(expected);
  const std::vector<Field> got = fields_of(actual);
  std::vector<std::string> lines;
  for (const Field& w : want)
  {
    const Field* g = find(got, w.name);
    bool is_free = false;
    if (g && grading_by_rules() && !w.is_bytes && !g->is_bytes)
    {
      const std::string broken = free_field(w, *g, actual, &is_free);
      if (!broken.empty())
        lines.push_back(name + w.name + broken);
    }
    if (is_free)
      continue;
    if (!g)
    {
      if (!(w.is_bytes && w.bytes.empty()))
        lines.push_back(name + w.name + " is absent, want " + shown(w));
    }
    else if (w.is_bytes != g->is_bytes)  // cannot happen: one name, one kind
      lines.push_back(name + w.name + " is " + shown(*g) + ", want " + shown(w));
    else if (w.is_bytes ? w.bytes != g->bytes : w.value != g->value)
      lines.push_back(name + w.name
                      + (w.is_bytes ? compare_runs(g->bytes, w.bytes)
                                    : " is " + g->value + ", want " + w.value + hint(w.name, expected, g->value, w.value)));
  }
  for (const Field& g : got)
  {
    if (!find(want, g.name) && !(g.is_bytes && g.bytes.empty()))
      lines.push_back(name + g.name + " is " + shown(g) + ", want none");
  }
  if (lines.empty() && grading_by_rules())
    return "";  // only free fields differ, each within its rule
  if (lines.empty())  // every field alike, yet the bytes differ: say where
    lines.push_back(name + "bytes" + compare_runs(actual, expected));

  std::string out;
  const size_t shown_lines = std::min<size_t>(lines.size(), 12);
  for (size_t i = 0; i < shown_lines; ++i)
    out += (i ? "\n" : "") + lines[i];
  if (lines.size() > shown_lines)
    out += "\n" + name + "and " + number(lines.size() - shown_lines) + " more fields differ";
  return out;
}

std::string refusal_diff(const std::string& printed, const std::string& why)
{
  const std::string first = printed.substr(0, printed.find('\n'));
  const bool rules = grading_by_rules();
  if (rules ? first.rfind("bad packet: ", 0) == 0 && first.size() > 12 : printed.rfind("bad packet: " + why + "\n", 0) == 0)
    return "";
  const std::string want = rules ? "a line \"bad packet: <why, in your words>\" (" + why + ")"
                                 : "the line \"bad packet: " + why + "\"";
  return "printed " + (printed.empty() ? std::string("nothing") : "\"" + first + "\"") + ", want " + want
         + ": a refused packet is reported with bad_packet(), and nothing is written";
}

std::string checksum_diff(uint16_t got, uint16_t want)
{
  if (got == want)
    return "";
  std::string s = "the checksum is " + hex_number(got, 4) + ", want " + hex_number(want, 4);
  // Over one byte, or bytes all equal, a swap and a missing ~ look alike;
  // over an odd length a swap is also the last byte padded on its left.
  const bool complement = got == static_cast<uint16_t>(~want);
  const bool swapped = __builtin_bswap16(got) == want;
  if (complement && swapped)
    return s + ": the ~ at the end is missing, or its bytes are swapped (with an odd length: the last byte"
               " padded with the zero byte on its left; it goes on its right, RFC 1071 4.1)";
  if (complement)
    return s + ": that is the sum itself; the checksum is its one's complement, so the ~ at the end"
               " is missing (RFC 1071)";
  if (swapped)
    return s + ": its bytes are swapped: in_checksum returns the field as it lies in the packet, so add"
               " the words as memcpy reads them, with no ntohs() or htons() (with an odd length: or the"
               " last byte padded with the zero byte on its left; it goes on its right)";
  return s + " (RFC 1071: add the 16-bit words in 32 bits, an odd last byte padded with a zero byte on"
             " its right, fold every carry above bit 16 back in, then take the complement ~)";
}
