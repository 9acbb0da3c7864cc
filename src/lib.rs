//! zhtidy turns messy Chinese text into clean text, as a streaming filter.
//!
//! The main types:
//! - [`Pipeline`] runs one document: bytes are decoded ([`decode`]), passed through stages
//!   ([`Stage`]) such as conversion ([`convert`]), and encoded ([`encode`]). Build it with
//!   [`Pipeline::builder`]; it returns a [`Report`] of what it detected and changed.
//! - [`convert::Converter`] converts between Simplified and Traditional Chinese exactly as
//!   OpenCC 1.4.2 does, for all 16 of OpenCC's configs, with the dictionaries built in.
//!
//! ```
//! use zhtidy::{convert::{Config, Target}, Pipeline};
//!
//! let input = "鼠标里面的硅二极管坏了".as_bytes();
//! let mut out = Vec::new();
//! let report = Pipeline::builder()
//!     .target(Target::Config(Config::S2twp))
//!     .build()?
//!     .run(input, &mut out)?;
//! assert_eq!(String::from_utf8(out).unwrap(), "滑鼠裡面的矽二極體壞了");
//! assert_eq!(report.encoding.name, "UTF-8");
//! # Ok::<(), zhtidy::Error>(())
//! ```
//!
//! # The chunk contract
//!
//! Input arrives in chunks of any size, cut anywhere (even inside a character). Every stage
//! consumes a prefix of what it is given and hands back the rest with the next chunk, holding
//! back only a bounded amount (for conversion, the longest dictionary key: 15 characters). So
//! the output never depends on how the input was chunked, and memory stays flat however long a
//! single line is.
#![deny(missing_docs)]

pub mod boilerplate;
pub mod cli;
pub mod convert;
pub mod decode;
pub mod encode;
mod error;
pub mod html;
pub mod jsonl;
mod lines;
pub mod ordered;
pub mod pipeline;
pub mod reflow;
pub mod repair;
pub mod report;
pub mod stage;
mod text;

pub use error::{Error, ErrorKind, Result};
/// The `html` stage's module under its earlier name.
#[doc(hidden)]
pub use html as markup;
pub use pipeline::{parallel, Pipeline, PipelineBuilder};
pub use report::Report;
pub use stage::Stage;
