# bench/lib.sh - what the benchmarks share (run.sh, throughput.sh,
# overflow.sh source it).  Each prints figures, never PASS/FAIL.

# bench_require TARGET PACKAGES PROG...: root, /dev/net/tun and every PROG
# (a path or a command), or a line naming what is missing, and exit 1.
bench_require() {
  local target=$1 packages=$2 prog
  shift 2
  if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
    echo "make $target: needs root and /dev/net/tun (run: sudo make $target)" >&2
    exit 1
  fi
  for prog in "$@"; do
    if ! [ -x "$prog" ] && ! command -v "$prog" >/dev/null; then
      echo "make $target: $prog is missing (make $target builds the programs; apt-get install $packages)" >&2
      exit 1
    fi
  done
}

# bench_scratch NAME: a scratch directory in $tmp, removed when the script
# ends, with every process it still has running in the background.
bench_scratch() {
  tmp=$(mktemp -d "/tmp/faketcp-$1.XXXXXX")
  trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
  trap 'exit 130' INT TERM
}
