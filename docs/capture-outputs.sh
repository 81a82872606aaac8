#!/usr/bin/env bash
# docs/capture-outputs.sh [STEP...]: run each step of the tutorial in a private
# network namespace, drive it with the article's client commands, and keep
# what everyone printed, so that the pages in docs/ show real output.
#
#   docs/output/<step>.program.txt   the step's own stdout
#   docs/output/<step>.tcpdump.txt   tcpdump -n -i tun0, running beside it
#   docs/output/<step>.client.txt    each client command ($ ...) and what it printed
#   docs/output/<step>.ss.txt        ss -tn at the moments the page talks about
#   docs/captures/<step>.pcap        every packet the step read and wrote (--pcap),
#                                    for Wireshark
#
# Then every block between <!-- output:NAME --> and <!-- /output --> in
# docs/*.md and docs/zh/*.md is replaced by the file docs/output/NAME.txt,
# so after a change to the code one command makes the pages true again:
#
#   make && make tools && sudo docs/capture-outputs.sh
#
# Needs root (or a user namespace: scripts/netns picks unshare -n or -rn),
# tcpdump, nc (netcat-openbsd), ping and ss.  Nothing touches the host's
# network: each step gets a namespace of its own that vanishes with it, and
# each is bounded by `timeout`.  The timestamps, ports and sequence numbers
# differ from run to run; the pages say what to look at, not which number.
set -eu
cd "$(dirname "$0")/.."
BIN=${FAKETCP_BIN:-.}
OUT=docs/output
CAP=docs/captures
read -r -a STEPS <<< "$(scripts/steps)"

# ------------------------------------------------------------ inside a namespace

# Starts the step (with --pcap; its stdin is fd $STDIN if set) and tcpdump
# (with $TCPDUMP_OPTS too, if set), and waits until both are ready.  Sets PROG
# and TCPDUMP; "stop" ends them.
start()
{
  local step=$1; shift
  "$BIN/$step" --pcap "$CAP/$step.pcap" "$@" < "/dev/fd/${STDIN:-0}" > "$OUT/$step.program.txt" 2>&1 &
  PROG=$!
  # "allocated tunnel interface tun0" is printed once tun0 is up with its address.
  for _ in $(seq 50); do grep -q '^allocated' "$OUT/$step.program.txt" && break; sleep 0.1; done
  grep -q '^allocated' "$OUT/$step.program.txt" || { echo "capture: $step did not create tun0" >&2; exit 1; }
  # -l: a line at a time, as on a terminal.  The page shows `tcpdump -n -i tun0`.
  # stdin from /dev/null: given connectmany's fifo, tcpdump captured nothing.
  tcpdump -n -l ${TCPDUMP_OPTS:-} -i tun0 < /dev/null > "$OUT/$step.tcpdump.txt" 2> "$WORK/tcpdump.err" &
  TCPDUMP=$!
  for _ in $(seq 50); do grep -q listening "$WORK/tcpdump.err" && break; sleep 0.1; done
}

stop()
{
  sleep 0.5                       # let the last packets reach tcpdump
  kill -INT "$TCPDUMP" 2> /dev/null || true
  wait "$TCPDUMP" 2> /dev/null || true
  kill "$PROG" 2> /dev/null || true
  wait "$PROG" 2> /dev/null || true
}

# Runs a client command, writing "$ command" and what it printed to the
# client file (the page shows the command as a student would type it).
client()
{
  local file=$1 shown=$2; shift 2
  echo "\$ $shown" >> "$file"
  "$@" >> "$file" 2>&1 || true
}

# ss -tn (or ss with the options given after the file).
snapshot_ss()
{
  local file=$1 opts=${2:--tn}
  echo "\$ ss $opts" >> "$file"
  ss $opts >> "$file"
}

# The lines of the block marked <!-- run: ... output=NAME --> in docs/*.md:
# the commands the page shows (and tests/checks/docs_run.sh runs) are the
# ones captured, so they are written once.
page_block()
{
  awk -v want="output=$1" '
    index($0, "<!-- run: ") == 1 && index($0, want " ") { found = 1; getline; next }
    found && /^```/ { exit }
    found && !/^[ \t]*(#|$)/ { print }' docs/*.md
}

# Runs each client command of the page (bounded: nothing answers forever).
capture_page_commands()
{
  local step=$1 c=$OUT/$1.client.txt cmd shown
  start "$step"
  while IFS= read -r cmd; do
    shown=$(echo "$cmd" | sed 's/[[:space:]]\{1,\}#.*$//')
    client "$c" "$shown" timeout 10 bash -c "$cmd"
  done < <(page_block "$step.client")
  [ "$step" = rejectall ] && snapshot_ss "$OUT/rejectall.ss.txt"
  stop
}

# Steps 3 and 4 are driven alike: connect, type two lines a second apart,
# look at ss -tn after each, then press Ctrl-C in nc.
capture_typing()
{
  local step=$1 c=$OUT/$1.client.txt s=$OUT/$1.ss.txt
  start "$step"
  mkfifo "$WORK/keys"
  nc 192.168.0.2 2000 < "$WORK/keys" >> "$c" 2>&1 &
  local nc=$!
  exec 3> "$WORK/keys"
  echo "\$ nc 192.168.0.2 2000" >> "$c"
  sleep 0.5
  echo hello >&3; echo "hello" >> "$c"
  sleep 1
  snapshot_ss "$s"
  echo world >&3; echo "world" >> "$c"
  sleep 1
  snapshot_ss "$s"
  # Ctrl-C.  (SIGTERM here: a background job of a script ignores SIGINT.)
  # nc dies, its socket is closed, and the kernel sends FIN.
  kill "$nc"; echo "^C" >> "$c"
  wait "$nc" 2> /dev/null || true
  exec 3>&-
  sleep 0.5
  snapshot_ss "$s"
  stop
}

capture_connectmany()
{
  local c=$OUT/connectmany.client.txt s=$OUT/connectmany.ss.txt
  # The server of the article's window 3, holding every connection it accepts.
  "$BIN/tests/bin/holdserver" -w 1 2007 > "$WORK/holdserver.txt" 2>&1 &
  SERVER=$!
  for _ in $(seq 50); do ss -Htln '( sport = :2007 )' | grep -q . && break; sleep 0.1; done
  # connectmany waits for Enter ("press enter key to start connecting"):
  # its stdin is a fifo, and Enter is pressed once tcpdump listens.
  mkfifo "$WORK/enter"
  exec 4<> "$WORK/enter"
  STDIN=4 start connectmany 192.168.0.1 2007 5
  echo >&4
  sleep 2
  snapshot_ss "$s"
  echo "\$ ss -Htn state established '( sport = :2007 )' | wc -l" > "$c"
  ss -Htn state established '( sport = :2007 )' | wc -l >> "$c"
  stop
  exec 4>&-
}

# The article's own numbers, 1000 connections, as docs/connectmany.md runs
# them in one shell: its block runs as docs_run.sh runs it ("$ line" and
# what it printed), in a PID namespace so that holdserver ends with it.
capture_connectmany_1000()
{
  local d=$WORK/block
  mkdir -p "$d"
  echo none > "$d/step"; : > "$d/args"; : > "$d/before"; echo . > "$d/ready"; echo 0 > "$d/status"
  page_block connectmany.1000 > "$d/block"
  unshare -p -f --kill-child bash tests/checks/docs_run.sh --block "$d" || echo "capture: the block of connectmany.1000 failed: $(cat "$d/error" 2>/dev/null)" >&2
  cp "$d/out" "$OUT/connectmany.1000.txt"
}

# Step 6, the repository's own: type two lines into nc and see them come
# back, look at ss -tn, then end the input (nc -N sends FIN on EOF, as
# Ctrl-D would) and look again once echoall has closed its side too.
# tcpdump -S prints absolute sequence numbers: the page reads the echo as a
# mirror of the client's seq and ack across a fixed offset.
capture_echoall()
{
  local c=$OUT/echoall.client.txt s=$OUT/echoall.ss.txt
  TCPDUMP_OPTS=-S start echoall
  mkfifo "$WORK/keys"
  nc -N 192.168.0.2 2007 < "$WORK/keys" >> "$c" 2>&1 &
  local nc=$!
  exec 3> "$WORK/keys"
  echo "\$ nc -N 192.168.0.2 2007" >> "$c"
  sleep 0.5
  echo hello >&3; echo "hello" >> "$c"
  sleep 1
  echo world >&3; echo "world" >> "$c"
  sleep 1
  snapshot_ss "$s"
  # Ctrl-D: the end of the input.  nc shuts down its sending side (FIN),
  # echoall answers with its own FIN, and nc exits.
  exec 3>&-; echo "^D" >> "$c"
  for _ in $(seq 30); do kill -0 "$nc" 2> /dev/null || break; sleep 0.1; done
  kill "$nc" 2> /dev/null || true
  wait "$nc" 2> /dev/null || true
  # -a: ss -tn leaves out TIME-WAIT, the state the client's socket is in now.
  snapshot_ss "$s" -tan
  stop
}

# docs/faster.md: the same 1 MiB to discardall as the article has it, and to
# discardall_fast with --mss 1460 --window 256K, with that and --ack-burst, with --mtu 9000
# --window 512K, and with -K (16 MiB from tests/bin/tcpsend, whose 1 MiB
# writes let the kernel build 64 KB segments).  Each file keeps tcpdump's
# first six lines (the handshake and the first segments) and, after a
# "...", six from the middle of the transfer, where the sender is at speed
# (--ack-burst: eleven, the nine before an ACK of ours, the ACK, one after).
# FASTER_CAPTURES="burst" captures only the ones named.
capture_faster()
{
  local name args client before after prog docs=$OUT
  # start writes discardall.*.txt and discardall.pcap: here, not over the
  # files of docs/discardall.md.
  local OUT=$WORK CAP=$WORK TCPDUMP_OPTS
  for name in ${FASTER_CAPTURES:-536 1460 burst 9000 64k}; do
    before=3 after=2 TCPDUMP_OPTS=
    case $name in
      536)  args=(); client="head -c 1M /dev/zero | nc -N 192.168.0.2 9" ;;
      1460) args=(--mss 1460 --window 256K); client="head -c 1M /dev/zero | nc -N 192.168.0.2 9" ;;
      # -B 32768: a buffer that holds a whole burst, so tcpdump drops none.
      burst) args=(--mss 1460 --window 256K --ack-burst); before=9 after=1 TCPDUMP_OPTS="-B 32768"
             client="head -c 1M /dev/zero | nc -N 192.168.0.2 9" ;;
      9000) args=(--mtu 9000 --window 512K); client="head -c 1M /dev/zero | nc -N 192.168.0.2 9" ;;
      64k)  args=(-K); client="$BIN/tests/bin/tcpsend 192.168.0.2 9 16777216 1" ;;
    esac
    prog=discardall_fast
    [ "$name" = 536 ] && prog=discardall   # the article's, as the page's first block runs it
    start "$prog" "${args[@]}"
    timeout 30 bash -c "$client" > /dev/null 2>&1 || echo "capture: $client failed" >&2
    stop
    # From the middle: the first ACK of ours after the half-way line, with
    # the lines before it and the two after (one after, when nine before).
    awk -v before="$before" -v after="$after" '
         NR <= 6 { print; next } NR == 7 { print "..." } { line[NR] = $0 }
         END { for (a = int(NR / 2); a < NR && line[a] !~ / IP 192\.168\.0\.2\./; a++) {}
               for (i = a - before; i <= a + after && i <= NR; i++) if (i > 7) print line[i] }' \
      "$WORK/$prog.tcpdump.txt" > "$docs/faster.$name.txt"
  done
}

inside()
{
  local step=$1
  WORK=$(mktemp -d)
  PROG='' TCPDUMP='' SERVER=''
  # Whatever happens, end what this function started, by pid.
  trap 'for p in $TCPDUMP $PROG $SERVER; do kill $p 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
  rm -f "$OUT/$step".{program,tcpdump,client,ss}.txt "$OUT/${step/-/.}.txt"
  case $step in
    icmpecho|rejectall) capture_page_commands "$step" ;;
    acceptall|discardall) capture_typing "$step" ;;
    connectmany-1000) capture_connectmany_1000 ;;
    faster) capture_faster ;;
    *) "capture_$step" ;;
  esac
  # tcpdump ends with an empty line when interrupted; a block does not need it.
  for f in "$OUT/$step".{program,tcpdump,client,ss}.txt "$OUT/${step/-/.}.txt"; do
    [ -f "$f" ] && awk '{ line[NR] = $0 } END { n = NR; while (n > 0 && line[n] == "") n--; for (i = 1; i <= n; i++) print line[i] }' "$f" > "$WORK/trim" && cat "$WORK/trim" > "$f"
  done
  return 0
}

if [ "${1:-}" = --inside ]; then
  inside "$2"
  exit 0
fi

# ------------------------------------------------------------ outside

for tool in tcpdump nc ping ss; do
  command -v $tool > /dev/null || { echo "capture: $tool is missing (scripts/install-deps)" >&2; exit 1; }
done
for p in "${STEPS[@]}" tests/bin/holdserver tests/bin/tcpsend; do
  [ -x "$BIN/$p" ] || { echo "capture: $BIN/$p is missing: run 'make && make tools' first" >&2; exit 1; }
done
mkdir -p "$OUT" "$CAP"

if [ $# -gt 0 ]; then steps=("$@"); else steps=("${STEPS[@]}" connectmany-1000 faster); fi
for step in "${steps[@]}"; do
  echo "capturing $step"
  timeout -k 5 60 scripts/netns "$0" --inside "$step"
done

# Refresh the pages: each marked block becomes ```text + the file + ```.
refresh()
{
  local page=$1 tmp
  tmp=$(mktemp)
  awk -v dir="$OUT" '
    /^<!-- output:[A-Za-z0-9_.-]+ -->$/ {
      print
      name = $0; sub(/^<!-- output:/, "", name); sub(/ -->$/, "", name)
      file = dir "/" name ".txt"
      if ((getline line < file) < 0) { print "capture: " FILENAME ": no " file > "/dev/stderr"; bad = 1 }
      else { print "```text"; print line; while ((getline line < file) > 0) print line; print "```" }
      close(file)
      skipping = 1
      next
    }
    /^<!-- \/output -->$/ { skipping = 0 }
    !skipping { print }
    END { exit bad }
  ' "$page" > "$tmp" && cat "$tmp" > "$page"
  rm -f "$tmp"
}
for page in docs/*.md docs/zh/*.md; do
  [ -f "$page" ] && grep -q '^<!-- output:' "$page" && refresh "$page"
done
echo "wrote $OUT/*.txt and $CAP/*.pcap; refreshed the output blocks in docs/"
