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
  credit-scorer schema --model MODEL.onnx                  print the model's schema as JSON";

    pub fn main() -> ExitCode {
        let args: Vec<String> = std::env::args().skip(1).collect();
        match run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(if e.kind() == ErrorKind::Input { 1 } else { 2 })
            }
        }
    }

    fn usage(problem: &str) -> Error {
        Error::new(ErrorKind::Input, format!("{problem}\n{USAGE}"))
    }

    fn run(args: &[String]) -> Result<(), Error> {
        let (command, rest) = args
            .split_first()
            .ok_or_else(|| usage("no command given"))?;
        let mut model_path = None;
        let mut positional = Vec::new();
        let mut it = rest.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--model" | "-m" => model_path = it.next(),
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
            "schema" => print_json(scorer.schema()),
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
                    Ok(row) => print_json(&scorer.assess(&row)?),
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

    fn print_json(value: &impl serde::Serialize) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write JSON: {e}")))?;
        println!("{text}");
        Ok(())
    }
}
