# tests/checks/docs_lib.sh - what docs_links.sh and docs_lint.sh share
# (sourced, not run: tests/run runs only the executable scripts here).

# Normalises a path: a/b/../c -> a/c, ./a -> a, /tmp/./a -> /tmp/a.
normpath()
{
  local IFS=/ part out=() root=
  [[ $1 == /* ]] && root=/
  for part in $1; do
    case $part in
      ''|.) ;;
      ..) [ ${#out[@]} -gt 0 ] && unset 'out[${#out[@]}-1]' ;;
      *) out+=("$part") ;;
    esac
  done
  local joined
  joined=$(printf '%s/' "${out[@]}")
  echo "$root${joined%/}"
}
