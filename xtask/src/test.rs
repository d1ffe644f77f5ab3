//! `cargo xtask test`: every test, on a machine that has nothing but Rust, Node and apt.
//!
//! 1. `cargo test`: the pure domain in `shared/` and the tooling, natively.
//! 2. The release build of the widgets and the Worker.
//! 3. `node --test tests/`: edge tests against the built Worker in workerd and end-to-end tests
//!    in headless Chromium. Each test file starts the Worker it needs and stops it.

use std::process::Command;

use crate::proc::run as exec;
use crate::{build, root, setup, Result};

pub fn run() -> Result<()> {
    let tools = setup::all()?;
    println!("xtask: unit tests");
    exec(Command::new("cargo").args(["test", "--quiet"]).current_dir(root()))?;
    build::all(&tools)?;
    println!("xtask: edge and browser tests");
    exec(
        Command::new("node")
            .args(["--test", "--test-reporter=spec"])
            .arg("tests/")
            .current_dir(root())
            // Built just now: the test files need not build again.
            .env("RAPPORT_BUILT", "1")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false"),
    )
}
