#!/usr/bin/env python3
"""Speed of the Python package against the `opencc` package (1.4.2, C++) and `ftfy`, in the same
run on the same paragraphs: per-call conversion, batch cleaning, and repair of clean text.

Usage: python scripts/bench-python.py [--paragraphs N] [--repeat R] [FILE...]
(default input: samples/clean/*.expected.txt and, when fetched, .cache/corpus/zh_*.txt; needs
`pip install ./python opencc==1.4.2 ftfy`). Prints one line per measurement and the ratios;
the machines this runs on are shared, so compare ratios, not seconds.
"""

import argparse
import os
import threading
import time
from pathlib import Path

import zhtidy

ROOT = Path(__file__).resolve().parents[1]


def paragraphs(files, n):
    """Paragraph-sized strings: consecutive non-blank lines joined up to 100-400 characters."""
    out = []
    for f in files:
        cur = ""
        for line in Path(f).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line:
                cur += line
            if cur and (not line or len(cur) >= 100):
                if len(cur) >= 40:
                    out.append(cur[:400])
                cur = ""
    if not out:
        raise SystemExit("no paragraph of 40 characters or more in the input")
    while len(out) < n:
        out += out
    return out[:n]


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*")
    ap.add_argument("--paragraphs", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    files = args.files or sorted(str(p) for p in (ROOT / "samples/clean").glob("*.expected.txt"))
    files += [str(p) for p in [ROOT / ".cache/corpus/zh_CN.txt", ROOT / ".cache/corpus/zh_TW.txt"]
              if not args.files and p.is_file()]
    paras = paragraphs(files, args.paragraphs)
    chars = sum(map(len, paras))
    print(f"{len(paras)} paragraphs, {chars} characters (mean {chars // len(paras)}), "
          f"{os.cpu_count()} cores, zhtidy {zhtidy.__version__}")

    import opencc
    ref = opencc.OpenCC("s2twp.json")
    ours = zhtidy.OpenCC("s2twp")
    t_ref = best(lambda: [ref.convert(p) for p in paras], args.repeat)
    t_ours = best(lambda: [ours.convert(p) for p in paras], args.repeat)
    print(f"per call, s2twp:   opencc {t_ref:.3f} s   zhtidy.OpenCC {t_ours:.3f} s   ratio {t_ref / t_ours:.1f}x")

    def two_threads():
        ts = [threading.Thread(target=lambda: [ours.convert(p) for p in paras]) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    t_two = best(two_threads, args.repeat)
    print(f"GIL released:      one thread {t_ours:.3f} s   two threads, the same work each {t_two:.3f} s   "
          f"ratio {t_two / t_ours:.2f}x (1.0 is perfect parallelism, 2.0 none)")

    t_conv_batch = best(lambda: zhtidy.clean_batch(paras, to="s2twp"), args.repeat)
    print(f"batch, to s2twp:   opencc per call {t_ref:.3f} s   zhtidy.clean_batch (whole chain) "
          f"{t_conv_batch:.3f} s   ratio {t_ref / t_conv_batch:.1f}x")
    t_clean_one = best(lambda: [zhtidy.clean(p, to="s2twp") for p in paras], args.repeat)
    print(f"whole chain:       zhtidy.clean per call {t_clean_one:.3f} s   clean_batch {t_conv_batch:.3f} s   "
          f"ratio {t_clean_one / t_conv_batch:.1f}x")

    import ftfy
    t_ftfy = best(lambda: [ftfy.fix_text(p) for p in paras], args.repeat)
    t_fix = best(lambda: [zhtidy.fix_text(p) for p in paras], args.repeat)
    print(f"repair, clean text: ftfy.fix_text {t_ftfy:.3f} s   zhtidy.fix_text {t_fix:.3f} s   ratio {t_ftfy / t_fix:.1f}x")


if __name__ == "__main__":
    main()
