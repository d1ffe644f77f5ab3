//! Installs what the jobs need and is not there yet; a second run only checks.
//!
//! Everything comes from the package registries: wasm-bindgen, worker-build and wasm-split-cli
//! from crates.io (built here, since their own downloads of helper binaries cannot be relied
//! on), wrangler, esbuild, binaryen's wasm-opt and playwright-core from npm (pinned in
//! package-lock.json), and Chromium, wrk and brotli from Debian.

use std::path::PathBuf;
use std::process::Command;

use crate::proc::{exists, output, run};
use crate::{root, Result};

/// worker-build must match the `worker` crate's release line.
const WORKER_BUILD_VERSION: &str = "0.8.7";
/// The toolchain the widget module is built with: a dated nightly, because rebuilding the
/// standard library for size (`-Zbuild-std`) is not stable. The Worker and the tests use stable.
pub const WIDGETS_NIGHTLY: &str = "nightly-2026-05-20";
/// The splitter that cuts the widget module into a shared part and one part per widget. 0.2.4
/// is the first release that reads what wasm-bindgen 0.2.128 and later emit.
const WASM_SPLIT_VERSION: &str = "0.2.4";

/// Paths of the tools the build uses.
pub struct Tools {
    pub wasm_bindgen: PathBuf,
    pub worker_build: PathBuf,
    pub wasm_split: PathBuf,
    /// `node_modules/.bin`
    pub node_bin: PathBuf,
}

impl Tools {
    pub fn npm_tool(&self, name: &str) -> PathBuf {
        self.node_bin.join(name)
    }
}

fn cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
        })
        .join("bin")
}

/// The pinned nightly with the standard library's sources (it builds its own for wasm32).
fn widgets_toolchain() -> Result<()> {
    let sysroot = output(Command::new("rustup").args([
        "run",
        WIDGETS_NIGHTLY,
        "rustc",
        "--print",
        "sysroot",
    ]));
    let has_src = sysroot.is_some_and(|s| {
        PathBuf::from(s.trim()).join("lib/rustlib/src/rust/library/Cargo.lock").exists()
    });
    if !has_src {
        println!("xtask: installing Rust {WIDGETS_NIGHTLY} with rust-src (once)");
        run(Command::new("rustup").args(["toolchain", "install", WIDGETS_NIGHTLY]).args([
            "--profile",
            "minimal",
            "--component",
            "rust-src",
        ]))?;
    }
    Ok(())
}

/// The exact wasm-bindgen version in Cargo.lock: the CLI must match the library byte for byte.
fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    Err("wasm-bindgen is not in Cargo.lock".into())
}

fn rust_target() -> Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        println!("xtask: adding the wasm32-unknown-unknown target");
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

fn cargo_tool(bin: &str, krate: &str, version: &str, locked: bool) -> Result<PathBuf> {
    let path = cargo_bin().join(bin);
    let current = output(Command::new(&path).arg("--version")).unwrap_or_default();
    if !current.split_whitespace().any(|w| w == version) {
        install(krate, version, locked, &[])?;
    }
    Ok(path)
}

fn install(krate: &str, version: &str, locked: bool, args: &[&str]) -> Result<()> {
    println!("xtask: installing {krate} {version} (a few minutes, once)");
    let mut cmd = Command::new("cargo");
    cmd.args(["install", krate, "--version", version, "--force"]).args(args);
    if locked {
        cmd.arg("--locked");
    }
    run(&mut cmd)
}

/// wasm-split-cli has no `--version`: cargo's own list of installed crates says which it is.
fn wasm_split() -> Result<PathBuf> {
    let path = cargo_bin().join("wasm-split-cli");
    let listed = output(Command::new("cargo").args(["install", "--list"])).unwrap_or_default();
    let wanted = format!("wasm_split_cli_support v{WASM_SPLIT_VERSION}:");
    if !path.exists() || !listed.lines().any(|l| l.trim() == wanted) {
        install(
            "wasm_split_cli_support",
            WASM_SPLIT_VERSION,
            true,
            &["--features", "build-binary"],
        )?;
    }
    Ok(path)
}

/// `npm ci` when node_modules is missing or older than package-lock.json.
fn npm_packages() -> Result<PathBuf> {
    if !exists("node") || !exists("npm") {
        apt(&["nodejs", "npm"])?;
    }
    npm_ci(&root())
}

/// `npm ci` in `dir` when its node_modules is missing or older than its package-lock.json;
/// answers its `node_modules/.bin`.
fn npm_ci(dir: &std::path::Path) -> Result<PathBuf> {
    let marker = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let stale = match (std::fs::metadata(&marker), std::fs::metadata(&lock)) {
        (Ok(m), Ok(l)) => m.modified().ok() < l.modified().ok(),
        _ => true,
    };
    if stale {
        println!("xtask: installing npm packages in {}", dir.display());
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(dir))?;
    }
    Ok(dir.join("node_modules/.bin"))
}

/// What only the bench uses (Lighthouse), kept out of the test install: its `node_modules/.bin`.
pub fn bench_packages() -> Result<PathBuf> {
    npm_ci(&root().join("xtask/bench"))
}

/// Installs Debian packages (as root, or through sudo).
pub fn apt(packages: &[&str]) -> Result<()> {
    println!("xtask: installing Debian packages: {}", packages.join(" "));
    let is_root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    let with_privilege = |args: &[&str]| {
        let mut cmd = if is_root { Command::new(args[0]) } else { Command::new("sudo") };
        if !is_root {
            cmd.arg("-n").arg(args[0]);
        }
        cmd.args(&args[1..]).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run(&mut with_privilege(&["apt-get", "update", "-qq"]))?;
    let mut install =
        with_privilege(&["apt-get", "install", "-y", "-qq", "--no-install-recommends"]);
    install.args(packages);
    run(&mut install)
        .map_err(|e| format!("{e}\n(install them by hand: apt-get install {})", packages.join(" ")))
}

/// The Debian packages the tests and benchmarks drive: a browser and its driver, a load
/// generator, a brotli encoder, and PHP and Ruby to run the README's token snippets.
pub fn test_packages() -> Result<()> {
    let wanted = [
        ("/usr/bin/chromium", "chromium"),
        ("/usr/bin/chromedriver", "chromium-driver"),
        ("wrk", "wrk"),
        ("brotli", "brotli"),
        ("php", "php-cli"),
        ("ruby", "ruby"),
    ];
    let missing: Vec<&str> =
        wanted.iter().filter(|(bin, _)| !exists(bin)).map(|(_, pkg)| *pkg).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        apt(&missing)
    }
}

/// What building needs.
pub fn tools() -> Result<Tools> {
    rust_target()?;
    widgets_toolchain()?;
    let node_bin = npm_packages()?;
    let wasm_bindgen =
        cargo_tool("wasm-bindgen", "wasm-bindgen-cli", &locked_wasm_bindgen()?, false)?;
    let worker_build = cargo_tool("worker-build", "worker-build", WORKER_BUILD_VERSION, true)?;
    let wasm_split = wasm_split()?;
    Ok(Tools { wasm_bindgen, worker_build, wasm_split, node_bin })
}

/// Everything any job needs.
pub fn all() -> Result<Tools> {
    let tools = tools()?;
    test_packages()?;
    Ok(tools)
}
