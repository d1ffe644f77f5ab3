//! Starting the Worker locally in workerd through `wrangler dev`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::proc::Guard;
use crate::setup::Tools;
use crate::{root, Result};

/// `wrangler dev` on 127.0.0.1:`port`, KV and Durable Object state under `persist`. With
/// `show_output` false its output goes to `target/wrangler-<port>.log`.
pub fn start(tools: &Tools, port: u16, persist: &Path, show_output: bool) -> Result<Guard> {
    let mut cmd = Command::new(tools.npm_tool("wrangler"));
    cmd.args([
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--persist-to",
    ])
    .arg(persist)
    .args([
        "--show-interactive-dev-session=false",
        "--log-level",
        "warn",
    ])
    .current_dir(root())
    .env("WRANGLER_SEND_METRICS", "false")
    .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
    .stdin(Stdio::null());
    if !show_output {
        let log = root().join(format!("target/wrangler-{port}.log"));
        let file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        cmd.stdout(file.try_clone().map_err(|e| e.to_string())?)
            .stderr(file);
    }
    let child = cmd
        .spawn()
        .map_err(|e| format!("could not start wrangler: {e}"))?;
    Ok(Guard(child))
}

/// Waits until `GET {api}/v1/health` answers 200.
pub fn wait_healthy(api: &str, worker: &mut Guard) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(180);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    let url = format!("{api}/v1/health");
    while Instant::now() < deadline {
        if agent.get(&url).call().is_ok_and(|r| r.status() == 200) {
            return Ok(());
        }
        if let Ok(Some(status)) = worker.0.try_wait() {
            return Err(format!(
                "wrangler dev exited ({status}) before the Worker answered"
            ));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    Err(format!("the Worker did not answer {url} within 3 minutes"))
}
