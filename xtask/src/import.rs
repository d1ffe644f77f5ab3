//! `cargo xtask import`: sends a shop's history (generic-format JSON lines: orders, refunds,
//! products; or a `.csv` file of orders, refunds or the catalog) to a running Worker in parts,
//! printing progress. Interrupted, it resumes from the line the shop recorded last. A CSV part
//! repeats the header row; its lines are the data rows, which may span several physical lines.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Args, Result};

/// Lines per part: the Worker takes at most this many per request.
const PART: usize = 500;

/// Failed sends in a row before the import gives up.
const RETRIES: u32 = 5;

/// Why a request did not give an answer to go on with.
enum Failure {
    /// The Worker refused it (4xx): sending it again would not help.
    Refused(String),
    /// The connection dropped or the Worker failed (5xx): worth trying again.
    Transient(String),
}

impl Failure {
    fn into_message(self) -> String {
        match self {
            Failure::Refused(m) | Failure::Transient(m) => m,
        }
    }
}

pub fn run(args: &Args) -> Result<()> {
    let api = args.required("api")?;
    let shop = args.required("shop")?;
    let key = args.required("admin-key")?;
    let file = args.required("file")?;
    let name = args.value("import").unwrap_or_else(|| "history".into());
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
    let csv = file.to_ascii_lowercase().ends_with(".csv");
    let (header, lines) =
        if csv { csv_rows(&text)? } else { (None, text.lines().map(str::to_owned).collect()) };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(120)))
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}/v1/admin/shops/{shop}/imports?import={name}", api.trim_end_matches('/'));
    let auth = format!("Bearer {key}");
    // A refusal (4xx) stops the import; a dropped connection or a 5xx is retried, from the line
    // the shop recorded last, since a part is taken whole or not at all.
    let read =
        |resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>| -> Result<Value, Failure> {
            let mut resp = resp.map_err(|e| Failure::Transient(e.to_string()))?;
            let status = resp.status();
            let text =
                resp.body_mut().read_to_string().map_err(|e| Failure::Transient(e.to_string()))?;
            let parsed: Option<Value> = serde_json::from_str(&text).ok();
            match parsed {
                Some(body) if status.is_success() => Ok(body),
                _ => {
                    let start: String = text.chars().take(300).collect();
                    let what = match parsed {
                        Some(body) => format!("{status}: {body}"),
                        None => format!("{status}, not a JSON answer: {start}"),
                    };
                    Err(if status.is_server_error() || status.is_success() {
                        Failure::Transient(what)
                    } else {
                        Failure::Refused(what)
                    })
                }
            }
        };
    let progress = || read(agent.get(&url).header("authorization", &auth).call());
    let mut next =
        progress().map_err(Failure::into_message)?["next_line"].as_u64().unwrap_or(0) as usize;
    if next > 0 {
        println!("xtask import: resuming {name:?} at line {}", next + 1);
    }
    let started = Instant::now();
    let (mut taken, mut refused, mut failures) = (0u64, 0u64, 0u32);
    while next < lines.len() {
        let end = (next + PART).min(lines.len());
        let mut body = header.clone().map(|h| h + "\n").unwrap_or_default();
        body.push_str(&lines[next..end].join("\n"));
        let kind = if csv { "text/csv" } else { "application/x-ndjson" };
        let sent = read(
            agent
                .post(&format!("{url}&from={next}"))
                .header("authorization", &auth)
                .header("content-type", kind)
                .send(body.as_bytes()),
        );
        let part = match sent {
            Ok(part) => part,
            Err(Failure::Transient(why)) if failures < RETRIES => {
                failures += 1;
                eprintln!("xtask import: {why}; trying again");
                std::thread::sleep(Duration::from_secs(u64::from(failures)));
                match progress() {
                    Ok(p) => next = p["next_line"].as_u64().unwrap_or(next as u64) as usize,
                    Err(e) => eprintln!("xtask import: {}", e.into_message()),
                }
                continue;
            }
            Err(e) => return Err(e.into_message()),
        };
        failures = 0;
        taken += part["taken"].as_u64().unwrap_or(0);
        let refusals = part["refused"].as_array().cloned().unwrap_or_default();
        refused += refusals.len() as u64;
        for r in refusals.iter().take(3) {
            eprintln!("  line {}: {}", r["line"], r["reason"].as_str().unwrap_or(""));
        }
        next = part["next_line"].as_u64().unwrap_or(end as u64) as usize;
        let rate = next as f64 / started.elapsed().as_secs_f64().max(0.001);
        println!(
            "xtask import: {next}/{} lines, {taken} taken, {refused} refused, {rate:.0} lines/s",
            lines.len()
        );
    }
    println!("xtask import: done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// A CSV file's header and its data rows, each as the text it has in the file (a quoted field
/// may hold line breaks, so a row can be several lines).
fn csv_rows(text: &str) -> Result<(Option<String>, Vec<String>)> {
    let records = rapport_shared::csv::parse(text).map_err(|e| format!("CSV {e}"))?;
    let physical: Vec<&str> = text.lines().collect();
    let starts: Vec<usize> = records.iter().map(|(line, _)| line - 1).collect();
    let Some(&first_row) = starts.get(1) else {
        return Ok((Some(physical.first().copied().unwrap_or("").to_owned()), Vec::new()));
    };
    let header = physical[..first_row].join("\n");
    let rows = starts[1..]
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = starts.get(i + 2).copied().unwrap_or(physical.len());
            physical[start..end].join("\n")
        })
        .collect();
    Ok((Some(header), rows))
}
