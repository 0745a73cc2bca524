//! `cargo xtask …`: every build, serve, test, train and bench step of credit-scorer.
//! It installs what it needs on a fresh Debian machine (wasm target, wasm-bindgen-cli at the
//! lockfile's version, Chromium and ChromeDriver, npm packages) and caches tools between runs.

//!
//! This file only parses the command line and dispatches; each job is its own module.

mod bank_models;
mod bench;
mod browsers;
mod e2e;
mod fuzz;
mod integrity;
mod pack;
mod python;
mod serve;
mod test;
mod tools;
mod train;
mod util;
mod wasm;

use std::env;
use std::process::ExitCode;

use util::Result;

const HELP: &str = "cargo xtask <command>

  serve [--port 8080] [--dist]   build the wasm (release) and serve www/ on 127.0.0.1
  build [--dist]                 build the wasm into www/pkg/, print its size and write the
                                 integrity pins (in CI, with CI set: check them instead)
                                 (--dist adds wasm-opt and keeps it only if it is smaller
                                 compressed; its pins differ from the committed ones)
                                 (--lite-only builds only the lite engines, no tract, and pins
                                 the full ones already in www/pkg/: for page work in a clone)
  test [--fuzz]                  fmt, clippy, native tests, in-browser wasm tests, end-to-end tests
                                 (also builds the unpinned debug engine into www/pkg/debug/)
  e2e [--no-build] [FILE…]       build as `test` does, then only the end-to-end tests (all, or
                                 the given tests/e2e/*.test.mjs files); --no-build keeps
                                 www/pkg/ as last built and only rewrites the pins
  pack [--out DIR]               the library (www/lib/) as an npm tarball from www/ as last built
                                 (into $CARGO_TARGET_DIR/dist/; not published)
  train                          rebuild the reference model in training/.venv and check it is byte-identical
  bench [--dist] [--no-build]    credit-scorer vs onnxruntime-web in headless Chromium, and tract
                                 natively; table and JSON in $CARGO_TARGET_DIR/bench/
  python test|build|bench        the Python package (python/): pytest in python/.venv (as `test`
                                 runs it), the abi3 wheel into $CARGO_TARGET_DIR/wheels/, or the
                                 Spark benchmark (credit-scorer vs onnxruntime, 1,000,000 rows)
  help                           this text

Environment: CARGO_TARGET_DIR (shared build cache), CREDIT_SCORER_TOOLS (tool cache,
default ~/.cache/credit-scorer/tools).";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let (cmd, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(c, r)| (c.as_str(), r));
    let result = match cmd {
        "serve" => serve_args(rest).and_then(|port| serve::run(port, has_flag(rest, "--dist"))),
        "build" => wasm::build_engines(has_flag(rest, "--dist"), has_flag(rest, "--lite-only")),
        "test" => test::run(has_flag(rest, "--fuzz")),
        "e2e" => e2e::run(rest),
        "pack" => pack::run_command(rest),
        "train" => train::run(),
        "bench" => bench::run(rest),
        "python" => python::command(rest),
        "help" | "--help" | "-h" => {
            println!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{HELP}").into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn has_flag(args: &[String], flag: &str) -> bool {
    args.iter().any(|a| a == flag)
}

/// The port of `serve [--port N]`.
fn serve_args(args: &[String]) -> Result<u16> {
    let mut port = 8080u16;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--port" {
            port = it
                .next()
                .ok_or("--port needs a number")?
                .parse()
                .map_err(|_| "--port needs a number")?;
        }
    }
    Ok(port)
}
