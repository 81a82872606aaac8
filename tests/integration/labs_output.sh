#!/usr/bin/env bash
# What check-lab prints, against what docs/labs.md (both languages) says it
# prints: every line of the page's excerpt of a fresh rejectall skeleton's
# check-lab is in a real run's output (numbers masked: ports and times differ
# from run to run).  And the two ways a student stops or starts it wrong:
# Ctrl-C during the kernel checks stops every process at once with one line,
# and make check-lab without STEP prints the usage, exit 2.  On a copy of
# the repository, so that no lab/ of yours is touched; the kernel checks
# need root, as in labs.sh.
. "$(dirname "$0")/lib.sh"
require_root labs_output
require_tools labs_output python3 tar
make_scratch

copy=$T_DIR/repo
mkdir -p "$copy"
tar -C "$FAKETCP_ROOT" --exclude=./build --exclude=./lab --exclude=./.git --exclude=./tests/bin \
    -cf - . | tar -C "$copy" -xf -
build=${FAKETCP_BUILD:-build}
case $build in /*) ;; *) build=$FAKETCP_ROOT/$build ;; esac
if [ -d "$build/tests" ]; then   # the repository's objects: only what the lab changes is compiled
  (cd "$build" && find . \( -path ./lab -o -path ./san -o -path ./fuzz -o -path ./bench \) -prune \
       -o -name '*.[od]' -print0) | tar -C "$build" --null -T - -cf - | tar -C "$copy/build" -xf - 2>/dev/null \
    || { mkdir -p "$copy/build" && (cd "$build" && find . \( -path ./lab -o -path ./san -o -path ./fuzz -o -path ./bench \) -prune \
       -o -name '*.[od]' -print0) | tar -C "$build" --null -T - -cf - | tar -C "$copy/build" -xf -; }
fi

# make check-lab with no STEP: the usage, not a step graded without saying so.
make -s -C "$copy" check-lab >"$T_DIR/nostep.out" 2>&1
rc=$?
if [ "$rc" -eq 2 ] && grep -q 'no STEP given' "$T_DIR/nostep.out" && grep -q 'usage: make lab STEP=S' "$T_DIR/nostep.out"; then
  pass "labs_output: make check-lab without STEP prints the usage and exits 2"
else
  fail "labs_output: make check-lab without STEP prints the usage and exits 2" "exit $rc" "$T_DIR/nostep.out"
fi

make -s -C "$copy" lab STEP=rejectall >/dev/null 2>&1
timeout -k 5 600 make -s -C "$copy" check-lab STEP=rejectall >"$T_DIR/check.out" 2>&1
mask() { sed -E 's/[0-9]+/N/g; s/[[:space:]]+$//'; }
mask <"$T_DIR/check.out" >"$T_DIR/check.masked"
for page in docs/labs.md docs/zh/labs.md; do
  awk '/<!-- check-lab output: rejectall skeleton -->/ { on = 1; next }
       on && /^```text/ { inside = 1; next }
       inside && /^```/ { exit }
       inside && $0 != "..." { print }' "$FAKETCP_ROOT/$page" | mask >"$T_DIR/excerpt"
  lines=$(grep -c . "$T_DIR/excerpt")
  missing=$(grep -vxFf "$T_DIR/check.masked" "$T_DIR/excerpt")
  if [ "$lines" -lt 5 ]; then
    fail "labs_output: $page quotes check-lab's output" "no excerpt after '<!-- check-lab output: rejectall skeleton -->'"
  elif [ -n "$missing" ]; then
    printf '%s\n' "$missing" >"$T_DIR/missing"
    fail "labs_output: every line $page quotes from check-lab is in a real run's output" \
         "$(grep -c . "$T_DIR/missing") of $lines lines are not (numbers masked as N)" "$T_DIR/missing"
  else
    pass "labs_output: the $lines lines $page quotes from check-lab are in a real run's output"
  fi
done

# Ctrl-C once the kernel checks have started: one line, and within 10 s
# no process of the check is left (its programs run from the copy's build/lab).
# A background job of a script ignores SIGINT, and so would make and lab.py:
# as from a terminal, they get it back (SIG_DFL) in a session of their own.
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])' \
  make -s -C "$copy" check-lab STEP=rejectall >"$T_DIR/ctrlc.out" 2>&1 &
leader=$!
if ! wait_for 120 grep -q '^the real-kernel checks' "$T_DIR/ctrlc.out"; then
  fail "labs_output: Ctrl-C stops check-lab" "the kernel checks did not start within 120 s" "$T_DIR/ctrlc.out"
  kill -KILL -- "-$leader" 2>/dev/null
else
  # At once: the skeleton's kernel checks take about 2 s in all (rejectall.sh
  # runs its refusals together), and a Ctrl-C after them finds nothing to stop.
  kill -INT -- "-$leader"
  left() { ps -eo args | grep -F "$copy/build/lab" | grep -v grep; }
  if wait_for 10 not_running "$leader" && wait_for 5 sh -c "! ps -eo args | grep -F '$copy/build/lab' | grep -qv grep"; then
    if grep -q 'stopped (Ctrl-C)' "$T_DIR/ctrlc.out" && ! grep -q Traceback "$T_DIR/ctrlc.out"; then
      pass "labs_output: Ctrl-C during the kernel checks stops every process at once, with one line"
    else
      fail "labs_output: Ctrl-C stops check-lab with one line" "no 'stopped (Ctrl-C)' line, or a traceback" "$T_DIR/ctrlc.out"
    fi
  else
    left >"$T_DIR/left"
    fail "labs_output: Ctrl-C stops every process of check-lab" "still running 15 s later" "$T_DIR/left"
    kill -KILL -- "-$leader" 2>/dev/null
  fi
fi
finish
