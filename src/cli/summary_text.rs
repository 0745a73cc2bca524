//! The batch summary and the drift report as English text for the terminal. The core holds
//! them as data only; the page shows them in its own language. `tests/governance.rs` includes
//! this file to check the drift table.

use credit_scorer::batch::{Summary, thousands};
use credit_scorer::drift::DriftReport;

/// The command line's text of a report.
pub trait ToText {
    /// The report as plain English text, lines separated by `\n`.
    fn to_text(&self) -> String;
}

impl ToText for Summary {
    fn to_text(&self) -> String {
        let mut s = format!(
            "rows in: {} = scored {} + refused {}",
            thousands(self.rows_in),
            thousands(self.scored),
            thousands(self.refused)
        );
        if self.blank_lines > 0 {
            s += &format!(
                "\nblank lines skipped: {} (lines {}{})",
                thousands(self.blank_lines),
                list(&self.blank_line_numbers, 10),
                if self.blank_lines > 10 { ", …" } else { "" }
            );
        }
        if self.refused > 0 {
            s += &format!(
                "\nrefused rows at lines: {}{}",
                list(&self.refused_lines, 20),
                if self.refused > 20 { ", …" } else { "" }
            );
            for e in self.examples.iter().take(5) {
                s += &format!("\n  {e}");
            }
        }
        if !self.ignored_columns.is_empty() {
            s += &format!(
                "\ncolumns copied through, not used by the model: {}",
                self.ignored_columns.join(", ")
            );
        }
        if let Some(method) = &self.reasons_method {
            s += &format!("\nreasons: {method} against the baseline applicant");
        }
        s += "\nrows per band:";
        for b in &self.bands {
            let share = if self.scored > 0 {
                b.count as f64 / self.scored as f64 * 100.0
            } else {
                0.0
            };
            let label = b.label.get("en").map_or("", String::as_str);
            s += &format!(
                "\n  {:<3} {:<16} {:>12}  {share:5.1}%",
                b.id,
                label,
                thousands(b.count)
            );
        }
        s += "\n";
        s += self.drift.to_text().trim_end();
        s
    }
}

impl ToText for DriftReport {
    /// A plain-text table: one line per characteristic and the score, with a bar.
    fn to_text(&self) -> String {
        let mut out = format!(
            "Population stability (PSI) over {} rows: < 0.1 stable, 0.1-0.25 watch, > 0.25 investigate\n",
            self.rows
        );
        let width = self
            .characteristics
            .iter()
            .map(|l| l.name.chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        for l in self
            .characteristics
            .iter()
            .chain(std::iter::once(&self.score))
        {
            let line = match (l.psi, l.reading) {
                (Some(p), Some(r)) => {
                    let bar = "#".repeat(((p.min(0.5) / 0.5) * 20.0).round() as usize);
                    format!(
                        "  {:<width$}  {:>7.4}  {:<11}  {}\n",
                        l.name,
                        p,
                        r.as_str(),
                        bar
                    )
                }
                _ => format!(
                    "  {:<width$}  {:>7}  not computed: {}\n",
                    l.name,
                    "-",
                    l.missing.as_deref().unwrap_or("")
                ),
            };
            out.push_str(&line);
        }
        out
    }
}

/// The first `n` line numbers, comma-separated.
fn list(lines: &[u64], n: usize) -> String {
    lines
        .iter()
        .take(n)
        .map(|&l| thousands(l))
        .collect::<Vec<_>>()
        .join(", ")
}
