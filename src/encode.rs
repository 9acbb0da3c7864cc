//! UTF-8 -> output bytes. UTF-8 by default; GB18030, GBK, Big5, UTF-16 and the other WHATWG
//! encodings on request. A character the output encoding cannot represent is an error naming the
//! character and its line and column, unless the lossy fallback (`&#NNNN;`) was asked for.

use std::io::Write;

use encoding_rs::{EncoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8};

use crate::error::{Error, ErrorKind, Result};
use crate::text::codes::table_encoder;

/// Encoding options.
#[derive(Clone, Debug)]
pub struct EncodeOptions {
    /// The output encoding.
    pub encoding: &'static Encoding,
    /// Write unrepresentable characters as HTML numeric character references instead of failing.
    pub lossy: bool,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            encoding: UTF_8,
            lossy: false,
        }
    }
}

/// Looks up an output encoding by label.
pub fn lookup_output(label: &str) -> Result<&'static Encoding> {
    let enc = crate::decode::lookup(label)?;
    if enc.name() == "replacement" || enc == encoding_rs::ISO_2022_JP {
        return Err(Error::new(
            ErrorKind::UnknownEncoding,
            format!("cannot write {label:?}"),
        ));
    }
    Ok(enc)
}

/// A streaming encoder for one document.
pub struct Encoder {
    opts: EncodeOptions,
    inner: Option<encoding_rs::Encoder>,
    /// GBK and Big5 are written from build.rs's tables (the same bytes as encoding_rs's encoder,
    /// without its search of the whole index for each character the encoding lacks).
    table: Option<fn(char, &mut Vec<u8>) -> bool>,
    buf: Vec<u8>,
    line: u64,
    column: u64,
    unmappable: u64,
    /// NUL characters written (see [`Encoder::nul_chars`]).
    nuls: u64,
}

impl Encoder {
    /// An encoder with `opts`.
    pub fn new(opts: EncodeOptions) -> Encoder {
        let table = table_encoder(opts.encoding);
        let inner = (table.is_none()
            && opts.encoding != UTF_8
            && opts.encoding != UTF_16LE
            && opts.encoding != UTF_16BE)
            .then(|| opts.encoding.new_encoder());
        Encoder {
            opts,
            inner,
            table,
            buf: Vec::new(),
            line: 1,
            column: 1,
            unmappable: 0,
            nuls: 0,
        }
    }

    /// Encodes `text` and writes it; returns the number of bytes written.
    pub fn write(&mut self, text: &str, w: &mut dyn Write, last: bool) -> Result<u64> {
        self.nuls += memchr::memchr_iter(0, text.as_bytes()).count() as u64;
        let enc = self.opts.encoding;
        let bytes: &[u8] = if enc == UTF_8 {
            text.as_bytes()
        } else if enc == UTF_16LE || enc == UTF_16BE {
            self.buf.clear();
            for u in text.encode_utf16() {
                let b = if enc == UTF_16LE {
                    u.to_le_bytes()
                } else {
                    u.to_be_bytes()
                };
                self.buf.extend_from_slice(&b);
            }
            &self.buf
        } else if let Some(push) = self.table {
            self.encode_table(text, push)?;
            &self.buf
        } else {
            self.encode_legacy(text, last)?;
            &self.buf
        };
        w.write_all(bytes).map_err(Error::write)?;
        Ok(bytes.len() as u64)
    }

    fn encode_legacy(&mut self, text: &str, last: bool) -> Result<()> {
        // Out of `self` while it runs, for `unmappable_char`.
        let mut encoder = self.inner.take().expect("legacy encoder");
        let done = self.encode_with(&mut encoder, text, last);
        self.inner = Some(encoder);
        done
    }

    fn encode_with(
        &mut self,
        encoder: &mut encoding_rs::Encoder,
        text: &str,
        last: bool,
    ) -> Result<()> {
        // The buffer is sized for the rest of the text only when it has too little room left:
        // sizing (and zeroing) it for the rest at every unrepresentable character would cost
        // the square of the text's length when there are many.
        let mut len = 0usize;
        let mut src = text;
        let mut done = 0usize;
        loop {
            let need = encoder
                .max_buffer_length_from_utf8_without_replacement(src.len())
                .unwrap_or(src.len() * 4 + 16);
            if self.buf.len() < len + need {
                self.buf.resize((len + need).max(2 * self.buf.len()), 0);
            }
            let (result, read, written) =
                encoder.encode_from_utf8_without_replacement(src, &mut self.buf[len..], last);
            len += written;
            done += read;
            src = &src[read..];
            match result {
                EncoderResult::InputEmpty => break,
                EncoderResult::OutputFull => continue,
                EncoderResult::Unmappable(c) => {
                    let mut reference = Vec::new();
                    self.unmappable_char(c, text, done - c.len_utf8(), &mut reference)?;
                    if self.buf.len() < len + reference.len() {
                        self.buf.resize(2 * (len + reference.len()), 0);
                    }
                    self.buf[len..len + reference.len()].copy_from_slice(&reference);
                    len += reference.len();
                }
            }
        }
        self.buf.truncate(len);
        let (line, column) = advance(self.line, self.column, text);
        self.line = line;
        self.column = column;
        Ok(())
    }

    /// Encodes `text` with a table's `push` (see `table`).
    fn encode_table(&mut self, text: &str, push: fn(char, &mut Vec<u8>) -> bool) -> Result<()> {
        let mut out = std::mem::take(&mut self.buf);
        out.clear();
        out.reserve(text.len());
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut result = Ok(());
        while i < bytes.len() {
            // ASCII is itself in both encodings.
            let ascii = bytes[i..]
                .iter()
                .position(|b| !b.is_ascii())
                .unwrap_or(bytes.len() - i);
            out.extend_from_slice(&bytes[i..i + ascii]);
            i += ascii;
            let Some(c) = text[i..].chars().next() else {
                break;
            };
            if !push(c, &mut out) {
                result = self.unmappable_char(c, text, i, &mut out);
                if result.is_err() {
                    break;
                }
            }
            i += c.len_utf8();
        }
        self.buf = out;
        result?;
        let (line, column) = advance(self.line, self.column, text);
        self.line = line;
        self.column = column;
        Ok(())
    }

    /// A character the output encoding lacks, at byte `at` of `text`: its numeric character
    /// reference appended to `out` with the lossy fallback, else an error naming its line and
    /// column.
    fn unmappable_char(&mut self, c: char, text: &str, at: usize, out: &mut Vec<u8>) -> Result<()> {
        if self.opts.lossy {
            self.unmappable += 1;
            out.extend_from_slice(format!("&#{};", c as u32).as_bytes());
            return Ok(());
        }
        let (line, column) = advance(self.line, self.column, &text[..at]);
        Err(Error::new(
            ErrorKind::Unmappable { ch: c, line, column },
            format!(
                "character {c:?} (U+{:04X}) at line {line}, column {column} cannot be written in {}; use --lossy-output to write it as &#{};",
                c as u32,
                self.opts.encoding.name(),
                c as u32
            ),
        ))
    }

    /// NUL characters written. Input is called binary when its first 64 KiB hold a NUL byte
    /// (unless UTF-16 or a named encoding explains it); a NUL further on is text that passes
    /// through, and this count lets the caller say so.
    pub fn nul_chars(&self) -> u64 {
        self.nuls
    }

    /// (output encoding name, characters written with the lossy fallback).
    pub fn report(&self) -> (String, u64) {
        (self.opts.encoding.name().to_string(), self.unmappable)
    }
}

/// Line and column after `text`, starting from (`line`, `column`).
fn advance(line: u64, column: u64, text: &str) -> (u64, u64) {
    match text.rfind('\n') {
        Some(i) => (
            line + memchr::memchr_iter(b'\n', text.as_bytes()).count() as u64,
            1 + text[i + 1..].chars().count() as u64,
        ),
        None => (line, column + text.chars().count() as u64),
    }
}
