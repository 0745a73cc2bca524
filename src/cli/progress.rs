//! The `score` command's progress bar (indicatif) on a terminal's stderr.

use std::time::Instant;

use credit_scorer::batch::thousands;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Share of the file read with rate and time left, or rows and rate when the size is unknown
/// (stdin); indicatif redraws at most 20 times a second.
pub(super) struct Progress {
    /// `None`: not drawn (stderr is not a terminal, or `--quiet`).
    bar: Option<ProgressBar>,
    started: Instant,
    /// Bytes read so far.
    pub(super) read: u64,
}

impl Progress {
    /// A bar on stderr when `shown`, over `total` bytes when the input's size is known.
    pub(super) fn new(shown: bool, total: Option<u64>) -> Self {
        let bar = shown.then(|| {
            let target = ProgressDrawTarget::stderr();
            match total {
                Some(bytes) => {
                    let bar = ProgressBar::with_draw_target(Some(bytes), target);
                    if let Ok(style) =
                        ProgressStyle::with_template("[{bar:30}] {percent:>3}%  {msg}  {eta} left")
                    {
                        bar.set_style(style.progress_chars("#>-"));
                    }
                    bar
                }
                None => {
                    let bar = ProgressBar::with_draw_target(None, target);
                    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}  {elapsed}") {
                        bar.set_style(style);
                    }
                    bar
                }
            }
        });
        Progress {
            bar,
            started: Instant::now(),
            read: 0,
        }
    }

    /// Shows `rows` scored and the bytes read; when `done`, draws the last state and keeps it.
    pub(super) fn show(&mut self, rows: u64, done: bool) {
        let Some(bar) = &self.bar else {
            return;
        };
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        bar.set_position(self.read);
        bar.set_message(format!(
            "{} rows  {} rows/s",
            thousands(rows),
            thousands((rows as f64 / secs) as u64)
        ));
        if done {
            bar.finish();
        }
    }
}
