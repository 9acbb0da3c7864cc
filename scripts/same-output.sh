#!/usr/bin/env bash
# Runs a zhtidy binary over a fixed set of inputs and option sets and writes every output,
# message and exit code to OUTDIR, so that two builds can be compared with `diff -r` (for
# changes that must not change behaviour, such as moving code between modules).
#
# Inputs: samples/, ../shared/seeds, the first 40 pages and 20 texts of ../shared/extraction-dev
# (when present); each with 9 option sets; plus JSON Lines, --help, a bad option and a folder run.
#
# Usage: scripts/same-output.sh BIN OUTDIR
#   scripts/same-output.sh /tmp/old/zhtidy /tmp/out-old
#   scripts/same-output.sh target/release/zhtidy /tmp/out-new
#   diff -r /tmp/out-old /tmp/out-new && echo IDENTICAL
set -uo pipefail
bin=$(realpath "$1"); out=$(realpath -m "$2")
rm -rf "$out"; mkdir -p "$out"
cd "$(dirname "$0")/.."
shared=../shared
files=$(find samples "$shared/seeds" -type f 2>/dev/null | sort
        ls "$shared"/extraction-dev/html/* 2>/dev/null | head -40
        ls "$shared"/extraction-dev/text/* 2>/dev/null | head -20)
n=0
for f in $files; do
  n=$((n + 1))
  for opts in "" "--to tw" "--to cn --report" "--html --report" "--only repair --report" \
              "--keep-page" "--to twp -j 2" "--no-reflow" "--check"; do
    key=$(echo "$f $opts" | md5sum | cut -c1-12)
    # shellcheck disable=SC2086
    { "$bin" $opts "$f" 2>"$out/$key.err"; echo "rc=$?"; } > "$out/$key.out"
  done
done
for f in samples/cases/*.jsonl; do
  [ -f "$f" ] || continue
  { "$bin" --jsonl --report < "$f" 2>&1; echo "rc=$?"; } > "$out/jsonl.$(basename "$f").out"
done
"$bin" --help > "$out/help.out" 2>&1
{ "$bin" --nonsense 2>&1; echo "rc=$?"; } > "$out/bad.out"
# A fixed place: messages name the files, and must be the same in both runs.
tree=/tmp/zhtidy-same-output
rm -rf "$tree"; mkdir -p "$tree"
cp -r samples "$tree/in"
{ "$bin" --to tw "$tree/in" --out-dir "$tree/out" 2>&1; echo "rc=$?"
  (cd "$tree/out" && find . -type f | sort | xargs md5sum); } > "$out/tree.out"
rm -rf "$tree"
echo "$n files"
