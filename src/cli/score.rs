//! `credit-scorer score`: a CSV file through the batch core, on all cores, in input order.

use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use credit_scorer::batch::{
    BatchOptions, Chunk, Columns, Decimal, Parser, Scratch, Summary, Tally, output_columns,
    score_chunk_into, thousands,
};
use credit_scorer::{Error, ErrorKind, Scorer};

use super::Outcome;
use super::format::{Format, Keep, RowFormat};
use super::output::AtomicFile;
use super::progress::Progress;
use super::summary_json::{InputRead, ModelId, OutputWritten, SummaryFile, Tool, rfc3339};
use super::summary_text::ToText;

/// Options of the `score` command.
pub struct Flags {
    /// `None` or `-`: stdout.
    pub output: Option<PathBuf>,
    /// Replace an existing output file.
    pub force: bool,
    pub strict: bool,
    pub reasons: bool,
    /// Append each feature's contribution in points (`contribution_<feature>`).
    pub contributions: bool,
    pub quiet: bool,
    pub threads: Option<usize>,
    /// `--encoding`: `None` finds it (BOM, or UTF-8).
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// `--delimiter`: `None` finds it from the header line.
    pub delimiter: Option<u8>,
    pub decimal: Decimal,
    pub format: Format,
    pub keep: Keep,
    /// `--summary`: where to write the summary as JSON.
    pub summary: Option<PathBuf>,
}

const READ_BYTES: usize = 1 << 20;

fn io(what: &str, e: &std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}"))
}

/// Scores the CSV file `input` (`-`: stdin) as `flags` say; the summary goes to stderr.
pub fn run(scorer: &Scorer, input: &Path, flags: &Flags) -> Result<Outcome, Error> {
    let options = BatchOptions {
        reasons: flags.reasons,
        contributions: flags.contributions,
        delimiter: flags.delimiter,
        decimal: flags.decimal,
        ..BatchOptions::default()
    };
    let threads = flags.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let stdin = input == Path::new("-");
    let name = input.display().to_string();
    let (reader, total): (Box<dyn Read>, Option<u64>) = if stdin {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let file =
            std::fs::File::open(input).map_err(|e| io(&format!("cannot open `{name}`"), &e))?;
        let size = file.metadata().ok().map(|m| m.len());
        (Box::new(file), size)
    };
    let mut decoded = super::input::decode(reader, &name, flags.encoding)?;
    let inputs: &[&Path] = if stdin { &[] } else { &[input] };
    let to_file = |path: &Path| AtomicFile::create(path, inputs, stdin, flags.force);
    let output_path = flags.output.as_deref().filter(|p| *p != Path::new("-"));
    let summary_file = match flags.summary.as_deref() {
        Some(path) if output_path.is_some_and(|o| same_target(o, path)) => {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "--summary and --output name the same file `{}`; give the summary its own",
                    path.display()
                ),
            ));
        }
        Some(path) => Some(to_file(path)?),
        None => None,
    };
    if flags.format == Format::Parquet && output_path.is_none() && std::io::stdout().is_terminal() {
        return Err(Error::new(
            ErrorKind::Input,
            "Parquet is binary and stdout is a terminal; give an output file \
             (-o scored.parquet) or redirect stdout",
        ));
    }
    let started_at = rfc3339(std::time::SystemTime::now());
    let tool = Tool {
        name: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
        build: super::VERSION,
    };
    let model = ModelId::of(scorer);
    let mut sink = match output_path {
        Some(path) => Sink::File(to_file(path)?),
        _ => Sink::Stdout(BufWriter::with_capacity(
            READ_BYTES,
            std::io::stdout().lock(),
        )),
    };
    let started = Instant::now();
    let mut progress = Progress::new(!flags.quiet && std::io::stderr().is_terminal(), total);

    let mut parser = Parser::with_options(scorer.schema(), &options);
    let mut summary = Summary::new(scorer, &options);
    let mut input = Input {
        reader: decoded.reader.as_mut(),
        name: &name,
        buf: vec![0u8; READ_BYTES],
        parser: &mut parser,
        chunks: Vec::new(),
        done: false,
    };
    let mut output = Output {
        writer: sink.writer(),
        summary: &mut summary,
        progress: &mut progress,
        header_written: false,
        rows: RowFormat::new(
            flags.format,
            flags.keep.clone(),
            output_columns(scorer.schema(), &options),
            audit_metadata(&tool, &model, &started_at),
        ),
        buffer: Vec::new(),
    };
    if threads <= 1 {
        one_thread(scorer, &options, &mut input, &mut output)?;
    } else {
        super::pipeline::run(scorer, &options, threads, &mut input, &mut output)?;
    }
    let finished_at = rfc3339(std::time::SystemTime::now());
    output.finish(&[(
        format!("{AUDIT_KEY_PREFIX}finished_at"),
        finished_at.clone(),
    )])?;
    sink.commit()?;
    summary.update_from(&parser);
    if let Some(mut file) = summary_file {
        let audit = SummaryFile {
            tool,
            model,
            started_at,
            finished_at,
            input: InputRead {
                path: name.clone(),
                encoding: decoded.encoding.name().to_string(),
                encoding_from: if decoded.bom {
                    "byte_order_mark"
                } else if flags.encoding.is_some() {
                    "option"
                } else {
                    "utf8_text"
                },
                delimiter: summary.delimiter.clone(),
                decimal: match flags.decimal {
                    Decimal::Point => ".",
                    Decimal::Comma => ",",
                },
            },
            output: OutputWritten {
                path: output_path.map_or_else(|| "-".to_string(), |p| p.display().to_string()),
                format: flags.format.name(),
                kept_columns: match &flags.keep {
                    Keep::All => "all".into(),
                    Keep::None => "none".into(),
                    Keep::Named(names) => names.clone().into(),
                },
            },
            summary: &summary,
        };
        serde_json::to_writer_pretty(file.writer(), &audit)
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write the summary: {e}")))?;
        file.writer()
            .write_all(b"\n")
            .map_err(|e| io("cannot write the summary", &e))?;
        file.commit()?;
    }
    progress.show(summary.rows_in, true);
    if !flags.quiet {
        let secs = started.elapsed().as_secs_f64();
        eprintln!("{}", summary.to_text());
        eprintln!("{}", read_as(&decoded, flags, &summary));
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

/// The prefix of the audit trail's keys in the Parquet output's key-value metadata.
pub const AUDIT_KEY_PREFIX: &str = "credit_scorer.";

/// The audit trail known before the rows, as the Parquet output's key-value metadata: the
/// `--summary` file's `tool`, `model` and `started_at` fields, named by their JSON paths
/// (`credit_scorer.model.sha256` …); `credit_scorer.finished_at` is added at the end.
fn audit_metadata(tool: &Tool, model: &ModelId, started_at: &str) -> Vec<(String, String)> {
    [
        ("tool.name", tool.name),
        ("tool.version", tool.version),
        ("tool.build", tool.build),
        ("model.name", &model.name),
        ("model.version", &model.version),
        ("model.sha256", &model.sha256),
        ("model.engine", model.engine),
        ("started_at", started_at),
    ]
    .into_iter()
    .map(|(k, v)| (format!("{AUDIT_KEY_PREFIX}{k}"), v.to_string()))
    .collect()
}

/// Whether two output paths name the same file, existing or not: the same name in the same
/// directory (by its canonical path, so `./x` and links to the directory count).
fn same_target(a: &Path, b: &Path) -> bool {
    let place = |p: &Path| {
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        (
            dir.canonicalize().unwrap_or(dir),
            p.file_name().map(ToOwned::to_owned),
        )
    };
    a == b || place(a) == place(b)
}

/// How the input was read: `read as GBK, columns separated by `;`, decimal comma`.
fn read_as(decoded: &super::input::Decoded<'_>, flags: &Flags, summary: &Summary) -> String {
    let delimiter = summary
        .delimiter
        .as_deref()
        .and_then(|d| d.bytes().next())
        .map_or_else(|| "?".to_string(), credit_scorer::batch::delimiter_name);
    let decimal = match flags.decimal {
        Decimal::Point => "decimal point",
        Decimal::Comma => "decimal comma",
    };
    format!(
        "read as {}, columns separated by {delimiter}{}, {decimal}",
        decoded.describe(flags.encoding.is_some()),
        if flags.delimiter.is_some() {
            " (--delimiter)"
        } else {
            ""
        },
    )
}

/// Where the scored CSV goes.
enum Sink<'a> {
    Stdout(BufWriter<std::io::StdoutLock<'a>>),
    File(AtomicFile),
}

impl Sink<'_> {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Stdout(w) => w,
            Sink::File(f) => f.writer(),
        }
    }

    /// Flushes stdout, or puts the complete file in place.
    fn commit(self) -> Result<(), Error> {
        match self {
            Sink::Stdout(mut w) => w.flush().map_err(|e| io("cannot write the output", &e)),
            Sink::File(f) => f.commit(),
        }
    }
}

/// The file, read and cut into chunks of records.
pub(super) struct Input<'a> {
    reader: &'a mut dyn Read,
    name: &'a str,
    buf: Vec<u8>,
    pub(super) parser: &'a mut Parser,
    /// Chunks cut and not yet handed on.
    pub(super) chunks: Vec<Chunk>,
    /// The end of the file was read.
    pub(super) done: bool,
}

impl Input<'_> {
    /// Reads and parses the next block of the file (the end of the file finishes it).
    pub(super) fn read(&mut self) -> Result<u64, Error> {
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

    /// The header mapping, once the header was read.
    pub(super) fn columns(&self) -> Result<Columns, Error> {
        self.parser
            .columns()
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::Csv, "rows arrived before the header"))
    }
}

/// Where scored chunks go, in input order.
pub(super) struct Output<'a> {
    writer: &'a mut dyn Write,
    summary: &'a mut Summary,
    pub(super) progress: &'a mut Progress,
    header_written: bool,
    rows: RowFormat,
    /// Rows in the output's format, when that is not the core's CSV.
    buffer: Vec<u8>,
}

impl Output<'_> {
    /// Writes the output header once the input's is known.
    pub(super) fn header(&mut self, parser: &Parser) -> Result<(), Error> {
        if !self.header_written
            && let Some(columns) = parser.columns()
        {
            let header = self.rows.header(columns)?;
            self.writer
                .write_all(&header)
                .map_err(|e| io("cannot write the output", &e))?;
            self.header_written = true;
        }
        Ok(())
    }

    /// Counts and writes the next scored chunk in input order.
    pub(super) fn chunk(&mut self, tally: &Tally, csv: &[u8]) -> Result<(), Error> {
        self.summary.add(tally);
        let bytes = if self.rows.passthrough() {
            csv
        } else {
            self.buffer.clear();
            self.rows.rows(csv, &mut self.buffer)?;
            &self.buffer
        };
        self.writer
            .write_all(bytes)
            .map_err(|e| io("cannot write the output", &e))?;
        self.progress.show(self.summary.rows_in, false);
        Ok(())
    }

    /// Writes what ends the output (Parquet's footer, with `metadata` added to its own).
    pub(super) fn finish(&mut self, metadata: &[(String, String)]) -> Result<(), Error> {
        self.buffer.clear();
        self.rows.finish(metadata, &mut self.buffer)?;
        self.writer
            .write_all(&self.buffer)
            .map_err(|e| io("cannot write the output", &e))
    }
}

/// Reading, scoring and writing on this thread, chunk after chunk.
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
            let tally =
                score_chunk_into(scorer, &columns, &chunk, options, &mut scratch, &mut csv)?;
            output.chunk(&tally, &csv)?;
            input.parser.recycle(chunk);
        }
    }
    Ok(())
}
