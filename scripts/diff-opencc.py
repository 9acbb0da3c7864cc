#!/usr/bin/env python3
"""Differential test: zhtidy's converter against the reference, OpenCC 1.4.2's Python API.

For every config and every corpus file given, converts the file with both and compares the
bytes. Prints one line per (config, file) and exits 1 on any difference, showing the first one.

Usage: scripts/diff-opencc.py ZHTIDY_BINARY FILE...
"""
import subprocess
import sys

import opencc

CONFIGS = "s2t t2s s2tw tw2s s2twp tw2sp s2hk hk2s s2hkp hk2sp t2tw tw2t t2hk hk2t t2jp jp2t".split()


def first_difference(a: str, b: str) -> str:
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"at char {i}: reference {a[max(0, i-20):i+20]!r}\n      zhtidy    {b[max(0, i-20):i+20]!r}"


def main() -> int:
    binary, files = sys.argv[1], sys.argv[2:]
    if opencc.__version__ != "1.4.2" if hasattr(opencc, "__version__") else False:
        print(f"warning: reference is opencc {opencc.__version__}, not 1.4.2")
    failures = 0
    total = 0
    for path in files:
        text = open(path, encoding="utf-8").read()
        for cfg in CONFIGS:
            ref = opencc.OpenCC(cfg).convert(text)
            got = subprocess.run(
                [binary, "--only", "convert", "--to", cfg, "--encoding", "utf-8", path],
                check=True, capture_output=True,
            ).stdout.decode("utf-8")
            total += 1
            same = ref == got
            print(f"{'ok  ' if same else 'DIFF'} {cfg:6} {path} ({len(text.encode())} bytes)")
            if not same:
                failures += 1
                print("     " + first_difference(ref, got))
    print(f"differential: {total - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
