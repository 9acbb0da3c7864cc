#!/usr/bin/env bash
# Fetches a body of real, clean Chinese text for the differential and negative tests: the
# Simplified (zh_CN) and Traditional (zh_TW) manual pages of Debian's `manpages-zh` package
# (about 6 MB each, GPL/FDL documentation; used only as test input, never committed).
# Writes .cache/corpus/zh_CN.txt and .cache/corpus/zh_TW.txt. Needs apt-get and dpkg-deb.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/.cache/corpus"
if [ -s "$dest/zh_CN.txt" ] && [ -s "$dest/zh_TW.txt" ]; then
  echo "corpus already in $dest"
  exit 0
fi
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download manpages-zh >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get download manpages-zh >/dev/null 2>&1
fi
dpkg-deb -x manpages-zh_*.deb x
for lang in zh_CN zh_TW; do
  find "x/usr/share/man/$lang" -name '*.gz' | LC_ALL=C sort | xargs zcat > "$dest/$lang.txt"
done
ls -l "$dest"
