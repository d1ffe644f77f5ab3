//! Starting a Worker locally in workerd through `wrangler dev`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::proc::Guard;
use crate::setup::Tools;
use crate::{root, Result};

/// A `wrangler dev` to start on 127.0.0.1.
pub struct Dev<'a> {
    pub port: u16,
    /// Where KV and Durable Object state are kept.
    pub persist: &'a Path,
    /// Another wrangler.toml than the one that runs the built Worker.
    pub config: Option<&'a Path>,
    /// Secrets and variables; without it, the project's `.dev.vars`.
    pub env_file: Option<&'a Path>,
    /// Where wrangler's output goes; `None` shows it on the terminal.
    pub log: Option<PathBuf>,
}

impl Dev<'_> {
    pub fn start(&self, tools: &Tools) -> Result<Guard> {
        let mut cmd = Command::new(tools.npm_tool("wrangler"));
        cmd.args(["dev", "--ip", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--inspector-port", &free_port()?.to_string(), "--persist-to"])
            .arg(self.persist)
            .args(["--show-interactive-dev-session=false", "--log-level", "warn"])
            .current_dir(root())
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .stdin(Stdio::null());
        // Without its own, it runs the built Worker as `cargo xtask build` left it (see
        // `build::run_config`), with the secrets in the project's `.dev.vars`.
        let config = self.config.map_or_else(crate::build::run_config_path, Path::to_path_buf);
        cmd.arg("--config").arg(config);
        let dev_vars = root().join(".dev.vars");
        match self.env_file {
            Some(env_file) => {
                cmd.arg("--env-file").arg(env_file);
            }
            None if self.config.is_none() && dev_vars.exists() => {
                cmd.arg("--env-file").arg(dev_vars);
            }
            None => {}
        }
        if let Some(log) = &self.log {
            let file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
            cmd.stdout(file.try_clone().map_err(|e| e.to_string())?).stderr(file);
        }
        let child = cmd.spawn().map_err(|e| format!("could not start wrangler: {e}"))?;
        Ok(Guard(child))
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Waits until `GET {api}/v1/health` answers 200.
pub fn wait_healthy(api: &str, worker: &mut Guard) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(180);
    let agent: ureq::Agent =
        ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(2))).build().into();
    let url = format!("{api}/v1/health");
    while Instant::now() < deadline {
        if agent.get(&url).call().is_ok_and(|r| r.status() == 200) {
            return Ok(());
        }
        if let Ok(Some(status)) = worker.0.try_wait() {
            return Err(format!("wrangler dev exited ({status}) before the Worker answered"));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    Err(format!("the Worker did not answer {url} within 3 minutes"))
}
