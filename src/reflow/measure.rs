//! [`Measure`]: what the `reflow` stage needs to know about a line's characters, counted in
//! one pass over its bytes, with a plain decoding twin ([`Measure::decoded`]) for lines whose
//! characters the byte counts cannot place.

use crate::text::chars::is_wide;

/// What the stage needs to know about a line's characters, from one pass over its bytes (the
/// line is scanned once for everything: this was a third of the stage's time).
#[derive(Debug, PartialEq)]
pub(super) struct Measure {
    /// Columns: CJK characters count 2 ([`is_wide`]), others 1.
    pub(super) width: usize,
    pub(super) chars: usize,
    /// `“` minus `”`, and `（` minus `）`.
    pub(super) quotes: i32,
    pub(super) brackets: i32,
    /// One of 者 讯 訊 稿 occurs ([`crate::boilerplate::rules::BarrierFacts::reporter`]).
    pub(super) reporter: bool,
    /// ASCII spaces.
    pub(super) spaces: usize,
    /// The last character (a space when there is none).
    pub(super) last: char,
}

impl Measure {
    /// The measure, from byte counts over blocks of 64 bytes (a loop the compiler vectorises),
    /// or from [`Measure::decoded`] when the line has a character the counts cannot place.
    pub(super) fn of(text: &str) -> Measure {
        let b = text.as_bytes();
        let mut sum = BlockCounts::default();
        let mut block = [0u8; 64 + 2];
        let mut at = 0;
        while at < b.len() {
            // The block, with the two bytes after it (zeros past the end of the line).
            let n = (b.len() - at).min(66);
            block[..n].copy_from_slice(&b[at..at + n]);
            block[n..].fill(0);
            let c = BlockCounts::of(&block);
            // Zeros past the end count as characters: take them off.
            let padding = 64usize.saturating_sub(b.len() - at);
            sum.add(&c, padding);
            at += 64;
        }
        if sum.unsure > 0 {
            return Measure::decoded(text);
        }
        Measure {
            width: sum.chars + sum.wide,
            chars: sum.chars,
            quotes: sum.quote_opens as i32 - sum.quote_closes as i32,
            brackets: sum.bracket_opens as i32 - sum.bracket_closes as i32,
            reporter: sum.reporter > 0,
            spaces: sum.spaces,
            last: text.chars().next_back().unwrap_or(' '),
        }
    }

    /// The measure, decoding every character.
    pub(super) fn decoded(text: &str) -> Measure {
        let b = text.as_bytes();
        let mut m = Measure {
            width: 0,
            chars: 0,
            quotes: 0,
            brackets: 0,
            reporter: false,
            spaces: 0,
            last: ' ',
        };
        let mut cp = u32::from(b' ');
        let mut rest = b;
        // The text is UTF-8: a lead byte says how many bytes follow it.
        let cont = |x: u8| u32::from(x) & 0x3F;
        while let [x, ..] = *rest {
            m.chars += 1;
            match *rest {
                [x @ 0..=0x7F, ref more @ ..] => {
                    cp = u32::from(x);
                    m.spaces += usize::from(x == b' ');
                    m.width += 1;
                    rest = more;
                    continue;
                }
                [x @ 0xE0..=0xEF, b1, b2, ref more @ ..] => {
                    cp = (u32::from(x & 0x0F) << 12) | (cont(b1) << 6) | cont(b2);
                    rest = more;
                    if (0x4E00..=0x9FFF).contains(&cp) {
                        // The common case: an ideograph (者 讯 訊 稿 are among them).
                        m.width += 2;
                        m.reporter |= is_reporter_mark(cp);
                        continue;
                    }
                    match cp {
                        0x201C => m.quotes += 1,
                        0x201D => m.quotes -= 1,
                        0xFF08 => m.brackets += 1,
                        0xFF09 => m.brackets -= 1,
                        _ => {}
                    }
                }
                [_, b1, ref more @ ..] if x < 0xE0 => {
                    cp = (u32::from(x & 0x1F) << 6) | cont(b1);
                    rest = more;
                }
                [_, b1, b2, b3, ref more @ ..] => {
                    cp =
                        (u32::from(x & 0x07) << 18) | (cont(b1) << 12) | (cont(b2) << 6) | cont(b3);
                    rest = more;
                }
                _ => unreachable!("a str holds whole characters"),
            }
            m.width += if char::from_u32(cp).is_some_and(is_wide) {
                2
            } else {
                1
            };
        }
        m.last = char::from_u32(cp).unwrap_or(' ');
        m
    }
}

/// Byte counts over a block of 64 bytes (see [`BlockCounts::of`]), or their sums over a line.
#[derive(Default)]
struct BlockCounts {
    chars: usize,
    /// Wide characters, by their first two or three bytes.
    wide: usize,
    /// Characters whose width the bytes counted do not settle (the line is decoded instead).
    unsure: usize,
    quote_opens: usize,
    quote_closes: usize,
    bracket_opens: usize,
    bracket_closes: usize,
    reporter: usize,
    spaces: usize,
}

impl BlockCounts {
    /// Counts the characters that start in `block[..64]`; `block[64..]` holds the two bytes
    /// after them. [`crate::text::chars::is_wide`], by the bytes of UTF-8: lead bytes E3-E9 are
    /// U+3000-U+9FFF, wide but for U+303F, U+3040 and U+4DC0-U+4DFF; EB and EC are Hangul;
    /// EF BC is U+FF00-U+FF3F (full-width forms); E2 BA-BF is U+2E80-U+2FFF. Lead bytes E1, EA,
    /// ED, F0-F4 and EF other than EF BC hold both kinds: unsure.
    fn of(block: &[u8; 66]) -> BlockCounts {
        let (mut chars, mut wide, mut unsure, mut spaces) = (0u8, 0u8, 0u8, 0u8);
        let (mut qo, mut qc, mut bo, mut bc, mut rep) = (0u8, 0u8, 0u8, 0u8, 0u8);
        for i in 0..64 {
            let (x, y, z) = (block[i], block[i + 1], block[i + 2]);
            // Bitwise `&` and `|` on the comparisons: no branches, so the loop vectorises.
            let is = |b: u8, v: u8| b == v;
            chars += u8::from((x as i8) >= -64);
            spaces += u8::from(is(x, b' '));
            let narrow_exception = (is(x, 0xE3)
                & ((is(y, 0x80) & is(z, 0xBF)) | (is(y, 0x81) & is(z, 0x80))))
                | (is(x, 0xE4) & is(y, 0xB7));
            wide += u8::from(
                ((0xE3..=0xE9).contains(&x) & !narrow_exception)
                    | is(x, 0xEB)
                    | is(x, 0xEC)
                    | (is(x, 0xEF) & is(y, 0xBC))
                    | (is(x, 0xE2) & (y >= 0xBA)),
            );
            unsure += u8::from(
                is(x, 0xE1)
                    | is(x, 0xEA)
                    | is(x, 0xED)
                    | (x >= 0xF0)
                    | (is(x, 0xEF) & !is(y, 0xBC)),
            );
            // “ E2 80 9C, ” E2 80 9D, （ EF BC 88, ） EF BC 89.
            qo += u8::from(is(x, 0xE2) & is(y, 0x80) & is(z, 0x9C));
            qc += u8::from(is(x, 0xE2) & is(y, 0x80) & is(z, 0x9D));
            bo += u8::from(is(x, 0xEF) & is(y, 0xBC) & is(z, 0x88));
            bc += u8::from(is(x, 0xEF) & is(y, 0xBC) & is(z, 0x89));
            // 者 E8 80 85, 讯 E8 AE AF, 訊 E8 A8 8A, 稿 E7 A8 BF.
            rep += u8::from(
                (is(x, 0xE8)
                    & ((is(y, 0x80) & is(z, 0x85))
                        | (is(y, 0xAE) & is(z, 0xAF))
                        | (is(y, 0xA8) & is(z, 0x8A))))
                    | (is(x, 0xE7) & is(y, 0xA8) & is(z, 0xBF)),
            );
        }
        BlockCounts {
            chars: chars.into(),
            wide: wide.into(),
            unsure: unsure.into(),
            quote_opens: qo.into(),
            quote_closes: qc.into(),
            bracket_opens: bo.into(),
            bracket_closes: bc.into(),
            reporter: rep.into(),
            spaces: spaces.into(),
        }
    }

    /// Adds a block's counts, less `padding` zero bytes counted as characters.
    fn add(&mut self, c: &BlockCounts, padding: usize) {
        self.chars += c.chars - padding;
        self.wide += c.wide;
        self.unsure += c.unsure;
        self.quote_opens += c.quote_opens;
        self.quote_closes += c.quote_closes;
        self.bracket_opens += c.bracket_opens;
        self.bracket_closes += c.bracket_closes;
        self.reporter += c.reporter;
        self.spaces += c.spaces;
    }
}

/// Whether ideograph `cp` is 者 (U+8005), 讯 (U+8BAF), 訊 (U+8A0A) or 稿 (U+7A3F): a perfect
/// hash of the four (a multiplication and a table load instead of four comparisons).
#[inline(always)]
pub(super) fn is_reporter_mark(cp: u32) -> bool {
    const MARKS: [u32; 4] = [0x8005, 0x8BAF, 0x7A3F, 0x8A0A];
    MARKS[(cp.wrapping_mul(0x36FB_EEE7) >> 30) as usize] == cp
}
