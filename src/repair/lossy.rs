//! `lossy_mojibake`: UTF-8 read as GBK or Big5 by a decoder that replaced what it could not
//! decode (`杩欐槸涓�涓�鏆傛椂` -> `这是��暂时`).
//!
//! **What it detects.** A run of Han characters and U+FFFD. Each replacement character stands
//! for one byte the decoder could not place (Python's codecs and most tools replace byte by
//! byte); every other character gives back its bytes in the wrong encoding. We look for the
//! stretch of the run, around its replacement characters, whose bytes are UTF-8 with those
//! bytes unknown: a character whose bytes are all known is recovered, a character with an
//! unknown byte becomes one U+FFFD. UTF-8 says which byte is a lead and which a continuation,
//! so the unknown bytes can be placed (the parse that needs the fewest U+FFFD wins).
//!
//! **Why it is safe.** The run already holds U+FFFD, so something went wrong with it. The
//! recovered characters must all be Chinese (Han, CJK punctuation, full-width forms), and the
//! stretch must become plausible Chinese where it was not (common words, with the margin the
//! `mojibake` fix asks of a run of that length). A line that talks about encodings and quotes
//! the run is left (see `discussion`).
//!
//! **Known false positives.** None seen on clean text (it holds no U+FFFD). Not repaired: GBK
//! read as UTF-8 (`����Ҫ`): UTF-8 replaces most of the bytes, and what is left cannot place a
//! character; U+FFFD that stand for two bytes each (one decoder's choice for an invalid pair).

use encoding_rs::{Encoding, BIG5, GBK};

use super::model::{is_chinese, is_uncommon, plausibility};
use super::{discussion, Found};
use crate::text::codes::table_encoder;

/// How far from its outer replacement characters a stretch may reach, in characters.
const REACH: usize = 24;
/// The longest run whose stretches are searched, in characters.
const MAX_SEARCHED: usize = 400;

/// The bytes of `s` in `enc`, U+FFFD as an unknown byte; `None` if a character has no code.
fn tokens(enc: &'static Encoding, s: &str) -> Option<Vec<Option<u8>>> {
    let push = table_encoder(enc)?;
    let mut out = Vec::with_capacity(s.len());
    let mut buf = Vec::with_capacity(4);
    for c in s.chars() {
        if c == '\u{FFFD}' {
            out.push(None);
            continue;
        }
        buf.clear();
        if !push(c, &mut buf) {
            return None;
        }
        out.extend(buf.iter().map(|&b| Some(b)));
    }
    Some(out)
}

/// The length of a UTF-8 sequence that `b` leads, if it leads one.
fn lead_len(b: u8) -> Option<usize> {
    match b {
        0xC2..=0xDF => Some(2),
        0xE0..=0xEF => Some(3),
        0xF0..=0xF4 => Some(4),
        _ => None,
    }
}

/// Reads `toks` as UTF-8 with unknown bytes, the way that needs the fewest U+FFFD; `None` if
/// no way works, or one recovers a character that is not Chinese. ASCII bytes are not expected
/// (the run has none) and fail the parse.
fn parse(toks: &[Option<u8>]) -> Option<String> {
    let n = toks.len();
    // best[i]: (U+FFFD count, sequence length chosen) for toks[i..].
    let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    best[n] = Some((0, 0));
    let cont = |t: Option<u8>| t.is_none_or(|b| (0x80..=0xBF).contains(&b));
    for i in (0..n).rev() {
        let mut here: Option<(usize, usize)> = None;
        for len in [3usize, 2, 4] {
            if i + len > n || best[i + len].is_none() {
                continue;
            }
            let seq = &toks[i..i + len];
            let lead_ok = seq[0].is_none_or(|b| lead_len(b) == Some(len));
            if !lead_ok || !seq[1..].iter().all(|&t| cont(t)) {
                continue;
            }
            let cost = if seq.iter().all(Option::is_some) {
                let bytes: Vec<u8> = seq.iter().map(|t| t.expect("known")).collect();
                match std::str::from_utf8(&bytes) {
                    Ok(s) if s.chars().all(is_chinese) => 0,
                    _ => continue,
                }
            } else {
                1
            };
            let total = cost + best[i + len].expect("checked").0;
            if here.is_none_or(|(c, _)| total < c) {
                here = Some((total, len));
            }
        }
        best[i] = here;
    }
    best[0]?;
    let mut out = String::new();
    let mut i = 0;
    while i < n {
        let (_, len) = best[i].expect("on the best path");
        let seq = &toks[i..i + len];
        if seq.iter().all(Option::is_some) {
            let bytes: Vec<u8> = seq.iter().map(|t| t.expect("known")).collect();
            out.push_str(std::str::from_utf8(&bytes).expect("checked"));
        } else {
            out.push('\u{FFFD}');
        }
        i += len;
    }
    Some(out)
}

/// The recovery of `stretch` that reads best, with its plausibility gain. `None` too when the
/// stretch does not look garbled: a quarter or more of its other characters must be uncommon
/// ones (outside GB2312 and Big5 level 1, where wrong decodings land), and they must not form
/// words. So a recovered stretch, read again, stays as it is, and U+FFFD alone is left.
fn recover(stretch: &str) -> Option<(f64, String)> {
    let (mut n, mut uncommon) = (0usize, 0usize);
    for c in stretch.chars().filter(|&c| c != '\u{FFFD}') {
        n += 1;
        uncommon += usize::from(is_uncommon(c));
    }
    if n == 0 || uncommon * 4 < n {
        return None;
    }
    let as_is = plausibility(stretch);
    if as_is > 2.0 * (n as f64).sqrt() {
        return None;
    }
    [GBK, BIG5]
        .into_iter()
        .filter_map(|enc| parse(&tokens(enc, stretch)?))
        .map(|fixed| (plausibility(&fixed) - as_is, fixed))
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// Whether `gain` is enough for a recovery with `known` recovered characters (the margin of
/// the `mojibake` fix: it grows as the run shrinks).
fn enough(gain: f64, known: usize) -> bool {
    let m = known.max(2) as f64;
    gain >= 12.0 + 48.0 / m
}

pub(crate) fn find(line: &str) -> Found {
    let mut found = Found::none();
    if !line.contains('\u{FFFD}') {
        return found;
    }
    // Runs of non-ASCII, non-space characters holding a U+FFFD.
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    // Runs not decided on their own: with a replacement character (`weak`) or without (`plain`,
    // left by the `mojibake` fix as too short to tell).
    let mut weak = Vec::new();
    let mut plain = Vec::new();
    // The best stretch of each run with a replacement character that did not clear the margin.
    let mut stretches: Vec<(usize, usize, f64, String)> = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let part = |c: char| !c.is_ascii() && !c.is_whitespace();
        if !part(chars[k].1) {
            k += 1;
            continue;
        }
        let start = k;
        while k < chars.len() && part(chars[k].1) {
            k += 1;
        }
        let run = &chars[start..k];
        let holes: Vec<usize> = (0..run.len()).filter(|&j| run[j].1 == '\u{FFFD}').collect();
        let (Some(&first), Some(&last)) = (holes.first(), holes.last()) else {
            let end = chars.get(k).map_or(line.len(), |c| c.0);
            plain.push((run[0].0, end));
            continue;
        };
        // Stretches from a start before the first hole to an end after the last: the run's own
        // ends and every boundary within REACH of the holes (a long run is read whole only, so
        // the work stays linear in the line).
        let near = run.len() <= MAX_SEARCHED;
        let starts: Vec<usize> = (first.saturating_sub(REACH)..=first)
            .filter(|_| near)
            .chain(std::iter::once(0))
            .collect();
        let ends: Vec<usize> = (last + 1..=(last + 1 + REACH).min(run.len()))
            .filter(|_| near)
            .chain(std::iter::once(run.len()))
            .collect();
        let at = |j: usize| {
            run.get(j)
                .map_or(chars.get(k).map_or(line.len(), |c| c.0), |c| c.0)
        };
        // The stretch that gains most; and the whole run's reading, for the second pass.
        let mut best: Option<(f64, usize, usize, String)> = None;
        // The stretch that gains most without the margin, and the whole run's reading, for the
        // second pass.
        let mut best_any: Option<(f64, usize, usize, String)> = None;
        let mut whole: Option<(f64, String)> = None;
        for &s in &starts {
            for &e in &ends {
                let (a, b) = (at(s), at(e));
                let Some((gain, fixed)) = recover(&line[a..b]) else {
                    continue;
                };
                let known = fixed.chars().filter(|&c| c != '\u{FFFD}').count();
                if known > 0 && enough(gain, known) && best.as_ref().is_none_or(|x| gain > x.0) {
                    best = Some((gain, a, b, fixed.clone()));
                }
                if (s, e) == (0, run.len()) {
                    whole = Some((gain, fixed.clone()));
                }
                if best_any.as_ref().is_none_or(|x| gain > x.0) {
                    best_any = Some((gain, a, b, fixed));
                }
            }
        }
        let (a, b) = (at(0), at(run.len()));
        if discussion::quoted(line, a, b) && discussion::about_encodings(line) {
            found
                .unsure
                .push((a, line[a..b].chars().take(12).collect()));
            continue;
        }
        match best {
            Some((_, sa, sb, fixed)) => {
                // What the stretch leaves of its run is read in the second pass.
                for (x, y) in [(a, sa), (sb, b)] {
                    if x < y {
                        if line[x..y].contains('\u{FFFD}') {
                            weak.push((x, y));
                        } else {
                            plain.push((x, y));
                        }
                    }
                }
                found.edits.push((sa, sb, fixed));
            }
            None => match whole {
                // The whole run when it reads, else its best stretch.
                Some((gain, fixed)) if gain >= 0.0 => stretches.push((a, b, gain, fixed)),
                _ => {
                    if let Some((gain, sa, sb, fixed)) = best_any.filter(|x| x.0 >= 0.0) {
                        stretches.push((sa, sb, gain, fixed));
                    }
                }
            },
        }
    }
    // A line garbled one way is garbled that way throughout: once a stretch is decided, the
    // line's other runs are read the same way when their whole run parses and reads no worse
    // (`在文件名鍓�,` is `在文件名�,`: the byte before `,` is gone; `鍛戒护` between two
    // repaired runs is `命令`). A line of short runs (words set apart by spaces, each too short
    // to decide) is decided as a whole: the gains of the runs that parse are added up and must
    // clear the margin for all the characters they recover.
    let mut rest: Vec<(usize, usize, f64, String)> = weak
        .into_iter()
        .chain(plain)
        .filter_map(|(a, b)| {
            let (gain, fixed) = recover(&line[a..b])?;
            (gain >= 0.0).then_some((a, b, gain, fixed))
        })
        .chain(stretches)
        .collect();
    if found.edits.is_empty() {
        let gain: f64 = rest.iter().map(|r| r.2).sum();
        let known = rest
            .iter()
            .flat_map(|r| r.3.chars())
            .filter(|&c| c != '\u{FFFD}')
            .count();
        let holes = rest.iter().any(|r| line[r.0..r.1].contains('\u{FFFD}'));
        let quoted = rest
            .iter()
            .any(|r| discussion::quoted(line, r.0, r.1) && discussion::about_encodings(line));
        if rest.len() < 2 || !holes || quoted || known == 0 || !enough(gain, known) {
            rest.clear();
        }
    }
    if !rest.is_empty() {
        found
            .edits
            .extend(rest.into_iter().map(|(a, b, _, fixed)| (a, b, fixed)));
        found.edits.sort_by_key(|e| e.0);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UTF-8 of `s` read as `enc`, each byte that does not decode replaced (Python's way).
    fn garble(enc: &'static Encoding, s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < bytes.len() {
            let mut ok = false;
            for len in [2, 1] {
                if let Some(chunk) = bytes.get(i..i + len) {
                    let (text, bad) = enc.decode_without_bom_handling(chunk);
                    if !bad && text.chars().count() == 1 && !(len == 1 && chunk[0] >= 0x80) {
                        out.push_str(&text);
                        i += len;
                        ok = true;
                        break;
                    }
                }
            }
            if !ok {
                out.push('\u{FFFD}');
                i += 1;
            }
        }
        out
    }

    #[test]
    fn parses_with_unknown_bytes() {
        // 一个 = E4 B8 80 E4 B8 AA with the third and sixth bytes unknown.
        let toks = [Some(0xE4), Some(0xB8), None, Some(0xE4), Some(0xB8), None];
        assert_eq!(parse(&toks).as_deref(), Some("\u{FFFD}\u{FFFD}"));
        let toks = [
            Some(0xE4),
            Some(0xB8),
            Some(0xAD),
            None,
            Some(0x96),
            Some(0x87),
        ];
        assert_eq!(parse(&toks).as_deref(), Some("中\u{FFFD}"));
        assert_eq!(
            parse(&[Some(0xB8), Some(0xAD)]),
            None,
            "a continuation cannot lead"
        );
    }

    #[test]
    fn recovers_what_the_bytes_keep() {
        let clean = "这是一个暂时的应用方案，如果你有一个固定大小的页脚";
        let bad = garble(GBK, clean);
        assert!(bad.contains('\u{FFFD}'), "{bad}");
        let fixed = find(&bad).apply(&bad);
        recovered(&fixed, clean, clean.chars().count() - 6);
    }

    /// Each character of `fixed` is the clean one or U+FFFD, and at least `min` are recovered.
    fn recovered(fixed: &str, clean: &str, min: usize) {
        assert_eq!(fixed.chars().count(), clean.chars().count(), "{fixed}");
        let mut known = 0;
        for (f, c) in fixed.chars().zip(clean.chars()) {
            assert!(f == c || f == '\u{FFFD}', "{fixed}");
            known += usize::from(f == c && !c.is_ascii());
        }
        assert!(known >= min, "{known} recovered: {fixed}");
    }

    #[test]
    fn a_line_of_short_runs_is_decided_as_a_whole() {
        // Words set apart by spaces: no run is long enough to decide alone.
        let clean = "请 输入 你的 名字, 然后 按 回车键 确认 这次 操作. 它 必须是";
        let bad = garble(GBK, clean);
        assert!(bad.contains('\u{FFFD}'), "{bad}");
        let fixed = find(&bad).apply(&bad);
        for words in ["输入 你的 名字, 然后", "操作. ", "必须"] {
            assert!(fixed.contains(words), "{fixed}");
        }
    }

    #[test]
    fn a_line_read_by_pythons_decoder() {
        // Python's GBK decoder with errors='replace' over 可以用 ":help" 命令获得很多帮助信息。…
        // (a regression case: every run of the line is read, `鍛戒护` as 命令 too).
        let bad = "鍙\u{FFFD}浠ョ敤 \":help\" 鍛戒护鑾峰緱寰堝\u{FFFD}氬府鍔╀俊鎭\u{FFFD}銆傝\u{FFFD}峰弬鑰冧笅闈㈢殑鍦ㄧ嚎甯\u{FFFD}鍔╀竴鑺\u{FFFD}";
        let fixed = find(bad).apply(bad);
        let clean = "可以用 \":help\" 命令获得很多帮助信息。请参考下面的在线帮助一节";
        recovered(&fixed, clean, 20);
        assert!(fixed.contains(" 命令获得很"), "{fixed}");
    }

    #[test]
    fn clean_text_and_lone_replacements_stay() {
        for s in [
            "這一段文字裡的 Big5 與 GBK 編碼之爭，曾讓許多網站顯示出「��」。",
            "解码失败的地方会留下�，这是正常的。",
            "中文�",
            "������中��� foo ��中����",
            "用錯誤的編碼開啟時會顯示為“杩欐槸涓�涓�鏆傛椂”這樣的亂碼。",
        ] {
            assert_eq!(find(s).apply(s), s, "{s}");
        }
    }
}
