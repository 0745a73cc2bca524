//! The `score` command's progress bar on a terminal's stderr.

use std::time::{Duration, Instant};

use credit_scorer::batch::thousands;

/// Share of the file read, rows, speed and time left, redrawn at most every 200 ms.
pub(super) struct Progress {
    /// Whether to draw at all (stderr is a terminal, the file's size is known, not `--quiet`).
    pub(super) shown: bool,
    pub(super) started: Instant,
    pub(super) last: Instant,
    /// The file's size in bytes.
    pub(super) total: Option<u64>,
    /// Bytes read so far.
    pub(super) read: u64,
}

impl Progress {
    /// Redraws the bar (always when `done`, then ends its line).
    pub(super) fn show(&mut self, rows: u64, done: bool) {
        if !self.shown || (!done && self.last.elapsed() < Duration::from_millis(200)) {
            return;
        }
        self.last = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let share = self
            .total
            .filter(|&t| t > 0)
            .map_or(1.0, |t| self.read as f64 / t as f64);
        let left = if share > 0.0 {
            secs / share - secs
        } else {
            0.0
        };
        let width = 30;
        let filled = ((share * width as f64) as usize).min(width);
        eprint!(
            "\r[{}{}] {:5.1}%  {} rows  {} rows/s  {:.0} s left ",
            "#".repeat(filled),
            " ".repeat(width - filled),
            share * 100.0,
            thousands(rows),
            thousands((rows as f64 / secs) as u64),
            left.max(0.0)
        );
        if done {
            eprintln!();
        }
    }
}
