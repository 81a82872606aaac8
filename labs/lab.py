#!/usr/bin/env python3
"""labs/lab.py - the labs: a step to write yourself, and its grading.

  lab.py new STEP      write lab/FILE, the step's file with its lesson cut out
                       (never over a file that is there: your edits are kept)
  lab.py check STEP    build lab/FILE (or, without one, the repository's own
                       FILE) in place of FILE, in build/lab/STEP, and run the
                       step's unit tests and its real-kernel test against it:
                       one line per check, PASS or FAIL with a hint, then
                       "N of M checks pass" (M the same on every run: a
                       check that could not run is counted, as not run);
                       exit 0 only when all pass.  The fields the RFCs
                       leave free (the IP id, the words of a message) are
                       graded by their rule (FAKETCP_GRADE=rules).
                       LAB_KERNEL=0: the unit checks only (exit 1 even
                       when all pass: the verdict is not complete)
  lab.py pack [OUT]    a tarball of the repository (HEAD) in which every step
                       file is its skeleton (default build/faketcp-labs.tar.gz)

make lab STEP=..., make check-lab STEP=... and make lab-pack call it.
"""
import html
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import skeleton  # noqa: E402

STEPS = skeleton.STEPS
BUILD_TIMEOUT = int(os.environ.get("LAB_BUILD_TIMEOUT", "900"))
UNIT_TIMEOUT = 10     # seconds for one run of a unit-test program: an endless loop ends here
KERNEL_TIMEOUT = 300  # the real-kernel test: its own waits are bounded, this bounds the rest


class Interrupted(Exception):
    pass


def session_members(sid):
    """The processes of session sid.  A process group is not enough: a
    kernel test runs under timeout(1), which makes a group of its own."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 3 and fields[3] == str(sid):
            pids.append(int(d))
    return pids


def stop_session(sid):
    """SIGTERM to every process of session sid, then SIGKILL to those left
    after 3 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in session_members(sid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        for _ in range(30):
            if not session_members(sid):
                return
            time.sleep(0.1)


def run(cmd, timeout, **kw):
    """Runs cmd in a session of its own, its output (stdout and stderr) as
    text.  Returns (output, exit status, or "timeout").  On a timeout or
    Ctrl-C every process of the session is stopped, so nothing it started
    runs on (a kernel test's programs, a looping unit test)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         errors="replace", start_new_session=True, **kw)
    try:
        out, _ = p.communicate(timeout=timeout)
        return out, p.returncode
    except (subprocess.TimeoutExpired, KeyboardInterrupt) as e:
        stop_session(p.pid)
        try:
            out, _ = p.communicate(timeout=3)
        except subprocess.TimeoutExpired:
            out = ""
        if isinstance(e, KeyboardInterrupt):
            raise Interrupted()
        return out or "", "timeout"


def usage(why):
    sys.stderr.write("lab: %s\n" % why)
    sys.stderr.write("lab: %s\n" % why_zh(why))
    sys.stderr.write("usage: make lab STEP=S | make check-lab STEP=S | make lab-pack\n"
                     "  S is one of: %s\n" % " ".join(STEPS))
    sys.exit(2)


def why_zh(why):
    if why.startswith("no STEP"):
        return "没有给出 STEP：要哪一步？例如 make check-lab STEP=rejectall"
    if why.startswith("STEP="):
        return "%s 不是一个步骤" % why.split(" ")[0]
    return why


def step_arg(args):
    if not args or not args[0]:
        usage("no STEP given: which step? e.g. make check-lab STEP=rejectall")
    if args[0] not in STEPS:
        usage("STEP=%s is not a step" % args[0])
    return args[0]


# ---------------------------------------------------------------- make lab

def new(step):
    name = skeleton.file_of(step)
    path = os.path.join(ROOT, "lab", name)
    rel = os.path.relpath(path, ROOT)
    if os.path.exists(path):
        print("%s is there already, with your edits: left as it is (nothing written)." % rel)
        print("%s 已经存在（里面有你的修改）：保持原样，什么也没写。" % rel)
        print("To start again 重新开始: rm %s && make lab STEP=%s" % (rel, step))
        return 0
    _, text, _ = skeleton.skeleton(step, ROOT)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    print("wrote %s: %s with the lesson of %s cut out; look for TODO(lab %s)." % (rel, name, step, step))
    print("已写出 %s：即 %s，去掉了 %s 这一步要学的代码；找 TODO(lab %s)。" % (rel, name, step, step))
    print("Then 然后: make check-lab STEP=%s" % step)
    return 0


# ---------------------------------------------------------------- make check-lab

class Checks:
    def __init__(self):
        self.passed = 0
        self.total = 0
        self.skipped = []

    def report(self, ok, kind, name, hints=()):
        self.total += 1
        self.passed += 1 if ok else 0
        print("%s %-6s %s" % ("PASS" if ok else "FAIL", kind, name))
        for h in hints:
            print("       " + h)
        sys.stdout.flush()


def copy_tree(src, dst, exclude):
    """Copies src into dst with mtimes kept (so make rebuilds only what
    changed), leaving out the paths in exclude (relative to src)."""
    os.makedirs(dst, exist_ok=True)
    args = ["tar", "-C", src, "-cf", "-"]
    args += ["--exclude=./" + e for e in exclude] + ["."]
    tar = subprocess.Popen(args, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-C", dst, "-xf", "-"], stdin=tar.stdout, check=True)
    tar.stdout.close()
    if tar.wait() != 0:
        raise OSError("tar of %s failed" % src)


def same(a, b):
    if not os.path.exists(b):
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def kernel_tools(step, tree):
    """The test programs (tests/bin/NAME) the step's real-kernel test runs."""
    script = os.path.join(tree, "tests", "integration", step + ".sh")
    if not os.path.exists(script):
        return []
    with open(script) as f:
        text = f.read()
    return sorted(set(re.findall(r"(?:\$TOOLS|tests/bin)/([a-z_]+)", text)))


class Paths:
    """Says the student's file where a compiler, an assertion or a test
    names the step's file: lab/connectmany.cc:167, never connectmany.cc,
    which is the solution."""

    def __init__(self, tree, name, student):
        self.tree = tree
        self.name = name
        self.shown = os.path.relpath(student, ROOT)

    def __call__(self, text):
        text = text.replace(self.tree + "/", "")
        if self.shown != self.name:
            text = re.sub(r"(?<![\w/.-])%s(?=[:(])" % re.escape(self.name), self.shown, text)
        return text


def build(step, name, student, tree, checks, paths):
    """Builds the step's program, its unit tests and the test programs its
    kernel test runs, in tree, with the student's file in place of name.
    Returns the unit test binaries, or None."""
    exclude = ["build", "lab", ".git", "tests/bin", name] + skeleton.PROGRAMS  # the binaries too
    copy_tree(ROOT, tree, exclude)
    # The objects of the repository's own build (same flags, same sources)
    # save minutes; make rebuilds whatever the student's file changes.  Only
    # objects: the programs and test binaries would be hundreds of MB.
    own = os.path.join(ROOT, "build")
    if not os.path.isdir(os.path.join(tree, "build")) and os.path.isdir(own):
        paths_o = []
        for d, dirs, files in os.walk(own):
            rel = os.path.relpath(d, own)
            if rel.split(os.sep)[0] in ("lab", "san", "fuzz", "bench"):
                dirs[:] = []
                continue
            paths_o += [os.path.normpath(os.path.join(rel, f)) for f in files if f.endswith((".o", ".d"))]
        os.makedirs(os.path.join(tree, "build"), exist_ok=True)
        if paths_o:
            tar = subprocess.Popen(["tar", "-C", own, "-cf", "-"] + paths_o, stdout=subprocess.PIPE)
            subprocess.run(["tar", "-C", os.path.join(tree, "build"), "-xf", "-"], stdin=tar.stdout, check=True)
            tar.stdout.close()
            tar.wait()
    tests = skeleton.unit_tests(step, tree)
    if not same(student, os.path.join(tree, name)):
        shutil.copyfile(student, os.path.join(tree, name))  # a new mtime: rebuilt
    tools = ["tests/bin/" + t for t in kernel_tools(step, tree)]
    # Catch2's main first: the longest compile, so make -j2 starts it at once.
    targets = ["build/tests/main.o", step] + ["build/tests/" + t for t in tests] + tools
    first = not os.path.exists(os.path.join(tree, "build", "tests", tests[0])) if tests else False
    print("building %s, its %d unit-test programs%s in %s%s" % (
        step, len(tests), " and " + " ".join(os.path.basename(t) for t in tools) if tools else "",
        os.path.relpath(tree, ROOT), ": the first time takes a minute or two" if first else ""))
    print("编译 %s 及其 %d 个单元测试程序%s" % (step, len(tests), "（第一次要一两分钟）" if first else ""))
    sys.stdout.flush()
    out, rc = run(["make", "-C", tree, "-j2", "--no-print-directory"] + targets, BUILD_TIMEOUT)
    rel = paths.shown
    if rc != 0:
        errors = [l for l in out.split("\n") if "error" in l or "undefined reference" in l]
        hint = errors[:10] or out.strip().split("\n")[-10:]
        if rc == "timeout":
            hint = ["the build took over %d s" % BUILD_TIMEOUT]
        checks.report(False, "build", "%s compiles and links" % rel, [paths(h) for h in hint])
        return None
    # Once each: the file is compiled twice (the program, and for the tests).
    warnings = list(dict.fromkeys(paths(l) for l in out.split("\n") if "warning:" in l and name in l))
    checks.report(True, "build", "%s compiles and links" % rel,
                  ["(a warning, worth reading) " + w for w in warnings[:5]])
    return [os.path.join(tree, "build", "tests", t) for t in tests]


def unescape(s):
    return html.unescape(s)


# What a test's expression names, in a student's words: r[0].ack() is the
# reply's tcp ack.
FIELD_WORDS = [
    (r"\b(\w+)(?:\[\d+\]|\.back\(\)|\.front\(\))?\.(ack|seq)\(\)", r"tcp \2 of the reply (\1)"),
    (r"\b(\w+)(?:\[\d+\]|\.back\(\)|\.front\(\))?\.window\(\)", r"tcp win of the reply (\1)"),
    (r"\b(\w+)(?:\[\d+\]|\.back\(\)|\.front\(\))?\.data\.empty\(\)", r"an empty payload in the reply (\1)"),
    (r"\b(\w+)(?:\[\d+\]|\.back\(\)|\.front\(\))?\.data\b(?!\()", r"the payload of the reply (\1)"),
    (r"\bflags\((\w+)(?:\[\d+\])?\)", r"tcp flags of the reply (\1)"),
    (r"\b(r|\w*replies|written)\.size\(\)", r"the number of replies (\1)"),
]


def in_words(expr):
    for pattern, words in FIELD_WORDS:
        expr = re.sub(pattern, words, expr)
    return expr


def hints_of(case_xml, paths):
    """What a student can act on, from the failed checks of one test case:
    the INFO lines the test gives (the rule), then the check itself."""
    hints, others = [], []
    infos = []
    for m in re.finditer(r'<Info>(.*?)</Info>|<Expression success="(true|false)"[^>]*filename="([^"]*)" line="(\d+)"[^>]*>'
                         r'\s*<Original>(.*?)</Original>\s*<Expanded>(.*?)</Expanded>', case_xml, re.S):
        if m.group(1) is not None:
            infos.append(" ".join(unescape(m.group(1)).split()))
            continue
        if m.group(2) == "true":
            infos = []
            continue
        filename, line = os.path.basename(unescape(m.group(3))), m.group(4)
        original, expanded = unescape(m.group(5)).strip(), unescape(m.group(6)).strip()
        # ntohl() and ntohs() as written, not as <netinet/in.h> expands them
        original = re.sub(r"__bswap_32 \(", "ntohl(", re.sub(r"__bswap_16 \(", "ntohs(", original))
        where = "(tests/%s:%s)" % (filename, line)
        if "{Unknown expression after the reported line}" in original:
            # The program stopped inside this check (an abort, a signal).
            # Catch2 names the last check that passed: the code after it stopped
            others.append("the program stopped after the check at %s passed, in the code that runs next"
                          % where[1:-1])
            others += ["  " + i for i in infos]
            infos = []
            continue
        if re.search(r"\w_diff\(", original):
            text = re.sub(r'\s*==\s*""\s*$', "", expanded).strip()
            if text.startswith('"') and text.endswith('"'):
                text = text[1:-1]
            lines = [l.strip() for l in text.replace("\\n", "\n").split("\n") if l.strip()]
            hints += [paths(l) for l in lines]
            hints += ["  " + i for i in infos if i not in hints]
        else:
            expanded = " ".join(expanded.split())
            ours = re.fullmatch(r"(.+?) == (.+)", original)
            values = re.fullmatch(r"(.+?) == (.+)", expanded)
            if ours and values and "==" not in ours.group(2) and "==" not in values.group(2):
                # "r.ack() == kClientIsn + 1", "0 == 1001": say it as packet_diff does
                rule = ""
                # only when it is one short: an ack past it (echoall's snd_nxt
                # never moved) is some other mistake, which the INFO rule says
                got, want = (re.match(r"-?\d+", v.strip()) for v in values.groups())
                if ("ack" in ours.group(1) and re.search(r"\+ 1\b", ours.group(2))
                        and got and want and int(got.group()) + 1 == int(want.group())):
                    rule = " = the seq + 1 (a SYN or a FIN counts as one byte)"
                others.append("%s is %s, want %s%s %s" % (in_words(ours.group(1)), values.group(1),
                                                          values.group(2), rule, where))
            else:
                others.append("%s is false here: %s %s" % (in_words(original), expanded, where))
            others += ["  " + i for i in infos]
        infos = []
    # The packet's fields first; the test's checks of single header fields
    # say them again, and are left out when packet_diff has named them.
    if hints:
        others = [o for o in others if not re.match(r"\S*(tcp|ip|icmp)\(\)->|ntoh[ls]\(\S*(tcp|ip)\(\)->", o)]
    hints += others
    for m in re.finditer(r"<(FatalErrorCondition|Exception)[^>]*>(.*?)</\1>", case_xml, re.S):
        hints.append("stopped by %s" % " ".join(unescape(m.group(2)).split()))
    # One line per failed check: the same CHECK failing in a loop once,
    # with how many times.
    seen, count = [], {}
    def key_of(h):
        return re.sub(r" is .*? \((tests/[^)]*)\)$", r" \1", h) if h.endswith(")") and "(tests/" in h else h
    for h in hints:
        key = key_of(h)
        if key not in count:
            count[key] = 0
            seen.append(h)
        count[key] += 1
    seen = [h + ("  (%d times)" % count[key_of(h)] if count[key_of(h)] > 1 else "") for h in seen]
    if len(seen) > 8:
        seen = seen[:8] + ["... and %d more" % (len(seen) - 8)]
    return seen


def test_names(binary, tree):
    out, _ = run([binary, "--list-test-names-only"], UNIT_TIMEOUT, cwd=tree)
    if "Unrecognised token" in out or "unrecognised" in out.lower():  # Catch2 v3
        out, _ = run([binary, "--list-tests", "--verbosity", "quiet"], UNIT_TIMEOUT, cwd=tree)
    return [n.strip() for n in out.split("\n") if n.strip()]


def crash_lines(output, paths):
    """What the program said outside the report when it died: an
    assertion's text and line, a sanitizer's first words."""
    said = []
    for l in output.split("\n"):
        if l.lstrip().startswith("<"):
            continue
        if re.search(r"Assertion .* failed|runtime error|AddressSanitizer|terminate called", l):
            said.append(paths(l.strip()))
    return said[:3]


def run_unit(binary, tree, checks, paths):
    """Every test case of binary, each in a process of its own, so that a
    case that dies (an assert, a write past a buffer) is that case's failure
    alone and every case is counted on every run.  A case still running
    after UNIT_TIMEOUT seconds is stopped, and the cases after it are
    counted as not run: an endless loop costs one timeout a program."""
    names = test_names(binary, tree)
    for i, name in enumerate(names):
        spec = re.sub(r'([\\,\[\]"*~])', r"\\\1", name)  # Catch2's test spec: every special character escaped
        out, rc = run([binary, "-r", "xml", spec], UNIT_TIMEOUT, cwd=tree)
        m = re.search(r'<TestCase name="[^"]*"[^>]*>(.*?)(</TestCase>|$)', out, re.S)
        body = m.group(1) if m else ""
        done = re.search(r'<OverallResult success="(true|false)"', body)
        if done and rc != "timeout":
            ok = done.group(1) == "true"
            checks.report(ok, "unit", name, [] if ok else crash_lines(out, paths) + hints_of(body, paths))
        elif rc == "timeout":
            checks.report(False, "unit", name, hints_of(body, paths)
                          + ["it ran over %d s and was stopped: an endless loop?" % UNIT_TIMEOUT])
            for later in names[i + 1:]:
                checks.report(False, "unit", later, ["not run: the case above looped (one timeout a"
                                                     " program is enough to wait)"])
            return
        else:
            why = "signal %d" % -rc if isinstance(rc, int) and rc < 0 else "exit %s" % rc
            checks.report(False, "unit", name, hints_of(body, paths) + crash_lines(out, paths)
                          + ["the test program died in it (%s): an assert, a write past a buffer?" % why])


def run_kernel(step, tree, checks, paths):
    script = os.path.join(tree, "tests", "integration", step + ".sh")
    if not os.path.exists(script):
        return
    cmd = [script]
    if os.geteuid() != 0:
        # root-free: a user namespace of our own makes us root in it, which is
        # all a tun device in a private network namespace needs.
        ok = subprocess.run(["unshare", "-rn", "true"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode == 0
        if ok:
            cmd = ["unshare", "-r", "--"] + cmd
    print("the real-kernel checks (tests/integration/%s.sh), in a network namespace of their own:" % step)
    sys.stdout.flush()
    env = dict(os.environ, FAKETCP_BIN=tree, FAKETCP_BUILD=os.path.join(tree, "build"))
    env.pop("FAKETCP_IN_NETNS", None)
    out, rc = run(cmd, KERNEL_TIMEOUT, env=env, cwd=tree)
    out = out.replace("\0", "")  # a log read while a program still wrote it may hold NULs
    if rc == "timeout":
        out += "\nFAIL %s: still running after %d s, stopped" % (step, KERNEL_TIMEOUT)
    current = None
    for line in out.split("\n") + ["PASS"]:
        m = re.match(r"(PASS|FAIL|SKIP) (.*)", line)
        notrun = re.match(r"NOTRUN (\d+) checks: (.*)", line)
        if m or notrun or line == "PASS":
            if current:
                kind, name, hints = current
                if kind == "SKIP":
                    checks.skipped.append(name)
                    print("SKIP kernel %s" % name)
                else:
                    checks.report(kind == "PASS", "kernel", name, hints[:4])
            current = (m.group(1), paths(m.group(2)), []) if m else None
            if notrun:
                for i in range(int(notrun.group(1))):
                    checks.report(False, "kernel", "(not run %d of %s: %s)" % (i + 1, notrun.group(1),
                                                                             notrun.group(2)))
        elif current and line.strip():
            current[2].append(paths(line.strip()))


def check(step):
    name = skeleton.file_of(step)
    student = os.path.join(ROOT, "lab", name)
    if os.path.exists(student):
        print("checking %s (your lab) in place of %s" % (os.path.relpath(student, ROOT), name))
    else:
        student = os.path.join(ROOT, name)
        print("checking %s itself: there is no lab/%s (make lab STEP=%s writes one)" % (name, name, step))
    sys.stdout.flush()
    tree = os.path.join(ROOT, "build", "lab", step)
    paths = Paths(tree, name, student)
    checks = Checks()
    # The fields the RFCs leave free are graded by their rule
    # (tests/support/packet_diff.h), not against the repository's bytes.
    os.environ["FAKETCP_GRADE"] = "rules"
    # LAB_KERNEL=0: the unit checks alone, a first answer in seconds (labs.sh
    # grades a planted mistake so when its hint is there); never exit 0 then.
    kernel = os.environ.get("LAB_KERNEL", "1") != "0"
    binaries = build(step, name, student, tree, checks, paths)
    if binaries is not None:
        for b in binaries:
            run_unit(b, tree, checks, paths)
        unit = checks.passed, checks.total
        print("unit checks: %d of %d pass; 单元检查通过 %d / %d" % (unit + unit))
        sys.stdout.flush()
        if not kernel:
            print("the real-kernel checks not run (LAB_KERNEL=0): a verdict of the unit checks alone")
        else:
            run_kernel(step, tree, checks, paths)
    skipped = ""
    if checks.skipped:
        skipped = " (%d real-kernel checks skipped: see the SKIP lines)" % len(checks.skipped)
    if binaries is not None and not kernel:
        skipped = " (the real-kernel checks not run: LAB_KERNEL=0)"
    if binaries is None:
        skipped = " (the build failed: fix it first, the tests run once it builds)"
    print("%d of %d checks pass%s" % (checks.passed, checks.total, skipped))
    print("通过 %d / %d 项检查" % (checks.passed, checks.total))
    sys.stdout.flush()
    return 0 if checks.passed == checks.total and not checks.skipped and kernel else 1


# ---------------------------------------------------------------- make lab-pack

def pack(out):
    out = os.path.abspath(out or os.path.join(ROOT, "build", "faketcp-labs.tar.gz"))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        top = os.path.join(tmp, "faketcp-labs")
        os.makedirs(top)
        archive = subprocess.Popen(["git", "-C", ROOT, "archive", "HEAD"], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-C", top, "-xf", "-"], stdin=archive.stdout, check=True)
        archive.stdout.close()
        if archive.wait() != 0:
            sys.stderr.write("lab-pack: git archive HEAD failed: run it in the repository's git checkout\n")
            return 1
        # make mutate's table quotes every lesson line it breaks: not for students.
        shutil.rmtree(os.path.join(top, "tests", "mutate"), ignore_errors=True)
        # nor are the checker's own tests: their ok-*.patch are solutions
        shutil.rmtree(os.path.join(top, "labs", "variants"), ignore_errors=True)
        skeleton.pack(top)
        subprocess.run(["tar", "-C", tmp, "-czf", out, "faketcp-labs"], check=True)
    shown = os.path.relpath(out, os.getcwd())
    shown = out if shown.startswith("..") else shown
    print("wrote %s: the repository at HEAD, every step file its skeleton (TODO(lab ...))." % shown)
    print("已写出 %s：仓库 (HEAD) 的副本，每个步骤文件都换成了待填写的骨架。" % shown)
    return 0


def main(argv):
    if len(argv) < 2:
        usage("what to do: new, check or pack")
    what, args = argv[1], argv[2:]
    try:
        if what == "new":
            return new(step_arg(args))
        if what == "check":
            return check(step_arg(args))
        if what == "pack":
            return pack(args[0] if args else None)
    except skeleton.CutError as e:
        sys.stderr.write("lab: %s: update LESSONS in labs/skeleton.py\n" % e)
        return 1
    except (Interrupted, KeyboardInterrupt):
        print("\nstopped (Ctrl-C): every check and program it started has ended; 已停止 (Ctrl-C)")
        return 130
    usage("unknown command " + what)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
