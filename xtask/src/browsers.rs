//! Firefox and WebKit for the cross-browser end-to-end tests (tests/e2e/cross-browser.mjs):
//! Debian's `firefox-esr` (driven over WebDriver BiDi by npm puppeteer-core) and
//! `webkit2gtk-driver` (WebKitWebDriver and its MiniBrowser, Safari's engine, driven over classic
//! WebDriver by npm selenium-webdriver), plus an X server for WebKit: no browser is downloaded.
//! The tests start one WebKitWebDriver per browser launch themselves (each with its own profile
//! and download directory); this starts the X server they share.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

use crate::tools::{DebianPackage, ensure_debian_packages};
use crate::util::Result;

/// Debian's packages: Firefox ESR, WebKitWebDriver with its MiniBrowser, the virtual X server,
/// and CJK fonts for the Chinese screenshots; each with what it installs that the tests run.
const BROWSERS: &[DebianPackage] = &[
    DebianPackage {
        name: "firefox-esr",
        provides: "/usr/lib/firefox-esr/firefox-esr",
    },
    DebianPackage {
        name: "webkit2gtk-driver",
        provides: "/usr/bin/WebKitWebDriver",
    },
    DebianPackage {
        name: "webkit2gtk-driver",
        provides: "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
    },
    DebianPackage {
        name: "xvfb",
        provides: "/usr/bin/Xvfb",
    },
    DebianPackage {
        name: "fonts-noto-cjk",
        provides: "/usr/share/fonts/opentype/noto",
    },
];

/// A virtual X server for WebKit's MiniBrowser, stopped when dropped.
pub struct Display {
    child: Child,
    /// Xvfb's stdout, kept open: closing it could end Xvfb with SIGPIPE on its next write.
    _stdout: Option<BufReader<ChildStdout>>,
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts Xvfb on a display it picks itself (`-displayfd`: no clash with another X server).
fn start_display() -> Result<(Display, String)> {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x2000x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start Xvfb: {e}"))?;
    let mut line = String::new();
    let mut stdout = child.stdout.take().map(BufReader::new);
    if let Some(out) = stdout.as_mut() {
        out.read_line(&mut line)?;
    }
    let number = line.trim();
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        let _ = child.kill();
        return Err(format!("Xvfb did not report its display (got {line:?})").into());
    }
    let name = format!(":{number}");
    Ok((
        Display {
            child,
            _stdout: stdout,
        },
        name,
    ))
}

/// Before the end-to-end tests: installs the browsers if needed and gives `cmd` a `DISPLAY`
/// (a fresh Xvfb unless one is set already). Keep the returned value alive while `cmd` runs.
pub fn prepare(cmd: &mut Command) -> Result<Option<Display>> {
    ensure_debian_packages("Firefox, WebKit or Xvfb are", BROWSERS)?;
    if std::env::var_os("DISPLAY").is_some() {
        return Ok(None);
    }
    let (display, name) = start_display()?;
    println!("Xvfb on display {name} for WebKit");
    cmd.env("DISPLAY", name);
    Ok(Some(display))
}
