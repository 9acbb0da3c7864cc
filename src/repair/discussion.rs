//! Lines that talk about text: how characters are read, encoded or escaped.
//!
//! Not a fix of its own but a guard several fixes share. A sentence that teaches a reading
//! (`樂(yuè)器與快樂(lè)`), explains a character reference (`&#20013; 是「中」的字元參照`) or
//! quotes mojibake to explain it (`會顯示為“ä¸­æ–‡”這樣的亂碼`) holds the very patterns the
//! fixes look for, on purpose. Damage does not write such words about itself: a line garbled
//! by a wrong decoding has its own words garbled too, and software that glues readings or
//! leaves escapes does not add a sentence about them. So a fix that finds only a little
//! damage on a line that names the subject leaves the line and reports it as unsure.
//!
//! The words are matched as they are written in both scripts; a line needs one of them. Quoting
//! counts with quotation marks only: brackets are ASCII, and survive in garbled text.

/// Words that name readings of characters.
const READINGS: &[&str] = &[
    "读音",
    "讀音",
    "拼音",
    "注音",
    "多音字",
    "破音字",
    "读作",
    "讀作",
    "念作",
    "唸作",
    "读成",
    "讀成",
    "念成",
    "唸成",
    "发音",
    "發音",
    "读法",
    "讀法",
    "异读",
    "異讀",
    "又读",
    "又讀",
    "音读",
    "音讀",
    "声调",
    "聲調",
];

/// Words that name encodings, escapes and what a wrong decoding shows. Names such as `UTF-8` or
/// `GBK` are left out: they are ASCII, so they survive the damage they would speak of, and a
/// garbled manual page about encodings still holds them.
const ENCODINGS: &[&str] = &[
    "乱码",
    "亂碼",
    "编码",
    "編碼",
    "解码",
    "解碼",
    "转码",
    "轉碼",
    "转义",
    "轉義",
    "跳脫",
    "参照",
    "參照",
    "实体",
    "實體",
    "码位",
    "碼位",
    "码点",
    "碼點",
    "字符集",
    "字元集",
    "字符引用",
    "字元引用",
    "显示为",
    "顯示為",
    "显示成",
    "顯示成",
    "文字化け",
    "mojibake",
];

/// Words that name markup languages and their references.
const MARKUP: &[&str] = &[
    "HTML",
    "html",
    "XML",
    "xml",
    "SGML",
    "标记",
    "標記",
    "标签",
    "標籤",
    "原始码",
    "原始碼",
    "源码",
    "源碼",
    "源代码",
    "字符引用",
    "字元引用",
];

/// Whether `line` names markup (a sentence about HTML and its references).
pub(crate) fn about_markup(line: &str) -> bool {
    MARKUP.iter().any(|w| line.contains(w))
}

/// Whether `line` names readings of characters (a sentence teaching them).
pub(crate) fn about_readings(line: &str) -> bool {
    // Every word holds one of these: one pass over the line decides most lines.
    line.contains(['音', '读', '讀', '念', '唸', '声', '聲'])
        && READINGS.iter().any(|w| line.contains(w))
}

/// Whether `line` names encodings, escapes or mojibake (a sentence explaining them).
pub(crate) fn about_encodings(line: &str) -> bool {
    // Every word holds one of these (`mojibake` its `m`): one pass decides most lines.
    line.contains([
        '码', '碼', '转', '轉', '跳', '参', '參', '实', '實', '字', '显', '顯', '化', 'm',
    ]) && ENCODINGS.iter().any(|w| line.contains(w))
}

/// Whether `line[start..end]` stands in quotation marks: the character before it
/// opens a quotation and the one after closes it, or the run holds the marks itself (`“` and
/// `”` are Windows-1252 bytes, so a Latin-1 run can take them in).
pub(crate) fn quoted(line: &str, start: usize, end: usize) -> bool {
    let run = &line[start..end];
    let opens = |c: char| matches!(c, '“' | '‘' | '「' | '『' | '"' | '\'');
    let closes = |c: char| matches!(c, '”' | '’' | '」' | '』' | '"' | '\'');
    let before = run
        .chars()
        .next()
        .filter(|&c| opens(c))
        .or(line[..start].chars().next_back());
    let after = run
        .chars()
        .next_back()
        .filter(|&c| closes(c))
        .or(line[end..].chars().next());
    before.is_some_and(opens) && after.is_some_and(closes)
}

/// Whether `line` also quotes `text`, the decoded form of something on it: a sentence that
/// writes `&#20013;` and `「中」` side by side explains the one by the other.
pub(crate) fn quotes(line: &str, text: &str) -> bool {
    !text.is_empty()
        && [
            ("「", "」"),
            ("“", "”"),
            ("『", "』"),
            ("‘", "’"),
            ("\"", "\""),
        ]
        .iter()
        .any(|(open, close)| line.contains(&format!("{open}{text}{close}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_subject_in_both_scripts() {
        assert!(about_readings("「樂」有兩個讀音"));
        assert!(about_readings("多音字“行”的读音不同"));
        assert!(about_encodings("用錯誤的編碼開啟檔案"));
        assert!(about_encodings("会看到“锟斤拷”一类的乱码"));
        assert!(!about_encodings("把 GBK 文件当成 UTF-8 读"));
    }

    #[test]
    fn quoted_runs() {
        let line = "會顯示為“ä¸\u{AD}æ–‡”這樣";
        let a = line.find('“').unwrap();
        let b = line.find('”').unwrap() + '”'.len_utf8();
        assert!(quoted(line, a, b));
        let inner = line.find('ä').unwrap();
        assert!(quoted(line, inner, b - '”'.len_utf8()));
        assert!(!quoted(line, inner, inner + 2));
        assert!(quoted("「涓枃」", 3, 9));
        assert!(!quoted("好涓枃了", 3, 9));
    }

    #[test]
    fn quoting_the_decoded_form() {
        assert!(quotes("&#x4e2d; 和 &#20013; 都代表「中」這個字", "中"));
        assert!(!quotes("通&#36942;審查", "過"));
    }

    #[test]
    fn the_quick_check_lets_every_word_through() {
        for w in READINGS {
            assert!(about_readings(w), "{w}");
        }
        for w in ENCODINGS {
            assert!(about_encodings(w), "{w}");
        }
    }

    #[test]
    fn ordinary_prose_names_neither() {
        for s in [
            "業務範圍包括各省的區域規劃。",
            "这个选项表示输出文件的路径。",
            "他代表公司出席了会议。",
        ] {
            assert!(!about_readings(s) && !about_encodings(s), "{s}");
        }
    }
}
