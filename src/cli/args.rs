//! Command-line arguments.

// The doc comments below are the command's `--help` text, written for a terminal: `<TAB>` and
// `<html>` there are words, not HTML.
#![allow(rustdoc::invalid_html_tags)]

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::Parser;

use crate::convert::{Config, TARGET_ALIASES};
use crate::repair::{Fix, FIXES, OPTIONAL};
use crate::stage::{StageName, STAGE_NAMES};

/// `--help`'s text after the options: the fix list comes from the repair stage's table.
fn after_long_help() -> String {
    let mut fixes = String::new();
    for fix in Fix::ALL {
        let (name, what) = (fix.name(), fix.description());
        let optional = if fix.optional() {
            " (optional: off unless --fix names it)"
        } else {
            ""
        };
        fixes.push_str(&format!("  {name:<18} {what}{optional}\n"));
    }
    let mut stages = String::new();
    for stage in StageName::ALL {
        stages.push_str(&format!("  {:<12} {}\n", stage.as_str(), stage_help(stage)));
    }
    AFTER_HELP
        .replace("{stages}\n", &stages)
        .replace("{fixes}\n", &fixes)
}

/// What `--help` says of each stage.
fn stage_help(stage: StageName) -> &'static str {
    match stage {
        StageName::Html => {
            "front matter, then HTML to text when the input looks like HTML (--html, --no-html)"
        }
        StageName::Repair => "garbled text (see REPAIR FIXES)",
        StageName::Reflow => {
            "hard-wrapped PDF/OCR lines back into paragraphs; letter-spaced headlines (--no-reflow)"
        }
        StageName::Boilerplate => {
            "headers, footers, licences, copyright, disclaimers, editor/source lines, promos,
               share bars, breadcrumbs, counters; bylines and photo credits unless --keep-bylines
               (--keep-boilerplate switches the stage off; --report lists every removed line)"
        }
        StageName::Convert => "Simplified <-> Traditional (--to)",
    }
}

/// Accepted values of `--to`: the configs and the aliases (`_` may stand for `-`).
fn targets() -> PossibleValuesParser {
    let names = Config::ALL
        .iter()
        .map(|c| c.name())
        .chain(TARGET_ALIASES.iter().copied());
    PossibleValuesParser::new(names.map(|n| {
        let v = PossibleValue::new(n);
        if n.contains('-') {
            // Built once per run: the few bytes of these names live as long as the process.
            v.alias(&*Box::leak(n.replace('-', "_").into_boxed_str()))
        } else {
            v
        }
    }))
}

fn fix_names() -> PossibleValuesParser {
    PossibleValuesParser::new(FIXES.iter().map(|(n, _)| *n))
}

fn optional_fixes() -> PossibleValuesParser {
    PossibleValuesParser::new(OPTIONAL.iter().copied())
}

fn stages() -> PossibleValuesParser {
    PossibleValuesParser::new(STAGE_NAMES.iter().copied())
}

const AFTER_HELP: &str = "\
TARGETS (--to):
  An OpenCC config: s2t t2s s2tw tw2s s2twp tw2sp s2hk hk2s s2hkp hk2sp t2tw tw2t t2hk hk2t t2jp jp2t
  or an alias, whose source script is detected unless --from names it:
    simplified, s, zh-hans, zh-cn   Simplified (characters)
    cn, simplified-phrases          Simplified with Mainland phrases (from tw/hk text)
    traditional, t, zh-hant         Traditional, OpenCC standard
    tw, taiwan, zh-tw               Traditional, Taiwan standard (characters)
    tw-phrases, twp                 Taiwan standard with Taiwan phrases (like s2twp)
    hk, hongkong, zh-hk             Traditional, Hong Kong variant
    hk-phrases, hkp                 Hong Kong variant with phrases (like s2hkp)
    jp, shinjitai                   Japanese Shinjitai

STAGES (--only), in pipeline order; all run by default (convert when --to is given):
{stages}
  With --line-buffered or --jsonl each line or record is its own text: html (unless --html),
  reflow and boilerplate are off for --line-buffered.

REPAIR FIXES (--no-fix NAME switches one off; --fix NAME switches an optional one on):
{fixes}
  Each fix changes text only when it is sure; unsure cases are listed in --report.

EXAMPLES:
  curl -s https://example.com/news.txt | zhtidy --to tw
  zhtidy --only convert --to s2twp notes.txt -o notes.tw.txt
  zhtidy --encoding big5 --to simplified old.txt
  zhtidy --to t --output-encoding big5 --lossy-output in.txt > out.big5.txt
  zhtidy --to s2t --report=report.jsonl *.txt > all.txt
  zhtidy --check scraped/*.txt          # what would be repaired; exit 1 if anything
  curl -s https://example.com/article | zhtidy --main-content --to tw
  zhtidy --keep-bylines --no-reflow page.html

EXIT STATUS: 0 on success (also when the reader of the output goes away), 1 when an input failed,
2 for bad usage. With --check: 0 clean, 1 something would change, 2 errors.";

/// Turns messy Chinese text into clean text: decodes any encoding and converts between
/// Simplified and Traditional Chinese exactly like OpenCC.
#[derive(Parser, Debug)]
#[command(
    name = "zhtidy",
    version,
    about,
    after_help = "Targets, stages, repair fixes, examples and exit status: zhtidy --help",
    after_long_help = after_long_help(),
    max_term_width = 100
)]
pub struct Args {
    /// Input files or folders (none: stdin).
    ///
    /// Input files or folders (none or `-`: standard input).
    ///
    /// Each file is one document. A folder needs --out-dir, --in-place or --check.
    pub files: Vec<PathBuf>,

    /// Convert to TARGET (a config or an alias).
    ///
    /// Convert to TARGET: an OpenCC config (s2twp) or an alias (tw, simplified, ...).
    ///
    /// See TARGETS below.
    #[arg(short = 't', long = "to", value_name = "TARGET", value_parser = targets(),
          ignore_case = true, hide_possible_values = true)]
    pub to: Option<String>,

    /// Source script for an alias target.
    ///
    /// Source script for an alias target (simplified, traditional, tw, hk, jp).
    ///
    /// Detected when not given.
    #[arg(long = "from", value_name = "SOURCE")]
    pub from: Option<String>,

    /// Run only these stages (comma-separated).
    ///
    /// `--only convert --to s2twp` is a pure OpenCC-equivalent converter.
    #[arg(long, value_name = "STAGES", value_delimiter = ',', value_parser = stages(),
          hide_possible_values = true)]
    pub only: Option<Vec<String>>,

    /// Input encoding (detected by default).
    ///
    /// Input encoding (utf-8, gb18030, gbk, gb2312, big5, utf-16le, utf-16be, ...).
    ///
    /// Detected when not given.
    #[arg(short = 'e', long, value_name = "NAME")]
    pub encoding: Option<String>,

    /// Output encoding (UTF-8 by default).
    ///
    /// Also gb18030, gbk, big5, utf-16le, ...
    #[arg(long, value_name = "NAME")]
    pub output_encoding: Option<String>,

    /// Write unencodable characters as &#NNNN;.
    ///
    /// Write characters the output encoding cannot represent as &#NNNN; instead of failing.
    #[arg(long)]
    pub lossy_output: bool,

    /// Write output to FILE, atomically.
    ///
    /// It appears complete or not at all; a device or named pipe such as /dev/null is written
    /// directly.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Write a JSON report line per document.
    ///
    /// Write a JSON line per document to stderr, or to FILE with --report=FILE.
    ///
    /// Each line gives the encoding, the script and the changes of each stage.
    #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "-")]
    pub report: Option<PathBuf>,

    /// Extra conversion entries (key<TAB>value).
    ///
    /// Extra conversion entries in OpenCC's text format (key<TAB>value per line).
    ///
    /// They override built-in ones. Repeatable.
    #[arg(long = "dict", value_name = "FILE")]
    pub dicts: Vec<PathBuf>,

    /// Threads (0: all cores).
    ///
    /// For folders: files processed in parallel (default: all cores). For one large input: it is
    /// cut into blocks at newlines, converted in parallel and written in order (default 1); with
    /// --jsonl, its records are cleaned in parallel in batches (default 1). Output is identical to
    /// a serial run either way. 0 means all cores.
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,

    /// Folder mode: mirror the tree into DIR.
    ///
    /// Folder mode: mirror the input tree into DIR (same relative paths).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Folder mode: rewrite files in place.
    ///
    /// Each file is written to a temporary file, synced and renamed over the original; owner
    /// and permissions are kept.
    #[arg(long)]
    pub in_place: bool,

    /// Keep the old file as NAME+SUFFIX.
    ///
    /// With --in-place (or --out-dir over existing files): keep the old file as NAME+SUFFIX.
    ///
    /// Keep the old file as NAME+SUFFIX (made atomically before the file is replaced; a file whose
    /// new content is identical is not rewritten, so its backup keeps the earlier version). Backups
    /// are never inputs.
    #[arg(long, value_name = "SUFFIX")]
    pub backup: Option<String>,

    /// With --out-dir: change the extension.
    ///
    /// With --out-dir: change the extension of the files written (e.g. txt).
    #[arg(long, value_name = "EXT")]
    pub ext: Option<String>,

    /// Folder mode: include (or !exclude) GLOB.
    ///
    /// Folder mode: include files matching GLOB, or exclude them with !GLOB.
    ///
    /// Repeatable; globs win over ignore files, as in ripgrep.
    #[arg(short = 'g', long = "glob", value_name = "GLOB")]
    pub globs: Vec<String>,

    /// Folder mode: include hidden files.
    ///
    /// Folder mode: also process hidden files and folders.
    #[arg(long)]
    pub hidden: bool,

    /// Folder mode: ignore .gitignore and .ignore.
    ///
    /// Folder mode: do not honour .gitignore, .ignore and similar files.
    #[arg(long)]
    pub no_ignore: bool,

    /// Folder mode: how to clean structured files.
    ///
    /// Folder mode: how structured files (JSON, CSV, subtitles, code) are cleaned.
    ///
    /// What happens to structured text files (JSON, CSV/TSV, subtitles, YAML, TOML, XML, gettext
    /// catalogs, TeX, source code; by extension). convert (default): only the convert stage runs
    /// (and decoding), so their structure stays; prose: cleaned like any text file (repair, reflow,
    /// boilerplate may change their layout); skip: left out, with a note. Files named *.jsonl are
    /// always cleaned as JSON Lines, record by record.
    #[arg(long, value_name = "MODE", default_value = "convert",
          value_parser = ["convert", "prose", "skip"], hide_possible_values = true)]
    pub structured: String,

    /// Read JSON Lines: clean one field per record.
    ///
    /// Read JSON Lines: clean one field of each record.
    ///
    /// Clean the --text-key field of each record, pass the other fields through untouched, one line
    /// out per line in. In folder mode, only *.jsonl, *.jsonl.gz and *.jsonl.zst files are
    /// processed (or those that --glob selects), all as JSON Lines.
    #[arg(long)]
    pub jsonl: bool,

    /// The JSON field --jsonl cleans.
    ///
    /// The JSON field to clean with --jsonl (CCNet uses raw_content).
    #[arg(long, value_name = "KEY", default_value = "text")]
    pub text_key: String,

    /// With --jsonl: add the repair figures to each record as field KEY.
    ///
    /// With --jsonl: add to each record a field KEY with its repair figures: characters damaged,
    /// repaired and unrepairable, repaired by fix ({"damaged":5,"repaired":4,"unrepairable":1,
    /// "repaired_by_fix":{"mojibake":4}}), so a corpus can keep repaired documents and drop by a
    /// threshold. A record that has a field KEY already gets it replaced.
    #[arg(long, value_name = "KEY")]
    pub damage_key: Option<String>,

    /// With --jsonl: pass malformed lines through.
    ///
    /// With --jsonl: pass malformed lines through unchanged instead of failing.
    ///
    /// Pass malformed lines through unchanged (with a warning) instead of failing.
    #[arg(long)]
    pub skip_bad_lines: bool,

    /// Flush each line (for a co-process).
    ///
    /// Flush every output line at once, for a caller that feeds one record (line) at a time.
    ///
    /// Input is then read as UTF-8 unless --encoding says otherwise (detection would wait for 64
    /// KiB), and a script alias (--to tw) needs --from or --jsonl.
    #[arg(long)]
    pub line_buffered: bool,

    /// Treat the input as HTML.
    ///
    /// Treat the input as HTML (by default it is sniffed from the content).
    #[arg(long, conflicts_with = "no_html")]
    pub html: bool,

    /// Never treat the input as HTML.
    ///
    /// Never treat the input as HTML (no html stage).
    ///
    /// Tags stay, front matter stays.
    #[arg(long)]
    pub no_html: bool,

    /// Markdown front matter: keep, drop, title.
    ///
    /// Markdown/YAML front matter: keep it, drop it, or replace it by its title line (default).
    ///
    /// Front matter is a block between two `---` lines at the top of the document.
    #[arg(long, value_name = "MODE", default_value = "title")]
    pub front_matter: String,

    /// Keep only the article of any HTML input.
    ///
    /// Keep only the article body of any HTML input, fragments too.
    ///
    /// Whole pages get this by default (see --keep-page); this option extends it to any input
    /// the html stage reads, up to 64 MiB. Reads the whole page into memory.
    #[arg(long)]
    pub main_content: bool,

    /// Keep every text of a web page.
    ///
    /// Keep every text of a web page (no main-content step).
    ///
    /// By default a whole page (a doctype, <html>, <head> or <body> at its start) is reduced to
    /// its article before cleaning (readability-style, with dom_smoothie; pages over 4 MiB, or
    /// nested over 512 levels, are converted whole). HTML fragments are always converted whole.
    /// Also keeps every line of scraped text, which otherwise loses what lies outside its body
    /// when that is page furniture (documents up to 2 MiB).
    #[arg(long, conflicts_with = "main_content")]
    pub keep_page: bool,

    /// Do not join hard-wrapped lines.
    ///
    /// Do not join hard-wrapped lines (no reflow stage).
    #[arg(long)]
    pub no_reflow: bool,

    /// Keep headers, footers and boilerplate.
    ///
    /// Do not remove headers, footers and other boilerplate (no boilerplate stage).
    #[arg(long)]
    pub keep_boilerplate: bool,

    /// Folder mode: lines in N documents go.
    ///
    /// Folder mode: lines in at least N documents of a folder are boilerplate (0: off).
    ///
    /// A line (normalised as CCNet does: digits folded, punctuation removed) found in at least N
    /// documents of the same folder, and in at least a fifth of them, is boilerplate (site
    /// templates); costs one more read of every file. 0 switches it off.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub repeated_lines: usize,

    /// Keep bylines, datelines, photo credits.
    ///
    /// Keep bylines, datelines and photo credits (the boilerplate stage removes them by default).
    #[arg(long)]
    pub keep_bylines: bool,

    /// Switch off a repair fix.
    ///
    /// Switch off a repair fix (repeatable or comma-separated).
    ///
    /// The fixes are listed under REPAIR FIXES below.
    #[arg(long = "no-fix", value_name = "NAME", value_delimiter = ',', value_parser = fix_names(),
          hide_possible_values = true)]
    pub no_fix: Vec<String>,

    /// Switch on an optional repair fix.
    ///
    /// Switch on an optional repair fix (repeatable or comma-separated).
    ///
    /// st_mix: naive Simplified-to-Traditional character choices where OpenCC's phrase table says
    /// otherwise (頭發 -> 頭髮), off by default because OpenCC's phrase choices are sometimes wrong.
    #[arg(long = "fix", value_name = "NAME", value_delimiter = ',', value_parser = optional_fixes())]
    pub fix: Vec<String>,

    /// Text that stays lost: keep, mark or drop.
    ///
    /// What the repair stage does with the text that stays lost after its fixes (runs of U+FFFD
    /// and of 锟斤拷): keep (default) leaves it, mark puts one 〓 for each run, drop removes it.
    /// The report counts it as unrepairable either way.
    #[arg(long, value_name = "WHAT", default_value = "keep",
          value_parser = ["keep", "mark", "drop"], hide_possible_values = true)]
    pub unrepairable: String,

    /// Report what would change; write nothing.
    ///
    /// Report what would change, without writing output.
    ///
    /// Per file: each repair with line, column, before and after; conversion and encoding
    /// changes. Exit status 1 if anything would change, 0 if all is clean, 2 on errors.
    #[arg(long)]
    pub check: bool,

    /// Print completions or the man page.
    ///
    /// Print shell completions (bash, zsh, fish, elvish, powershell) or the man page (man).
    #[arg(long, value_name = "WHAT")]
    pub generate: Option<String>,

    /// List the OpenCC configs.
    ///
    /// List the OpenCC configs and exit.
    #[arg(long)]
    pub list_configs: bool,
}
