//! The command line: parse arguments, build the pipeline, run it over each input, map errors to
//! exit codes. It never edits text itself.

mod args;
mod batch;
mod exit;
mod output;
mod temps;

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Parser;

use crate::convert::{parse_user_dict, Config, Source, Target};
use crate::html::FrontMatter;
use crate::jsonl::JsonlEvent;
use crate::pipeline::Html;
use crate::{Pipeline, PipelineBuilder};

pub use args::Args;
pub use exit::Exit;
use output::Output;

/// Runs the command line on the process's arguments; returns the process exit code.
pub fn main() -> i32 {
    main_from(std::env::args_os())
}

/// Runs the command line on `args` (the first one names the program, as in `argv`); returns
/// the process exit code. The `zhtidy` binary and the Python package's `zhtidy` command both
/// call this. `--help` and `--version` are printed here too, and usage errors are reported on
/// standard error with exit code 2.
pub fn main_from<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args = match Args::try_parse_from(args) {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let exit = match run(args) {
        Ok(exit) => exit,
        Err(e) if is_broken_pipe(&e) => Exit::Success,
        Err(e) => {
            warn(format_args!("{e:#}"));
            Exit::Usage
        }
    };
    exit.code()
}

/// Writes `zhtidy: MESSAGE` to standard error. A standard error that cannot be written (closed,
/// a full disk) loses the message; it never ends the run (`eprintln!` would panic).
pub(crate) fn warn(message: std::fmt::Arguments) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "zhtidy: {message}");
}

/// A path as it is shown on a terminal: control characters (a newline, ESC) and bidirectional
/// controls escaped as `\n`, `\u{1b}`, bytes that are not UTF-8 as `\xFF`, so that a hostile file
/// name can neither forge output lines nor drive the terminal.
pub(crate) fn shown(path: &Path) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for chunk in path.as_os_str().as_encoded_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            let bidi = matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    out
}

/// The bytes of `path` when they are not UTF-8 (for a report's `path_bytes`).
pub(crate) fn path_bytes(path: &Path) -> Option<Vec<u8>> {
    let bytes = path.as_os_str().as_encoded_bytes();
    std::str::from_utf8(bytes).is_err().then(|| bytes.to_vec())
}

/// A writer whose reader may go away: once a write fails with a broken pipe, later writes are
/// dropped and succeed, so that work whose result is the exit status (`--check`) is finished
/// and answers the same whoever reads its output.
pub(crate) struct Forgiving<W> {
    inner: W,
    gone: bool,
}

impl<W: Write> Forgiving<W> {
    pub(crate) fn new(inner: W) -> Self {
        Forgiving { inner, gone: false }
    }
}

impl<W: Write> Write for Forgiving<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.gone {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.gone = true;
                Ok(buf.len())
            }
            r => r,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.gone {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.gone = true;
                Ok(())
            }
            r => r,
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<crate::Error>()
            .is_some_and(|z| z.is_broken_pipe())
            || c.downcast_ref::<io::Error>()
                .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn builder(args: &Args) -> Result<PipelineBuilder> {
    let mut b = Pipeline::builder();
    if let Some(e) = &args.encoding {
        b = b.encoding(e)?;
    } else if args.line_buffered || args.jsonl {
        b = b.encoding("utf-8")?;
    }
    if let Some(e) = &args.output_encoding {
        b = b.output_encoding(e)?;
    }
    if args.jsonl {
        // Before any input is read (a usage error, exit 2).
        crate::jsonl::check_encodings(&b)?;
    }
    b = b.lossy_output(args.lossy_output);
    if let Some(to) = &args.to {
        b = b.target(to.parse::<Target>()?);
    }
    if args.line_buffered && !args.jsonl && args.from.is_none() {
        if let Some(Target::Script(_)) = args.to.as_deref().map(str::parse::<Target>).transpose()? {
            anyhow::bail!("--line-buffered with a script alias needs --from (detection reads 64 KiB ahead); or name an OpenCC config");
        }
    }
    if let Some(from) = &args.from {
        if args.to.is_none() {
            anyhow::bail!("--from needs --to");
        }
        b = b.from(from.parse::<Source>()?);
    }
    for path in &args.dicts {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading dictionary {}", path.display()))?;
        let entries =
            parse_user_dict(&text).with_context(|| format!("dictionary {}", path.display()))?;
        b = b.user_entries(entries);
    }
    b = b.no_fix(&args.no_fix).fix(&args.fix).unrepairable(
        crate::repair::Unrepairable::parse(&args.unrepairable).expect("clap checked the value"),
    );
    // A co-process feeding one line at a time gets each line back at once: no stage may wait
    // for more lines (sniffing, reflow look-ahead, header/footer detection).
    let streaming_lines = args.line_buffered && !args.jsonl;
    b = b
        .html(if args.html {
            Html::Always
        } else if args.no_html || streaming_lines {
            Html::Never
        } else {
            Html::Auto
        })
        .front_matter(
            args.front_matter
                .parse::<FrontMatter>()
                .map_err(anyhow::Error::msg)?,
        )
        .main_content_mode(if args.keep_page || streaming_lines {
            crate::html::MainContent::Off
        } else if args.main_content {
            crate::html::MainContent::Always
        } else {
            crate::html::MainContent::Pages
        })
        .reflow(!args.no_reflow && !streaming_lines)
        .boilerplate(!args.keep_boilerplate && !streaming_lines)
        .keep_bylines(args.keep_bylines);
    if let Some(only) = &args.only {
        b = b.only(only)?;
    }
    b.validate()?;
    Ok(b)
}

/// Options given that have no effect with the others, each said once: a user who typed one
/// expected something of it.
fn ignored_options(args: &Args) -> Vec<String> {
    let folder = batch::wanted(args);
    let mut notes = Vec::new();
    let mut unused = |given: bool, what: &str, needs: &str| {
        if given {
            notes.push(format!("{what} has no effect without {needs}"));
        }
    };
    unused(
        args.backup.is_some() && !args.in_place && args.out_dir.is_none(),
        "--backup",
        "--in-place or --out-dir",
    );
    unused(
        args.ext.is_some() && args.out_dir.is_none(),
        "--ext",
        "--out-dir",
    );
    unused(
        !args.dicts.is_empty() && args.to.is_none(),
        "--dict",
        "--to",
    );
    unused(
        args.skip_bad_lines && !args.jsonl,
        "--skip-bad-lines",
        "--jsonl",
    );
    unused(
        args.damage_key.is_some() && !args.jsonl && !folder,
        "--damage-key",
        "--jsonl",
    );
    unused(
        args.text_key != "text" && !args.jsonl && !folder,
        "--text-key",
        "--jsonl",
    );
    unused(
        args.lossy_output && args.output_encoding.is_none(),
        "--lossy-output",
        "--output-encoding",
    );
    unused(
        !folder && (!args.globs.is_empty() || args.hidden || args.no_ignore),
        "--glob, --hidden and --no-ignore",
        "a folder",
    );
    unused(
        !folder && args.structured != "convert",
        "--structured",
        "a folder",
    );
    unused(
        args.main_content && args.no_html,
        "--main-content",
        "the html stage (--no-html is given)",
    );
    if args.line_buffered && args.output.is_some() {
        notes.push(
            "--line-buffered flushes standard output only; -o FILE is written when the run ends"
                .into(),
        );
    }
    if args.check && (args.output.is_some() || args.in_place || args.out_dir.is_some()) {
        notes.push("--check writes no output: -o, --in-place and --out-dir are ignored".into());
    }
    notes
}

/// Where `--report` goes: stderr, a file, or nowhere.
pub(crate) fn report_sink(args: &Args) -> Result<Option<Box<dyn Write + Send>>> {
    Ok(match args.report.as_deref() {
        None => None,
        Some(p) if p == Path::new("-") => Some(Box::new(io::stderr())),
        Some(p) => Some(Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("creating report {}", p.display()))?,
        ))),
    })
}

/// JSON Lines options; `threads` clean the records of one input (folder mode runs files in
/// parallel, and decides how many threads each file's records get).
fn jsonl_options(args: &Args, threads: usize) -> crate::jsonl::JsonlOptions {
    crate::jsonl::JsonlOptions {
        text_key: args.text_key.clone(),
        damage_key: args.damage_key.clone(),
        skip_bad_lines: args.skip_bad_lines,
        line_buffered: args.line_buffered,
        threads,
    }
}

fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `--generate`: completions or the man page, from the clap definitions.
fn generate(what: &str) -> Result<Exit> {
    use clap::CommandFactory;
    let mut cmd = Args::command();
    let mut out = io::stdout();
    if what == "man" {
        clap_mangen::Man::new(cmd).render(&mut out)?;
        return Ok(Exit::Success);
    }
    let shell: clap_complete::Shell = what.parse().map_err(|_| {
        anyhow::anyhow!("unknown shell {what:?} (bash, zsh, fish, elvish, powershell, or man)")
    })?;
    clap_complete::generate(shell, &mut cmd, "zhtidy", &mut out);
    Ok(Exit::Success)
}

fn run(args: Args) -> Result<Exit> {
    if let Some(what) = &args.generate {
        return generate(what);
    }
    if args.list_configs {
        for c in Config::ALL {
            println!("{:<6} {}", c.name(), c.description());
        }
        return Ok(Exit::Success);
    }
    let builder = builder(&args)?;
    for note in ignored_options(&args) {
        warn(format_args!("note: {note}"));
    }
    if batch::wanted(&args) {
        let threads = match args.threads {
            None | Some(0) => all_cores(),
            Some(n) => n,
        };
        return batch::run(&builder, &args, threads, &jsonl_options(&args, 1));
    }
    if args.check {
        return check(&builder, &args);
    }
    let threads = match args.threads {
        None => 1,
        Some(0) => all_cores(),
        Some(n) => n,
    };
    let files: Vec<PathBuf> = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    // Waiting silently for a terminal to type into looks like a hang.
    if files.iter().any(|f| f == Path::new("-")) && std::io::IsTerminal::is_terminal(&io::stdin()) {
        warn(format_args!(
            "reading standard input (end with Ctrl-D; zhtidy FILE reads a file, -h lists options)"
        ));
    }
    if threads > 1 && !args.jsonl && !builder.build()?.line_local() {
        // Asked for and not given: say why, once.
        warn(format_args!(
            "note: -j has no effect on a single document while the html, reflow or \
             boilerplate stage runs (each reads the document whole; --no-html --no-reflow \
             --keep-boilerplate, or --only repair,convert, lets it run in blocks)"
        ));
    }
    let mut reports = report_sink(&args)?;
    if let Some(o) = args.output.as_deref() {
        if o != Path::new("-") && o.file_name().is_none() {
            anyhow::bail!("-o {}: not a file name", o.display());
        }
        temps::install_signal_cleanup();
    }
    // An output that cannot be created is an I/O failure about the file the user named.
    let mut out = match Output::open(args.output.as_deref(), args.line_buffered) {
        Ok(out) => out,
        Err(e) => {
            warn(format_args!("{e:#}"));
            return Ok(Exit::InputFailed);
        }
    };
    let (mut failed, mut output_failed) = (false, false);
    for file in &files {
        let name = file.display().to_string();
        let result = if args.jsonl {
            let opts = jsonl_options(&args, threads);
            let mut write = reports.as_mut().map(|w| {
                move |r: crate::Report| -> crate::Result<()> {
                    writeln!(w, "{}", r.to_json_line()).map_err(|e| {
                        crate::Error::new(crate::ErrorKind::Io(e.kind()), e.to_string())
                    })
                }
            });
            let on_report = write.as_mut().map(|f| f as &mut dyn FnMut(_) -> _);
            run_jsonl_one(&builder, file, out.writer(), &name, &opts, on_report)
                .map(|()| Vec::new())
        } else {
            run_one(&builder, file, out.writer(), threads).map(|mut r| {
                r.path_bytes = path_bytes(file);
                vec![r]
            })
        };
        match result {
            Ok(rs) => {
                for r in rs.iter().filter(|r| r.encoding.nul_chars > 0) {
                    warn(format_args!(
                        "{}: {} NUL {} passed through (after the first 64 KiB, which decide whether input is binary)",
                        shown(file),
                        r.encoding.nul_chars,
                        if r.encoding.nul_chars == 1 { "character" } else { "characters" }
                    ));
                }
                if let Some(w) = reports.as_mut() {
                    if !args.jsonl {
                        for r in rs {
                            writeln!(w, "{}", r.to_json_line()).context("writing report")?;
                        }
                    }
                }
            }
            Err(e) if is_broken_pipe(&e) => return Ok(Exit::Success),
            Err(e) => {
                failed = true;
                let kind = e.downcast_ref::<crate::Error>().map(|z| z.kind());
                if let (Some(crate::ErrorKind::Write(_)), Some(o)) = (kind, &args.output) {
                    // The file the user named could not be written (a full disk): the inputs
                    // after this one could not be either.
                    warn(format_args!("{}: {e:#}", shown(o)));
                    output_failed = true;
                    break;
                }
                // Output streams: what was converted before the error is already written.
                let mid_stream = kind.is_some_and(|k| *k != crate::ErrorKind::Binary);
                let note = if args.output.is_none() && mid_stream {
                    " (its output on stdout is incomplete)"
                } else {
                    ""
                };
                warn(format_args!("{}: {e:#}{note}", shown(file)));
            }
        }
    }
    if let Some(w) = reports.as_mut() {
        w.flush().context("writing report")?;
    }
    if failed && args.output.is_some() {
        out.abandon();
        if !output_failed {
            warn(format_args!(
                "output file not written because an input failed"
            ));
        }
        return Ok(Exit::InputFailed);
    }
    match out.commit() {
        Ok(()) => {}
        Err(e) if is_broken_pipe(&e) => return Ok(Exit::Success),
        Err(e) => return Err(e),
    }
    Ok(Exit::of_run(false, failed, false))
}

/// Standard input for `-`, else the file.
fn open_input(file: &Path) -> Result<Box<dyn Read>> {
    if file == Path::new("-") {
        return Ok(Box::new(io::stdin().lock()));
    }
    if file.is_dir() {
        anyhow::bail!("is a directory");
    }
    Ok(Box::new(File::open(file).context("cannot open")?))
}

/// Cleans one input as JSON Lines into `out`; `on_report`, when given, receives each record's
/// report. Lines passed through unchanged are told on standard error as they come, in order
/// with the reports.
fn run_jsonl_one(
    builder: &PipelineBuilder,
    file: &Path,
    out: &mut dyn Write,
    name: &str,
    opts: &crate::jsonl::JsonlOptions,
    mut on_report: Option<&mut dyn FnMut(crate::Report) -> crate::Result<()>>,
) -> Result<()> {
    let input = io::BufReader::with_capacity(256 * 1024, open_input(file)?);
    let reports = on_report.is_some();
    let summary =
        crate::jsonl::run_jsonl_events(builder, name, input, out, opts, reports, |e| match e {
            JsonlEvent::Record(r) => on_report.as_mut().map_or(Ok(()), |f| f(r)),
            bad => {
                warn(format_args!("{name}:{bad}"));
                Ok(())
            }
        })?;
    if summary.bad_lines > 0 {
        warn(format_args!(
            "{name}: {} malformed lines passed through unchanged",
            summary.bad_lines
        ));
    }
    Ok(())
}

/// Prints what `report` says would change; returns whether anything would.
pub(crate) fn print_check(out: &mut dyn Write, name: &str, report: &crate::Report) -> Result<bool> {
    let mut changed = false;
    let enc = &report.encoding;
    if enc.name != enc.output || enc.source == "bom" || enc.replacements > 0 {
        changed = true;
        writeln!(
            out,
            "{name}: encoding: {} ({}) -> {}, {} invalid sequences",
            enc.name, enc.source, enc.output, enc.replacements
        )?;
    }
    for stage in &report.stages {
        if stage.stage == "repair" {
            for r in stage.detail["repairs"].as_array().into_iter().flatten() {
                let (before, after) = (
                    r["before"].as_str().unwrap_or(""),
                    r["after"].as_str().unwrap_or(""),
                );
                let kind = if before == after { "unsure" } else { "fix" };
                writeln!(
                    out,
                    "{name}:{}:{}: {kind} {}: {before:?} -> {after:?}",
                    r["line"],
                    r["column"],
                    r["fix"].as_str().unwrap_or("")
                )?;
            }
            if let Some(n) = stage.detail["repairs_not_listed"]
                .as_u64()
                .filter(|n| *n > 0)
            {
                writeln!(out, "{name}: ... and {n} more repairs")?;
            }
        } else if stage.stage == "boilerplate" {
            let removed = stage.detail["removed"].as_array();
            for r in removed.into_iter().flatten() {
                writeln!(
                    out,
                    "{name}:{}: boilerplate {}: {:?}",
                    r["line"],
                    r["rule"].as_str().unwrap_or(""),
                    r["text"].as_str().unwrap_or("")
                )?;
            }
            let listed = removed.map_or(0, |r| r.len() as u64);
            if stage.changes > listed {
                writeln!(out, "{name}: ... and {} more lines", stage.changes - listed)?;
            }
        } else if stage.changes > 0 {
            writeln!(
                out,
                "{name}: {}: {} changes ({})",
                stage.stage, stage.changes, stage.detail
            )?;
        }
        changed |= stage.changes > 0;
    }
    Ok(changed)
}

/// `--check`: what would change, file by file; exit 1 if anything, 0 if clean, 2 on errors.
fn check(builder: &PipelineBuilder, args: &Args) -> Result<Exit> {
    let files: Vec<PathBuf> = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    // The exit status is the answer: a reader that goes away early does not change it.
    let mut out = BufWriter::new(Forgiving::new(io::stdout().lock()));
    let (mut changed, mut failed) = (false, false);
    for file in &files {
        let name = shown(file);
        // JSON Lines: each record's report, checked as it comes.
        let result = if args.jsonl {
            let mut print = |r: crate::Report| -> crate::Result<()> {
                changed |= print_check(&mut out, &name, &r).map_err(|e| {
                    crate::Error::new(crate::ErrorKind::Io(io::ErrorKind::Other), e.to_string())
                })?;
                Ok(())
            };
            let opts = jsonl_options(args, 1);
            run_jsonl_one(
                builder,
                file,
                &mut io::sink(),
                &name,
                &opts,
                Some(&mut print),
            )
        } else {
            run_one(builder, file, &mut io::sink(), 1).and_then(|report| {
                changed |= print_check(&mut out, &name, &report)?;
                Ok(())
            })
        };
        match result {
            Ok(()) => {}
            Err(e) => {
                failed = true;
                warn(format_args!("{name}: {e:#}"));
            }
        }
    }
    out.flush()?;
    Ok(Exit::of_run(true, failed, changed))
}

fn run_one(
    builder: &PipelineBuilder,
    file: &Path,
    out: &mut (dyn Write + Send),
    threads: usize,
) -> Result<crate::Report> {
    let name = file.display().to_string();
    let input = open_input(file)?;
    Ok(crate::parallel::run_parallel(
        builder,
        Some(&name),
        input,
        out,
        threads,
    )?)
}
