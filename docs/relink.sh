#!/usr/bin/env bash
# docs/relink.sh REV: the code changed since REV, so move every line link in
# docs/ (../faketcp.cc#L373, ../rejectall.cc#L58-L61) to where that line is
# now.  The new number comes from `diff` between the file at REV and the file
# in the working tree; a link whose line itself changed is reported, to be
# checked by hand.  Then run tests/checks/docs_links.sh, which checks that a
# link written [`tcp_input`](../rejectall.cc#L24) lands on a line naming it.
#
#   docs/relink.sh a39db0b        # the commit the docs were last true for
set -eu
cd "$(dirname "$0")/.."
if [ $# -ne 1 ] || ! git rev-parse -q --verify "$1^{commit}" > /dev/null; then
  echo "usage: docs/relink.sh REV   (REV: the commit the line links were right for)" >&2
  exit 2
fi
rev=$1
map=$(mktemp)
trap 'rm -f "$map"' EXIT

# The source files the docs link to by line, relative to the top.
files=$(grep -rhoE '(\.\./)+[A-Za-z0-9_./-]+#L[0-9]+' docs --include='*.md' |
        sed -E 's,^(\.\./)+,,; s,#L.*,,' | sort -u)

# For each file, "file old new" for every line of the old version: new is
# the line's number now, or ~N when diff says it was rewritten (N: where the
# rewritten text is now).
for f in $files; do
  [ -f "$f" ] || continue
  git show "$rev:$f" > "$map.old" 2> /dev/null || continue
  diff -U0 "$map.old" "$f" | awk -v f="$f" -v n="$(wc -l < "$map.old")" '
    /^@@/ {
      split($2, o, ","); split($3, w, ",")
      a = substr(o[1], 2) + 0; b = (o[2] == "" ? 1 : o[2] + 0)
      c = substr(w[1], 2) + 0; d = (w[2] == "" ? 1 : w[2] + 0)
      h++; A[h] = a; B[h] = b; C[h] = c; D[h] = d
    }
    END {
      for (line = 1; line <= n; line++) {
        off = 0; state = ""
        for (i = 1; i <= h; i++) {
          if (B[i] == 0) { if (line > A[i]) off += D[i]; continue }  # lines inserted after A[i]
          if (line < A[i]) break
          if (line < A[i] + B[i]) {  # rewritten: the same place in the new text
            k = line - A[i]; if (k > D[i] - 1) k = D[i] - 1; if (k < 0) k = 0
            state = "~" (C[i] + k); break
          }
          off += D[i] - B[i]
        }
        print f, line, (state == "" ? line + off : state)
      }
    }' >> "$map"
done
rm -f "$map.old"

# Rewrite the links of every page, in place.
for page in $(find docs -name '*.md' | sort); do
  MAP=$map PAGE=$page perl -i -pe '
    BEGIN {
      open(my $m, "<", $ENV{MAP}) or die;
      while (<$m>) { my ($f, $o, $n) = split; $new{"$f:$o"} = $n }
    }
    # The line where $name occurs nearest to $near, in file $f (now).
    sub nearest {
      my ($f, $name, $near) = @_;
      open(my $in, "<", $f) or return undef;
      my ($best, $i) = (undef, 0);
      # As a word: `syn` is not tcp_send_syn.
      my $re = ($name =~ /^\w/ ? "\\b" : "") . quotemeta($name) . ($name =~ /\w$/ ? "\\b" : "");
      $re = qr/$re/;
      while (my $line = <$in>) {
        $i++;
        next unless $line =~ $re;
        $best = $i if !defined $best || abs($i - $near) < abs($best - $near);
      }
      return $best;
    }
    sub moved {
      my ($f, $l, $name, $code) = @_;
      my $n = $new{"$f:$l"};
      return $l unless defined $n;
      if ($n =~ s/^~//) {
        # `htons(55564)`: the whole text first, then the name alone.
        my $at = defined $name ? (nearest($f, $code, $n) // nearest($f, $name, $n)) : undef;
        if (defined $at) {
          print STDERR "$ENV{PAGE}: $f#L$l -> #L$at: rewritten; anchored on $name\n";
          return $at;
        }
        print STDERR "$ENV{PAGE}: $f#L$l -> #L$n: that line was rewritten; check the link by hand\n";
      }
      return $n;
    }
    # [`name`](../file#Lnn) is anchored on name; other links follow the diff.
    s{(\[`(([A-Za-z_][A-Za-z0-9_:.]*)(?:\([^`]*\))?)`\]\()?((?:\.\./)+)([A-Za-z0-9_./-]+)#L(\d+)(?:-L(\d+))?}{
      my ($text, $code, $name, $up, $f, $a, $b) = ($1 // "", $2, $3, $4, $5, $6, $7);
      "$text$up$f#L" . moved($f, $a, $name, $code) . (defined $b ? "-L" . moved($f, $b) : "")
    }ge;
  ' "$page"
done
echo "relinked docs/ against $rev; now run tests/checks/docs_links.sh"
