#!/usr/bin/env python3
"""Times the cleaning stages of the zhtidy CLI (html, reflow, boilerplate) on generated inputs,
and trafilatura (the Python whole-page extractor) on the same HTML pages in the same run.

Inputs (in .cache/bench, built from the seed goldens in samples/clean):
- pages/: 300 HTML pages of about 30 KB (navigation, scripts, styles, comments, entities,
  inline tags, a footer), and the same pages concatenated into one 50 MB file;
- pdf.txt: 50 MB of hard-wrapped PDF newspaper text (seeds 000 and 004 repeated).

Single thread, best of N runs; these machines are shared and noisy: read the ratios.
trafilatura is timed only if it imports (pip install trafilatura).

Usage: scripts/bench-clean.py [ZHTIDY_BINARY] [--runs N]
"""
import argparse
import html
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench"


def paragraphs():
    out = []
    for name in ["000-pdf-news", "003-scraped-traditional", "004-pdf-newspaper", "002-cms-article"]:
        text = (ROOT / "samples" / "clean" / f"{name}.expected.txt").read_text()
        out += [l for l in text.split("\n") if l.strip()]
    return out


def page(rng, paras, n):
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>新闻</title>'
        "<style>.a{color:red}.b{margin:0}</style><script>var x=1;if(a<b){x=2}</script></head><body>"
        '<div class="nav"><a href="/">首页</a> &gt; <a href="/n">新闻中心</a> &gt; 正文</div>'
        '<div class="main"><article><h1>国家邮政局召开会议</h1>'
    ]
    for p in rng.sample(paras, n):
        p = html.escape(p, quote=False).replace("，", "，<span>", 1)
        parts.append(f'<p class="text" style="text-indent:2em">　　{p}</span></p>\n<!-- ad -->')
    parts.append(
        '<div class="editor">责任编辑：张三</div></article></div><div class="footer">'
        "<p>Copyright &copy; 2023 新闻网 版权所有</p><p>京ICP备18014261号-2</p></div></body></html>\n"
    )
    return "".join(parts)


def build_inputs():
    CACHE.mkdir(parents=True, exist_ok=True)
    pages = CACHE / "pages"
    big = CACHE / "pages.html"
    pdf = CACHE / "pdf.txt"
    if not pages.is_dir():
        rng = random.Random(1)
        paras = paragraphs()
        pages.mkdir()
        for i in range(300):
            (pages / f"{i:03}.html").write_text(page(rng, paras, 60))
    if not big.exists():
        with big.open("w") as f:
            n = 0
            files = sorted(pages.iterdir())
            while n < 50_000_000:
                for p in files:
                    s = p.read_text()
                    f.write(s)
                    n += len(s.encode())
    if not pdf.exists():
        text = (ROOT / "samples/convert/news-simplified.txt").read_text()
        text += (ROOT / "samples/clean/004-pdf-newspaper.txt").read_text()
        pdf.write_text(text * (50_000_000 // len(text.encode()) + 1))
    return pages, big, pdf


def best(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=str(ROOT / "target/release/zhtidy"))
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    pages, big, pdf = build_inputs()
    mb = lambda p: p.stat().st_size / 1e6
    rows = []

    def cli(args, path):
        def go():
            with open(path, "rb") as f:
                subprocess.run([a.binary, *args], stdin=f, stdout=subprocess.DEVNULL, check=True)
        return go

    for label, args, path in [
        ("HTML -> text (--only html)", ["--only", "html"], big),
        ("HTML -> clean text (default stages)", [], big),
        ("PDF text: reflow + boilerplate", ["--only", "reflow,boilerplate"], pdf),
        ("PDF text: reflow", ["--only", "reflow"], pdf),
        ("PDF text: boilerplate", ["--only", "boilerplate"], pdf),
        ("PDF text: default stages", [], pdf),
    ]:
        t = best(cli(args, path), a.runs)
        rows.append((label, mb(path), t))

    page_mb = sum(p.stat().st_size for p in pages.iterdir()) / 1e6
    out = pathlib.Path(tempfile.mkdtemp())

    def folder():
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([a.binary, "-j", "1", "--out-dir", str(out), str(pages)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    z = best(folder, a.runs)
    rows.append(("300 pages, zhtidy -j1 (default stages)", page_mb, z))
    shutil.rmtree(out, ignore_errors=True)
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        trafilatura = None
    if trafilatura:
        docs = [p.read_text() for p in sorted(pages.iterdir())]
        t = best(lambda: [trafilatura.extract(d) for d in docs], 1)
        rows.append(("300 pages, trafilatura.extract", page_mb, t))
        rows.append(("  ratio zhtidy / trafilatura (speed)", 0, t / z))

    for label, size, t in rows:
        if size:
            print(f"{label:45} {size:7.1f} MB {t:7.2f} s {size / t:8.1f} MB/s")
        else:
            print(f"{label:45} {t:.1f}x")


if __name__ == "__main__":
    main()
