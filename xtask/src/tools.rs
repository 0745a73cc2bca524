//! Installs what the jobs need on a fresh Debian machine: the wasm target, wasm-bindgen-cli at
//! the lockfile's version, Debian packages (Chromium and ChromeDriver) and the npm packages.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Result, cargo, have, is_root, locked_version, root, run, tools_dir};
use crate::wasm::WASM_TARGET;

/// The `wasm32-unknown-unknown` target of the pinned toolchain, added with rustup when missing.
pub fn ensure_wasm_target() -> Result {
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
pub fn wasm_bindgen_bin() -> Result<PathBuf> {
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

/// A Debian package a job needs, and the file that shows it is installed (checked instead of
/// asking dpkg, so that the same tool installed another way also counts).
pub struct DebianPackage {
    /// The package name, as `apt-get install` takes it.
    pub name: &'static str,
    /// An absolute path the package installs, or a program name looked up on `PATH`.
    pub provides: &'static str,
}

impl DebianPackage {
    fn installed(&self) -> bool {
        if self.provides.starts_with('/') {
            Path::new(self.provides).exists()
        } else {
            have(self.provides)
        }
    }
}

/// Debian's Chromium, ChromeDriver and CJK fonts (for the Chinese UI).
pub const CHROMIUM: &[DebianPackage] = &[
    DebianPackage {
        name: "chromium",
        provides: "/usr/bin/chromium",
    },
    DebianPackage {
        name: "chromium-driver",
        provides: "chromedriver",
    },
    DebianPackage {
        name: "fonts-noto-cjk",
        provides: "/usr/share/fonts/opentype/noto",
    },
];

/// Installs `packages` with apt when any is missing and this runs as root; otherwise says which
/// to install. `what` names them for the message.
pub fn ensure_debian_packages(what: &str, packages: &[DebianPackage]) -> Result {
    let mut missing: Vec<&str> = packages
        .iter()
        .filter(|p| !p.installed())
        .map(|p| p.name)
        .collect();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        let quoted: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
        return Err(format!(
            "{what} missing: install Debian's {} packages (sudo apt-get install {})",
            quoted.join(", "),
            missing.join(" ")
        )
        .into());
    }
    // Another apt run (or unattended-upgrades) may hold the dpkg lock for a while: wait for it.
    let lock = ["-o", "DPkg::Lock::Timeout=600"];
    run(Command::new("apt-get").args(lock).args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args(lock)
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// Chromium for the browser tests and the benchmark (see [`CHROMIUM`]).
pub fn ensure_chromium() -> Result {
    ensure_debian_packages("Chromium, ChromeDriver or the CJK fonts are", CHROMIUM)
}

/// npm packages from the committed lockfile, installed when node_modules is missing or stale.
pub fn ensure_npm() -> Result {
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
