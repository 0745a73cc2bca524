//! The `credit-scorer` command line: the same core as the page, for files beyond a browser tab.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::process::ExitCode;

    use credit_scorer::{Error, ErrorKind, Scorer};

    const USAGE: &str = "usage:
  credit-scorer assess --model MODEL.onnx APPLICANT.json   score and explain one applicant (JSON object)
  credit-scorer schema --model MODEL.onnx                  print the model's schema as JSON
  credit-scorer score --model MODEL.onnx INPUT.csv [-o OUTPUT.csv] [--strict] [--threads N]
                      [--no-reasons] [--quiet]             score a CSV file (`-`: stdin/stdout);
        the summary goes to stderr; --strict exits with 3 when any row was refused";

    /// What a command asks the process to exit with.
    pub enum Outcome {
        Done,
        RowsRefused,
    }

    pub fn main() -> ExitCode {
        let args: Vec<String> = std::env::args().skip(1).collect();
        match run(&args) {
            Ok(Outcome::Done) => ExitCode::SUCCESS,
            Ok(Outcome::RowsRefused) => ExitCode::from(3),
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(if e.kind() == ErrorKind::Input { 1 } else { 2 })
            }
        }
    }

    fn usage(problem: &str) -> Error {
        Error::new(ErrorKind::Input, format!("{problem}\n{USAGE}"))
    }

    fn run(args: &[String]) -> Result<Outcome, Error> {
        let (command, rest) = args
            .split_first()
            .ok_or_else(|| usage("no command given"))?;
        let mut model_path = None;
        let mut positional = Vec::new();
        let mut flags = score::Flags::default();
        let mut it = rest.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--model" | "-m" => model_path = it.next(),
                "--output" | "-o" => flags.output = it.next().cloned(),
                "--strict" => flags.strict = true,
                "--no-reasons" => flags.reasons = false,
                "--quiet" | "-q" => flags.quiet = true,
                "--threads" | "-j" => {
                    let n = it.next().ok_or_else(|| usage("--threads needs a number"))?;
                    flags.threads =
                        Some(n.parse().ok().filter(|&n: &usize| n > 0).ok_or_else(|| {
                            usage(&format!("--threads: `{n}` is not a positive whole number"))
                        })?);
                }
                "-" => positional.push(arg),
                flag if flag.starts_with('-') => {
                    return Err(usage(&format!("unknown option `{flag}`")));
                }
                _ => positional.push(arg),
            }
        }
        let model_path = model_path.ok_or_else(|| usage("--model is required"))?;
        let bytes = std::fs::read(model_path).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read model `{model_path}`: {e}"),
            )
        })?;
        let scorer = Scorer::from_bytes(&bytes)?;
        match command.as_str() {
            "schema" => print_json(scorer.schema()).map(|()| Outcome::Done),
            "score" => {
                let input = positional
                    .first()
                    .ok_or_else(|| usage("give the CSV file to score (`-` for stdin)"))?;
                score::run(&scorer, input, &flags)
            }
            "assess" => {
                let path = positional
                    .first()
                    .ok_or_else(|| usage("give the applicant's JSON file"))?;
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read `{path}`: {e}")))?;
                let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                    Error::new(ErrorKind::Input, format!("`{path}` is not JSON: {e}"))
                })?;
                match credit_scorer::validate::validate_json(scorer.schema(), &value) {
                    Ok(row) => print_json(&scorer.assess(&row)?).map(|()| Outcome::Done),
                    Err(errors) => {
                        let list: Vec<String> = errors
                            .iter()
                            .map(|e| format!("  {}: {}", e.field, e.message))
                            .collect();
                        Err(Error::new(
                            ErrorKind::Input,
                            format!("the applicant is invalid:\n{}", list.join("\n")),
                        ))
                    }
                }
            }
            other => Err(usage(&format!("unknown command `{other}`"))),
        }
    }

    /// `credit-scorer score`: a CSV file through the batch core, on all cores, in input order.
    mod score {
        use std::io::{BufWriter, IsTerminal, Read, Write};
        use std::time::{Duration, Instant};

        use credit_scorer::batch::{
            BatchOptions, Chunk, Columns, Parser, ScoredChunk, Summary, output_header, score_chunk,
            thousands,
        };
        use credit_scorer::{Error, ErrorKind, Scorer};

        use super::Outcome;

        /// Options of the `score` command.
        pub struct Flags {
            pub output: Option<String>,
            pub strict: bool,
            pub reasons: bool,
            pub quiet: bool,
            pub threads: Option<usize>,
        }

        impl Default for Flags {
            fn default() -> Self {
                Flags {
                    output: None,
                    strict: false,
                    reasons: true,
                    quiet: false,
                    threads: None,
                }
            }
        }

        const READ_BYTES: usize = 1 << 20;

        fn io(what: &str, e: &std::io::Error) -> Error {
            Error::new(ErrorKind::Io, format!("{what}: {e}"))
        }

        pub fn run(scorer: &Scorer, input: &str, flags: &Flags) -> Result<Outcome, Error> {
            let options = BatchOptions {
                reasons: flags.reasons,
                ..BatchOptions::default()
            };
            let threads = flags.threads.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
            });
            let (mut reader, total): (Box<dyn Read>, Option<u64>) = if input == "-" {
                (Box::new(std::io::stdin().lock()), None)
            } else {
                let file = std::fs::File::open(input)
                    .map_err(|e| io(&format!("cannot open `{input}`"), &e))?;
                let size = file.metadata().ok().map(|m| m.len());
                (Box::new(file), size)
            };
            let output = flags.output.as_deref().unwrap_or("-");
            let mut writer: Box<dyn Write> = if output == "-" {
                Box::new(BufWriter::with_capacity(
                    READ_BYTES,
                    std::io::stdout().lock(),
                ))
            } else {
                let file = std::fs::File::create(output)
                    .map_err(|e| io(&format!("cannot create `{output}`"), &e))?;
                Box::new(BufWriter::with_capacity(READ_BYTES, file))
            };
            let show_progress = !flags.quiet && total.is_some() && std::io::stderr().is_terminal();
            let started = Instant::now();
            let mut progress = Progress {
                shown: show_progress,
                last: started,
                started,
                total,
                read: 0,
            };

            let mut parser = Parser::new(scorer.schema(), options.chunk_rows);
            let mut summary = Summary::new(scorer.schema(), &options);
            let mut chunks: Vec<Chunk> = Vec::new();
            let mut header_written = false;
            let mut buf = vec![0u8; READ_BYTES];
            let batch = threads * 4;
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(io(&format!("cannot read `{input}`"), &e)),
                };
                let bytes = buf.get(..n).unwrap_or(&[]);
                if n == 0 {
                    parser.finish(&mut chunks)?;
                } else {
                    parser.push(bytes, &mut chunks)?;
                }
                progress.read += n as u64;
                if !header_written && let Some(columns) = parser.columns() {
                    writer
                        .write_all(&output_header(columns)?)
                        .map_err(|e| io("cannot write the output", &e))?;
                    header_written = true;
                }
                if n == 0 || chunks.len() >= batch {
                    let columns = parser.columns().ok_or_else(|| {
                        Error::new(ErrorKind::Csv, "rows arrived before the header")
                    })?;
                    for scored in score_all(scorer, columns, &chunks, &options, threads)? {
                        summary.add(&scored.tally);
                        writer
                            .write_all(&scored.csv)
                            .map_err(|e| io("cannot write the output", &e))?;
                    }
                    chunks.clear();
                    progress.show(summary.rows_in, false);
                }
                if n == 0 {
                    break;
                }
            }
            writer
                .flush()
                .map_err(|e| io("cannot write the output", &e))?;
            summary.update_from(&parser);
            progress.show(summary.rows_in, true);
            if !flags.quiet {
                let secs = started.elapsed().as_secs_f64();
                eprintln!("{}", summary.to_text());
                eprintln!(
                    "{} rows in {secs:.2} s ({} rows/s, {threads} thread{})",
                    thousands(summary.rows_in),
                    thousands((summary.rows_in as f64 / secs.max(1e-9)) as u64),
                    if threads == 1 { "" } else { "s" }
                );
            }
            Ok(if flags.strict && summary.refused > 0 {
                Outcome::RowsRefused
            } else {
                Outcome::Done
            })
        }

        /// Scores chunks on up to `threads` threads; results in input order.
        fn score_all(
            scorer: &Scorer,
            columns: &Columns,
            chunks: &[Chunk],
            options: &BatchOptions,
            threads: usize,
        ) -> Result<Vec<ScoredChunk>, Error> {
            if threads <= 1 || chunks.len() <= 1 {
                return chunks
                    .iter()
                    .map(|c| score_chunk(scorer, columns, c, options))
                    .collect();
            }
            let per = chunks.len().div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = chunks
                    .chunks(per)
                    .map(|group| {
                        s.spawn(move || {
                            group
                                .iter()
                                .map(|c| score_chunk(scorer, columns, c, options))
                                .collect::<Result<Vec<_>, Error>>()
                        })
                    })
                    .collect();
                let mut out = Vec::with_capacity(chunks.len());
                for h in handles {
                    let part = h.join().map_err(|_| {
                        Error::new(ErrorKind::Inference, "a scoring thread crashed")
                    })??;
                    out.extend(part);
                }
                Ok(out)
            })
        }

        struct Progress {
            shown: bool,
            started: Instant,
            last: Instant,
            total: Option<u64>,
            read: u64,
        }

        impl Progress {
            fn show(&mut self, rows: u64, done: bool) {
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
    }

    fn print_json(value: &impl serde::Serialize) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write JSON: {e}")))?;
        println!("{text}");
        Ok(())
    }
}
