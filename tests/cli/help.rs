//! `--help` and `--version`: the commands, flags, examples and exit codes, as the README
//! shows them.

use predicates::str::contains;

use crate::cli;
use crate::common::*;

#[test]
fn help_for_the_tool_lists_the_commands_examples_and_exit_codes() {
    for flag in ["--help", "-h"] {
        cli()
            .arg(flag)
            .assert()
            .success()
            .stderr("")
            .stdout(contains("Usage: credit-scorer <COMMAND>"))
            .stdout(contains("score "))
            .stdout(contains("assess "))
            .stdout(contains("schema "))
            .stdout(contains("reference-scores "))
            .stdout(contains("schema-template "))
            .stdout(contains("embed-schema "))
            .stdout(contains(
                "Examples:\n  credit-scorer score --model model.onnx applicants.csv -o scored.csv",
            ))
            .stdout(contains("Exit codes:\n  0  done\n  1  refused"))
            .stdout(contains("  2  usage"))
            .stdout(contains("  3  score --strict"));
    }
    // No command: the help, as a usage error.
    cli()
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains("Usage: credit-scorer <COMMAND>"));
}

#[test]
fn help_for_each_command_names_its_flags_with_examples() {
    let cases: [(&str, &[&str]); 6] = [
        (
            "score",
            &[
                "Usage: credit-scorer score [OPTIONS] --model <MODEL.onnx> <INPUT.csv>",
                "-o, --output <OUTPUT.csv>",
                "--force",
                "--strict",
                "--no-reasons",
                "-q, --quiet",
                "-j, --threads <N>",
                "credit-scorer score --model model.onnx applicants.csv -o scored.csv",
            ],
        ),
        (
            "assess",
            &[
                "Usage: credit-scorer assess [OPTIONS] --model <MODEL.onnx> <APPLICANT.json>",
                "--target-band <ID>",
                "--no-recourse",
                "credit-scorer assess --model model.onnx applicant.json",
            ],
        ),
        (
            "schema",
            &[
                "Usage: credit-scorer schema --model <MODEL.onnx>",
                "credit-scorer schema --model model.onnx",
            ],
        ),
        (
            "reference-scores",
            &[
                "Usage: credit-scorer reference-scores [OPTIONS] --model <MODEL.onnx> --output <OUT.onnx>",
                "--force",
                "credit-scorer reference-scores --model model.onnx -o model-lite.onnx",
            ],
        ),
        (
            "schema-template",
            &[
                "Usage: credit-scorer schema-template [OPTIONS] --model <MODEL.onnx> --output <SCHEMA.json>",
                "--force",
                "credit-scorer schema-template --model bank.onnx -o schema.json",
            ],
        ),
        (
            "embed-schema",
            &[
                "Usage: credit-scorer embed-schema [OPTIONS] --model <MODEL.onnx> --output <OUT.onnx> <SCHEMA.json>",
                "--force",
                "credit-scorer embed-schema --model bank.onnx schema.json -o bank-schema.onnx",
            ],
        ),
    ];
    for (command, expected) in cases {
        for help in [
            vec![command, "--help"],
            vec![command, "-h"],
            vec!["help", command],
        ] {
            let mut run = cli().args(&help).assert().success().stderr("");
            for text in expected {
                run = run.stdout(contains(*text));
            }
            run.stdout(contains("Exit codes:"));
        }
    }
}

/// `--version` names the crate's version and the engine; the tract version is the one
/// Cargo.toml pins.
#[test]
fn version_names_the_crate_and_the_engine() {
    let manifest = std::fs::read_to_string(repo("Cargo.toml")).unwrap();
    let pin = manifest
        .lines()
        .find_map(|l| l.strip_prefix("tract-onnx = { version = \"="))
        .and_then(|rest| rest.split('"').next())
        .expect("tract-onnx is pinned in Cargo.toml");
    let expected = if cfg!(feature = "tract") {
        format!(
            "credit-scorer {} (full engine: tract {pin} and the direct evaluators)\n",
            env!("CARGO_PKG_VERSION")
        )
    } else {
        format!(
            "credit-scorer {} (lite engine: the direct evaluators only, no tract)\n",
            env!("CARGO_PKG_VERSION")
        )
    };
    for flag in ["--version", "-V"] {
        cli().arg(flag).assert().success().stdout(expected.clone());
    }
}

/// The README's command-line section shows the help as the tool prints it: the tool's, and every
/// command's its `Commands:` list names (so a new command cannot be left out).
#[test]
fn the_readme_shows_the_help_as_printed() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let help = |args: &[&str]| {
        let out = cli().args(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let top = help(&["--help"]);
    let commands: Vec<&str> = top
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|&c| c != "help")
        .collect();
    assert_eq!(
        commands,
        [
            "score",
            "assess",
            "schema",
            "reference-scores",
            "schema-template",
            "embed-schema"
        ]
    );
    let mut cases = vec![vec!["--help"]];
    cases.extend(commands.iter().map(|&c| vec![c, "--help"]));
    for args in cases {
        let block = format!(
            "```console\n$ credit-scorer {}\n{}```",
            args.join(" "),
            help(&args)
        );
        assert!(
            readme.contains(&block),
            "README.md should contain, verbatim:\n{block}"
        );
    }
}
