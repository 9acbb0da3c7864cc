//! GBK's and Big5's code for every character, from tables build.rs makes with encoding_rs: the
//! same bytes encoding_rs writes, found by a look-up (encoding_rs searches its whole index for
//! a character the encoding lacks). Used by the repair fixes, which re-encode runs of text, and
//! by the output encoder.

/// `c`'s GBK code from the table build.rs makes: a byte (ASCII, or 0x80 for the euro sign) or
/// two bytes as a big-endian `u16`; `None` if GBK cannot encode `c`.
pub(crate) fn gbk_code(c: char) -> Option<u16> {
    code_in(&charsets::GBK_CODES, c)
}

/// `c`'s code in one of build.rs's BMP tables (ASCII stands for itself; 0 is none).
#[inline]
fn code_in(table: &[u16; 0x10000], c: char) -> Option<u16> {
    let cp = c as usize;
    if cp < 0x80 {
        return Some(cp as u16);
    }
    table.get(cp).copied().filter(|&code| code != 0)
}

/// The table writer for `enc`, when it has one (GBK and Big5): appends a character's bytes and
/// says whether the encoding has it.
pub(crate) fn table_encoder(
    enc: &'static encoding_rs::Encoding,
) -> Option<fn(char, &mut Vec<u8>) -> bool> {
    if enc == encoding_rs::GBK {
        Some(push_gbk)
    } else if enc == encoding_rs::BIG5 {
        Some(push_big5)
    } else {
        None
    }
}

/// Appends `c`'s GBK bytes to `out`; `false` (nothing appended) if GBK cannot encode `c`.
pub(crate) fn push_gbk(c: char, out: &mut Vec<u8>) -> bool {
    match gbk_code(c) {
        Some(code @ 0..=0xFF) => out.push(code as u8),
        Some(code) => out.extend_from_slice(&code.to_be_bytes()),
        None => return false,
    }
    true
}

/// Appends `c`'s Big5 bytes (as encoding_rs encodes them) to `out`; `false` (nothing appended)
/// if Big5 cannot encode `c`. The table covers the BMP; the few characters beyond it that Big5
/// has are left to encoding_rs.
pub(crate) fn push_big5(c: char, out: &mut Vec<u8>) -> bool {
    if (c as u32) < 0x10000 {
        return match code_in(&charsets::BIG5_CODES, c) {
            Some(code @ 0..=0x7F) => {
                out.push(code as u8);
                true
            }
            Some(code) => {
                out.extend_from_slice(&code.to_be_bytes());
                true
            }
            None => false,
        };
    }
    let mut buf = [0; 4];
    let (bytes, _, unmappable) = encoding_rs::BIG5.encode(c.encode_utf8(&mut buf));
    if !unmappable {
        out.extend_from_slice(&bytes);
    }
    !unmappable
}

pub(crate) mod charsets {
    include!(concat!(env!("OUT_DIR"), "/charsets.rs"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::GBK;

    #[test]
    fn gbk_table_agrees_with_encoding_rs() {
        let mut two_byte = 0;
        for c in (0..0x11000u32).filter_map(char::from_u32) {
            let mut buf = [0; 4];
            let (bytes, _, unmappable) = GBK.encode(c.encode_utf8(&mut buf));
            let mut table = Vec::new();
            let table = push_gbk(c, &mut table).then_some(table);
            assert_eq!(table, (!unmappable).then(|| bytes.into_owned()), "{c:?}");
            two_byte += usize::from(gbk_code(c).is_some_and(|code| code > 0xFF));
        }
        assert!(two_byte > 21000, "{two_byte}");
        assert_eq!(gbk_code('中'), Some(0xD6D0));
        assert_eq!(gbk_code('€'), Some(0x80));
    }

    #[test]
    fn big5_table_agrees_with_encoding_rs() {
        let mut encoded = 0;
        for c in (0..0x30000u32).filter_map(char::from_u32) {
            let mut buf = [0; 4];
            let (bytes, _, unmappable) = encoding_rs::BIG5.encode(c.encode_utf8(&mut buf));
            let mut table = Vec::new();
            let table = push_big5(c, &mut table).then_some(table);
            assert_eq!(table, (!unmappable).then(|| bytes.into_owned()), "{c:?}");
            encoded += usize::from(table.is_some());
        }
        // 128 ASCII, 13,000-odd Hanzi and several hundred symbols.
        assert!(encoded > 13_500, "{encoded}");
        let mut out = Vec::new();
        assert!(push_big5('中', &mut out) && push_big5('文', &mut out));
        assert_eq!(out, [0xA4, 0xA4, 0xA4, 0xE5]);
        assert!(!push_big5('们', &mut out));
    }
}
