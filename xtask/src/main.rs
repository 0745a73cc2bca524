//! `cargo xtask …`: every build, serve, test, train and bench step of credit-scorer.
//! It installs what it needs on a fresh Debian machine (wasm target, wasm-bindgen-cli at the
//! lockfile's version, Chromium and ChromeDriver, npm packages) and caches tools between runs.

mod bench;
mod fuzz;
mod integrity;
mod serve;

use std::env;
use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const CRATE: &str = "credit_scorer";

const HELP: &str = "cargo xtask <command>

  serve [--port 8080] [--dist]   build the wasm (release) and serve www/ on 127.0.0.1
  build [--dist]                 build the wasm into www/pkg/ and print its size
                                 (--dist adds wasm-opt and keeps it only if it is smaller compressed)
  test [--fuzz]                  fmt, clippy, native tests, in-browser wasm tests, end-to-end tests
  train                          rebuild the reference model in training/.venv and check it is byte-identical
  bench [--dist] [--no-build]    credit-scorer vs onnxruntime-web in headless Chromium, and tract
                                 natively; table and JSON in $CARGO_TARGET_DIR/bench/
  help                           this text

Environment: CARGO_TARGET_DIR (shared build cache), CREDIT_SCORER_TOOLS (tool cache,
default ~/.cache/credit-scorer/tools).";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let (cmd, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(c, r)| (c.as_str(), r));
    let result = match cmd {
        "serve" => serve_command(rest),
        "build" => build(&BuildOptions {
            dist: rest.iter().any(|a| a == "--dist"),
            debug_panic: false,
        })
        .map(|_| ()),
        "test" => test(rest),
        "train" => train(),
        "bench" => bench::run(rest),
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

/// The repository root: from the `CARGO_MANIFEST_DIR` that `cargo run` sets, so that a binary
/// reused from a shared target directory (built in another clone) still works on this clone.
fn root() -> PathBuf {
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

fn tools_dir() -> PathBuf {
    if let Some(dir) = env::var_os("CREDIT_SCORER_TOOLS") {
        return PathBuf::from(dir);
    }
    let home = env::var_os("HOME").map_or_else(|| root().join("target"), PathBuf::from);
    home.join(".cache/credit-scorer/tools")
}

/// Runs a command in the repository root, failing with its name if it fails.
fn run(cmd: &mut Command) -> Result {
    let shown = format!("{cmd:?}").replace('"', "");
    println!("$ {shown}");
    let status = cmd
        .current_dir_if_unset()
        .status()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    if !status.success() {
        return Err(format!("`{shown}` failed ({status})").into());
    }
    Ok(())
}

trait CurrentDir {
    fn current_dir_if_unset(&mut self) -> &mut Self;
}

impl CurrentDir for Command {
    fn current_dir_if_unset(&mut self) -> &mut Self {
        if self.get_current_dir().is_none() {
            self.current_dir(root());
        }
        self
    }
}

fn cargo() -> Command {
    Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn step<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    println!("\n==> {name}");
    let start = Instant::now();
    let out = f().map_err(|e| format!("{name}: {e}"))?;
    println!("<== {name}: {:.1} s", start.elapsed().as_secs_f64());
    Ok(out)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The version of `name` in Cargo.lock.
fn locked_version(name: &str) -> Result<String> {
    let lock = fs::read_to_string(root().join("Cargo.lock"))?;
    let needle = format!("name = \"{name}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .ok_or_else(|| format!("{name} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..].find('"').ok_or("Cargo.lock is malformed")?;
    Ok(lock[start..start + end].to_string())
}

fn ensure_wasm_target() -> Result {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()?;
    if !String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == WASM_TARGET)
    {
        run(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    Ok(())
}

/// wasm-bindgen-cli at exactly the lockfile's wasm-bindgen version, installed once into the
/// tool cache. Its default TLS features only serve downloads this project never makes.
fn wasm_bindgen_bin() -> Result<PathBuf> {
    let version = locked_version("wasm-bindgen")?;
    let dir = tools_dir().join(format!("wasm-bindgen-{version}"));
    let bin = dir.join("bin");
    if !bin.join("wasm-bindgen").exists() || !bin.join("wasm-bindgen-test-runner").exists() {
        run(cargo()
            .args([
                "install",
                "wasm-bindgen-cli",
                "--version",
                &format!("={version}"),
            ])
            .args(["--no-default-features", "--root", &dir.to_string_lossy()]))?;
    }
    Ok(bin)
}

/// Debian's Chromium, ChromeDriver and CJK fonts (for the Chinese UI), installed with apt when missing and running as root.
fn ensure_chromium() -> Result {
    let cjk_fonts = Path::new("/usr/share/fonts/opentype/noto").exists();
    if Path::new("/usr/bin/chromium").exists() && have("chromedriver") && cjk_fonts {
        return Ok(());
    }
    if !is_root() {
        return Err("Chromium and ChromeDriver are missing: install Debian's `chromium` and `chromium-driver` packages (sudo apt-get install chromium chromium-driver)".into());
    }
    run(Command::new("apt-get").arg("update").arg("-qq"))?;
    run(Command::new("apt-get")
        .args([
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "chromium",
            "chromium-driver",
            "fonts-noto-cjk",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// npm packages from the committed lockfile, installed when node_modules is missing or stale.
fn ensure_npm() -> Result {
    let root = root();
    let lock = root.join("package-lock.json");
    let stamp = root.join("node_modules/.package-lock.json");
    let fresh = match (
        fs::metadata(&lock).and_then(|m| m.modified()),
        fs::metadata(&stamp).and_then(|m| m.modified()),
    ) {
        (Ok(l), Ok(s)) => s >= l,
        _ => false,
    };
    if !fresh {
        // --ignore-scripts: no package may download anything at install time.
        run(Command::new("npm").args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"]))?;
    }
    Ok(())
}

/// Sizes of a file as a browser downloads it.
struct Sizes {
    raw: usize,
    gzip: usize,
    brotli: usize,
}

fn sizes(bytes: &[u8]) -> Result<Sizes> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    let gzip = gz.finish()?.len();
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 1 << 16, 11, 22);
        w.write_all(bytes)?;
    }
    Ok(Sizes {
        raw: bytes.len(),
        gzip,
        brotli: br.len(),
    })
}

fn mb(n: usize) -> String {
    format!("{:.2} MB", n as f64 / 1e6)
}

/// What kind of wasm build to make.
pub struct BuildOptions {
    /// Also run wasm-opt (kept only if it shrinks the brotli size).
    pub dist: bool,
    /// Export the deliberate-crash hook for the crash-recovery test.
    pub debug_panic: bool,
}

/// The two builds the page chooses from: WebAssembly SIMD (about twice the batch throughput,
/// measured by `cargo xtask bench`) and a scalar fallback for engines without it.
#[derive(Clone, Copy)]
pub enum Variant {
    Scalar,
    Simd,
}

impl Variant {
    /// Where its bindings go, under a `pkg` directory.
    pub fn subdir(self) -> &'static str {
        match self {
            Variant::Scalar => "",
            Variant::Simd => "simd",
        }
    }
}

/// Builds one wasm variant (release profile, LTO) and its bindings into `pkg/<subdir>`; returns
/// the `_bg.wasm` path.
pub fn build_variant(pkg: &Path, variant: Variant, options: &BuildOptions) -> Result<PathBuf> {
    let label = match variant {
        Variant::Scalar => "scalar",
        Variant::Simd => "simd128",
    };
    // RUSTFLAGS differ between the variants, so each keeps its own target directory: sharing one
    // would rebuild tract on every switch.
    let target = match variant {
        Variant::Scalar => target_dir(),
        Variant::Simd => target_dir().join("simd"),
    };
    // `cargo rustc --crate-type cdylib`: with the manifest's ["cdylib", "rlib"] cargo drops LTO.
    step(&format!("cargo build (wasm, release, {label})"), || {
        let mut cmd = cargo();
        cmd.args([
            "rustc",
            "--lib",
            "--release",
            "--target",
            WASM_TARGET,
            "--crate-type",
            "cdylib",
        ])
        .env("CARGO_TARGET_DIR", &target);
        match variant {
            Variant::Simd => cmd.env("RUSTFLAGS", "-C target-feature=+simd128"),
            Variant::Scalar => cmd.env_remove("RUSTFLAGS"),
        };
        if options.debug_panic {
            cmd.args(["--features", "debug-panic"]);
        }
        run(&mut cmd)
    })?;
    let wasm = target
        .join(WASM_TARGET)
        .join("release")
        .join(format!("{CRATE}.wasm"));
    let out_dir = pkg.join(variant.subdir());
    let bindgen = wasm_bindgen_bin()?.join("wasm-bindgen");
    step(&format!("wasm-bindgen ({label})"), || {
        run(Command::new(&bindgen)
            .args(["--target", "web", "--out-dir"])
            .arg(&out_dir)
            .args(["--remove-name-section", "--remove-producers-section"])
            .arg(&wasm))
    })?;
    let out = out_dir.join(format!("{CRATE}_bg.wasm"));
    if options.dist {
        step(&format!("wasm-opt (npm binaryen, {label})"), || {
            wasm_opt(&out)
        })?;
    }
    let s = sizes(&fs::read(&out)?)?;
    println!(
        "wasm size ({label}): {} raw, {} gzip, {} brotli ({})",
        mb(s.raw),
        mb(s.gzip),
        mb(s.brotli),
        out.strip_prefix(root()).unwrap_or(&out).display()
    );
    Ok(out)
}

/// Builds both wasm variants and their bindings into www/pkg/, then the integrity pins.
fn build(options: &BuildOptions) -> Result {
    step("wasm toolchain", || {
        ensure_wasm_target()?;
        wasm_bindgen_bin().map(|_| ())
    })?;
    let pkg = root().join("www/pkg");
    build_variant(&pkg, Variant::Simd, options)?;
    build_variant(&pkg, Variant::Scalar, options)?;
    step("integrity pins and offline manifest", || {
        integrity::update(&root().join("www"))
    })
}

/// Runs npm binaryen's wasm-opt (Debian's binaryen 108 breaks wasm-bindgen's externref table)
/// and keeps the result only if it is smaller after brotli, which is what browsers download.
fn wasm_opt(wasm: &Path) -> Result {
    ensure_npm()?;
    let optimized = wasm.with_extension("opt.wasm");
    run(Command::new("node")
        .arg("node_modules/binaryen/bin/wasm-opt")
        .arg(wasm)
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-reference-types",
            "--enable-sign-ext",
            "--enable-multivalue",
            "-o",
        ])
        .arg(&optimized))?;
    let before = sizes(&fs::read(wasm)?)?;
    let after = sizes(&fs::read(&optimized)?)?;
    println!(
        "wasm-opt: brotli {} -> {}",
        mb(before.brotli),
        mb(after.brotli)
    );
    if after.brotli < before.brotli {
        fs::rename(&optimized, wasm)?;
    } else {
        println!("wasm-opt output is larger after brotli; keeping the unoptimized module");
        fs::remove_file(&optimized)?;
    }
    Ok(())
}

fn serve_command(args: &[String]) -> Result {
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
    build(&BuildOptions {
        dist: args.iter().any(|a| a == "--dist"),
        debug_panic: false,
    })?;
    let server = serve::Server::start(&root().join("www"), port)?;
    println!("\nServing www/ at {}  (Ctrl-C to stop)", server.url());
    server.join();
    Ok(())
}

fn test(args: &[String]) -> Result {
    let start = Instant::now();
    step("cargo fmt --check", || {
        run(cargo().args(["fmt", "--all", "--check"]))
    })?;
    step("cargo clippy", || {
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step(
        "native tests",
        || run(cargo().args(["test", "--workspace"])),
    )?;
    step("browser toolchain", || {
        ensure_chromium()?;
        ensure_npm()
    })?;
    build(&BuildOptions {
        dist: false,
        debug_panic: true,
    })?;
    let runner = wasm_bindgen_bin()?.join("wasm-bindgen-test-runner");
    step("wasm-bindgen tests in headless Chromium", || {
        run(cargo()
            .args([
                "test",
                "--release",
                "--target",
                WASM_TARGET,
                "--test",
                "web",
            ])
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"))
    })?;
    step("end-to-end tests (playwright-core + Chromium)", || {
        let server = serve::Server::start(&root().join("www"), 0)?;
        let screenshots = target_dir().join("screenshots");
        fs::create_dir_all(&screenshots)?;
        let result = run(Command::new("node")
            .args(["--test", "--test-concurrency=1", "tests/e2e/"])
            .env("BASE_URL", server.url())
            .env("SCREENSHOT_DIR", &screenshots)
            // The batch test compares the page's output with the CLI's (built by the native tests).
            .env(
                "CREDIT_SCORER_CLI",
                target_dir().join("debug/credit-scorer"),
            ));
        server.stop();
        result
    })?;
    if args.iter().any(|a| a == "--fuzz") {
        fuzz::run_all()?;
    }
    println!(
        "\nall tests passed in {:.1} min",
        start.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}

fn train() -> Result {
    let root = root();
    let venv = root.join("training/.venv");
    let python = venv.join("bin/python");
    step("python venv", || {
        if !python.exists() {
            run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        }
        run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "-r",
            "training/requirements.txt",
        ]))
    })?;
    step("train and export", || {
        run(Command::new(&python).arg("training/train.py"))
    })?;
    // Every output is committed: a rerun must leave the work tree as it was.
    let changed = Command::new("git")
        .args([
            "status",
            "--porcelain",
            "--",
            "www/models",
            "tests/fixtures",
            "training",
        ])
        .current_dir(&root)
        .output()?;
    let changed = String::from_utf8_lossy(&changed.stdout);
    if !changed.trim().is_empty() {
        return Err(
            format!("the rebuilt outputs differ from the committed ones:\n{changed}").into(),
        );
    }
    println!("the rebuilt model and fixtures are byte-identical to the committed ones");
    Ok(())
}
