#!/usr/bin/env bash
# Regenerates data/jieba/words2.txt: the two-character words of jieba's dictionary (jieba 0.42.1,
# MIT licence, see data/jieba/LICENSE) with their frequencies, for the repair stage's plausibility
# model (lost-byte and mojibake candidates are ranked by how common their character pairs are).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pip download --quiet --no-deps --no-binary :all: -d "$work" jieba==0.42.1
tar xzf "$work"/jieba-0.42.1.tar.gz -C "$work"
python3 - "$work/jieba-0.42.1/jieba/dict.txt" "$here/data/jieba/words2.txt" <<'PY'
import sys
src, dest = sys.argv[1], sys.argv[2]
words = {}
for line in open(src, encoding="utf-8"):
    parts = line.split()
    if len(parts) >= 2 and len(parts[0]) == 2 and int(parts[1]) >= 20:
        words[parts[0]] = max(words.get(parts[0], 0), int(parts[1]))
with open(dest, "w", encoding="utf-8") as f:
    f.write("# two-character words of jieba 0.42.1 dict.txt (MIT), frequency >= 20: word<TAB>frequency\n")
    for w in sorted(words):
        f.write(f"{w}\t{words[w]}\n")
print(f"{len(words)} words written to {dest}")
PY
