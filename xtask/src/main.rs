//! `cargo xtask <job>`: Rapport's build automation, in Rust instead of shell scripts.
//!
//! Jobs set up what they need themselves (Rust target, CLI tools, npm packages, Debian packages),
//! so each works on a fresh machine. See `cargo xtask help`.

mod bench;
mod build;
mod demo;
mod devvars;
mod eval;
mod import;
mod pack;
mod proc;
mod seed;
mod setup;
mod storefront;
mod test;
mod token;
mod wrangler;

use std::path::PathBuf;
use std::process::ExitCode;

pub type Result<T, E = String> = std::result::Result<T, E>;

const HELP: &str = "\
cargo xtask <job> [options]

jobs:
  demo    set up, build, start the Worker in workerd, seed the demo shop, serve the storefront
          [--port 8787] [--storefront-port 8080]
  test    set up, build and run every test: unit, edge (workerd), end-to-end (Chromium)
  build   build the widgets into dist/ and the Worker into edge/build/ (release)
  bench   build, then measure: payload and Worker sizes (raw, gzip, brotli), the edge against
          two baselines, the demo page in Chromium, Lighthouse [--only edge]
  setup   install what is missing: wasm32 target, wasm-bindgen, worker-build, npm and Debian packages
  token   mint a shopper token: --shop SHOP --customer ID [--name NAME] [--email ADDRESS]
          [--ttl SECONDS]
          (the secret comes from RAPPORT_TOKEN_SECRET or .dev.vars)
  seed    load the demo shop into a running Worker: --api URL --shop SHOP --admin-key KEY
          [--origin URL ...] [--webhook-secret SECRET (the shop's generic webhook secret:
          also sends the demo shopper's order history)] [--token-secret SECRET (with the
          webhook secret: also the demo shopper's referrals, through the shopper API)]
  eval-recs  the recommendation model's HR/NDCG/recall@10 against popularity, item-kNN and
          EASE^R on a `user,item,timestamp` CSV: --interactions FILE [--ease-lambda L]
  import  send a shop's history (generic-format JSON lines, or CSV) in resumable parts:
          --api URL --shop SHOP --admin-key KEY --file FILE [--import NAME]
";

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

/// `--name value` pairs after the job name.
pub struct Args(Vec<String>);

impl Args {
    pub fn value(&self, name: &str) -> Option<String> {
        let flag = format!("--{name}");
        self.0.windows(2).find(|w| w[0] == flag).map(|w| w[1].clone())
    }

    pub fn values(&self, name: &str) -> Vec<String> {
        let flag = format!("--{name}");
        self.0.windows(2).filter(|w| w[0] == flag).map(|w| w[1].clone()).collect()
    }

    pub fn required(&self, name: &str) -> Result<String> {
        self.value(name).ok_or_else(|| format!("--{name} is required (see `cargo xtask help`)"))
    }

    pub fn port(&self, name: &str, default: u16) -> Result<u16> {
        match self.value(name) {
            Some(v) => v.parse().map_err(|_| format!("--{name} must be a port number")),
            None => Ok(default),
        }
    }
}

fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1);
    let job = argv.next().unwrap_or_else(|| "help".into());
    let args = Args(argv.collect());
    let result = match job.as_str() {
        "demo" => demo::run(&args),
        "test" => test::run(),
        "build" => setup::tools().and_then(|t| build::all(&t)),
        "bench" => bench::run(&args),
        "setup" => setup::all().map(|_| ()),
        "token" => token::run(&args),
        "seed" => seed::run(&args),
        "import" => import::run(&args),
        "eval-recs" => eval::run(&args),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown job {other:?}\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {job}: {e}");
            ExitCode::FAILURE
        }
    }
}
