//! Loads the demo shop (settings with the loyalty and referral programmes, catalog, reviews, and
//! with the shop's generic webhook secret its order history) into a running Worker, through the
//! admin API and signed order webhooks, exactly as a merchant's import and store would. With the
//! shop's token secret too, the demo shopper also gets a referral story told through the public
//! API: their page opened, their link visited, two friends' claims and one friend's order.
//! Used by `cargo xtask demo` and the browser tests.

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
        args.value("token-secret").as_deref(),
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
    token_secret: Option<&str>,
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
    // Referral links lead to the storefront, which must be one of the shop's origins.
    match origins.first() {
        Some(origin) => {
            data["settings"]["referral"]["landing_url"] = json!(format!("{origin}/"));
        }
        None => {
            data["settings"].as_object_mut().map(|s| s.remove("referral"));
        }
    }
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
    // Their paid orders, as the store's webhook sends them: points in the loyalty ledger; and
    // other shoppers' orders, what the shop's recommendations learn from.
    if let Some(secret) = webhook_secret {
        let orders = data["orders"].as_array().cloned().unwrap_or_default();
        let others = data["shop_orders"].as_array().cloned().unwrap_or_default();
        for order in orders.into_iter().chain(others) {
            deliver(&agent, api, shop, secret, order, now)?;
        }
    }
    // Anonymous browsing sessions, as the loader's consented product-view beacons send them.
    let sessions = data["sessions"].as_array().cloned().unwrap_or_default();
    for (n, views) in sessions.into_iter().enumerate() {
        let url = format!("{}/v1/shops/{shop}/events", api.trim_end_matches('/'));
        let body = json!({ "session": format!("demo-session-{n:06}"), "views": views }).to_string();
        let resp = agent
            .post(&url)
            .header("content-type", "text/plain;charset=UTF-8")
            .send(body)
            .map_err(|e| format!("POST {url}: {e}"))?;
        if resp.status() != 204 {
            return Err(format!("POST {url}: {}", resp.status()));
        }
    }
    if let (Some(webhook), Some(token), Some(_)) = (webhook_secret, token_secret, origins.first()) {
        referrals(&agent, api, shop, webhook, token, &data["referrals"], now)?;
    }
    // The lists the Cron Trigger would build within the hour, built now.
    send(&agent, "POST", &format!("{base}/recommendations/build"), admin_key, &json!({}))?;
    Ok(())
}

/// Delivers one order of the seed as a signed generic webhook, dated `days_ago` before `now`.
fn deliver(
    agent: &ureq::Agent,
    api: &str,
    shop: &str,
    secret: &str,
    mut order: Value,
    now: i64,
) -> Result<()> {
    let url = format!("{}/v1/webhooks/{shop}/generic", api.trim_end_matches('/'));
    let days = order["days_ago"].as_i64().unwrap_or(0);
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
    Ok(())
}

/// The demo shopper's referral story, through the same public endpoints shoppers use: the
/// advocate opens their page (which makes their code) and lets friends see their first name, the
/// link is visited from a few network addresses, friends claim their offer, and one friend's
/// first order, with the claimed code on it, arrives by webhook.
fn referrals(
    agent: &ureq::Agent,
    api: &str,
    shop: &str,
    webhook_secret: &str,
    token_secret: &str,
    story: &Value,
    now: i64,
) -> Result<()> {
    use rapport_shared::identity::{mint_shopper_token, ShopperClaims};
    use rapport_shared::ids::{CustomerId, ShopId};
    use rapport_shared::secrets::{email_hash, TokenSecret};

    let api = api.trim_end_matches('/');
    let base = format!("{api}/v1/shops/{shop}/referrals");
    let secret = TokenSecret::parse(token_secret).map_err(|_| "the token secret is too short")?;
    let who = &story["advocate"];
    let claims = ShopperClaims {
        sub: CustomerId::parse(who["customer"].as_str().unwrap_or_default())
            .map_err(|e| format!("seed advocate: {e}"))?,
        shop: ShopId::parse(shop).map_err(|e| format!("--shop {e}"))?,
        name: who["name"].as_str().map(str::to_owned),
        email_hash: who["email"].as_str().map(|e| email_hash(&secret, e)),
    };
    let bearer = format!("Bearer {}", mint_shopper_token(&secret, claims, now, 600));
    let check = |what: &str,
                 resp: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>|
     -> Result<Value> {
        let mut resp = resp.map_err(|e| format!("{what}: {e}"))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        if !(200..400).contains(&status) {
            return Err(format!("{what}: {status} {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    };
    let page =
        check("the advocate's page", agent.get(&base).header("authorization", &bearer).call())?;
    let code =
        page["advocate"]["code"].as_str().ok_or("the advocate's page has no code")?.to_owned();
    check(
        "the advocate's preferences",
        agent
            .post(&format!("{base}/preferences"))
            .header("authorization", &bearer)
            .send_json(json!({ "show_name": true })),
    )?;
    // Visits by the link are answered with a redirect, which is not followed here.
    let no_redirects: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    for network in story["visits"].as_array().cloned().unwrap_or_default() {
        let url = format!("{api}/r/{shop}/{code}");
        let ip = network.as_str().unwrap_or_default();
        check("a visit by the link", no_redirects.get(&url).header("cf-connecting-ip", ip).call())?;
    }
    for friend in story["friends"].as_array().cloned().unwrap_or_default() {
        let body =
            json!({ "code": code, "email": friend["email"], "first_name": friend["first_name"] });
        let ip = friend["network"].as_str().unwrap_or_default();
        let claimed = check(
            "a friend's claim",
            agent.post(&format!("{base}/claims")).header("cf-connecting-ip", ip).send_json(body),
        )?;
        if let Some(order) = friend.get("order").cloned() {
            let mut order = order;
            order["email"] = friend["email"].clone();
            order["discount_codes"] = json!([claimed["discount_code"]]);
            deliver(agent, api, shop, webhook_secret, order, now)?;
        }
    }
    Ok(())
}
