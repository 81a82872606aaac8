#!/usr/bin/env bash
# docs_lint: what a reader of the docs would miss, checked for every page.
#
#   docs_lint headings PAGE   docs/X.md and docs/zh/X.md have the same
#                             headings, level for level, in the same order
#                             (the Chinese page mirrors the English one
#                             section for section).
#   docs_lint reachable PAGE  every page of docs/ and docs/zh/ can be reached
#                             from docs/README.md by following links.
#   docs_lint words PAGE      no "issue" or "target": words that make sense
#                             to the people building the repository, not to
#                             a reader (outside code blocks).
#   docs_lint marked PAGE     every sh/shell/bash block carries a run marker:
#                             tests/checks/docs_run.sh runs it, or the marker
#                             says why it cannot (docs/WRITING.md).
#
# Prints PASS/FAIL lines (see tests/run) and exits 1 if anything failed.
set -u
cd "$(dirname "$0")/../.." || exit 1

failed=0
fail() { echo "FAIL $*"; failed=1; }

# The pages: README.md and docs/**/*.md, but not generated data
# (docs/output/, and docs/bench/results.md, which make bench writes).
pages=(README.md)
while IFS= read -r p; do pages+=("$p"); done < <(find docs -name '*.md' -not -path 'docs/output/*' -not -path 'docs/bench/*' | sort)

# Heading levels, outside fenced blocks: "2", "3", ... one per heading.
levels() {
  awk '/^[ \t]*```/ { fenced = !fenced; next } !fenced && /^#+ / { match($0, /^#+/); print RLENGTH " " NR ": " $0 }' "$1"
}

for page in "${pages[@]}"; do
  case $page in docs/zh/*|README.md) continue ;; esac
  twin=docs/zh/${page#docs/}
  [ -f "$twin" ] || continue    # docs_links.sh reports a missing twin
  en=$(levels "$page") zh=$(levels "$twin")
  if [ "$(cut -d' ' -f1 <<<"$en")" == "$(cut -d' ' -f1 <<<"$zh")" ]; then
    echo "PASS docs_lint headings $page ($(grep -c . <<<"$en") headings in both languages)"
  else
    # The first heading where the two pages part.
    i=$(diff <(cut -d' ' -f1 <<<"$en") <(cut -d' ' -f1 <<<"$zh") | grep -m 1 -oE '^[0-9]+' )
    fail "docs_lint headings $page: $(grep -c . <<<"$en") headings here, $(grep -c . <<<"$zh") in $twin; they part at heading $i: '$(sed -n "${i}p" <<<"$en" | cut -d' ' -f2-)' against '$(sed -n "${i}p" <<<"$zh" | cut -d' ' -f2-)'"
  fi
done

# Reachable: a walk over the links between pages, from docs/README.md.
. tests/checks/docs_lib.sh   # normpath
declare -A seen=([docs/README.md]=1)
queue=(docs/README.md)
while [ ${#queue[@]} -gt 0 ]; do
  page=${queue[0]} queue=("${queue[@]:1}")
  while IFS= read -r target; do
    target=${target%%#*}
    case $target in http*|mailto:*|'') continue ;; esac
    file=$(normpath "$(dirname "$page")/$target")
    [ -d "$file" ] && file=$file/README.md
    [[ $file == *.md && -f $file && -z ${seen[$file]:-} ]] || continue
    seen[$file]=1
    queue+=("$file")
  done < <(awk '/^[ \t]*```/ { fenced = !fenced; next } !fenced' "$page" |
           grep -oE '\]\([^)[:space:]]+' | sed 's/^](//')
done
for page in "${pages[@]}"; do
  [ "$page" = README.md ] && continue
  if [ -n "${seen[$page]:-}" ]; then
    echo "PASS docs_lint reachable $page"
  else
    fail "docs_lint reachable $page: no chain of links leads here from docs/README.md (link it from docs/README.md or a page it links)"
  fi
done

# Words for the builders, not the readers.
for page in "${pages[@]}"; do
  # Inline code (`issue`) is a name, not a word of the text.
  hits=$(awk '/^[ \t]*```/ { fenced = !fenced; next } !fenced { gsub(/`[^`]*`/, ""); print FNR ": " $0 }' "$page" |
         grep -iwE 'issues?|targets?')
  if [ -z "$hits" ]; then
    echo "PASS docs_lint words $page"
  else
    while IFS= read -r hit; do
      fail "docs_lint words $page:${hit%%:*}: 'issue'/'target' mean something only to the builders; say what it is:${hit#*:}"
    done <<<"$hits"
  fi
done

# Shell blocks carry a run marker (docs/WRITING.md).
for page in "${pages[@]}"; do
  bad=$(awk '/^```(sh|shell|bash)$/ && prev !~ /^<!-- run: / { print FNR } { prev = $0 }' "$page")
  if [ -z "$bad" ]; then
    echo "PASS docs_lint marked $page"
  else
    for n in $bad; do
      fail "docs_lint marked $page:$n: a shell block without a <!-- run: STEP --> marker (or run: none skip=\"why\"); see docs/WRITING.md"
    done
  fi
done

exit $failed
