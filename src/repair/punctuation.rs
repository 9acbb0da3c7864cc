//! `punctuation`: ASCII punctuation flattened inside Chinese text, back to full width.
//!
//! **What it detects.** Pages that went through NFKC or a full-width-to-half-width mapping have
//! `, ; : !` (and `?`) and `( )` where Chinese uses `，；：！？（）`, while `。、“”《》` survive.
//! In a line that has other damage (pinyin annotations, lost bytes: the software that garbles
//! also flattens), no full-width `，；：！？` at all and no ASCII `.` after a Han character
//! (flattening keeps `。`; a writer who types `.` types the others too), we convert:
//! - `, ; : !` with a Han character (or CJK punctuation) on both sides;
//! - `?` after a Han character when a Han character, a space or the end of the line follows;
//! - `( )` whose content has a Han character and no ASCII letter, with Chinese outside (a Han
//!   character or CJK punctuation before the `(` or after the `)`) and no space outside (a
//!   typed bracket: `報告中 (參見下面)`); a `)` closing a `（` too.
//!
//! **Why it is safe.** Code, Latin text, numbers (`1,000`), times (`10:30`) and URLs never have
//! Han characters on both sides of the mark. Undamaged lines are never changed: clean text is
//! full of ASCII marks chosen by its writers (the Chinese manual pages of `manpages-zh` have
//! `空閒時間,登入時間,辦公地點和電話等。`, exactly what flattening looks like). An undamaged
//! line that looks flattened (`。` or `、` kept, two or more flattened marks, no Latin letters,
//! no ASCII `.` after a Han character) is reported as unsure.
//!
//! **Known false positives.** A line that deliberately mixes ASCII marks into Chinese and has no
//! full-width comma, semicolon, colon, exclamation or question mark.

use super::model::{is_cjk_punct, is_han};
use super::Found;

fn chinese(c: Option<char>) -> bool {
    c.is_some_and(|c| is_han(c) || (is_cjk_punct(c) && c != '\u{3000}'))
}

/// `garbled`: another fix found this line garbled (pinyin annotations, lost bytes), which is how
/// flattened punctuation usually comes.
pub(crate) fn find(line: &str, garbled: bool) -> Found {
    let mut found = Found::none();
    // Without other damage on the line, only the NFKC signature counts: `。` or `、` kept (NFKC
    // leaves them) beside at least two flattened marks, no ASCII full stop after a Han character
    // (a writer who types ASCII marks by choice types `.` too) and no Latin letters (technical
    // text mixes ASCII marks in freely); brackets are then left alone. The letters first: that
    // test is the cheapest, and rules out most lines of technical text.
    let standalone = !garbled;
    if standalone && line.bytes().any(|b| b.is_ascii_alphabetic()) {
        return found;
    }
    if !line
        .bytes()
        .any(|b| matches!(b, b',' | b';' | b':' | b'!' | b'?' | b'(' | b')'))
        || line.contains(['，', '；', '：', '！', '？'])
    {
        return found;
    }
    // An ASCII full stop after a Han character: the writer types ASCII marks by choice
    // (flattening leaves `。`), damaged line or not.
    let ascii_stop = line
        .char_indices()
        .any(|(i, c)| is_han(c) && line[i + c.len_utf8()..].starts_with('.'));
    if ascii_stop || (standalone && !line.contains(['。', '、'])) {
        return found;
    }
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let at = |k: usize| chars.get(k).map(|&(_, c)| c);
    // First the brackets (a stack of open ones: index, full-width?), so that the marks next to
    // a converted bracket see Chinese there.
    let mut converted = vec![false; chars.len()];
    let mut stack: Vec<(usize, bool)> = Vec::new();
    for k in 0..chars.len() {
        if standalone {
            break;
        }
        match chars[k].1 {
            '(' | '（' => stack.push((k, chars[k].1 == '（')),
            ')' | '）' => {
                let Some((open, full)) = stack.pop() else {
                    continue;
                };
                if chars[k].1 == '）' {
                    continue;
                }
                let inner: Vec<char> = chars[open + 1..k].iter().map(|&(_, c)| c).collect();
                let content_ok = inner.iter().any(|c| is_han(*c))
                    && !inner.iter().any(|c| c.is_ascii_alphabetic());
                let before = if open == 0 { None } else { at(open - 1) };
                // A space outside an ASCII bracket is typed (`報告中 (參見下面)`): flattening
                // turns `（` into `(` and adds no space.
                let typed = !full && (before == Some(' ') || at(k + 1) == Some(' '));
                if content_ok && !typed && (full || chinese(before) || chinese(at(k + 1))) {
                    if !full {
                        converted[open] = true;
                        found
                            .edits
                            .push((chars[open].0, chars[open].0 + 1, "（".into()));
                    }
                    converted[k] = true;
                    found.edits.push((chars[k].0, chars[k].0 + 1, "）".into()));
                }
            }
            _ => {}
        }
    }
    let chinese_at =
        |k: Option<usize>| k.is_some_and(|k| converted.get(k) == Some(&true) || chinese(at(k)));
    for (k, &(i, c)) in chars.iter().enumerate() {
        let prev = k.checked_sub(1);
        let replacement = match c {
            ',' | ';' | ':' | '!' if chinese_at(prev) && chinese_at(Some(k + 1)) => match c {
                ',' => "，",
                ';' => "；",
                ':' => "：",
                _ => "！",
            },
            '?' if prev.and_then(at).is_some_and(is_han)
                && at(k + 1).is_none_or(|n| is_han(n) || n == ' ' || n == '\n' || n == '\r') =>
            {
                "？"
            }
            _ => continue,
        };
        found.edits.push((i, i + 1, replacement.into()));
    }
    if standalone {
        // Clean text has such lines too (the manual pages of manpages-zh do): report, never fix.
        if found.edits.len() >= 2 {
            found.unsure.push((
                found.edits[0].0,
                "ASCII punctuation between Chinese characters".into(),
            ));
        }
        found.edits.clear();
    }
    found.edits.sort_by_key(|e| e.0);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(s: &str) -> String {
        find(s, true).apply(s)
    }

    #[test]
    fn restores_full_width_marks() {
        assert_eq!(
            fix("10月24日,國家郵政局召開會議,強調"),
            "10月24日，國家郵政局召開會議，強調"
        );
        assert_eq!(fix("會議;各省"), "會議；各省");
        assert_eq!(fix("部分省(市)郵政"), "部分省（市）郵政");
        assert_eq!(fix("各省（區、市)郵政"), "各省（區、市）郵政");
        assert_eq!(fix("真的嗎?"), "真的嗎？");
    }

    #[test]
    fn leaves_code_latin_numbers_and_chosen_marks() {
        for s in [
            "1,000 元",
            "時間 10:30",
            "見 https://example.com/a,b",
            "printf(\"%d\", x);",
            "(新媒體責編:news1166)",
            "中文，已有全形逗號,這個不動",
            "Hello, world!",
            "電話:010-67683008",
            "函數 f(x) 的值",
            "可選的. 如果指定了,本命令",
            "報告中 (參見下面)。",
        ] {
            assert_eq!(fix(s), s, "{s}");
        }
    }

    #[test]
    fn without_other_damage_only_the_nfkc_signature_counts() {
        let f = |s: &str| find(s, false).edits.len();
        assert_eq!(
            f("支持基本的驗證證書,使用者名稱和密碼"),
            0,
            "no 。 or 、: a writer's choice"
        );
        assert_eq!(f("分隔開,ab將以明文方式傳送過去.不管"), 0);
        assert_eq!(
            f("如因作品內容、版權問題需要聯系的,請在30日內進行。"),
            0,
            "one mark: unsure"
        );
        assert_eq!(
            f("如因作品內容、版權問題需要聯系的,請在30日內進行;謝謝。"),
            0
        );
        assert_eq!(
            find(
                "如因作品內容、版權問題需要聯系的,請在30日內進行;謝謝。",
                false
            )
            .unsure
            .len(),
            1
        );
        assert_eq!(
            f("關於連線時間(以小時為單位)的報告。"),
            0,
            "brackets need damage"
        );
        assert_eq!(
            f("字串,(地址:埠)這樣的字串。"),
            0,
            "Latin-free but one mark each side"
        );
    }
}
