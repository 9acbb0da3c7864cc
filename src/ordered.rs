//! Results that finish out of order, handed on in order: the one reordering step that every
//! parallel driver shares (blocks of one document on `-j`, batches of JSON Lines records, the
//! files of a folder run).

use std::collections::BTreeMap;

/// Takes results numbered 0, 1, 2, ... in any order and hands each on as soon as every result
/// before it has been handed on. Holds only the results that arrived early.
#[derive(Debug)]
pub struct InOrder<T> {
    next: usize,
    waiting: BTreeMap<usize, T>,
}

impl<T> Default for InOrder<T> {
    fn default() -> Self {
        InOrder {
            next: 0,
            waiting: BTreeMap::new(),
        }
    }
}

impl<T> InOrder<T> {
    /// Nothing arrived yet; result 0 is due.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many results were handed on (the number of the one due next).
    pub fn emitted(&self) -> usize {
        self.next
    }

    /// How many results arrived early and wait for one before them.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Takes result `seq` and hands it, and every result it was holding up, to `emit` with
    /// its number, in order. An error from `emit` stops there and is returned; the result it
    /// was given counts as handed on.
    pub fn arrive<E>(
        &mut self,
        seq: usize,
        item: T,
        mut emit: impl FnMut(usize, T) -> Result<(), E>,
    ) -> Result<(), E> {
        debug_assert!(seq >= self.next && !self.waiting.contains_key(&seq));
        if seq != self.next {
            self.waiting.insert(seq, item);
            return Ok(());
        }
        let mut item = item;
        loop {
            let n = self.next;
            self.next += 1;
            emit(n, item)?;
            match self.waiting.remove(&self.next) {
                Some(due) => item = due,
                None => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InOrder;
    use proptest::prelude::*;

    proptest! {
        /// Whatever order results arrive in, they come out as 0, 1, 2, ..., each once, and none
        /// waits once all before it are out.
        #[test]
        fn any_arrival_order_comes_out_in_order(
            order in Just((0..200usize).collect::<Vec<_>>()).prop_shuffle()
        ) {
            let mut o = InOrder::new();
            let mut out = Vec::new();
            for (i, &seq) in order.iter().enumerate() {
                o.arrive(seq, seq * 10, |n, item| {
                    out.push((n, item));
                    Ok::<(), ()>(())
                }).unwrap();
                prop_assert_eq!(o.emitted(), out.len());
                prop_assert_eq!(o.emitted() + o.waiting(), i + 1);
            }
            prop_assert_eq!(o.emitted(), order.len());
            prop_assert_eq!(o.waiting(), 0);
            let want: Vec<_> = (0..order.len()).map(|n| (n, n * 10)).collect();
            prop_assert_eq!(out, want);
        }
    }

    #[test]
    fn an_error_stops_the_run_of_due_results() {
        let mut o = InOrder::new();
        let mut seen = Vec::new();
        let mut emit = |n: usize, _: ()| {
            seen.push(n);
            if n == 1 {
                Err("stop")
            } else {
                Ok(())
            }
        };
        o.arrive(2, (), &mut emit).unwrap();
        o.arrive(1, (), &mut emit).unwrap();
        assert_eq!(o.arrive(0, (), &mut emit), Err("stop"));
        assert_eq!(seen, [0, 1]);
        assert_eq!(o.emitted(), 2);
        assert_eq!(o.waiting(), 1);
    }
}
