//! Guessing the encoding of unlabelled bytes.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

use crate::error::{Error, ErrorKind, Result};

/// How many non-ASCII bytes of the sample `chardetng` and the confidence score look at.
const DETECT_BYTES: usize = 4 * 1024;

/// A detected encoding and how sure the guess is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detection {
    /// The encoding.
    pub encoding: &'static Encoding,
    /// From 0 to 1: the share of the sample's non-ASCII characters that decode to CJK
    /// ideographs, CJK punctuation or full-width forms, damped for samples of under 16 such
    /// characters; 1 for valid UTF-8.
    pub confidence: f64,
}

/// Detects the encoding of `sample` (the start of the input; `last` when it is all of it).
///
/// Returns an error for input that looks binary.
pub fn detect(sample: &[u8], last: bool) -> Result<Detection> {
    if let Some(nul) = memchr::memchr(0, sample) {
        if let Some(enc) = utf16_without_bom(sample) {
            return Ok(Detection {
                encoding: enc,
                confidence: score(enc, sample),
            });
        }
        return Err(Error::new(
            ErrorKind::Binary,
            format!(
                "input looks binary (NUL byte at offset {nul}); name its encoding with --encoding to decode it anyway"
            ),
        ));
    }
    match std::str::from_utf8(sample) {
        Ok(_) => {
            return Ok(Detection {
                encoding: UTF_8,
                confidence: 1.0,
            })
        }
        // Cut inside a character at the end of a sample that is not the whole input.
        Err(e) if e.error_len().is_none() && !last => {
            return Ok(Detection {
                encoding: UTF_8,
                confidence: 1.0,
            })
        }
        Err(_) => {}
    }
    // Mostly valid UTF-8 (at most 1 bad sequence per 20 characters) is damaged UTF-8, not another encoding: decoding
    // it as UTF-8 keeps the good text and marks the bad bytes with U+FFFD.
    let (good, bad) = utf8_quality(&sample[..sample.len().min(super::SNIFF_BYTES)]);
    if good >= 8 && bad * 20 <= good {
        let confidence = 1.0 - bad as f64 / good as f64;
        return Ok(Detection {
            encoding: UTF_8,
            confidence: round2(confidence),
        });
    }
    // chardetng is reliable from a few dozen characters but slow (about 4 MB/s here): give it
    // the prefix holding the first 4 KiB of non-ASCII bytes.
    let cut = sample
        .iter()
        .enumerate()
        .filter(|(_, b)| **b >= 0x80)
        .nth(DETECT_BYTES)
        .map_or(sample.len(), |(i, _)| i);
    let (sample, last) = if cut < sample.len() {
        (&sample[..cut], false)
    } else {
        (sample, last)
    };
    let guess = |bytes: &[u8]| {
        let mut det = EncodingDetector::new(Iso2022JpDetection::Deny);
        det.feed(bytes, last);
        let enc = det.guess(None, Utf8Detection::Allow);
        (enc, score(enc, bytes))
    };
    let (mut enc, mut confidence) = guess(sample);
    // A whole input that ends inside a two-byte character (a truncated download): the broken
    // last byte makes every legacy CJK encoding invalid and the guess falls to a single-byte
    // one. Guess again without it; the better-scoring guess wins, and decoding then costs the
    // broken byte one U+FFFD instead of the file.
    if last && sample.last().is_some_and(|b| *b >= 0x80) {
        let (e, c) = guess(&sample[..sample.len() - 1]);
        if c > confidence {
            (enc, confidence) = (e, c);
        }
    }
    Ok(Detection {
        encoding: enc,
        confidence,
    })
}

/// The charset an HTML page declares (`<meta charset=...>` or `content="...; charset=..."` in
/// its first 4 KiB), when the declaration is a multi-byte CJK encoding and the sample decodes
/// with it without errors. A declaration that the bytes disprove (invalid sequences), a
/// declared UTF-8 or single-byte charset, or a page that is valid UTF-8 is left to detection.
pub fn declared(sample: &[u8], last: bool) -> Option<&'static Encoding> {
    let head = &sample[..sample.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let at = memchr::memmem::find(&lower, b"charset=")?;
    let meta_before = memchr::memmem::rfind(&lower[..at], b"<meta").is_some();
    if !meta_before {
        return None;
    }
    let rest = &head[at + 8..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|b| matches!(b, b'"' | b'\'' | b';' | b'>' | b' ' | b'/' | b'\t' | b'\n'))
        .unwrap_or(rest.len());
    let enc = Encoding::for_label(&rest[..end])?;
    let cjk = ["GBK", "gb18030", "Big5", "Shift_JIS", "EUC-JP", "EUC-KR"];
    if !cjk.contains(&enc.name()) {
        return None;
    }
    let valid_utf8 = match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && !last,
    };
    if valid_utf8 {
        return None;
    }
    // Cut at the last ASCII byte so that a character split by the sample's end is no error.
    let cut = if last {
        sample.len()
    } else {
        sample
            .iter()
            .rposition(|b| b.is_ascii())
            .map_or(0, |i| i + 1)
    };
    let (_, had_errors) = enc.decode_without_bom_handling(&sample[..cut]);
    (!had_errors).then_some(enc)
}

/// Counts valid multi-byte characters and invalid sequences.
fn utf8_quality(mut bytes: &[u8]) -> (usize, usize) {
    let (mut good, mut bad) = (0, 0);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                good += s.chars().filter(|c| !c.is_ascii()).count();
                return (good, bad);
            }
            Err(e) => {
                let valid = &bytes[..e.valid_up_to()];
                good += std::str::from_utf8(valid)
                    .unwrap()
                    .chars()
                    .filter(|c| !c.is_ascii())
                    .count();
                match e.error_len() {
                    Some(n) => {
                        bad += 1;
                        bytes = &bytes[e.valid_up_to() + n..];
                    }
                    None => return (good, bad + 1),
                }
            }
        }
    }
}

/// UTF-16 without a BOM: text whose ASCII characters leave NUL in every other byte.
fn utf16_without_bom(sample: &[u8]) -> Option<&'static Encoding> {
    let pairs = sample.len() / 2;
    if pairs < 2 {
        return None;
    }
    let even = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    // ASCII in UTF-16LE is `xx 00`: NULs at odd offsets.
    let (hits, other, enc) = if odd > even {
        (odd, even, UTF_16LE)
    } else {
        (even, odd, UTF_16BE)
    };
    if hits == 0 {
        return None;
    }
    // Text, not binary that happens to have NULs in a pattern: no control characters besides
    // white space, no broken surrogates.
    let even = sample.len() & !1;
    let (text, had_errors) = enc.decode_without_bom_handling(&sample[..even]);
    let controls = text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'));
    if had_errors || controls {
        return None;
    }
    // Mostly ASCII: the NULs of every other byte say it. CJK-heavy text has NULs mostly where
    // its few ASCII characters are (and at ideographs such as U+4E00), so it must read as text: nearly every character an
    // ideograph, CJK punctuation, a full-width form or printable ASCII (the other byte order
    // reads as characters scattered over unrelated blocks).
    if hits * 5 >= pairs && other * 20 <= hits {
        return Some(enc);
    }
    let (mut chars, mut texty) = (0usize, 0usize);
    for c in text.chars() {
        chars += 1;
        if is_cjkish(c) || c.is_ascii_graphic() || c.is_whitespace() {
            texty += 1;
        }
    }
    (chars >= 8 && texty * 100 >= chars * 97).then_some(enc)
}

fn score(enc: &'static Encoding, sample: &[u8]) -> f64 {
    let (text, _) = enc.decode_without_bom_handling(sample);
    let mut non_ascii = 0usize;
    let mut good = 0usize;
    for c in text.chars().filter(|c| !c.is_ascii()) {
        non_ascii += 1;
        if is_cjkish(c) {
            good += 1;
        }
    }
    if non_ascii == 0 {
        return 1.0;
    }
    let damp = (non_ascii as f64 / 16.0).min(1.0);
    round2(good as f64 / non_ascii as f64 * damp)
}

fn is_cjkish(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF
        | 0x2000..=0x206F | 0x20000..=0x3134F | 0x00B7 | 0x2E80..=0x2FDF)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_heuristic() {
        let le: Vec<u8> = "hello 世界 abc"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(utf16_without_bom(&le), Some(UTF_16LE));
        let be: Vec<u8> = "hello 世界 abc"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        assert_eq!(utf16_without_bom(&be), Some(UTF_16BE));
        // CJK-heavy text: NULs only at its few ASCII characters.
        let cjk = "這是一段以繁體中文為主的文字，其中只有少數 ASCII 字元，例如 2024 年。";
        for (enc, bytes) in [
            (
                UTF_16LE,
                cjk.encode_utf16()
                    .flat_map(|u| u.to_le_bytes())
                    .collect::<Vec<u8>>(),
            ),
            (
                UTF_16BE,
                cjk.encode_utf16().flat_map(|u| u.to_be_bytes()).collect(),
            ),
        ] {
            assert_eq!(utf16_without_bom(&bytes), Some(enc));
            assert_eq!(detect(&bytes, true).unwrap().encoding, enc);
        }
        assert_eq!(utf16_without_bom(b"\x00\x01\x02\x00\x00\x00\x7fELF"), None);
        assert_eq!(utf16_without_bom(b"\x00\x01\x02\x03binary\x00"), None);
    }

    #[test]
    fn declared_charsets() {
        let page = |charset: &str, body: &str, enc: &'static Encoding| {
            let mut v =
                format!("<html><head><meta charset=\"{charset}\"></head><body>").into_bytes();
            v.extend_from_slice(&enc.encode(body).0);
            v
        };
        let text = "中文网页的正文内容";
        assert_eq!(
            declared(&page("gb2312", text, encoding_rs::GBK), true),
            Some(encoding_rs::GBK)
        );
        assert_eq!(
            declared(&page("big5", "中文網頁的正文內容", encoding_rs::BIG5), true),
            Some(encoding_rs::BIG5)
        );
        // UTF-8 bytes under a GBK declaration: the bytes win.
        assert_eq!(declared(&page("gbk", text, UTF_8), true), None);
        // Big5 bytes declared as GBK that do not decode: detection decides.
        let wrong = page("gbk", "\u{9F98}\u{5600}", encoding_rs::BIG5);
        let (_, bad) = encoding_rs::GBK.decode_without_bom_handling(&wrong);
        assert_eq!(declared(&wrong, true).is_some(), !bad);
        assert_eq!(
            declared(&page("iso-8859-1", text, encoding_rs::GBK), true),
            None
        );
        assert_eq!(
            declared(b"charset=gbk but no meta tag \xd6\xd0", true),
            None
        );
    }

    #[test]
    fn a_truncated_legacy_file_keeps_its_encoding() {
        let gbk = encoding_rs::GBK
            .encode("繁體中文測試文件的內容，下載到一半就斷了")
            .0;
        let big5 = encoding_rs::BIG5
            .encode("繁體中文測試文件的內容，下載到一半就斷了")
            .0;
        for (enc, bytes) in [(encoding_rs::GBK, gbk), (encoding_rs::BIG5, big5)] {
            let cut = &bytes[..bytes.len() - 1];
            let det = detect(cut, true).unwrap();
            assert_eq!(det.encoding, enc, "{}", enc.name());
            let (text, _) = det.encoding.decode_without_bom_handling(cut);
            assert_eq!(text.matches('\u{FFFD}').count(), 1);
            assert!(text.starts_with("繁體中文測試文件的內容"));
        }
    }

    #[test]
    fn quality_counts() {
        assert_eq!(utf8_quality("中文".as_bytes()), (2, 0));
        assert_eq!(utf8_quality(b"\xff\xe4\xb8\xad"), (1, 1));
    }
}
