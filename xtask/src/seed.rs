//! Loads the demo shop (settings and loyalty programme, catalog, reviews, and with the shop's
//! generic webhook secret its order history) into a running Worker, through the admin API and
//! signed order webhooks, exactly as a merchant's import and store would. Used by
//! `cargo xtask demo` and the browser tests.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::{root, Args, Result};

pub fn run(args: &Args) -> Result<()> {
    seed(
        &args.required("api")?,
        &args.required("shop")?,
        &args.required("admin-key")?,
        &args.values("origin"),
        args.value("webhook-secret").as_deref(),
    )
}

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn send(agent: &ureq::Agent, method: &str, url: &str, admin_key: &str, body: &Value) -> Result<()> {
    let auth = format!("Bearer {admin_key}");
    let req = match method {
        "PUT" => agent.put(url),
        _ => agent.post(url),
    };
    let mut resp = req
        .header("authorization", &auth)
        .send_json(body)
        .map_err(|e| format!("{method} {url}: {e}"))?;
    let status = resp.status();
    if status.is_success() {
        Ok(())
    } else {
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        Err(format!("{method} {url}: {status} {text}"))
    }
}

/// Seeds `shop` at `api` from `xtask/demo/seed.json`; `origins` are the storefronts allowed to
/// call the shopper API. Review dates are relative to now, so the demo never looks stale.
pub fn seed(
    api: &str,
    shop: &str,
    admin_key: &str,
    origins: &[String],
    webhook_secret: Option<&str>,
) -> Result<()> {
    let path = root().join("xtask/demo/seed.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut data: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into();
    let base = format!("{}/v1/admin/shops/{shop}", api.trim_end_matches('/'));

    data["settings"]["allowed_origins"] = json!(origins);
    send(&agent, "PUT", &base, admin_key, &data["settings"])?;
    send(
        &agent,
        "PUT",
        &format!("{base}/products"),
        admin_key,
        &json!({ "products": data["products"] }),
    )?;

    let now = now();
    let reviews: Vec<Value> = data["reviews"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut r| {
            let days = r["days_ago"].as_i64().unwrap_or(0);
            // A few hours' offset, so reviews from the same day are not all at midnight.
            r["created_at"] = json!(now - days * 86_400 - (days % 7) * 3_600);
            r.as_object_mut().map(|o| o.remove("days_ago"));
            r
        })
        .collect();
    send(&agent, "POST", &format!("{base}/reviews"), admin_key, &json!({ "reviews": reviews }))?;
    // The demo shopper bought these, so their reviews of them are verified.
    send(
        &agent,
        "PUT",
        &format!("{base}/purchases"),
        admin_key,
        &json!({ "purchases": data["purchases"] }),
    )?;
    // Their paid orders, as the store's webhook sends them: points in the loyalty ledger.
    if let Some(secret) = webhook_secret {
        let url = format!("{}/v1/webhooks/{shop}/generic", api.trim_end_matches('/'));
        for order in data["orders"].as_array().cloned().unwrap_or_default() {
            let days = order["days_ago"].as_i64().unwrap_or(0);
            let mut order = order;
            order["updated_at"] = json!(rapport_shared::time::iso_date(now - days * 86_400));
            order.as_object_mut().map(|o| o.remove("days_ago"));
            let body = json!({ "type": "order", "order": order }).to_string();
            let signature = rapport_shared::webhooks::sign(secret.as_bytes(), body.as_bytes());
            let mut resp = agent
                .post(&url)
                .header("content-type", "application/json")
                .header("x-rapport-signature", &signature)
                .send(&body)
                .map_err(|e| format!("POST {url}: {e}"))?;
            if !resp.status().is_success() {
                let text = resp.body_mut().read_to_string().unwrap_or_default();
                return Err(format!("POST {url}: {} {text}", resp.status()));
            }
        }
    }
    Ok(())
}
