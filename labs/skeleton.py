#!/usr/bin/env python3
"""labs/skeleton.py - cuts the lesson out of a step file, leaving TODOs.

A lab is a step's file as it is, except that the code which is the lesson of
that step is replaced by TODO comments: what to build, the section of the
article that explains it, the header fields that matter.  What to cut is said
by function name and structure, never by line number, so the step files can
change around it:

  - whole=True     the body of the named function (its parameters are
                   marked used, a value is returned, so it still compiles);
  - branch=REGEX   the block of the `if (COND)` inside the function whose
                   COND matches REGEX (e.g. the article's `tcphdr->syn`);
  - lines=REGEX    inside that function or branch, only the statements that
                   start with a match (e.g. `out.tcphdr.seq =`), each with
                   the comment lines right above it.

  skeleton.py --steps                 the steps, in the article's order
  skeleton.py --file STEP             the file a step's lab stands for
  skeleton.py --tests STEP            the unit tests check-lab runs for it
  skeleton.py STEP [DIR]              the lab of STEP (from DIR, default .) on stdout
  skeleton.py --lesson STEP [DIR]     the lines the lab takes out, one a line
  skeleton.py --pack DIR              every step file in DIR made its skeleton,
                                      with every lesson it carries (no solution left)
"""
import os
import re
import sys

ARTICLE = "the article (faketcp-tutorial, docs/README.md links it)"

# Each lesson: the step it teaches, the files that carry its solution (the
# first is the step's own; later steps and the extensions repeat it: a pack
# cuts it from each), where it is, and the TODO.
LESSONS = [
    dict(step="icmpecho", files=["faketcp.cc"], function="sum_words", whole=True, optional=True,
         todo="""\
TODO(lab icmpecho, 第一步): add the bytes at buf as 16-bit words to sum, in
one's complement arithmetic (RFC 1071): add into 32 bits, pad an odd last
byte with a zero byte on its right.  Return the new sum; fold() below folds
the carries.  Read words with memcpy, not a cast."""),
    dict(step="icmpecho", files=["faketcp.cc"], function="fold", whole=True, optional=True,
         todo="""\
TODO(lab icmpecho, 第一步): fold the carries above bit 16 back into the low
16 bits ("end-around carry") until none are left, then return the one's
complement (~) of the result."""),
    dict(step="icmpecho", files=["faketcp.cc"], function="in_checksum", whole=True,
         todo="""\
TODO(lab icmpecho, 第一步): the Internet checksum of RFC 1071 over len bytes,
odd lengths included: sum_words() then fold(), once you have written them
(tcp_checksum uses them too).  A header whose checksum field is filled in
sums to zero; to fill one in, set the field to 0 first and store what this
returns."""),
    dict(step="icmpecho", files=["faketcp.cc"], function="icmp_input", whole=True,
         todo="""\
TODO(lab icmpecho, 第一步): answer an ICMP echo request with an echo reply.
  - the ICMP message is len - ihl*4 bytes at payload: fewer than 8 is a bad
    packet; only type ICMP_ECHO (8) with a right checksum gets an answer;
  - print "A > B: ICMP echo request, id I, seq S, length L", then build the
    reply in a buffer of its own: an IP header of 20 bytes (ihl 5, tot_len,
    saddr and daddr swapped, check recomputed with in_checksum), then the
    request's ICMP message with type ICMP_ECHOREPLY (0), code 0 and its
    checksum computed again from zero over the whole message;
  - write it with tun_write(fd, ...).
Fields: iphdr ihl, tot_len, saddr, daddr, check; icmphdr type, code, checksum."""),

    dict(step="rejectall", files=["rejectall.cc"], function="tcp_input", branch=r"tcphdr->syn",
         lines=r"out\.tcphdr\.(source|dest|seq|ack_seq|ack|rst|window)\s*=",
         todo="""\
TODO(lab rejectall, 第二步): make out.tcphdr the RST+ACK that refuses this SYN:
  - the ports of the SYN, swapped (source is its dest, dest its source);
  - seq 0, and ack = the SYN's seq + 1 + its payload length: a SYN counts as
    one byte (RFC 793 section 3.4, "Reset Generation");
  - the flags RST and ACK; window 0.
32-bit fields are in network byte order: ntohl() to read, htonl() to store.
Fields: tcphdr source, dest, seq, ack_seq, rst, ack, window."""),

    dict(step="acceptall", files=["acceptall.cc", "discardall.cc", "connectmany.cc", "discardall_fast.cc"],
         function="tcp_input", branch=r"tcphdr->syn",
         lines=r"out\.tcphdr\.(seq|ack_seq|syn|ack)\s*=",
         only_in=["acceptall.cc", "discardall.cc", "discardall_fast.cc"],
         todo="""\
TODO(lab acceptall, 第三步): the SYN+ACK that accepts this connection:
  - seq: our initial sequence number (the article's 123456);
  - ack = the SYN's seq + 1: a SYN counts as one byte;
  - the flags SYN and ACK (ports, window and checksum are done around you).
Fields: tcphdr seq, ack_seq, syn, ack (htonl/ntohl for the numbers)."""),
    dict(step="acceptall", files=["acceptall.cc", "discardall.cc", "connectmany.cc",
                                  "connectmany_window.cc", "discardall_fast.cc"],
         function="tcp_input", branch=r"tcphdr->fin",
         lines=r"out\.tcphdr\.(seq|ack_seq|fin|ack)\s*=",
         todo="""\
TODO(lab acceptall, 第三步): the FIN+ACK that closes this connection:
  - seq: the byte after our SYN (123456 + 1: our SYN counted as one);
  - ack = the FIN's seq + its payload length + 1: a FIN counts as one byte;
  - the flags FIN and ACK.
Fields: tcphdr seq, ack_seq, fin, ack."""),

    dict(step="discardall", files=["discardall.cc", "connectmany.cc", "connectmany_window.cc", "discardall_fast.cc"],
         function="tcp_input", branch=r"payload_len\s*>\s*0",
         lines=r"out\.tcphdr\.(seq|ack_seq|ack)\s*=",
         todo="""\
TODO(lab discardall, 第四步): acknowledge this data, and throw it away:
  - seq: our next byte (123457, as in the FIN+ACK: we send no data);
  - ack = the segment's seq + its payload length: the next byte we expect;
  - the flag ACK alone.
Fields: tcphdr seq, ack_seq, ack."""),

    dict(step="connectmany", files=["connectmany.cc", "connectmany_window.cc"], function="tcp_send_syn",
         lines=r"out\.(iphdr\.(version|ihl|tos|tot_len|id|frag_off|ttl|protocol|saddr|daddr)"
               r"|tcphdr\.(source|dest|seq|ack_seq|doff|syn|window))\s*=",
         todo="""\
TODO(lab connectmany, 第五步): the SYN that opens a connection, built from
zero (no packet to copy this time):
  - IP header: version 4, ihl 5, tot_len 40, an id, DF set in frag_off
    (htons(IP_DF)), ttl 64, protocol TCP, saddr and daddr as given;
  - TCP header: source sport, dest dport, seq 123456 (our initial sequence
    number), ack_seq 0, doff 5, the flag SYN alone, a window (4096).
The addresses and ports arrive in network byte order already.
Fields: iphdr version, ihl, tot_len, id, frag_off, ttl, protocol, saddr,
daddr; tcphdr source, dest, seq, doff, syn, window."""),
    dict(step="connectmany", files=["connectmany.cc", "connectmany_window.cc"], function="tcp_input",
         branch=r"tcphdr->syn",
         lines=r"(const bool passive\b|out\.tcphdr\.(seq|ack_seq|syn|ack)\s*=)",
         todo="""\
TODO(lab connectmany, 第五步): a SYN (someone connects to us) gets SYN+ACK,
as in acceptall; a SYN+ACK (the server answers our SYN, seq 123456) gets the
ACK that completes the handshake: seq 123457 (our SYN counted as one),
ack = its seq + 1, the flag ACK alone.  tcphdr->ack tells the two apart.
Fields: tcphdr seq, ack_seq, syn, ack."""),

    dict(step="echoall", files=["echoall.cc", "echoall_hardened.cc"], function="tcp_input",
         lines=r"(connections\[key\]\s*=|const uint32_t end\b|st\.(rcv_nxt|snd_nxt|snd_una|snd_wnd|fin)\s*=)",
         todo="""\
TODO(lab echoall, 第五步之后 (echoall)): keep the connection's state, in
RFC 793's names (see struct TcpState):
  - on a SYN, a fresh entry: connections[key] = { rcv_nxt, snd_nxt,
    snd_una, snd_wnd, fin } with rcv_nxt = its seq + 1 (a SYN counts as one
    byte), snd_nxt and snd_una = kIss + 1 (ours counts too; take it as
    acknowledged already), snd_wnd = its window, fin = false;
  - on a newer ACK: snd_una = the ack, snd_wnd = its window;
  - after an echo goes out: end = seq + skip + len (+1 for a FIN echoed),
    rcv_nxt = end unless rcv_nxt is past it already (a retransmission),
    snd_nxt = rcv_nxt + offset; fin once the FIN was echoed.
Fields: tcphdr seq, ack_seq, window, syn, fin; TcpState's five members."""),
    dict(step="discardall2", files=["discardall2.cc"], function="tcp_input",
         lines=r"st\.rcv_nxt\s*=",
         todo="""\
TODO(lab discardall2, after step 4): keep rcv_nxt, the next byte expected
from the peer (RFC 9293 3.3.1):
  - on a SYN: the SYN's seq + 1 (a SYN counts as one byte);
  - when data arrives at rcv_nxt, or a retransmission reaches past it: the
    segment's end (seq + its length), then held_take() takes the held
    segments that now follow on.
Compare sequence numbers with seq_before(), modulo 2^32 (RFC 1982).
Fields: tcphdr seq; TcpState rcv_nxt."""),
    dict(step="discardall2", files=["discardall2.cc"], function="tcp_input",
         branch=r"seq_before\(st\.rcv_nxt, seq\)", lines=r"tcp_reply\(",
         todo="""\
TODO(lab discardall2, after step 4): a segment past rcv_nxt means the bytes
between were lost.  Answer it at once with a duplicate ACK: the same ACK
again, seq kIss + 1, ack rcv_nxt, the flag ACK alone (RFC 5681 4.2).
Three of them and the sender resends the hole without waiting for its
timer (fast retransmit, RFC 5681 3.2).
Fields: tcphdr seq, ack_seq, ack."""),
]


def makefile_list(name):
    """A list of the Makefile, such as STEPS: its words, $(OTHER) expanded."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "Makefile")) as f:
        for line in f:
            m = re.match(r"%s\s*:=\s*(.*)" % name, line)
            if m:
                words = []
                for w in m.group(1).split("#")[0].split():
                    ref = re.fullmatch(r"\$\((\w+)\)", w)
                    words += makefile_list(ref.group(1)) if ref else [w]
                return words
    raise SystemExit("labs/skeleton.py: no %s := line in the Makefile" % name)


def steps_of_makefile():
    """The labs, in order, from the one list in the Makefile (LABS: the
    steps, then discardall2)."""
    return makefile_list("LABS")


STEPS = steps_of_makefile()
PROGRAMS = makefile_list("STEPS") + makefile_list("EXTENSIONS")


def file_of(step):
    return next(l["files"][0] for l in LESSONS if l["step"] == step)


def unit_tests(step, root="."):
    """The unit tests check-lab runs: the step's own (named after it), and
    for step 1 those of the checksum and of faketcp.cc's malformed input."""
    names = [step + "_unittest", step + "_malformed_unittest"]
    if step == "icmpecho":
        names += ["checksum_unittest", "faketcp_malformed_unittest"]
    return [n for n in names if os.path.exists(os.path.join(root, "tests", n + ".cc"))]


class CutError(Exception):
    pass


# ---------------------------------------------------------------- C++ scanning

def skip_literal(text, i):
    """If text[i] opens a comment, string or character literal, the index
    just past it; else i."""
    if text.startswith("//", i):
        j = text.find("\n", i)
        return len(text) if j < 0 else j
    if text.startswith("/*", i):
        j = text.find("*/", i + 2)
        return len(text) if j < 0 else j + 2
    if text[i] in "\"'":
        q = text[i]
        j = i + 1
        while j < len(text) and text[j] != q:
            j += 2 if text[j] == "\\" else 1
        return j + 1
    return i


def matching(text, i):
    """text[i] is ( or {: the index of its partner."""
    opening = text[i]
    closing = {"(": ")", "{": "}"}[opening]
    depth = 0
    while i < len(text):
        j = skip_literal(text, i)
        if j != i:
            i = j
            continue
        if text[i] == opening:
            depth += 1
        elif text[i] == closing:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise CutError("unbalanced " + opening)


def function_body(text, name):
    """(return type, parameters text, index of {, index of }) of the
    definition of `name` (a declaration ending in ; is passed over)."""
    for m in re.finditer(r"^([A-Za-z_][\w:<>\s\*&]*?)\b" + re.escape(name) + r"\s*\(", text, re.M):
        if m.group(1).strip() in ("", "return", "else"):
            continue
        open_paren = m.end() - 1
        close_paren = matching(text, open_paren)
        k = close_paren + 1
        while k < len(text) and text[k].isspace():
            k += 1
        if text.startswith("const", k):
            k += 5
            while text[k].isspace():
                k += 1
        if k < len(text) and text[k] == "{":
            return m.group(1).strip(), text[open_paren + 1:close_paren], k, matching(text, k)
    return None


def branch_block(text, start, end, cond_re):
    """(index of {, index of }) of the block of the first `if (COND)` in
    text[start:end] whose COND matches cond_re."""
    for m in re.finditer(r"\bif\s*\(", text[start:end]):
        p = start + m.end() - 1
        q = matching(text, p)
        cond = " ".join(text[p + 1:q].split())
        if re.fullmatch(cond_re, cond):
            k = q + 1
            while text[k].isspace():
                k += 1
            if text[k] != "{":
                raise CutError("the branch if (%s) has no { block }" % cond)
            return k, matching(text, k)
    return None


def param_names(params):
    names = []
    for p in params.split(","):
        m = re.search(r"(\w+)\s*(\[[^\]]*\])?\s*$", p.strip())
        if m and p.strip() not in ("", "void"):
            names.append(m.group(1))
    return names


def indent_of(text, i):
    line_start = text.rfind("\n", 0, i) + 1
    return re.match(r"[ \t]*", text[line_start:]).group(0)


def comment(todo, indent):
    return "".join(indent + "// " + line + "\n" if line else indent + "//\n" for line in todo.split("\n"))


# ---------------------------------------------------------------- cutting

def cut_whole(text, lesson, fn):
    ret, params, lb, rb = fn
    indent = indent_of(text, lb) + "  "
    body = "\n" + comment(lesson["todo"], indent)
    for name in param_names(params):
        body += indent + "(void)" + name + ";\n"
    ret = re.sub(r"\b(static|inline|extern)\b", "", ret).strip()
    if ret != "void":
        body += indent + ("return false;\n" if ret == "bool" else "return 0;\n")
    removed = [l.strip() for l in text[lb + 1:rb].split("\n")]
    return text[:lb + 1] + body + text[rb:], removed


def cut_lines(text, lesson, lb, rb, fn_params):
    """Removes, between lb and rb, each statement that starts with a match of
    lesson["lines"], with the comment lines right above it; the TODO goes
    where the first was."""
    head, scope, tail = text[:lb + 1], text[lb + 1:rb], text[rb:]
    lines = scope.split("\n")
    drop = [False] * len(lines)
    first = None
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if re.match(lesson["lines"], s):
            j = i
            depth = 0
            while True:
                depth += lines[j].count("(") - lines[j].count(")")
                code = lines[j].split("//")[0].rstrip()
                if depth <= 0 and code.endswith(";"):
                    break
                j += 1
            k = i
            while k > 0 and lines[k - 1].strip().startswith("//") and not drop[k - 1]:
                k -= 1
            for n in range(k, j + 1):
                drop[n] = True
            first = k if first is None else min(first, k)
            i = j + 1
        else:
            i += 1
    if first is None:
        raise CutError("no statement matches " + lesson["lines"])
    removed = [lines[n].strip() for n in range(len(lines)) if drop[n]]
    indent = re.match(r"[ \t]*", lines[first]).group(0)
    out = []
    for n, line in enumerate(lines):
        if n == first:
            out.append(comment(lesson["todo"], indent).rstrip("\n"))
        elif drop[n] and not drop[n - 1] and n > first:
            # a later cut of the same lesson: say so where it was
            out.append(re.match(r"[ \t]*", line).group(0)
                       + "// TODO(lab %s): here too, see the TODO above" % lesson["step"])
        if not drop[n]:
            out.append(line)
    return head + "\n".join(out) + tail, removed


def apply(text, lesson):
    """text with the lesson cut out, and the lines removed."""
    fn = function_body(text, lesson["function"])
    if fn is None:
        if lesson.get("optional"):
            return text, []
        raise CutError("no function %s()" % lesson["function"])
    ret, params, lb, rb = fn
    if "branch" in lesson:
        block = branch_block(text, lb, rb, lesson["branch"])
        if block is None:
            raise CutError("%s() has no branch if (%s)" % (lesson["function"], lesson["branch"]))
        lb, rb = block
    if "TODO(lab %s" % lesson["step"] in text[lb:rb]:
        return text, []  # cut already (a lab pack's own file)
    if lesson.get("whole"):
        return cut_whole(text, lesson, fn)
    text, removed = cut_lines(text, lesson, lb, rb, params)
    # Parameters the cut left unused are marked used, so it builds without a
    # warning.  A name in a comment (the TODO says "saddr and daddr") is no use.
    fn = function_body(text, lesson["function"])
    ret, params, lb, rb = fn
    code = re.sub(r"//[^\n]*", "", text[lb + 1:rb])
    unused = [p for p in param_names(params) if not re.search(r"\b%s\b" % p, code)]
    if unused:
        indent = indent_of(text, lb) + "  "
        text = text[:lb + 1] + "\n" + "".join(indent + "(void)%s;\n" % p for p in unused) + text[lb + 2:]
    return text, removed


def lessons_for(path_name, pack):
    """The lessons to cut from a file: in a lab its step's own; in a pack
    every lesson whose solution the file carries."""
    if pack:
        return [l for l in LESSONS if path_name in l["files"]
                and path_name in l.get("only_in", l["files"])]
    return None


def skeleton(step, root="."):
    name = file_of(step)
    text = open(os.path.join(root, name)).read()
    removed = []
    for lesson in (l for l in LESSONS if l["step"] == step):
        text, r = apply(text, lesson)
        removed += r
    return name, text, removed


def kept_lines(root="."):
    """The lines of the sources (stripped) that a pack keeps: the scaffolding
    the steps share on purpose (addresses swapped, the IP checksum, ...)."""
    kept = set()
    for name in sorted(os.listdir(root)):
        if not name.endswith((".cc", ".h")):
            continue
        text = open(os.path.join(root, name)).read()
        for lesson in lessons_for(name, True):
            text, _ = apply(text, lesson)
        kept |= set(l.strip() for l in text.split("\n"))
    return kept


def lesson_lines(step, root="."):
    """The lines a lab takes out that are its own: not braces or comments,
    and not lines that the pack keeps elsewhere because other steps share
    them.  None of them may be anywhere in a pack."""
    _, _, removed = skeleton(step, root)
    kept = kept_lines(root)
    out = []
    for line in removed:
        if len(line) < 12 or line.startswith("//") or line in kept or line in out:
            continue
        if not re.search(r"[=(]", line):
            continue
        out.append(line)
    return out


def pack(root):
    for name in sorted(set(f for l in LESSONS for f in l["files"])):
        path = os.path.join(root, name)
        text = open(path).read()
        for lesson in lessons_for(name, True):
            text, _ = apply(text, lesson)
        open(path, "w").write(text)


def main(argv):
    try:
        if argv[1:2] == ["--steps"]:
            print(" ".join(STEPS))
        elif argv[1:2] == ["--file"]:
            print(file_of(argv[2]))
        elif argv[1:2] == ["--tests"]:
            print(" ".join(unit_tests(argv[2], argv[3] if len(argv) > 3 else ".")))
        elif argv[1:2] == ["--lesson"]:
            print("\n".join(lesson_lines(argv[2], argv[3] if len(argv) > 3 else ".")))
        elif argv[1:2] == ["--pack"]:
            pack(argv[2])
        elif len(argv) in (2, 3) and argv[1] in STEPS:
            _, text, _ = skeleton(argv[1], argv[2] if len(argv) > 2 else ".")
            sys.stdout.write(text)
        else:
            sys.stderr.write(__doc__)
            sys.stderr.write("steps: %s\n" % " ".join(STEPS))
            return 2
    except (CutError, OSError, StopIteration) as e:
        sys.stderr.write("skeleton.py: %s: the step file no longer has what this lab cuts;"
                         " update LESSONS in labs/skeleton.py\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
