#!/usr/bin/env python3
"""Times the zhtidy CLI against the OpenCC 1.4.2 CLI (the C++ tool in the PyPI wheel) on the same
inputs in the same run, and prints throughput, ratios, peak memory and start-up time.

Single thread, whole process, best of N runs (these machines are shared and noisy: read the
ratios). Inputs: about 60 MB of Simplified and of Traditional text built from the manpages-zh
corpus (scripts/fetch-corpus.sh), plus the seed news text repeated (dense Chinese).

Usage: scripts/bench.py [--runs N] [--mb SIZE] [--zhconv PATH]

With --zhconv (the CLI of the `zhconv` crate: `cargo install zhconv-cli`), its time on the same
inputs is shown too. zhconv follows MediaWiki's conversion tables, not OpenCC's: its output
differs, so the comparison is of speed only (s2t ~ zh-Hant, s2twp ~ zh-TW, t2s ~ zh-Hans,
tw2sp ~ zh-CN).
"""
import argparse
import os
import pathlib
import resource
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench"


def peak_child_rss_kb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def run(cmd, stdin_path=None):
    """Runs cmd, returns (seconds, peak RSS of this child in KB)."""
    # ru_maxrss of RUSAGE_CHILDREN is the max over all children so far: run each measured
    # command in a fresh Python child that reports its own child's peak.
    code = (
        "import resource,subprocess,sys,time;"
        "t=time.perf_counter();"
        "r=subprocess.run(sys.argv[2:],stdin=open(sys.argv[1],'rb') if sys.argv[1]!='-' else subprocess.DEVNULL,stdout=subprocess.DEVNULL);"
        "d=time.perf_counter()-t;"
        "print(d, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)"
    )
    out = subprocess.run([sys.executable, "-c", code, stdin_path or "-", *cmd], capture_output=True, text=True, check=True).stdout.split()
    if out[2] != "0":
        raise SystemExit(f"command failed: {cmd}")
    return float(out[0]), int(out[1])


def best(cmd, runs, stdin_path=None):
    results = [run(cmd, stdin_path) for _ in range(runs)]
    return min(r[0] for r in results), max(r[1] for r in results)


def make_input(name, sources, mb):
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}-{mb}mb.txt"
    if path.exists() and path.stat().st_size >= mb * 1_000_000:
        return path
    data = b"".join(p.read_bytes() for p in sources)
    with open(path, "wb") as f:
        written = 0
        while written < mb * 1_000_000:
            f.write(data)
            written += len(data)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mb", type=int, default=60)
    ap.add_argument("--zhconv", help="path of the zhconv CLI, to time it too")
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    zhtidy = str(ROOT / "target" / "release" / "zhtidy")
    try:
        import opencc  # noqa: F401
        share = pathlib.Path(opencc.__file__).parent / "clib"
        ref = str(share / "bin" / "opencc")
        ref_cfg = share / "share" / "opencc"
    except ImportError:
        ref = None
        print("note: pip install opencc==1.4.2 to compare with the reference CLI")

    corpus = ROOT / ".cache" / "corpus"
    if not (corpus / "zh_CN.txt").exists():
        subprocess.run([str(ROOT / "scripts" / "fetch-corpus.sh")], check=True)
    seeds = ROOT / "samples" / "convert"
    inputs = {
        "manpages-zh_CN": make_input("cn", [corpus / "zh_CN.txt"], args.mb),
        "manpages-zh_TW": make_input("tw", [corpus / "zh_TW.txt"], args.mb),
        "news-simplified": make_input("news-s", [seeds / "news-simplified.txt"], args.mb),
        "news-traditional": make_input("news-t", [seeds / "news-traditional-tw.txt"], args.mb),
    }
    jobs = [
        ("s2t", "manpages-zh_CN"), ("s2twp", "manpages-zh_CN"), ("t2s", "manpages-zh_TW"),
        ("s2t", "news-simplified"), ("s2twp", "news-simplified"), ("t2s", "news-traditional"),
        ("tw2sp", "news-traditional"),
    ]
    zhconv_variant = {"s2t": "zh-Hant", "s2twp": "zh-TW", "t2s": "zh-Hans", "tw2sp": "zh-CN"}
    head = f"{'config':6} {'input':18} {'MB':>5} {'zhtidy MB/s':>11} {'RSS MB':>7} {'opencc MB/s':>11} {'RSS MB':>7} {'ratio':>6}"
    if args.zhconv:
        head += f" {'zhconv MB/s':>11} {'ratio':>6}"
    print(head)
    for cfg, name in jobs:
        path = inputs[name]
        mb = path.stat().st_size / 1e6
        t, rss = best([zhtidy, "--only", "convert", "--to", cfg, str(path)], args.runs)
        line = f"{cfg:6} {name:18} {mb:5.0f} {mb / t:11.1f} {rss / 1024:7.1f}"
        if ref:
            rt, rrss = best([ref, "-c", str(ref_cfg / f"{cfg}.json"), "-i", str(path), "-o", "/dev/null"], max(1, args.runs - 1))
            line += f" {mb / rt:11.1f} {rrss / 1024:7.1f} {rt / t:5.1f}x"
        if args.zhconv:
            zt, _ = best([args.zhconv, zhconv_variant[cfg]], max(1, args.runs - 1), str(path))
            line += f" {mb / zt:11.1f} {zt / t:5.1f}x"
        print(line, flush=True)

    one = CACHE / "one-line.txt"
    one.write_text("鼠标\n", encoding="utf-8")
    starts = [run([zhtidy, "--to", "s2twp", str(one)])[0] for _ in range(20)]
    line = f"start-up (one-line input, s2twp): zhtidy {min(starts) * 1000:.1f} ms"
    if ref:
        rstarts = [run([ref, "-c", str(ref_cfg / "s2twp.json"), "-i", str(one), "-o", "/dev/null"])[0] for _ in range(10)]
        line += f", opencc {min(rstarts) * 1000:.1f} ms"
    print(line)
    print(f"release binary: {os.path.getsize(zhtidy) / 1e6:.1f} MB (every config embedded)")


if __name__ == "__main__":
    main()
