#!/usr/bin/env bash
# Resolve a git merge conflict in the translation catalogs: keep every translation from both
# sides (ours first), then re-sync the catalogs with the code (`make update`) and recompile.
# Usage, during a conflicted merge:  scripts/merge-catalogs.sh && git add locales
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
tmp=$(mktemp -d)
for lang in en hi mr; do
  po=locales/$lang/LC_MESSAGES/messages.po
  # A catalog git merged by itself has no stages: keep its merged text.
  if [ -z "$(git ls-files -u -- "$po")" ]; then continue; fi
  git show ":2:$po" > "$tmp/ours.po"
  git show ":3:$po" > "$tmp/theirs.po"
  msgcat --use-first -o "$po" "$tmp/ours.po" "$tmp/theirs.po"
done
if [ -n "$(git ls-files -u -- locales/messages.pot)" ]; then
  git show ":2:locales/messages.pot" > locales/messages.pot
fi
rm -rf "$tmp"
make update compile >/dev/null
