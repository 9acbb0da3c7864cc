"""Tests of the Python package: conversion against the opencc package, repair and cleaning on
the repository's golden files, errors, the GIL, and the command line.

Run from the repository: ``pytest python/tests`` (after ``pip install ./python pytest``;
the differential test needs ``opencc==1.4.2`` and skips without it)."""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import zhtidy

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
CONFIGS = "s2t t2s s2tw tw2s s2twp tw2sp s2hk hk2s s2hkp hk2sp t2tw tw2t t2hk hk2t t2jp jp2t".split()


def corpus():
    """The differential corpus: the conversion samples, OpenCC's own test inputs, and the
    manpages corpus when scripts/fetch-corpus.sh has fetched it."""
    files = sorted((SAMPLES / "convert").glob("news-*.txt"))
    files += [ROOT / ".cache/corpus/zh_CN.txt", ROOT / ".cache/corpus/zh_TW.txt"]
    texts = [p.read_text(encoding="utf-8") for p in files if p.is_file()]
    texts.append("\n".join(case["input"] for case in opencc_cases()))
    return texts


def opencc_cases():
    """OpenCC's official test cases (their file has trailing commas, which json rejects)."""
    text = (ROOT / "dict/opencc/tests/testcases.json").read_text(encoding="utf-8")
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", text))["cases"]


def test_opencc_official_cases():
    n = 0
    for case in opencc_cases():
        for config, want in case["expected"].items():
            assert zhtidy.OpenCC(config).convert(case["input"]) == want, case["id"]
            n += 1
    assert n >= 500


@pytest.mark.parametrize("config", CONFIGS)
def test_opencc_identical_to_the_opencc_package(config):
    opencc = pytest.importorskip("opencc")
    ref = opencc.OpenCC(config + ".json")
    ours = zhtidy.OpenCC(config + ".json")
    ours_bare = zhtidy.OpenCC(config)
    for text in corpus():
        want = ref.convert(text)
        assert ours.convert(text) == want
        assert ours_bare.convert(text) == want
        # Paragraph by paragraph too, as corpus pipelines call it.
        for para in text.split("\n")[:300]:
            assert ours.convert(para) == ref.convert(para)


def test_opencc_class():
    cc = zhtidy.OpenCC()
    assert cc.config == "t2s"
    assert cc.convert("漢字") == "汉字"
    assert zhtidy.OpenCC("S2T.json").config == "s2t"
    assert repr(zhtidy.OpenCC("s2twp")) == 'zhtidy.OpenCC("s2twp")'
    assert cc.convert("") == ""


def test_convert_aliases():
    assert zhtidy.convert("头发", to="tw") == "頭髮"
    assert zhtidy.convert("头发", to="s2t") == "頭髮"
    assert zhtidy.convert("軟體", to="simplified", from_="tw") == "软体"
    assert zhtidy.convert("软件", to="tw-phrases") == "軟體"
    # Conversion only: punctuation and line breaks stay.
    assert zhtidy.convert("汉字,\n  汉字", to="t") == "漢字,\n  漢字"


def golden_pairs():
    """(input, options, expected) of the golden files the Rust tests check too."""
    seeds = [
        ("convert/news-simplified.txt", "000-pdf-news", "tw"),
        ("repair/001-garbled-traditional.txt", "001-scraped-traditional", "simplified"),
        ("clean/002-cms-article.md", "002-cms-article", "tw"),
        ("repair/003-garbled-traditional.txt", "003-scraped-traditional", "simplified"),
        ("clean/004-pdf-newspaper.txt", "004-pdf-newspaper", "tw"),
    ]
    for src, name, to in seeds:
        yield SAMPLES / src, None, SAMPLES / "clean" / f"{name}.expected.txt"
        yield SAMPLES / src, to, SAMPLES / "clean" / f"{name}.{to}.expected.txt"


@pytest.mark.parametrize("src,to,expected", list(golden_pairs()), ids=lambda v: str(v))
def test_clean_matches_the_golden_files(src, to, expected):
    text = src.read_text(encoding="utf-8")
    assert zhtidy.clean(text, to=to) == expected.read_text(encoding="utf-8")


def test_fix_text_on_the_seeds_and_cases():
    n = 0
    for src in sorted((SAMPLES / "repair").glob("*-garbled-traditional.txt")):
        want = src.with_name(src.name.replace(".txt", ".expected.txt")).read_text(encoding="utf-8")
        assert zhtidy.fix_text(src.read_text(encoding="utf-8")) == want
        n += 1
    assert n == 2
    cases = json.loads((SAMPLES / "cases/repair.json").read_text(encoding="utf-8"))["cases"]
    for case in cases:
        if not case.get("known_failure"):
            assert zhtidy.fix_text(case["input"]) == case["expected"], case["label"]


def test_fix_text_leaves_clean_text_alone():
    for path in sorted((SAMPLES / "convert").glob("news-*.txt")):
        text = path.read_text(encoding="utf-8")
        assert zhtidy.fix_text(text) == text


def test_clean_options_and_report():
    page = "<html><body><nav>首页 | 新闻</nav><p>头发很长，天气很好。</p></body></html>"
    assert "頭髮很長" in zhtidy.clean(page, to="tw")
    assert "<p>" in zhtidy.clean(page, html=False)
    out, report = zhtidy.clean("業(yè)務(wù)繁忙。\n", report=True)
    assert out == "業務繁忙。\n"
    assert isinstance(report, dict)
    assert any(s["stage"] == "repair" and s["changes"] > 0 for s in report["stages"])
    wrapped = (SAMPLES / "clean/004-pdf-newspaper.txt").read_text(encoding="utf-8")
    assert zhtidy.clean(wrapped, reflow=False).count("\n") > zhtidy.clean(wrapped).count("\n")
    assert zhtidy.clean("锟斤拷文字\n", unrepairable="drop") == "文字\n"


def test_clean_batch_is_clean_in_order():
    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*/*.txt"))][:20]
    texts = (texts + ["", "头发", "業(yè)務(wù)"]) * 5
    want = [zhtidy.clean(t, to="tw") for t in texts]
    assert zhtidy.clean_batch(texts, to="tw") == want
    assert zhtidy.clean_batch(texts, to="tw", threads=1) == want
    assert zhtidy.clean_batch(texts, to="tw", threads=3) == want
    assert zhtidy.clean_batch((t for t in ["头发"]), to="tw") == ["頭髮"]
    assert zhtidy.clean_batch([]) == []


def test_decode():
    assert zhtidy.decode("中文测试，简体字。".encode("gbk")) == ("中文测试，简体字。", "GBK")
    assert zhtidy.decode("中文測試，繁體字。".encode("big5"))[1] == "Big5"
    assert zhtidy.decode(b"\xef\xbb\xbfabc") == ("abc", "UTF-8")
    assert zhtidy.decode("中文".encode("utf-16"))[0] == "中文"
    assert zhtidy.decode(bytearray("中文".encode("gbk")), encoding="gbk") == ("中文", "GBK")
    assert zhtidy.decode(b"") == ("", zhtidy.decode(b"")[1])


def test_errors():
    for bad in ["x2y", "", "s2t.txt"]:
        with pytest.raises(zhtidy.ZhtidyError, match="unknown"):
            zhtidy.OpenCC(bad)
    assert issubclass(zhtidy.ZhtidyError, ValueError)
    with pytest.raises(ValueError, match="unknown target"):
        zhtidy.convert("头发", to="martian")
    with pytest.raises(ValueError, match="unknown source"):
        zhtidy.convert("头发", to="tw", from_="martian")
    with pytest.raises(ValueError):
        zhtidy.clean("头发", to="martian")
    with pytest.raises(ValueError, match="keep, mark or drop"):
        zhtidy.clean("头发", unrepairable="shred")
    with pytest.raises(ValueError):
        zhtidy.decode(b"abc", encoding="no-such-encoding")
    with pytest.raises(ValueError):
        zhtidy.clean_batch(["头发"], threads=-1)
    with pytest.raises(TypeError):
        zhtidy.OpenCC("s2t").convert(b"bytes")
    with pytest.raises(TypeError):
        zhtidy.convert(123, to="tw")
    with pytest.raises(TypeError):
        zhtidy.clean_batch(["ok", 5])
    with pytest.raises(TypeError):
        zhtidy.decode("not bytes")


def test_the_gil_is_released():
    """While one thread is inside a long Rust call, another keeps running Python code.

    If the call held the GIL, the main thread could not run at all while it lasts, so its
    longest pause would be at least the call's duration; released, the pauses are scheduler
    slices. (The two-threads-versus-one speed ratio is a figure of scripts/bench-python.py:
    a timed assertion fails on a busy machine.)
    """
    text = (SAMPLES / "convert/news-simplified.txt").read_text(encoding="utf-8") * 300
    cc = zhtidy.OpenCC("s2twp")
    cc.convert(text[:1000])
    for call in [lambda: cc.convert(text), lambda: zhtidy.clean(text, to="tw")]:
        took = []
        done = threading.Event()

        def work():
            t0 = time.perf_counter()
            call()
            took.append(time.perf_counter() - t0)
            done.set()

        worker = threading.Thread(target=work)
        last = time.perf_counter()
        longest = 0.0
        worker.start()
        while not done.is_set():
            now = time.perf_counter()
            longest = max(longest, now - last)
            last = now
        worker.join()
        assert took[0] > 0.02, f"the call took {took[0]:.3f} s, too short to tell"
        assert longest < 0.5 * took[0], (
            f"the main thread stood still {longest:.3f} s of a {took[0]:.3f} s call"
        )


def cli():
    exe = shutil.which("zhtidy", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("the zhtidy command is not installed next to this Python")
    return exe


def test_the_command_line_entry_point(tmp_path):
    exe = cli()
    src = SAMPLES / "repair/001-garbled-traditional.txt"
    out = subprocess.run([exe, "--to", "simplified", str(src)], capture_output=True, check=True)
    want = (SAMPLES / "clean/001-scraped-traditional.simplified.expected.txt").read_bytes()
    assert out.stdout == want
    piped = subprocess.run([exe, "--to", "tw"], input="头发\n".encode(), capture_output=True, check=True)
    assert piped.stdout.decode() == "頭髮\n"
    version = subprocess.run([exe, "--version"], capture_output=True, check=True)
    assert version.stdout.decode().startswith("zhtidy ")
    bad = subprocess.run([exe, "--no-such-option"], capture_output=True)
    assert bad.returncode == 2 and b"--no-such-option" in bad.stderr
    missing = subprocess.run([exe, str(tmp_path / "missing.txt")], capture_output=True)
    assert missing.returncode != 0 and b"missing.txt" in missing.stderr
    # In place, over a folder, as the cargo-built binary does.
    (tmp_path / "a.txt").write_text("头发\n", encoding="utf-8")
    subprocess.run([exe, "--to", "tw", "--in-place", str(tmp_path)], check=True, capture_output=True)
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "頭髮\n"
    module = subprocess.run(
        [sys.executable, "-m", "zhtidy._cli", "--to", "tw"], input="头发\n".encode(), capture_output=True, check=True
    )
    assert module.stdout.decode() == "頭髮\n"


def test_ctrl_c_stops_the_command():
    """SIGINT ends the command while it waits for input, as it ends the binary."""
    exe = cli()
    import signal

    proc = subprocess.Popen([exe, "--to", "tw"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    finally:
        proc.kill()
        proc.stdin.close()
    assert proc.returncode != 0
    assert b"KeyboardInterrupt" not in proc.stderr.read()


def test_examples_run(tmp_path):
    """examples/python/corpus_mapper.py over a small JSON Lines file."""
    data = tmp_path / "in.jsonl"
    rows = [{"id": i, "text": t} for i, t in enumerate(["业(yè)务", "<p>头发很长。</p>", "汉字"])]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    subprocess.run(
        [sys.executable, str(ROOT / "examples/python/corpus_mapper.py"), str(data), str(out), "--to", "tw"],
        check=True,
    )
    got = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in got] == [0, 1, 2]
    assert [r["text"] for r in got] == zhtidy.clean_batch([r["text"] for r in rows], to="tw")
    assert got[1]["text"].strip() == "頭髮很長。"
