//! JSON string contents: unescaping a checked string, and escaping text into one.

use std::borrow::Cow;

use crate::text::swar::{has_byte, has_byte_below};

/// The value of a JSON string's contents (between the quotes) that the parser has checked:
/// borrowed when it has no escape. `None` for a lone surrogate, which no string can hold.
pub(super) fn unescape(inner: &str) -> Option<Cow<'_, str>> {
    let Some(first) = memchr::memchr(b'\\', inner.as_bytes()) else {
        return Some(Cow::Borrowed(inner));
    };
    let mut out = String::with_capacity(inner.len());
    out.push_str(&inner[..first]);
    let mut rest = &inner[first..];
    while let Some(esc) = rest.strip_prefix('\\') {
        let mut take = 1;
        let c = match esc.as_bytes().first()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hex = |s: &str| u16::from_str_radix(s.get(1..5)?, 16).ok();
                let unit = hex(esc)?;
                take = 5;
                match unit {
                    0xD800..=0xDBFF => {
                        let low = esc
                            .get(5..)
                            .and_then(|s| s.strip_prefix('\\'))
                            .and_then(hex)?;
                        take = 11;
                        char::decode_utf16([unit, low]).next()?.ok()?
                    }
                    _ => char::from_u32(u32::from(unit))?,
                }
            }
            _ => return None,
        };
        out.push(c);
        rest = &esc[take..];
        let next = memchr::memchr(b'\\', rest.as_bytes()).unwrap_or(rest.len());
        out.push_str(&rest[..next]);
        rest = &rest[next..];
    }
    Some(Cow::Owned(out))
}

/// Writes `s` as a JSON string, escaped as serde_json escapes: `\"`, `\\`, the five short
/// control escapes and `\u00XX` for the other control characters; everything else as it is.
/// Runs of bytes that need nothing are found eight at a time.
pub(super) fn write_string(s: &str, out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    escape_into(s, out);
    out.push(b'"');
}

/// Appends `s` escaped as the inside of a JSON string.
pub(super) fn escape_into(s: &str, out: &mut Vec<u8>) {
    // Bytes below 0x20, `"` and `\`.
    let needs_escape = |x: u64| has_byte_below(x, 0x20) || has_byte(x, b'"') || has_byte(x, b'\\');
    let b = s.as_bytes();
    out.reserve(b.len());
    let (mut i, mut start) = (0, 0);
    while i < b.len() {
        if let Some(w) = b.get(i..i + 8) {
            if !needs_escape(u64::from_le_bytes(w.try_into().expect("eight bytes"))) {
                i += 8;
                continue;
            }
        }
        let c = b[i];
        let short = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0C => b'f',
            0x00..=0x1F => b'u',
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(&[b'\\', short]);
        if short == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 0xF)],
            ]);
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&b[start..]);
}
