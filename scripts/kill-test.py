#!/usr/bin/env python3
"""Interrupting `zhtidy --in-place` on a tree never leaves a file half-written.

Builds a tree of FILES small Simplified Chinese files, then RUNS times starts
`zhtidy --to tw --in-place -j 2 TREE` and kills it with SIGKILL at a random moment of its run.
After each kill every file must be either the original or the complete converted version; the
originals are then put back (temporary files left by the kill stay). Then one more run must
say it removed what the killed runs left, leave no temporary file, and convert every file.
Last, SIGINT, SIGTERM and SIGHUP at random moments: the run must leave no temporary file at all.

Usage: scripts/kill-test.py ZHTIDY_BINARY [RUNS] [FILES]
"""
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

binary = os.path.abspath(sys.argv[1])
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
count = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
rng = random.Random(20261204)

LINES = [
    "国家邮政局召开会议，强调全系统全行业要继续发挥核心机制作用。",
    "鼠标里面的硅二极管坏了，导致光标分辨率降低。",
    "我们在老挝的服务器的硬盘需要使用互联网算法软件解决异步的问题。",
    "头发发展，皇后后面，乾坤干燥，这里的面条很好吃。",
]


def digest(data):
    return hashlib.blake2b(data, digest_size=16).digest()


def temporaries(root):
    found = []
    for d, _, names in os.walk(root):
        found += [os.path.join(d, n) for n in names if ".zhtidy-" in n or n.endswith(".tmp")]
    return found


work = tempfile.mkdtemp(prefix="zhtidy-kill-")
tree = os.path.join(work, "tree")
originals = {}
for i in range(count):
    rel = os.path.join(f"d{i % 50}", f"f{i}.txt")
    lines = rng.randint(1, 300)
    text = "\n".join(rng.choice(LINES) for _ in range(lines)) + "\n"
    originals[rel] = text.encode()
for rel, data in originals.items():
    os.makedirs(os.path.join(tree, os.path.dirname(rel)), exist_ok=True)
    with open(os.path.join(tree, rel), "wb") as f:
        f.write(data)

# The converted version of each file, from a run on a copy; and how long a whole run takes.
copy = os.path.join(work, "copy")
shutil.copytree(tree, copy)
start = time.monotonic()
subprocess.run([binary, "--to", "tw", "--in-place", "-j", "2", copy], check=True,
               stderr=subprocess.DEVNULL)
whole = time.monotonic() - start
converted = {}
for rel in originals:
    with open(os.path.join(copy, rel), "rb") as f:
        converted[rel] = digest(f.read())
shutil.rmtree(copy)
original_digests = {rel: digest(d) for rel, d in originals.items()}
print(f"{count} files, a whole run takes {whole:.2f} s")


def check(after):
    """Every file is the original or the converted version; returns how many are converted."""
    done = 0
    for rel in originals:
        with open(os.path.join(tree, rel), "rb") as f:
            d = digest(f.read())
        if d == converted[rel]:
            done += 1
        elif d != original_digests[rel]:
            sys.exit(f"FAILED: {rel} is neither the original nor the converted file ({after})")
    return done


def restore():
    for rel, data in originals.items():
        with open(os.path.join(tree, rel), "wb") as f:
            f.write(data)


def interrupted_run(sig):
    p = subprocess.Popen([binary, "--to", "tw", "--in-place", "-j", "2", tree],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.0, whole))
    p.send_signal(sig)
    return p.wait()


checked = 0
left = 0
for n in range(runs):
    interrupted_run(signal.SIGKILL)
    done = check(f"SIGKILL run {n + 1}")
    checked += count
    left += len(temporaries(tree))
    restore()
    print(f"SIGKILL run {n + 1}: {done} of {count} files converted, {len(temporaries(tree))} temporary files so far")

result = subprocess.run([binary, "--to", "tw", "--in-place", "-j", "2", tree],
                        capture_output=True, text=True)
if result.returncode != 0:
    sys.exit(f"FAILED: the run after the kills exited {result.returncode}: {result.stderr}")
if temporaries(tree):
    sys.exit(f"FAILED: temporary files remain after a complete run: {temporaries(tree)[:5]}")
if left and "left by an interrupted run" not in result.stderr:
    sys.exit("FAILED: the run after the kills did not say it removed their temporary files")
if check("the run after the kills") != count:
    sys.exit("FAILED: the run after the kills did not convert every file")
restore()

for n, sig in enumerate([signal.SIGINT, signal.SIGTERM, signal.SIGHUP] * 4):
    code = interrupted_run(sig)
    done = check(f"{sig.name} run")
    checked += count
    if temporaries(tree):
        sys.exit(f"FAILED: {sig.name} left temporary files: {temporaries(tree)[:5]}")
    print(f"{sig.name}: exit {code}, {done} of {count} files converted, no temporary file")
    restore()

shutil.rmtree(work)
print(f"kill test: {runs} SIGKILL runs and 12 SIGINT/SIGTERM/SIGHUP runs, {checked} file checks, nothing half-written")
