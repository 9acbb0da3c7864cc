#!/usr/bin/env python3
"""Batch benchmarks: a tree of 10,000 small files (per-file overhead, scaling from 1 to 2 threads),
a tree of a few large files, and JSON Lines against plain text on the same text.

Each comparison alternates its two runs (7 pairs) and prints the ratio of the best runs and the
median of the pairs' ratios.

Usage: scripts/bench-batch.py [ZHTIDY_BINARY] [--jsonl-only]

With valgrind installed, JSON Lines is also compared in instructions executed, which the
machine's load does not change.
"""
import json
import os
import resource
import statistics
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


# CPU time (user + system) of the last `run`.
LAST_CPU = [0.0]


def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return t


def alternate(cmd_a, cmd_b, pairs=7, cpu=None):
    """Times two commands in alternation (`cmd_a()` and `cmd_b()` give each run's command line):
    the best time of each, and the median of the pairs' ratios a/b. The machine's speed drifts
    from minute to minute; a pair's two runs are seconds apart. With a dict `cpu`, also the
    median CPU time of each command (`cpu["a"]`, `cpu["b"]`) and its median wall time."""
    ta, tb, ca, cb = [], [], [], []
    for _ in range(pairs):
        ta.append(run(cmd_a()))
        ca.append(LAST_CPU[0])
        tb.append(run(cmd_b()))
        cb.append(LAST_CPU[0])
    if cpu is not None:
        med = statistics.median
        cpu.update(a=med(ca), b=med(cb), wall_a=med(ta), wall_b=med(tb))
    ratios = sorted(a / b for a, b in zip(ta, tb))
    return min(ta), min(tb), ratios[len(ratios) // 2]


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
    # Written back, the deleted inodes are skipped for a minute; while their inode table blocks
    # are dirty, for five.
    os.sync()
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

    def on_disk(src, j):
        return lambda: [BIN, "--to", "tw", "-j", str(j), "--out-dir", str(out / str(next(runs))), str(src)]

    shm = pathlib.Path("/dev/shm")
    mem = shm / "zhtidy-bench"

    def in_memory(src, j):
        def cmd():
            shutil.rmtree(mem / "out", ignore_errors=True)
            return [BIN, "--to", "tw", "-j", str(j), "--out-dir", str(mem / "out"), str(src)]
        return cmd

    def scaling(label, src, cmd, per_file):
        cpu = {}
        t1, t2, pair = alternate(cmd(src, 1), cmd(src, 2), cpu=cpu)
        cost = f" ({t1 / 10_000 * 1000:.3f} ms per file)" if per_file else ""
        print(f"  {label}: -j 1: {t1:.2f} s{cost}, -j 2: {t2:.2f} s; scaling {t1 / t2:.2f}x (best runs), "
              f"{pair:.2f}x (median of 7 alternating pairs)")
        # Scaling falls short of 2x for two reasons: parts of the run that use one core (the
        # cores busy at -j 2, from 1 to 2), and work that grows with two threads running
        # (contention in the kernel and the allocator; on a shared machine, also the
        # neighbours: the control, which has no shared state, shows how much).
        print(f"    CPU time (medians): -j 1 {cpu['a']:.2f} s, -j 2 {cpu['b']:.2f} s "
              f"({cpu['b'] / cpu['a']:.2f}x the work); cores busy at -j 2: "
              f"{cpu['b'] / cpu['wall_b']:.2f}")

    for name, src, desc, per_file in (
        ("small", small, f"10,000 small files ({small_bytes / 1e6:.1f} MB)", True),
        ("large", large, f"4 large files ({large_bytes / 1e6:.0f} MB)", False),
    ):
        print(f"tree of {desc}:")
        scaling("on disk", src, on_disk, per_file)
        if shm.is_dir():
            # The same tree in memory: zhtidy's own cost and scaling, without the disk's
            # (creating files, writeback).
            shutil.rmtree(mem, ignore_errors=True)
            shutil.copytree(src, mem / name)
            scaling("in memory (tmpfs)", mem / name, in_memory, per_file)
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
    plain_cmd = lambda: [BIN, "--to", "s2tw", str(plain)]  # noqa: E731
    mb = plain.stat().st_size / 1e6
    print(f"plain text {mb:.0f} MB, JSON Lines of the same text timed in alternation with it:")
    for name, size in (("paragraph", 1), ("document", 40)):
        jsonl = WORK / f"records-{name}.jsonl"
        if not jsonl.exists():
            with open(jsonl, "w", encoding="utf-8") as f:
                for i in range(0, len(lines), size):
                    text = "\n".join(lines[i : i + size])
                    f.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")
        records = (len(lines) + size - 1) // size
        tj, tp, pair = alternate(lambda: [BIN, "--jsonl", "--to", "s2tw", str(jsonl)], plain_cmd)
        print(
            f"  one record per {name} ({records} records, {mb * 1e6 / records:.0f} bytes of text each): "
            f"{mb / tj:.0f} MB/s of text against {mb / tp:.0f}; {tj / tp:.2f}x the time of plain text "
            f"(best runs), {pair:.2f}x (median of 7 pairs), {(tj - tp) / records * 1e6:.2f} us more per record"
        )
        if size == 40:
            # Records are independent: one input's records are cleaned on several threads.
            j1 = lambda: [BIN, "--jsonl", "--to", "s2tw", "-j", "1", str(jsonl)]  # noqa: E731
            j2 = lambda: [BIN, "--jsonl", "--to", "s2tw", "-j", "2", str(jsonl)]  # noqa: E731
            t1, t2, pair = alternate(j1, j2)
            print(f"    -j 2 against -j 1 on this file: {t1:.2f} s / {t2:.2f} s, {t1 / t2:.2f}x (best runs), "
                  f"{pair:.2f}x (median of 7 pairs)")
    record_sizes(lines[: 1000 * 40])


def instructions(cmd):
    """Instructions `cmd` executes, counted by valgrind (cachegrind): the same on a quiet machine
    and a busy one. `None` without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *cmd],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True,
    ).stderr
    for line in out.splitlines():
        if "I" in line and "refs:" in line:
            return int(line.split("refs:")[1].strip().replace(",", ""))
    return None



def record_sizes(lines):
    # Timings on a shared machine move by 10-30 % from run to run; instruction counts do not
    # (they miss cache effects, which the timings above include). 40,000 paragraphs, about 2 MB,
    # as plain text and as records of 1 to 40 paragraphs: where JSON Lines comes within 1.2x.
    if shutil.which("valgrind") is None:
        return
    plain = WORK / "instructions-plain.txt"
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ip = instructions([BIN, "--to", "s2tw", str(plain)])
    print(f"instructions (valgrind) on 2 MB of the text: plain {ip / 1e6:.0f}M; JSON Lines:")
    for size in (1, 2, 4, 8, 40):
        jsonl = WORK / f"instructions-{size}.jsonl"
        with open(jsonl, "w", encoding="utf-8") as f:
            for i in range(0, len(lines), size):
                f.write(json.dumps({"id": i, "text": "\n".join(lines[i : i + size])}, ensure_ascii=False) + "\n")
        records = (len(lines) + size - 1) // size
        ij = instructions([BIN, "--jsonl", "--to", "s2tw", str(jsonl)])
        print(f"  records of {size} paragraphs ({plain.stat().st_size / records:.0f} bytes): "
              f"{ij / 1e6:.0f}M, {ij / ip:.2f}x")

if __name__ == "__main__":
    main()
