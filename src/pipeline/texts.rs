//! [`PipelineBuilder::run_texts`]: a list of documents held in memory (the records of a
//! corpus, the paragraphs of a dataset column), cleaned on several threads, in order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::Result;

use super::{Pipeline, PipelineBuilder};

/// Texts a thread takes at a time: small enough to keep the threads equally busy, large enough
/// that each stage works through many documents while its tables are in cache.
const BLOCK: usize = 64;
/// Texts longer than this run on their own pipeline rather than in a block.
const LARGE: usize = 1 << 20;

impl PipelineBuilder {
    /// Runs each of `texts` as a whole document through its own pipeline of this
    /// configuration, as [`Pipeline::run_text`] does, on `threads` threads (0: one per core);
    /// the results come back in the order of `texts`. An error in one document is that
    /// document's result; the others go on. Fails as a whole only when the configuration does
    /// not build.
    ///
    /// When no stage has a choice to make from the text (a source script to detect), one
    /// pipeline is built per thread and forked for each document, and a block of documents goes
    /// through the stages one stage at a time; otherwise a pipeline is built per document.
    /// The output is the same either way.
    pub fn run_texts<S: AsRef<str> + Sync>(
        &self,
        texts: &[S],
        threads: usize,
    ) -> Result<Vec<Result<String>>> {
        let forks = self.build()?.fork().is_some();
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .clamp(1, texts.len().div_ceil(BLOCK).max(1));
        let mut results: Vec<Option<Result<String>>> = (0..texts.len()).map(|_| None).collect();
        let next = AtomicUsize::new(0);
        let slots = Mutex::new(&mut results);
        let work = || {
            // Each thread its own template: stages are not shared between threads.
            let template = if forks {
                self.build().ok().and_then(|p| p.fork())
            } else {
                None
            };
            let mut pipes: Vec<Pipeline> = Vec::new();
            let mut outs: Vec<String> = Vec::new();
            loop {
                let start = next.fetch_add(BLOCK, Ordering::Relaxed);
                if start >= texts.len() {
                    break;
                }
                let block = &texts[start..(start + BLOCK).min(texts.len())];
                let done = self.run_block(template.as_ref(), block, &mut pipes, &mut outs);
                let mut slots = slots.lock().unwrap_or_else(|p| p.into_inner());
                for (i, r) in done.into_iter().enumerate() {
                    slots[start + i] = Some(r);
                }
            }
        };
        if threads == 1 {
            work();
        } else {
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(work);
                }
            });
        }
        Ok(results
            .into_iter()
            .map(|r| r.expect("every text was run"))
            .collect())
    }

    /// One block of [`PipelineBuilder::run_texts`], with the thread's pipelines and buffers.
    fn run_block<S: AsRef<str>>(
        &self,
        template: Option<&Pipeline>,
        block: &[S],
        pipes: &mut Vec<Pipeline>,
        outs: &mut Vec<String>,
    ) -> Vec<Result<String>> {
        let one = |text: &str| self.build()?.run_text(text);
        let Some(template) = template else {
            return block.iter().map(|t| one(t.as_ref())).collect();
        };
        let small: Vec<usize> = (0..block.len())
            .filter(|&i| block[i].as_ref().len() <= LARGE)
            .collect();
        let texts: Vec<&str> = small.iter().map(|&i| block[i].as_ref()).collect();
        let errors = Pipeline::run_batch_forked(template, pipes, outs, &texts);
        let mut batched = small.iter().zip(errors).zip(outs.iter_mut()).peekable();
        let mut results = Vec::with_capacity(block.len());
        for (i, text) in block.iter().enumerate() {
            if batched.peek().is_some_and(|((&k, _), _)| k == i) {
                let ((_, error), out) = batched.next().expect("peeked");
                results.push(match error {
                    Some(e) => Err(e),
                    None => Ok(std::mem::take(out)),
                });
            } else {
                results.push(one(text.as_ref()));
            }
        }
        results
    }
}
