#!/usr/bin/env python3
"""Bounded memory: streams a 200 MB input that is one single line (no newline at all) through
`zhtidy --to s2twp` (all default stages), then a 100 MB HTML page that is one single line
through `zhtidy --html --to s2twp`, then a page whose one attribute value is 100 MB, and checks
each process's peak RSS stays under a limit (default 100 MB). Then one JSON Lines record whose
text is 50 MB: a record is held whole, so its limit is 4 times its size.

Usage: scripts/check-memory.py ZHTIDY_BINARY [MB] [LIMIT_MB]
"""
import resource
import subprocess
import sys

binary = sys.argv[1]
mb = int(sys.argv[2]) if len(sys.argv) > 2 else 200
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 100
import threading


def stream(args, unit, total, start=b"", end=b""):
    """Feeds `start`, then `unit` repeated up to `total` bytes, then `end`; returns (sent, received, exit code,
    peak RSS in MB). Each run is measured in a fresh Python child so the peaks do not mix."""
    code = (
        "import resource,subprocess,sys,threading\n"
        "args=sys.argv[1:]\n"
        "unit=sys.stdin.buffer.read()\n"
        "total=int(args.pop(0)); n_start=int(args.pop(0)); n_end=int(args.pop(0))\n"
        "start,unit,end=unit[:n_start],unit[n_start:len(unit)-n_end],unit[len(unit)-n_end:]\n"
        "block=unit*((1<<20)//len(unit)+1)\n"
        "p=subprocess.Popen(args,stdin=subprocess.PIPE,stdout=subprocess.PIPE)\n"
        "got=[0]\n"
        "def drain():\n"
        "    while True:\n"
        "        c=p.stdout.read(1<<20)\n"
        "        if not c: break\n"
        "        got[0]+=len(c)\n"
        "t=threading.Thread(target=drain); t.start()\n"
        "p.stdin.write(start); sent=len(start)\n"
        "while sent<total:\n"
        "    p.stdin.write(block); sent+=len(block)\n"
        "p.stdin.write(end); sent+=len(end)\n"
        "p.stdin.close(); rc=p.wait(); t.join()\n"
        "print(sent, got[0], rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(total), str(len(start)), str(len(end)), *args],
                         input=start + unit + end, capture_output=True, check=True).stdout.split()
    return int(out[0]), int(out[1]), int(out[2]), float(out[3])


ok = True
text = "鼠标里面的硅二极管坏了，导致光标分辨率降低。我们在老挝的服务器的硬盘需要使用互联网算法软件。".encode()
html = '<p class="t">鼠标里面的<b>硅二极管</b>坏了&amp;导致光标分辨率降低。</p><!-- c --><script>x=1</script>'.encode()
record = 50
for label, args, unit, total, start, end, cap in [
    ("text, one line", [binary, "--to", "s2twp"], text, mb * 1_000_000, b"", b"", limit),
    ("HTML, one line", [binary, "--html", "--to", "s2twp"], html, mb * 1_000_000 // 2,
     b"<!DOCTYPE html><html><body>", b"", limit),
    # A hostile page: one attribute value of half the size (its tag is cut at 64 KiB).
    ("HTML, one attribute", [binary], b"x" * 4096, mb * 1_000_000 // 2,
     '<!DOCTYPE html><html><body><p>前文</p><img alt="'.encode(), b"", limit),
    # One JSON Lines record: its text with escaped line breaks, as corpora hold them.
    ("JSON Lines, one record", [binary, "--jsonl", "--to", "s2twp"], text + b"\\n", record * 1_000_000,
     b'{"id": 1, "text": "', b'"}\n', record * 4),
]:
    sent, received, code, peak = stream(args, unit, total, start, end)
    good = code == 0 and peak < cap and received > 0
    ok &= good
    print(f"{label} of {sent / 1e6:.0f} MB -> {received / 1e6:.0f} MB out, exit {code}, peak RSS {peak:.1f} MB (limit {cap} MB){'' if good else '  FAILED'}")
sys.exit(0 if ok else 1)
