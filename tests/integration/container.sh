#!/usr/bin/env bash
# tests/integration/container.sh: the recipe of docs/container.md, for real,
# with Podman: the Containerfile built on a Debian 12 made here from nothing
# (no image registry is reachable: debootstrap, then 'podman import'), and in
# a container started with --cap-add=NET_ADMIN --device=/dev/net/tun:
#   - 'make demo STEP=rejectall' runs in place and tcpdump there sees tun0;
#   - tests/integration/rejectall.sh runs in place and passes;
#   - as the image's user student, 'sudo make demo STEP=icmpecho' works;
#   - started without --device=/dev/net/tun (or --cap-add=NET_ADMIN), the
#     doctor names the missing flag, and a step says the same.
#
# Every container has --network=none: a network namespace of its own that
# Podman makes for this test, with lo alone, so 192.168.0.x exists only there.
# Nothing of the machine's Podman is used: images, containers and their state
# live in a directory of this test's own, removed at the end; no image is
# pulled, no service is started.
#
# Flags of these machines, not of what a student types: '--runtime runc
# --cgroup-manager cgroupfs' (crun refuses hybrid cgroups), '--ulimit
# nofile=1024:1024 --ulimit nproc=1024:1024' (Podman's defaults pass the hard
# limit of open files here), and --cap-add=NET_RAW, which Docker gives by
# default and Podman not, and tcpdump needs (docs/container.md says so).
#
# Cache, as .ci/debian13's: FAKETCP_CI_CACHE, default /var/cache/faketcp-ci
#   debs/                      what debootstrap downloaded
#   bookworm-HASH.tar.gz       Debian 12 minbase with the packages of
#                              'scripts/install-deps --list' (HASH: of that list)
# About 1.5 minutes more from nothing; rm the tarball to start over.
. "$(dirname "$0")/lib.sh"
cd "$FAKETCP_ROOT" || exit 1

# The devcontainer asks for what the steps need and no more: its runArgs are
# these three, with no --privileged (JSON with // comments, as VS Code reads it).
want='--cap-add=NET_ADMIN --cap-add=NET_RAW --device=/dev/net/tun'
got=$(python3 -c 'import json, re, sys
print(" ".join(json.loads(re.sub(r"(?m)^\s*//.*$", "", open(sys.argv[1]).read()))["runArgs"]))' .devcontainer/devcontainer.json 2>&1)
if [ "$got" = "$want" ]; then
  pass "container: .devcontainer/devcontainer.json starts it with $want, no --privileged"
else
  fail "container: .devcontainer/devcontainer.json" "runArgs are '$got', expected '$want'"
fi

# Missing tools are a skip on a machine of yours, a failure in CI, which
# installs them (scripts/install-deps --all).
missing=
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=" $tool"; done
if [ "$(id -u)" != 0 ]; then
  echo "SKIP container: needs root (debootstrap, and Podman's containers with a TUN device): sudo $0"
  finish
elif why=$(scripts/in-place); then
  echo "SKIP container: no container inside a container (here the tests run in place, ${why#runs in place, })"
  finish
elif [ -n "$missing" ] && [ "${CI:-}" = true ]; then
  fail container "not installed:$missing (.ci/run installs them: scripts/install-deps --all)"
  finish
elif [ -n "$missing" ]; then
  echo "SKIP container: not installed:$missing (scripts/install-deps --container)"
  finish
fi

start=$(date +%s)
say() { echo "# container $(( $(date +%s) - start ))s: $*"; }
cache=${FAKETCP_CI_CACHE:-/var/cache/faketcp-ci}
mkdir -p "$cache/debs"
make_scratch
S=$(mktemp -d "$cache/podman.XXXXXX")   # Podman's storage: overlay, so not in a tmpfs /tmp
podman_cleanup() {
  pm rm -a -f >/dev/null 2>&1
  pm rmi -a -f >/dev/null 2>&1
  if findmnt -rn -o TARGET | grep -qE "^$S(/|\$)"; then
    echo "# container: mounts left under $S: not removed"
  else
    rm -rf --one-file-system "$S"
  fi
  cleanup
}
trap podman_cleanup EXIT
pm_flags=(--root "$S/root" --runroot "$S/run" --tmpdir "$S/tmp" --events-backend none
          --runtime runc --cgroup-manager cgroupfs)
pm() { podman "${pm_flags[@]}" "$@"; }
limits=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
image=localhost/faketcp:test
# inside SECONDS OUT FLAG... -- CMD...: CMD in a fresh container of the image,
# output to OUT; sets RC.
inside() {
  local limit=$1 out=$2 flags=()
  shift 2
  while [ "$1" != -- ]; do flags+=("$1"); shift; done
  shift
  timeout -k 10 "$limit" podman "${pm_flags[@]}" run --rm --network=none "${limits[@]}" "${flags[@]}" "$image" "$@" \
    </dev/null >"$out" 2>&1
  RC=$?
}

# ------------------------------------------------------------ the base image
read -r -a packages <<<"$(scripts/install-deps --list)"
hash=$(printf '%s\n' bookworm "${packages[@]}" | sha256sum | cut -c1-12)
base=$cache/bookworm-$hash.tar.gz
if [ ! -s "$base" ]; then
  say "debootstrap bookworm with ${packages[*]} (once; kept in $base)"
  fresh=$(mktemp -d "$cache/bootstrap.XXXXXX")
  list=$(IFS=,; echo "${packages[*]}")
  # A mount namespace of its own: the /proc debootstrap mounts goes with it.
  if timeout -k 10 900 unshare -m --propagation private debootstrap --variant=minbase --include="$list" \
       --cache-dir="$cache/debs" bookworm "$fresh" http://deb.debian.org/debian >"$T_DIR/debootstrap.log" 2>&1 &&
     tar -C "$fresh" -czf "$base.part" . && mv "$base.part" "$base"; then
    pass "container: Debian 12 made from nothing with debootstrap, $(du -h "$base" | cut -f1) in $(( $(date +%s) - start )) s"
  else
    fail "container: debootstrap bookworm" "failed" "$T_DIR/debootstrap.log"
  fi
  rm -rf --one-file-system "$fresh" "$base.part"
  [ -s "$base" ] || finish
else
  say "the base from the cache: $base"
fi
if pm import "$base" localhost/faketcp-base:bookworm >"$T_DIR/import.log" 2>&1; then
  say "podman import: localhost/faketcp-base:bookworm"
else
  fail "container: podman import $base" "failed" "$T_DIR/import.log"
  finish
fi

# ------------------------------------------------------------ the recipe
# The repository as it is here (the build outputs left out by .dockerignore).
t0=$(date +%s)
if timeout -k 10 600 podman "${pm_flags[@]}" build --pull=never --network=none "${limits[@]}" \
     --build-arg BASE=localhost/faketcp-base:bookworm -f Containerfile -t "$image" . \
     </dev/null >"$T_DIR/build.log" 2>&1; then
  pass "container: podman build -f Containerfile on Debian 12 from debootstrap, in $(( $(date +%s) - t0 )) s (no network: install-deps says '$(grep -m 1 '^scripts/install-deps:' "$T_DIR/build.log" | cut -d' ' -f2-)')"
else
  fail "container: podman build -f Containerfile" "failed" "$T_DIR/build.log"
  finish
fi
run_flags=(--cap-add=NET_ADMIN,NET_RAW --device=/dev/net/tun)

# ------------------------------------------------------------ the demo, in place
out=$T_DIR/demo.out
inside 120 "$out" "${run_flags[@]}" -- make demo STEP=rejectall
inplace='^scripts/netns: runs in place, in this Podman container.s own network namespace'
rst='^\[tcpdump\] IP 192\.168\.0\.2\.2000 > 192\.168\.0\.1\.[0-9]+: Flags \[R\.\], seq 0, ack '
if [ "$RC" = 0 ] && grep -qE "$inplace" "$out" && grep -q '^\[demo\] done' "$out"; then
  pass "container: 'make demo STEP=rejectall' runs in place and ends by itself: $(grep -m 1 -oE 'runs in place.*' "$out")"
else
  fail "container: make demo STEP=rejectall" "exit $RC, or no 'runs in place' and '[demo] done' lines" "$out"
fi
if grep -qE '^\[tcpdump\] listening on tun0' "$out" && grep -qE "$rst" "$out"; then
  pass "container: tcpdump inside sees tun0: $(grep -m 1 -E "$rst" "$out" | sed 's/^\[tcpdump\] //; s/, win.*//')"
else
  fail "container: tcpdump inside sees tun0" "no '[tcpdump] IP 192.168.0.2.2000 > 192.168.0.1.N: Flags [R.]' line" "$out"
fi

# ------------------------------------------------------------ a real-kernel test, in place
out=$T_DIR/rejectall.out
inside 120 "$out" "${run_flags[@]}" -- tests/integration/rejectall.sh
p=$(grep -c '^PASS' "$out") f=$(grep -c -E '^(FAIL|SKIP)' "$out")
if [ "$RC" = 0 ] && [ "$p" -gt 0 ] && [ "$f" = 0 ] && grep -qE '^# rejectall: runs in place' "$out"; then
  pass "container: tests/integration/rejectall.sh runs in place: $p PASS, 0 FAIL or SKIP"
else
  fail "container: tests/integration/rejectall.sh inside" "exit $RC, $p PASS, $f FAIL or SKIP" "$out"
fi

# ------------------------------------------------------------ the devcontainer's user
out=$T_DIR/student.out
inside 120 "$out" "${run_flags[@]}" --user student -- sudo make demo STEP=icmpecho
if [ "$RC" = 0 ] && grep -qE '^\[client\] ([0-9]+) packets transmitted, \1 received' "$out"; then
  pass "container: as the user student, 'sudo make demo STEP=icmpecho' gets every ping answered"
else
  fail "container: sudo make demo STEP=icmpecho as student" "exit $RC, or a ping unanswered" "$out"
fi

# ------------------------------------------------------------ a flag left out
# expect_fix NAME OUT PROBLEM FIX: OUT has a line PROBLEM, and FIX in the next.
expect_fix() {
  if grep -A 1 -E "$3" "$2" | tail -n +2 | grep -qF -- "$4"; then
    pass "$1: $(grep -m 1 -E "$3" "$2" | sed 's/^FAIL *//'), the fix names $4"
  else
    fail "$1" "no line /$3/ with '$4' under it" "$2"
  fi
}
out=$T_DIR/nodevice.out
inside 60 "$out" --cap-add=NET_ADMIN -- scripts/doctor
[ "$RC" = 1 ] || fail "container: doctor without --device=/dev/net/tun" "exit $RC, expected 1 (no step can run)" "$out"
expect_fix "container: without --device=/dev/net/tun, scripts/doctor exits 1" "$out" '^FAIL /dev/net/tun: missing in this podman container' "--device=/dev/net/tun"
out=$T_DIR/nodevice-step.out
inside 60 "$out" --cap-add=NET_ADMIN -- ./rejectall
if [ "$RC" != 0 ] && grep -q 'open /dev/net/tun: .*--device=/dev/net/tun' "$out"; then
  pass "container: without it, ./rejectall says: $(grep -m 1 'open /dev/net/tun' "$out")"
else
  fail "container: ./rejectall without --device=/dev/net/tun" "exit $RC, no message naming --device=/dev/net/tun" "$out"
fi
out=$T_DIR/nocap.out
inside 60 "$out" --device=/dev/net/tun -- scripts/doctor
expect_fix "container: without --cap-add=NET_ADMIN, scripts/doctor" "$out" '^FAIL privileges: root but no CAP_NET_ADMIN' "--cap-add=NET_ADMIN"
out=$T_DIR/noraw.out
inside 60 "$out" --cap-add=NET_ADMIN --device=/dev/net/tun -- scripts/doctor
expect_fix "container: Podman's default, no CAP_NET_RAW: scripts/doctor" "$out" '^warn privileges: no CAP_NET_RAW' "--cap-add=NET_RAW"

say "done"
finish
