//! The command line's figures: `credit-scorer score` on a generated 1,000,000-row CSV, alone or
//! against another revision's build (`--only cli [--against REV]`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use super::{MODEL, NATIVE_PROFILE, native_bin};
use crate::util::{Result, cargo, root, target_dir};

/// Rows in the generated CSV for the command-line figure.
const CLI_ROWS: usize = 1_000_000;

/// `credit-scorer score` on a generated 1,000,000-row CSV, when the command exists.
pub(super) fn cli(site: &Path, out: &Path) -> Result<Option<PathBuf>> {
    let bin = native_bin("credit-scorer")?;
    let usage = Command::new(&bin).args(["score", "--help"]).output()?;
    let text = String::from_utf8_lossy(&usage.stderr).to_string()
        + &String::from_utf8_lossy(&usage.stdout);
    if !text.contains("credit-scorer score") {
        println!("`credit-scorer score` does not exist yet: skipping the command-line figure");
        return Ok(None);
    }
    let csv = site.join("applicants-1m.csv");
    if !csv.exists() {
        write_csv(site, &csv)?;
    }
    let model = root().join(MODEL);
    let scored = out.join("scored-1m.csv");
    let threads_flag = text.contains("--threads");
    let no_reasons_flag = text.contains("--no-reasons");
    // Each run replaces the last one's output.
    let force_flag = text.contains("--force");
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut runs = Vec::new();
    for reasons in [true, false] {
        if !reasons && !no_reasons_flag {
            continue;
        }
        for threads in [1, all] {
            let mut cmd = if threads_flag {
                let mut c = Command::new(&bin);
                c.arg("score").args(["--threads", &threads.to_string()]);
                c
            } else if threads == 1 {
                let mut c = Command::new("taskset");
                c.args(["-c", "0"]).arg(&bin).arg("score");
                c
            } else {
                let mut c = Command::new(&bin);
                c.arg("score");
                c
            };
            cmd.arg("--model")
                .arg(&model)
                .arg(&csv)
                .arg("-o")
                .arg(&scored);
            if !reasons {
                cmd.arg("--no-reasons");
            }
            if force_flag {
                cmd.arg("--force");
            }
            let t = Instant::now();
            let result = crate::util::run(&mut cmd);
            let secs = t.elapsed().as_secs_f64();
            if let Err(e) = result {
                println!("command line failed ({e}); leaving it out of the table");
                return Ok(None);
            }
            let label = format!(
                "{threads} thread{}, {}",
                if threads == 1 { "" } else { "s" },
                if reasons {
                    "with reason codes"
                } else {
                    "--no-reasons"
                }
            );
            runs.push(format!(
                "{{\"label\":\"{label}\",\"seconds\":{secs:.3},\"rows_per_s\":{:.0}}}",
                CLI_ROWS as f64 / secs
            ));
        }
    }
    let path = site.join("cli.json");
    fs::write(
        &path,
        format!("{{\"rows\":{CLI_ROWS},\"runs\":[{}]}}", runs.join(",")),
    )?;
    Ok(Some(path))
}

/// `--only cli --against REV`: this tree's `credit-scorer score` and REV's, built in the same
/// profile, on the same 1,000,000-row file, alternately (one untimed warm-up each; which one
/// goes first swaps every repetition, so neither always runs after the other's output was
/// written), so that the ratio of their medians compares them under the same load. Beside it:
/// the range of the ratios of the pairs run back to back (the spread the load leaves), and the
/// ratio of their CPU times (user + system), which other processes on the machine hardly
/// move. REV needs `score --threads`, `--force` and `-q`.
pub(super) fn against(site: &Path, out: &Path, rev: &str, reps: u32, build: bool) -> Result {
    let csv = site.join("applicants-1m.csv");
    if !csv.exists() {
        write_csv(site, &csv)?;
    }
    let now = out.join("credit-scorer-now");
    let before = out.join("credit-scorer-against");
    if build {
        build_both(rev, &now, &before)?;
    } else if now.exists() && before.exists() {
        // More runs of the same two builds, e.g. while another build holds the target directory.
        println!(
            "--no-build: reusing {} and {} as the last --against run built them",
            now.display(),
            before.display()
        );
    } else {
        return Err("--no-build: no builds of an earlier --against run to reuse".into());
    }
    let model = root().join(MODEL);
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    println!(
        "`score` on {CLI_ROWS} rows: {rev} against this tree, median of {reps} alternate runs"
    );
    // With reasons first: the last outputs compared are the `--no-reasons` ones.
    for reasons in [true, false] {
        for threads in [1, all] {
            let mut seconds = [Vec::new(), Vec::new()];
            let mut cpu = [Vec::new(), Vec::new()];
            for run in 0..=reps {
                let order = if run % 2 == 0 { [0, 1] } else { [1, 0] };
                for k in order {
                    let bin = if k == 0 { &before } else { &now };
                    let mut cmd = Command::new(bin);
                    cmd.arg("score")
                        .args(["--threads", &threads.to_string(), "--model"])
                        .arg(&model)
                        .arg(&csv)
                        .arg("-o")
                        .arg(out.join(format!("scored-against-{k}.csv")))
                        .args(["--force", "-q"]);
                    if !reasons {
                        cmd.arg("--no-reasons");
                    }
                    let cpu_before = children_cpu_seconds()?;
                    let t = Instant::now();
                    crate::util::run(&mut cmd)?;
                    if run > 0 {
                        seconds[k].push(t.elapsed().as_secs_f64());
                        cpu[k].push(children_cpu_seconds()? - cpu_before);
                    }
                }
            }
            let mut pairs: Vec<f64> = seconds[0]
                .iter()
                .zip(&seconds[1])
                .map(|(was, is)| was / is)
                .collect();
            pairs.sort_by(f64::total_cmp);
            let [was, is] = seconds.map(median);
            let [cpu_was, cpu_is] = cpu.map(median);
            println!(
                "  {threads} thread{}, {}: {rev} {:.0} rows/s, this tree {:.0} rows/s (this tree at {:.3} × its speed; pairs {:.3}–{:.3} ×; CPU time {:.3} ×)",
                if threads == 1 { "" } else { "s" },
                if reasons {
                    "with reason codes"
                } else {
                    "--no-reasons"
                },
                CLI_ROWS as f64 / was,
                CLI_ROWS as f64 / is,
                was / is,
                pairs.first().copied().unwrap_or(f64::NAN),
                pairs.last().copied().unwrap_or(f64::NAN),
                cpu_was / cpu_is
            );
        }
    }
    let same =
        fs::read(out.join("scored-against-0.csv"))? == fs::read(out.join("scored-against-1.csv"))?;
    println!(
        "  `--no-reasons` outputs: {}",
        if same { "byte-identical" } else { "DIFFERENT" }
    );
    Ok(())
}

/// Builds this tree's command line into `now` and REV's (in a worktree under the target
/// directory, the same profile) into `before`.
fn build_both(rev: &str, now: &Path, before: &Path) -> Result {
    fs::copy(native_bin("credit-scorer")?, now)?;
    let tree = target_dir().join("bench-against");
    let remove_tree = || {
        // Nothing to remove the first time.
        let _ = Command::new("git")
            .current_dir(root())
            .args(["worktree", "remove", "--force"])
            .arg(&tree)
            .output();
    };
    remove_tree();
    crate::util::run(
        Command::new("git")
            .current_dir(root())
            .args(["worktree", "add", "--detach", "--force"])
            .arg(&tree)
            .arg(rev),
    )?;
    // The shared target directory: REV reuses the tract built for this tree's figures.
    let built = crate::util::run(
        cargo()
            .current_dir(&tree)
            .args(["build", "--bin", "credit-scorer", "--target-dir"])
            .arg(target_dir())
            .args(NATIVE_PROFILE),
    );
    let copied = built.and_then(|()| {
        fs::copy(
            target_dir().join("bench-native").join("credit-scorer"),
            before,
        )?;
        Ok(())
    });
    remove_tree();
    copied?;
    Ok(())
}

/// The CPU time (user + system) of this process's finished and waited-for children so far:
/// `cutime` and `cstime` of /proc/self/stat, in the kernel's fixed USER_HZ of 100 ticks a second.
fn children_cpu_seconds() -> Result<f64> {
    let stat = fs::read_to_string("/proc/self/stat")?;
    // The fields after the command name, which is in parentheses and may hold spaces:
    // `state` is field 3, `cutime` and `cstime` fields 16 and 17.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or("/proc/self/stat has no command name")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> Result<f64> {
        Ok(fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .ok_or("/proc/self/stat has no cutime and cstime")? as f64)
    };
    Ok((ticks(13)? + ticks(14)?) / 100.0)
}

/// A CSV of the benchmark's applicants (repeated up to a million rows) with the schema's names.
pub(super) fn write_csv(site: &Path, csv: &Path) -> Result {
    let values = fs::read_to_string(site.join("values.json"))?;
    // values.json is `[{"a":1,"b":2},…]` written by bench-native: flat, no nesting, no strings.
    let objects: Vec<&str> = values
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split("},{")
        .map(|o| o.trim_matches(['{', '}']))
        .collect();
    let first = objects.first().ok_or("values.json is empty")?;
    let header: Vec<&str> = first
        .split(',')
        .filter_map(|kv| kv.split_once(':').map(|(k, _)| k.trim_matches('"')))
        .collect();
    let lines: Vec<String> = objects
        .iter()
        .map(|o| {
            o.split(',')
                .filter_map(|kv| kv.split_once(':').map(|(_, v)| v))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let mut text = String::with_capacity(CLI_ROWS * 40);
    text.push_str(&header.join(","));
    text.push('\n');
    for i in 0..CLI_ROWS {
        text.push_str(&lines[i % lines.len()]);
        text.push('\n');
    }
    fs::write(csv, text)?;
    Ok(())
}
