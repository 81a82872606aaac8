#!/usr/bin/env bash
# docs_mermaid: every ```mermaid block of README.md, docs/ and docs/zh/ goes
# through Mermaid's own renderer, mmdc (npm's @mermaid-js/mermaid-cli, with
# Debian's chromium: scripts/install-deps --docs), as GitHub would draw
# it.  A block that does not render fails with its page, line and mmdc's
# reason.  Without mmdc or chromium: SKIP, with the command that installs them.
set -u
cd "$(dirname "$0")/../.." || exit 1

skip() { echo "SKIP docs_mermaid: $1 (scripts/install-deps --docs)"; exit 0; }
command -v mmdc >/dev/null || skip "mmdc (Mermaid's renderer) is not installed"
browser=$(command -v chromium || command -v chromium-browser) || skip "chromium is not installed"

work=$(mktemp -d /tmp/faketcp-mermaid.XXXXXX)
trap 'rm -rf "$work"' EXIT
# mmdc drives the browser through puppeteer; the browser is Debian's (npm's
# own download is skipped), and root may run it only without its sandbox.
sandbox=
[ "$(id -u)" = 0 ] && sandbox=', "args": ["--no-sandbox"]'
echo "{\"executablePath\": \"$browser\"$sandbox}" >"$work/puppeteer.json"

failed=0
render() { timeout 60 mmdc -q -p "$work/puppeteer.json" -i "$1" -o "$2" >"$work/mmdc.out" 2>&1; }

pages=()
while IFS= read -r page; do pages+=("$page"); done < <(grep -l '^```mermaid$' README.md docs/*.md docs/zh/*.md 2>/dev/null)

# One mmdc (one browser start) renders every block of every page at once;
# only when that fails, each block alone, to name the one at fault.
for page in "${pages[@]}"; do
  awk '/^```mermaid$/ { inside = 1 } inside { print } inside && /^```$/ { inside = 0; print "" }' "$page"
done >"$work/all.md"
if render "$work/all.md" "$work/all.out.md"; then
  for page in "${pages[@]}"; do
    echo "PASS docs_mermaid $page ($(grep -c '^```mermaid$' "$page") diagrams)"
  done
  exit 0
fi
for page in "${pages[@]}"; do
  bad=0
  while IFS= read -r line; do
    awk -v first=$((line + 1)) 'NR >= first { if ($0 ~ /^```/) exit; print }' "$page" >"$work/block.mmd"
    render "$work/block.mmd" "$work/block.svg" && continue
    bad=1
    # "Parse error on line N" counts from the block's first line.
    at=$line
    n=$(grep -o -m 1 'error on line [0-9]*' "$work/mmdc.out" | grep -o '[0-9]*$')
    [ -n "$n" ] && at=$((line + n))
    why=$(grep -m 1 -A 2 'Error' "$work/mmdc.out" | tr '\n' ' ' | sed -e 's/  */ /g' -e 's/ Expecting .*//' | cut -c 1-200)
    echo "FAIL docs_mermaid $page:$at: does not render: ${why:-$(tail -n 1 "$work/mmdc.out")}"
    echo "    $(sed -n "${at}p" "$page")"
  done < <(grep -n '^```mermaid$' "$page" | cut -d: -f1)
  [ "$bad" -eq 0 ] && echo "PASS docs_mermaid $page"
  [ "$bad" -eq 0 ] || failed=1
done

exit $failed
