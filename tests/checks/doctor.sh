#!/usr/bin/env bash
# tests/checks/doctor.sh: every branch of scripts/doctor's checks, fed a fake
# /proc, /sys and /dev tree (DOCTOR_ROOT) and fake probes.  No root needed.
# The last test runs the real scripts/doctor on this machine.
set -u
cd "$(dirname "$0")/../.."
export LC_ALL=C LANG=C
unset LC_MESSAGES

# Bring in the functions without running main().
source scripts/doctor

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failures=0

pass() { echo "PASS doctor: $1"; }
fail() { echo "FAIL doctor: $1"; failures=$((failures + 1)); }

# A fresh fake root and fresh globals for every case; the probes say yes.
n=0
fresh()
{
  n=$((n + 1))
  R="$T/root$n"
  mkdir -p "$R/proc/self" "$R/proc/sys/kernel" "$R/proc/sys/user" "$R/proc/1" \
           "$R/proc/sys/net/ipv4/conf/all" "$R/proc/sys/net/ipv4/conf/default" \
           "$R/sys/class/net" "$R/dev/net" "$R/run"
  status_file 0 000001ffffffffff
  echo "Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org)" > "$R/proc/version"
  echo "0::/init.scope" > "$R/proc/1/cgroup"
  : > "$R/dev/net/tun"
  chmod 666 "$R/dev/net/tun"
  IS_ROOT=0 HAS_NETADMIN=0 TUN_PRESENT=0 USER_TUN_OK=0 USERNS_OK=0 WSL="" CONTAINER="" FIXES=0
  NETWORK=192.168.0.1/24 IFNAME=tun0
  probe_user_open_tun() { return 0; }
  probe_user_unshare() { return 0; }
  probe_routes() { printf '%s\n' "default via 192.0.2.1 dev eth0" \
                                  "192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2"; }
  probe_iptables_policy() { echo ACCEPT; }
  probe_nft_drop_chains() { :; }
  have() { return 0; }
}

# status_file UID CAPEFF: the two lines of /proc/self/status the doctor reads.
status_file()
{
  printf 'Name:\tbash\nUid:\t%s\t%s\t%s\t%s\nCapEff:\t%s\n' "$1" "$1" "$1" "$1" "$2" \
    > "$R/proc/self/status"
}

# run CHECK: runs it in this shell (so the globals it sets stay), output in $out.
run()
{
  "$@" > "$T/out" 2>&1
  rc=$?
  out=$(< "$T/out")
}

# expect NAME STATUS PATTERN [VAR=VALUE...]: the output is one line starting
# with STATUS (ok or fix) that contains PATTERN, and each global has its value.
expect()
{
  local name=$1 status=$2 pattern=$3 assign var want
  shift 3
  if [ "$(grep -c . <<< "$out")" != 1 ]; then
    fail "$name: expected one line, got: $out"; return
  fi
  if [[ $out != "$status "* ]]; then
    fail "$name: expected '$status', got: $out"; return
  fi
  if [[ $out != *"$pattern"* ]]; then
    fail "$name: expected '$pattern' in: $out"; return
  fi
  for assign in "$@"; do
    var=${assign%%=*} want=${assign#*=}
    if [ "${!var}" != "$want" ]; then
      fail "$name: expected $var=$want, got ${!var}"; return
    fi
  done
  pass "$name"
}

# ---------------------------------------------------------------- privileges
fresh; run check_privileges
expect "root with CAP_NET_ADMIN is ok" ok "root with CAP_NET_ADMIN" IS_ROOT=1 HAS_NETADMIN=1
fresh; status_file 0 00000000a80425fb; run check_privileges   # Docker's default set
expect "root without CAP_NET_ADMIN names --cap-add" fix "--cap-add=NET_ADMIN --device=/dev/net/tun" IS_ROOT=1 HAS_NETADMIN=0
fresh; status_file 1000 0000000000000000; run check_privileges
expect "a user without capabilities is pointed at scripts/netns" ok "scripts/netns" IS_ROOT=0 HAS_NETADMIN=0
fresh; status_file 1000 0000000000001000; run check_privileges
expect "a user with CAP_NET_ADMIN alone is ok" ok "uid 1000 with CAP_NET_ADMIN" IS_ROOT=0 HAS_NETADMIN=1

# ---------------------------------------------------------------- /dev/net/tun
fresh; run check_tun_device
expect "tun mode 0666 is ok" ok "mode 0666" TUN_PRESENT=1 USER_TUN_OK=1
fresh; chmod 600 "$R/dev/net/tun"; probe_user_open_tun() { echo "Permission denied"; return 1; }
run check_tun_device
expect "tun mode 0600 names chmod 0666" fix "mode 0600, an ordinary user cannot open it (Permission denied): for root-free runs: sudo chmod 0666 /dev/net/tun" TUN_PRESENT=1 USER_TUN_OK=0
fresh; rm "$R/dev/net/tun"; run check_tun_device
expect "no tun on a plain host names modprobe" fix "sudo modprobe tun" TUN_PRESENT=0
fresh; rm "$R/dev/net/tun"; CONTAINER=docker; run check_tun_device
expect "no tun in a container names --device" fix "--device=/dev/net/tun" TUN_PRESENT=0
fresh; rm "$R/dev/net/tun"; WSL=wsl1; run check_tun_device
expect "no tun on WSL1 names WSL2" fix "wsl --set-version" TUN_PRESENT=0

# ---------------------------------------------------------------- user namespaces
fresh; run check_userns
expect "working user namespaces are ok" ok "'unshare -rn true' works" USERNS_OK=1
fresh; echo 0 > "$R/proc/sys/kernel/unprivileged_userns_clone"; run check_userns
expect "unprivileged_userns_clone=0 names its sysctl" fix "sysctl -w kernel.unprivileged_userns_clone=1" USERNS_OK=0
fresh; echo 0 > "$R/proc/sys/user/max_user_namespaces"; run check_userns
expect "max_user_namespaces=0 names its sysctl" fix "sysctl -w user.max_user_namespaces=15000" USERNS_OK=0
fresh; echo 1 > "$R/proc/sys/kernel/apparmor_restrict_unprivileged_userns"
probe_user_unshare() { echo "unshare: write failed /proc/self/uid_map: Operation not permitted"; return 1; }
run check_userns
expect "Ubuntu 24.04's AppArmor restriction names its sysctl" fix "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" USERNS_OK=0
fresh; echo 1 > "$R/proc/sys/kernel/apparmor_restrict_unprivileged_userns"; run check_userns
expect "the AppArmor sysctl alone does not fail a working probe" ok "works" USERNS_OK=1
fresh; CONTAINER=docker; probe_user_unshare() { echo "unshare: unshare failed: Operation not permitted"; return 1; }
run check_userns
expect "a failing probe in a container names seccomp and root" fix "Docker's seccomp profile" USERNS_OK=0
fresh; probe_user_unshare() { echo "unshare: unshare failed: No space left on device"; return 1; }
run check_userns
expect "a failing probe elsewhere shows unshare's error" fix "fails (unshare: unshare failed: No space left on device)" USERNS_OK=0

# ---------------------------------------------------------------- containers and WSL
fresh; touch "$R/.dockerenv"; detect_environment
[ "$CONTAINER" = docker ] && pass "/.dockerenv means docker" || fail "/.dockerenv: got '$CONTAINER'"
fresh; touch "$R/run/.containerenv"; detect_environment
[ "$CONTAINER" = podman ] && pass "/run/.containerenv means podman" || fail "/run/.containerenv: got '$CONTAINER'"
fresh; mkdir -p "$R/run/systemd"; echo lxc > "$R/run/systemd/container"; detect_environment
[ "$CONTAINER" = lxc ] && pass "/run/systemd/container names the container" || fail "/run/systemd/container: got '$CONTAINER'"
fresh; echo "12:pids:/kubepods/besteffort/pod1234" > "$R/proc/1/cgroup"; detect_environment
[ "$CONTAINER" = kubernetes ] && pass "a kubepods cgroup means kubernetes" || fail "kubepods cgroup: got '$CONTAINER'"
fresh; echo "4:memory:/lxc/student1" > "$R/proc/1/cgroup"; detect_environment
[ "$CONTAINER" = lxc ] && pass "an lxc cgroup means lxc" || fail "lxc cgroup: got '$CONTAINER'"
fresh; detect_environment
[ -z "$CONTAINER$WSL" ] && pass "a plain host is neither container nor WSL" || fail "plain host: got '$CONTAINER$WSL'"
fresh; echo "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) #1237-Microsoft" > "$R/proc/version"
detect_environment
[ "$WSL" = wsl1 ] && pass "a 4.4.0-Microsoft kernel is WSL1" || fail "WSL1 version: got '$WSL'"
fresh; echo "Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 12.2.0)" > "$R/proc/version"
detect_environment
[ "$WSL" = wsl2 ] && pass "a microsoft-standard-WSL2 kernel is WSL2" || fail "WSL2 version: got '$WSL'"

fresh; run check_environment
expect "no container is said so" ok "none detected"
fresh; CONTAINER=docker HAS_NETADMIN=1 TUN_PRESENT=1; run check_environment
expect "a container with NET_ADMIN and the tun is ok" ok "it has what the steps need"
fresh; CONTAINER=docker USERNS_OK=1 USER_TUN_OK=1; run check_environment
expect "a container where netns works is ok" ok "root-free"
fresh; CONTAINER=podman; run check_environment
expect "a container with neither names the flags" fix "docker run --cap-add=NET_ADMIN --device=/dev/net/tun"
fresh; WSL=wsl1; run check_environment
expect "WSL1 names the conversion" fix "wsl --set-version"
fresh; WSL=wsl2; run check_environment
expect "WSL2 is ok" ok "WSL2"

# ---------------------------------------------------------------- routes
fresh; run check_route
expect "a free 192.168.0.0/24 is ok" ok "network 192.168.0.0/24: no route"
fresh; probe_routes() { printf '%s\n' "default via 192.168.0.1 dev wlan0 proto dhcp metric 600" \
                                       "192.168.0.0/24 dev wlan0 proto kernel scope link src 192.168.0.23"; }
run check_route
expect "a LAN of 192.168.0.0/24 names -a and scripts/netns" fix "routes 192.168.0.0/24 via wlan0 (your LAN?): on the host run the steps with -a 10.0.0.1/24 (and ping that network), or run them inside scripts/netns"
fresh; probe_routes() { printf '%s\n' "10.0.0.0/8 dev vpn0" "192.168.0.0/16 dev eth1" "10.200.0.0/16 via 10.0.0.1"; }
run check_route
expect "the suggested network is one with no route" fix "-a 172.31.254.1/24"
fresh; probe_routes() { echo "192.168.0.7 via 192.0.2.1 dev eth0"; }
run check_route
expect "a host route inside the network counts" fix "routes 192.168.0.7 via eth0"
fresh; probe_routes() { echo "192.168.0.0/24 dev tun0 proto kernel scope link src 192.168.0.1"; }
run check_route
expect "a route to tun0 means a step still runs" fix "already routed to tun0 (192.168.0.0/24): a step is still running"
fresh; NETWORK=10.0.0.1/24; probe_routes() { echo "10.0.0.0/8 dev vpn0"; }
run check_route
expect "-a's network is the one checked" fix "network 10.0.0.0/24: your host already routes 10.0.0.0/8 via vpn0"
fresh; probe_routes() { printf '%s\n' "blackhole 192.168.0.0/25" "unreachable 10.9.0.0/16"; }
run check_route
expect "a typed route (blackhole) counts too" fix "routes 192.168.0.0/25"
fresh; NETWORK=192.168.1.1/24; probe_routes() { echo "192.168.0.0/24 dev eth0"; }
run check_route
expect "a neighbouring /24 does not clash" ok "network 192.168.1.0/24: no route"

# ---------------------------------------------------------------- tun0
fresh; run check_tun0
expect "no tun0 is ok" ok "tun0: no such device yet"
fresh; mkdir -p "$R/sys/class/net/tun0"; run check_tun0
expect "a tun0 that is no TUN device names -i" fix "not a TUN device: give the steps another name, e.g. -i tun7"
fresh; mkdir -p "$R/sys/class/net/tun0" "$R/proc/4242/fdinfo"; echo 0x1001 > "$R/sys/class/net/tun0/tun_flags"
printf 'pos:\t0\nflags:\t02000002\nmnt_id:\t15\niff:\ttun0\n' > "$R/proc/4242/fdinfo/3"
echo icmpecho > "$R/proc/4242/comm"
run check_tun0
expect "a held tun0 names the program and its pid" fix "held by pid 4242(icmpecho): a step still running? stop it (Ctrl-C, or kill 4242)"
fresh; mkdir -p "$R/sys/class/net/tun0" "$R/proc/4242/fdinfo"; echo 0x1001 > "$R/sys/class/net/tun0/tun_flags"
printf 'iff:\ttun01\n' > "$R/proc/4242/fdinfo/3"   # another device whose name starts alike
echo 0x1801 > "$R/sys/class/net/tun0/tun_flags"   # IFF_TUN | IFF_PERSIST | IFF_NO_PI
run check_tun0
expect "a persistent tun0 nobody holds names ip link delete" fix "persistent and unused (made by 'ip tuntap add' or openvpn --mktun?): sudo ip link delete tun0"
fresh; mkdir -p "$R/sys/class/net/tun0"; echo 0x1001 > "$R/sys/class/net/tun0/tun_flags"
run check_tun0
expect "a tun0 held by an unseen program says how to find it" fix "held by a program this user cannot see"
fresh; IFNAME=tun3; mkdir -p "$R/sys/class/net/tun3"; echo 0x1801 > "$R/sys/class/net/tun3/tun_flags"
run check_tun0
expect "-i's name is the one checked" fix "tun3: exists, persistent"

# ---------------------------------------------------------------- rp_filter
fresh; echo 0 > "$R/proc/sys/net/ipv4/conf/all/rp_filter"; echo 2 > "$R/proc/sys/net/ipv4/conf/default/rp_filter"
run check_rp_filter
expect "loose rp_filter is ok" ok "all=0 default=2 (off or loose)"
fresh; echo 1 > "$R/proc/sys/net/ipv4/conf/all/rp_filter"; echo 1 > "$R/proc/sys/net/ipv4/conf/default/rp_filter"
run check_rp_filter
expect "strict rp_filter says when it matters and the sysctl" ok "net.ipv4.conf.all.rp_filter=2"
fresh; run check_rp_filter
expect "no rp_filter files is said so" ok "not readable"

# ---------------------------------------------------------------- firewall
fresh; have() { [ "$1" != iptables ] && [ "$1" != nft ]; }; run check_firewall
expect "no iptables nor nft is ok" ok "neither iptables nor nft"
fresh; run check_firewall
expect "ACCEPT policies are ok" ok "do not drop"
fresh; probe_iptables_policy() { [ "$1" = FORWARD ] && echo DROP || echo ACCEPT; }; run check_firewall
expect "iptables FORWARD DROP names the rule to add" fix "FORWARD policy drops (iptables -P FORWARD DROP): on the host allow the tun: sudo iptables -I FORWARD -i tun0 -j ACCEPT"
fresh; probe_nft_drop_chains() { [ "$1" = input ] && echo input; }; run check_firewall
expect "an nft input chain with policy drop is found" fix "INPUT policy drops (nft chain input)"
fresh; probe_iptables_policy() { echo DROP; }; probe_nft_drop_chains() { [ "$1" = forward ] && echo DOCKER-FWD; }
run check_firewall
if [ "$(grep -c '^fix' <<< "$out")" = 2 ] && [[ $out == *"FORWARD policy drops (iptables -P FORWARD DROP, nft chain DOCKER-FWD)"* ]]; then
  pass "INPUT and FORWARD both dropping give a line each, naming iptables and nft"
else
  fail "INPUT and FORWARD both dropping: $out"
fi
fresh; have() { [ "$1" != iptables ]; }; probe_iptables_policy() { echo DROP; }; run check_firewall
expect "iptables is not asked when it is not installed" ok "do not drop"

# ---------------------------------------------------------------- tools
fresh; run check_tools
expect "all tools installed is ok" ok "tcpdump, ping, nc, ss, ip, unshare installed"
fresh; have() { [ "$1" != tcpdump ] && [ "$1" != nc ]; }; run check_tools
expect "missing tools name their Debian packages" fix "missing tcpdump nc: sudo apt-get install tcpdump netcat-openbsd"
fresh; have() { [ "$1" != ss ] && [ "$1" != ip ]; }; run check_tools
expect "a package is named once for two tools" fix "missing ss ip: sudo apt-get install iproute2"

# ---------------------------------------------------------------- exit status
fresh; TUN_PRESENT=1 HAS_NETADMIN=1 IS_ROOT=1; run can_run
[ "$rc" = 0 ] && expect "root alone is enough (exit 0)" ok "as root" || fail "root alone: exit $rc"
fresh; USERNS_OK=1 USER_TUN_OK=1; run can_run
[ "$rc" = 0 ] && expect "user namespaces and a usable tun are enough (exit 0)" ok "root-free" || fail "root-free alone: exit $rc"
fresh; TUN_PRESENT=1 HAS_NETADMIN=1 IS_ROOT=1 USERNS_OK=1 USER_TUN_OK=1; run can_run
[ "$rc" = 0 ] && expect "both paths are both named (exit 0)" ok "as root (sudo ./icmpecho) and root-free" || fail "both: exit $rc"
fresh; USERNS_OK=1 USER_TUN_OK=0; run can_run
[ "$rc" = 1 ] && expect "a user without a usable tun fails (exit 1)" fix "sudo make doctor" || fail "user, tun 0600: exit $rc"
fresh; IS_ROOT=1 TUN_PRESENT=0 HAS_NETADMIN=1; run can_run
[ "$rc" = 1 ] && expect "root without a tun fails (exit 1)" fix "cannot run here" || fail "root, no tun: exit $rc"
fresh; IS_ROOT=1 TUN_PRESENT=1 HAS_NETADMIN=1 WSL=wsl1; run can_run
[ "$rc" = 1 ] && expect "WSL1 fails even as root (exit 1)" fix "cannot run here" || fail "wsl1: exit $rc"

# ---------------------------------------------------------------- main
for bad in "-a 192.168.0.0" "-a 300.1.1.1/24" "-a 10.0.0.1/31" "-i a/b" "--bogus"; do
  if scripts/doctor $bad > /dev/null 2>&1; [ $? = 2 ]; then
    pass "scripts/doctor $bad exits 2"
  else
    fail "scripts/doctor $bad: expected exit 2"
  fi
done
out=$(LC_ALL= LANG=zh_CN.UTF-8 bash -c 'source scripts/doctor; say ok "english" "中文"')
[ "$out" = "ok   中文" ] && pass "a zh locale prints the Chinese text" || fail "zh locale: got '$out'"

# ---------------------------------------------------------------- this machine
# Every line is "ok" or "fix" with a known subject; the summary decides the
# status.  As root with /dev/net/tun (these build machines) it must be 0.
real=$(timeout 30 scripts/doctor 2>&1)
rc=$?
subjects=$(sed -E 's/^(ok|fix) +([^:：]*)[:：].*/\2/' <<< "$real" | tr '\n' '|')
if grep -qvE '^(ok|fix)  ' <<< "$real"; then
  fail "this machine: a line is neither ok nor fix: $(grep -vE '^(ok|fix)  ' <<< "$real" | head -n 1)"
elif [[ $subjects != privileges\|/dev/net/tun\|user\ namespaces\|*network\ 192.168.0.0/24\|tun0\|rp_filter\|firewall\|tools\|summary\| ]]; then
  fail "this machine: unexpected checks: $subjects"
elif [ "$(id -u)" != 0 ] || [ ! -e /dev/net/tun ]; then
  pass "this machine: $(grep -c . <<< "$real") lines, exit $rc (not root: exit status not asserted)"
elif [ "$rc" = 0 ] && tail -n 1 <<< "$real" | grep -q '^ok   summary'; then
  pass "this machine, as root: $(grep -c . <<< "$real") lines, exit 0"
else
  fail "this machine, as root: exit $rc: $(tail -n 1 <<< "$real")"
fi

[ "$failures" = 0 ]
