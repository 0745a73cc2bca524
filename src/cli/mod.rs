//! The command line's commands, one file each: `score` (a CSV file; its threads in `pipeline`,
//! its progress bar in `progress`, its summary as text in `summary_text`), `assess`,
//! `reference-scores`, `schema-template`, `embed-schema`, and `schema` here, with the arguments
//! (clap). `output` writes a file atomically for `score` and the model tools.

mod assess;
mod embed_schema;
mod format;
mod input;
mod output;
mod parquet;
mod pipeline;
mod progress;
mod reference_scores;
mod schema_template;
mod score;
mod summary_json;
mod summary_text;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use credit_scorer::batch::Decimal;
use credit_scorer::{Error, ErrorKind, Scorer};

/// The crate's version and which engine this build has, for `--version`.
#[cfg(feature = "tract")]
pub(crate) const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (full engine: tract 0.23.9 and the direct evaluators)"
);
#[cfg(not(feature = "tract"))]
pub(crate) const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (lite engine: the direct evaluators only, no tract)"
);

/// The exit codes, in every command's help and the README.
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0  done
  1  refused: the model, an input or an output file (unreadable, invalid, the input itself,
     or an existing output without --force); the message says which and why
  2  usage: an unknown, missing or malformed flag or argument
  3  score --strict: some rows were refused (the output is still written)"
    };
}

/// Scores loan applicants with an ONNX credit-risk model (the page's core, for large files)
#[derive(Parser)]
#[command(
    name = "credit-scorer",
    version = VERSION,
    arg_required_else_help = true,
    after_help = concat!(
        "Examples:\n",
        "  credit-scorer score --model model.onnx applicants.csv -o scored.csv\n",
        "  credit-scorer score --model model.onnx - < applicants.csv > scored.csv\n",
        "  credit-scorer assess --model model.onnx applicant.json\n",
        "  credit-scorer schema --model model.onnx\n",
        "  credit-scorer reference-scores --model model.onnx -o model-lite.onnx\n",
        "  credit-scorer schema-template --model bank.onnx -o schema.json\n",
        "  credit-scorer embed-schema --model bank.onnx schema.json -o bank-schema.onnx\n",
        "  credit-scorer help score\n",
        "\n",
        exit_codes!(),
    ),
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Score(ScoreArgs),
    Assess(AssessArgs),
    Schema(SchemaArgs),
    ReferenceScores(ReferenceScoresArgs),
    SchemaTemplate(SchemaTemplateArgs),
    EmbedSchema(EmbedSchemaArgs),
}

/// The model every command reads.
#[derive(Args)]
struct ModelArg {
    /// The ONNX model (its schema in the metadata, or a generic one)
    #[arg(short, long, value_name = "MODEL.onnx")]
    model: PathBuf,
}

/// Score a CSV file of applicants (all cores, output in input order)
///
/// Each row of INPUT.csv is validated, scored and explained: the output has the input's columns
/// (or those --keep-columns names) followed by the PD, points, band, reason codes and, for a
/// refused row, why (then, with --contributions, each feature's contribution in points); as CSV,
/// JSON Lines or Parquet (--format, or OUTPUT's .jsonl or .parquet extension). The summary
/// (rows, bands, points histogram, population stability, how the file was read) goes to stderr,
/// after a progress bar when stderr is a terminal, and with --summary to a JSON file with the
/// audit trail (the model's name, version and SHA-256, the engine, this tool's version, the
/// time), which a Parquet output also carries in its metadata. Files are written to a
/// temporary file beside them and renamed when complete, so a failed run leaves no partial
/// output.
///
/// The input may be UTF-8, UTF-16 with a byte-order mark, or any encoding named with
/// --encoding (GBK, Windows-1252 …); its columns separated by `,` `;` tab or `|` (found from
/// the header line), its numbers with a decimal point or (--decimal ,) comma. A column is found
/// by its feature's name, source column or label in any language, and a category by its code,
/// its value in the data set or its label (ignoring case); the output keeps the cells as written,
/// as UTF-8 CSV.
#[derive(Args)]
#[command(verbatim_doc_comment, after_help = concat!(
    "Examples:\n",
    "  credit-scorer score --model model.onnx applicants.csv -o scored.csv\n",
    "  credit-scorer score --model model.onnx applicants.csv -o scored.csv --force --strict\n",
    "  credit-scorer score -q --no-reasons --threads 4 --model model.onnx - < in.csv > out.csv\n",
    "  credit-scorer score --encoding gbk --model model.onnx 申请.csv -o scored.csv\n",
    "  credit-scorer score --encoding windows-1252 --decimal , --model model.onnx eu.csv -o out.csv\n",
    "  credit-scorer score --model model.onnx in.csv -o out.jsonl --keep-columns id --summary run.json\n",
    "  credit-scorer score --model model.onnx in.csv -o out.parquet\n",
    "\n",
    exit_codes!(),
))]
struct ScoreArgs {
    #[command(flatten)]
    model: ModelArg,
    /// The CSV file to score (`-`: stdin)
    #[arg(value_name = "INPUT.csv")]
    input: PathBuf,
    /// Where to write the scored CSV (`-`: stdout, the default)
    #[arg(short, long, value_name = "OUTPUT.csv")]
    output: Option<PathBuf>,
    /// Replace OUTPUT if it exists (never the input itself)
    #[arg(long)]
    force: bool,
    /// Exit with 3 when any row was refused
    #[arg(long)]
    strict: bool,
    /// Leave the reason codes empty (several times faster, docs/BENCHMARKS.md)
    #[arg(long)]
    no_reasons: bool,
    /// Append each feature's contribution in points (`contribution_<feature>` columns)
    #[arg(long, conflicts_with = "no_reasons")]
    contributions: bool,
    /// Print nothing on stderr but errors: no summary, no progress bar
    #[arg(short, long)]
    quiet: bool,
    /// Scoring threads [default: the number of cores]
    #[arg(short = 'j', long, value_name = "N")]
    threads: Option<NonZeroUsize>,
    /// The input's encoding: utf-8, utf-16le, utf-16be, gbk, gb18030, windows-1252 …
    /// [default: by its byte-order mark, else UTF-8 if it is, else refused]
    #[arg(long, value_name = "NAME", value_parser = input::parse_encoding)]
    encoding: Option<&'static encoding_rs::Encoding>,
    /// The byte between columns: `,` `;` `tab` or `|` [default: found from the header line]
    #[arg(long, value_name = "D", value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// The decimal separator of numbers: `.` or `,` (then columns are not separated by `,`)
    #[arg(long, value_name = "SEP", default_value = ".", value_parser = parse_decimal)]
    decimal: Decimal,
    /// The output's format [default: by OUTPUT's extension (.jsonl, .parquet), else csv]
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<format::Format>,
    /// Input columns the output carries: all, none, or names (`--keep-columns id,branch`)
    #[arg(long, value_name = "COLUMNS", default_value = "all", value_parser = format::parse_keep)]
    keep_columns: format::Keep,
    /// Also write the summary as JSON, with the audit trail (model SHA-256, engine, versions, time)
    #[arg(long, value_name = "SUMMARY.json")]
    summary: Option<PathBuf>,
}

fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "tab" | "\\t" => Ok(b'\t'),
        "|" | "pipe" => Ok(b'|'),
        _ => Err(format!(
            "`{text}` is not a delimiter this tool reads; use `,` `;` `tab` or `|`"
        )),
    }
}

fn parse_decimal(text: &str) -> Result<Decimal, String> {
    match text {
        "." => Ok(Decimal::Point),
        "," => Ok(Decimal::Comma),
        _ => Err(format!(
            "`{text}` is not a decimal separator; use `.` or `,`"
        )),
    }
}

/// Score and explain one applicant from a JSON file
///
/// The applicant is a JSON object of the schema's feature names and their values. Prints the
/// PD, points, band, top reasons and every characteristic's contribution as JSON on stdout,
/// and under `recourse` what would change the outcome: up to three smallest sets of changes
/// to the characteristics the schema marks actionable that reach the target band (default: the
/// model card's approval cut-off; `null` when the model names none and no --target-band is
/// given), or `proven_none` when no change of up to three characteristics reaches it.
#[derive(Args)]
#[command(verbatim_doc_comment, after_help = concat!(
    "Examples:\n",
    "  credit-scorer assess --model model.onnx applicant.json\n",
    "  credit-scorer assess --model model.onnx --target-band B applicant.json\n",
    "\n",
    exit_codes!(),
))]
struct AssessArgs {
    #[command(flatten)]
    model: ModelArg,
    /// The applicant: a JSON object of feature names and values
    #[arg(value_name = "APPLICANT.json")]
    applicant: PathBuf,
    /// The band recourse aims for (a band id of the schema, e.g. C)
    #[arg(long, value_name = "ID", conflicts_with = "no_recourse")]
    target_band: Option<String>,
    /// Leave out what would change the outcome
    #[arg(long)]
    no_recourse: bool,
}

/// Print the model's schema as JSON
///
/// The features with their ranges, codes and labels, the scaling, the bands and the model
/// card, as the page shows them (a generic schema for a model without one).
#[derive(Args)]
#[command(verbatim_doc_comment, after_help = concat!(
    "Example:\n",
    "  credit-scorer schema --model model.onnx > schema.json\n",
    "\n",
    exit_codes!(),
))]
struct SchemaArgs {
    #[command(flatten)]
    model: ModelArg,
}

/// Record tract's scores of probe applicants in a model, for the page's lite engine
///
/// Writes a copy of the model with tract's scores of probe applicants in its metadata, so
/// that the page's lite engine can run it; the original bytes are kept as they were, but for
/// reference scores that do not cover the model, which are replaced (docs/SCHEMA.md,
/// "Reference scores"). Needs the full build (with tract).
#[derive(Args)]
#[command(verbatim_doc_comment, after_help = concat!(
    "Example:\n",
    "  credit-scorer reference-scores --model model.onnx -o model-lite.onnx\n",
    "\n",
    exit_codes!(),
))]
struct ReferenceScoresArgs {
    #[command(flatten)]
    model: ModelArg,
    /// The model file to write
    #[arg(short, long, value_name = "OUT.onnx")]
    output: PathBuf,
    /// Replace OUT.onnx if it exists (never the model itself)
    #[arg(long)]
    force: bool,
}

/// Write a starter schema for a model: its inputs, outputs and split thresholds
///
/// The first step of preparing a bank's model for the page (docs/SCHEMA.md, "Preparing a
/// bank's model"): schema-template, fill in the placeholders, embed-schema, reference-scores.
/// The template names the inputs x0, x1 … (rename them to the columns of your files), reads
/// the probability output the loader reads, and gives each input the range between the lowest
/// and highest split threshold the model has on it (tree splits, a network's comparisons);
/// everything only the bank knows (the model's name, each input's label, reason text and
/// baseline, whether the range is right) is a "TODO: …" text saying what belongs there, which
/// embed-schema and the loader refuse until it is replaced.
#[derive(Args)]
#[command(verbatim_doc_comment, after_help = concat!(
    "Examples:\n",
    "  credit-scorer schema-template --model bank.onnx -o schema.json\n",
    "  credit-scorer schema-template --model bank.onnx -o - | less\n",
    "\n",
    exit_codes!(),
))]
struct SchemaTemplateArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Where to write the schema (`-`: stdout)
    #[arg(short, long, value_name = "SCHEMA.json")]
    output: PathBuf,
    /// Replace SCHEMA.json if it exists
    #[arg(long)]
    force: bool,
}

/// Write a schema into a copy of a model, checked as the page loads it
///
/// Writes a copy of the model with SCHEMA.json as its schema (`credit_scorer.schema` in the
/// metadata), replacing the one it carries; every other byte of the file is kept as it was.
/// Refused first, as loading the result would be: a schema with placeholders left from
/// schema-template, a field this scorer does not read, inconsistent values, or one that does
/// not fit the model (its number of inputs, its outputs, the class of default). A model that
/// needs reference scores before the page runs it is still written, with what to do next.
#[derive(Args)]
#[command(verbatim_doc_comment, after_help = concat!(
    "Examples:\n",
    "  credit-scorer embed-schema --model bank.onnx schema.json -o bank-schema.onnx\n",
    "  credit-scorer reference-scores --model bank-schema.onnx -o bank-page.onnx\n",
    "\n",
    exit_codes!(),
))]
struct EmbedSchemaArgs {
    #[command(flatten)]
    model: ModelArg,
    /// The schema to write into the model (JSON, docs/SCHEMA.md)
    #[arg(value_name = "SCHEMA.json")]
    schema: PathBuf,
    /// The model file to write
    #[arg(short, long, value_name = "OUT.onnx")]
    output: PathBuf,
    /// Replace OUT.onnx if it exists (never the model or the schema itself)
    #[arg(long)]
    force: bool,
}

/// What a command asks the process to exit with.
pub(crate) enum Outcome {
    Done,
    RowsRefused,
}

/// Runs the command the arguments name: exit 0 done, 1 refused input, 2 usage (clap's own exit
/// code for its errors), 3 `score --strict` with refused rows.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `--help` and `--version` exit 0 on stdout, usage errors 2 on stderr.
        Err(e) => e.exit(),
    };
    match run(cli.command) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::RowsRefused) => ExitCode::from(3),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(command: Command) -> Result<Outcome, Error> {
    match command {
        Command::Score(args) => {
            let scorer = load(&args.model.model)?;
            let flags = score::Flags {
                force: args.force,
                strict: args.strict,
                reasons: !args.no_reasons,
                contributions: args.contributions,
                quiet: args.quiet,
                threads: args.threads.map(NonZeroUsize::get),
                encoding: args.encoding,
                delimiter: args.delimiter,
                decimal: args.decimal,
                format: format::Format::choose(args.format, args.output.as_deref()),
                keep: args.keep_columns,
                summary: args.summary,
                output: args.output,
            };
            score::run(&scorer, &args.input, &flags)
        }
        Command::Assess(args) => {
            let recourse = if args.no_recourse {
                assess::Recourse::Off
            } else {
                assess::Recourse::Target(args.target_band.clone())
            };
            assess::run(&load(&args.model.model)?, &args.applicant, &recourse)
        }
        Command::Schema(args) => {
            print_json(load(&args.model.model)?.schema()).map(|()| Outcome::Done)
        }
        Command::ReferenceScores(args) => {
            let model = &args.model.model;
            reference_scores::run(&read_model(model)?, model, &args.output, args.force)
        }
        Command::SchemaTemplate(args) => {
            let model = &args.model.model;
            schema_template::run(&read_model(model)?, model, &args.output, args.force)
        }
        Command::EmbedSchema(args) => {
            let model = &args.model.model;
            embed_schema::run(
                &read_model(model)?,
                model,
                &args.schema,
                &args.output,
                args.force,
            )
        }
    }
}

fn read_model(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot read model `{}`: {e}", path.display()),
        )
    })
}

fn load(path: &Path) -> Result<Scorer, Error> {
    Scorer::from_bytes(&read_model(path)?)
}

/// Prints `value` as pretty JSON on stdout.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write JSON: {e}")))?;
    println!("{text}");
    Ok(())
}
