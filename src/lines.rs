//! Cutting text into lines: the one place line-based stages (reflow, boilerplate) get their
//! lines from, with a bound on how much of an unending line is held.

/// A piece of text as a line-based stage gets it from [`cut_lines`].
pub(crate) enum Piece<'a> {
    /// A whole line: `raw` is `body` followed by its ending `end` (`"\n"`, `"\r\n"`, or `""` at
    /// the end of the input).
    Line {
        raw: &'a str,
        body: &'a str,
        end: &'static str,
    },
    /// The first part of a line longer than the limit: the stage passes it through.
    LongStart(&'a str),
    /// More of that line (the last piece ends with its line ending).
    LongRest(&'a str),
}

/// Finds `'\n'`. On x86-64 with SSE2 (every x86-64 processor), memchr's SSE2 searcher, which
/// inlines into the line loop: `memchr::memchr` picks its routine through a pointer on every
/// call, and on lines of 20 characters (PDF text) that call cost more than the search.
struct Newline {
    #[cfg(target_arch = "x86_64")]
    sse2: Option<memchr::arch::x86_64::sse2::memchr::One>,
}

impl Newline {
    #[inline(always)]
    fn new() -> Self {
        Newline {
            #[cfg(target_arch = "x86_64")]
            sse2: memchr::arch::x86_64::sse2::memchr::One::new(b'\n'),
        }
    }

    #[inline(always)]
    fn find(&self, bytes: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(sse2) = &self.sse2 {
            return sse2.find(bytes);
        }
        memchr::memchr(b'\n', bytes)
    }
}

/// Cuts `input` into lines for a line-based stage and returns how many bytes were consumed:
/// complete lines, and the unfinished last line only when `last`. A line that grows past
/// `max_line` bytes without an ending is handed over in pieces (`in_long` says a call starts
/// inside one), so a stage never holds more than `max_line` bytes of a line. A `'\r'` that ends
/// a chunk inside a long line waits for the next call, which may bring its `'\n'`.
pub(crate) fn cut_lines(
    input: &str,
    last: bool,
    max_line: usize,
    in_long: &mut bool,
    mut f: impl FnMut(Piece<'_>),
) -> usize {
    let mut pos = 0;
    let newline = Newline::new();
    while pos < input.len() {
        let rest = &input[pos..];
        let nl = newline.find(rest.as_bytes());
        if *in_long {
            let end = match nl {
                Some(i) => {
                    *in_long = false;
                    i + 1
                }
                None if last => rest.len(),
                None => rest.len() - usize::from(rest.ends_with('\r')),
            };
            if end > 0 {
                f(Piece::LongRest(&rest[..end]));
            }
            pos += end;
            if nl.is_none() {
                break;
            }
            continue;
        }
        match nl {
            Some(i) => {
                let body = &rest[..i];
                let (body, end) = body
                    .strip_suffix('\r')
                    .map_or((body, "\n"), |l| (l, "\r\n"));
                f(Piece::Line {
                    raw: &rest[..=i],
                    body,
                    end,
                });
                pos += i + 1;
            }
            None if last => {
                f(Piece::Line {
                    raw: rest,
                    body: rest,
                    end: "",
                });
                pos = input.len();
            }
            None if rest.len() > max_line => {
                let mut cut = max_line;
                while !rest.is_char_boundary(cut) {
                    cut -= 1;
                }
                f(Piece::LongStart(&rest[..cut]));
                *in_long = true;
                pos += cut;
            }
            None => break,
        }
    }
    pos
}
