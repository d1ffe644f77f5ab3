//! `cargo xtask eval-recs --interactions FILE.csv [--ease-lambda L]`: the recommendation model's
//! offline quality against popularity, item-kNN and EASE^R (the `rapport-eval` crate, built with
//! the speed-first `eval` profile).

use std::process::Command;

use crate::proc::run as exec;
use crate::{root, Args, Result};

pub fn run(args: &Args) -> Result<()> {
    let file = args.required("interactions")?;
    let file = std::fs::canonicalize(&file).map_err(|e| format!("{file}: {e}"))?;
    let mut cmd = Command::new("cargo");
    cmd.args(["run", "--quiet", "--profile", "eval", "--package", "rapport-eval", "--"])
        .arg("--interactions")
        .arg(file)
        .current_dir(root());
    if let Some(lambda) = args.value("ease-lambda") {
        cmd.args(["--ease-lambda", &lambda]);
    }
    exec(&mut cmd)
}
