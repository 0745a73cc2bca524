//! `cargo xtask bench`: credit-scorer against onnxruntime-web, side by side in one run.
//!
//! Builds the release wasm into its own site directory (never touching www/pkg), adds the reference
//! model, onnxruntime-web's plain wasm backend from node_modules and the benchmark page (bench/),
//! runs tract natively on the same inputs (src/bin/bench-native.rs), serves the site with
//! cross-origin isolation and lets bench/run.mjs drive headless Chromium through it. Results:
//! `$CARGO_TARGET_DIR/bench/results.{md,json}`. Then a cold first visit of the app (www/ as built)
//! and of onnxruntime-web doing the same job (bench/first-visit.mjs): bytes (brotli) and time to
//! ready, in `$CARGO_TARGET_DIR/bench/first-visit.{md,json}`. Last, issue 19's tree benchmark
//! (trees.rs, bench/trees.mjs): `$CARGO_TARGET_DIR/bench/results-trees.{md,json}`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

mod cli;
mod trees;

use crate::serve;
use crate::tools::{ensure_chromium, ensure_npm, ensure_wasm_target, wasm_bindgen_bin};
use crate::util::{Result, cargo, root, step, target_dir};
use crate::wasm::{self, CRATE, Sizes, mb, sizes};

const MODEL: &str = "www/models/german-credit-mlp.onnx";
/// The held-out test split: its declined applicants are the recourse figure's.
const TEST_SPLIT: &str = "tests/fixtures/governance/test_split.json";
/// onnxruntime-web's plain wasm backend: the ES module, the Emscripten glue it imports, the wasm.
const ORT_FILES: &[&str] = &[
    "ort.wasm.min.mjs",
    "ort-wasm-simd-threaded.mjs",
    "ort-wasm-simd-threaded.wasm",
];

const USAGE: &str = "cargo xtask bench [--dist] [--no-build] [--reps N]
                  [--only csv|recourse|cli|trees|first-visit|lighthouse] [--against REV]
  --dist      run wasm-opt on the benchmarked module (as `build --dist`)
  --no-build  reuse the module already in the bench site
  --reps N    cold/warm start repetitions per runtime (default 5)
  --only csv  only the 1,000,000-row CSV through the page's BatchJob in Chromium
  --only recourse
              only recourse (what would change the outcome) for the test split's declined
              applicants through the page's engine Worker in Chromium: p50/p95 per applicant
  --only cli  only the command line on the 1,000,000-row CSV
              (these print their figures and leave results.md as it is; csv and recourse build
              only the lite engine and generate the inputs without the opt-level 3 native build)
  --only trees
              only issue 19's tree benchmark: a 500-tree, depth-6 XGBoost on 30 characteristics
              (training/bench_trees.py, made once in training/.venv-bank) in Chromium, the lite
              engine (on the page's thread and through createScorer's Worker) against
              onnxruntime-web, the lite engine's size against an older revision's, and natively
              the lite command line against onnxruntime (Python), one thread each
              (builds only the lite engine and the lite command line, never tract)
  --only first-visit
              only the cold first visit of www/ (as built: run `cargo xtask build` first) and of
              onnxruntime-web: bytes before ready (brotli) and time to ready
  --only lighthouse
              only Lighthouse's four category scores for www/ (as built), as a phone and a desktop
  --against REV
              with --only cli: also build the command line of git revision REV (a worktree under
              the target directory, the same profile) and run both on the same file, alternately,
              --reps times each (default 3 here; which runs first swaps every time): a before /
              after in one run, as the ratio of their median times, the range of the ratios of
              the pairs run back to back, and the ratio of their CPU times; with --no-build, the
              two builds the last --against run left in the target directory, run again;
              with --only trees: the revision whose lite engine the size growth is measured
              against (default 1af72f6, main before the tree evaluator was merged)";

#[derive(Clone, Copy, PartialEq)]
enum Only {
    All,
    Csv,
    Recourse,
    Cli,
    Trees,
    FirstVisit,
    Lighthouse,
}

struct Options {
    dist: bool,
    build: bool,
    reps: u32,
    reps_given: bool,
    only: Only,
    against: Option<String>,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options {
        dist: false,
        build: true,
        reps: 5,
        reps_given: false,
        only: Only::All,
        against: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--dist" => o.dist = true,
            "--no-build" => o.build = false,
            "--reps" => {
                o.reps = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--reps needs a positive number")?;
                o.reps_given = true;
            }
            "--against" => {
                o.against = Some(it.next().ok_or("--against needs a git revision")?.clone());
            }
            "--only" => {
                o.only = match it.next().map(String::as_str) {
                    Some("csv") => Only::Csv,
                    Some("recourse") => Only::Recourse,
                    Some("cli") => Only::Cli,
                    Some("trees") => Only::Trees,
                    Some("first-visit") => Only::FirstVisit,
                    Some("lighthouse") => Only::Lighthouse,
                    _ => {
                        return Err(format!(
                            "--only needs `csv`, `recourse`, `cli`, `trees`, `first-visit` or `lighthouse`\n{USAGE}"
                        )
                        .into());
                    }
                };
            }
            other => return Err(format!("unknown option `{other}`\n{USAGE}").into()),
        }
    }
    if o.against.is_some() && !matches!(o.only, Only::Cli | Only::Trees) {
        return Err(format!("--against goes with --only cli or --only trees\n{USAGE}").into());
    }
    Ok(o)
}

fn tree_options(o: &Options) -> trees::TreeOptions {
    trees::TreeOptions {
        dist: o.dist,
        build: o.build,
        reps: o.reps,
        against: o.against.clone(),
    }
}

pub fn run(args: &[String]) -> Result {
    let options = parse(args)?;
    let start = Instant::now();
    let root = root();
    let site = target_dir().join("bench-site");
    let out = target_dir().join("bench");
    fs::create_dir_all(site.join("ort"))?;
    fs::create_dir_all(&out)?;
    if options.only == Only::Cli {
        // Only the native build and the generated CSV: no wasm, so not the whole site.
        if !site.join("values.json").exists() {
            step("tract natively (bench-native)", || native(&site))?;
        }
        if let Some(rev) = &options.against {
            let reps = if options.reps_given { options.reps } else { 3 };
            return step("command line, this tree against another revision", || {
                cli::against(&site, &out, rev, reps, options.build)
            });
        }
        let cli = step("command line on 1,000,000 rows", || cli::cli(&site, &out))?;
        if let Some(path) = cli {
            println!("{}", fs::read_to_string(path)?);
        }
        return Ok(());
    }
    step("browser toolchain", || {
        ensure_chromium()?;
        ensure_npm()
    })?;
    if options.only == Only::Trees {
        trees::run(&tree_options(&options))?;
        println!(
            "\nbench done in {:.1} min: {}",
            start.elapsed().as_secs_f64() / 60.0,
            out.join("results-trees.md").display()
        );
        return Ok(());
    }
    if options.only == Only::FirstVisit {
        step("first visit, cold (bench/first-visit.mjs)", || {
            first_visit(&root, &out, options.reps.min(5))
        })?;
        return Ok(());
    }
    if options.only == Only::Lighthouse {
        step("Lighthouse (bench/lighthouse.mjs)", || {
            lighthouse(&root, &out)
        })?;
        return Ok(());
    }
    // The browser-only runs need neither the full engine nor the native figures.
    let browser_only = matches!(options.only, Only::Csv | Only::Recourse);
    if options.build || !site.join("pkg").join(format!("{CRATE}_bg.wasm")).exists() {
        build_wasm(&site.join("pkg"), options.dist, browser_only)?;
    }
    step("bench site", || assemble(&root, &site))?;
    let csv_only = options.only == Only::Csv;
    let native = if browser_only {
        if !site.join("values.json").exists() {
            step("inputs (bench-native --inputs-only)", || inputs(&site))?;
        }
        site.join("native.json")
    } else {
        step("tract natively (bench-native)", || native(&site))?
    };
    if csv_only && !site.join("applicants-1m.csv").exists() {
        cli::write_csv(&site, &site.join("applicants-1m.csv"))?;
    }
    let cli = if browser_only {
        None
    } else {
        step("command line on 1,000,000 rows", || cli::cli(&site, &out))?
    };
    let sizes_json = if browser_only {
        "{}".to_string()
    } else {
        step("runtime sizes (raw, gzip, brotli)", || runtime_sizes(&site))?
    };

    step("headless Chromium (bench/run.mjs)", || {
        let server = serve::Server::start(&site, 0)?;
        let mut cmd = Command::new("node");
        cmd.arg("bench/run.mjs")
            .env("BASE_URL", server.url())
            .env("SITE_DIR", &site)
            .env("OUT_DIR", &out)
            .env("SIZES", &sizes_json)
            .env("NATIVE", &native)
            .env("MACHINE", machine())
            .env("REPS", options.reps.to_string());
        match options.only {
            Only::Csv => {
                cmd.env("ONLY", "csv");
            }
            Only::Recourse => {
                cmd.env("ONLY", "recourse");
            }
            _ => {}
        }
        if let Some(cli) = &cli {
            cmd.env("CLI", cli);
        }
        let result = crate::util::run(&mut cmd);
        server.stop();
        result
    })?;
    if options.only == Only::All {
        // Both measure www/ as built (the app's real files, pins and service worker).
        if root
            .join("www/pkg/lite/simd")
            .join(format!("{CRATE}_bg.wasm"))
            .exists()
        {
            step("first visit, cold (bench/first-visit.mjs)", || {
                first_visit(&root, &out, options.reps.min(5))
            })?;
            step("Lighthouse (bench/lighthouse.mjs)", || {
                lighthouse(&root, &out)
            })?;
        } else {
            println!(
                "www/pkg is not built: skipping the first visit and Lighthouse (cargo xtask build)"
            );
        }
        trees::run(&tree_options(&options))?;
    }
    let results = match options.only {
        Only::Csv => "results-csv.md",
        Only::Recourse => "results-recourse.md",
        _ => "results.md",
    };
    println!(
        "\nbench done in {:.1} min: {}",
        start.elapsed().as_secs_f64() / 60.0,
        out.join(results).display()
    );
    Ok(())
}

/// The release wasm the page runs in Chromium for the reference model (the lite engine's SIMD
/// build, built exactly as by `cargo xtask build`) and its bindings, into `pkg`; and, unless
/// `lite_only`, the full engine's SIMD build (tract, for models the lite engine defers) into
/// `pkg/full`, whose size the results report beside it.
fn build_wasm(pkg: &Path, dist: bool, lite_only: bool) -> Result {
    step("wasm toolchain", || {
        ensure_wasm_target()?;
        wasm_bindgen_bin().map(|_| ())
    })?;
    let options = wasm::BuildOptions {
        dist,
        debug_panic: false,
    };
    for (variant, dir) in [
        (wasm::Variant::LiteSimd, pkg.to_path_buf()),
        (wasm::Variant::Simd, pkg.join("full")),
    ] {
        if lite_only && variant != wasm::Variant::LiteSimd {
            continue;
        }
        let built = wasm::build_variant(pkg, variant, &options)?;
        // The bench page imports pkg/credit_scorer.js: move the files up from pkg/lite/simd.
        fs::create_dir_all(&dir)?;
        for name in [format!("{CRATE}.js"), format!("{CRATE}_bg.wasm")] {
            fs::rename(built.with_file_name(&name), dir.join(&name))?;
        }
    }
    Ok(())
}

/// www/ when it holds an engine build (the first-visit and Lighthouse runs measure it as built).
fn built_www(root: &Path) -> Result<PathBuf> {
    let www = root.join("www");
    if !www
        .join("pkg/lite/simd")
        .join(format!("{CRATE}_bg.wasm"))
        .exists()
    {
        return Err("www/pkg has no engine build: run `cargo xtask build` first".into());
    }
    Ok(www)
}

/// A cold first visit of www/ as built and of onnxruntime-web's benchmark page (its own site:
/// the benchmark page, the model and onnxruntime-web's files), each served as `cargo xtask serve`
/// serves www/; figures in `out/first-visit.{md,json}`.
fn first_visit(root: &Path, out: &Path, reps: u32) -> Result {
    let www = built_www(root)?;
    let site = target_dir().join("bench-first-visit");
    fs::create_dir_all(site.join("ort"))?;
    copy(&root.join(MODEL), &site.join("model.onnx"))?;
    copy(&root.join("bench/index.html"), &site.join("index.html"))?;
    copy(&root.join("bench/bench.js"), &site.join("bench.js"))?;
    let dist = root.join("node_modules/onnxruntime-web/dist");
    for f in ORT_FILES {
        copy(&dist.join(f), &site.join("ort").join(f))?;
    }
    let app = serve::Server::start(&www, 0)?;
    let ort = serve::Server::start(&site, 0)?;
    let result = crate::util::run(
        Command::new("node")
            .arg("bench/first-visit.mjs")
            .current_dir(root)
            .env("APP_URL", app.url())
            .env("ORT_URL", ort.url())
            .env("OUT_DIR", out)
            .env("REPS", reps.to_string()),
    );
    app.stop();
    ort.stop();
    result
}

/// Lighthouse on www/ as built, served as `cargo xtask serve` serves it; figures in
/// `out/lighthouse.{md,json}` and its HTML reports beside them.
fn lighthouse(root: &Path, out: &Path) -> Result {
    let www = built_www(root)?;
    let app = serve::Server::start(&www, 0)?;
    let result = crate::util::run(
        Command::new("node")
            .arg("bench/lighthouse.mjs")
            .current_dir(root)
            .env("APP_URL", app.url())
            .env("OUT_DIR", out)
            .env("CHROME_PATH", "/usr/bin/chromium"),
    );
    app.stop();
    result
}

fn copy(from: &Path, to: &Path) -> Result {
    fs::copy(from, to)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let path = entry?.path();
        let Some(name) = path.file_name() else {
            continue;
        };
        if path.is_dir() {
            copy_dir(&path, &to.join(name))?;
        } else {
            copy(&path, &to.join(name))?;
        }
    }
    Ok(())
}

fn assemble(root: &Path, site: &Path) -> Result {
    copy(&root.join(MODEL), &site.join("model.onnx"))?;
    copy(&root.join("bench/index.html"), &site.join("index.html"))?;
    copy(&root.join("bench/bench.js"), &site.join("bench.js"))?;
    copy(&root.join(TEST_SPLIT), &site.join("test_split.json"))?;
    // The app's modules (its engine Worker and what it imports), for the CSV run through the
    // page's own path; the page hands it the lite SIMD engine at pkg/lite/simd/ as in www/.
    copy_dir(&root.join("www/js"), &site.join("js"))?;
    runtimes_for_the_page(root, site)
}

/// What both bench pages share: the lite SIMD engine at `pkg/lite/simd/` as in www/ (the app's
/// engine Worker looks there), onnxruntime-web, and cross-origin isolation.
fn runtimes_for_the_page(root: &Path, site: &Path) -> Result {
    fs::create_dir_all(site.join("pkg/lite/simd"))?;
    for name in [format!("{CRATE}.js"), format!("{CRATE}_bg.wasm")] {
        copy(
            &site.join("pkg").join(&name),
            &site.join("pkg/lite/simd").join(&name),
        )?;
    }
    let dist = root.join("node_modules/onnxruntime-web/dist");
    for f in ORT_FILES {
        copy(&dist.join(f), &site.join("ort").join(f))?;
    }
    // Cross-origin isolation: 5 µs timers instead of 100 µs for both runtimes alike.
    fs::write(
        site.join("_headers"),
        "/*\n  Cross-Origin-Opener-Policy: same-origin\n  Cross-Origin-Embedder-Policy: require-corp\n  Cross-Origin-Resource-Policy: same-origin\n",
    )?;
    Ok(())
}

/// A native build for the figures: opt-level 3 without LTO, in its own profile directory so the
/// shared dev and release artifacts stay as they are. The first run builds tract natively (minutes).
const NATIVE_PROFILE: &[&str] = &[
    "--profile",
    "bench-native",
    "--config",
    "profile.bench-native.inherits=\"release\"",
    "--config",
    "profile.bench-native.opt-level=3",
    "--config",
    "profile.bench-native.lto=false",
    "--config",
    "profile.bench-native.codegen-units=16",
];

fn native_bin(name: &str) -> Result<PathBuf> {
    crate::util::run(cargo().args(["build", "--bin", name]).args(NATIVE_PROFILE))?;
    Ok(target_dir().join("bench-native").join(name))
}

/// Runs src/bin/bench-native.rs: tract natively on the same model and inputs. It also writes the
/// inputs every runtime uses.
fn native(site: &Path) -> Result<PathBuf> {
    let bin = native_bin("bench-native")?;
    crate::util::run(
        Command::new(bin)
            .arg("--model")
            .arg(root().join(MODEL))
            .arg("--out")
            .arg(site),
    )?;
    Ok(site.join("native.json"))
}

/// Only the inputs of [`native`] (`inputs.bin`, `values.json`: the same applicants, from a fixed
/// seed), from the warm `dev` build: the browser-only runs need no opt-level 3 build of tract.
fn inputs(site: &Path) -> Result {
    crate::util::run(cargo().args(["build", "--bin", "bench-native"]))?;
    crate::util::run(
        Command::new(target_dir().join("debug").join("bench-native"))
            .arg("--model")
            .arg(root().join(MODEL))
            .arg("--out")
            .arg(site)
            .arg("--inputs-only"),
    )
}

fn runtime_sizes(site: &Path) -> Result<String> {
    let cs_files = [format!("pkg/{CRATE}.js"), format!("pkg/{CRATE}_bg.wasm")];
    let full_files = [
        format!("pkg/full/{CRATE}.js"),
        format!("pkg/full/{CRATE}_bg.wasm"),
    ];
    let ort_files: Vec<String> = ORT_FILES.iter().map(|f| format!("ort/{f}")).collect();
    let one = |files: &[String]| -> Result<String> {
        let (mut raw, mut gzip, mut brotli) = (0, 0, 0);
        for f in files {
            let s = cached_sizes(&site.join(f))?;
            raw += s.raw;
            gzip += s.gzip;
            brotli += s.brotli;
        }
        println!(
            "{}: {} raw, {} gzip, {} brotli",
            files.join(" + "),
            mb(raw),
            mb(gzip),
            mb(brotli)
        );
        let list: Vec<String> = files.iter().map(|f| format!("\"{f}\"")).collect();
        Ok(format!(
            "{{\"files\":[{}],\"raw\":{raw},\"gzip\":{gzip},\"brotli\":{brotli}}}",
            list.join(",")
        ))
    };
    Ok(format!(
        "{{\"cs\":{},\"csFull\":{},\"ort\":{}}}",
        one(&cs_files)?,
        one(&full_files)?,
        one(&ort_files)?
    ))
}

/// Sizes of a file, remembered next to it by content hash: brotli at quality 11 takes minutes on
/// onnxruntime-web's 14 MB module, which does not change between runs.
fn cached_sizes(file: &Path) -> Result<Sizes> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let bytes = fs::read(file)?;
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    let key = format!("{:016x}", h.finish());
    // `name.sizes` beside `name`: onnxruntime-web's `.mjs` glue and `.wasm` share a stem, and
    // a cache named by stem made each evict the other, recompressing the 14 MB wasm every run.
    let mut cache = file.as_os_str().to_owned();
    cache.push(".sizes");
    let cache = PathBuf::from(cache);
    if let Ok(text) = fs::read_to_string(&cache) {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if let [k, raw, gzip, brotli] = parts.as_slice()
            && *k == key
            && let (Ok(raw), Ok(gzip), Ok(brotli)) = (raw.parse(), gzip.parse(), brotli.parse())
        {
            return Ok(Sizes { raw, gzip, brotli });
        }
    }
    let s = sizes(&bytes)?;
    fs::write(&cache, format!("{key} {} {} {}", s.raw, s.gzip, s.brotli))?;
    Ok(s)
}

/// nproc and the CPU model, for the record.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    format!("{cpus} CPUs ({model}), load average {load} at start")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_trees_with_its_size_baseline() {
        let o = parse(&args(&[
            "--only",
            "trees",
            "--against",
            "main",
            "--reps",
            "2",
        ]))
        .unwrap();
        assert!(o.only == Only::Trees);
        assert_eq!(o.against.as_deref(), Some("main"));
        assert_eq!(o.reps, 2);
        let t = tree_options(&o);
        assert_eq!(
            (t.reps, t.against.as_deref(), t.build),
            (2, Some("main"), true)
        );
        let o = parse(&args(&["--only", "trees", "--no-build"])).unwrap();
        assert!(o.only == Only::Trees && o.against.is_none() && !o.build);
    }

    #[test]
    fn against_goes_only_with_cli_or_trees() {
        assert!(parse(&args(&["--only", "cli", "--against", "HEAD~1"])).is_ok());
        assert!(parse(&args(&["--against", "HEAD~1"])).is_err());
        assert!(parse(&args(&["--only", "csv", "--against", "HEAD~1"])).is_err());
        assert!(parse(&args(&["--only", "tree"])).is_err());
        assert!(parse(&args(&["--only", "trees", "--against"])).is_err());
    }
}
