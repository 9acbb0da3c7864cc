#!/usr/bin/env python3
"""What the bytes allow on the lossy families.

Each lossy case carries its perfect repair as its first acceptable output (make_cases.py: every
character whose bytes survived, U+FFFD for each one that lost a byte); this prints the mean
similarity of that perfect repair to the clean text per family and scale: the ceiling for
score.py's `sim` there.

Usage: scripts/garble/lossy_ceiling.py [CASES.jsonl]   (default .cache/garble-cases.jsonl)
"""
import collections
import difflib
import json
import sys


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else ".cache/garble-cases.jsonl"
    sims = collections.defaultdict(list)
    for line in open(path, encoding="utf-8"):
        case = json.loads(line)
        if case["lossless"] or not case["acceptable"]:
            continue
        sims[f"{case['family']}/{case['scale']}"].append(
            difflib.SequenceMatcher(None, case["acceptable"][0], case["expected"], autojunk=False).ratio())
    for cell, values in sorted(sims.items()):
        print(f"{cell:40s} {sum(values) / len(values):.3f}")


if __name__ == "__main__":
    main()
