//! The command line's commands, one file each: `score` (a CSV file; its threads in `pipeline`,
//! its progress bar in `progress`, its summary as text in `summary_text`), `assess`,
//! `reference-scores`, and `schema` here.

mod assess;
mod pipeline;
mod progress;
mod reference_scores;
mod score;
mod summary_text;

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
pub(crate) enum Outcome {
    Done,
    RowsRefused,
}

/// Runs the command the arguments name.
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
        return reference_scores::run(&bytes, flags.output.as_deref());
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
            assess::run(&scorer, path)
        }
        other => Err(usage(&format!("unknown command `{other}`"))),
    }
}

/// Prints `value` as pretty JSON on stdout.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write JSON: {e}")))?;
    println!("{text}");
    Ok(())
}
