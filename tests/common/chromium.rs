//! Headless Chromium (the Debian package `chromium`), for tests that look
//! at a page the way a reader's browser does. Each run gets a fresh
//! profile directory, no network services (no updates, sync or
//! prefetching) and is killed if it overstays.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::{require_tool, ChildGuard, ScratchDir};

/// A page load, screenshot included, takes a second or two.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Panics, naming the package, when `chromium` cannot run.
pub fn require() {
    require_tool("chromium", "--version");
}

/// The command line every run shares.
fn chromium(profile: &ScratchDir) -> Command {
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ])
    .arg(format!(
        "--user-data-dir={}",
        profile.join("profile").display()
    ));
    cmd
}

fn run(mut cmd: Command) -> String {
    let out = ChildGuard::spawn(&mut cmd).finish(TIMEOUT);
    assert!(out.status.success(), "chromium failed: {out:#?}");
    out.stdout
}

/// The DOM of the page at `file`, after it loaded.
pub fn dump_dom(file: &Path) -> String {
    let profile = ScratchDir::new("chromium");
    let mut cmd = chromium(&profile);
    cmd.arg("--dump-dom")
        .arg(format!("file://{}", file.display()));
    run(cmd)
}

/// The DOM of the page at `url` (e.g. `https://localhost:PORT/`), after it
/// loaded, with `extra` switches: the certificate it may trust
/// (`--ignore-certificate-errors-spki-list`), where `localhost` resolves.
pub fn dump_dom_url(url: &str, extra: &[&str]) -> String {
    let profile = ScratchDir::new("chromium");
    let mut cmd = chromium(&profile);
    cmd.args(extra).arg("--dump-dom").arg(url);
    run(cmd)
}

/// A PNG of the page at `file` in a `width`×`height` window, at `png`.
pub fn screenshot(file: &Path, png: &Path, width: u32, height: u32) {
    let profile = ScratchDir::new("chromium");
    let mut cmd = chromium(&profile);
    cmd.arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", file.display()));
    run(cmd);
}
