#!/usr/bin/env bash
# Checks that the docs tell the truth about the files they point at:
#
#   docs_links PAGE      every relative link in PAGE (docs/**/*.md, README.md)
#                        names a file that exists, and a page's #anchor a
#                        heading of that page.  Code is linked by file and
#                        name, never by line: a link whose text is code,
#                        [`tcp_input`](../rejectall.cc), `tcp_input()` or
#                        `TcpState::snd_una`, passes only when that file
#                        defines or declares the name (defs_of says what
#                        counts), so moving lines breaks no link and renaming
#                        a function names every page that must follow.  A
#                        #L25 fragment in a link into code fails.
#   docs_links self-test the rule above, run on pages made for it.
#   docs_zh PAGE         every page in docs/ has its Chinese twin in docs/zh/,
#                        and the other way round.
#   docs_output NAME     every block between <!-- output:NAME --> and
#                        <!-- /output --> is docs/output/NAME.txt, as
#                        docs/capture-outputs.sh wrote it (output is captured
#                        from real runs, never typed by hand).
#
# Prints PASS/FAIL lines (see tests/run) and exits 1 if anything failed.
set -u
cd "$(dirname "$0")/../.." || exit 1
# The anchors of Chinese headings drop full-width punctuation, character by
# character: a UTF-8 locale, also where none is set (a fresh container).
export LC_ALL=C.UTF-8

failed=0
fail() { echo "FAIL $*"; failed=1; }

. tests/checks/docs_lib.sh   # normpath

# Prints "line<TAB>text<TAB>target" for each markdown link or image in a page,
# outside fenced code blocks.
links_of()
{
  awk '
    /^[ \t]*```/ { fenced = !fenced; next }
    fenced { next }
    {
      line = $0
      while (match(line, /\[[^]]*\]\([^)[:space:]]+( +"[^"]*")?\)/)) {
        link = substr(line, RSTART, RLENGTH)
        line = substr(line, RSTART + RLENGTH)
        text = link; sub(/\]\(.*$/, "", text); sub(/^\[/, "", text)
        target = link; sub(/^.*\]\(/, "", target); sub(/\)$/, "", target); sub(/ +".*$/, "", target)
        print NR "\t" text "\t" target
      }
    }' "$1"
}

# The anchors GitHub gives a page's headings: lower case, punctuation (ASCII
# and full-width) dropped, spaces to '-'.  Letters of any script are kept.
# shellcheck disable=SC2018,SC2019  # headings' ASCII letters are enough
anchors_of()
{
  awk '/^[ \t]*```/ { fenced = !fenced; next } !fenced && /^#+ / { sub(/^#+ +/, ""); print }' "$1" |
    tr 'A-Z' 'a-z' |
    sed -e 's/[][!"#$%&'"'"'()*+,./:;<=>?@\\^`{|}~]//g' \
        -e 's/[，。：；、（）！？“”《》·]//g' -e 's/ /-/g'
}

# defs_of FILE...: prints "FILE<TAB>NAME" for every name each FILE defines or
# declares, found by the shape of the line (no compiler):
#   C, C++   (.c .cc .cpp .h .hpp)  NAME( at column 0 after a type (a function
#            defined or declared: `void tcp_input(`, `bool ip_check(...);`);
#            struct/class/union/enum NAME and an enum's members; typedef,
#            using NAME =, #define NAME; a variable, constant or member: a
#            type, then NAME, then = ; { [ , or : (`const int kPortsPerAddr =`,
#            `  uint32_t snd_una;`).  Comments do not count.
#   shell    (.sh, or a #!...sh first line)  NAME() or function NAME; NAME=
#   Python   (.py, or #!...python)  def NAME, class NAME, NAME = at column 0
#   make     (Makefile, *.mk)  a rule's NAME:, a variable's NAME =, := ...
# Any other file (.md, .txt, .dot, ...) defines nothing and is not code.
defs_of()
{
  perl -e '
    use strict; use warnings;
    my %kw = map { $_ => 1 } qw(return else case goto delete new throw if while for switch do
                                sizeof catch using namespace typedef template operator
                                public private protected);
    sub kind {
      my ($f) = @_;
      return "c" if $f =~ /\.(c|cc|cpp|cxx|h|hh|hpp)$/;
      return "sh" if $f =~ /\.(sh|bash)$/;
      return "py" if $f =~ /\.py$/;
      return "make" if $f =~ /(^|\/)(GNUmakefile|Makefile|[^\/]*\.mk)$/;
      return "" if $f =~ /\.[^\/]*$/ || !-f $f;
      open(my $in, "<", $f) or return "";
      my $first = <$in> // "";
      return "sh" if $first =~ /^#!.*\b(ba|da|k|z)?sh\b/;
      return "py" if $first =~ /^#!.*python/;
      return "";
    }
    for my $f (@ARGV) {
      my $k = kind($f) or next;
      open(my $in, "<", $f) or next;
      my (%seen, $enum, $comment);
      my $out = sub { my $n = shift; print "$f\t$n\n" unless $seen{$n}++ };
      while (my $l = <$in>) {
        chomp $l;
        if ($k eq "c") {
          if ($comment) { next unless $l =~ s/^.*?\*\///; $comment = 0 }
          $l =~ s/\/\*.*?\*\///g;
          $comment = 1 if $l =~ s/\/\*.*$//;
          $l =~ s/\/\/.*$//;
          $l =~ s/"(?:[^"\\]|\\.)*"/""/g;
          if ($l =~ /^\s*#\s*define\s+(\w+)/) { $out->($1); next }
          if ($enum) {
            if ($l =~ /\}/) { $enum = 0 }
            elsif ($l =~ /^\s*([A-Za-z_]\w*)\s*(=[^,;]*)?,?\s*$/) { $out->($1) }
            next;
          }
          if ($l =~ /^\s*(?:typedef\s+)?(struct|class|union|enum(?:\s+class)?)\s+([A-Za-z_]\w*)/) {
            $out->($2);
            $enum = 1 if $1 =~ /^enum/ && $l !~ /[};]/;
          }
          $enum = 1 if $l =~ /^\s*(?:typedef\s+)?enum\s*\{?\s*$/;
          if ($l =~ /^\s*typedef\b.*\(\s*\*\s*(\w+)\s*\)/ || $l =~ /^\s*typedef\b.*?(\w+)\s*(\[[^\]]*\])?\s*;/) { $out->($1); next }
          if ($l =~ /^\s*using\s+(\w+)\s*=/) { $out->($1); next }
          # A function: at column 0, a type, then NAME( (Type::name( too).
          if ($l =~ /^((?:[A-Za-z_][\w:]*(?:<[^()=;]*>)?[\s*&]+)+)(~?[A-Za-z_][\w:]*)\s*\(/) {
            my ($type, $name) = ($1, $2);
            my ($w) = $type =~ /^(\w+)/;
            unless ($kw{$w} || $kw{$name}) {
              $out->($name);
              (my $short = $name) =~ s/^.*:://;
              $out->($short);
            }
          }
          # A variable, constant or member, at any indentation.
          if ($l =~ /^\s*(?:(?:static|const|constexpr|extern|inline|unsigned|signed|volatile|thread_local|struct|enum|mutable)\s+)*([A-Za-z_][\w:]*(?:<[^;=()]*>)?)(?:\s*[*&]\s*|\s+)(?:const\s+)?([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*(?:=(?!=)|;|\{|,|\[|:(?!:))/) {
            my ($type, $name) = ($1, $2);
            (my $w = $type) =~ s/[<:].*//;
            $out->($name) unless $kw{$w} || $kw{$name};
          }
        } elsif ($k eq "sh") {
          next if $l =~ /^\s*#/;
          $out->($1) if $l =~ /^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)/;
          $out->($1) if $l =~ /^\s*function\s+([A-Za-z_][\w-]*)/;
          while ($l =~ /(?:^|[\s;&|(])(?:local\s+|export\s+|readonly\s+|declare\s+(?:-\w+\s+)*)?([A-Za-z_]\w*)(?:\[[^\]]*\])?\+?=/g) { $out->($1) }
        } elsif ($k eq "py") {
          $out->($1) if $l =~ /^\s*(?:async\s+)?def\s+([A-Za-z_]\w*)/;
          $out->($1) if $l =~ /^\s*class\s+([A-Za-z_]\w*)/;
          $out->($1) if $l =~ /^([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)/;
        } elsif ($k eq "make") {
          next if $l =~ /^\t/ || $l =~ /^\s*#/ || $l =~ /^\s*-?(include|ifn?eq|ifn?def|else|endif|define|endef|vpath)\b/;
          if ($l =~ /^\s*(?:override\s+|export\s+)?([A-Za-z_][\w.-]*)\s*(?:\?|:|::|\+|!)?=/) { $out->($1); next }
          if ($l =~ /^([^:=#\s][^:=#]*?)\s*::?(?!=)/) {
            for my $t (split " ", $1) { $out->($t) unless $t =~ /[%\$]/ }
          }
        }
      }
    }' -- "$@"
}

# is_code FILE: true when FILE is one defs_of reads (source, script, Makefile).
is_code()
{
  case ${1##*/} in
    *.c|*.cc|*.cpp|*.cxx|*.h|*.hh|*.hpp|*.sh|*.bash|*.py|Makefile|GNUmakefile|*.mk) return 0 ;;
    *.*) return 1 ;;
  esac
  [ -f "$1" ] && head -n 1 "$1" | grep -qE '^#!.*(\b(ba|da|k|z)?sh\b|python)'
}

# defines FILE NAME: FILE defines or declares NAME (Type::member: FILE has
# Type::member, or both Type and member).  Each file is read once.
declare -A defined=() read_defs=()
defines()
{
  local file=$1 name=$2 f n
  if [ -z "${read_defs[$file]:-}" ]; then
    read_defs[$file]=1
    while IFS=$'\t' read -r f n; do defined["$f"$'\t'"$n"]=1; done < <(defs_of "$file")
  fi
  [ -n "${defined["$file"$'\t'"$name"]:-}" ] && return 0
  [[ $name == *::* ]] || return 1
  [ -n "${defined["$file"$'\t'"${name%%::*}"]:-}" ] && [ -n "${defined["$file"$'\t'"${name##*::}"]:-}" ]
}

# defined_elsewhere NAME: the repository's files that define NAME, one a line
# (the index of every file's names is made once, at the first call).
elsewhere_index=
defined_elsewhere()
{
  if [ -z "$elsewhere_index" ]; then
    local files=()
    if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
      mapfile -t files < <(git ls-files)
    else
      mapfile -t files < <(find . -type f -not -path './.git/*' -not -path './build/*' | sed 's,^\./,,')
    fi
    elsewhere_index=$(defs_of "${files[@]}")
    [ -n "$elsewhere_index" ] || elsewhere_index=$'\t'
  fi
  awk -F'\t' -v n="$1" '$2 == n { print $1 }' <<< "$elsewhere_index" | sort -u
}

# enclosing FILE LINE: the function (C, C++, shell, Python) that LINE of FILE
# is in, or nothing: what a line link should have named.
enclosing()
{
  perl -ne '
    BEGIN { ($want) = splice(@ARGV, 0, 1) }
    if (/^(?:[A-Za-z_][\w:]*(?:<[^()=;]*>)?[\s*&]+)+(~?[A-Za-z_][\w:]*)\s*\((?!.*;\s*$)/ && $1 !~ /^(if|while|for|switch|return|sizeof)$/
        || /^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)/ || /^\s*(?:async\s+)?def\s+(\w+)/) { $name = $1 }
    if ($. == $want) { print $name // ""; exit }
    undef $name if /^\}/;
  ' "$2" "$1"
}

# check_link PAGE LINE TEXT TARGET FILE: the code rule for one link into FILE.
# Prints one FAIL line and returns 1 when the link is wrong.
check_link()
{
  local page=$1 at=$2 text=$3 target=$4 file=$5 frag='' code name where
  [[ $target == *'#'* ]] && frag=${target#*#}
  if [[ $frag =~ ^L([0-9]+)(-L[0-9]+)?$ ]]; then
    local fn link=${target%%#*}
    fn=$(is_code "$file" && enclosing "$file" "${BASH_REMATCH[1]}")
    if [ -n "$fn" ]; then
      fail "docs_links $page:$at: [$text]($target): #$frag is a line number, which every edit of $file moves: link by name; line ${BASH_REMATCH[1]} is in $fn, so [\`$fn\`]($link), or in words, \"the ... of [\`$fn\`]($link)\""
    else
      fail "docs_links $page:$at: [$text]($target): #$frag is a line number, which every edit of $file moves: link the file, and name what it points at in the text, [\`name\`]($link)"
    fi
    return 1
  fi
  # Only a link whose whole text is one `code span` into code is looked up.
  [[ $text =~ ^\`([^\`]+)\`$ ]] || return 0
  is_code "$file" || return 0
  code=${BASH_REMATCH[1]}
  # `faketcp.cc` or `tests/run` names the file itself.
  [[ $code == "${file##*/}" || $code == "$file" || $code == "${target%%#*}" ]] && return 0
  # `tcp_input`, `tcp_input()`, `htons(55564)`, `TcpState::snd_una`,
  # `bench-throughput` (a rule): a name.  `ihl >= 5` is not one.
  [[ $code =~ ^([A-Za-z_][A-Za-z0-9_-]*(::~?[A-Za-z_][A-Za-z0-9_]*)*)(\(.*\))?$ ]] || return 0
  name=${BASH_REMATCH[1]}
  defines "$file" "$name" && return 0
  where=$(defined_elsewhere "$name" | while IFS= read -r f; do
            printf '%s (%s), ' "$f" "$(realpath -m --relative-to="$(dirname "$page")" "$f")"
          done)
  if [ -n "$where" ]; then
    fail "docs_links $page:$at: [$text]($target): no definition of $name in $file; it is defined in ${where%, }"
  else
    fail "docs_links $page:$at: [$text]($target): no definition of $name in $file, nor anywhere in the repository"
  fi
  return 1
}

check_page()
{
  local page=$1 dir at text target file frag total=0 bad=0
  dir=$(dirname "$page")
  while IFS=$'\t' read -r at text target; do
    case $target in
      http://*|https://*|mailto:*|'#'*) continue ;;
    esac
    total=$((total + 1))
    file=${target%%#*}
    frag=
    [[ $target == *'#'* ]] && frag=${target#*#}
    file=$(normpath "$dir/$file")
    if [ ! -e "$file" ]; then
      fail "docs_links $page:$at: [$text]($target): $file does not exist"
      bad=$((bad + 1))
      continue
    fi
    # page.md#some-heading: a heading of that page must have that anchor.
    if [[ $file == *.md ]]; then
      if [ -n "$frag" ] && ! anchors_of "$file" | grep -qxF -- "$frag"; then
        fail "docs_links $page:$at: [$text]($target): no heading in $file has the anchor #$frag"
        bad=$((bad + 1))
      fi
      continue
    fi
    check_link "$page" "$at" "$text" "$target" "$file" || bad=$((bad + 1))
  done < <(links_of "$page")
  [ "$bad" -eq 0 ] && echo "PASS docs_links $page ($total links)"
}

# The rule, on pages made for it: each case is a page of one link beside a
# small C++ file, and what check_page must print for it.
self_test()
{
  local T out name want got
  T=$(mktemp -d /tmp/faketcp-docs_links.XXXXXX) || return
  mkdir -p "$T/docs"
  cat > "$T/step.cc" <<'EOF'
// tcp_reply is mentioned here, in a comment, and so is not defined.
struct TcpState
{
  uint32_t snd_una;
};
static const int kPorts = 64512;
void tcp_input(int fd, const void* input)
{
  const int payload_len = 0;
  tcp_reply(fd, input);
}
EOF
  cat > "$T/run.sh" <<'EOF'
#!/usr/bin/env bash
start_prog() { :; }
T_DIR=/tmp
EOF
  while IFS='|' read -r name text target want; do
    printf '[%s](%s)\n' "$text" "$target" > "$T/docs/page.md"
    out=$(check_page "$T/docs/page.md")
    if [[ $out == *"$want"* ]]; then
      echo "PASS docs_links self-test: $name"
    else
      fail "docs_links self-test: $name: expected '$want', got:"
      mapfile -t got <<< "$out"
      printf '    | %s\n' "${got[@]}"
    fi
  done <<'EOF'
a function by name|`tcp_input`|../step.cc|PASS docs_links
a function with ()|`tcp_input()`|../step.cc|PASS docs_links
a call with arguments names the function|`tcp_input(fd, buf)`|../step.cc|PASS docs_links
a struct|`TcpState`|../step.cc|PASS docs_links
a member as Type::member|`TcpState::snd_una`|../step.cc|PASS docs_links
a constant|`kPorts`|../step.cc|PASS docs_links
a local variable|`payload_len`|../step.cc|PASS docs_links
prose text is not looked up|the SYN branch|../step.cc|PASS docs_links
an expression is not looked up|`payload_len > 0`|../step.cc|PASS docs_links
a shell function|`start_prog`|../run.sh|PASS docs_links
a shell variable|`T_DIR`|../run.sh|PASS docs_links
a name that is only called|`tcp_reply`|../step.cc|no definition of tcp_reply in
a name only in a comment|`mentioned`|../step.cc|no definition of mentioned in
a missing member|`TcpState::snd_nxt`|../step.cc|no definition of TcpState::snd_nxt in
a name defined in another file says where|`in_checksum`|../step.cc|it is defined in faketcp.cc
a missing shell function|`stop_prog`|../run.sh|no definition of stop_prog in
a line link names the function to link instead|`tcp_input`|../step.cc#L7|line 7 is in tcp_input, so [`tcp_input`](../step.cc)
a line range with prose text|the SYN branch|../step.cc#L9-L10|line 9 is in tcp_input
a line link into no function says to name what it points at|`kPorts`|../step.cc#L6|link the file, and name what it points at
a missing file|`tcp_input`|../nosuch.cc|does not exist
EOF
  rm -rf "$T"
}

pages=(README.md)
while IFS= read -r p; do pages+=("$p"); done < <(find docs -name '*.md' | sort)
for page in "${pages[@]}"; do
  [ -f "$page" ] && check_page "$page"
done
self_test

# Every English page has a Chinese twin and every Chinese page an English one.
# Generated data (captured output, benchmark tables) is not a page.
while IFS= read -r p; do
  rel=${p#docs/}
  case $rel in zh/*) continue ;; esac
  if [ -f "docs/zh/$rel" ]; then echo "PASS docs_zh $p"; else fail "docs_zh $p: no docs/zh/$rel"; fi
done < <(find docs -name '*.md' -not -path 'docs/output/*' -not -path 'docs/bench/*' | sort)
while IFS= read -r p; do
  rel=${p#docs/zh/}
  [ -f "docs/$rel" ] || fail "docs_zh $p: no docs/$rel (every Chinese page has an English twin)"
done < <(find docs/zh -name '*.md' 2> /dev/null | sort)

# Every marked output block is exactly what capture-outputs.sh wrote.
while IFS= read -r page; do
  while IFS= read -r name; do
    file=docs/output/$name.txt
    if [ ! -f "$file" ]; then
      fail "docs_output $page $name: no $file (run docs/capture-outputs.sh)"
      continue
    fi
    shown=$(awk -v want="<!-- output:$name -->" '
      $0 == want { inside = 1; next }
      inside && /^<!-- \/output -->$/ { exit }
      inside' "$page" | sed '1{/^```/d}' | sed '${/^```$/d}')
    if [ "$shown" == "$(cat "$file")" ]; then
      echo "PASS docs_output $page $name"
    else
      fail "docs_output $page $name: the block differs from $file (run docs/capture-outputs.sh)"
    fi
  done < <(sed -n 's/^<!-- output:\([A-Za-z0-9_.-]*\) -->$/\1/p' "$page")
done < <(grep -rl '^<!-- output:' docs --include='*.md' | sort)

exit $failed
