//! Forks of a pipeline (copies of its stages that keep its choices), running a batch of
//! documents stage by stage, and merging the forks' reports into one.

use crate::convert::ScriptCounts;
use crate::decode::{DecodeOptions, Decoder};
use crate::encode::{EncodeOptions, Encoder};
use crate::error::Error;
use crate::report::{Report, StageReport};

use super::{unconsumed, Pipeline, SCRIPT_SAMPLE};

impl Pipeline {
    /// A fresh text-only pipeline that makes the same choices as this one (see [`Stage::fork`](crate::Stage::fork));
    /// `None` if a stage cannot be forked yet (a source script still to detect).
    pub fn fork(&self) -> Option<Pipeline> {
        let stages = self
            .stages
            .iter()
            .map(|s| s.fork())
            .collect::<Option<Vec<_>>>()?;
        Some(Pipeline {
            decoder: Decoder::new(DecodeOptions::default()),
            encoder: Encoder::new(EncodeOptions::default()),
            pending: Vec::new(),
            spare: Default::default(),
            stages,
            script: ScriptCounts::default(),
            sampled: SCRIPT_SAMPLE,
            bytes_out: 0,
            name: None,
        })
    }

    /// Makes this text-only pipeline, a fork of `template`, a fresh fork of it again (see
    /// [`Pipeline::fork`]), keeping its buffers: for many small documents in a row. `false` if
    /// a stage of `template` cannot be forked (then this pipeline must not be used).
    pub(crate) fn refork(&mut self, template: &Pipeline) -> bool {
        let reset =
            self.stages.len() == template.stages.len() && self.stages.iter_mut().all(|s| s.reset());
        if !reset {
            self.stages.clear();
            for stage in &template.stages {
                match stage.fork() {
                    Some(s) => self.stages.push(s),
                    None => return false,
                }
            }
        }
        self.pending.iter_mut().for_each(String::clear);
        self.script = ScriptCounts::default();
        self.sampled = SCRIPT_SAMPLE;
        self.bytes_out = 0;
        self.name = None;
        true
    }

    /// Runs each of `texts` as a whole document through its own pipeline (`pipes[k]`, fresh
    /// forks with the same stages) into `outs[k]` (appended), stage by stage across the batch:
    /// each stage's tables stay in cache while it works through every document, where one
    /// document after another would have every stage evict the others' (JSON Lines records).
    /// The same as `pipes[k].push_text(texts[k], &mut outs[k], true)` for each `k`; a document
    /// whose stage fails gets its error and goes no further.
    pub(crate) fn run_batch(
        pipes: &mut [Pipeline],
        texts: &[&str],
        outs: &mut [String],
    ) -> Vec<Option<Error>> {
        let mut errors: Vec<Option<Error>> = (0..texts.len()).map(|_| None).collect();
        let n = pipes.first().map_or(0, |p| p.stages.len());
        if n == 0 {
            for (out, text) in outs.iter_mut().zip(texts) {
                out.push_str(text);
            }
            return errors;
        }
        for i in 0..n {
            for (k, pipe) in pipes.iter_mut().enumerate() {
                if errors[k].is_some() {
                    continue;
                }
                // `spare[0]` holds the document's text after the stages so far.
                let [cur, next] = &mut pipe.spare;
                let input: &str = if i == 0 { texts[k] } else { cur };
                next.clear();
                let target = if i + 1 == n { &mut outs[k] } else { &mut *next };
                let stage = &mut pipe.stages[i];
                match stage.process(input, target, true) {
                    Ok(consumed) if consumed == input.len() => {}
                    Ok(_) => errors[k] = Some(unconsumed(stage.as_ref())),
                    Err(e) => errors[k] = Some(e),
                }
                std::mem::swap(cur, next);
            }
        }
        errors
    }

    /// [`Pipeline::run_batch`] on fresh forks of `template`: the forks in `pipes` and the
    /// buffers in `outs` are reused (and added to as needed), so many small documents in a row
    /// cost no building; `outs[k]` ends up holding the result of `texts[k]`.
    pub(crate) fn run_batch_forked(
        template: &Pipeline,
        pipes: &mut Vec<Pipeline>,
        outs: &mut Vec<String>,
        texts: &[&str],
    ) -> Vec<Option<Error>> {
        while pipes.len() < texts.len() {
            pipes.push(template.fork().expect("the template forks"));
        }
        outs.resize_with(outs.len().max(texts.len()), String::new);
        for (p, o) in pipes.iter_mut().zip(outs.iter_mut()).take(texts.len()) {
            p.refork(template);
            o.clear();
        }
        Self::run_batch(&mut pipes[..texts.len()], texts, &mut outs[..texts.len()])
    }

    pub(crate) fn take_encoder(&mut self) -> Encoder {
        std::mem::replace(&mut self.encoder, Encoder::new(EncodeOptions::default()))
    }

    pub(crate) fn put_encoder(&mut self, encoder: Encoder) {
        self.encoder = encoder;
    }

    pub(crate) fn add_bytes_out(&mut self, n: u64) {
        self.bytes_out += n;
    }

    /// Starts every stage's line count at `line` (see [`Stage::start_line`](crate::Stage::start_line)).
    pub(crate) fn start_line(&mut self, line: u64) {
        for s in &mut self.stages {
            s.start_line(line);
        }
    }

    /// This pipeline's stage reports merged with forks' reports, given in document order:
    /// numbers add up, lists are concatenated, maps are merged.
    pub(crate) fn merged_stage_reports(&self, others: Vec<Vec<StageReport>>) -> Vec<StageReport> {
        let mut mine = self.stage_reports();
        for other in others {
            for (m, o) in mine.iter_mut().zip(other) {
                m.changes += o.changes;
                merge_json(&mut m.detail, o.detail);
            }
        }
        for (m, stage) in mine.iter_mut().zip(&self.stages) {
            stage.finish_merged(m);
        }
        mine
    }

    /// Adds each stage's changes so far to `totals`, which is empty or was filled by pipelines
    /// of the same builder (the same stages in the same order).
    pub(crate) fn add_changes(&self, totals: &mut Vec<(&'static str, u64)>) {
        add_counts(totals, self.stages.iter().map(|s| (s.name(), s.changes())));
    }

    pub(crate) fn stage_reports(&self) -> Vec<StageReport> {
        self.stages.iter().map(|s| s.report()).collect()
    }

    pub(crate) fn finish_with(self, bytes_in: u64, stages: Vec<StageReport>) -> Report {
        Report {
            input: self.name,
            path_bytes: None,
            bytes_in,
            bytes_out: self.bytes_out,
            encoding: {
                let mut e = self.decoder.report();
                let (name, unmappable) = self.encoder.report();
                e.output = name;
                e.unmappable = unmappable;
                e.nul_chars = self.encoder.nul_chars();
                e
            },
            script: self.script.script().name().to_string(),
            stages,
        }
    }
}

/// Adds per-stage counts to `totals`, which is empty (it takes their names) or has the same
/// stages in the same order.
pub(crate) fn add_counts(
    totals: &mut Vec<(&'static str, u64)>,
    counts: impl ExactSizeIterator<Item = (&'static str, u64)> + Clone,
) {
    if totals.is_empty() {
        totals.extend(counts.clone().map(|(name, _)| (name, 0)));
    }
    debug_assert!(totals.iter().map(|t| t.0).eq(counts.clone().map(|c| c.0)));
    for (t, (_, n)) in totals.iter_mut().zip(counts) {
        t.1 += n;
    }
}

fn merge_json(into: &mut serde_json::Value, from: serde_json::Value) {
    use serde_json::Value;
    match (into, from) {
        (Value::Number(a), Value::Number(b)) => {
            if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
                *a = (x + y).into();
            }
        }
        (Value::Array(a), Value::Array(b)) => a.extend(b),
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(slot) => merge_json(slot, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot @ Value::Null, v) => *slot = v,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::{Config, Target};
    use crate::html::FrontMatter;
    use crate::pipeline::Html;

    /// Documents from `samples/` (their starts: the test runs every pair), and a web page.
    fn documents() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut docs: Vec<String> = [
            "clean/002-cms-article.md",
            "clean/004-pdf-newspaper.txt",
            "repair/001-garbled-traditional.txt",
            "repair/003-garbled-traditional.txt",
            "convert/news-simplified.txt",
            "convert/news-traditional-tw.txt",
        ]
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(root.join(f)).expect("sample");
            let mut end = text.len().min(6000);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text[..end].to_string()
        })
        .collect();
        docs.push(
            "<html><head><title>標題</title></head><body><p>國家郵政局召開會議。</p>\
             <p>责任编辑：张三</p><p>版权所有 © 2023 某某网 京ICP备12345678号</p></body></html>"
                .to_string(),
        );
        // Ends with lines the boilerplate stage holds until it knows whether a footer follows.
        docs.push(
            "第一段正文内容，这是一段很长的新闻文字，讲述了事情的经过。\n\n相关阅读：\n分享到：\n"
                .into(),
        );
        docs.push(String::new());
        docs
    }

    /// What a pipeline makes of `doc` as a whole document: its text and stage reports.
    fn run(p: &mut Pipeline, doc: &str) -> (String, Vec<StageReport>) {
        let mut out = String::new();
        p.push_text(doc, &mut out, true).expect("runs");
        (out, p.stage_reports())
    }

    /// A reused fork (its stages reset in place) cleans a document exactly as a new fork does,
    /// whatever the document before it left behind: finished, or cut off half way.
    #[test]
    fn a_refork_is_a_fresh_fork() {
        let docs = documents();
        let builders = [
            Pipeline::builder().target(Target::Config(Config::S2tw)),
            Pipeline::builder()
                .target(Target::Config(Config::Tw2sp))
                .html(Html::Always)
                .keep_bylines(true),
            Pipeline::builder()
                .target(Target::Config(Config::S2twp))
                .main_content(true)
                .front_matter(FrontMatter::Title),
            Pipeline::builder().fix(&["st_mix"]),
        ];
        for builder in &builders {
            let template = builder.build().unwrap().fork().expect("forks");
            let mut reused = template.fork().unwrap();
            for a in &docs {
                for b in &docs {
                    // The document before: whole, all of it but not ended, or half of it.
                    for cut in [None, Some(a.len()), Some(a.len() / 2)] {
                        match cut {
                            None => drop(run(&mut reused, a)),
                            Some(mut cut) => {
                                while !a.is_char_boundary(cut) {
                                    cut -= 1;
                                }
                                let _ = reused.push_text(&a[..cut], &mut String::new(), false);
                            }
                        }
                        assert!(reused.refork(&template));
                        let fresh = run(&mut template.fork().unwrap(), b);
                        assert_eq!(
                            run(&mut reused, b),
                            fresh,
                            "{builder:?}: {a:.40} then {b:.40}"
                        );
                        assert!(reused.refork(&template));
                    }
                }
            }
        }
    }
}
