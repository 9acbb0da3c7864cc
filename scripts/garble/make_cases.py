#!/usr/bin/env python3
"""Builds the repair benchmark: labelled cases of garbled Chinese text made from real clean text.

Clean text comes from sources nobody on the project wrote:
  - the Simplified and Traditional manual pages of Debian's manpages-zh (scripts/fetch-corpus.sh
    writes them to .cache/corpus/zh_CN.txt and zh_TW.txt; roff markup is removed here);
  - with --catalogs, the gettext catalogs installed under /usr/share/locale/zh_CN and zh_TW
    (msgstr texts) for the short lines; otherwise the short paragraphs of the manual pages.
Python's own codecs do the damage (`s.encode('big5').decode('gbk')`, cp1252, latin-1, double
UTF-8, `errors='replace'`, dropped bytes), plus entities, escapes, letter spacing, hard wraps,
Kangxi radicals, pinyin annotations (pypinyin, when installed) and a naive character-by-character
Simplified -> Traditional conversion from OpenCC's character table. Each family is applied at the
scales that occur: a span inside a clean sentence, a short line, a paragraph, a whole document.
Traps (text about garbling, written for this benchmark) and clean paragraphs are the controls:
they must come out unchanged.

Output: JSON Lines, one case per line:
  {"id", "family", "scale", "script", "input", "expected", "acceptable": [...], "lossless", "source"}
For lossy families `expected` has U+FFFD where the bytes are gone.

Usage: scripts/garble/make_cases.py [--out FILE] [--per-cell N] [--seed S]
Deterministic for a given corpus, seed and set of installed catalogs.
"""
import argparse
import codecs
import gettext
import glob
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def han_count(s):
    return len(HAN.findall(s))


# ---------------------------------------------------------------------------------------------
# Clean text

ROFF_ESCAPES = re.compile(r"\\f[BIRP]|\\f\(..|\\f\[[^\]]*\]|\\\(..|\\\[[^\]]*\]|\\[&|^%]|\\s[+-]?\d|\\\*\(..|\\\*.")


def roff_paragraphs(path):
    """Paragraphs of a concatenation of roff manual pages: text lines joined until a request
    (a line starting with '.') or a blank line ends them."""
    paras, cur = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith((".", "'")) or not line.strip():
                if cur:
                    paras.append("".join(cur))
                    cur = []
                continue
            line = ROFF_ESCAPES.sub("", line).replace("\\-", "-").replace("\\e", "\\")
            if "\\" in line or "\ufffd" in line:
                # Markup this cleaner does not know: leave the paragraph out.
                cur = []
                continue
            # Chinese lines of a paragraph join without a space; Latin words with one.
            if cur and not (HAN.search(cur[-1][-1:]) and HAN.search(line[:1])):
                cur.append(" ")
            cur.append(line.strip())
    if cur:
        paras.append("".join(cur))
    out = []
    for p in paras:
        p = re.sub(r"\s+", " ", p).strip()
        if 20 <= han_count(p) and han_count(p) >= len(p) * 0.5 and len(p) <= 600:
            out.append(p)
    return out


def catalog_lines(lang):
    """msgstr texts of the installed gettext catalogs: short, real UI text."""
    lines = []
    for mo in sorted(glob.glob(f"/usr/share/locale/{lang}/LC_MESSAGES/*.mo")):
        try:
            with open(mo, "rb") as f:
                cat = gettext.GNUTranslations(f)._catalog
        except Exception:
            continue
        for k, v in cat.items():
            if not isinstance(v, str) or not k:
                continue
            v = " ".join(v.split())
            if 6 <= han_count(v) <= 60 and han_count(v) >= len(v) * 0.5 and "%" not in v:
                lines.append(v)
    return sorted(set(lines))


# ---------------------------------------------------------------------------------------------
# Damage

def try_codec(text, enc_from, dec_to, errors="strict"):
    try:
        return text.encode(enc_from).decode(dec_to, errors=errors)
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def mojibake(enc_from, dec_to):
    def f(text, rng):
        return try_codec(text, enc_from, dec_to)
    return f


def double_utf8(text, rng):
    return text.encode("utf-8").decode("latin-1").encode("utf-8").decode("utf-8")


def lossy_replace(enc_from, dec_to):
    """Decoded with errors='replace': what a pipeline that replaced invalid bytes keeps."""
    def f(text, rng):
        bad = try_codec(text, enc_from, dec_to, errors="replace")
        if bad is None or "\ufffd" not in bad:
            return None
        return bad
    return f


def replaced_bytes(data, encoding):
    """Offsets of the bytes that decoding `data` as `encoding` with errors='replace' replaces."""
    lost = set()

    def record(err):
        lost.update(range(err.start, err.end))
        return ("\ufffd", err.end)

    codecs.register_error("zhtidy-garble-record", record)
    data.decode(encoding, errors="zhtidy-garble-record")
    return lost


def best_recovery(text, enc_from, dec_to):
    """The perfect repair of `text` garbled by lossy_replace(enc_from, dec_to): every character
    whose bytes all survived, U+FFFD for each one that lost a byte."""
    lost = replaced_bytes(text.encode(enc_from), dec_to)
    out, at = [], 0
    for ch in text:
        n = len(ch.encode(enc_from))
        out.append("\ufffd" if any(j in lost for j in range(at, at + n)) else ch)
        at += n
    return "".join(out)


def lost_byte(text, rng):
    """GBK bytes with one byte dropped inside the text, read back as GBK (errors='replace')."""
    try:
        b = bytearray(text.encode("gbk"))
    except UnicodeEncodeError:
        return None
    lead = [i for i in range(len(b)) if b[i] >= 0x81]
    if not lead:
        return None
    i = rng.choice(lead)
    del b[i]
    # The perfect repair (returned beside the damage): the character that lost the byte is gone,
    # and so is each one with a byte the decoder replaced (its value is not in the text); every
    # other one can be read again once the frame is found.
    lost = {i} | {j if j < i else j + 1 for j in replaced_bytes(bytes(b), "gbk")}
    out, at = [], 0
    for ch in text:
        n = len(ch.encode("gbk"))
        out.append("\ufffd" if any(j in lost for j in range(at, at + n)) else ch)
        at += n
    return b.decode("gbk", errors="replace"), "".join(out)


def entity_numeric(text, rng):
    hexa = rng.random() < 0.5
    return "".join((f"&#x{ord(c):x};" if hexa else f"&#{ord(c)};") if HAN.match(c) else c for c in text)


NAMED = {"“": "&ldquo;", "”": "&rdquo;", "—": "&mdash;", "&": "&amp;", "\u00a0": "&nbsp;",
         "…": "&hellip;", "·": "&middot;"}


def entity_named(text, rng):
    if not any(c in NAMED for c in text):
        return None
    return "".join(NAMED.get(c, c) for c in text)


def escape_json(text, rng):
    return "".join(f"\\u{ord(c):04x}" if ord(c) > 0x7F and ord(c) < 0x10000 else c for c in text)


def escape_url(text, rng):
    return "".join("".join(f"%{b:02X}" for b in c.encode("utf-8")) if ord(c) > 0x7F else c for c in text)


def spaced(sep):
    def f(text, rng):
        if " " in text or len(text) < 4:
            return None
        return sep.join(text)
    return f


def load_radicals():
    """Unified ideograph -> its Kangxi or supplement radical (Unicode's EquivalentUnifiedIdeograph)."""
    m = {}
    path = os.path.join(ROOT, "data/unicode/EquivalentUnifiedIdeograph.txt")
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#")[0].strip()
            if not line:
                continue
            cps, target = [x.strip() for x in line.split(";")]
            lo, _, hi = cps.partition("..")
            for cp in range(int(lo, 16), int(hi or lo, 16) + 1):
                m.setdefault(chr(int(target, 16)), chr(cp))
    return m


RADICALS = load_radicals()


def radical_dup(text, rng):
    """PDF extraction that emits the radical and then the unified character (⽅方法)."""
    if not any(c in RADICALS for c in text):
        return None
    return "".join(RADICALS[c] + c if c in RADICALS and rng.random() < 0.6 else c for c in text)


def load_st_chars():
    """OpenCC's Simplified -> Traditional character table (first choice) and its reverse."""
    st, ts = {}, {}
    for name, table in [("STCharacters.txt", st), ("TSCharacters.txt", ts)]:
        with open(os.path.join(ROOT, "dict/opencc", name), encoding="utf-8") as f:
            for line in f:
                if "\t" in line:
                    k, v = line.rstrip("\n").split("\t")
                    table[k] = v.split()[0]
    return st, ts


ST, TS = load_st_chars()


def naive_s2t(text, rng):
    """Traditional text taken to Simplified and back one character at a time (OpenCC's character
    tables, first choices): the phrase-level choices go wrong (頭髮 -> 头发 -> 頭發)."""
    simp = "".join(TS.get(c, c) for c in text)
    back = "".join(ST.get(c, c) for c in simp)
    return back if back != text else None


try:
    from pypinyin import pinyin as _pinyin, Style as _Style
except ImportError:
    _pinyin = None


def pinyin_annotation(text, rng):
    """Readings glued after characters outside GB2312, as scraped Traditional pages show them
    (業(yè)務)."""
    if _pinyin is None:
        return None
    out, changed = [], False
    for c in text:
        out.append(c)
        if HAN.match(c):
            try:
                c.encode("gb2312")
                continue
            except UnicodeEncodeError:
                pass
            reading = _pinyin(c, style=_Style.TONE)[0][0]
            out.append(f"({reading})")
            changed = True
    return "".join(out) if changed else None


FLAT = {"，": ",", "；": ";", "：": ":", "！": "!", "？": "?", "（": "(", "）": ")"}


def pinyin_and_punctuation(text, rng):
    """The seeds' kind: annotations and full-width punctuation flattened to ASCII."""
    annotated = pinyin_annotation(text, rng)
    if annotated is None:
        return None
    return "".join(FLAT.get(c, c) for c in annotated)


def debug_fill(text, rng):
    at = rng.randrange(len(text) + 1)
    return text[:at] + "烫" * rng.randint(3, 8) + text[at:]


def hard_wrap(text, rng):
    width = rng.randint(18, 36)
    if len(text) <= width + 4:
        return None
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


# family -> (damage, script (S, T or both), lossless, scales)
ALL_SCALES = ["span", "line", "paragraph", "document"]
FAMILIES = {
    "entity_numeric": (entity_numeric, "both", True, ALL_SCALES),
    "entity_named": (entity_named, "both", True, ["line", "paragraph"]),
    "escape_json": (escape_json, "both", True, ALL_SCALES),
    "escape_url": (escape_url, "both", True, ["span", "line"]),
    "utf8_as_gbk": (mojibake("utf-8", "gbk"), "both", True, ALL_SCALES),
    "utf8_as_big5": (mojibake("utf-8", "big5"), "both", True, ALL_SCALES),
    "utf8_as_cp1252": (mojibake("utf-8", "cp1252"), "both", True, ALL_SCALES),
    "utf8_as_latin1": (mojibake("utf-8", "latin-1"), "both", True, ALL_SCALES),
    "double_utf8": (double_utf8, "both", True, ALL_SCALES),
    "big5_as_gbk": (mojibake("big5", "gbk"), "T", True, ALL_SCALES),
    "gbk_as_big5": (mojibake("gbk", "big5"), "S", True, ALL_SCALES),
    "gbk_as_latin1": (mojibake("gbk", "latin-1"), "S", True, ALL_SCALES),
    "gbk_as_cp1252": (mojibake("gbk", "cp1252"), "S", True, ALL_SCALES),
    "big5_as_latin1": (mojibake("big5", "latin-1"), "T", True, ALL_SCALES),
    "big5_as_cp1252": (mojibake("big5", "cp1252"), "T", True, ALL_SCALES),
    "utf8_as_gbk_replaced": (lossy_replace("utf-8", "gbk"), "both", False, ["span", "line", "paragraph"]),
    "utf8_as_big5_replaced": (lossy_replace("utf-8", "big5"), "both", False, ["span", "line", "paragraph"]),
    "gbk_as_utf8_replaced": (lossy_replace("gbk", "utf-8"), "S", False, ["line", "paragraph"]),
    "lost_byte": (lost_byte, "both", False, ["line", "paragraph"]),
    "letter_spacing_ideographic": (spaced("\u3000"), "both", True, ["line"]),
    "letter_spacing_space": (spaced(" "), "both", True, ["span", "line"]),
    "radical_duplicate": (radical_dup, "both", True, ["span", "line", "paragraph"]),
    "naive_s2t": (naive_s2t, "T", True, ["line", "paragraph"]),
    "pinyin_annotation": (pinyin_annotation, "T", True, ["line", "paragraph", "document"]),
    "pinyin_and_punctuation": (pinyin_and_punctuation, "T", True, ["line", "paragraph", "document"]),
    "debug_fill": (debug_fill, "both", True, ["span", "line"]),
    "hard_wrap": (hard_wrap, "both", True, ["paragraph", "document"]),
}

# Text about garbling and readings, written for this benchmark: it must stay as it is.
TRAPS = [
    "「樂」有兩個讀音：樂(yuè)器的樂，快樂(lè)的樂。",
    "多音字“行”在银行(háng)和行(xíng)走里读音不同。",
    "網頁原始碼裡的 &#20013; 是「中」的數字字元參照，&amp; 則代表 & 本身。",
    "在 HTML 里，&nbsp; 表示不换行空格，&lt;p&gt; 会显示为 <p>。",
    "用錯誤的編碼開啟 UTF-8 檔案時，「中文」會顯示為“ä¸­æ–‡”這樣的亂碼。",
    "把 GBK 文件当成 UTF-8 读，会看到“锟斤拷”一类的字样，这就是常说的乱码。",
    "VC 的调试堆用 0xCC 填充未初始化的栈内存，在 GBK 下显示成“烫烫烫”。",
    "JSON 字符串里可以写 \\u4e2d\\u6587 来表示“中文”两个字。",
    "URL 编码后，“中”会写成 %E4%B8%AD，浏览器地址栏里常见。",
    "康熙部首“⽅”（U+2F45）和统一汉字“方”看起来一样，编码却不同。",
    "日本語の「文字化け」は、中国語では「乱码」と呼ばれる。",
    "床前明月光\n疑是地上霜\n舉頭望明月\n低頭思故鄉",
    "的 完整 的 文档 请 参阅 手册 页 中 的 说明",
    "本 程式 會 讀取 設定 檔 並 顯示 結果",
    "頭髮和發展的「发」在簡體字裡是同一個字。",
    "他用拼音标注：中国(zhōng guó)、北京(běi jīng)。",
    "選項 -o, --output 指定輸出檔案; -v 顯示詳細訊息: 預設關閉!",
    "格式：zhtidy [选项] 文件...（详见 --help）",
    "符號　之　間　的　全形空格　常見於　舊式排版　的　標題",
    "這一段文字裡的 Big5 與 GBK 編碼之爭，曾讓許多網站顯示出「��」。",
    # Readings taught on purpose.
    "「行」在「銀行(háng)」和「行(xíng)人」裡讀音不同。",
    "「長」字有兩種讀法：長(cháng)短的長，長(zhǎng)大的長。",
    "「說」在「遊說(shuì)」裡念作 shuì，在「說(shuō)話」裡念作 shuō。",
    "「覺」是多音字：覺(jué)得、睡覺(jiào)。",
    "这个字的拼音是 lǜ，例如「綠(lǜ)色」。",
    "課本在生字後面用括號注音，如「薔(qiáng)薇(wēi)」。",
    # References and escapes explained.
    "在 XML 中，&#x4e2d; 和 &#20013; 都代表「中」這個字。",
    "网页里的 &ldquo; 和 &rdquo; 分别是左右双引号的实体。",
    "寫 &lt;br&gt; 就能在頁面上顯示出 <br> 這幾個字元。",
    "把「中文」写成 \\u4e2d\\u6587，就是 JSON 的转义写法。",
    "瀏覽器會把網址裡的「中」轉成 %E4%B8%AD 再送出。",
    # Mojibake quoted to explain it.
    "UTF-8 的「中文」被當成 GBK 解碼，就會變成「涓枃」這樣的亂碼。",
    "如果用 Latin-1 解码 GBK 的“中文”，就会看到“ÖÐÎÄ”这样的乱码。",
    "Big5 的「中文」用 Latin-1 解碼，顯示為「¤¤¤å」。",
    "早期论坛常见的“锟斤拷”乱码，来自 U+FFFD 的 UTF-8 字节被当成 GBK 解码。",
    "調試版程式把未初始化的堆積填成 0xCD，在中文系統上顯示為「屯屯屯」。",
    "编码出错时，页面上会出现“ï»¿”这样的字节顺序标记残留。",
    # Radicals and compatibility characters explained.
    "康熙部首「⼈」(U+2F08) 與「人」(U+4EBA) 外觀相同，卻是不同的碼位。",
    "相容表意字「﨑」在正規化後會變成「崎」，檢索時要注意。",
    # Poems and verse, one line each.
    "白日依山尽\n黄河入海流\n欲穷千里目\n更上一层楼",
    "春眠不覺曉\n處處聞啼鳥\n夜來風雨聲\n花落知多少",
    "大江东去，浪淘尽，千古风流人物。\n故垒西边，人道是，三国周郎赤壁。",
    # Word-segmented text and spaced headings.
    "这 是 一 个 分词 后 的 句子 ， 每 个 词 之间 都 有 空格 。",
    "使用 者 可以 在 設定 中 變更 語言",
    "第　一　章　　總　則",
    "目　　录",
    # ASCII marks by choice.
    "用法: zhtidy [選項] 檔案; 詳見 man zhtidy!",
    "注意:此選項會覆寫原檔,請先備份。",
    "参数: -n, --lines NUM; 默认: 10",
    # Simplified and Traditional discussed.
    "「後」和「后」在簡化字裡合併了，所以「皇后」不能轉成「皇後」。",
    "繁體的「發」與「髮」在簡體都寫作「发」，轉換時要看上下文。",
    "简体的“干”对应繁体的“乾”“幹”“榦”，不能一对一转换。",
]


# The lossy codec families: (encoded with, decoded as).
LOSSY_CODECS = {"utf8_as_gbk_replaced": ("utf-8", "gbk"), "utf8_as_big5_replaced": ("utf-8", "big5")}


def split_damage(family, clean, damaged):
    """(garbled text, [its perfect repair when that is not `clean`]) from a damage function's
    result (a string, None, or a pair of garbled text and perfect repair)."""
    if damaged is None:
        return None, []
    if isinstance(damaged, tuple):
        return damaged[0], [damaged[1]]
    if family in LOSSY_CODECS:
        return damaged, [best_recovery(clean, *LOSSY_CODECS[family])]
    return damaged, []


def take(pool, rng, n):
    return [pool[i] for i in rng.sample(range(len(pool)), min(n, len(pool)))]


def span_of(text, rng):
    """A span of 6-16 Han characters inside a clean sentence: (before, span, after)."""
    m = [mo.start() for mo in HAN.finditer(text)]
    if len(m) < 24:
        return None
    n = rng.randint(6, 16)
    i = rng.randrange(len(m) - n)
    a, b = m[i], m[i + n - 1] + 1
    return text[:a], text[a:b], text[b:]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="-")
    ap.add_argument("--per-cell", type=int, default=30, help="cases per family, scale and script")
    ap.add_argument("--seed", type=int, default=20261204)
    ap.add_argument("--corpus", default=os.path.join(ROOT, ".cache/corpus"))
    ap.add_argument("--catalogs", action="store_true",
                    help="take short lines from the machine's gettext catalogs (machine-dependent: "
                         "not for the CI floor)")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    pools = {}
    for script, lang in [("S", "zh_CN"), ("T", "zh_TW")]:
        path = os.path.join(args.corpus, f"{lang}.txt")
        if not os.path.exists(path):
            sys.exit(f"{path} missing: run scripts/fetch-corpus.sh")
        paras = roff_paragraphs(path)
        catalogs = catalog_lines(lang) if args.catalogs else []
        lines = catalogs or [p for p in paras if han_count(p) <= 40]
        pools[script] = {"paragraph": paras, "line": lines}
        print(f"{lang}: {len(paras)} paragraphs from manpages-zh, {len(lines)} short lines "
              f"({'gettext catalogs' if catalogs else 'manpages-zh'})", file=sys.stderr)

    cases = []

    def add(family, scale, script, inp, exp, lossless, source, acceptable=()):
        cases.append({"id": f"{family}/{scale}/{script}/{len(cases)}", "family": family,
                      "scale": scale, "script": script, "input": inp, "expected": exp,
                      "acceptable": list(acceptable), "lossless": lossless, "source": source})

    for family, (damage, scripts, lossless, scales) in FAMILIES.items():
        for script in (["S", "T"] if scripts == "both" else [scripts]):
            pool = pools[script]
            for scale in scales:
                made, tries = 0, 0
                while made < args.per_cell and tries < args.per_cell * 40:
                    tries += 1
                    best = ()
                    if scale == "document":
                        paras = take(pool["paragraph"], rng, rng.randint(4, 8))
                        clean = "\n".join(paras)
                        bad, best = split_damage(family, clean, damage(clean, rng))
                        if bad is None:
                            continue
                        if family == "hard_wrap":
                            bad = "\n\n".join(hard_wrap(p, rng) or p for p in paras)
                            clean = "\n\n".join(paras)
                        inp, exp = bad + "\n", clean + "\n"
                    elif scale in ("paragraph", "line"):
                        clean = rng.choice(pool[scale])
                        bad, best = split_damage(family, clean, damage(clean, rng))
                        if bad is None:
                            continue
                        inp, exp = bad + "\n", clean + "\n"
                    else:
                        clean = rng.choice(pool["paragraph"])
                        parts = span_of(clean, rng)
                        if parts is None:
                            continue
                        before, span, after = parts
                        bad, best = split_damage(family, span, damage(span, rng))
                        if bad is None or bad == span:
                            continue
                        inp, exp = before + bad + after + "\n", clean + "\n"
                        best = [before + b + after for b in best]
                    if inp == exp:
                        continue
                    # A lossy case's perfect repair keeps U+FFFD where bytes are gone: acceptable.
                    acceptable = [b + "\n" for b in best if b + "\n" != exp]
                    add(family, scale, script, inp, exp, lossless,
                        "gettext" if scale == "line" and args.catalogs else "manpages-zh", acceptable)
                    made += 1

    # Controls: clean paragraphs and lines of both scripts, and the traps.
    for script in ["S", "T"]:
        for p in take(pools[script]["paragraph"], rng, args.per_cell * 4):
            add("clean", "paragraph", script, p + "\n", p + "\n", True, "manpages-zh")
        for p in take(pools[script]["line"], rng, args.per_cell * 4):
            add("clean", "line", script, p + "\n", p + "\n", True, "gettext" if args.catalogs else "manpages-zh")
    # Controls from text people translated into each script (LibreOffice, Firefox, Thunderbird,
    # Debian guides; scripts/fetch-corpus.sh): other writers, other habits than the manual pages.
    for script, lang in [("S", "zh_CN"), ("T", "zh_TW")]:
        path = os.path.join(args.corpus, f"more-{lang}.txt")
        if not os.path.exists(path):
            print(f"{path} missing: no translated-text controls", file=sys.stderr)
            continue
        with open(path, encoding="utf-8") as f:
            # Strings with markup (`<b>…</b>`) are the HTML stage's input, not repair's.
            lines = [l.rstrip("\n") for l in f if han_count(l) >= 8 and "<" not in l]
        for p in take(lines, rng, args.per_cell * 8):
            add("clean", "translated", script, p + "\n", p + "\n", True, f"more-{lang}")
    for t in TRAPS:
        script = "T" if any(c in t for c in "體樂網與這裡個讀選項頭髮") else "S"
        add("trap", "line", script, t + "\n", t + "\n", True, "written for this benchmark")

    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    for c in cases:
        out.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
