//! `cargo xtask bench`: what Rapport costs a shopper's page and a merchant's Worker.
//!
//! - Payload: raw, gzip (-9) and brotli (-q 11) bytes of each widget file and of the Worker.
//! - Edge: `wrk` against the reviews endpoint (and its `304` revalidation), a signed-in
//!   shopper's loyalty account (one shopper, and 20 in turn) and a referral link and, in the
//!   same run under the same wrangler and workerd, against two baselines: a bare Worker that
//!   answers a constant, and a like-for-like one with Rapport's configuration shape (static
//!   assets, the Worker first on the API paths, KV) that returns the same stored page from the
//!   same key. For each of Rapport's targets the three processes start afresh together and
//!   take turns in short slices of load. The ratios to both baselines (medians over the sets
//!   for the baselines' own rows), the CPU time each Worker's workerd process spends per
//!   request (what a merchant is billed by; locally that process also runs KV and the Durable
//!   Objects) and the Worker's start-up.
//! - First widget paint: cold loads of the demo storefront in headless Chromium; the median.
//!
//! Machines are shared and noisy: compare ratios and medians, not single figures. Everything is
//! also written to `target/bench/report.json`.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use rapport_shared::identity::{mint_shopper_token, ShopperClaims};
use rapport_shared::ids::CustomerId;
use rapport_shared::secrets::{
    admin_key_hash_binding, sha256_hex, token_secret_binding, TokenSecret,
};
use serde_json::{json, Map, Value};

use crate::build::{self, widget_files};
use crate::devvars::{random_hex, DEMO_SHOP};
use crate::setup::Tools;
use crate::wrangler::{free_port, wait_healthy, Dev};
use crate::{root, seed, storefront, Result};

/// For each of Rapport's targets, the slices of load each of the three processes takes in turn,
/// and the seconds of a slice.
const SLICES: usize = 8;
const SLICE_SECONDS: u32 = 2;
/// Load on a freshly started process before its slices: the Worker's code compiled, its
/// objects awake.
const WARM_UP_SECONDS: u32 = 2;
/// The product whose reviews page the edge rounds read.
const BENCH_PRODUCT: &str = "RIDGE-TENT-2P";
/// Cold storefront loads for the first-paint median.
const PAINT_RUNS: u32 = 7;

struct Size {
    raw: usize,
    gzip: usize,
    brotli: usize,
}

fn compressed_len(program: &str, args: &[&str], data: &[u8]) -> Result<usize> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let data = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().map_err(|e| format!("{program}: {e}"))?;
    let _ = writer.join();
    Ok(out.stdout.len())
}

fn size_of(path: &Path) -> Result<Size> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Size {
        raw: data.len(),
        gzip: compressed_len("gzip", &["-9", "-c"], &data)?,
        brotli: compressed_len("brotli", &["-q", "11", "-c"], &data)?,
    })
}

/// `cargo xtask bench [--only edge]`: everything, or the sizes and the edge measurements only.
pub fn run(args: &crate::Args) -> Result<()> {
    let edge_only = match args.value("only").as_deref() {
        None => false,
        Some("edge") => true,
        Some(other) => return Err(format!("--only {other}: the one part to run alone is `edge`")),
    };
    let tools = crate::setup::all()?;
    build::all(&tools)?;
    let mut report = Map::new();
    sizes(&mut report)?;
    if !edge_only {
        recommendations_batch(&mut report)?;
    }
    runtime(&tools, &mut report, !edge_only)?;
    let out = root().join("target/bench/report.json");
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap_or_default())
        .map_err(|e| format!("{}: {e}", out.display()))?;
    println!("\n(written to {})", out.display());
    Ok(())
}

/// Synthetic shops for the recommendations batch: order lines and products.
const BATCH_SIZES: [(usize, usize); 3] = [(10_000, 2_000), (100_000, 10_000), (1_000_000, 50_000)];

/// The batch build of a synthetic shop per size (`rapport-eval --scale`, natively, with the
/// speed-first profile), each in its own process so its peak memory is its own.
fn recommendations_batch(report: &mut Map<String, Value>) -> Result<()> {
    crate::proc::run(
        Command::new("cargo")
            .args(["build", "--quiet", "--profile", "eval", "--package", "rapport-eval"])
            .current_dir(root()),
    )?;
    let binary = root().join("target/eval/rapport-eval");
    println!("\nrecommendations batch (synthetic shop, native):");
    println!(
        "{:>10} {:>9} {:>9} {:>8} {:>10} {:>12}",
        "lines", "products", "events", "lists", "seconds", "peak MB"
    );
    let mut runs = Vec::new();
    for (lines, products) in BATCH_SIZES {
        let out = Command::new(&binary)
            .args(["--scale", &lines.to_string(), "--products", &products.to_string()])
            .output()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let run: Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("rapport-eval --scale {lines}: {e}"))?;
        let figure = |k: &str| run[k].as_f64().unwrap_or_default();
        println!(
            "{:>10} {:>9} {:>9} {:>8} {:>6} {:>10.2} {:>13.2} {:>9.0}",
            lines,
            products,
            run["events"],
            run["lists"],
            run["parts"],
            figure("read_seconds") + figure("build_seconds"),
            figure("slowest_part_seconds"),
            figure("peak_rss_bytes") / 1e6
        );
        runs.push(run);
    }
    report.insert("recommendations batch".into(), Value::Array(runs));
    Ok(())
}

fn sizes(report: &mut Map<String, Value>) -> Result<()> {
    let files = widget_files()?;
    let mut rows = vec![
        ("loader rapport.js (incl. frame CSS)".to_owned(), files.loader.clone()),
        ("  of which frame CSS".to_owned(), files.css.clone()),
        // Fetched only by a friend arriving with `?ref=`: not in any page kind's sum below.
        ("welcome banner welcome.js".to_owned(), files.loader.with_file_name("welcome.js")),
        // Fetched by a page with star badges: the collection page's sum below.
        ("star badges stars.js".to_owned(), files.loader.with_file_name("stars.js")),
    ];
    let parts = files.parts()?;
    for (name, path) in &parts {
        rows.push((format!("module {name}"), path.clone()));
    }
    rows.push(("Worker WebAssembly".into(), root().join("edge/build/index_bg.wasm")));
    rows.push(("Worker JS".into(), root().join("edge/build/index.js")));
    println!("\n{:<32} {:>10} {:>10} {:>10}", "payload", "raw B", "gzip B", "brotli B");
    let mut measured = std::collections::HashMap::new();
    for (name, path) in &rows {
        let s = size_of(path)?;
        println!("{name:<32} {:>10} {:>10} {:>10}", s.raw, s.gzip, s.brotli);
        report.insert(
            name.trim().to_owned(),
            json!({ "raw": s.raw, "gzip": s.gzip, "brotli": s.brotli }),
        );
        measured.insert(name.trim().to_owned(), s);
    }
    // What a shopper downloads on a page with these widgets: the loader (the frame's CSS
    // inside), the widgets' styles, the module's main part, glue and link file, each widget's own part and the shared code of any
    // set of widgets it is in (the files' names say which, see `pack.rs`); the parts a widget
    // fetches on first use (the review form, a redemption) come on top, when opened.
    let pages: [(&str, &[&str], &str); 11] = [
        ("shopper payload", &["reviews"], "reviews"),
        // Star badges are drawn by the loader's own small module: no styles, no WebAssembly.
        ("shopper payload, star badges", &["stars"], "star badges only"),
        // The shop's lists are the Worker's rendered view: the loader and the styles alone.
        ("shopper payload, shop's recommendations", &[], "the shop's recommendations"),
        ("shopper payload, for you", &["recommendations"], "for you / recently viewed"),
        ("shopper payload, loyalty", &["loyalty"], "loyalty"),
        ("shopper payload, referral", &["referral"], "referral"),
        ("shopper payload, reviews and loyalty", &["reviews", "loyalty"], "reviews and loyalty"),
        (
            "shopper payload, reviews, loyalty and referral",
            &["reviews", "loyalty", "referral"],
            "reviews, loyalty and referral",
        ),
        (
            "shopper payload, all four widgets",
            &["reviews", "loyalty", "referral", "recommendations"],
            "all four widgets",
        ),
        (
            "shopper payload, reviews, form opened",
            &["reviews", "review_form"],
            "reviews, form opened",
        ),
        ("shopper payload, loyalty, redeemed", &["loyalty", "redemption"], "loyalty, redeemed"),
    ];
    for (key, widgets, label) in pages {
        let mut names = vec!["loader rapport.js (incl. frame CSS)".to_owned()];
        if widgets == ["stars"] {
            names.push("star badges stars.js".to_owned());
        } else {
            // A page whose widgets need no WebAssembly fetches none of the module, only the
            // widgets' styles.
            for (name, _) in parts.iter().filter(|(n, _)| !widgets.is_empty() || n == "rapport.css")
            {
                if fetched_with(name, widgets) {
                    names.push(format!("module {name}"));
                }
            }
        }
        let mut total = Size { raw: 0, gzip: 0, brotli: 0 };
        for part in &names {
            let s = &measured[part];
            total.raw += s.raw;
            total.gzip += s.gzip;
            total.brotli += s.brotli;
        }
        println!(
            "{:<32} {:>10} {:>10} {:>10}",
            format!("= page with {label}"),
            total.raw,
            total.gzip,
            total.brotli
        );
        report.insert(
            key.into(),
            json!({ "raw": total.raw, "gzip": total.gzip, "brotli": total.brotli }),
        );
    }
    Ok(())
}

/// Whether a page with `widgets` fetches the module's file `name`: a widget's own part
/// (`split_reviews.wasm`) with that widget, the code a set of widgets shares
/// (`shared_loyalty-reviews.wasm`) with any of them, the main part and the glue always.
fn fetched_with(name: &str, widgets: &[&str]) -> bool {
    match name.strip_suffix(".wasm") {
        Some(stem) if stem.starts_with("split_") => widgets.contains(&&stem[6..]),
        Some(stem) if stem.starts_with("shared_") => {
            stem[7..].split('-').any(|w| widgets.contains(&w))
        }
        _ => true,
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// One process's figures over its slices of a set: their mean rate, their CPU time over all
/// their requests, the medians of their latencies, and all their errors.
fn combined(slices: &[Load]) -> Load {
    let requests: f64 = slices.iter().map(|l| l.rps).sum();
    let latency = |f: fn(&Load) -> f64| median(&mut slices.iter().map(f).collect::<Vec<_>>());
    Load {
        errors: slices.iter().map(|l| l.errors).sum(),
        cpu_ms: slices.iter().map(|l| l.cpu_ms * l.rps).sum::<f64>() / requests,
        rps: requests / slices.len() as f64,
        p50: latency(|l| l.p50),
        p99: latency(|l| l.p99),
    }
}

/// A target's figures: the medians of its sets, and all their errors.
fn summary(runs: &[Load]) -> Load {
    let pick = |f: fn(&Load) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
    Load {
        errors: runs.iter().map(|l| l.errors).sum(),
        rps: pick(|l| l.rps),
        p50: pick(|l| l.p50),
        p99: pick(|l| l.p99),
        cpu_ms: pick(|l| l.cpu_ms),
    }
}

/// Milliseconds from a wrk latency figure: `812.00us`, `25.31ms`, `1.02s`.
fn millis(figure: &str) -> Option<f64> {
    let split = figure.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = figure.split_at(split);
    let n: f64 = number.parse().ok()?;
    match unit {
        "us" => Some(n / 1000.0),
        "ms" => Some(n),
        "s" => Some(n * 1000.0),
        "m" => Some(n * 60_000.0),
        _ => None,
    }
}

/// One slice's figures, one set's (see [`combined`]), or a target's over its sets.
#[derive(Clone, Copy)]
struct Load {
    errors: u64,
    /// CPU milliseconds the Worker's workerd process spent per request.
    cpu_ms: f64,
    rps: f64,
    p50: f64,
    p99: f64,
}

/// What one wrk run requests: a URL, headers, or a Lua script that makes each request; and
/// which of the bench's `wrangler dev` processes answers it.
struct Target {
    name: &'static str,
    server: usize,
    url: String,
    headers: Vec<String>,
    script: Option<std::path::PathBuf>,
}

impl Target {
    fn new(name: &'static str, server: usize, url: String) -> Self {
        Self { name, server, url, headers: Vec::new(), script: None }
    }

    fn header(mut self, header: &str) -> Self {
        self.headers.push(header.to_owned());
        self
    }

    fn script(mut self, script: &Path) -> Self {
        self.script = Some(script.to_owned());
        self
    }
}

/// A `wrangler dev` the bench starts again before each set: where it answers and the
/// `workerd` process that runs its Worker, whose CPU time the slices read.
struct Served<'a> {
    dev: Dev<'a>,
    url: String,
    guard: Option<crate::proc::Guard>,
    worker: u32,
}

impl<'a> Served<'a> {
    fn start(tools: &Tools, dev: Dev<'a>) -> Result<Self> {
        let url = format!("http://127.0.0.1:{}", dev.port);
        let mut served = Self { dev, url, guard: None, worker: 0 };
        served.restart(tools)?;
        Ok(served)
    }

    /// Stops the process (if it runs) and starts a new one on the same port and state.
    fn restart(&mut self, tools: &Tools) -> Result<()> {
        self.guard = None;
        // wrangler may exit before its workerd has let go of the port.
        let deadline = Instant::now() + std::time::Duration::from_secs(15);
        while TcpListener::bind(("127.0.0.1", self.dev.port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!("port {} still taken after stopping wrangler", self.dev.port));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let mut guard = self.dev.start(tools)?;
        wait_healthy(&self.url, &mut guard)?;
        self.worker = worker_process(&guard)?;
        self.guard = Some(guard);
        Ok(())
    }
}

/// A wrk script that sends each request with the next shopper's token, in turn.
fn shoppers_script(tokens: &[String]) -> String {
    let list: Vec<String> = tokens.iter().map(|t| format!("\"{t}\"")).collect();
    format!(
        "local tokens = {{{}}}\nlocal i = 0\nrequest = function()\n  i = i % #tokens + 1\n  \
         return wrk.format(\"GET\", nil, {{ [\"Authorization\"] = \"Bearer \" .. tokens[i] }})\n\
         end\n",
        list.join(", ")
    )
}

/// The workerd process that runs the Workers of the `wrangler dev` whose process is `dev` (the
/// one with an inspector; the other is wrangler's proxy in front of it), found among its
/// descendants. Local KV and Durable Objects run in it too, for Rapport and the baselines alike.
fn worker_process(dev: &crate::proc::Guard) -> Result<u32> {
    let dev = dev.0.id();
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").map_err(|e| e.to_string())?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        // Field 4 of stat(5).
        if let Some(ppid) = stat_fields(pid).and_then(|f| f.get(1)?.parse::<u32>().ok()) {
            parents.push((pid, ppid));
        }
    }
    let mut family = vec![dev];
    while let Some(child) =
        parents.iter().find(|(pid, ppid)| family.contains(ppid) && !family.contains(pid))
    {
        family.push(child.0);
    }
    family
        .into_iter()
        .find(|pid| {
            let line = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let line = String::from_utf8_lossy(&line);
            line.contains("workerd") && line.contains("--inspector-addr")
        })
        .ok_or_else(|| format!("no workerd with an inspector under wrangler dev (pid {dev})"))
}

/// The fields of `/proc/{pid}/stat` after the process's name (which may hold spaces and
/// parentheses): the first is field 3 of stat(5), the state.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// User and system CPU time `pid` has used, in clock ticks (fields 14 and 15 of stat(5)).
fn cpu_ticks(pid: u32) -> Result<u64> {
    let fields = stat_fields(pid).ok_or_else(|| format!("/proc/{pid}/stat: unreadable"))?;
    let tick = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    match (tick(14), tick(15)) {
        (Some(user), Some(system)) => Ok(user + system),
        _ => Err(format!("/proc/{pid}/stat: {}", fields.join(" "))),
    }
}

/// Clock ticks per second, as `/proc` counts CPU time.
fn ticks_per_second() -> f64 {
    crate::proc::output(Command::new("getconf").arg("CLK_TCK"))
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(100.0)
}

/// One wrk run: 1 thread, 20 connections. Any answer other than 2xx or 3xx fails the bench;
/// socket errors (timeouts) are counted.
fn wrk(target: &Target, worker: u32, seconds: u32, ticks_per_second: f64) -> Result<Load> {
    let cpu_before = cpu_ticks(worker)?;
    let mut command = Command::new("wrk");
    for header in &target.headers {
        command.args(["-H", header]);
    }
    if let Some(script) = &target.script {
        command.arg("-s").arg(script);
    }
    let url = &target.url;
    let out = command
        .args(["-t1", "-c20", &format!("-d{seconds}s"), "--latency", url])
        .output()
        .map_err(|e| format!("wrk: {e}"))?;
    let cpu = (cpu_ticks(worker)? - cpu_before) as f64 * 1000.0 / ticks_per_second;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
    };
    let failed = text.lines().any(|l| l.contains("Non-2xx"));
    // "Socket errors: connect 0, read 0, write 0, timeout 3"
    let errors = text
        .lines()
        .find(|l| l.trim().starts_with("Socket errors"))
        .map(|l| l.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    // "  12345 requests in 8.00s, 1.2MB read"
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|&n| n > 0);
    match (field("Requests/sec:"), field("50%"), field("99%"), requests) {
        (Some(rps), Some(p50), Some(p99), Some(requests)) if !failed => Ok(Load {
            errors,
            cpu_ms: cpu / requests as f64,
            rps: rps.parse().map_err(|_| format!("wrk: {rps}"))?,
            p50: millis(&p50).ok_or_else(|| format!("wrk: {p50}"))?,
            p99: millis(&p99).ok_or_else(|| format!("wrk: {p99}"))?,
        }),
        _ => Err(format!("wrk against {url} gave no clean result:\n{text}")),
    }
}

/// Milliseconds V8 takes to compile the Worker's WebAssembly (in Chromium), median of 5.
fn worker_compile_ms() -> Result<f64> {
    let out = Command::new("node")
        .arg(root().join("xtask/bench/compile.mjs"))
        .arg(root().join("edge/build/index_bg.wasm"))
        .current_dir(root())
        .output()
        .map_err(|e| format!("node: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| format!("compiling the Worker: {}", String::from_utf8_lossy(&out.stderr)))
}

fn runtime(tools: &Tools, report: &mut Map<String, Value>, pages: bool) -> Result<()> {
    let dir = root().join("target/bench/run");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let shop = rapport_shared::ids::ShopId::parse(DEMO_SHOP).expect("valid demo shop id");
    let admin_key = random_hex(24)?;
    let token_secret = random_hex(32)?;
    let env_file = dir.join("bench.env");
    std::fs::write(
        &env_file,
        format!(
            "{}=\"{}\"\n{}=\"{}\"\n",
            token_secret_binding(&shop),
            token_secret,
            admin_key_hash_binding(&shop),
            sha256_hex(admin_key.as_bytes())
        ),
    )
    .map_err(|e| e.to_string())?;

    let (rapport_port, bare_port, kv_port) = (free_port()?, free_port()?, free_port()?);
    let rapport_state = dir.join("rapport-state");
    let started = Instant::now();
    let rapport = Served::start(
        tools,
        Dev {
            port: rapport_port,
            persist: &rapport_state,
            config: None,
            env_file: Some(&env_file),
            log: Some(dir.join("rapport.log")),
        },
    )?;
    let api = rapport.url.clone();
    let start_up_ms = started.elapsed().as_secs_f64() * 1000.0;
    // The two baselines, each its own wrangler dev with its own state.
    let places = |name: &str| {
        (
            dir.join(format!("{name}-state")),
            root().join(format!("xtask/bench/{name}-worker/wrangler.toml")),
            dir.join(format!("{name}.log")),
        )
    };
    let (bare_state, bare_config, bare_log) = places("bare");
    let (kv_state, kv_config, kv_log) = places("kv");
    let baseline = |port: u16, persist, config, log| {
        Served::start(
            tools,
            Dev { port, persist, config: Some(config), env_file: None, log: Some(log) },
        )
    };
    let bare = baseline(bare_port, &bare_state, &bare_config, bare_log)?;
    let kv = baseline(kv_port, &kv_state, &kv_config, kv_log)?;
    let (bare_url, kv_url) = (bare.url.clone(), kv.url.clone());

    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| e.to_string())?;
    let shop_origin =
        format!("http://127.0.0.1:{}", listener.local_addr().map_err(|e| e.to_string())?.port());
    seed::seed(&api, DEMO_SHOP, &admin_key, std::slice::from_ref(&shop_origin), None, None)?;

    let path = format!("/v1/shops/{DEMO_SHOP}/products/{BENCH_PRODUCT}/reviews");
    let reviews = format!("{api}{path}");
    // The like-for-like baseline holds the very page Rapport stored, under the same key.
    // The first read of a product's reviews since the Worker started: its code is compiled
    // on this first call.
    let asked = Instant::now();
    let mut answer = ureq::get(&reviews).call().map_err(|e| format!("{reviews}: {e}"))?;
    let first_read_ms = asked.elapsed().as_secs_f64() * 1000.0;
    let etag = answer.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let etag = etag.ok_or("the reviews page has no ETag")?;
    let page = answer.body_mut().read_to_vec().map_err(|e| format!("{reviews}: {e}"))?;
    let key = format!("{DEMO_SHOP}/reviews-page/{BENCH_PRODUCT}");
    ureq::put(&format!("{kv_url}/v1/seed?key={key}"))
        .send(&page[..])
        .map_err(|e| format!("seeding the KV baseline: {e}"))?;
    println!(
        "\nedge: wrk -t1 -c20; for each of Rapport's targets, fresh processes of the three Workers take \
         {SLICES} turns of {SLICE_SECONDS} s each (ratios within the set; the baselines' rows are medians over the sets)"
    );
    // A signed-in shopper's loyalty account: read from their ledger object, not from KV. One
    // shopper on every connection (they queue on one object), and 20 shoppers in turn.
    let loyalty = format!("{api}/v1/shops/{DEMO_SHOP}/loyalty");
    let secret = TokenSecret::parse(&token_secret).map_err(|_| "bench token secret too short")?;
    let token_of = |who: &str| {
        let claims = ShopperClaims {
            sub: CustomerId::parse(who).expect("valid id"),
            shop: shop.clone(),
            name: None,
            email_hash: None,
        };
        mint_shopper_token(&secret, claims, seed::now(), 3600)
    };
    let token = token_of("bench-shopper");
    let shoppers: Vec<String> = (1..=20).map(|n| token_of(&format!("bench-shopper-{n}"))).collect();
    let script = dir.join("shoppers.lua");
    std::fs::write(&script, shoppers_script(&shoppers)).map_err(|e| e.to_string())?;
    // A referral link: counted by the shop's one referral object, then redirected. The bench
    // shopper's page makes their code.
    let page: Value = ureq::get(&format!("{api}/v1/shops/{DEMO_SHOP}/referrals"))
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .map_err(|e| format!("the bench shopper's referral page: {e}"))?
        .body_mut()
        .read_json()
        .map_err(|e| format!("the bench shopper's referral page: {e}"))?;
    let code = page["advocate"]["code"].as_str().ok_or("the referral page has no code")?;
    let link = format!("{api}/r/{DEMO_SHOP}/{code}");
    let auth = format!("Authorization: Bearer {token}");
    let revalidate = format!("If-None-Match: {etag}");
    // The processes, and the targets: the first two are the baselines, in this order.
    let mut servers = [bare, kv, rapport];
    const BARE: usize = 0;
    const KV: usize = 1;
    const OURS: usize = 2;
    let targets: Vec<Target> = vec![
        Target::new("bare Worker", BARE, format!("{bare_url}/")),
        Target::new("KV Worker (like for like)", KV, format!("{kv_url}{path}")),
        Target::new("GET product reviews", OURS, reviews.clone()),
        Target::new("GET product reviews, 304", OURS, reviews.clone()).header(&revalidate),
        Target::new("GET loyalty, 1 shopper", OURS, loyalty.clone()).header(&auth),
        Target::new("GET loyalty, 20 shoppers", OURS, loyalty.clone()).script(&script),
        Target::new("GET referral link (302)", OURS, link),
    ];
    let ticks = ticks_per_second();
    // workerd under `wrangler dev` gets slower as it serves, whatever the Worker, so every set
    // starts its processes afresh; and this machine is shared, so a round measured 20 s after
    // the baseline's compared a neighbour's load as much as the Workers (one run's reviews
    // rounds gave 0.78 to 0.95 of the baseline's). So for each of Rapport's targets the three
    // processes start together, warm up, and take turns in short slices, the order reversed
    // every other slice: a neighbour's load falls on all three alike.
    let mut loads: Vec<Vec<Load>> = targets.iter().map(|_| Vec::new()).collect();
    let mut paired: Vec<Vec<(Load, Load)>> = targets.iter().map(|_| Vec::new()).collect();
    let mut slices: Vec<Vec<Load>> = targets.iter().map(|_| Vec::new()).collect();
    for t in OURS..targets.len() {
        let set = [KV, BARE, t];
        for &i in &set {
            servers[targets[i].server].restart(tools)?;
        }
        for &i in &set {
            wrk(&targets[i], servers[targets[i].server].worker, WARM_UP_SECONDS, ticks)?;
        }
        let mut taken: [Vec<Load>; 3] = Default::default();
        for slice in 0..SLICES {
            for k in 0..set.len() {
                let k = if slice % 2 == 0 { k } else { set.len() - 1 - k };
                let target = &targets[set[k]];
                taken[k].push(wrk(target, servers[target.server].worker, SLICE_SECONDS, ticks)?);
            }
        }
        for (k, &i) in set.iter().enumerate() {
            slices[i].extend_from_slice(&taken[k]);
        }
        let [kv, bare, ours] = taken.map(|s| combined(&s));
        loads[KV].push(kv);
        loads[BARE].push(bare);
        loads[t].push(ours);
        for i in set {
            paired[i].push((kv, bare));
        }
    }
    println!(
        "{:<28} {:>8} {:>8} {:>8} {:>13} {:>13} {:>13} {:>7}",
        "",
        "req/s",
        "p50 ms",
        "p99 ms",
        "rps/p99 ÷ KV",
        "rps/p99 ÷ bare",
        "CPU ms/req ÷KV",
        "errors"
    );
    let mut edge = Map::new();
    for (t, target) in targets.iter().enumerate() {
        let f = summary(&loads[t]);
        let ratio = |of: fn(&Load) -> f64, to: fn(&(Load, Load)) -> Load| {
            let pairs = loads[t].iter().zip(&paired[t]);
            median(&mut pairs.map(|(l, p)| of(l) / of(&to(p))).collect::<Vec<_>>())
        };
        let (kv, bare) = (|p: &(Load, Load)| p.0, |p: &(Load, Load)| p.1);
        let kv_ratio = (ratio(|l| l.rps, kv), ratio(|l| l.p99, kv));
        let bare_ratio = (ratio(|l| l.rps, bare), ratio(|l| l.p99, bare));
        let cpu_ratio = ratio(|l| l.cpu_ms, kv);
        println!(
            "{:<28} {:>8.0} {:>8.1} {:>8.1} {:>6.2} {:>6.2} {:>6.2} {:>6.2} {:>6.3} {cpu_ratio:>6.2} \
             {:>7}",
            target.name, f.rps, f.p50, f.p99, kv_ratio.0, kv_ratio.1, bare_ratio.0, bare_ratio.1,
            f.cpu_ms, f.errors
        );
        let figures = |l: &Load| json!({ "rps": l.rps, "p99_ms": l.p99, "workerd_cpu_ms_per_request": l.cpu_ms });
        let sets: Vec<Value> = loads[t].iter().map(figures).collect();
        let slices: Vec<Value> = slices[t].iter().map(figures).collect();
        edge.insert(
            target.name.into(),
            json!({
                "rps": f.rps, "p50_ms": f.p50, "p99_ms": f.p99,
                "rps_vs_kv": kv_ratio.0, "p99_vs_kv": kv_ratio.1,
                "rps_vs_bare": bare_ratio.0, "p99_vs_bare": bare_ratio.1,
                "workerd_cpu_ms_per_request": f.cpu_ms, "cpu_vs_kv": cpu_ratio,
                "socket_errors": f.errors, "sets": sets, "slices": slices,
            }),
        );
    }
    // Start-up: from starting `wrangler dev` to the Worker's first answer (wrangler's own start
    // included), V8 compiling the Worker's WebAssembly as a new isolate does, and the first
    // reviews read after start-up against the warm median.
    let compile_ms = worker_compile_ms()?;
    println!(
        "{:<52} {start_up_ms:>8.0} ms\n{:<52} {compile_ms:>8.1} ms\n{:<52} {first_read_ms:>8.1} ms \
         (warm p50 under load {:.1} ms)",
        "Worker start-up: wrangler dev to its first answer",
        "Worker start-up: V8 compiling its WebAssembly (median of 5)",
        "first reviews read after start-up",
        summary(&loads[OURS]).p50
    );
    edge.insert("start_up_to_first_answer_ms".into(), json!(start_up_ms));
    edge.insert("webassembly_compile_ms".into(), json!(compile_ms));
    edge.insert("first_reviews_read_ms".into(), json!(first_read_ms));
    report.insert("edge".into(), Value::Object(edge));
    if !pages {
        return Ok(());
    }

    let page = storefront::render(&api, "", "all")?;
    std::thread::spawn(move || storefront::serve(listener, page));
    let out = Command::new("node")
        .arg(root().join("xtask/bench/paint.mjs"))
        .arg(format!("{shop_origin}/"))
        .arg(&api)
        .arg(PAINT_RUNS.to_string())
        .current_dir(root())
        .output()
        .map_err(|e| format!("node: {e}"))?;
    let paint: Value = serde_json::from_slice(&out.stdout)
        .map_err(|_| format!("first-paint run failed: {}", String::from_utf8_lossy(&out.stderr)))?;
    let series = |key: &str| -> Vec<f64> {
        paint[key]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    let (mut widget, mut fcp) = (series("widget"), series("fcp"));
    let mut throttled = series("widget_throttled");
    let (mut first_bytes, mut all_bytes) = (series("first_bytes"), series("all_bytes"));
    let wasm_first = paint["wasm_before_first"].as_bool().unwrap_or(true);
    println!(
        "\ndemo product page, {PAINT_RUNS} cold loads in Chromium (medians; budgets in brackets):\n\
         {:<44} {:>8.0} ms  [150]\n{:<44} {:>8.0} ms  [600]\n{:<44} {:>8.0} ms\n\
         {:<44} {:>8.0} B   [20,000; WebAssembly among them: {}]\n{:<44} {:>8.0} B   [150,000]",
        "first widget content after navigation",
        median(&mut widget),
        "the same, CPU throttled 4x",
        median(&mut throttled),
        "page first contentful paint",
        median(&mut fcp),
        "sent by the Worker before it (brotli)",
        median(&mut first_bytes),
        if wasm_first { "yes" } else { "no" },
        "sent until every widget is live (brotli)",
        median(&mut all_bytes),
    );
    report.insert(
        "first_widget_paint_ms".into(),
        json!({ "median": median(&mut widget), "runs": paint["widget"] }),
    );
    report.insert(
        "first_widget_paint_throttled_4x_ms".into(),
        json!({ "median": median(&mut throttled), "runs": paint["widget_throttled"] }),
    );
    report.insert("page_fcp_ms".into(), json!({ "median": median(&mut fcp) }));
    report.insert(
        "demo_page_bytes_brotli".into(),
        json!({
            "before_first_content": median(&mut first_bytes),
            "webassembly_before_first_content": wasm_first,
            "all_widgets_live": median(&mut all_bytes),
        }),
    );
    lighthouse(&shop_origin, report)?;
    drop(servers);
    Ok(())
}

/// Lighthouse runs per page, alternating with and without the widgets.
const LIGHTHOUSE_RUNS: usize = 3;

/// Lighthouse (mobile preset, simulated throttling) on the demo page and on the same page
/// without the Rapport script: the widgets may add at most 50 ms to each of FCP, LCP and TBT.
fn lighthouse(shop_origin: &str, report: &mut Map<String, Value>) -> Result<()> {
    let bin = crate::setup::bench_packages()?.join("lighthouse");
    let dir = root().join("target/bench/lighthouse");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let pages = [("with widgets", "/"), ("without the script", "/without-rapport.html")];
    let mut runs: Vec<Vec<[f64; 4]>> = vec![Vec::new(), Vec::new()];
    for i in 0..LIGHTHOUSE_RUNS {
        for (p, (_, path)) in pages.iter().enumerate() {
            let out = dir.join(format!("run-{i}-{p}.json"));
            crate::proc::run(
                Command::new(&bin)
                    .arg(format!("{shop_origin}{path}"))
                    .args(["--output=json", "--quiet", "--only-categories=performance"])
                    .arg("--chrome-flags=--headless=new --no-sandbox")
                    .arg(format!("--output-path={}", out.display()))
                    .env("CHROME_PATH", "/usr/bin/chromium"),
            )?;
            let text = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
            let r: Value = serde_json::from_str(&text).map_err(|e| format!("lighthouse: {e}"))?;
            let audit = |k: &str| r["audits"][k]["numericValue"].as_f64().unwrap_or(f64::NAN);
            runs[p].push([
                r["categories"]["performance"]["score"].as_f64().unwrap_or(f64::NAN) * 100.0,
                audit("first-contentful-paint"),
                audit("largest-contentful-paint"),
                audit("total-blocking-time"),
            ]);
        }
    }
    let medians: Vec<[f64; 4]> = runs
        .iter()
        .map(|r| std::array::from_fn(|k| median(&mut r.iter().map(|m| m[k]).collect::<Vec<_>>())))
        .collect();
    println!(
        "
Lighthouse, mobile preset, {LIGHTHOUSE_RUNS} runs each (medians; the widgets may add 50 ms to each of FCP, LCP, TBT):"
    );
    println!("{:<32} {:>8} {:>10} {:>10} {:>10}", "", "score", "FCP ms", "LCP ms", "TBT ms");
    for ((label, _), m) in pages.iter().zip(&medians) {
        println!("{label:<32} {:>8.0} {:>10.0} {:>10.0} {:>10.0}", m[0], m[1], m[2], m[3]);
    }
    let (with, without) = (medians[0], medians[1]);
    println!(
        "{:<32} {:>8} {:>10.0} {:>10.0} {:>10.0}",
        "added by the widgets",
        "",
        with[1] - without[1],
        with[2] - without[2],
        with[3] - without[3]
    );
    let entry =
        |m: [f64; 4]| json!({ "score": m[0], "fcp_ms": m[1], "lcp_ms": m[2], "tbt_ms": m[3] });
    report.insert(
        "lighthouse".into(),
        json!({ "with_widgets": entry(with), "without_script": entry(without) }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_cpu_time_is_read_from_proc() {
        let pid = std::process::id();
        let before = cpu_ticks(pid).unwrap();
        // Busy until a tick more is counted (one is 10 ms of CPU), however loaded the machine.
        let started = Instant::now();
        let mut x = 0u64;
        while cpu_ticks(pid).unwrap() == before && started.elapsed().as_secs() < 10 {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
        }
        assert!(cpu_ticks(pid).unwrap() > before);
        assert!(ticks_per_second() >= 100.0);
        // A child is found as ours; it runs no workerd.
        let child = crate::proc::Guard(Command::new("sleep").arg("30").spawn().unwrap());
        assert_eq!(stat_fields(child.0.id()).unwrap()[1], pid.to_string());
        assert!(worker_process(&child).unwrap_err().contains("no workerd"));
    }

    #[test]
    fn a_page_fetches_its_widgets_parts_and_what_they_share() {
        use super::fetched_with;
        assert!(fetched_with("split_reviews.wasm", &["reviews"]));
        assert!(!fetched_with("split_review_form.wasm", &["reviews"]));
        assert!(fetched_with("shared_loyalty-reviews.wasm", &["reviews"]));
        assert!(fetched_with("shared_loyalty-reviews.wasm", &["loyalty", "referral"]));
        assert!(!fetched_with("shared_loyalty-reviews.wasm", &["referral"]));
        assert!(fetched_with("widgets_bg.wasm", &["referral"]));
        assert!(fetched_with("__wasm_split.js", &["referral"]));
    }
}
