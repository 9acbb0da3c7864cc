//! Character classes and byte tricks that several stages share: which characters are Han or
//! CJK punctuation ([`chars`]), word-at-a-time byte tests ([`swar`]), and code-point tables
//! ([`codes`]).

pub(crate) mod big5_python;
pub(crate) mod chars;
pub(crate) mod codes;
pub(crate) mod swar;
