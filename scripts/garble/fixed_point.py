#!/usr/bin/env python3
"""Checks that one pass is enough: every benchmark case's output, cleaned again, is unchanged.

Runs `CMD --jsonl` over the cases' inputs, then over those outputs, for each option set, and
prints the cases whose second pass changed something, by family and scale.

Usage: scripts/garble/fixed_point.py CASES.jsonl [--cmd target/release/zhtidy]
                                     [--options '' '--to tw' ...] [--show N] [--most N]
Exits 1 when more than --most cases (default 0) change on a second pass, all option sets
together: .ci/run passes the count the current build leaves, so it can only go down.
"""
import argparse
import collections
import json
import shlex
import subprocess
import sys


def run(cmd, options, texts):
    records = "".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts))
    done = subprocess.run(shlex.split(cmd) + ["--jsonl"] + shlex.split(options) + ["-"],
                          input=records.encode("utf-8"), capture_output=True)
    if done.returncode != 0:
        sys.exit(f"command failed ({done.returncode}): {done.stderr.decode(errors='replace')[:500]}")
    return [json.loads(l)["text"] for l in done.stdout.decode("utf-8").split("\n") if l]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases")
    ap.add_argument("--cmd", default="target/release/zhtidy")
    ap.add_argument("--options", nargs="*", default=["", "--to tw", "--to cn"])
    ap.add_argument("--show", type=int, default=3)
    ap.add_argument("--most", type=int, default=0)
    args = ap.parse_args()
    cases = [json.loads(l) for l in open(args.cases, encoding="utf-8")]
    failed = 0
    for options in args.options:
        once = run(args.cmd, options, [c["input"] for c in cases])
        twice = run(args.cmd, options, once)
        moved = [(c, a, b) for c, a, b in zip(cases, once, twice) if a != b]
        failed += len(moved)
        cells = collections.Counter(f"{c['family']}/{c['scale']}" for c, _, _ in moved)
        print(f"options {options!r}: {len(moved)} of {len(cases)} change on a second pass {dict(cells)}")
        for c, a, b in moved[:args.show]:
            print(f"  {c['id']} {c['family']}/{c['scale']}\n    once  {a[:160]!r}\n    twice {b[:160]!r}")
    print(f"{failed} changes on a second pass (at most {args.most} allowed)")
    sys.exit(1 if failed > args.most else 0)


if __name__ == "__main__":
    main()
