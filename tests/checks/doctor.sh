#!/usr/bin/env bash
# tests/checks/doctor.sh: scripts/doctor passes on this machine, and each of
# its checks, made to fail once, prints its problem line and, under it, the
# fix.  The doctor runs whole, as a student runs it; what it reads is moved
# to fakes in a temporary directory:
#
#   PATH                  a copy of PATH without tmux (or ip, tcpdump, g++, ...),
#                         or with a fake nc or unshare in front
#   DOCTOR_PROC_SYS       a fake /proc/sys (the user namespace sysctls)
#   DOCTOR_PROC_VERSION   a fake /proc/version (WSL1, WSL2)
#   DOCTOR_TUN            a missing or mode 000 /dev/net/tun
#   DOCTOR_ROOT           a root with or without /.dockerenv (this machine may
#                         have one: a test of a host gives a root without)
#   setpriv               root without CAP_NET_ADMIN or CAP_NET_RAW, or a user
#
# A leftover tun0 and a route over 192.168.0.0/24 are made for real, in a
# network namespace of this test's own (unshare -n, or -rn as a user); the
# programs not built, in a copy of the repository without its build outputs.  Nothing on
# the host changes.
set -u
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d)
chmod 755 "$T"   # run as root, the doctor probes as user nobody
trap 'rm -rf "$T"' EXIT
BIN=${FAKETCP_BIN:-.}
failures=0

pass() { echo "PASS doctor: $1"; }
fail() { echo "FAIL doctor: $1"; failures=$((failures + 1)); }
skip() { echo "SKIP doctor: $1"; }

# run CMD...: runs it (the doctor, in some environment); $out, $rc.
run() { out=$("$@" 2>&1); rc=$?; }

# shown: $out indented, under a FAIL line (its own FAIL lines are no test's).
shown() { sed 's/^/    | /' <<< "$out"; }

# expect NAME HEAD FIX [STATUS]: a line of $out begins with HEAD (say "warn
# tmux:"), the line under it is its fix and holds FIX ("fix / 修复: CMD", or
# "fix: ..." followed by a "修复：..." line, or is "     FIX" exactly); and
# the doctor exited STATUS.
expect()
{
  local name=$1 head=$2 fix=$3 status=${4:-} i lines
  mapfile -t lines <<< "$out"
  for i in "${!lines[@]}"; do
    [[ ${lines[i]} == "$head"* ]] || continue
    if [[ ${lines[i+1]:-} != "     fix / 修复: "*"$fix"* ]] && [[ ${lines[i+1]:-} != "     $fix" ]] &&
       ! { [[ ${lines[i+1]:-} == "     fix: "*"$fix"* ]] && [[ ${lines[i+2]:-} == "     修复："* ]]; }; then
      fail "$name: no fix with '$fix' under: ${lines[i]}"$'\n'"$(shown)"
    elif [ -n "$status" ] && [ "$rc" != "$status" ]; then
      fail "$name: exit $rc, expected $status"$'\n'"$(shown)"
    else
      pass "$name"
    fi
    return
  done
  fail "$name: no line '$head...' in:"$'\n'"$(shown)"
}

# expect_ok NAME HEAD: a line of $out begins with "ok   HEAD".
expect_ok()
{
  if grep -qF -- "ok   $2" <<< "$out"; then pass "$1"; else fail "$1: no line 'ok   $2...' in:"$'\n'"$(shown)"; fi
}

# without TOOL...: prints a PATH of one directory with links to the programs
# the doctor (and make -q) may run, but not TOOLs.
without()
{
  local dir tool
  dir=$(mktemp -d "$T/path.XXXX")
  for tool in bash sh env dirname true setpriv unshare ip ss ping tcpdump nc tmux g++ make find grep head readlink timeout; do
    # type -P: the file on PATH, not the builtin ('command -v true' says "true")
    [[ " $* " == *" $tool "* ]] || ln -s "$(type -P "$tool")" "$dir/$tool" 2> /dev/null
  done
  chmod 755 "$dir"
  echo "$dir"
}

# fake NAME TEXT: a directory holding a program NAME that prints TEXT and fails.
fake()
{
  mkdir -p "$T/fake-$1"
  printf '#!/bin/sh\necho "%s" >&2\nexit 1\n' "$2" > "$T/fake-$1/$1"
  chmod 755 "$T/fake-$1" "$T/fake-$1/$1"
  echo "$T/fake-$1"
}

# ---------------------------------------------------------------- this machine
# Every line is a check, a fix under a problem, or the summary; as root with
# /dev/net/tun (these build machines) the steps run, so the status is 0.
run scripts/doctor
base=$rc base_out=$out
heads=$(grep -v '^     ' <<< "$out" | sed -E 's/^(ok  |warn|FAIL) ([^:]*):.*/\2/' | tr '\n' '|')
if grep -vqE '^(ok   |warn |FAIL |     fix: |     修复：|     fix / 修复: )' <<< "$out"; then
  fail "this machine: a line that is no check nor fix: $(grep -vE '^(ok  |warn|FAIL|     )' <<< "$out" | head -n 1)"
elif [ "$heads" != "kernel|privileges|/dev/net/tun|user namespaces|tun0|network of 192.168.0.1/24|tools|nc|tmux|compiler|programs|summary|" ]; then
  fail "this machine: other checks than expected: $heads"
elif [ "$(id -u)" = 0 ] && [ -e /dev/net/tun ] && [ "$rc" != 0 ]; then
  fail "this machine, as root with /dev/net/tun: exit $rc"$'\n'"$(shown)"
else
  pass "this machine: $(grep -c . <<< "$out") lines, exit $rc"
fi

if [ "$(id -u)" = 0 ] && setpriv --reuid=65534 true 2> /dev/null; then
  run setpriv --reuid=65534 --regid=65534 --clear-groups scripts/doctor
  expect_ok "an ordinary user is told the steps run with sudo or root-free" "privileges: uid 65534, not root"
fi
run make -s doctor
[ "$rc" = "$base" ] && grep -q '^ok   summary' <<< "$out" && pass "make doctor runs it" ||
  fail "make doctor: exit $rc"$'\n'"$(shown)"

# ---------------------------------------------------------------- kernel
echo "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) #1237-Microsoft" > "$T/wsl1"
run env DOCTOR_PROC_VERSION="$T/wsl1" scripts/doctor
expect "WSL1 says to convert to WSL2, and no step runs (exit 1)" "FAIL kernel: 4.4.0-19041-Microsoft is WSL1" "wsl --set-version" 1
echo "Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 12.2.0)" > "$T/wsl2"
run env DOCTOR_PROC_VERSION="$T/wsl2" scripts/doctor
expect_ok "WSL2 is a Linux kernel" "kernel: 5.15.153.1-microsoft-standard-WSL2, WSL2"

# ---------------------------------------------------------------- privileges
mkdir -p "$T/host" "$T/docker"
touch "$T/docker/.dockerenv"
if [ "$(id -u)" = 0 ] && setpriv --bounding-set=-net_admin true 2> /dev/null; then
  run setpriv --bounding-set=-net_admin env DOCTOR_ROOT="$T/host" scripts/doctor
  expect "root without CAP_NET_ADMIN names the container's flags" \
         "FAIL privileges: root but no CAP_NET_ADMIN" "--cap-add=NET_ADMIN --device=/dev/net/tun"
  run setpriv --bounding-set=-net_admin env DOCTOR_ROOT="$T/docker" scripts/doctor
  expect "root without CAP_NET_ADMIN in a container: started without --cap-add=NET_ADMIN, start it again with it" \
         "FAIL privileges: root but no CAP_NET_ADMIN: this docker container was started without --cap-add=NET_ADMIN" "start it again with --cap-add=NET_ADMIN"
  # Podman gives a container no CAP_NET_RAW, which tcpdump needs; Docker does.
  mkdir -p "$T/podman/run" && touch "$T/podman/run/.containerenv"
  run setpriv --bounding-set=-net_raw env DOCTOR_ROOT="$T/podman" scripts/doctor
  expect "no CAP_NET_RAW in a container (Podman's default) names --cap-add=NET_RAW" \
         "warn privileges: no CAP_NET_RAW: tcpdump cannot capture" "--cap-add=NET_RAW" "$base"
else
  skip "root without CAP_NET_ADMIN or CAP_NET_RAW: needs root and setpriv"
fi

# ---------------------------------------------------------------- /dev/net/tun
run env DOCTOR_TUN="$T/none" DOCTOR_ROOT="$T/host" scripts/doctor
expect "no /dev/net/tun on a host names modprobe, and no step runs (exit 1)" "FAIL $T/none: missing" "sudo modprobe tun" 1
run env DOCTOR_TUN="$T/none" DOCTOR_ROOT="$T/docker" scripts/doctor
expect "no /dev/net/tun in a container names its flags (exit 1)" \
       "FAIL $T/none: missing in this docker container" "--cap-add=NET_ADMIN --device=/dev/net/tun" 1
mkdir -p "$T/podman/run" "$T/lxc/run/systemd"
touch "$T/podman/run/.containerenv"
echo lxc > "$T/lxc/run/systemd/container"
for kind in podman lxc; do
  run env DOCTOR_TUN="$T/none" DOCTOR_ROOT="$T/$kind" scripts/doctor
  expect "no /dev/net/tun in $kind names the container" "FAIL $T/none: missing in this $kind container" "--device=/dev/net/tun" 1
done
touch "$T/tun000" "$T/tun666"
chmod 000 "$T/tun000"
chmod 666 "$T/tun666"
run env DOCTOR_TUN="$T/tun000" DOCTOR_ROOT="$T/host" scripts/doctor
expect "a /dev/net/tun no user may open names chmod 0666" "FAIL $T/tun000: an ordinary user cannot open it" "sudo chmod 0666 $T/tun000"
run env DOCTOR_TUN="$T/tun000" DOCTOR_ROOT="$T/podman" scripts/doctor
expect_ok "in a container, a /dev/net/tun for root alone (--device gives 0600) is ok" "$T/tun000: present, root's alone as this podman container got it"
run env DOCTOR_TUN="$T/tun666" scripts/doctor
expect_ok "a /dev/net/tun of mode 0666 is ok" "$T/tun666: present, an ordinary user may open it"

# ---------------------------------------------------------------- user namespaces
# unshare fails as on Ubuntu 24.04; the fake /proc/sys says why.
nouserns=$(fake unshare "unshare: write failed /proc/self/uid_map: Operation not permitted")
# sysctls NAME=VALUE...: prints a fake /proc/sys, Debian's values but these.
sysctls()
{
  local dir s
  dir=$(mktemp -d "$T/sys.XXXX")
  mkdir -p "$dir/kernel" "$dir/user"
  echo 1 > "$dir/kernel/unprivileged_userns_clone"
  echo 15000 > "$dir/user/max_user_namespaces"
  for s; do echo "${s#*=}" > "$dir/${s%=*}"; done
  echo "$dir"
}
run env PATH="$nouserns:$PATH" DOCTOR_PROC_SYS="$(sysctls kernel/unprivileged_userns_clone=0)" scripts/doctor
expect "unprivileged_userns_clone=0 names its sysctl" "FAIL user namespaces: off" "sudo sysctl -w kernel.unprivileged_userns_clone=1" "$base"
run env PATH="$nouserns:$PATH" DOCTOR_PROC_SYS="$(sysctls user/max_user_namespaces=0)" scripts/doctor
expect "max_user_namespaces=0 names its sysctl" "FAIL user namespaces: off" "sudo sysctl -w user.max_user_namespaces=15000" "$base"
run env PATH="$nouserns:$PATH" DOCTOR_PROC_SYS="$(sysctls kernel/apparmor_restrict_unprivileged_userns=1)" scripts/doctor
expect "Ubuntu's AppArmor restriction names its sysctl" \
       "FAIL user namespaces: AppArmor" "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" "$base"
run env PATH="$nouserns:$PATH" DOCTOR_PROC_SYS="$(sysctls)" DOCTOR_ROOT="$T/docker" scripts/doctor
if [ "$(id -u)" = 0 ]; then
  expect_ok "a failing unshare in a container, as root with CAP_NET_ADMIN: the steps run in place" \
            "user namespaces: refused in this docker container (unshare: write failed /proc/self/uid_map: Operation not permitted): scripts/netns, make demo and the tests run in place"
fi
if [ "$(id -u)" != 0 ] || setpriv --reuid=65534 true 2> /dev/null; then
  as_nobody=(); [ "$(id -u)" = 0 ] && as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  run "${as_nobody[@]}" env PATH="$nouserns:$PATH" DOCTOR_PROC_SYS="$(sysctls)" DOCTOR_ROOT="$T/docker" scripts/doctor
  expect "a failing unshare in a container, as a user, says: as root in it" "FAIL user namespaces: 'unshare -rn' fails in this docker" "run the steps as root in the container"
fi
run env PATH="$nouserns:$PATH" DOCTOR_PROC_SYS="$(sysctls)" DOCTOR_ROOT="$T/host" scripts/doctor
expect "a failing unshare elsewhere shows its error" \
       "FAIL user namespaces: 'unshare -rn' fails (unshare: write failed /proc/self/uid_map" "ask the admin"
run env DOCTOR_PROC_SYS="$(sysctls kernel/apparmor_restrict_unprivileged_userns=1)" scripts/doctor
if grep -q "^ok   user namespaces: an ordinary user may run" <<< "$base_out"; then
  expect_ok "the AppArmor sysctl alone does not fail a working unshare" "user namespaces:"
else
  skip "the AppArmor sysctl alone: user namespaces do not work here"
fi

# ---------------------------------------------------------------- routes, tun0
# In a network namespace of our own: real routes, a real tun0.
if [ "$(id -u)" = 0 ] && unshare -n true 2> /dev/null; then ns="unshare -n"
elif unshare -rn true 2> /dev/null; then ns="unshare -rn"
else ns=""; fi   # in a container that runs the tests in place, say (scripts/in-place)
in_netns() { run timeout 30 $ns bash -c "ip link set lo up && $1"; }
if [ -z "$ns" ]; then
  skip "routes: no network namespace can be made here (not root, no user namespaces)"
else
  in_netns "ip route add 192.168.0.0/24 dev lo && scripts/doctor"
  expect "a route to 192.168.0.0/24 (a home LAN) names scripts/netns and -a" \
         "warn network of 192.168.0.1/24: this host already routes 192.168.0.0/24 dev lo" "scripts/netns, which has no LAN; or on the host with -a 10.0.0.1/24" "$base"
  in_netns "ip route add 192.168.0.0/16 dev lo && ip route add 10.0.0.0/8 dev lo && scripts/doctor"
  expect "a wider route counts, and -a names a network with no route" "warn network of 192.168.0.1/24: this host already routes 192.168.0.0/16" "-a 172.31.254.1/24"
  in_netns "ip route add 192.168.0.7 dev lo && scripts/doctor"
  expect "a host route inside the network counts" "warn network of 192.168.0.1/24: this host already routes 192.168.0.7" "scripts/netns"
  in_netns "ip route add 10.0.0.0/8 dev lo && scripts/doctor -a 10.0.0.1/24"
  expect "-a's network is the one checked" "warn network of 10.0.0.1/24: this host already routes 10.0.0.0/8" "-a 172.31.254.1/24"
  in_netns "ip route add 0.0.0.0/1 dev lo && ip route add 128.0.0.0/1 dev lo && ip route add 192.168.1.0/24 dev lo && scripts/doctor"
  expect_ok "a VPN's 0.0.0.0/1 and 128.0.0.0/1, and the next /24, do not count" "network of 192.168.0.1/24: no route"
fi
if [ -z "$ns" ] || ! { : <> /dev/net/tun; } 2> /dev/null; then
  skip "tun0: no network namespace can be made here, or this user cannot open /dev/net/tun"
else
  in_netns "ip tuntap add dev tun0 mode tun && scripts/doctor"
  expect "a persistent tun0 left over names ip link delete" "warn tun0: left over, persistent" "sudo ip link delete tun0" "$base"
  in_netns "ip tuntap add dev tun0 mode tap && scripts/doctor"
  expect "a tun0 that is a TAP device names -i" "warn tun0: exists and is no TUN device" "-i tun7"
  in_netns "ip tuntap add dev tun7 mode tun && scripts/doctor -i tun7"
  expect "-i's device is the one checked" "warn tun7: left over, persistent" "sudo ip link delete tun7" "$base"
  if [ -x "$BIN/icmpecho" ]; then
    in_netns "timeout 20 $BIN/icmpecho -i tun0 > /dev/null 2>&1 & t=\$!
              for i in \$(seq 50); do ip link show tun0 > /dev/null 2>&1 && break; sleep 0.1; done
              scripts/doctor; kill \$t"
    expect "a tun0 held by a running step names its pid to kill" "warn tun0: held by " "or kill "
    grep -q "^warn tun0: held by [0-9]* (icmpecho)" <<< "$out" && pass "the tun0 holder is named: icmpecho" ||
      fail "the tun0 holder is named: $(grep '^warn tun0' <<< "$out")"
  else
    skip "a tun0 held by a running step: $BIN/icmpecho is not built"
  fi
fi

# ---------------------------------------------------------------- tools
run env -u CXX PATH="$(without tcpdump)" scripts/doctor
expect "a missing tcpdump names its package" "warn tools: missing tcpdump" "sudo apt-get install tcpdump" "$base"
run env -u CXX PATH="$(without ip ss)" scripts/doctor
expect "a missing ip and ss name iproute2 once" "warn tools: missing ip ss" "fix / 修复: sudo apt-get install iproute2"
expect "without ip, tun0 and the routes are said to be unchecked" "warn tun0 and the network of 192.168.0.1/24: not checked" "iproute2"
run env -u CXX PATH="$(without nc)" scripts/doctor
expect "a missing nc names netcat-openbsd" "warn nc: missing" "sudo apt-get install netcat-openbsd" "$base"
run env PATH="$(fake nc "[v1.10-47]"):$PATH" scripts/doctor
expect "an nc without -N (netcat-traditional) names netcat-openbsd" "warn nc: missing, or not OpenBSD's" "sudo apt-get install netcat-openbsd" "$base"
run env -u CXX PATH="$(without tmux)" scripts/doctor
expect "a missing tmux names its package" "warn tmux: missing" "sudo apt-get install tmux" "$base"
run env -u CXX PATH="$(without g++)" scripts/doctor
expect "a missing g++ names g++ and make" "warn compiler: g++ or make missing" "sudo apt-get install g++ make" "$base"

# ---------------------------------------------------------------- programs
# A fresh copy of the repository, never built, with this doctor in it.
if tar -cf "$T/clone.tar" --exclude=./build --exclude=./tests/bin --exclude=./lab --exclude=./.git \
     --exclude=./icmpecho --exclude=./rejectall --exclude=./acceptall --exclude=./discardall \
     --exclude=./connectmany --exclude=./echoall . 2> /dev/null &&
   mkdir "$T/clone" && tar -xf "$T/clone.tar" -C "$T/clone"; then
  cp scripts/doctor "$T/clone/scripts/doctor"
  run env -u CXX "$T/clone/scripts/doctor"
  expect "programs not built say: make" "warn programs: not built: icmpecho" "fix / 修复: make" "$base"
  run env -u CXX PATH="$(without g++)" "$T/clone/scripts/doctor"
  expect "programs not built, and no compiler: no step runs (exit 1)" "FAIL programs: not built" "sudo apt-get install g++ make && make" 1
  run "$T/clone/scripts/doctor" -a 10.0.0.1/33
  [ "$rc" = 2 ] && [[ $out == *"scripts/doctor: Error: "*"10.0.0.1/33"* ]] &&
    pass "before the steps are built, ip judges -a" || fail "unbuilt, -a 10.0.0.1/33: exit $rc: $out"
  if [ -x ./icmpecho ]; then
    cp -p $(scripts/steps --all) "$T/clone/"
    touch "$T/clone/faketcp.cc"   # a source make knows without build/*.d
    run env -u CXX "$T/clone/scripts/doctor"
    expect "programs older than their sources say: make" "warn programs: built, but older than their sources" "fix / 修复: make" "$base"
  else
    skip "programs older than their sources: ./icmpecho is not built"
  fi
else
  skip "programs not built: could not copy the repository"
fi

# ---------------------------------------------------------------- options
# -a and -i are judged by the steps' own parser (when built), else by ip.
run scripts/doctor -h
[ "$rc" = 0 ] && [[ $out == "usage: scripts/doctor "* ]] && pass "scripts/doctor -h prints its usage" || fail "-h: $out"
for bad in "-a 10.0.0.1/31" "-a 192.168.0.0" "-i a/b" "-a" "--bogus"; do
  run scripts/doctor $bad
  [ "$rc" = 2 ] && pass "scripts/doctor $bad exits 2" || fail "scripts/doctor $bad: exit $rc, expected 2"
done
if [ -x ./icmpecho ]; then
  run scripts/doctor -a 10.0.0.1/31
  [[ $out == *"icmpecho: -a 10.0.0.1/31: expected ADDR/PREFIX with a prefix of 8..30"* ]] &&
    pass "a bad -a gets the steps' own message" || fail "a bad -a: $out"
fi

[ "$failures" = 0 ]
