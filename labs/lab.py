#!/usr/bin/env python3
"""labs/lab.py - the labs: a step to write yourself, and its grading.

  lab.py new STEP      write lab/FILE, the step's file with its lesson cut out
                       (never over a file that is there: your edits are kept)
  lab.py check STEP    build lab/FILE (or, without one, the repository's own
                       FILE) in place of FILE, in build/lab/STEP, and run the
                       step's unit tests and its real-kernel test against it:
                       one line per check, PASS or FAIL with a hint, then
                       "N of M checks pass"; exit 0 only when all pass
  lab.py pack [OUT]    a tarball of the repository (HEAD) in which every step
                       file is its skeleton (default build/faketcp-labs.tar.gz)

make lab STEP=..., make check-lab STEP=... and make lab-pack call it.
"""
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import skeleton  # noqa: E402

STEPS = skeleton.STEPS
BUILD_TIMEOUT = int(os.environ.get("LAB_BUILD_TIMEOUT", "900"))
UNIT_TIMEOUT = 60
KERNEL_TIMEOUT = 240


def usage(why):
    sys.stderr.write("lab: %s\n" % why)
    sys.stderr.write("usage: make lab STEP=S | make check-lab STEP=S | make lab-pack\n"
                     "  S is one of: %s\n" % " ".join(STEPS))
    sys.exit(2)


def step_arg(args):
    if not args or args[0] not in STEPS:
        usage("STEP=%s is not a step" % (args[0] if args else ""))
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


def build(step, name, student, tree, checks):
    """Builds the step's program and unit tests in tree, with the student's
    file in place of name.  Returns the unit test binaries, or None."""
    exclude = ["build", "lab", ".git", "tests/bin", name] + STEPS
    copy_tree(ROOT, tree, exclude)
    # The objects of the repository's own build (same flags, same sources)
    # save minutes; make rebuilds whatever the student's file changes.  Only
    # objects: the programs and test binaries would be hundreds of MB.
    own = os.path.join(ROOT, "build")
    if not os.path.isdir(os.path.join(tree, "build")) and os.path.isdir(own):
        paths = []
        for d, dirs, files in os.walk(own):
            rel = os.path.relpath(d, own)
            if rel.split(os.sep)[0] in ("lab", "san", "fuzz", "bench"):
                dirs[:] = []
                continue
            paths += [os.path.normpath(os.path.join(rel, f)) for f in files if f.endswith((".o", ".d"))]
        os.makedirs(os.path.join(tree, "build"), exist_ok=True)
        if paths:
            tar = subprocess.Popen(["tar", "-C", own, "-cf", "-"] + paths, stdout=subprocess.PIPE)
            subprocess.run(["tar", "-C", os.path.join(tree, "build"), "-xf", "-"], stdin=tar.stdout, check=True)
            tar.stdout.close()
            tar.wait()
    tests = skeleton.unit_tests(step, tree)
    if not same(student, os.path.join(tree, name)):
        shutil.copyfile(student, os.path.join(tree, name))  # a new mtime: rebuilt
    targets = [step, "tools"] + ["build/tests/" + t for t in tests]
    try:
        r = subprocess.run(["make", "-C", tree, "-j2", "--no-print-directory"] + targets,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=BUILD_TIMEOUT)
        out, rc = r.stdout, r.returncode
    except subprocess.TimeoutExpired:
        out, rc = "", "timeout"
    rel = os.path.relpath(student, ROOT)
    if rc != 0:
        errors = [l for l in out.split("\n") if "error" in l or "undefined reference" in l]
        hint = errors[:10] or out.strip().split("\n")[-10:]
        if rc == "timeout":
            hint = ["the build took over %d s" % BUILD_TIMEOUT]
        checks.report(False, "build", "%s compiles and links" % rel,
                      [h.replace(tree + "/", "") for h in hint])
        return None
    warnings = [l.replace(tree + "/", "") for l in out.split("\n")
                if "warning:" in l and name in l]
    checks.report(True, "build", "%s compiles and links" % rel,
                  ["(a warning, worth reading) " + w for w in warnings[:5]])
    return [os.path.join(tree, "build", "tests", t) for t in tests]


def unescape(s):
    return html.unescape(s)


def hints_of(case_xml):
    """What a student can act on, from the failed checks of one test case."""
    hints, others = [], []
    for m in re.finditer(r'<Expression success="false"[^>]*filename="([^"]*)" line="(\d+)"[^>]*>'
                         r'\s*<Original>(.*?)</Original>\s*<Expanded>(.*?)</Expanded>',
                         case_xml, re.S):
        filename, line = os.path.basename(unescape(m.group(1))), m.group(2)
        original, expanded = unescape(m.group(3)).strip(), unescape(m.group(4)).strip()
        # ntohl() and ntohs() as written, not as <netinet/in.h> expands them
        original = re.sub(r"__bswap_32 \(", "ntohl(", re.sub(r"__bswap_16 \(", "ntohs(", original))
        if "packet_diff" in original:
            text = re.sub(r'\s*==\s*""\s*$', "", expanded).strip()
            if text.startswith('"') and text.endswith('"'):
                text = text[1:-1]
            for l in text.replace("\\n", "\n").split("\n"):
                if l.strip():
                    hints.append(l.strip())
        else:
            expanded = " ".join(expanded.split())
            where = "(tests/%s:%s)" % (filename, line)
            ours = re.fullmatch(r"(.+?) == (.+)", original)
            values = re.fullmatch(r"(.+?) == (.+)", expanded)
            if ours and values and "==" not in ours.group(2) and "==" not in values.group(2):
                # "r.ack() == kClientIsn + 1", "0 == 1001": say it as packet_diff does
                rule = ""
                if "ack" in ours.group(1) and re.search(r"\+ 1\b", ours.group(2)):
                    rule = " = the seq + 1 (a SYN or a FIN counts as one byte)"
                others.append("%s is %s, want %s%s %s" % (ours.group(1), values.group(1), values.group(2),
                                                          rule, where))
            else:
                others.append("%s is false here: %s %s" % (original, expanded, where))
    # The packet's fields first; the test's checks of single header fields
    # say them again, and are left out when packet_diff has named them.
    if hints:
        others = [o for o in others if not re.match(r"\S*(tcp|ip|icmp)\(\)->|ntoh[ls]\(\S*(tcp|ip)\(\)->", o)]
    hints += others
    for m in re.finditer(r"<(FatalErrorCondition|Exception)[^>]*>(.*?)</\1>", case_xml, re.S):
        hints.append("stopped by %s" % unescape(m.group(2)).strip())
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


def run_unit(binary, tree, checks):
    names = subprocess.run([binary, "--list-test-names-only"], stdout=subprocess.PIPE,
                           text=True, cwd=tree).stdout.split("\n")
    names = [n.strip() for n in names if n.strip()]
    try:
        r = subprocess.run([binary, "-r", "xml"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", cwd=tree, timeout=UNIT_TIMEOUT)
        xml, rc = r.stdout, r.returncode
    except subprocess.TimeoutExpired as e:
        xml = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        rc = "timeout"
    cases = {}
    for m in re.finditer(r'<TestCase name="([^"]*)"[^>]*>(.*?)(</TestCase>|$)', xml, re.S):
        name = unescape(m.group(1))
        body = m.group(2)
        done = re.search(r'<OverallResult success="(true|false)"', body)
        cases[name] = (done.group(1) == "true" if done else None, body)
    kind = "unit"
    stopped = False
    for name in names:
        ok, body = cases.get(name, (None, ""))
        if ok is None:
            if not stopped and name in cases:
                why = ("it ran over %d s (an endless loop?)" % UNIT_TIMEOUT if rc == "timeout"
                       else "the test program died in it (%s): a write past a buffer, or an"
                       " abort?" % (("signal %d" % -rc) if isinstance(rc, int) and rc < 0 else "exit %s" % rc))
                checks.report(False, kind, name, hints_of(body) + [why])
                stopped = True
            else:
                checks.report(False, kind, name, ["not run: the test program stopped before it"])
            continue
        checks.report(ok, kind, name, [] if ok else hints_of(body))


def run_kernel(step, tree, checks):
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
    # FAKETCP_FIRST_FAIL_ENDS: the kernel test stops at its first FAIL
    # (tests/integration/lib.sh), so a skeleton's run is short.
    env = dict(os.environ, FAKETCP_BIN=tree, FAKETCP_BUILD=os.path.join(tree, "build"),
               FAKETCP_FIRST_FAIL_ENDS="1")
    env.pop("FAKETCP_IN_NETNS", None)
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors="replace", env=env, cwd=tree, timeout=KERNEL_TIMEOUT)
        out = r.stdout
    except subprocess.TimeoutExpired as e:
        out = (e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout or "")
        out += "\nFAIL %s: still running after %d s, stopped" % (step, KERNEL_TIMEOUT)
    current = None
    for line in out.split("\n") + ["PASS"]:
        m = re.match(r"(PASS|FAIL|SKIP) (.*)", line)
        if m or line == "PASS":
            if current:
                kind, name, hints = current
                if kind == "SKIP":
                    checks.skipped.append(name)
                    print("SKIP kernel %s" % name)
                else:
                    checks.report(kind == "PASS", "kernel", name, hints[:4])
            current = (m.group(1), m.group(2).replace(tree + "/", ""), []) if m else None
        elif current and line.strip():
            current[2].append(line.strip().replace(tree + "/", ""))


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
    checks = Checks()
    binaries = build(step, name, student, tree, checks)
    if binaries is not None:
        for b in binaries:
            run_unit(b, tree, checks)
        run_kernel(step, tree, checks)
    skipped = ""
    if checks.skipped:
        skipped = " (%d real-kernel checks skipped: see the SKIP lines)" % len(checks.skipped)
    if binaries is None:
        skipped = " (the build failed: fix it first, the tests run once it builds)"
    print("%d of %d checks pass%s" % (checks.passed, checks.total, skipped))
    print("通过 %d / %d 项检查" % (checks.passed, checks.total))
    sys.stdout.flush()
    return 0 if checks.passed == checks.total and not checks.skipped else 1


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
    usage("unknown command " + what)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
