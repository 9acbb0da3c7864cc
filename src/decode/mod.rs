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
    Sniffing(Vec<u8>),
    Decoding(encoding_rs::Decoder),
    Done,
}

/// A streaming decoder for one document.
pub struct Decoder {
    opts: DecodeOptions,
    state: State,
    report: EncodingReport,
}

impl Decoder {
    /// A decoder with `opts`.
    pub fn new(opts: DecodeOptions) -> Decoder {
        Decoder {
            opts,
            state: State::Sniffing(Vec::new()),
            report: EncodingReport::default(),
        }
    }

    /// The encoding chosen, once it is.
    pub fn encoding(&self) -> Option<&'static Encoding> {
        match &self.state {
            State::Decoding(d) => Some(d.encoding()),
            _ => None,
        }
    }

    /// Decodes `input`, appending to `out`. `last` marks the end of the input.
    pub fn decode(&mut self, input: &[u8], out: &mut String, last: bool) -> Result<()> {
        if let State::Sniffing(buf) = &mut self.state {
            // A named encoding needs no look-ahead (its decoder removes its own BOM), so text
            // flows at once: a co-process fed one line at a time gets it back.
            if !last && self.opts.encoding.is_none() && buf.len() + input.len() < SNIFF_BYTES {
                buf.extend_from_slice(input);
                return Ok(());
            }
            let mut sample = std::mem::take(buf);
            sample.extend_from_slice(input);
            let decoder = self.choose(&sample, last)?;
            self.state = State::Decoding(decoder);
            return self.decode_with(&sample, out, last);
        }
        self.decode_with(input, out, last)
    }

    fn choose(&mut self, sample: &[u8], last: bool) -> Result<encoding_rs::Decoder> {
        let bom = Encoding::for_bom(sample);
        if let Some(forced) = self.opts.encoding {
            self.report.name = forced.name().to_string();
            self.report.source = "user".into();
            self.report.confidence = 1.0;
            return Ok(forced.new_decoder_with_bom_removal());
        }
        if let Some((enc, _)) = bom {
            self.report.name = enc.name().to_string();
            self.report.source = "bom".into();
            self.report.confidence = 1.0;
            return Ok(enc.new_decoder_with_bom_removal());
        }
        if sample.is_empty() {
            self.report.name = UTF_8.name().to_string();
            self.report.source = "default".into();
            self.report.confidence = 1.0;
            return Ok(UTF_8.new_decoder_without_bom_handling());
        }
        if let Some(enc) = detect::declared(sample, last) {
            self.report.name = enc.name().to_string();
            self.report.source = "declared".into();
            self.report.confidence = 1.0;
            return Ok(enc.new_decoder_without_bom_handling());
        }
        let d = detect(sample, last)?;
        self.report.name = d.encoding.name().to_string();
        self.report.source = "detected".into();
        self.report.confidence = d.confidence;
        Ok(d.encoding.new_decoder_without_bom_handling())
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
