#!/usr/bin/env python3
"""Bounded memory: streams a 200 MB input that is one single line (no newline at all) through
`zhtidy --to s2twp` and checks the process's peak RSS stays under a limit (default 100 MB).

Usage: scripts/check-memory.py ZHTIDY_BINARY [MB] [LIMIT_MB]
"""
import resource
import subprocess
import sys

binary = sys.argv[1]
mb = int(sys.argv[2]) if len(sys.argv) > 2 else 200
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 100
unit = "鼠标里面的硅二极管坏了，导致光标分辨率降低。我们在老挝的服务器的硬盘需要使用互联网算法软件。".encode()
block = unit * (1 << 20 // len(unit) + 1)
p = subprocess.Popen([binary, "--to", "s2twp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
sent = 0
received = 0
import threading

def drain():
    global received
    while True:
        chunk = p.stdout.read(1 << 20)
        if not chunk:
            break
        received += len(chunk)

t = threading.Thread(target=drain)
t.start()
while sent < mb * 1_000_000:
    p.stdin.write(block)
    sent += len(block)
p.stdin.close()
code = p.wait()
t.join()
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"single line of {sent / 1e6:.0f} MB -> {received / 1e6:.0f} MB out, exit {code}, peak RSS {peak:.1f} MB (limit {limit} MB)")
sys.exit(0 if code == 0 and peak < limit and received > 0 else 1)
