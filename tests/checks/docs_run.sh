#!/usr/bin/env bash
# docs_run: runs every runnable shell block of the docs, as a student would
# type it, and fails with the page and line of a block that fails or hangs.
#
# A block is runnable when the line right before its opening fence is
#
#   <!-- run: STEP [option=value ...] -->
#
# (the options are documented for page writers in docs/WRITING.md).  Each
# block runs in a fresh private network namespace and PID namespace, from the
# repository's top directory: STEP (unless it is `none`) is started first,
# ./STEP with default arguments, and the block starts once STEP printed
# "allocated tunnel interface".  Then the block runs one line at a time:
# a line that exits with a status the marker does not allow, a background job
# (`cmd &`) that has exited with such a status by the end of the block, or a
# block still running after its timeout, fails.  With output=NAME the block's
# output ("$ line" and what it printed, as docs/capture-outputs.sh writes
# docs/output/NAME.txt) must equal that file with every number masked (times,
# ports, sequence numbers differ from run to run; the words must not).  Leaving
# the PID namespace ends everything the block started.
#
# Ends with one line per language: "PASS docs_run: N blocks of docs/ ran".
. "$(dirname "$0")/../integration/lib.sh"
cd "$FAKETCP_ROOT" || exit 1

# ------------------------------------------------------------ one block
# docs_run.sh --block DIR [private-tmp]: inside the namespaces.  DIR holds
# step, args, before, ready, status, block (the lines) and gets out, trace,
# prog.out.  private-tmp (only in a mount namespace of our own): the block
# gets a /tmp of its own, so that two runs at once do not share /tmp/in.
if [ "${1:-}" = --block ]; then
  dir=$2
  if [ "${3:-}" = private-tmp ]; then
    mount -t tmpfs -o size=64m tmpfs /tmp || { echo "cannot mount a private /tmp" >"$dir/error"; exit 1; }
  fi
  ip link set lo up
  step=$(cat "$dir/step") args=$(cat "$dir/args") before=$(cat "$dir/before")
  ready=$(cat "$dir/ready")
  if [ -n "$before" ]; then
    bash -c "$before" </dev/null >"$dir/before.out" 2>&1 &
    # Something listens in this empty namespace once the server is up.
    wait_for 15 sh -c 'ss -Hltn | grep -q .' || { echo "the before= command did not listen within 15 s" >"$dir/error"; exit 1; }
  fi
  if [ "$step" != none ]; then
    # shellcheck disable=SC2086  # args is a word list, as typed
    "$FAKETCP_BIN/$step" $args </dev/null >"$dir/prog.out" 2>&1 &
    if ! wait_for 30 grep -qE -- "$ready" "$dir/prog.out"; then
      echo "./$step $args did not print /$ready/ within 30 s" >"$dir/error"
      exit 1
    fi
  fi
  # The block as a script: before each line, its number (for a hang) and
  # "$ line" (for output=); after it, its status.
  awk -v q="'" '
    BEGIN { print "__ok() { case \",$ALLOWED,\" in *\",$1,\"*) return 0 ;; esac; return 1; }" }
    /^[ \t]*(#|$)/ { next }
    {
      shown = $0
      if (index(shown, q) == 0 && index(shown, "\"") == 0) sub(/[ \t]+#.*$/, "", shown)
      else sub(/[ \t]+#[^"\047]*$/, "", shown)
      esc = shown; gsub(q, q "\\" q q, esc)
      printf "echo %d >> \"$DIR/trace\"\n", NR
      printf "printf %s$ %%s\\n%s %s%s%s\n", q, q, q, esc, q
      print
      printf "__rc=$?; __ok $__rc || { echo \"line %d exited with status $__rc\" > \"$DIR/error\"; exit 1; }\n", NR
    }
    END {
      # Background jobs (cmd &) that have ended: their status counts too.
      print "sleep 0.3"
      print "jobs > \"$DIR/jobs\"; while read -r __l; do case $__l in *Exit\\ *) __rc=${__l#*Exit }; __rc=${__rc%% *};; *Done*) __rc=0;; *) continue;; esac; __ok $__rc || { echo \"a background job exited with status $__rc: ${__l#*Exit $__rc}\" > \"$DIR/error\"; exit 1; }; done < \"$DIR/jobs\""
      print "exit 0"
    }' "$dir/block" >"$dir/block.sh"
  DIR=$dir ALLOWED=$(cat "$dir/status") bash "$dir/block.sh" >"$dir/out" 2>&1
  exit $?
fi

# ------------------------------------------------------------ all blocks
require_root docs_run
require_own_netns docs_run   # a namespace for each block, which a container refuses
require_tools docs_run nc ping tcpdump ss timeout
require_built docs_run $(for p in $(scripts/steps --all); do echo "$FAKETCP_BIN/$p"; done) "$FAKETCP_BIN/tests/bin/holdserver"
# The scratch directory is outside /tmp: each block mounts a /tmp of its own.
T_DIR=$(mktemp -d /var/tmp/faketcp-docs.XXXXXX)
trap cleanup EXIT
trap 'exit 143' TERM INT
nblock=0

# Masks every number, so that a run compares with the captured output.
mask() { sed -E 's/[0-9]+([.,][0-9]+)*/N/g' "$1"; }

# run_block PAGE LINE MARKER: the block whose opening fence is at LINE.
run_block() {
  local page=$1 line=$2 marker=$3 d step opts key val
  d=$T_DIR/b$((++nblock))
  mkdir "$d"
  : >"$d/trace"
  opts=${marker#*run: }
  opts=${opts%-->}
  read -r step opts <<<"$opts"
  local args='' before='' ready='^allocated tunnel interface' status=0 limit=20 output='' skip=''
  while [[ $opts =~ ^[[:space:]]*([a-z]+)=(\"([^\"]*)\"|([^[:space:]]*))(.*)$ ]]; do
    key=${BASH_REMATCH[1]} val=${BASH_REMATCH[3]}${BASH_REMATCH[4]} opts=${BASH_REMATCH[5]}
    case $key in
      args) args=$val ;; before) before=$val ;; ready) ready=$val ;;
      status) status=$val ;; timeout) limit=$val ;; output) output=$val ;;
      skip) skip=$val ;;
    esac   # options this test does not know are ignored (MARKERS.md)
  done
  local where="$page:$line"
  if [ -n "$skip" ]; then
    echo "    $where not run: $skip"
    nskipped=$((nskipped + 1))
    return
  fi
  if [ "$step" != none ] && [ ! -x "$FAKETCP_BIN/$step" ]; then
    fail "docs_run $where" "run: $step, but there is no program $FAKETCP_BIN/$step"
    return
  fi
  awk -v first=$((line + 1)) 'NR >= first { if ($0 ~ /^[ \t]*```/) exit; print }' "$page" |
    sed -e ':a' -e '/\\$/N; s/\\\n//; ta' >"$d/block"
  echo "$step" >"$d/step"; echo "$args" >"$d/args"; echo "$before" >"$d/before"
  echo "$ready" >"$d/ready"; echo "$status" >"$d/status"
  # A /tmp of its own would hide a repository that lives under /tmp (a CI clone).
  local tmp=private-tmp
  case "$(pwd -P)/$FAKETCP_BIN" in /tmp/*) tmp=shared-tmp ;; esac
  timeout -k 3 "$limit" unshare -n -p -f -m --mount-proc --kill-child -- bash "$0" --block "$d" "$tmp" >"$d/runner.out" 2>&1
  local rc=$?
  local last
  last=$(tail -n 1 "$d/trace")
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    fail "docs_run $where" "still running after $limit s (page line $((line + ${last:-0})): $(sed -n "${last:-1}p" "$d/block"))" "$d/out"
  elif [ "$rc" -ne 0 ]; then
    local why
    why=$(cat "$d/error" 2>/dev/null || tail -n 3 "$d/runner.out")
    [[ $why =~ ^line\ ([0-9]+)(.*)$ ]] && why="page line $((line + BASH_REMATCH[1]))${BASH_REMATCH[2]}: $(sed -n "${BASH_REMATCH[1]}p" "$d/block")"
    [ -s "$d/out" ] || cp "$d/prog.out" "$d/out" 2>/dev/null
    fail "docs_run $where" "$why" "$d/out"
  elif [ -n "$output" ]; then
    if [ ! -f "docs/output/$output.txt" ]; then
      fail "docs_run $where" "output=$output, but there is no docs/output/$output.txt (run docs/capture-outputs.sh)"
    elif diff <(mask "docs/output/$output.txt") <(mask "$d/out") >"$d/diff"; then
      pass "docs_run $where (compared with docs/output/$output.txt)"
      nran=$((nran + 1))
    else
      fail "docs_run $where" "its output differs from docs/output/$output.txt beyond the numbers (< captured, > now)" "$d/diff"
    fi
  else
    pass "docs_run $where"
    nran=$((nran + 1))
  fi
}

# Every marked block of one language's pages.
run_language() {
  local lang=$1 page n marker
  shift
  nran=0 nskipped=0
  for page in "$@"; do
    while IFS=: read -r n marker; do
      # The marker must be followed by a shell fence.
      if ! sed -n "$((n + 1))p" "$page" | grep -qE '^```(sh|shell|bash)$'; then
        fail "docs_run $page:$n" "a run: marker must be right above a \`\`\`sh fence"
        continue
      fi
      run_block "$page" $((n + 1)) "$marker"
    done < <(grep -n '^<!-- run: ' "$page")
  done
  if [ "$nran" -gt 0 ]; then
    echo "PASS docs_run: $nran blocks of $lang ran ($nskipped marked as not runnable)"
  else
    fail "docs_run $lang" "no runnable block ran"
  fi
}

# docs_run.sh [PAGE...]: only these pages (for a page writer); default all.
if [ $# -gt 0 ]; then
  run_language "the pages given" "$@"
else
  run_language "docs/ (English, and README.md)" README.md docs/*.md
  run_language "docs/zh/ (Chinese)" docs/zh/*.md
fi
finish
