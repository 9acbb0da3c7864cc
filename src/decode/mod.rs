//! Bytes -> UTF-8: BOM sniffing, encoding detection (`chardetng`), streaming decoding
//! (`encoding_rs`).
//!
//! The decoder looks at the first 64 KiB (or the whole input, if shorter) before choosing:
//! 1. a BOM (UTF-8, UTF-16LE, UTF-16BE) decides, and is removed;
//! 2. an encoding the user named decides (a BOM of that same encoding is removed);
//! 3. NUL bytes mean UTF-16 without a BOM when they sit in every other byte of ASCII-looking
//!    text, and a binary file otherwise (an error: converting it would make garbage);
//! 4. otherwise `chardetng` guesses among UTF-8, GBK/GB18030, Big5 and the other encodings of
//!    the Web; valid UTF-8 always wins.
//!
//! Invalid byte sequences become U+FFFD and are counted; decoding never fails on bad bytes.

mod detect;

use encoding_rs::{DecoderResult, Encoding, UTF_8};

use crate::error::{Error, ErrorKind, Result};
use crate::report::EncodingReport;

pub use detect::{detect, Detection};

/// How much input is looked at before choosing an encoding.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// Decoding options.
#[derive(Clone, Debug, Default)]
pub struct DecodeOptions {
    /// Force this encoding instead of detecting one.
    pub encoding: Option<&'static Encoding>,
}

/// Looks up an encoding by WHATWG label (`utf-8`, `gbk`, `gb2312`, `gb18030`, `big5`,
/// `utf-16le`, `shift_jis`, ...), also accepting a few common spellings (`utf16`, `cp936`).
pub fn lookup(label: &str) -> Result<&'static Encoding> {
    let l = label.trim().to_ascii_lowercase();
    let l = match l.as_str() {
        "utf8" => "utf-8",
        "utf16" | "utf-16" | "utf16le" => "utf-16le",
        "utf16be" => "utf-16be",
        "cp936" | "936" => "gbk",
        "cp950" | "950" | "big5-hkscs" => "big5",
        other => other,
    };
    Encoding::for_label(l.as_bytes()).ok_or_else(|| {
        Error::new(
            ErrorKind::UnknownEncoding,
            format!(
                "unknown encoding {label:?} (try utf-8, gb18030, gbk, big5, utf-16le, utf-16be)"
            ),
        )
    })
}

enum State {
    /// The encoding is not chosen yet.
    Sniffing,
    Decoding(encoding_rs::Decoder),
    /// UTF-8 decoded in place in an [`InputBuf`]; `bom`: a leading BOM is still to remove.
    Utf8 {
        bom: bool,
    },
    Done,
}

/// The read buffer of a caller that lets the decoder work in place ([`Decoder::decode_buf`]):
/// `bytes[..ready]` is decoded text the caller has not taken yet, `bytes[ready..filled]` raw
/// bytes still to decode (an incomplete UTF-8 character, or bytes read before the encoding is
/// chosen), and the rest is room for the next read.
///
/// UTF-8 input, the common case, is only validated: the caller's stages read the text where it
/// was read, with no copy. Other encodings are decoded into a `String` of the caller's.
pub struct InputBuf {
    bytes: Vec<u8>,
    ready: usize,
    filled: usize,
    /// Bytes asked of each read: small at first (most files of a tree are small, and zeroing a
    /// large buffer per file shows), larger once a read fills it.
    chunk: usize,
}

/// The most bytes one read asks for.
const READ_MAX: usize = 64 * 1024;

impl Default for InputBuf {
    fn default() -> Self {
        InputBuf {
            bytes: Vec::new(),
            ready: 0,
            filled: 0,
            chunk: READ_MAX / 16,
        }
    }
}

impl InputBuf {
    /// Reads once from `r` after the bytes held; returns how many bytes came (0 at the end of
    /// the input). Retries reads that were interrupted.
    pub fn read_from<R: std::io::Read + ?Sized>(&mut self, r: &mut R) -> std::io::Result<usize> {
        let want = self.filled + self.chunk;
        if self.bytes.len() < want {
            self.bytes.resize(want, 0);
        }
        let n = loop {
            match r.read(&mut self.bytes[self.filled..want]) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        if n == self.chunk {
            self.chunk = READ_MAX;
        }
        self.filled += n;
        Ok(n)
    }

    /// Appends raw bytes after those held.
    fn push_raw(&mut self, bytes: &[u8]) {
        self.bytes.truncate(self.filled);
        self.bytes.extend_from_slice(bytes);
        self.filled = self.bytes.len();
    }

    /// The decoded text not taken yet.
    pub fn text(&self) -> &str {
        // SAFETY: only the decoder moves `ready`, and only over bytes it validated as UTF-8 or
        // wrote as UTF-8 (`utf8_in_place`); `take` keeps a character boundary.
        unsafe { std::str::from_utf8_unchecked(&self.bytes[..self.ready]) }
    }

    /// Drops the first `n` bytes of the text (a character boundary), keeping the rest.
    pub fn take(&mut self, n: usize) {
        assert!(self.text().is_char_boundary(n), "not a character boundary");
        self.bytes.copy_within(n..self.filled, 0);
        self.ready -= n;
        self.filled -= n;
    }
}

/// A streaming decoder for one document.
pub struct Decoder {
    opts: DecodeOptions,
    state: State,
    report: EncodingReport,
    /// For [`Decoder::decode`]: the bytes it holds back.
    held: InputBuf,
}

impl Decoder {
    /// A decoder with `opts`.
    pub fn new(opts: DecodeOptions) -> Decoder {
        Decoder {
            opts,
            state: State::Sniffing,
            held: InputBuf::default(),
            report: EncodingReport::default(),
        }
    }

    /// The encoding chosen, once it is.
    pub fn encoding(&self) -> Option<&'static Encoding> {
        match &self.state {
            State::Decoding(d) => Some(d.encoding()),
            State::Utf8 { .. } => Some(UTF_8),
            _ => None,
        }
    }

    /// Decodes `input`, appending to `out`. `last` marks the end of the input.
    pub fn decode(&mut self, input: &[u8], out: &mut String, last: bool) -> Result<()> {
        // Decoding straight from `input` when nothing is held: a legacy decoder keeps its own
        // state, and valid UTF-8 is itself the text.
        if self.held.filled == 0 {
            match &self.state {
                State::Decoding(_) => return self.decode_with(input, out, last),
                State::Utf8 { bom: false } => {
                    if let Ok(text) = simdutf8::basic::from_utf8(input) {
                        out.push_str(text);
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        // Otherwise the bytes join those held (the sample the encoding is chosen from, an
        // incomplete character) and are decoded as `decode_buf` does.
        let mut held = std::mem::take(&mut self.held);
        held.push_raw(input);
        let result = self.decode_buf(&mut held, out, last);
        if self.in_place() {
            out.push_str(held.text());
            held.take(held.ready);
        }
        self.held = held;
        result
    }

    /// Decodes the raw bytes of `input`: UTF-8 in place (the text is then `input.text()`),
    /// other encodings appended to `text`. Until the encoding is chosen the bytes stay raw.
    /// Tell which with [`Decoder::in_place`]. `last` marks the end of the input.
    pub fn decode_buf(
        &mut self,
        input: &mut InputBuf,
        text: &mut String,
        last: bool,
    ) -> Result<()> {
        if let State::Sniffing = self.state {
            // A named encoding needs no look-ahead (its decoder removes its own BOM), so text
            // flows at once: a co-process fed one line at a time gets it back. Otherwise the
            // encoding is chosen from the first SNIFF_BYTES, or all of a shorter input: the
            // choice does not depend on how the input was read.
            let have = input.filled;
            if !last && self.opts.encoding.is_none() && have < SNIFF_BYTES {
                return Ok(());
            }
            let n = have.min(SNIFF_BYTES);
            let (enc, remove_bom) = self.choose(&input.bytes[..n], last && n == have)?;
            self.state = if enc == UTF_8 {
                State::Utf8 { bom: remove_bom }
            } else if remove_bom {
                State::Decoding(enc.new_decoder_with_bom_removal())
            } else {
                State::Decoding(enc.new_decoder_without_bom_handling())
            };
        }
        if let State::Utf8 { bom } = &mut self.state {
            if *bom {
                const BOM: &[u8] = b"\xEF\xBB\xBF";
                let raw = &input.bytes[input.ready..input.filled];
                if raw.len() < BOM.len() && BOM.starts_with(raw) && !last {
                    return Ok(());
                }
                *bom = false;
                if raw.starts_with(BOM) {
                    input
                        .bytes
                        .copy_within(input.ready + BOM.len()..input.filled, input.ready);
                    input.filled -= BOM.len();
                }
            }
            self.report.replacements += utf8_in_place(input, last);
            return Ok(());
        }
        let raw = &input.bytes[input.ready..input.filled];
        let result = self.decode_with(raw, text, last);
        input.filled = input.ready;
        result
    }

    /// Whether [`Decoder::decode_buf`] leaves the text in its buffer (UTF-8).
    pub fn in_place(&self) -> bool {
        matches!(self.state, State::Utf8 { .. })
    }

    /// The encoding for `sample` (the start of the input; `last`: all of it), and whether a
    /// leading BOM of it is to be removed.
    fn choose(&mut self, sample: &[u8], last: bool) -> Result<(&'static Encoding, bool)> {
        let bom = Encoding::for_bom(sample);
        if let Some(forced) = self.opts.encoding {
            self.report.name = forced.name().to_string();
            self.report.source = "user".into();
            self.report.confidence = 1.0;
            return Ok((forced, true));
        }
        if let Some((enc, _)) = bom {
            self.report.name = enc.name().to_string();
            self.report.source = "bom".into();
            self.report.confidence = 1.0;
            return Ok((enc, true));
        }
        if sample.is_empty() {
            self.report.name = UTF_8.name().to_string();
            self.report.source = "default".into();
            self.report.confidence = 1.0;
            return Ok((UTF_8, false));
        }
        if let Some(enc) = detect::declared(sample, last) {
            self.report.name = enc.name().to_string();
            self.report.source = "declared".into();
            self.report.confidence = 1.0;
            return Ok((enc, false));
        }
        let d = detect(sample, last)?;
        self.report.name = d.encoding.name().to_string();
        self.report.source = "detected".into();
        self.report.confidence = d.confidence;
        Ok((d.encoding, false))
    }

    fn decode_with(&mut self, mut input: &[u8], out: &mut String, last: bool) -> Result<()> {
        let State::Decoding(decoder) = &mut self.state else {
            if input.is_empty() {
                return Ok(());
            }
            return Err(Error::new(
                ErrorKind::Usage,
                "decoder used after the last chunk",
            ));
        };
        loop {
            let need = decoder
                .max_utf8_buffer_length_without_replacement(input.len())
                .unwrap_or(input.len() * 3 + 16);
            out.reserve(need);
            let (result, read) = decoder.decode_to_string_without_replacement(input, out, last);
            input = &input[read..];
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => continue,
                DecoderResult::Malformed(_, _) => {
                    out.push('\u{FFFD}');
                    self.report.replacements += 1;
                }
            }
        }
        if last {
            self.state = State::Done;
        }
        Ok(())
    }

    /// The decoding part of the report.
    pub fn report(&self) -> EncodingReport {
        self.report.clone()
    }
}

/// Validates the raw bytes of `input` as UTF-8 and makes them text, replacing each invalid
/// sequence by U+FFFD as the WHATWG decoder does (one per maximal subpart). An incomplete
/// character at the end stays raw unless `last`. Returns the number of replacements.
fn utf8_in_place(input: &mut InputBuf, last: bool) -> u64 {
    let raw = &input.bytes[input.ready..input.filled];
    let err = match simdutf8::compat::from_utf8(raw) {
        Ok(_) => {
            input.ready = input.filled;
            return 0;
        }
        Err(e) => e,
    };
    if err.error_len().is_none() && !last {
        input.ready += err.valid_up_to();
        return 0;
    }
    // Replacements change lengths: build the buffer anew (in place it could be quadratic).
    let mut fixed = Vec::with_capacity(input.bytes.len() + 16);
    fixed.extend_from_slice(&input.bytes[..input.ready]);
    let mut rest = raw;
    let mut replaced = 0;
    while !rest.is_empty() {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(_) => (rest.len(), 0),
            Err(e) => (e.valid_up_to(), e.error_len().unwrap_or(0)),
        };
        fixed.extend_from_slice(&rest[..valid]);
        rest = &rest[valid..];
        if rest.is_empty() {
            break;
        }
        if bad == 0 && !last {
            break; // an incomplete character: wait for the rest
        }
        fixed.extend_from_slice("\u{FFFD}".as_bytes());
        replaced += 1;
        rest = &rest[if bad == 0 { rest.len() } else { bad }..];
    }
    let ready = fixed.len();
    fixed.extend_from_slice(rest);
    let filled = fixed.len();
    fixed.resize(fixed.len().max(input.bytes.len()), 0);
    input.bytes = fixed;
    input.ready = ready;
    input.filled = filled;
    replaced
}
