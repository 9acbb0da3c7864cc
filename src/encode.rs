//! UTF-8 -> output bytes. UTF-8 by default; GB18030, GBK, Big5, UTF-16 and the other WHATWG
//! encodings on request. A character the output encoding cannot represent is an error naming the
//! character and its line and column, unless the lossy fallback (`&#NNNN;`) was asked for.

use std::io::Write;

use encoding_rs::{EncoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8};

use crate::error::{Error, ErrorKind, Result};

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
    buf: Vec<u8>,
    line: u64,
    column: u64,
    unmappable: u64,
}

impl Encoder {
    /// An encoder with `opts`.
    pub fn new(opts: EncodeOptions) -> Encoder {
        let inner =
            (opts.encoding != UTF_8 && opts.encoding != UTF_16LE && opts.encoding != UTF_16BE)
                .then(|| opts.encoding.new_encoder());
        Encoder {
            opts,
            inner,
            buf: Vec::new(),
            line: 1,
            column: 1,
            unmappable: 0,
        }
    }

    /// Encodes `text` and writes it; returns the number of bytes written.
    pub fn write(&mut self, text: &str, w: &mut dyn Write, last: bool) -> Result<u64> {
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
        } else {
            self.encode_legacy(text, last)?;
            &self.buf
        };
        w.write_all(bytes)
            .map_err(|e| Error::io("writing output", e))?;
        Ok(bytes.len() as u64)
    }

    fn encode_legacy(&mut self, text: &str, last: bool) -> Result<()> {
        let encoder = self.inner.as_mut().expect("legacy encoder");
        self.buf.clear();
        let mut src = text;
        let mut done = 0usize;
        loop {
            let need = encoder
                .max_buffer_length_from_utf8_without_replacement(src.len())
                .unwrap_or(src.len() * 4 + 16);
            let start = self.buf.len();
            self.buf.resize(start + need, 0);
            let (result, read, written) =
                encoder.encode_from_utf8_without_replacement(src, &mut self.buf[start..], last);
            self.buf.truncate(start + written);
            done += read;
            src = &src[read..];
            match result {
                EncoderResult::InputEmpty => break,
                EncoderResult::OutputFull => continue,
                EncoderResult::Unmappable(c) => {
                    if self.opts.lossy {
                        self.unmappable += 1;
                        self.buf
                            .extend_from_slice(format!("&#{};", c as u32).as_bytes());
                        continue;
                    }
                    let at = done - c.len_utf8();
                    let (line, column) = advance(self.line, self.column, &text[..at]);
                    return Err(Error::new(
                        ErrorKind::Unmappable { ch: c, line, column },
                        format!(
                            "character {c:?} (U+{:04X}) at line {line}, column {column} cannot be written in {}; use --lossy-output to write it as &#{};",
                            c as u32,
                            self.opts.encoding.name(),
                            c as u32
                        ),
                    ));
                }
            }
        }
        let (line, column) = advance(self.line, self.column, text);
        self.line = line;
        self.column = column;
        Ok(())
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
