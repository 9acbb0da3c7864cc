#!/usr/bin/env python3
"""Scores a command on the repair benchmark (cases from make_cases.py).

Every case's input goes through the command as one JSON Lines record (`CMD --jsonl`, so one
process runs them all, each record a document of its own); its output is compared with the
case's expected text.

Per family and scale it prints:
  exact   share of outputs equal to the expected text;
  accept  share of outputs equal to the expected text or one of the case's acceptable ones (for
          lossy families: the perfect repair, U+FFFD for each character that lost a byte);
  changed share of outputs that differ from the input (for controls and traps: must be 0);
  sim     mean similarity of output to expected (difflib ratio), the figure for lossy families,
          where a perfect repair recovers every recoverable character and leaves U+FFFD elsewhere.

Usage:
  scripts/garble/score.py CASES.jsonl [--cmd 'target/release/zhtidy'] [--json OUT.json]
                          [--floor scripts/garble/floor.json] [--show FAMILY]
With --floor, exits 1 if a family's exact rate (lossless) or similarity and acceptable rate
(lossy) falls below the floor's, or a control or trap changes that the floor does not allow.
"""
import argparse
import collections
import difflib
import json
import os
import shlex
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases")
    ap.add_argument("--cmd", default="target/release/zhtidy")
    ap.add_argument("--json")
    ap.add_argument("--floor")
    ap.add_argument("--show", help="print the failures of this family")
    args = ap.parse_args()

    cases = [json.loads(l) for l in open(args.cases, encoding="utf-8")]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps({"id": c["id"], "text": c["input"]}, ensure_ascii=False) + "\n")
        path = f.name
    try:
        run = subprocess.run(shlex.split(args.cmd) + ["--jsonl", path], capture_output=True)
    finally:
        os.unlink(path)
    if run.returncode != 0:
        sys.exit(f"command failed ({run.returncode}): {run.stderr.decode(errors='replace')[:500]}")
    # Only "\n" ends a record: JSON strings may hold U+2028 or U+0085 raw.
    outputs = [json.loads(l)["text"] for l in run.stdout.decode("utf-8").split("\n") if l]
    if len(outputs) != len(cases):
        sys.exit(f"{len(outputs)} outputs for {len(cases)} cases")

    cells = collections.defaultdict(lambda: {"n": 0, "exact": 0, "accept": 0, "changed": 0, "sim": 0.0, "lossless": True})
    shown = 0
    for c, out in zip(cases, outputs):
        key = f"{c['family']}/{c['scale']}"
        cell = cells[key]
        cell["n"] += 1
        cell["lossless"] = c["lossless"]
        ok = out == c["expected"] or out in c["acceptable"]
        cell["exact"] += out == c["expected"]
        cell["accept"] += ok
        cell["changed"] += out != c["input"]
        cell["sim"] += difflib.SequenceMatcher(None, out, c["expected"], autojunk=False).ratio()
        if args.show and c["family"] == args.show and not ok and shown < 10:
            shown += 1
            print(f"--- {c['id']}\n  input    {c['input'][:160]!r}\n  expected {c['expected'][:160]!r}\n  got      {out[:160]!r}")

    figures = {}
    print(f"{'family/scale':44} {'n':>5} {'exact':>7} {'accept':>7} {'changed':>8} {'sim':>6}")
    for key in sorted(cells):
        c = cells[key]
        n = c["n"]
        fig = {"n": n, "exact": round(c["exact"] / n, 3), "accept": round(c["accept"] / n, 3),
               "changed": round(c["changed"] / n, 3),
               "sim": round(c["sim"] / n, 3), "lossless": c["lossless"]}
        figures[key] = fig
        tag = "" if c["lossless"] else "  (lossy)"
        print(f"{key:44} {n:5} {fig['exact']:7.1%} {fig['accept']:7.1%} {fig['changed']:8.1%} {fig['sim']:6.3f}{tag}")
    lossless = [f for k, f in figures.items() if f["lossless"] and not k.startswith(("clean/", "trap/"))]
    total = sum(f["n"] for f in lossless)
    exact = sum(f["exact"] * f["n"] for f in lossless) / max(total, 1)
    controls = sum(round(f["changed"] * f["n"]) for k, f in figures.items() if k.startswith(("clean/", "trap/")))
    lossy = [f for f in figures.values() if not f["lossless"]]
    lossy_total = sum(f["n"] for f in lossy)
    lossy_accept = sum(f["accept"] * f["n"] for f in lossy) / max(lossy_total, 1)
    print(f"\nlossless garbled cases: {total}, exact {exact:.1%}; lossy cases: {lossy_total}, "
          f"perfect repair {lossy_accept:.1%}; controls and traps changed: {controls}")
    figures["_summary"] = {"lossless_cases": total, "lossless_exact": round(exact, 3), "controls_changed": controls,
                           "lossy_cases": lossy_total, "lossy_accept": round(lossy_accept, 3)}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1, sort_keys=True)
            f.write("\n")
    if args.floor:
        floor = json.load(open(args.floor))
        bad = []
        for key, f in floor.items():
            if key.startswith("_") or key not in figures:
                continue
            g = figures[key]
            for measure in ["exact"] if f["lossless"] else ["sim", "accept"]:
                if measure in f and g[measure] + 1e-9 < f[measure]:
                    bad.append(f"{key}: {measure} {g[measure]} < floor {f[measure]}")
        if controls > floor["_summary"]["controls_changed"]:
            bad.append(f"controls and traps changed: {controls} > floor {floor['_summary']['controls_changed']}")
        if bad:
            print("below the floor:\n  " + "\n  ".join(bad))
            sys.exit(1)
        print("floor held")


if __name__ == "__main__":
    main()
