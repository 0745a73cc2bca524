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
  credit-scorer reference-scores --model MODEL.onnx -o OUT.onnx
                      record tract's scores of probe applicants in the model, so that the page's
                      lite engine can run it (docs/SCHEMA.md, \"Reference scores\")
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
        if command == "reference-scores" {
            return reference_scores(&bytes, flags.output.as_deref());
        }
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

    /// Without tract there is nothing to score the reference rows with.
    #[cfg(not(feature = "tract"))]
    fn reference_scores(_bytes: &[u8], _output: Option<&str>) -> Result<Outcome, Error> {
        Err(Error::new(
            ErrorKind::NeedsFullEngine,
            "this build of the command line has no tract to score the rows with; build it with the default features",
        ))
    }

    /// `credit-scorer reference-scores`: the model with tract's scores of its probe rows recorded.
    #[cfg(feature = "tract")]
    fn reference_scores(bytes: &[u8], output: Option<&str>) -> Result<Outcome, Error> {
        let output = output.ok_or_else(|| usage("give the file to write with -o OUT.onnx"))?;
        let made = credit_scorer::model::with_reference_scores(bytes)?;
        std::fs::write(output, &made.bytes)
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write `{output}`: {e}")))?;
        eprintln!(
            "wrote {output}: {} reference rows scored by tract; {}",
            made.rows,
            if made.lite {
                "the page's lite engine will run it"
            } else {
                "it is not a chain of row-wise operators the direct evaluator runs, so the page \
                 loads it with the full engine (which checks the reference scores too)"
            }
        );
        Ok(Outcome::Done)
    }

    /// `credit-scorer score`: a CSV file through the batch core, on all cores, in input order.
    mod score {
        use std::io::{BufWriter, IsTerminal, Read, Write};
        use std::time::{Duration, Instant};

        use credit_scorer::batch::{
            BatchOptions, Chunk, Columns, Parser, Scratch, Summary, Tally, output_header,
            score_chunk_into, thousands,
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
            let mut input = Input {
                reader: reader.as_mut(),
                name: input,
                buf: vec![0u8; READ_BYTES],
                parser: &mut parser,
                chunks: Vec::new(),
                done: false,
            };
            let mut output = Output {
                writer: writer.as_mut(),
                summary: &mut summary,
                progress: &mut progress,
                header_written: false,
            };
            if threads <= 1 {
                one_thread(scorer, &options, &mut input, &mut output)?;
            } else {
                pipeline(scorer, &options, threads, &mut input, &mut output)?;
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

        /// The file, read and cut into chunks of records.
        struct Input<'a> {
            reader: &'a mut dyn Read,
            name: &'a str,
            buf: Vec<u8>,
            parser: &'a mut Parser,
            /// Chunks cut and not yet handed on.
            chunks: Vec<Chunk>,
            done: bool,
        }

        impl Input<'_> {
            /// Reads and parses the next block of the file (the end of the file finishes it).
            fn read(&mut self) -> Result<u64, Error> {
                let n = loop {
                    match self.reader.read(&mut self.buf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(io(&format!("cannot read `{}`", self.name), &e)),
                    }
                };
                if n == 0 {
                    self.parser.finish(&mut self.chunks)?;
                    self.done = true;
                } else {
                    let bytes = self.buf.get(..n).unwrap_or(&[]);
                    self.parser.push(bytes, &mut self.chunks)?;
                }
                Ok(n as u64)
            }

            fn columns(&self) -> Result<Columns, Error> {
                self.parser
                    .columns()
                    .cloned()
                    .ok_or_else(|| Error::new(ErrorKind::Csv, "rows arrived before the header"))
            }
        }

        /// Where scored chunks go, in input order.
        struct Output<'a> {
            writer: &'a mut dyn Write,
            summary: &'a mut Summary,
            progress: &'a mut Progress,
            header_written: bool,
        }

        impl Output<'_> {
            fn header(&mut self, parser: &Parser) -> Result<(), Error> {
                if !self.header_written
                    && let Some(columns) = parser.columns()
                {
                    self.writer
                        .write_all(&output_header(columns)?)
                        .map_err(|e| io("cannot write the output", &e))?;
                    self.header_written = true;
                }
                Ok(())
            }

            fn chunk(&mut self, tally: &Tally, csv: &[u8]) -> Result<(), Error> {
                self.summary.add(tally);
                self.writer
                    .write_all(csv)
                    .map_err(|e| io("cannot write the output", &e))?;
                self.progress.show(self.summary.rows_in, false);
                Ok(())
            }
        }

        fn one_thread(
            scorer: &Scorer,
            options: &BatchOptions,
            input: &mut Input<'_>,
            output: &mut Output<'_>,
        ) -> Result<(), Error> {
            let mut scratch = Scratch::default();
            let mut csv = Vec::new();
            while !input.done {
                output.progress.read += input.read()?;
                output.header(input.parser)?;
                if input.chunks.is_empty() {
                    continue;
                }
                let columns = input.columns()?;
                for chunk in std::mem::take(&mut input.chunks) {
                    csv.clear();
                    let tally = score_chunk_into(
                        scorer,
                        &columns,
                        &chunk,
                        options,
                        &mut scratch,
                        &mut csv,
                    )?;
                    output.chunk(&tally, &csv)?;
                    input.parser.recycle(chunk);
                }
            }
            Ok(())
        }

        /// A chunk for a worker: its place in the file, its records and the header mapping.
        type Job = (u64, Chunk, std::sync::Arc<Columns>);

        /// A chunk scored by a worker: its place in the file, the chunk (for reuse) and the result.
        type Done = (u64, Chunk, Result<(Tally, Vec<u8>), Error>);

        /// Reading and parsing on this thread, scoring on `threads` workers, writing here in input
        /// order: parsing overlaps scoring, and at most a few chunks per worker are in flight.
        fn pipeline(
            scorer: &Scorer,
            options: &BatchOptions,
            threads: usize,
            input: &mut Input<'_>,
            output: &mut Output<'_>,
        ) -> Result<(), Error> {
            use std::collections::BTreeMap;
            use std::sync::{Arc, Mutex, mpsc};

            let max_in_flight = (threads * 4) as u64;
            let (job_tx, job_rx) = mpsc::sync_channel::<Job>(threads * 2);
            let job_rx = Mutex::new(job_rx);
            std::thread::scope(|s| {
                // Owned by this closure: on any return the queue closes and the workers stop.
                let job_tx = job_tx;
                let (done_tx, done_rx) = mpsc::channel::<Done>();
                for _ in 0..threads {
                    let done_tx = done_tx.clone();
                    let job_rx = &job_rx;
                    s.spawn(move || worker(scorer, options, job_rx, &done_tx));
                }
                drop(done_tx);
                let mut columns: Option<Arc<Columns>> = None;
                let mut sent: u64 = 0;
                let mut written: u64 = 0;
                let mut waiting: BTreeMap<u64, (Tally, Vec<u8>)> = BTreeMap::new();
                // Takes every finished chunk (waiting for one when `block`), writes those next in
                // input order.
                let mut receive = |mut block: bool,
                                   written: &mut u64,
                                   parser: &mut Parser,
                                   output: &mut Output<'_>|
                 -> Result<(), Error> {
                    loop {
                        let next = if block {
                            done_rx.recv().ok()
                        } else {
                            done_rx.try_recv().ok()
                        };
                        let Some((seq, chunk, result)) = next else {
                            return if block {
                                Err(Error::new(ErrorKind::Inference, "a scoring thread crashed"))
                            } else {
                                Ok(())
                            };
                        };
                        waiting.insert(seq, result?);
                        parser.recycle(chunk);
                        while let Some((tally, csv)) = waiting.remove(written) {
                            output.chunk(&tally, &csv)?;
                            *written += 1;
                        }
                        block = false;
                    }
                };
                while !input.done {
                    output.progress.read += input.read()?;
                    output.header(input.parser)?;
                    if input.chunks.is_empty() {
                        continue;
                    }
                    let columns = match &columns {
                        Some(c) => Arc::clone(c),
                        None => columns.insert(Arc::new(input.columns()?)).clone(),
                    };
                    for chunk in std::mem::take(&mut input.chunks) {
                        while sent - written >= max_in_flight {
                            receive(true, &mut written, input.parser, output)?;
                        }
                        job_tx
                            .send((sent, chunk, Arc::clone(&columns)))
                            .map_err(|_| {
                                Error::new(ErrorKind::Inference, "a scoring thread crashed")
                            })?;
                        sent += 1;
                        receive(false, &mut written, input.parser, output)?;
                    }
                }
                drop(job_tx);
                while written < sent {
                    receive(true, &mut written, input.parser, output)?;
                }
                Ok(())
            })
        }

        /// Scores chunks until the queue closes; a panic becomes an error for the writer.
        fn worker(
            scorer: &Scorer,
            options: &BatchOptions,
            jobs: &std::sync::Mutex<std::sync::mpsc::Receiver<Job>>,
            done: &std::sync::mpsc::Sender<Done>,
        ) {
            let mut scratch = Scratch::default();
            loop {
                let job = match jobs.lock() {
                    Ok(queue) => queue.recv(),
                    Err(_) => return,
                };
                let Ok((seq, chunk, columns)) = job else {
                    return;
                };
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let mut csv = Vec::with_capacity(chunk.len() * 64);
                    score_chunk_into(scorer, &columns, &chunk, options, &mut scratch, &mut csv)
                        .map(|tally| (tally, csv))
                }))
                .unwrap_or_else(|_| {
                    Err(Error::new(ErrorKind::Inference, "a scoring thread crashed"))
                });
                if done.send((seq, chunk, result)).is_err() {
                    return;
                }
            }
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
