//! [`Window`]: the widths of the lines around the one being decided, for the column estimate.

use super::{MIN_READS_ON, WINDOW};

/// The lines the column is estimated from, with their widths kept sorted too: the median is
/// needed once per line, and sorting the window each time was a fifth of the stage's time.
/// Fixed arrays (the window holds at most [`WINDOW`] lines): the count of lines near the median
/// is then a loop over 16 slots that the compiler vectorises.
pub(super) struct Window {
    /// The lines' widths in columns, and their lengths in characters: text is wrapped at a
    /// column (PDF, a typesetter) or at a count of characters (a script that cuts lines).
    pub(super) width: Sizes,
    pub(super) chars: Sizes,
    /// Per slot, whether the break before the line reads as a wrap (see
    /// [`super::reads_on`]), and how many slots say so.
    pub(super) read_on: [bool; SLOTS],
    pub(super) reads_on: usize,
    /// The slot of the oldest line, and the number of lines.
    pub(super) head: usize,
    pub(super) len: usize,
}

/// One measure of the lines in the window.
#[derive(Clone, Copy)]
pub(super) struct Sizes {
    /// Per slot, the size of an open line (one that ends without sentence punctuation), or
    /// [`NOT_OPEN`] for other lines and empty slots.
    pub(super) open: [u32; SLOTS],
    /// The size of the line in each slot.
    pub(super) size: [u32; SLOTS],
    /// The sizes, sorted (`sorted[..len]`).
    pub(super) sorted: [u32; SLOTS],
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            open: [NOT_OPEN; SLOTS],
            size: [0; SLOTS],
            sorted: [0; SLOTS],
        }
    }
}

impl Sizes {
    /// Adds the size of the line in `slot`, `len` lines being in the window before it.
    fn push(&mut self, slot: usize, len: usize, size: usize, open: bool) {
        let size = u32::try_from(size).unwrap_or(u32::MAX).min(NOT_OPEN - 1);
        self.size[slot] = size;
        self.open[slot] = if open { size } else { NOT_OPEN };
        let mut at = len;
        while at > 0 && self.sorted[at - 1] > size {
            self.sorted[at] = self.sorted[at - 1];
            at -= 1;
        }
        self.sorted[at] = size;
    }

    /// Removes the line in `slot`, `len` lines being left in the window after it.
    fn pop(&mut self, slot: usize, len: usize) {
        let size = self.size[slot];
        self.open[slot] = NOT_OPEN;
        let at = self.sorted[..=len]
            .iter()
            .position(|&w| w == size)
            .unwrap_or(len);
        self.sorted.copy_within(at + 1..=len, at);
    }

    /// The median size of `len` lines, how many open lines are within 20 % of it, and how
    /// many are exactly of it.
    fn median_and_near(&self, len: usize) -> Median {
        let median = self.sorted[len / 2];
        let near = self
            .open
            .iter()
            .map(|&w| usize::from(w.abs_diff(median) * 100 <= median * 20))
            .sum();
        let exact = self.open.iter().map(|&w| usize::from(w == median)).sum();
        Median {
            median: median as usize,
            near,
            exact,
        }
    }
}

/// See [`Sizes::median_and_near`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Median {
    pub(super) median: usize,
    pub(super) near: usize,
    pub(super) exact: usize,
}

pub(super) const SLOTS: usize = 16;
pub(super) const NOT_OPEN: u32 = u32::MAX / 256;

impl Default for Window {
    fn default() -> Self {
        Window {
            width: Sizes::default(),
            chars: Sizes::default(),
            read_on: [false; SLOTS],
            reads_on: 0,
            head: 0,
            len: 0,
        }
    }
}

impl Window {
    /// Adds a line of `width` columns and `chars` characters; `open` if it ends without
    /// sentence punctuation, `read_on` if the break before it reads as a wrap.
    pub(super) fn push_back(&mut self, width: usize, chars: usize, open: bool, read_on: bool) {
        const _: () = assert!(WINDOW <= SLOTS);
        if self.len == SLOTS {
            // The stage never holds more than WINDOW lines; should it, the oldest one goes.
            self.pop_front();
        }
        let slot = (self.head + self.len) % SLOTS;
        self.width.push(slot, self.len, width, open);
        self.chars.push(slot, self.len, chars, open);
        self.read_on[slot] = read_on;
        self.reads_on += usize::from(read_on);
        self.len += 1;
    }

    pub(super) fn pop_front(&mut self) {
        if self.len == 0 {
            return;
        }
        self.len -= 1;
        self.width.pop(self.head, self.len);
        self.chars.pop(self.head, self.len);
        self.reads_on -= usize::from(std::mem::take(&mut self.read_on[self.head]));
        self.head = (self.head + 1) % SLOTS;
    }

    pub(super) fn clear(&mut self) {
        *self = Window::default();
    }

    /// Whether enough breaks read on for the text to count as hard-wrapped: [`MIN_READS_ON`]
    /// in a full window, proportionally fewer in one that is not full yet (at the start of
    /// the text, and after a line too long to be wrapped).
    pub(super) fn reads_on_enough(&self) -> bool {
        self.reads_on * WINDOW >= MIN_READS_ON * self.len
    }

    /// The median width in columns and in characters, each with how many open lines are
    /// near it and exactly of it.
    pub(super) fn median_and_near(&self) -> Option<(Median, Median)> {
        if self.len == 0 {
            return None;
        }
        Some((
            self.width.median_and_near(self.len),
            self.chars.median_and_near(self.len),
        ))
    }
}
