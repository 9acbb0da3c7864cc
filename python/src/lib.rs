//! The `zhtidy._zhtidy` extension module: the library's converter, repair, cleaning chain and
//! decoder for Python, and its command line. `zhtidy/__init__.py` is the documented face of
//! it; every function here releases the GIL while Rust works.

use std::str::FromStr;

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use zhtidy::convert::{Config, Converter, Source, Target};
use zhtidy::decode::{DecodeOptions, Decoder};
use zhtidy::pipeline::Html;
use zhtidy::repair::Unrepairable;
use zhtidy::PipelineBuilder;

/// mimalloc, as in the `zhtidy` binary: with glibc's malloc the threads of `clean_batch`
/// contend for its arenas and two cores did the work of 1.3.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

create_exception!(
    _zhtidy,
    ZhtidyError,
    PyValueError,
    "An error of zhtidy's library (unknown config, bad option, undecodable input); a ValueError."
);

fn err(e: zhtidy::Error) -> PyErr {
    ZhtidyError::new_err(e.to_string())
}

/// An OpenCC converter for one configuration (`s2t`, `t2s`, `s2twp`, ... with or without
/// `.json`), byte-identical to OpenCC 1.4.2.
#[pyclass(module = "zhtidy._zhtidy", frozen)]
struct OpenCC {
    converter: Converter,
}

#[pymethods]
impl OpenCC {
    #[new]
    #[pyo3(signature = (config = "t2s"))]
    fn new(config: &str) -> PyResult<Self> {
        let config = Config::from_str(config).map_err(err)?;
        Ok(OpenCC {
            converter: Converter::new(config),
        })
    }

    /// Converts `text`.
    fn convert(&self, py: Python<'_>, text: &str) -> String {
        py.allow_threads(|| self.converter.convert(text))
    }

    /// The configuration's name (`s2t`, ...).
    #[getter]
    fn config(&self) -> &'static str {
        self.converter.config().name()
    }

    fn __repr__(&self) -> String {
        format!("zhtidy.OpenCC({:?})", self.converter.config().name())
    }
}

/// The options of [`clean`] and [`clean_batch`], as a builder.
#[allow(clippy::too_many_arguments)]
fn builder(
    to: Option<&str>,
    from_: Option<&str>,
    html: Option<bool>,
    boilerplate: bool,
    reflow: bool,
    unrepairable: Option<&str>,
) -> PyResult<PipelineBuilder> {
    let mut b = PipelineBuilder::default()
        .boilerplate(boilerplate)
        .reflow(reflow)
        .html(match html {
            None => Html::Auto,
            Some(true) => Html::Always,
            Some(false) => Html::Never,
        });
    if let Some(to) = to {
        b = b.target(Target::from_str(to).map_err(err)?);
    }
    if let Some(from) = from_ {
        b = b.from(Source::from_str(from).map_err(err)?);
    }
    if let Some(u) = unrepairable {
        b = b.unrepairable(Unrepairable::parse(u).ok_or_else(|| {
            ZhtidyError::new_err(format!(
                "unrepairable must be keep, mark or drop, not {u:?}"
            ))
        })?);
    }
    Ok(b)
}

/// Converts `text` to `to` (an OpenCC config or an alias: `simplified`, `traditional`, `tw`,
/// `tw-phrases`, `hk`, `hk-phrases`, `cn`, `jp`); for an alias, the source script is `from_`
/// or detected.
#[pyfunction]
#[pyo3(signature = (text, to, from_ = None))]
fn convert(py: Python<'_>, text: &str, to: &str, from_: Option<&str>) -> PyResult<String> {
    let target = Target::from_str(to).map_err(err)?;
    let mut b = PipelineBuilder::default().target(target).convert_only();
    if let Some(from) = from_ {
        b = b.from(Source::from_str(from).map_err(err)?);
    }
    py.allow_threads(|| b.build()?.run_text(text)).map_err(err)
}

/// Repairs garbled text (pinyin residue, mojibake, lost bytes, flattened punctuation,
/// escapes); clean text comes back unchanged.
#[pyfunction]
fn fix_text(py: Python<'_>, text: &str) -> PyResult<String> {
    static REPAIR: std::sync::LazyLock<PipelineBuilder> = std::sync::LazyLock::new(|| {
        PipelineBuilder::default()
            .only(&["repair"])
            .expect("repair is a stage")
    });
    thread_local! {
        // A built pipeline per thread, forked for each text: a fork skips what building does
        // again every time (paragraph-sized texts: 0.9 µs a call in Rust against 1.5).
        static TEMPLATE: Option<zhtidy::Pipeline> = REPAIR.build().ok();
    }
    py.allow_threads(|| {
        let pipeline = TEMPLATE.with(|t| t.as_ref().and_then(|t| t.fork()));
        match pipeline {
            Some(p) => p.run_text(text),
            None => REPAIR.build()?.run_text(text),
        }
    })
    .map_err(err)
}

/// The whole chain on one text; with `report`, the text and the report as JSON.
#[pyfunction]
#[pyo3(signature = (text, to = None, from_ = None, html = None, boilerplate = true, reflow = true, unrepairable = None, report = false))]
#[allow(clippy::too_many_arguments)]
fn clean(
    py: Python<'_>,
    text: &str,
    to: Option<&str>,
    from_: Option<&str>,
    html: Option<bool>,
    boilerplate: bool,
    reflow: bool,
    unrepairable: Option<&str>,
    report: bool,
) -> PyResult<(String, Option<String>)> {
    let b = builder(to, from_, html, boilerplate, reflow, unrepairable)?;
    py.allow_threads(|| -> zhtidy::Result<(String, Option<String>)> {
        let (out, r) = b.build()?.run_str(text)?;
        let json = report.then(|| serde_json::to_string(&r).unwrap_or_default());
        Ok((out, json))
    })
    .map_err(err)
}

/// The whole chain on each text of a list, on `threads` threads (0: one per core), in order.
#[pyfunction]
#[pyo3(signature = (texts, to = None, from_ = None, html = None, boilerplate = true, reflow = true, unrepairable = None, threads = 0))]
#[allow(clippy::too_many_arguments)]
fn clean_batch(
    py: Python<'_>,
    texts: Vec<String>,
    to: Option<&str>,
    from_: Option<&str>,
    html: Option<bool>,
    boilerplate: bool,
    reflow: bool,
    unrepairable: Option<&str>,
    threads: usize,
) -> PyResult<Vec<String>> {
    let b = builder(to, from_, html, boilerplate, reflow, unrepairable)?;
    py.allow_threads(|| {
        b.run_texts(&texts, threads)?
            .into_iter()
            .collect::<zhtidy::Result<Vec<String>>>()
    })
    .map_err(err)
}

/// Decodes bytes (BOM, then detection; or `encoding` by WHATWG label): the text and the name
/// of the encoding used.
#[pyfunction]
#[pyo3(signature = (data, encoding = None))]
fn decode(
    py: Python<'_>,
    data: &Bound<'_, PyBytes>,
    encoding: Option<&str>,
) -> PyResult<(String, String)> {
    let bytes = data.as_bytes();
    let opts = DecodeOptions {
        encoding: encoding
            .map(zhtidy::decode::lookup)
            .transpose()
            .map_err(err)?,
    };
    py.allow_threads(|| -> zhtidy::Result<(String, String)> {
        let mut decoder = Decoder::new(opts);
        let mut out = String::with_capacity(bytes.len());
        decoder.decode(bytes, &mut out, true)?;
        Ok((out, decoder.report().name))
    })
    .map_err(err)
}

/// Runs the command line on `argv` (its first item names the program); returns the exit code.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<String>) -> i32 {
    py.allow_threads(|| zhtidy::cli::main_from(argv))
}

#[pymodule]
fn _zhtidy(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ZhtidyError", m.py().get_type::<ZhtidyError>())?;
    m.add_class::<OpenCC>()?;
    m.add_function(wrap_pyfunction!(convert, m)?)?;
    m.add_function(wrap_pyfunction!(fix_text, m)?)?;
    m.add_function(wrap_pyfunction!(clean, m)?)?;
    m.add_function(wrap_pyfunction!(clean_batch, m)?)?;
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
