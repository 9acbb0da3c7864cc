//! The library's error type: a kind to match on and a lowercase message for people.

use std::fmt;

/// What went wrong, for callers that react differently to different failures.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading input failed (the message has the OS error).
    Io(std::io::ErrorKind),
    /// Writing output failed (the message has the OS error): a full disk, a closed pipe.
    Write(std::io::ErrorKind),
    /// The input looks like a binary file (NUL bytes in text that is not UTF-16).
    Binary,
    /// An encoding name that is not known.
    UnknownEncoding,
    /// A character cannot be written in the requested output encoding.
    Unmappable {
        /// The character.
        ch: char,
        /// 1-based line in the output.
        line: u64,
        /// 1-based column (in characters) in the output.
        column: u64,
    },
    /// A conversion config or target name that is not known.
    UnknownConfig,
    /// A user dictionary could not be read or parsed.
    Dictionary,
    /// Options that cannot be combined, or the library's API used out of order.
    Usage,
    /// Input that is not in the form its format requires (a JSON Lines line that is not an
    /// object with the text field as a string).
    Malformed,
    /// A bug in zhtidy: a stage broke its contract, or a worker thread panicked.
    Bug,
}

/// An error from zhtidy's library.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// A new error of `kind` with `message` (lowercase, no trailing period).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// What kind of error this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Whether this is a write to a closed pipe (callers usually exit quietly).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Io(std::io::ErrorKind::BrokenPipe)
                | ErrorKind::Write(std::io::ErrorKind::BrokenPipe)
        )
    }

    /// A failure to read: the message is `context` and the OS error (which is not repeated as
    /// a source: a chain printer would show it twice).
    pub(crate) fn io(context: impl fmt::Display, err: std::io::Error) -> Error {
        Error {
            kind: ErrorKind::Io(err.kind()),
            message: format!("{context}: {err}"),
        }
    }

    /// A failure to write the output.
    pub(crate) fn write(err: std::io::Error) -> Error {
        Error {
            kind: ErrorKind::Write(err.kind()),
            message: format!("writing output: {err}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand for results with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
