#!/usr/bin/env bash
# Runs examples/spark_jsonl.py on a small JSON Lines corpus in PySpark local mode and checks that
# every record came back, cleaned. Usage: scripts/check-spark.sh PYTHON ZHTIDY_BINARY
set -euo pipefail
python=$1
zhtidy=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" - "$work/in.jsonl" <<'PY'
import json, sys
lines = open("samples/convert/news-simplified.txt", encoding="utf-8").read().split("\n")
lines += open("samples/repair/001-garbled-traditional.txt", encoding="utf-8").read().split("\n")
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i, l in enumerate(lines * 2):
        f.write(json.dumps({"id": i, "text": l, "meta": {"n": i}}, ensure_ascii=False) + "\n")
PY
"$python" examples/spark_jsonl.py "$work/in.jsonl" "$work/out" --zhtidy "$zhtidy" --to tw 2>"$work/spark.log" || { tail -20 "$work/spark.log"; exit 1; }
in=$(wc -l < "$work/in.jsonl")
out=$(cat "$work"/out/part-* | wc -l)
echo "spark: $in records in, $out out"
[ "$in" = "$out" ]
# The other bytes of each line are kept as they came (json.dumps writes `"text": "..."`).
grep -qE '"text": ?" 時時放心不下的牽掛"' "$work"/out/part-*
if grep -q '(yè)' "$work"/out/part-*; then
  echo "spark: pinyin annotations were not repaired"
  exit 1
fi
echo "spark: records converted and repaired"
