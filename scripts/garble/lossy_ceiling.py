#!/usr/bin/env python3
"""What the bytes allow on the lossy UTF-8 families (lines and paragraphs).

Replays Python's decoder on each case's clean text, marks every character that lost a byte
to a replacement, and prints the mean similarity of that ideal output to the clean text: the
ceiling for score.py's `sim` on these families.

Usage: scripts/garble/lossy_ceiling.py [CASES.jsonl]   (default .cache/garble-cases.jsonl)
"""
import codecs
import collections
import difflib
import json
import sys

FAMILIES = {"utf8_as_gbk_replaced": "gbk", "utf8_as_big5_replaced": "big5"}


def lost_bytes(data, encoding):
    """Offsets of the bytes that `encoding` with errors='replace' replaces."""
    lost = []

    def record(err):
        lost.extend(range(err.start, err.end))
        return ("\ufffd", err.end)

    codecs.register_error("zhtidy-record", record)
    data.decode(encoding, errors="zhtidy-record")
    return set(lost)


def ideal(clean, encoding):
    lost = lost_bytes(clean.encode("utf-8"), encoding)
    out, at = [], 0
    for ch in clean:
        n = len(ch.encode("utf-8"))
        out.append("\ufffd" if any(j in lost for j in range(at, at + n)) else ch)
        at += n
    return "".join(out)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else ".cache/garble-cases.jsonl"
    sims = collections.defaultdict(list)
    for line in open(path, encoding="utf-8"):
        case = json.loads(line)
        encoding = FAMILIES.get(case["family"])
        if encoding is None or case["scale"] == "span":
            continue
        clean = case["expected"]
        sims[f"{case['family']}/{case['scale']}"].append(
            difflib.SequenceMatcher(None, ideal(clean, encoding), clean).ratio())
    for cell, values in sorted(sims.items()):
        print(f"{cell:40s} {sum(values) / len(values):.3f}")


if __name__ == "__main__":
    main()
