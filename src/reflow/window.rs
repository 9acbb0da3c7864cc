//! [`Window`]: the widths of the lines around the one being decided, for the column estimate.

use super::{MIN_READS_ON, WINDOW};

/// The lines the column is estimated from, with their widths kept sorted too: the median is
/// needed once per line, and sorting the window each time was a fifth of the stage's time.
/// Fixed arrays (the window holds at most [`WINDOW`] lines): the count of lines near the median
/// is then a loop over 16 slots that the compiler vectorises.
pub(super) struct Window {
    /// Per slot, the width of an open line (one that ends without sentence punctuation), or
    /// [`NOT_OPEN`] for other lines and empty slots.
    pub(super) open: [u32; SLOTS],
    /// The width of the line in each slot.
    pub(super) width: [u32; SLOTS],
    /// Per slot, whether the break before the line reads as a wrap (see
    /// [`super::reads_on`]), and how many slots say so.
    pub(super) read_on: [bool; SLOTS],
    pub(super) reads_on: usize,
    /// The slot of the oldest line, and the number of lines.
    pub(super) head: usize,
    pub(super) len: usize,
    /// The widths, sorted (`sorted[..len]`).
    pub(super) sorted: [u32; SLOTS],
}

pub(super) const SLOTS: usize = 16;
pub(super) const NOT_OPEN: u32 = u32::MAX / 256;

impl Default for Window {
    fn default() -> Self {
        Window {
            open: [NOT_OPEN; SLOTS],
            width: [0; SLOTS],
            read_on: [false; SLOTS],
            reads_on: 0,
            head: 0,
            len: 0,
            sorted: [0; SLOTS],
        }
    }
}

impl Window {
    /// Adds a line of `width` columns; `open` if it ends without sentence punctuation,
    /// `read_on` if the break before it reads as a wrap.
    pub(super) fn push_back(&mut self, width: usize, open: bool, read_on: bool) {
        const _: () = assert!(WINDOW <= SLOTS);
        if self.len == SLOTS {
            // The stage never holds more than WINDOW lines; should it, the oldest one goes.
            self.pop_front();
        }
        let width = u32::try_from(width).unwrap_or(u32::MAX).min(NOT_OPEN - 1);
        let slot = (self.head + self.len) % SLOTS;
        self.width[slot] = width;
        self.open[slot] = if open { width } else { NOT_OPEN };
        self.read_on[slot] = read_on;
        self.reads_on += usize::from(read_on);
        let mut at = self.len;
        while at > 0 && self.sorted[at - 1] > width {
            self.sorted[at] = self.sorted[at - 1];
            at -= 1;
        }
        self.sorted[at] = width;
        self.len += 1;
    }

    pub(super) fn pop_front(&mut self) {
        if self.len == 0 {
            return;
        }
        let width = self.width[self.head];
        self.open[self.head] = NOT_OPEN;
        self.reads_on -= usize::from(std::mem::take(&mut self.read_on[self.head]));
        self.head = (self.head + 1) % SLOTS;
        self.len -= 1;
        let at = self.sorted[..=self.len]
            .iter()
            .position(|&w| w == width)
            .unwrap_or(self.len);
        self.sorted.copy_within(at + 1..=self.len, at);
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

    /// The median width, and how many open lines are within 20 % of it.
    pub(super) fn median_and_near(&self) -> Option<(usize, usize)> {
        if self.len == 0 {
            return None;
        }
        let median = self.sorted[self.len / 2];
        let near = self
            .open
            .iter()
            .map(|&w| usize::from(w.abs_diff(median) * 100 <= median * 20))
            .sum();
        Some((median as usize, near))
    }
}
