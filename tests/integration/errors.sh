#!/usr/bin/env bash
# What a student sees when something is wrong: run without privileges, each
# program exits non-zero with one clear line naming /dev/net/tun (or the
# TUNSETIFF ioctl, where /dev/net/tun is mode 0666) and the fix; bad
# arguments exit 2 with a usage line on stderr; -h exits 0.
#
# Needs no root: as a user the programs simply run as that user.  As root
# everything runs inside a private namespace, the programs as 'nobody'
# (setpriv), so that a program that wrongly went on could touch nothing.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" = 0 ]; then
  enter_netns 60 "$@"
else
  T_DIR=$(mktemp -d /tmp/faketcp-test.XXXXXX)
  trap cleanup EXIT
fi

read -r -a steps <<< "$("$FAKETCP_ROOT"/scripts/steps --all)"
declare -A args=([connectmany]="192.168.0.1 2007 10" [connectmany_window]="192.168.0.1 2007 10")

# Copies of the programs where 'nobody' may run them, wherever the
# repository lives.
chmod 755 "$T_DIR"
mkdir -m 755 "$T_DIR/bin"
for prog in "${steps[@]}"; do
  if [ ! -x "$FAKETCP_BIN/$prog" ]; then
    fail "$prog: errors" "$FAKETCP_BIN/$prog is not built (run make)"
    finish
  fi
  cp "$FAKETCP_BIN/$prog" "$T_DIR/bin/"
done
if [ "$(id -u)" = 0 ]; then
  unprivileged=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
  who="as nobody"
else
  unprivileged=()
  who="as $(id -un)"
fi

# run OUT ERR CMD...: runs CMD bounded to 5 s, stdout and stderr apart; sets rc.
run() {
  local out=$1 err=$2
  shift 2
  timeout 5 "$@" </dev/null >"$out" 2>"$err"
  rc=$?
}

for prog in "${steps[@]}"; do
  name="$prog $who: exits non-zero naming /dev/net/tun and the fix"
  run "$T_DIR/out" "$T_DIR/err" "${unprivileged[@]}" "$T_DIR/bin/$prog" ${args[$prog]:-}
  if [ "$rc" -eq 124 ]; then
    fail "$name" "still running after 5 s" "$T_DIR/out"
  elif [ "$rc" -eq 0 ]; then
    fail "$name" "exited 0" "$T_DIR/err"
  elif grep -q '^allocated tunnel interface' "$T_DIR/out"; then
    fail "$name" "it allocated a tunnel interface" "$T_DIR/out"
  elif ! grep -qE '/dev/net/tun|TUNSETIFF' "$T_DIR/err"; then
    fail "$name" "stderr does not name /dev/net/tun (or TUNSETIFF)" "$T_DIR/err"
  elif ! grep -qE 'sudo|unshare -rn|modprobe' "$T_DIR/err"; then
    fail "$name" "stderr gives no fix (sudo, unshare -rn, modprobe)" "$T_DIR/err"
  else
    pass "$name (exit $rc)"
  fi
done

# Bad arguments: exit 2, say what is wrong, then the usage.  None of these
# may get as far as opening /dev/net/tun.
bad_args() {
  local prog=$1 why=$2
  shift 2
  local name="$prog $*: exits 2 with usage on stderr ($why)"
  [ $# -eq 0 ] && name="$prog without arguments: exits 2 with usage on stderr"
  run "$T_DIR/out" "$T_DIR/err" "${unprivileged[@]}" "$T_DIR/bin/$prog" "$@"
  if [ "$rc" -ne 2 ]; then
    fail "$name" "exit $rc" "$T_DIR/err"
  elif ! grep -q "^usage: $prog " "$T_DIR/err"; then
    fail "$name" "no 'usage: $prog' line on stderr" "$T_DIR/err"
  elif grep -q '/dev/net/tun' "$T_DIR/err"; then
    fail "$name" "it tried to open /dev/net/tun" "$T_DIR/err"
  else
    pass "$name"
  fi
}
bad_args connectmany "no arguments"
bad_args connectmany "two arguments" 192.168.0.1 2007
bad_args connectmany "bad IPv4" 192.168.0.256 2007 10
bad_args connectmany "bad IPv4" localhost 2007 10
bad_args connectmany "port 0" 192.168.0.1 0 10
bad_args connectmany "port 65536" 192.168.0.1 65536 10
bad_args connectmany "port not a number" 192.168.0.1 20x7 10
bad_args connectmany "count 0" 192.168.0.1 2007 0
bad_args connectmany "count negative" 192.168.0.1 2007 -5
bad_args connectmany "unknown option" -z 192.168.0.1 2007 10
for prog in $("$FAKETCP_ROOT"/scripts/steps --all | tr " " "\n" | grep -v "^connectmany"); do  # those without arguments
  bad_args "$prog" "a stray argument" 192.168.0.2
  bad_args "$prog" "-a without a prefix" -a 192.168.0.1
done

for prog in "${steps[@]}"; do
  run "$T_DIR/out" "$T_DIR/err" "${unprivileged[@]}" "$T_DIR/bin/$prog" -h
  if [ "$rc" -eq 0 ] && grep -q "^usage: $prog " "$T_DIR/out"; then
    pass "$prog -h: exits 0 with usage on stdout"
  else
    fail "$prog -h: exits 0 with usage on stdout" "exit $rc" "$T_DIR/out"
  fi
done
finish
