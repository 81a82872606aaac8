#!/usr/bin/env bash
# The lecture demo (scripts/demo, make demo STEP=...) in scripted mode for
# each step: it runs by itself, the article's client commands give the
# article's results, and it ends by itself, leaving nothing behind.  The
# demo makes its own namespace (scripts/netns); without tmux panes here, as
# stdout is not a terminal: one stream, each line prefixed by its source.
. "$(dirname "$0")/lib.sh"
steps=(icmpecho rejectall acceptall discardall connectmany)
require_root "${steps[@]/#/demo }"
T_DIR=$(mktemp -d /tmp/faketcp-test.XXXXXX)
trap cleanup EXIT

# expect STEP REGEX...: every extended REGEX matches a line of the output.
expect() {
  local step=$1 out=$T_DIR/$1.out re missing=
  shift
  for re in "$@"; do grep -qE -- "$re" "$out" || missing+=" /$re/"; done
  if [ -n "$missing" ]; then
    fail "demo $step: scripted" "no line matches$missing" "$out"
  else
    pass "demo $step: scripted, ends by itself, shows the article's results"
  fi
}

for step in "${steps[@]}"; do
  out=$T_DIR/$step.out
  MODE=scripted COUNT=200 timeout -k 5 120 "$FAKETCP_ROOT/scripts/demo" "$step" </dev/null >"$out" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    fail "demo $step: scripted" "exit $rc$( [ "$rc" -eq 124 ] && echo ' (timed out after 120 s)')" "$out"
    continue
  fi
  common=("^\[$step\] allocated tunnel interface tun0$" '^\[tcpdump\] listening on tun0'
          '^\[demo\] done: the namespace')
  case $step in
    icmpecho)
      expect "$step" "${common[@]}" '^\[client\] 3 packets transmitted, 3 received' \
        '^\[tcpdump\] .* 192\.168\.0\.2 > 192\.168\.0\.1: ICMP echo reply' ;;
    rejectall)
      expect "$step" "${common[@]}" \
        '^\[client\] nc: connect to 192\.168\.0\.2 port 2000 \(tcp\) failed: Connection refused' \
        '^\[client\] nc: connect to 192\.168\.0\.7 port 5555 \(tcp\) failed: Connection refused' \
        '^\[tcpdump\] .* 192\.168\.0\.7\.5555 > 192\.168\.0\.1\.[0-9]+: Flags \[R\.\]' ;;
    acceptall)
      expect "$step" "${common[@]}" '^\[client\] ESTAB +0 +14 +192\.168\.0\.1:[0-9]+ +192\.168\.0\.2:2000' \
        '^\[tcpdump\] .* 192\.168\.0\.3\.3000 > 192\.168\.0\.1\.[0-9]+: Flags \[F\.\]' ;;
    discardall)
      expect "$step" "${common[@]}" '^\[client\] ESTAB +0 +0 +192\.168\.0\.1:[0-9]+ +192\.168\.0\.2:2000' \
        '^\[tcpdump\] .* 192\.168\.0\.2\.2000 > 192\.168\.0\.1\.[0-9]+: Flags \[\.\], ack 15,' ;;
    connectmany)
      expect "$step" "${common[@]}" '^\[connectmany\] established 200 of 200 connections' \
        '^\[client\] 200$' '^\[holdserver\] holding 200 connections$' ;;
  esac
done
finish
