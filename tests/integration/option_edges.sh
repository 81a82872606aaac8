#!/usr/bin/env bash
# tests/integration/option_edges.sh - every option of every program at its edges,
# from the programs' own tables: each program is asked for its rows
# (FAKETCP_OPTION_ROWS=1, tooling/cmdline.h), so an option added to a table
# is checked here without a line of this file changing.
#
#   - a number (int, long, size) and a numeric argument: its least and its
#     greatest value are accepted; one below the least and one above the
#     greatest are refused with exit status 2 and the row's message, which
#     names the option, the value and the range ("-r 0: expected ..., 1..60000");
#   - a flag: accepted under each spelling; its long name given a value
#     (--exit=1) is refused, exit 2;
#   - a text option (-i, -a, --pcap, --drop, --zero-window, IP): the values listed below in
#     text_cases, keyed by the option's name; an option of such a type that
#     has no entry there FAILS, so its edges must be written down;
#   - connectmany's COUNT against the tunnel's network: a count that exactly
#     fills one source address's ports is accepted, one more is refused.
#
# Accepted means the program got past its command line: it printed
# "allocated tunnel interface" (then it is stopped by its PID), or, with no
# usable /dev/net/tun, failed to open it.  Every run happens in a network
# namespace made for this test (as root unshare -n, else unshare -rn): a
# tunnel device made here never reaches the host's network.  stdin is held
# open, so connectmany waits at "press enter" and sends nothing.
#
# At the end it prints the edge table (markdown). One PASS or FAIL line per
# option of each program, as tests/run counts them.
#
# 每个程序的每个选项的边界，取自程序自己的选项表：最小值和最大值被接受，
# 再小一或再大一被拒绝（退出码 2，消息写出选项和范围）；文本类选项的取值
# 列在 text_cases 中，缺了条目就失败。
set -u
. "$(dirname "$0")/lib.sh"
name=option_edges

if [ "${FAKETCP_IN_NETNS:-}" != 1 ]; then
  programs=$(make -s -C "$FAKETCP_ROOT" list-programs)
  for p in $programs; do
    [ -x "$FAKETCP_BIN/$p" ] || { echo "FAIL $name: $FAKETCP_BIN/$p is not built (run: make)"; exit 1; }
  done
  export FAKETCP_PROGRAMS=$programs
  if [ "$(id -u)" != 0 ]; then
    if ! why=$(unshare -rn true 2>&1); then
      echo "SKIP $name: needs a private network namespace (unshare -rn): $why"
      exit 0
    fi
    FAKETCP_IN_NETNS=1 exec timeout -k 5 300 unshare -rn bash "$0" "$@"
  fi
  require_root "$name"
fi
enter_netns 300 "$@"

# The hand list of the options whose values are text.  One case a line:
#   accept|VALUE|what it shows
#   refuse|VALUE|STATUS|TEXT its message must contain|what it shows
text_cases() {
  case $1 in
    -i)
      echo "accept|t|one character"
      echo "accept|abcdefghijklmno|15 characters, IFNAMSIZ - 1"
      echo "refuse||2|-i : a device name has at most 15 characters|empty"
      echo "refuse|abcdefghijklmnop|2|-i abcdefghijklmnop: a device name has at most 15 characters|16 characters"
      echo "refuse|tun/0|2|-i tun/0: a device name has at most 15 characters and no '/'|a '/'" ;;
    -a)
      echo "accept|10.0.0.1/8|the least prefix"
      echo "accept|10.0.0.1/30|the greatest prefix"
      echo "refuse|10.0.0.1/7|2|-a 10.0.0.1/7: expected ADDR/PREFIX with a prefix of 8..30|prefix 7"
      echo "refuse|10.0.0.1/31|2|-a 10.0.0.1/31: expected ADDR/PREFIX with a prefix of 8..30|prefix 31"
      echo "refuse|10.0.0.0/24|2|-a 10.0.0.0/24: expected ADDR/PREFIX|the network's address"
      echo "refuse|10.0.0.255/24|2|-a 10.0.0.255/24: expected ADDR/PREFIX|its broadcast address" ;;
    --pcap)
      echo "accept|$T_DIR/edges.pcap|a writable path"
      echo "refuse|$T_DIR/no-such-dir/x.pcap|1|open $T_DIR/no-such-dir/x.pcap: No such file or directory (choose a writable path)|a directory that is not there (exit 1: cmdline.h opens the file once parsing is done)" ;;
    --drop)
      echo "accept|1|the least N"
      echo "accept|1000000x10|the greatest N and K"
      echo "refuse|0|2|--drop 0: expected N or NxK, the Nth new data segment 1..1000000, its first K transmissions 1..10|N 0"
      echo "refuse|1000001|2|--drop 1000001: expected N or NxK|N one past"
      echo "refuse|1x0|2|--drop 1x0: expected N or NxK|K 0"
      echo "refuse|1x11|2|--drop 1x11: expected N or NxK|K one past" ;;
    --zero-window)
      echo "accept|1,1|the least BYTES and MS"
      echo "accept|1000000000,60000|the greatest BYTES and MS"
      echo "refuse|0,5|2|--zero-window 0,5: expected BYTES,MS, bytes received 1..1000000000, then window 0 for 1..60000 ms|BYTES 0"
      echo "refuse|1000000001,5|2|--zero-window 1000000001,5: expected BYTES,MS|BYTES one past"
      echo "refuse|5,0|2|--zero-window 5,0: expected BYTES,MS|MS 0"
      echo "refuse|5,60001|2|--zero-window 5,60001: expected BYTES,MS|MS one past" ;;
    IP)
      echo "accept|10.0.0.1|an address of the tunnel's network"
      echo "refuse|10.0.0.256|2|IP 10.0.0.256: expected an IPv4 address|a byte past 255"
      echo "refuse|10.0.0|2|IP 10.0.0: expected an IPv4 address|three bytes" ;;
    *) return 1 ;;
  esac
}

# The arguments every run gets, so that only the option under test varies:
# the network 10.0.0.0/8 (connectmany's sources must fit in it), and for
# connectmany's IP PORT COUNT an address of it and each number's least.
base_opts=(-a 10.0.0.1/8)

mkfifo "$T_DIR/stdin"
exec 3<>"$T_DIR/stdin"   # held open and never written: no Enter for connectmany

# run PROG ARGS...: RUN is "allocated", an exit status, or "timeout";
# RUN_ERR its stderr.
RUN_ERR=$T_DIR/err
run() {
  local prog=$1 i
  shift
  : >"$T_DIR/out"
  : >"$RUN_ERR"
  "$FAKETCP_BIN/$prog" "$@" <&3 >"$T_DIR/out" 2>"$RUN_ERR" &
  local pid=$!
  T_PIDS=("$pid")
  RUN=timeout
  for ((i = 0; i < 500; i++)); do
    if grep -q '^allocated tunnel interface' "$T_DIR/out"; then
      RUN=allocated
      break
    fi
    if not_running "$pid"; then
      wait "$pid"
      RUN=$?
      T_PIDS=()
      return
    fi
    sleep 0.02
  done
  stop "$pid"
}

# Did the last run get past the command line?
accepted() {
  [ "$RUN" = allocated ] || { [ "$RUN" = 1 ] && grep -q 'open /dev/net/tun' "$RUN_ERR"; }
}

# What went wrong with the last run, in a few words.
what_ran() {
  case $RUN in
    allocated) echo "it was accepted (allocated its tunnel)" ;;
    timeout) echo "it neither exited nor allocated a tunnel in 10 s" ;;
    *) echo "exit $RUN, stderr: $(head -n 1 "$RUN_ERR")" ;;
  esac
}

# The edge table: one line per option and its edges, the programs that have
# it gathered.
declare -A table_programs=()
table_order=()
table_add() {  # OPTION LEAST GREATEST REFUSED PROGRAM
  local key="| \`$1\` | $2 | $3 | $4 |"
  [ -n "${table_programs[$key]:-}" ] || table_order+=("$key")
  table_programs[$key]="${table_programs[$key]:-}${table_programs[$key]:+, }$5"
}

# try PROG WHAT ARGS...: the case fails (ERRORS grows) unless it is accepted.
try_accept() {
  local prog=$1 what=$2
  shift 2
  run "$prog" "$@"
  accepted || errors+=("$what: $(what_ran)")
}

# try_refuse PROG WHAT STATUS TEXT ARGS...: refused with STATUS, TEXT in stderr.
try_refuse() {
  local prog=$1 what=$2 status=$3 text=$4
  shift 4
  run "$prog" "$@"
  if [ "$RUN" != "$status" ]; then
    errors+=("$what: expected exit $status, $(what_ran)")
  elif ! grep -qF -- "$text" "$RUN_ERR"; then
    errors+=("$what: exit $status, but its message lacks '$text': $(head -n 1 "$RUN_ERR")")
  fi
}

# args_with POS VALUE: the arguments of this program, the one at POS (or
# none, -1) replaced by VALUE, into ARGS.
args_with() {
  ARGS=()
  local i
  for i in "${!arg_base[@]}"; do
    if [ "$i" = "$1" ]; then ARGS+=("$2"); else ARGS+=("${arg_base[$i]}"); fi
  done
}

for prog in $FAKETCP_PROGRAMS; do
  rows=$(FAKETCP_OPTION_ROWS=1 "$FAKETCP_BIN/$prog" 2>&1)
  rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q '^option' <<<"$rows"; then
    fail "$name: $prog" "FAKETCP_OPTION_ROWS=1 $prog exited $rc without its table: $(head -n 1 <<<"$rows")"
    continue
  fi
  # The arguments' base values: an IPv4 address of 10.0.0.0/8, a number's least.
  arg_base=()
  while IFS=$'\t' read -r kind opt spellings type min max; do
    [ "$kind" = argument ] || continue
    case $type in
      ipv4) arg_base+=(10.0.0.1) ;;
      *) arg_base+=("$min") ;;
    esac
  done <<<"$rows"

  pos=-1
  while IFS=$'\t' read -r kind opt spellings type min max; do
    errors=()
    if [ "$kind" = argument ]; then
      pos=$((pos + 1))
    fi
    # put VALUE where this option or argument goes, into CMD
    cmd_for() {  # SPELLING VALUE
      if [ "$kind" = argument ]; then
        args_with "$pos" "$2"
        CMD=("${base_opts[@]}" "${ARGS[@]}")
      else
        args_with -1 ""
        CMD=("${base_opts[@]}" "$1" "$2" "${ARGS[@]}")
      fi
    }
    first=${spellings%%,*}
    case $type in
      int|long|size)
        for v in "$min" "$max"; do
          cmd_for "$first" "$v"
          try_accept "$prog" "$opt $v" "${CMD[@]}"
        done
        if [ "$kind" = option ] && [ "$spellings" != "$first" ]; then
          long=${spellings#*,}
          args_with -1 ""
          try_accept "$prog" "$long=$max" "${base_opts[@]}" "$long=$max" "${ARGS[@]}"
        fi
        for v in $((min - 1)) $((max + 1)); do
          cmd_for "$first" "$v"
          sep=:; [ "$kind" = argument ] && sep=
          # an option's message: "-r 0: expected a SYN's ..., 1..60000";
          # an argument's: "PORT 0: expected a number 1..65535"
          try_refuse "$prog" "$opt $v" 2 "$opt $v: expected" "${CMD[@]}"
          grep -qF -- "$min..$max" "$RUN_ERR" || errors+=("$opt $v: its message does not give the range $min..$max: $(head -n 1 "$RUN_ERR")")
        done
        table_add "$opt" "$min" "$max" "$((min - 1)), $((max + 1)) (exit 2)" "$prog"
        summary="$min and $max accepted; $((min - 1)) and $((max + 1)) refused, exit 2, naming $opt and $min..$max"
        ;;
      flag)
        IFS=, read -r -a spelled <<<"$spellings"
        refused="none (a flag takes no value)"
        for s in "${spelled[@]}"; do
          args_with -1 ""
          try_accept "$prog" "$s" "${base_opts[@]}" "$s" "${ARGS[@]}"
          if [[ $s == --* ]]; then
            args_with -1 ""
            try_refuse "$prog" "$s=1" 2 "option '$s' doesn't allow an argument" "${base_opts[@]}" "$s=1" "${ARGS[@]}"
            refused="\`$s=1\` (exit 2)"
          fi
        done
        table_add "$opt" "given" "given" "$refused" "$prog"
        summary="accepted as ${spellings//,/ and }; refused: $refused"
        ;;
      *)
        if ! cases=$(text_cases "$opt"); then
          fail "$name: $prog $opt" "a $type option with no entry in text_cases of $0: write its accepted and refused values there"
          continue
        fi
        good=() bad=()
        while IFS='|' read -r verdict value a b _; do
          cmd_for "$first" "$value"
          shown=${value/#$T_DIR/DIR}
          [ -n "$shown" ] || shown='""'
          if [ "$verdict" = accept ]; then
            try_accept "$prog" "$opt '$value'" "${CMD[@]}"
            good+=("\`$shown\`")
          else
            try_refuse "$prog" "$opt '$value'" "$a" "$b" "${CMD[@]}"
            bad+=("\`$shown\` ($a)")
          fi
        done <<<"$cases"
        least=${good[0]}
        greatest=${good[*]:1}
        refused=$(IFS=,; echo "${bad[*]}" | sed 's/,/, /g')
        table_add "$opt" "$least" "${greatest:-$least}" "$refused" "$prog"
        summary="accepted ${good[*]}; refused ${refused}, each with its message"
        ;;
    esac
    if [ ${#errors[@]} -eq 0 ]; then
      pass "$name: $prog $opt: $summary"
    else
      fail "$name: $prog $opt" "$(IFS=';'; echo "${errors[*]}")"
    fi
  done <<<"$rows"

  # connectmany's sources: IP+1, IP+2, ..., 64512 ports each, must be hosts
  # of the tunnel's network other than ours.  In 10.0.0.0/30 (hosts .1 and
  # .2, .1 ours) the connections to 10.0.0.1 fill .2's ports at 64512.
  if grep -qP '^argument\tCOUNT\t' <<<"$rows"; then
    errors=()
    try_accept "$prog" "COUNT 64512 in 10.0.0.1/30" -a 10.0.0.1/30 10.0.0.1 1 64512
    try_refuse "$prog" "COUNT 64513 in 10.0.0.1/30" 2 \
      "64513 connections from source addresses just above 10.0.0.1 need 2 addresses inside 10.0.0.1/30" \
      -a 10.0.0.1/30 10.0.0.1 1 64513
    table_add "COUNT with -a 10.0.0.1/30 (IP 10.0.0.1)" "1" "64512 (every port of 10.0.0.2)" \
      "64513 (exit 2: 10.0.0.3 is the broadcast)" "$prog"
    if [ ${#errors[@]} -eq 0 ]; then
      pass "$name: $prog COUNT: 64512 fills 10.0.0.2's ports and is accepted; 64513 is refused, exit 2"
    else
      fail "$name: $prog COUNT in 10.0.0.1/30" "$(IFS=';'; echo "${errors[*]}")"
    fi
  fi
done

echo "# the edge table (DIR: a scratch directory):"
echo "# | option | least | greatest | refused (exit status) | programs |"
echo "# |---|---|---|---|---|"
for key in "${table_order[@]}"; do
  echo "# $key ${table_programs[$key]} |"
done
finish
