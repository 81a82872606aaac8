#!/usr/bin/env bash
# The labs (docs/labs.md), on a copy of the repository so that no lab/ of
# yours is touched: for every step, make lab writes the skeleton and a second
# make lab keeps the edits; the skeleton builds and check-lab fails with
# hints, without crashing or hanging; the repository's own file passes every
# check.  Then the pack: none of any step's lesson lines is in it, its
# skeletons build, and check-lab works in it.  And the checker itself: every
# correct solution of labs/variants passes every check, every planted mistake
# fails with its hint (see variant below).  check-lab runs the real-kernel
# tests, each in a namespace of its own: this needs root.
. "$(dirname "$0")/lib.sh"
require_root labs
require_tools labs python3 tar git patch
make_scratch

steps=$(python3 "$FAKETCP_ROOT/labs/skeleton.py" --steps)
copy=$T_DIR/repo
mkdir -p "$copy"
tar -C "$FAKETCP_ROOT" --exclude=./build --exclude=./lab --exclude=./.git --exclude=./tests/bin \
    -cf - . | tar -C "$copy" -xf -
# The objects of the repository's build, so that check-lab compiles only
# what a lab changes (it takes what it needs from build/).
build=${FAKETCP_BUILD:-build}
case $build in /*) ;; *) build=$FAKETCP_ROOT/$build ;; esac
# seed_objects FROM TO: the .o and .d files of build directory FROM, mtimes kept.
seed_objects() {
  mkdir -p "$2"
  (cd "$1" && find . \( -path ./lab -o -path ./san -o -path ./fuzz -o -path ./bench \) -prune \
                -o -name '*.[od]' -print0) | tar -C "$1" --null -T - -cf - | tar -C "$2" -xf -
}
if [ -d "$build/tests" ] && [ "$build" = "$FAKETCP_ROOT/build" ]; then
  seed_objects "$build" "$copy/build"
fi

# check_lab STEP OUT: make check-lab in the copy, bounded; sets RC.
check_lab() {
  timeout -k 5 900 make -s -C "$copy" check-lab STEP="$1" >"$2" 2>&1
  RC=$?
}

# total_of OUT: M of check-lab's last "N of M checks pass" line.
total_of() {
  grep -E '^[0-9]+ of [0-9]+ checks pass' "$1" | tail -n 1 | sed -E 's/^[0-9]+ of ([0-9]+) .*/\1/'
}

# The checker's own tests: labs/variants/STEP/ok-NAME.patch, a correct
# solution written otherwise, must pass every check; bad-NAME.patch, a planted
# mistake, must fail with the hint its "# expect: REGEX" line says.  Each is a
# patch of the step's file, applied to a copy of it as lab/FILE.  check-lab
# keeps build/lab/STEP from one run to the next, so a variant recompiles its
# lab file and relinks, no more.  A mistake is first graded by its unit checks
# alone (LAB_KERNEL=0, seconds); the real-kernel checks, where a failure waits
# for its timeouts, run only when the hint is not there yet.
# variant STEP FILE PATCH SKELETON_M
variant() {
  local step=$1 file=$2 patch=$3 want_m=$4 name what expect out hint m
  name=$(basename "$patch" .patch)
  what=$(sed -n 's/^# what: //p' "$patch" | head -n 1)
  expect=$(sed -n 's/^# expect: //p' "$patch" | head -n 1)
  out=$T_DIR/variant-$step-$name.out
  mkdir -p "$copy/lab"
  rm -f "$copy/lab/$file"
  if ! patch -s -f --no-backup-if-mismatch -r "$T_DIR/variant.rej" -o "$copy/lab/$file" \
         "$copy/$file" "$patch" >"$out" 2>&1; then
    fail "labs: variant $step/$name ($what)" "the patch no longer applies to $file: update it to the code" "$out"
    return
  fi
  case $name in
    ok-*)
      if [ "$FULL_OK" = "$step" ]; then
        # A step's other correct variants differ from this one in what
        # its unit checks grade (the free fields): their kernel checks,
        # the same test again, would add minutes to CI and nothing else.
        LAB_KERNEL=0 check_lab "$step" "$out"
        summary=$(grep -E '^unit checks: [0-9]+ of [0-9]+ pass' "$out" | tail -n 1)
        if [[ $summary =~ ^unit\ checks:\ ([0-9]+)\ of\ ([0-9]+)\ pass ]] &&
           [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && grep -q '^PASS build' "$out"; then
          pass "labs: correct variant $step/$name passes every unit check (${summary%%;*}): $what"
        else
          fail "labs: correct variant $step/$name passes every unit check ($what)" "exit $RC, '$summary'" "$out"
        fi
        return
      fi
      FULL_OK=$step
      check_lab "$step" "$out"
      m=$(total_of "$out")
      summary=$(grep -E '^[0-9]+ of [0-9]+ checks pass' "$out" | tail -n 1)
      if [ "$RC" -eq 0 ] && [[ $summary =~ ^([0-9]+)\ of\ ([0-9]+)\ checks\ pass$ ]] &&
         [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && { [ -z "$want_m" ] || [ "$m" = "$want_m" ]; }; then
        local same="the skeleton's count too"
        [ -z "$want_m" ] && same="the skeleton's kernel checks not run"
        pass "labs: correct variant $step/$name passes every check ($summary, $same): $what"
      else
        fail "labs: correct variant $step/$name passes every check ($what)" \
             "exit $RC, '$summary' (the skeleton's total: ${want_m:-not counted})" "$out"
      fi ;;
    bad-*)
      if [ -z "$expect" ]; then
        fail "labs: planted mistake $step/$name" "no '# expect: REGEX' line in $(basename "$patch")"
        return
      fi
      local how="its unit checks"
      LAB_KERNEL=0 check_lab "$step" "$out"
      if ! { grep -qE '^unit checks: ([0-9]+) of ([0-9]+) pass' "$out" &&
             ! grep -qE '^unit checks: ([0-9]+) of \1 pass' "$out" && grep -qE -- "$expect" "$out"; }; then
        how="check-lab with its real-kernel checks"
        check_lab "$step" "$out"
        [ "$RC" -ne 0 ] || { fail "labs: planted mistake $step/$name fails ($what)" "check-lab exit 0" "$out"; return; }
      fi
      hint=$(grep -m 1 -E -- "$expect" "$out" | sed 's/^ *//')
      if [ -n "$hint" ]; then
        pass "labs: planted mistake $step/$name fails with the hint ($how): $hint"
      else
        fail "labs: planted mistake $step/$name fails with a hint matching /$expect/ ($what)" \
             "not in check-lab's output (exit $RC)" "$out"
      fi ;;
    *)
      fail "labs: variant $step/$name" "a variant's name starts with ok- or bad-" ;;
  esac
}

for step in $steps; do
  file=$(python3 "$copy/labs/skeleton.py" --file "$step")
  lab=$copy/lab/$file

  make -s -C "$copy" lab STEP="$step" >"$T_DIR/lab.out" 2>&1
  if grep -q "TODO(lab $step" "$lab" 2>/dev/null; then
    pass "labs: make lab STEP=$step writes lab/$file with TODO(lab $step)"
  else
    fail "labs: make lab STEP=$step writes lab/$file" "no TODO(lab $step) in it" "$T_DIR/lab.out"
  fi

  echo "// a student's edit" >>"$lab"
  make -s -C "$copy" lab STEP="$step" >"$T_DIR/lab2.out" 2>&1
  if tail -n 1 "$lab" | grep -qx "// a student's edit" && grep -q 'there already' "$T_DIR/lab2.out"; then
    pass "labs: a second make lab STEP=$step keeps the edits and says so"
  else
    fail "labs: a second make lab STEP=$step keeps the edits" "the edit is gone or nothing was said" "$T_DIR/lab2.out"
  fi

  out=$T_DIR/check-$step.out
  # The skeletons of connectmany, echoall and discardall2 fail their kernel
  # checks by timeouts (one, four and two and a half minutes): their unit
  # checks alone, so that CI stays under 45 minutes.
  case $step in connectmany|echoall|discardall2) skel_kernel=0 ;; *) skel_kernel=1 ;; esac
  LAB_KERNEL=$skel_kernel check_lab "$step" "$out"
  summary=$(grep -E '^[0-9]+ of [0-9]+ checks pass' "$out" | tail -n 1)
  n=${summary%% of *} m=$(sed -E 's/^[0-9]+ of ([0-9]+) .*/\1/' <<<"$summary")
  hints=$(grep -A1 '^FAIL' "$out" | grep -c '^       ')
  if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
    fail "labs: check-lab STEP=$step on the skeleton" "still running after 900 s" "$out"
  elif grep -qE 'Traceback|the test program died|ran over [0-9]+ s|still running after' "$out"; then
    fail "labs: check-lab STEP=$step on the skeleton" "crashed or hung" "$out"
  elif ! grep -q '^PASS build' "$out"; then
    fail "labs: the $step skeleton builds" "no 'PASS build' line" "$out"
  elif [ -z "$summary" ] || [ "$RC" -eq 0 ] || [ "$n" -ge "$m" ] || [ "$hints" -eq 0 ]; then
    fail "labs: check-lab STEP=$step fails on the skeleton, with hints" "exit $RC, '$summary', $hints hints" "$out"
  else
    pass "labs: the $step skeleton builds; check-lab fails with hints ($summary, $hints FAIL lines with hints)"
  fi
  # The same count on every run (a check that could not run is counted):
  # the skeleton's full run and the first correct variant's must agree.
  skel_m=
  [ "$skel_kernel" = 1 ] && skel_m=$(total_of "$out")

  # The repository's own file: its kernel test is part of make test
  # already, here its unit checks under check-lab.
  rm -f "$lab"
  LAB_KERNEL=0 check_lab "$step" "$out"
  summary=$(grep -E '^unit checks: [0-9]+ of [0-9]+ pass' "$out" | tail -n 1)
  if [[ $summary =~ ^unit\ checks:\ ([0-9]+)\ of\ ([0-9]+)\ pass ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]; then
    pass "labs: the repository's own $file passes check-lab STEP=$step's unit checks (${summary%%;*})"
  else
    fail "labs: the repository's own $file passes check-lab STEP=$step" "exit $RC, '$summary'" "$out"
  fi

  # The checker's own tests, one line per variant (a new patch is a new test).
  oks=0 bads=0 FULL_OK=
  for patch in "$copy/labs/variants/$step"/*.patch; do
    [ -e "$patch" ] || continue
    case $(basename "$patch") in ok-*) oks=$((oks + 1)) ;; bad-*) bads=$((bads + 1)) ;; esac
    variant "$step" "$file" "$patch" "$skel_m"
  done
  rm -f "$lab"
  if [ "$oks" -ge 3 ] && [ "$bads" -ge 4 ]; then
    pass "labs: $step has $oks correct variants and $bads planted mistakes (labs/variants/$step)"
  else
    fail "labs: $step has 3 correct variants and 4 planted mistakes at least" \
         "labs/variants/$step holds $oks ok-*.patch and $bads bad-*.patch"
  fi
done

# The pack: git archive of HEAD, every step file its skeleton.
pack=$T_DIR/pack.tar.gz
if ! make -s -C "$FAKETCP_ROOT" lab-pack OUT="$pack" >"$T_DIR/pack.out" 2>&1; then
  fail "labs: make lab-pack" "failed" "$T_DIR/pack.out"
  finish
fi
mkdir -p "$T_DIR/pack"
tar -C "$T_DIR/pack" -xzf "$pack"
top=$T_DIR/pack/faketcp-labs
for step in $steps; do
  python3 "$FAKETCP_ROOT/labs/skeleton.py" --lesson "$step" >"$T_DIR/lesson-$step"
  total=$(grep -c . "$T_DIR/lesson-$step")
  : >"$T_DIR/found-$step"
  while IFS= read -r line; do
    grep -rlF -- "$line" "$top" | while IFS= read -r f; do
      printf "    '%s' in %s\n" "$line" "${f#"$top"/}"
    done >>"$T_DIR/found-$step"
  done <"$T_DIR/lesson-$step"
  if [ "$total" -eq 0 ]; then
    fail "labs: the pack holds no solution of $step" "skeleton.py --lesson $step lists no line"
  elif [ -s "$T_DIR/found-$step" ]; then
    fail "labs: the pack holds no solution of $step" "lesson lines found" "$T_DIR/found-$step"
  else
    pass "labs: the pack holds none of the $total lesson lines of $step"
  fi
done

# Its skeletons build, and check-lab grades in it: icmpecho with a finished
# faketcp.cc as the student's lab passes every check.
[ -d "$copy/build" ] && seed_objects "$copy/build" "$top/build"
if timeout -k 5 900 make -s -C "$top" -j2 all >"$T_DIR/pack-build.out" 2>&1; then
  pass "labs: every skeleton of the pack builds (make all)"
else
  fail "labs: every skeleton of the pack builds (make all)" "make failed" "$T_DIR/pack-build.out"
fi
mkdir -p "$top/lab"
cp "$FAKETCP_ROOT/faketcp.cc" "$top/lab/faketcp.cc"
timeout -k 5 900 make -s -C "$top" check-lab STEP=icmpecho >"$T_DIR/pack-check.out" 2>&1
rc=$?
summary=$(grep -E '^[0-9]+ of [0-9]+ checks pass' "$T_DIR/pack-check.out" | tail -n 1)
if [ "$rc" -eq 0 ] && [[ $summary =~ ^([0-9]+)\ of\ ([0-9]+)\ checks\ pass$ ]] &&
   [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]; then
  pass "labs: check-lab works in the pack (icmpecho, a finished lab/faketcp.cc: $summary)"
else
  fail "labs: check-lab works in the pack (icmpecho, a finished lab/faketcp.cc)" "exit $rc, '$summary'" "$T_DIR/pack-check.out"
fi
finish
