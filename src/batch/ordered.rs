//! Results that come back in any order, released in input order.

use std::collections::BTreeMap;

/// Results numbered 0, 1, 2, … in input order, accepted in any order and released in order.
///
/// Chunks scored in parallel (the command line's threads, the page's helper Workers through
/// [`super::BatchJob`]) finish out of order, while the output file and the summary's line lists
/// must grow in input order. Memory: the results that wait for an earlier one.
#[derive(Debug)]
pub struct Ordered<T> {
    /// The number of the next result to release (= results released so far).
    next: u64,
    /// Results that arrived before an earlier one.
    waiting: BTreeMap<u64, T>,
}

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered {
            next: 0,
            waiting: BTreeMap::new(),
        }
    }
}

impl<T> Ordered<T> {
    /// Nothing arrived yet; the first result to release is number 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether result `seq` would be accepted: not released yet and not already waiting.
    pub fn accepts(&self, seq: u64) -> bool {
        seq >= self.next && !self.waiting.contains_key(&seq)
    }

    /// Takes result `seq`; `false` (and `item` dropped) when it was already released or is
    /// already waiting, as a result must count once.
    #[must_use]
    pub fn insert(&mut self, seq: u64, item: T) -> bool {
        if !self.accepts(seq) {
            return false;
        }
        self.waiting.insert(seq, item);
        true
    }

    /// The next result in input order, once it has arrived.
    pub fn pop(&mut self) -> Option<T> {
        let item = self.waiting.remove(&self.next)?;
        self.next += 1;
        Some(item)
    }

    /// Results released so far.
    pub fn released(&self) -> u64 {
        self.next
    }

    /// Results that arrived and wait for an earlier one.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every arrival order of `n` results releases them in input order, each as soon as all
    /// earlier ones are in.
    fn check(order: &[u64]) {
        let mut ordered = Ordered::new();
        let mut out = Vec::new();
        for (arrived, &seq) in order.iter().enumerate() {
            assert!(ordered.insert(seq, seq * 10), "{order:?}");
            assert!(!ordered.insert(seq, 0), "{order:?}: twice");
            while let Some(v) = ordered.pop() {
                out.push(v);
            }
            let contiguous = (0..).take_while(|s| order[..=arrived].contains(s)).count();
            assert_eq!(ordered.released(), contiguous as u64, "{order:?}");
            assert_eq!(ordered.waiting(), arrived + 1 - contiguous, "{order:?}");
        }
        let n = order.len() as u64;
        assert_eq!(out, (0..n).map(|s| s * 10).collect::<Vec<_>>());
        assert!(ordered.accepts(n) && (n == 0 || !ordered.accepts(n - 1)));
    }

    #[test]
    fn releases_in_input_order_whatever_the_arrival_order() {
        check(&[]);
        check(&[0, 1, 2, 3]);
        check(&[3, 2, 1, 0]);
        check(&[1, 0, 3, 2, 4]);
        // Fixed-seed shuffles (a 64-bit LCG is random enough to pick swaps).
        let mut state: u64 = 18;
        for n in 1..40u64 {
            let mut order: Vec<u64> = (0..n).collect();
            for i in (1..order.len()).rev() {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                order.swap(i, ((state >> 33) % (i as u64 + 1)) as usize);
            }
            check(&order);
        }
    }

    #[test]
    fn a_released_result_is_refused() {
        let mut ordered = Ordered::new();
        assert!(ordered.insert(0, 'a'));
        assert_eq!(ordered.pop(), Some('a'));
        assert_eq!(ordered.pop(), None);
        assert!(!ordered.insert(0, 'b'));
        assert_eq!(ordered.pop(), None);
    }
}
