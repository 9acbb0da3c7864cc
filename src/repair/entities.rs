//! `html_entity`: HTML character references left in plain text (`通&#36942;`, `&nbsp;`).
//!
//! **What it detects.** Forms that could only store GB2312 posted other characters as numeric
//! references, and pages that escaped their text. We decode runs of references (written one
//! after the other): `&#NNNN;` and `&#xHHHH;` when the character is Han or CJK punctuation, and
//! the common named ones (`&nbsp; &amp; &lt; &gt; &quot; &ldquo; &rdquo; &lsquo; &rsquo; &hellip;
//! &mdash; &ndash; &middot; &emsp; &ensp;`), when the run is glued to Chinese text (a Han
//! character or sentence punctuation beside it), holds two or more Han references, or stands on
//! a line with no Chinese of its own that references spell out. On a line where Han characters
//! were decoded, the named references are decoded too; on a line with a pair of quotation
//! references around a short quotation (`&ldquo;后处理&rdquo;`), every typographic one is
//! (not `&lt; &gt; &amp; &quot;`), unless the line names references or encodings. `&amp;` in
//! Chinese prose is decoded when the line writes no `&` of its own, quotes no `&lt;` or `&gt;`
//! and names neither markup nor encodings. Lines with markup (`<` followed by a
//! letter or `/`) are left to the `html` stage.
//!
//! **Why it is safe.** Chinese prose does not contain these sequences; HTML source (with tags)
//! is left to the `html` stage.
//!
//! `&lt; &gt; &amp; &quot;` alone (without a Han reference on the line) are left: technical text
//! quotes them (`&lt;a@b.c&gt;完成` in a manual page).
//!
//! **Known false positives.** Prose about typographic references that glues one to Chinese text
//! (`寫成&nbsp;即可`). A reference set apart by spaces or quotes (`的 &#20013; 是「中」`,
//! `「&amp;」`) is left, and listed as unsure; so is every reference on a line that also quotes
//! the character a reference stands for (`&#x4e2d; 和 &#20013; 都代表「中」`).

use super::escapes::glue;
use super::model::{is_cjk_punct, is_han};
use super::{discussion, Found};

const NAMED: &[(&str, char)] = &[
    ("nbsp", '\u{A0}'),
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("hellip", '…'),
    ("mdash", '—'),
    ("ndash", '–'),
    ("middot", '·'),
    ("emsp", '\u{2003}'),
    ("ensp", '\u{2002}'),
];

/// One reference on the line: its byte range, what it decodes to, and whether it is numeric.
struct Ref {
    start: usize,
    end: usize,
    decoded: Option<String>,
    numeric: bool,
}

pub(crate) fn find(line: &str) -> Found {
    let mut found = Found::none();
    if !line.contains('&') {
        return found;
    }
    let b = line.as_bytes();
    if b.windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/'))
    {
        return found;
    }
    let mut refs = Vec::new();
    let mut i = 0;
    while let Some(off) = line[i..].find('&') {
        let start = i + off;
        i = start + 1;
        let Some(len) = line[start..].find(';').filter(|&l| l <= 10) else {
            continue;
        };
        let body = &line[start + 1..start + len];
        let (decoded, numeric) = if let Some(num) = body.strip_prefix('#') {
            let value = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse::<u32>().ok(),
            };
            let c = value
                .and_then(char::from_u32)
                .filter(|c| is_han(*c) || is_cjk_punct(*c));
            (c.map(String::from), true)
        } else {
            let c = NAMED
                .iter()
                .find(|(n, _)| *n == body)
                .map(|(_, c)| c.to_string());
            (c, false)
        };
        refs.push(Ref {
            start,
            end: start + len + 1,
            decoded,
            numeric,
        });
        i = start + len + 1;
    }
    let numeric_han = |r: &Ref| r.numeric && r.decoded.is_some();
    let total_numeric = refs.iter().filter(|r| numeric_han(r)).count();
    let own_han = line.chars().any(is_han);
    // Runs of references written one after the other.
    let mut k = 0;
    let mut decoded_numeric = false;
    while k < refs.len() {
        let mut e = k + 1;
        while e < refs.len() && refs[e].start == refs[e - 1].end {
            e += 1;
        }
        let run = &refs[k..e];
        let before = line[..run[0].start].chars().next_back();
        let after = line[run[e - k - 1].end..].chars().next();
        let numeric = run.iter().filter(|r| numeric_han(r)).count();
        // Named references only: glued to Chinese text on one side and to text (not a space)
        // on the other, as residue sits inside a sentence (`說&ldquo;你好`); one set off by a
        // space (`，&amp; 則代表`) is quoted by prose about it.
        let spaced = |c: Option<char>| c.is_some_and(char::is_whitespace);
        // `&lt; &gt; &amp; &quot;` are what technical text quotes (`<a@b.c>` written as
        // `&lt;a@b.c&gt;`): alone, without a Han reference, they are not residue.
        let typographic = run.iter().all(|r| {
            r.numeric || !matches!(&line[r.start..r.end], "&lt;" | "&gt;" | "&amp;" | "&quot;")
        });
        let glued = (before.is_some_and(glue) || after.is_some_and(glue))
            && (numeric > 0 || (typographic && !(spaced(before) || spaced(after))));
        // Glued to Chinese text, or several Han characters written as references one after
        // the other, or a line with no Chinese of its own that references spell out: residue.
        // A lone reference set apart by spaces or quotes is prose about references.
        let decode = (glued && run.iter().any(|r| r.decoded.is_some()))
            || numeric >= 2
            || (!own_han && total_numeric >= 2);
        if decode {
            for r in run {
                if let Some(d) = &r.decoded {
                    found.edits.push((r.start, r.end, d.clone()));
                    decoded_numeric |= r.numeric;
                }
            }
        } else if own_han && run.iter().any(|r| r.decoded.is_some()) {
            found.unsure.push((
                run[0].start,
                line[run[0].start..run[e - k - 1].end].to_string(),
            ));
        }
        k = e;
    }
    // The form-posting signature: with Han characters posted as references, the named ones on
    // the line are residue too.
    if decoded_numeric {
        for r in refs.iter().filter(|r| !r.numeric && r.decoded.is_some()) {
            if !found.edits.iter().any(|e| e.0 == r.start) {
                found
                    .edits
                    .push((r.start, r.end, r.decoded.clone().expect("decoded")));
            }
        }
    }
    // Quotation marks come in pairs: `&ldquo;后处理&rdquo;` (a short quotation between an
    // opening and a closing reference, no other reference inside) is residue on a line that
    // does not talk about references; so, once one is decoded, is every other typographic
    // reference on the line.
    if !discussion::about_encodings(line) {
        let pair = |open: &str, close: &str| {
            refs.iter().enumerate().any(|(k, r)| {
                &line[r.start..r.end] == open
                    && refs.get(k + 1).is_some_and(|n| {
                        &line[n.start..n.end] == close && line[r.end..n.start].chars().count() <= 40
                    })
            })
        };
        if pair("&ldquo;", "&rdquo;") || pair("&lsquo;", "&rsquo;") {
            for r in refs.iter().filter(|r| !r.numeric && r.decoded.is_some()) {
                let typographic =
                    !matches!(&line[r.start..r.end], "&lt;" | "&gt;" | "&amp;" | "&quot;");
                if typographic && !found.edits.iter().any(|e| e.0 == r.start) {
                    found
                        .edits
                        .push((r.start, r.end, r.decoded.clone().expect("decoded")));
                }
            }
        }
    }
    // `&amp;` in Chinese prose is text escaped once too often (`参数1 &amp; 参数2`): residue on a
    // line of Han text where it is not quoted (`寫成「&amp;」`), that writes no `&` of its own (prose about the reference shows what it
    // stands for), quotes no `&lt;` or `&gt;` (a manual page's `&lt;a@b.c&gt;`), and names
    // neither markup nor encodings.
    // Not glued to a word before it: `\fB&amp;\fR` is markup of another kind.
    let amp = |r: &Ref| {
        &line[r.start..r.end] == "&amp;"
            && !line[..r.start]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '\\')
    };
    if own_han
        && refs.iter().any(amp)
        && !refs
            .iter()
            .any(|r| amp(r) && discussion::quoted(line, r.start, r.end))
        && line.matches('&').count() == refs.len()
        && !refs
            .iter()
            .any(|r| matches!(&line[r.start..r.end], "&lt;" | "&gt;"))
        && !discussion::about_encodings(line)
        && !discussion::about_markup(line)
    {
        for r in refs.iter().filter(|r| amp(r)) {
            if !found.edits.iter().any(|e| e.0 == r.start) {
                found.edits.push((r.start, r.end, "&".into()));
            }
        }
    }
    // A line that quotes what a reference stands for explains the reference.
    if found
        .edits
        .iter()
        .any(|(_, _, d)| d.chars().any(is_han) && discussion::quotes(line, d))
    {
        found.hold_back(line, "a line that quotes what a reference stands for");
    }
    found.edits.sort_by_key(|e| e.0);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(s: &str) -> String {
        find(s).apply(s)
    }

    #[test]
    fn decodes_residue() {
        assert_eq!(fix("通&#36942;審查"), "通過審查");
        assert_eq!(fix("通&#x904E;審查"), "通過審查");
        assert_eq!(
            fix("通&#36942;&nbsp;空格&ldquo;引號&rdquo;"),
            "通過\u{A0}空格“引號”"
        );
        assert_eq!(fix("中文&nbsp;空格"), "中文\u{A0}空格", "glued to Han text");
        assert_eq!(fix("&#x4e2d;&#x6587;"), "中文", "a line of references");
        assert_eq!(fix("&#20013;&#25991;，很好"), "中文，很好");
        assert_eq!(
            fix("输出格式和 &ldquo;后处理&rdquo; 系统"),
            "输出格式和 “后处理” 系统",
            "a pair of quotation references"
        );
        assert_eq!(
            fix("&ldquo;点&rdquo; (``point'') 是单位&hellip;"),
            "“点” (``point'') 是单位…"
        );
        assert_eq!(
            fix("网页里的 &ldquo;和&rdquo; 是引号的实体"),
            "网页里的 &ldquo;和&rdquo; 是引号的实体",
            "a line about references"
        );
        assert_eq!(fix("参数1 &amp; 参数2 都不是 0"), "参数1 & 参数2 都不是 0");
        assert_eq!(fix("當你用 &amp;foo() 呼叫"), "當你用 &foo() 呼叫");
        for same in [
            "在 HTML 里 &amp; 要这样写",
            "&amp; 則代表 & 本身",
            "作者 &lt;a@b.c&gt; 与 &amp; 符号",
            "only ascii &amp; here",
            "而不填加 \\fB&amp;\\fR 来在后台运行",
        ] {
            assert_eq!(fix(same), same);
        }
    }

    #[test]
    fn leaves_markup_ascii_and_latin() {
        for s in [
            "<p>中文&#36942;</p>",
            "AT&T",
            "a &amp; b",
            "中文&#65;",
            "中文 & 英文",
            "中文&unknown;",
            "記數法e&#177;zz",
            "網頁原始碼裡的 &#20013; 是「中」的數字字元參照，&amp; 則代表 & 本身。",
            "寫成「&amp;」即可",
            "该程序由 Henry Ware &lt;all72@yfn.ysu.edu&gt;完成",
            "&#20013;",
        ] {
            assert_eq!(fix(s), s, "{s}");
        }
    }
}
