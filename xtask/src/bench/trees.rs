//! `cargo xtask bench --only trees` (issue 19 item 5): a 500-tree, depth-6 XGBoost on 30
//! characteristics (`training/bench_trees.py`, made once in the bank models' venv) in Chromium,
//! credit-scorer's lite engine against onnxruntime-web in one run (bench/trees.mjs), the lite
//! engine's size against an older revision's, and natively the command line (lite build, one
//! thread) against onnxruntime's Python package on one thread, alternately. Results:
//! `$CARGO_TARGET_DIR/bench/results-trees.{md,json}`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{NATIVE_PROFILE, ORT_FILES, build_wasm, cached_sizes, copy, copy_dir, machine};
use crate::serve;
use crate::util::{Result, cargo, root, step, target_dir};
use crate::wasm::{self, CRATE};

/// The lite engine's size is compared with this revision's by default: main's first parent
/// before the tree evaluator was merged (869be12), so the growth line is what issue 19 added
/// (and what else landed since; `--against REV` picks another).
pub(super) const PRE_TREES: &str = "1af72f6";

/// The files `bench_trees.py make` writes, from these sources: a change to any remakes them.
const DATA_SOURCES: &[&str] = &[
    "training/bench_trees.py",
    "training/bank_models.py",
    "training/requirements-bank.txt",
];

pub(super) struct TreeOptions {
    pub dist: bool,
    pub build: bool,
    pub reps: u32,
    pub against: Option<String>,
}

pub(super) fn run(o: &TreeOptions) -> Result {
    let site = target_dir().join("bench-trees");
    let out = target_dir().join("bench");
    fs::create_dir_all(site.join("ort"))?;
    fs::create_dir_all(&out)?;
    step(
        "the 30-characteristic tree model and its applicants",
        || model(&site),
    )?;
    if o.build || !site.join("pkg").join(format!("{CRATE}_bg.wasm")).exists() {
        build_wasm(&site.join("pkg"), o.dist, true)?;
    }
    step("tree bench site", || assemble(&site))?;
    let base_rev = o.against.as_deref().unwrap_or(PRE_TREES);
    let base = step(&format!("the lite engine at {base_rev}"), || {
        base_size(base_rev, &out)
    })?;
    let sizes = step("runtime sizes (brotli)", || sizes(&site, base))?;
    let native = step(
        "natively: command line against onnxruntime (Python), one thread",
        || native(&site, &out, o.reps.min(3)),
    )?;
    step("headless Chromium (bench/trees.mjs)", || {
        let server = serve::Server::start(&site, 0)?;
        let result = crate::util::run(
            Command::new("node")
                .arg("bench/trees.mjs")
                .env("BASE_URL", server.url())
                .env("SITE_DIR", &site)
                .env("OUT_DIR", &out)
                .env("SIZES", sizes.to_string())
                .env("NATIVE", &native)
                .env("MACHINE", machine())
                .env("REPS", o.reps.to_string()),
        );
        server.stop();
        result
    })
}

/// Runs `bench_trees.py make` into the site unless its outputs are there from the same sources.
fn model(site: &Path) -> Result {
    let mut h = Sha256::new();
    for f in DATA_SOURCES {
        h.update(fs::read(root().join(f))?);
    }
    let want: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let stamp = site.join("data.sha256");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str())
        && site.join("meta.json").exists()
    {
        return Ok(());
    }
    let python = crate::bank_models::venv_python()?;
    crate::util::run(
        Command::new(python)
            .arg("training/bench_trees.py")
            .arg("make")
            .arg(site),
    )?;
    fs::write(stamp, want)?;
    Ok(())
}

/// The page, the app's modules and library (the engine Worker and `createScorer`), the lite
/// engine at `pkg/lite/simd/` as in www/, onnxruntime-web, cross-origin isolation.
fn assemble(site: &Path) -> Result {
    let root = root();
    copy(&root.join("bench/trees.html"), &site.join("trees.html"))?;
    copy(&root.join("bench/trees.js"), &site.join("trees.js"))?;
    copy_dir(&root.join("www/js"), &site.join("js"))?;
    copy_dir(&root.join("www/lib"), &site.join("lib"))?;
    super::runtimes_for_the_page(&root, site)
}

/// Brotli size (glue + wasm) of the lite SIMD engine built from revision `rev`, remembered in
/// `out` by commit: (short commit, bytes).
fn base_size(rev: &str, out: &Path) -> Result<(String, usize)> {
    let sha = git(&["rev-parse", "--short=7", &format!("{rev}^{{commit}}")])?;
    let cache = out.join(format!("lite-simd-brotli-{sha}.txt"));
    if let Some(n) = fs::read_to_string(&cache)
        .ok()
        .and_then(|t| t.trim().parse().ok())
    {
        return Ok((sha, n));
    }
    let tree = target_dir().join("bench-trees-base");
    let remove = || {
        // Nothing to remove the first time.
        let _ = Command::new("git")
            .current_dir(root())
            .args(["worktree", "remove", "--force"])
            .arg(&tree)
            .output();
    };
    remove();
    crate::util::run(
        Command::new("git")
            .current_dir(root())
            .args(["worktree", "add", "--detach", "--force"])
            .arg(&tree)
            .arg(&sha),
    )?;
    let pkg = target_dir().join("bench-trees-base-pkg");
    let built = wasm::build_variant_from(
        &tree,
        &pkg,
        wasm::Variant::LiteSimd,
        &wasm::BuildOptions {
            dist: false,
            debug_panic: false,
        },
    );
    remove();
    let wasm_file = built?;
    let glue = wasm_file.with_file_name(format!("{CRATE}.js"));
    let n = cached_sizes(&wasm_file)?.brotli + cached_sizes(&glue)?.brotli;
    fs::write(&cache, n.to_string())?;
    Ok((sha, n))
}

fn git(args: &[&str]) -> Result<String> {
    let o = Command::new("git")
        .current_dir(root())
        .args(args)
        .output()?;
    if !o.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn sizes(site: &Path, (rev, base): (String, usize)) -> Result<Value> {
    let one = |files: Vec<String>| -> Result<Value> {
        let (mut raw, mut brotli) = (0, 0);
        for f in &files {
            let s = cached_sizes(&site.join(f))?;
            raw += s.raw;
            brotli += s.brotli;
        }
        Ok(json!({ "files": files, "raw": raw, "brotli": brotli }))
    };
    Ok(json!({
        "cs": one(vec![format!("pkg/{CRATE}.js"), format!("pkg/{CRATE}_bg.wasm")])?,
        "ort": one(ORT_FILES.iter().map(|f| format!("ort/{f}")).collect())?,
        "model": one(vec!["model.onnx".into()])?,
        "base": { "rev": rev, "brotli": base },
    }))
}

/// The lite command line (`--no-default-features`: tree models run on the lite evaluator in
/// either build, and the bench never builds tract for it) at opt-level 3, copied out of the
/// shared profile directory, where the `cli` part's tract build has the same name.
fn lite_cli(out: &Path) -> Result<PathBuf> {
    crate::util::run(
        cargo()
            .args(["build", "--bin", "credit-scorer", "--no-default-features"])
            .args(NATIVE_PROFILE),
    )?;
    let bin = out.join("credit-scorer-lite");
    fs::copy(
        target_dir().join("bench-native").join("credit-scorer"),
        &bin,
    )?;
    Ok(bin)
}

/// `credit-scorer score --threads 1` on applicants.csv without and with reasons, and
/// `bench_trees.py time` (onnxruntime, one thread), alternately, `reps` times each; the CLI's PDs
/// checked against onnxruntime's. Returns the path of the figures' JSON.
fn native(site: &Path, out: &Path, reps: u32) -> Result<PathBuf> {
    let cli = lite_cli(out)?;
    let python = crate::bank_models::venv_python()?;
    let want: Vec<f64> = fs::read(site.join("ort_pd.f64"))?
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .collect();
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let (mut no_reasons, mut reasons, mut ort) = (Vec::new(), Vec::new(), Vec::new());
    let (mut no_reasons_cpu, mut reasons_cpu) = (Vec::new(), Vec::new());
    let mut worst = 0f64;
    for _ in 0..reps {
        for with_reasons in [false, true] {
            let scored = out.join("trees-scored.csv");
            let mut cmd = Command::new(&cli);
            cmd.args(["score", "--threads", "1", "--model"])
                .arg(site.join("model.onnx"))
                .arg(site.join("applicants.csv"))
                .arg("-o")
                .arg(&scored)
                .args(["--force", "-q"]);
            if !with_reasons {
                cmd.arg("--no-reasons");
            }
            let cpu = children_cpu_seconds()?;
            let t = Instant::now();
            crate::util::run(&mut cmd)?;
            let secs = t.elapsed().as_secs_f64();
            let cpu = children_cpu_seconds()? - cpu;
            let got = pd_column(&fs::read_to_string(&scored)?)?;
            worst = worst.max(max_diff(&got, &want)?);
            if with_reasons {
                reasons.push(secs);
                reasons_cpu.push(cpu);
            } else {
                no_reasons.push(secs);
                no_reasons_cpu.push(cpu);
                let o = Command::new(&python)
                    .arg("training/bench_trees.py")
                    .arg("time")
                    .arg(site)
                    .current_dir(root())
                    .output()?;
                if !o.status.success() {
                    return Err(format!(
                        "bench_trees.py time failed: {}",
                        String::from_utf8_lossy(&o.stderr)
                    )
                    .into());
                }
                ort.push(last_json_line(&String::from_utf8_lossy(&o.stdout))?);
            }
        }
    }
    let path = out.join("trees-native.json");
    fs::write(
        &path,
        json!({
            "cli_build": "lite (--no-default-features), opt-level 3, --threads 1",
            "reps": reps,
            "cli_no_reasons_s": no_reasons,
            "cli_reasons_s": reasons,
            "cli_no_reasons_cpu_s": no_reasons_cpu,
            "cli_reasons_cpu_s": reasons_cpu,
            "ort": ort,
            "cli_vs_onnxruntime": worst,
            "load": load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        })
        .to_string(),
    )?;
    Ok(path)
}

/// User + system CPU seconds of this process's waited-for children (`/proc/self/stat`, fields 16
/// and 17, in clock ticks of 1/100 s on Linux): on a shared machine the command line's CPU time
/// is steadier than its wall-clock time.
fn children_cpu_seconds() -> Result<f64> {
    children_cpu_from_stat(&fs::read_to_string("/proc/self/stat")?)
}

fn children_cpu_from_stat(stat: &str) -> Result<f64> {
    // The command name (field 2) is in parentheses and may hold spaces: count after the last `)`.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or("/proc/self/stat has no `)`")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): field n is fields[n - 3].
    let tick = |n: usize| -> Result<f64> {
        let v = fields
            .get(n - 3)
            .ok_or_else(|| format!("/proc/self/stat has no field {n}"))?;
        Ok(v.parse::<u64>()
            .map_err(|e| format!("/proc/self/stat field {n} `{v}`: {e}"))? as f64
            / 100.0)
    };
    Ok(tick(16)? + tick(17)?)
}

/// The `pd` column of the command line's output: the input columns (numbers here), then `pd`.
fn pd_column(text: &str) -> Result<Vec<f64>> {
    let mut lines = text.lines();
    let header = lines.next().ok_or("the scored file is empty")?;
    let at = header
        .split(',')
        .position(|h| h == "pd")
        .ok_or("the scored file has no `pd` column")?;
    lines
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| {
            let cell = l
                .split(',')
                .nth(at)
                .ok_or_else(|| format!("row {} of the scored file has no pd", i + 1))?;
            cell.parse::<f64>()
                .map_err(|e| format!("row {}: pd `{cell}`: {e}", i + 1).into())
        })
        .collect()
}

fn max_diff(got: &[f64], want: &[f64]) -> Result<f64> {
    if got.len() != want.len() {
        return Err(format!(
            "the command line scored {} rows, onnxruntime {}",
            got.len(),
            want.len()
        )
        .into());
    }
    Ok(got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max))
}

/// The JSON object on the last non-empty line of a script's output.
fn last_json_line(text: &str) -> Result<Value> {
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or("bench_trees.py time printed nothing")?;
    let v: Value = serde_json::from_str(line)
        .map_err(|e| format!("bench_trees.py time printed `{line}`: {e}"))?;
    if !v.is_object() {
        return Err(format!("bench_trees.py time printed `{line}`, not an object").into());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pd_column_reads_the_pd_after_the_inputs() {
        let text = "a,b,pd,points,band,reason_1\n1,2,0.25,600,B,\"x, y\"\n3,4,1e-3,700,A,\n\n";
        assert_eq!(pd_column(text).unwrap(), vec![0.25, 0.001]);
    }

    #[test]
    fn pd_column_refuses_a_file_without_pd_or_with_a_bad_cell() {
        assert!(pd_column("").is_err());
        assert!(pd_column("a,b\n1,2\n").is_err());
        assert!(pd_column("a,pd\n1,\n").is_err());
        assert!(pd_column("a,pd\n1\n").is_err());
    }

    #[test]
    fn children_cpu_adds_cutime_and_cstime() {
        // Fields 1-17 of a real /proc/self/stat, with a command name holding `) (`.
        let stat = "4242 (x) (y) S 1 4242 4242 0 -1 4194304 100 0 0 0 7 3 250 130 20 0 1 0";
        assert_eq!(children_cpu_from_stat(stat).unwrap(), 3.8);
        assert!(children_cpu_from_stat("4242 (x) S 1 2").is_err());
        assert!(children_cpu_from_stat("no parenthesis").is_err());
    }

    #[test]
    fn max_diff_needs_equal_lengths() {
        assert_eq!(max_diff(&[0.5, 0.25], &[0.5, 0.5]).unwrap(), 0.25);
        assert!(max_diff(&[0.5], &[0.5, 0.5]).is_err());
    }

    #[test]
    fn last_json_line_takes_the_object_on_the_last_line() {
        let v = last_json_line("warming up\n{\"run_s\": 0.5}\n\n").unwrap();
        assert_eq!(v["run_s"], 0.5);
        assert!(last_json_line("").is_err());
        assert!(last_json_line("[1]").is_err());
        assert!(last_json_line("not json").is_err());
    }
}
