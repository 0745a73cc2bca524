//! `cargo xtask …`: every build, serve, test, train and bench step of credit-scorer.
//! It installs what it needs on a fresh Debian machine (wasm target, wasm-bindgen-cli at the
//! lockfile's version, Chromium and ChromeDriver, npm packages) and caches tools between runs.

mod bank_models;
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
  build [--dist]                 build the wasm into www/pkg/, print its size and write the
                                 integrity pins (in CI, with CI set: check them instead)
                                 (--dist adds wasm-opt and keeps it only if it is smaller
                                 compressed; its pins differ from the committed ones)
  test [--fuzz]                  fmt, clippy, native tests, in-browser wasm tests, end-to-end tests
                                 (also builds the unpinned debug engine into www/pkg/debug/)
  e2e [FILE…]                    build as `test` does, then only the end-to-end tests (all, or
                                 the given tests/e2e/*.test.mjs files)
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
        "build" => build(rest.iter().any(|a| a == "--dist")),
        "test" => test(rest),
        "e2e" => e2e_command(rest),
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

/// Whether this runs in CI (`CI` set, as GitHub Actions and most CI services do): there the
/// committed pins are checked, never rewritten.
fn in_ci() -> bool {
    env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// `rustc --version` of the toolchain in use, for error messages.
pub fn rustc_version() -> String {
    Command::new("rustc")
        .arg("--version")
        .current_dir(root())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "rustc --version failed".into())
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
    /// Export the deliberate-crash hook for the crash-recovery test: the unpinned debug engine,
    /// written to `pkg/debug/` (under the variant's subdirectory) instead of `pkg/`.
    pub debug_panic: bool,
}

/// The builds the page chooses from: the lite engine (no tract, `--no-default-features`), which
/// the page loads first, and the full engine, fetched only for models the lite one defers; each
/// as WebAssembly SIMD (about twice the batch throughput, measured by `cargo xtask bench`) and a
/// scalar fallback for engines without it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Scalar,
    Simd,
    LiteScalar,
    LiteSimd,
}

impl Variant {
    /// Every release build, in build order.
    pub const ALL: [Variant; 4] = [
        Variant::LiteSimd,
        Variant::LiteScalar,
        Variant::Simd,
        Variant::Scalar,
    ];

    /// Where its bindings go, under a `pkg` directory.
    pub fn subdir(self) -> &'static str {
        match self {
            Variant::Scalar => "",
            Variant::Simd => "simd",
            Variant::LiteScalar => "lite",
            Variant::LiteSimd => "lite/simd",
        }
    }

    /// Built with `+simd128`.
    pub fn simd(self) -> bool {
        matches!(self, Variant::Simd | Variant::LiteSimd)
    }

    /// Built without tract.
    pub fn lite(self) -> bool {
        matches!(self, Variant::LiteScalar | Variant::LiteSimd)
    }

    fn label(self) -> &'static str {
        match self {
            Variant::Scalar => "full, scalar",
            Variant::Simd => "full, simd128",
            Variant::LiteScalar => "lite, scalar",
            Variant::LiteSimd => "lite, simd128",
        }
    }
}

/// The compiler flags of a wasm build, in the `CARGO_ENCODED_RUSTFLAGS` form (which beats
/// `RUSTFLAGS` and every `rustflags` in cargo configuration, so nothing on the machine can add
/// to them). They make the release wasm byte-reproducible: panic locations in dependencies carry
/// the absolute path of their sources, `$CARGO_HOME/registry/src/…`, which is remapped to
/// `/cargo/…` (and the target directory, for code generated by build scripts, to `/target`).
/// The workspace's own sources already appear as relative paths (`src/wasm.rs`), so the clone's
/// path is left out and clones can share one target directory.
pub fn wasm_rustflags(variant: Variant, target: &Path) -> Vec<String> {
    let mut flags = Vec::new();
    if variant.simd() {
        flags.push("-Ctarget-feature=+simd128".to_string());
    }
    let mut remap = |from: &Path, to: &str| {
        let mut prefixes = vec![from.to_path_buf()];
        if let Ok(canonical) = from.canonicalize()
            && canonical != from
        {
            prefixes.push(canonical);
        }
        for p in prefixes {
            flags.push(format!("--remap-path-prefix={}={to}", p.display()));
        }
    };
    remap(&cargo_home(), "/cargo");
    remap(target, "/target");
    flags
}

/// Sets the wasm flags on a cargo command (see [`wasm_rustflags`]).
pub fn set_wasm_rustflags(cmd: &mut Command, variant: Variant, target: &Path) {
    cmd.env_remove("RUSTFLAGS").env(
        "CARGO_ENCODED_RUSTFLAGS",
        wasm_rustflags(variant, target).join("\x1f"),
    );
}

fn cargo_home() -> PathBuf {
    if let Some(dir) = env::var_os("CARGO_HOME") {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            root().join(dir)
        };
    }
    let home = env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from);
    home.join(".cargo")
}

/// In a wasm target directory: the clone whose crate was built there last.
const BUILT_FROM: &str = "credit-scorer-built-from";

/// Clones may share one target directory, where cargo keys the crate's build by its path relative
/// to the workspace and decides freshness by file times: after another clone's build, an older
/// but different `src/` here could pass as fresh and get that clone's wasm (and its pins). So
/// when the last wasm build in `target` came from another clone, the crate's own artifacts (not
/// its dependencies) are cleaned first.
fn forget_other_clones_build(target: &Path) -> Result {
    let here = root().to_string_lossy().into_owned();
    match fs::read_to_string(target.join(BUILT_FROM)) {
        Ok(last) if last != here => {
            println!(
                "the last wasm build in {} was from {last}",
                target.display()
            );
            run(cargo()
                .args(["clean", "--release", "--target", WASM_TARGET])
                .args(["--package", "credit-scorer"])
                .env("CARGO_TARGET_DIR", target))
        }
        _ => Ok(()),
    }
}

/// Builds one wasm variant (release profile, LTO) and its bindings into `pkg/<subdir>`; returns
/// the `_bg.wasm` path.
pub fn build_variant(pkg: &Path, variant: Variant, options: &BuildOptions) -> Result<PathBuf> {
    let label = variant.label();
    // RUSTFLAGS differ between SIMD and scalar, so each keeps its own target directory: sharing
    // one would rebuild tract on every switch. Lite and full differ only in the crate's features
    // and share it.
    let target = if variant.simd() {
        target_dir().join("simd")
    } else {
        target_dir()
    };
    // `cargo rustc --crate-type cdylib`: with the manifest's ["cdylib", "rlib"] cargo drops LTO.
    let wasm = step(&format!("cargo build (wasm, release, {label})"), || {
        forget_other_clones_build(&target)?;
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
        set_wasm_rustflags(&mut cmd, variant, &target);
        if variant.lite() {
            cmd.arg("--no-default-features");
        }
        if options.debug_panic {
            cmd.args(["--features", "debug-panic"]);
        }
        let wasm = cdylib_of(&mut cmd)?;
        fs::write(target.join(BUILT_FROM), root().to_string_lossy().as_bytes())?;
        Ok(wasm)
    })?;
    let out_dir = if options.debug_panic {
        pkg.join(DEBUG_ENGINE).join(variant.subdir())
    } else {
        pkg.join(variant.subdir())
    };
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

/// Runs a cargo build and returns the crate's cdylib (the `.wasm`), from cargo's own report: the
/// lite and full builds share a target directory, where the file cargo copies up to `release/`
/// is whichever was built last.
fn cdylib_of(cmd: &mut Command) -> Result<PathBuf> {
    cmd.args(["--message-format", "json-render-diagnostics"])
        .stdout(std::process::Stdio::piped());
    let shown = format!("{cmd:?}").replace('"', "");
    println!("$ {shown}");
    let output = cmd
        .current_dir_if_unset()
        .spawn()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?
        .wait_with_output()?;
    if !output.status.success() {
        return Err(format!("cargo failed: {}", output.status).into());
    }
    let mut found = None;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "credit_scorer" {
            found = msg["filenames"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str())
                .find(|f| f.ends_with(".wasm"))
                .map(PathBuf::from);
        }
    }
    found.ok_or_else(|| "cargo built no credit_scorer .wasm".into())
}

/// The unpinned test engine's directory under `pkg/`: the scalar build with `debug-panic`,
/// loaded by `?engine=debug` (tests/e2e/crash.test.mjs), never in the service worker's manifest.
const DEBUG_ENGINE: &str = "debug";

/// Builds both release wasm variants and their bindings into www/pkg/, then writes the integrity
/// pins (in CI: checks them, see `integrity::update`) and the offline manifest. A debug engine
/// left by `cargo xtask test` is removed, so a built www/ is always fit to deploy.
fn build(dist: bool) -> Result {
    if dist && in_ci() {
        return Err(
            "--dist builds a wasm other than the pinned release build; CI checks the \
                    committed pins, so build without --dist there"
                .into(),
        );
    }
    step("wasm toolchain", || {
        ensure_wasm_target()?;
        wasm_bindgen_bin().map(|_| ())
    })?;
    let www = root().join("www");
    let pkg = www.join("pkg");
    let options = BuildOptions {
        dist,
        debug_panic: false,
    };
    for variant in Variant::ALL {
        build_variant(&pkg, variant, &options)?;
    }
    let debug = pkg.join(DEBUG_ENGINE);
    if debug.exists() {
        fs::remove_dir_all(&debug)?;
    }
    let mode = if in_ci() {
        integrity::Pins::Check
    } else {
        integrity::Pins::Write
    };
    step("integrity pins and offline manifest", || {
        integrity::update(&www, mode)
    })?;
    if dist {
        println!(
            "note: --dist pinned the wasm-opt output; www/ is consistent and can be deployed, but \
             www/js/pins.js, www/index.html and www/_headers now differ from the release pins: \
             do not commit them (a plain `cargo xtask build` puts the release pins back)"
        );
    }
    Ok(())
}

/// The test-only engine (see [`DEBUG_ENGINE`]): the scalar build with `debug-panic`. It shares
/// the scalar build's target directory and flags, so only the crate itself is rebuilt and linked
/// with LTO (about a minute on 2 cores; cargo keeps one fingerprint for the crate, so the next
/// release build relinks it too). The release wasm already in www/pkg/ is not touched.
fn build_debug_engine() -> Result {
    build_variant(
        &root().join("www/pkg"),
        Variant::Scalar,
        &BuildOptions {
            dist: false,
            debug_panic: true,
        },
    )
    .map(|_| ())
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
    build(args.iter().any(|a| a == "--dist"))?;
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
    step("cargo clippy (lite build, no tract)", || {
        run(cargo().args([
            "clippy",
            "--package",
            "credit-scorer",
            "--all-targets",
            "--no-default-features",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step(
        "native tests",
        || run(cargo().args(["test", "--workspace"])),
    )?;
    // The lite build's contract (tests/engines.rs) and the paths it shares with the full build;
    // the other test files compare against tract or load models only the full build runs. Its
    // own target directory: these tests build the CLI too, and the end-to-end tests need the
    // full one at `debug/credit-scorer`.
    step("native tests (lite build, no tract)", || {
        run(cargo()
            .env("CARGO_TARGET_DIR", target_dir().join("lite"))
            .args([
                "test",
                "--package",
                "credit-scorer",
                "--no-default-features",
                "--lib",
                "--test",
                "engines",
                "--test",
                "batch",
                "--test",
                "reference_model",
                "--test",
                "validation",
                "--test",
                "bank_models",
            ]))
    })?;
    prepare_browser_tests()?;
    let runner = wasm_bindgen_bin()?.join("wasm-bindgen-test-runner");
    step("wasm-bindgen tests in headless Chromium", || {
        let mut cmd = cargo();
        cmd.args([
            "test",
            "--release",
            "--target",
            WASM_TARGET,
            "--test",
            "web",
        ])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120");
        // The scalar build's flags: the test reuses its dependencies instead of rebuilding tract.
        set_wasm_rustflags(&mut cmd, Variant::Scalar, &target_dir());
        run(&mut cmd)
    })?;
    step("end-to-end tests (playwright-core + Chromium)", || e2e(&[]))?;
    if args.iter().any(|a| a == "--fuzz") {
        fuzz::run_all()?;
    }
    println!(
        "\nall tests passed in {:.1} min",
        start.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}

/// Chromium, the npm packages, the pinned release builds, which every end-to-end test loads (in
/// CI the build fails when they differ from the committed pins), then the unpinned debug engine
/// for the crash test.
fn prepare_browser_tests() -> Result {
    step("browser toolchain", || {
        ensure_chromium()?;
        ensure_npm()
    })?;
    build(false)?;
    build_debug_engine()
}

/// `cargo xtask e2e [FILE…]`: the builds the end-to-end tests need, then those tests.
fn e2e_command(files: &[String]) -> Result {
    prepare_browser_tests()?;
    step("end-to-end tests (playwright-core + Chromium)", || {
        e2e(files)
    })
}

/// Runs the end-to-end tests (all of tests/e2e/, or `files`) against www/ as built, served by
/// xtask's server, with a second served copy for the service-worker update test.
fn e2e(files: &[String]) -> Result {
    let www = root().join("www");
    let server = serve::Server::start(&www, 0)?;
    // A second copy of www/ on its own port (its own origin, so its own service worker), which
    // tests/e2e/offline.test.mjs changes on disk as a new deployment would.
    let update_www = target_dir().join("e2e-update-www");
    copy_site(&www, &update_www)?;
    let update_server = serve::Server::start(&update_www, 0)?;
    let screenshots = target_dir().join("screenshots");
    fs::create_dir_all(&screenshots)?;
    let mut cmd = Command::new("node");
    cmd.args(["--test", "--test-concurrency=1"]);
    if files.is_empty() {
        cmd.arg("tests/e2e/");
    } else {
        cmd.args(files);
    }
    let result = run(cmd
        .env("BASE_URL", server.url())
        .env("SCREENSHOT_DIR", &screenshots)
        .env("UPDATE_BASE_URL", update_server.url())
        .env("UPDATE_WWW", &update_www)
        // The crash test must find the debug engine (against a deployment it skips instead).
        .env("REQUIRE_DEBUG_ENGINE", "1")
        // The batch test compares the page's output with the CLI's (built by the native tests).
        .env(
            "CREDIT_SCORER_CLI",
            target_dir().join("debug/credit-scorer"),
        ));
    server.stop();
    update_server.stop();
    result
}

/// A fresh copy of the site in `to` (what a deployment would upload), without the debug engine.
fn copy_site(from: &Path, to: &Path) -> Result {
    fn copy_dir(from: &Path, to: &Path, skip: &Path) -> Result {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let path = entry?.path();
            if path == skip {
                continue;
            }
            let dest = to.join(path.file_name().ok_or("a file without a name")?);
            if path.is_dir() {
                copy_dir(&path, &dest, skip)?;
            } else {
                fs::copy(&path, &dest)
                    .map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
            }
        }
        Ok(())
    }
    if to.exists() {
        fs::remove_dir_all(to)?;
    }
    copy_dir(from, to, &from.join("pkg").join(DEBUG_ENGINE))
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
    bank_models::train()?;
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
