//! Bulk import of a shop's history: orders, refunds and products in the generic format, one JSON
//! document per line, or as CSV (`content-type: text/csv`; each part repeats the header row, and
//! its "lines" are the data rows after it). A client sends a large file in parts; each part says
//! which line it starts at, and the shop keeps, per import name, the line after the last one taken, so an interrupted
//! import resumes where it stopped (`GET` returns it) and a part sent twice changes nothing
//! (orders fold idempotently in their objects).

use futures_util::future::join_all;
use rapport_shared::ids::ShopId;
use rapport_shared::orders::{generic, OrderError};
use rapport_shared::reviews::import::Refusal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Env, Request, Response};

use super::webhooks::take_generic;
use crate::error::ApiError;
use crate::http::{client_key, json, query, read_text};
use crate::store::Store;

/// Lines per request: each order is one call to its object.
const MAX_LINES: usize = 500;
/// Order objects called at once.
const CONCURRENCY: usize = 25;
const PART_LIMIT: usize = 2 * 1024 * 1024;

#[derive(Serialize, Deserialize, Default)]
struct Progress {
    /// The first line not yet taken (0-based).
    next_line: u64,
    taken: u64,
    refused: u64,
}

fn progress_key(shop: &ShopId, name: &str) -> String {
    format!("{shop}/import/{name}")
}

fn import_name(req: &Request) -> Result<(String, Option<u64>), ApiError> {
    let params = query(req)?;
    let name = params.get("import").cloned().unwrap_or_default();
    client_key("import", &name)?;
    let from = match params.get("from") {
        None => None,
        Some(f) => Some(
            f.parse()
                .map_err(|_| ApiError::bad_request("invalid_field", "`from` is a line number"))?,
        ),
    };
    Ok((name, from))
}

/// Imports listed on the merchant page.
const IMPORTS_SHOWN: usize = 10;

/// The shop's imports by name, with how far each has come (at most [`IMPORTS_SHOWN`]).
pub async fn imports(env: &Env, shop: &ShopId) -> Result<Vec<(String, u64, u64, u64)>, ApiError> {
    let store = Store::open(env)?;
    let prefix = progress_key(shop, "");
    let mut out = Vec::new();
    let (names, _) = store.keys_page(&prefix, None, IMPORTS_SHOWN as u64).await?;
    for key in names {
        let p: Progress = store.get_json(&key).await?.unwrap_or_default();
        out.push((key[prefix.len()..].to_owned(), p.next_line, p.taken, p.refused));
    }
    Ok(out)
}

/// `GET /v1/admin/shops/{shop}/imports?import=NAME`: how far an import has come.
pub async fn progress(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (name, _) = import_name(req)?;
    let store = Store::open(env)?;
    store.existing_shop(shop).await?;
    let progress: Progress = store.get_json(&progress_key(shop, &name)).await?.unwrap_or_default();
    Ok(json(&progress, 200)?)
}

/// `POST /v1/admin/shops/{shop}/imports?import=NAME&from=LINE`: one part of an import.
pub async fn part(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (name, from) = import_name(&req)?;
    let from = from.ok_or_else(|| {
        ApiError::bad_request("invalid_field", "`from` (the part's first line) is required")
    })?;
    let store = Store::open(env)?;
    let settings = store.existing_shop(shop).await?;
    // Read the whole part before answering, even to refuse it: the runtime does not let a
    // response go out over a request body left unread.
    let csv = req
        .headers()
        .get("content-type")?
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("text/csv"));
    let text = read_text(&mut req, PART_LIMIT).await?;
    let key = progress_key(shop, &name);
    let mut progress: Progress = store.get_json(&key).await?.unwrap_or_default();
    if from != progress.next_line {
        return Err(ApiError::Conflict {
            code: "out_of_sequence",
            message: format!("this import continues at line {}", progress.next_line),
        });
    }
    // Each line (or data row) numbered from 1 in the part, and what it holds.
    let read: Vec<(usize, Option<Result<generic::Delivery, OrderError>>)> = if csv {
        generic::csv_deliveries(&text)
            .map_err(|e| ApiError::bad_request("invalid_csv", e.0))?
            .into_iter()
            .map(|(n, d)| (n, Some(d)))
            .collect()
    } else {
        let parse = |l: &str| (!l.trim().is_empty()).then(|| generic::delivery(l.as_bytes()));
        text.lines().enumerate().map(|(i, l)| (i + 1, parse(l))).collect()
    };
    let count = read.last().map_or(0, |(n, _)| *n);
    if count > MAX_LINES {
        return Err(ApiError::bad_request(
            "batch_too_large",
            format!("send at most {MAX_LINES} lines per part"),
        ));
    }

    let mut refused = Vec::new();
    let mut work = Vec::new();
    for (n, delivery) in read {
        let number = usize::try_from(from).unwrap_or(usize::MAX).saturating_add(n);
        match delivery {
            None => {}
            Some(Ok(d)) => work.push((number, d)),
            Some(Err(e)) => refused.push(Refusal { line: number, reason: e.0 }),
        }
    }
    let mut taken = 0u64;
    for chunk in work.chunks(CONCURRENCY) {
        let (store, settings) = (&store, &settings);
        let results = join_all(chunk.iter().map(|(number, delivery)| async move {
            (*number, take_generic(env, store, settings, shop, delivery.clone()).await)
        }))
        .await;
        for (number, result) in results {
            match result {
                Ok(()) => taken += 1,
                Err(ApiError::Internal(detail)) => return Err(ApiError::Internal(detail)),
                Err(e) => refused.push(Refusal {
                    line: number,
                    reason: e.describe()["message"].as_str().unwrap_or("").to_owned(),
                }),
            }
        }
    }
    refused.sort_by_key(|r| r.line);
    progress.next_line = from.saturating_add(count as u64);
    progress.taken += taken;
    progress.refused += refused.len() as u64;
    store.put_json(&key, &progress).await?;
    Ok(json(&json!({ "taken": taken, "refused": refused, "next_line": progress.next_line }), 200)?)
}
