#!/usr/bin/env python3
"""Regenerates the conversion golden files in samples/convert/ with the reference converter,
OpenCC 1.4.2's Python API (pip install opencc==1.4.2), so the goldens are OpenCC's output, not ours.

samples/convert/news-simplified.txt is the input; news-traditional-tw.txt is its s2twp conversion
(the Traditional input for the reverse configs). Golden files are named INPUT.CONFIG.txt.
"""
import pathlib

import opencc

d = pathlib.Path(__file__).resolve().parent.parent / "samples" / "convert"
simp = (d / "news-simplified.txt").read_text(encoding="utf-8")
trad = opencc.OpenCC("s2twp").convert(simp)
(d / "news-traditional-tw.txt").write_text(trad, encoding="utf-8")
jobs = {
    "news-simplified": (simp, "s2t s2tw s2twp s2hk s2hkp".split()),
    "news-traditional-tw": (trad, "t2s tw2s tw2sp tw2t t2hk t2jp".split()),
}
for stem, (text, configs) in jobs.items():
    for cfg in configs:
        (d / f"{stem}.{cfg}.txt").write_text(opencc.OpenCC(cfg).convert(text), encoding="utf-8")
        print(f"wrote {stem}.{cfg}.txt")
