#!/usr/bin/env bash
# Checks that the docs tell the truth about the files they point at:
#
#   docs_links PAGE      every relative link in PAGE (docs/**/*.md, README.md)
#                        names a file that exists; a #L25 or #L25-L30 link
#                        stays inside the file; and a link whose text is code,
#                        [`tcp_input`](../rejectall.cc#L24), lands on a line
#                        that names it, so the links follow the code: a name
#                        up to 10 lines away is drift after an edit of the
#                        code, said and not failed (docs/relink.sh fixes it).
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

# Prints "text<TAB>target" for each markdown link or image in a page, outside
# fenced code blocks.
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
        print text "\t" target
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

check_page()
{
  local page=$1 dir text target file frag n total=0 bad=0
  dir=$(dirname "$page")
  while IFS=$'\t' read -r text target; do
    case $target in
      http://*|https://*|mailto:*|'#'*) continue ;;
    esac
    total=$((total + 1))
    file=${target%%#*}
    frag=
    [[ $target == *'#'* ]] && frag=${target#*#}
    file=$(normpath "$dir/$file")
    if [ ! -e "$file" ]; then
      fail "docs_links $page -> $target: $file does not exist"
      bad=$((bad + 1))
      continue
    fi
    # page.md#some-heading: a heading of that page must have that anchor.
    if [[ $file == *.md && -n $frag ]]; then
      if ! anchors_of "$file" | grep -qxF -- "$frag"; then
        fail "docs_links $page -> $target: no heading in $file has the anchor #$frag"
        bad=$((bad + 1))
      fi
      continue
    fi
    [[ $frag =~ ^L([0-9]+)(-L([0-9]+))?$ ]] || continue
    local first=${BASH_REMATCH[1]} last=${BASH_REMATCH[3]:-${BASH_REMATCH[1]}}
    n=$(wc -l < "$file")
    if [ "$first" -lt 1 ] || [ "$last" -gt "$n" ] || [ "$last" -lt "$first" ]; then
      fail "docs_links $page -> $target: $file has $n lines"
      bad=$((bad + 1))
      continue
    fi
    # [`name`](file#Lnn): the line(s) must mention name as a word.
    # `tcp_input()` and `htons(55564)` are looked up as tcp_input and htons.
    # After a change to the code, docs/relink.sh moves the links.
    if [[ $text =~ ^\`([^\`]+)\`$ ]]; then
      local name=${BASH_REMATCH[1]}
      name=${name%%(*}
      # Only names are looked up (`ihl >= 5` or `123456` are not).
      [[ $name =~ ^[A-Za-z_][A-Za-z0-9_:.]*$ ]] || continue
      if ! sed -n "${first},${last}p" "$file" | grep -qwF -- "$name"; then
        # Within kDrift lines of the link, the name is drift after an edit of
        # the code, not a wrong link: the reader still lands in sight of it.
        # Said, not failed; docs/relink.sh moves the link.  Farther, or gone,
        # the link is wrong.
        local near
        near=$(grep -nwF -- "$name" "$file" | cut -d: -f1 |
               awk -v f="$first" -v d="$drift" '{ x = $1 - f; if (x < 0) x = -x } x <= d && (best == "" || x < bx) { best = $1; bx = x } END { print best }')
        if [ -n "$near" ]; then
          drifted+=("$page -> $target: $name is at line $near now")
        else
          fail "docs_links $page -> $target: line $first of $file does not mention $name, nor do the $drift lines around it (the code moved? docs/relink.sh REV moves the links)"
          bad=$((bad + 1))
        fi
      fi
    fi
  done < <(links_of "$page")
  [ "$bad" -eq 0 ] && echo "PASS docs_links $page ($total links)"
}

drift=10        # lines a name may have moved before its link counts as wrong
drifted=()
pages=(README.md)
while IFS= read -r p; do pages+=("$p"); done < <(find docs -name '*.md' | sort)
for page in "${pages[@]}"; do
  [ -f "$page" ] && check_page "$page"
done
if [ ${#drifted[@]} -gt 0 ]; then
  echo "    ${#drifted[@]} line links are a few lines off since the code changed (run docs/relink.sh with the last commit they were right for):"
  printf '      %s\n' "${drifted[@]}"
fi

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
