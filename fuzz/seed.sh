#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with the seeds: every *.http file of the
# repository (core/testdata/corpus/ and fuzz/seeds/heads/ among them) for
# every target, plus the seeds kept for one target in fuzz/seeds/<target>/.
# The corpus directories are libFuzzer's working copies (git-ignored);
# running this again only adds files.
set -euo pipefail
cd "$(dirname "$0")"
root=..

targets=$(cargo +nightly fuzz list)
mapfile -t http_files < <(
  find "$root" \( -path "$root/target" -o -path "$root/fuzz/target" -o -path "$root/fuzz/corpus" \
    -o -path "$root/fuzz/artifacts" -o -path "$root/.git" \) -prune -o -name '*.http' -print | sort
)
for target in $targets; do
  mkdir -p "corpus/$target"
  for file in "${http_files[@]}"; do
    cp "$file" "corpus/$target/"
  done
  if [ -d "seeds/$target" ]; then
    cp seeds/"$target"/* "corpus/$target/"
  fi
done
echo "seeded $(echo "$targets" | wc -w) targets with ${#http_files[@]} .http files"
