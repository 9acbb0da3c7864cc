#!/usr/bin/env python3
"""Batch benchmarks: a tree of 10,000 small files (per-file overhead, scaling from 1 to 2 threads),
a tree of a few large files, and JSON Lines against plain text on the same text.

Usage: scripts/bench-batch.py [ZHTIDY_BINARY] [--jsonl-only]
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
JSONL_ONLY = "--jsonl-only" in sys.argv[1:]
BIN = ARGS[0] if ARGS else str(ROOT / "target" / "release" / "zhtidy")
WORK = ROOT / ".cache" / "bench-batch"


def timed(cmd, runs=3):
    best = None
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        d = time.perf_counter() - t
        best = d if best is None else min(best, d)
    return best


def main():
    text = (ROOT / "samples" / "convert" / "news-simplified.txt").read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n") if p.strip()]
    if not JSONL_ONLY:
        trees(text, paragraphs)
    jsonl_vs_plain(paragraphs)


# When the output trees were last deleted (see `trees`).
STAMP = WORK / "out-deleted-at"


def delete_outputs(out):
    shutil.rmtree(out, ignore_errors=True)
    STAMP.write_text(str(time.time()))


def trees(text, paragraphs):
    small = WORK / "small"
    if not small.exists():
        for i in range(10_000):
            d = small / f"d{i % 100:02d}"
            d.mkdir(parents=True, exist_ok=True)
            (d / f"f{i}.txt").write_text(paragraphs[i % len(paragraphs)] + "\n", encoding="utf-8")
    small_bytes = sum(f.stat().st_size for f in small.rglob("*.txt"))
    large = WORK / "large"
    if not large.exists():
        large.mkdir(parents=True)
        for i in range(4):
            (large / f"big{i}.txt").write_text(text * 600, encoding="utf-8")
    large_bytes = sum(f.stat().st_size for f in large.glob("*.txt"))
    # Every run writes a new output tree, and the trees are deleted at the end: ext4 without a
    # journal skips the inodes deleted in the last minute when it picks one for a new file
    # (fs/ext4/ialloc.c, recently_deleted), reading each, so
    # creating 10,000 files right after deleting 10,000 costs seconds of kernel time (and
    # writing a file over an old one deletes the old inode too).
    out = WORK / "out"
    if out.exists():
        delete_outputs(out)
    deleted = STAMP.exists() and time.time() - float(STAMP.read_text())
    if deleted is not False and deleted < 65:
        print(f"(waiting {65 - deleted:.0f} s: the output of an earlier run was deleted {deleted:.0f} s ago)")
        time.sleep(65 - deleted)
    runs = iter(range(1_000_000))

    def tree_run(src, j):
        best = None
        for _ in range(3):
            dest = out / str(next(runs))
            t = time.perf_counter()
            subprocess.run([BIN, "--to", "tw", "-j", str(j), "--out-dir", str(dest), str(src)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            d = time.perf_counter() - t
            best = d if best is None else min(best, d)
        return best

    print(f"tree of 10,000 small files ({small_bytes / 1e6:.1f} MB), on disk:")
    t1, t2 = tree_run(small, 1), tree_run(small, 2)
    print(f"  -j 1: {t1:.2f} s ({t1 / 10_000 * 1000:.3f} ms per file), -j 2: {t2:.2f} s, scaling {t1 / t2:.2f}x")
    shm = pathlib.Path("/dev/shm")
    if shm.is_dir():
        # The same tree in memory: what zhtidy costs per file, without the file system's cost
        # of creating files (which dominates on the overlay disks of these machines).
        mem = shm / "zhtidy-bench"
        shutil.rmtree(mem, ignore_errors=True)
        shutil.copytree(small, mem / "small")
        nonlocal_out = mem / "out"

        def mem_run(j):
            shutil.rmtree(nonlocal_out, ignore_errors=True)
            return timed([BIN, "--to", "tw", "-j", str(j), "--out-dir", str(nonlocal_out), str(mem / "small")])

        m1, m2 = mem_run(1), mem_run(2)
        print(f"  in memory (tmpfs): -j 1: {m1:.2f} s ({m1 / 10_000 * 1000:.3f} ms per file), -j 2: {m2:.2f} s, scaling {m1 / m2:.2f}x")
        shutil.rmtree(mem, ignore_errors=True)
    print(f"tree of 4 large files ({large_bytes / 1e6:.0f} MB), on disk:")
    l1, l2 = tree_run(large, 1), tree_run(large, 2)
    print(f"  -j 1: {large_bytes / 1e6 / l1:.0f} MB/s, -j 2: {large_bytes / 1e6 / l2:.0f} MB/s, scaling {l1 / l2:.2f}x")
    if shm.is_dir():
        # Writing 65 MB to the overlay disk takes the kernel's writeback along: in memory, the
        # scaling is zhtidy's own.
        mem = shm / "zhtidy-bench"
        shutil.rmtree(mem, ignore_errors=True)
        shutil.copytree(large, mem / "large")

        def mem_large(j):
            shutil.rmtree(mem / "out", ignore_errors=True)
            return timed([BIN, "--to", "tw", "-j", str(j), "--out-dir", str(mem / "out"), str(mem / "large")])

        m1, m2 = mem_large(1), mem_large(2)
        print(f"  in memory (tmpfs): -j 1: {large_bytes / 1e6 / m1:.0f} MB/s, -j 2: {large_bytes / 1e6 / m2:.0f} MB/s, scaling {m1 / m2:.2f}x")
        shutil.rmtree(mem, ignore_errors=True)
    delete_outputs(out)



def jsonl_vs_plain(paragraphs):
    # JSON Lines against plain text: the same paragraphs, as one record per paragraph (about
    # 50 bytes: the cost per record shows) and as one record per document of 40 paragraphs
    # (about 2 KB, the size of a web page's text in CCNet-style corpora).
    lines = paragraphs * 2000
    plain = WORK / "plain.txt"
    if not plain.exists():
        plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tp = timed([BIN, "--to", "s2tw", str(plain)])
    mb = plain.stat().st_size / 1e6
    print(f"plain text {mb:.0f} MB: {mb / tp:.0f} MB/s")
    for name, size in (("paragraph", 1), ("document", 40)):
        jsonl = WORK / f"records-{name}.jsonl"
        if not jsonl.exists():
            with open(jsonl, "w", encoding="utf-8") as f:
                for i in range(0, len(lines), size):
                    text = "\n".join(lines[i : i + size])
                    f.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")
        records = (len(lines) + size - 1) // size
        tj = timed([BIN, "--jsonl", "--to", "s2tw", str(jsonl)])
        print(
            f"  JSON Lines, one record per {name} ({records} records, {mb * 1e6 / records:.0f} bytes of text each): "
            f"{mb / tj:.0f} MB/s of text, {tj / tp:.2f}x the time of plain text, "
            f"{(tj - tp) / records * 1e6:.2f} us more per record"
        )

if __name__ == "__main__":
    main()
