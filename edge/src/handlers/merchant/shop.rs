//! The shop page: settings, the webhook addresses with recent refused deliveries, imports, a
//! customer's data (export, erasure) and erasing the shop.

use super::*;
use crate::handlers::{admin, customers, import, webhooks};

/// The settings form's values, as typed (kept when something is wrong).
struct SettingsForm {
    name: String,
    currency: String,
    locale: String,
    origins: String,
    sign_in_url: String,
    moderation: String,
}

impl SettingsForm {
    fn of(s: &ShopSettings) -> Self {
        Self {
            name: s.name.clone(),
            currency: s.currency.as_str().to_owned(),
            locale: s.locale.clone(),
            origins: s.allowed_origins.iter().map(Origin::as_str).collect::<Vec<_>>().join("\n"),
            sign_in_url: s.sign_in_url.clone().unwrap_or_default(),
            moderation: moderation_name(s.moderation).to_owned(),
        }
    }

    fn read(form: &[(String, String)]) -> Self {
        let f = |n| field(form, n).unwrap_or_default().to_owned();
        Self {
            name: f("name"),
            currency: f("currency"),
            locale: f("locale"),
            origins: f("allowed_origins"),
            sign_in_url: f("sign_in_url"),
            moderation: f("moderation"),
        }
    }

    /// The settings these values make, over `current` (the programmes stay as they are), or
    /// every problem by field.
    fn apply(&self, current: &ShopSettings) -> Result<ShopSettings, Vec<FieldError>> {
        let mut problems = Vec::new();
        let currency = self.currency.trim().to_ascii_uppercase().try_into();
        let currency = currency.map_err(|e| problems.push(e)).ok();
        let mut origins = Vec::new();
        for line in self.origins.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match Origin::try_from(line.trim_end_matches('/').to_owned()) {
                Ok(o) => origins.push(o),
                Err(e) => problems.push(e),
            }
        }
        let moderation = match self.moderation.as_str() {
            "publish_all" => Some(ModerationRule::PublishAll),
            "publish_verified" => Some(ModerationRule::PublishVerified),
            "hold_all" => Some(ModerationRule::HoldAll),
            _ => {
                problems.push(FieldError::new("moderation", "choose one of the rules"));
                None
            }
        };
        let sign_in = self.sign_in_url.trim();
        let candidate = ShopSettings {
            name: self.name.clone(),
            currency: currency.unwrap_or_else(|| current.currency.clone()),
            locale: self.locale.trim().to_owned(),
            allowed_origins: origins,
            sign_in_url: (!sign_in.is_empty()).then(|| sign_in.to_owned()),
            moderation: moderation.unwrap_or(current.moderation),
            loyalty: current.loyalty.clone(),
            referral: current.referral.clone(),
            strings: current.strings.clone(),
            follow_ups: current.follow_ups.clone(),
        };
        // The remaining rules are the API's own, one field at a time.
        let mut checked = candidate.clone();
        for _ in 0..4 {
            match checked.clone().validate() {
                Ok(valid) if problems.is_empty() => return Ok(valid),
                Ok(_) => break,
                Err(e) => {
                    let field = e.field.clone();
                    problems.push(e);
                    match field.as_str() {
                        "name" => checked.name = current.name.clone(),
                        "locale" => checked.locale = current.locale.clone(),
                        "sign_in_url" => checked.sign_in_url = current.sign_in_url.clone(),
                        "allowed_origins" => {
                            checked.allowed_origins = current.allowed_origins.clone()
                        }
                        _ => break,
                    }
                }
            }
        }
        Err(problems)
    }
}

fn moderation_name(m: ModerationRule) -> &'static str {
    match m {
        ModerationRule::PublishAll => "publish_all",
        ModerationRule::PublishVerified => "publish_verified",
        ModerationRule::HoldAll => "hold_all",
    }
}

fn shop_page(
    me: &SignedIn,
    api: &str,
    values: &SettingsForm,
    problems: &[FieldError],
    done: Option<&str>,
    extras: &str,
) -> String {
    let shop = me.shop.as_str();
    let mut body = String::from("<h1>Shop</h1>");
    if let Some(done) = done {
        let _ = write!(body, "<p class=\"notice\" role=\"status\">{}</p>", esc(done));
    }
    if !problems.is_empty() {
        body.push_str(&unsaved(problems));
    }
    let input = |name: &str, label: &str, kind: &str, value: &str, hint: &str| {
        input(name, label, kind, value, hint, problems)
    };
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/admin/{shop}/shop\">{}<fieldset><legend>Settings</legend>{}{}{}{}{}\
         <div class=\"field\"><label for=\"moderation\">New reviews from shoppers</label><br>\
         <select id=\"moderation\" name=\"moderation\">{}</select></div>\
         <button type=\"submit\">Save settings</button></fieldset></form>",
        csrf_field(&me.csrf),
        input("name", "Shop name", "text", &values.name, ""),
        input("currency", "Currency", "text", &values.currency, "ISO 4217, such as EUR"),
        input("locale", "Locale", "text", &values.locale, "BCP 47, such as en-US or de-DE"),
        input("allowed_origins", "Storefront origins", "textarea", &values.origins, "one per line, such as https://shop.example"),
        input("sign_in_url", "Sign-in page", "url", &values.sign_in_url, "where a signed-out shopper signs in"),
        options(
            &[
                ("publish_all", "Publish every review at once"),
                ("publish_verified", "Publish verified buyers at once; hold the others for me"),
                ("hold_all", "Hold every review for me"),
            ],
            &values.moderation
        ),
    );
    let hooks = |platform: &str| format!("{api}/v1/webhooks/{shop}/{platform}");
    let _ = write!(
        body,
        "<h2>Webhooks</h2><table><caption>Where your platform sends orders and products</caption>\
         <thead><tr><th scope=\"col\">Platform</th><th scope=\"col\">Address</th><th scope=\"col\">Setup</th></tr></thead><tbody>\
         <tr><th scope=\"row\">Shopify</th><td><code>{}</code></td><td>Settings → Notifications → Webhooks: \
         add <code>orders/create</code>, <code>orders/updated</code>, <code>orders/paid</code>, <code>orders/cancelled</code>, \
         <code>refunds/create</code> and <code>products/create</code>, <code>products/update</code>, <code>products/delete</code> \
         in JSON; put the signing secret shown there in <code>SHOPIFY_WEBHOOK_SECRET_{}</code>.</td></tr>\
         <tr><th scope=\"row\">WooCommerce</th><td><code>{}</code></td><td>WooCommerce → Settings → Advanced → Webhooks: \
         add <code>Order created</code> and <code>Order updated</code> with a secret, and put it in \
         <code>WOOCOMMERCE_WEBHOOK_SECRET_{}</code>.</td></tr>\
         <tr><th scope=\"row\">Your own store</th><td><code>{}</code></td><td>Rapport's format, signed with \
         <code>GENERIC_WEBHOOK_SECRET_{}</code> (see the README).</td></tr></tbody></table>",
        esc(&hooks("shopify")),
        esc(&env_suffix(&me.shop)),
        esc(&hooks("woocommerce")),
        esc(&env_suffix(&me.shop)),
        esc(&hooks("generic")),
        esc(&env_suffix(&me.shop)),
    );
    body.push_str(extras);
    document("Shop", Some((me, Section::Shop)), &body)
}

/// `GET /admin/{shop}/shop`: the settings and the webhook addresses.
pub async fn shop(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (me, cookie) = match page_session(req, env, shop).await? {
        Ok(s) => s,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let settings = Store::open(env)?.existing_shop(shop).await?;
    let done = query(req)?.get("done").cloned().filter(|d| !d.is_empty());
    let extras = extras(env, &me).await?;
    let html = shop_page(
        &me,
        &own_origin(req),
        &SettingsForm::of(&settings),
        &[],
        done.as_deref(),
        &extras,
    );
    with_cookie(page(200, html)?, cookie)
}

/// `POST /admin/{shop}/shop`: saves the settings, or shows each problem beside its field and
/// saves nothing.
pub async fn save_shop(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (form, me) = write_form(&mut req, env, shop).await?;
    let store = Store::open(env)?;
    let current = store.existing_shop(shop).await?;
    let values = SettingsForm::read(&form);
    match values.apply(&current) {
        Ok(settings) => {
            store.put_settings(shop, &settings).await?;
            crate::handlers::referrals::register(env, shop, Some(&settings)).await?;
            redirect(&format!("/admin/{shop}/shop?done={}", enc("Settings saved.")), None)
        }
        Err(problems) => {
            let extras = extras(env, &me).await?;
            page(400, shop_page(&me, &own_origin(&req), &values, &problems, None, &extras))
        }
    }
}

/// The page's sections after the settings: refused deliveries, imports, a customer's data and
/// erasing the shop.
async fn extras(env: &Env, me: &SignedIn) -> Result<String, ApiError> {
    let shop = &me.shop;
    let mut html = String::from("<h2>Recent refused deliveries</h2>");
    let failures = webhooks::recent_failures(env, shop).await?;
    if failures.is_empty() {
        html.push_str("<p>None in the last seven days.</p>");
    } else {
        let rows: String = failures
            .iter()
            .map(|f| {
                let text = |k: &str| esc(f[k].as_str().unwrap_or("–"));
                format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    f["at"].as_i64().map(iso_date).unwrap_or_default(),
                    text("platform"),
                    text("topic"),
                    f["status"],
                    text("error"),
                )
            })
            .collect();
        let _ = write!(
            html,
            "<table id=\"failures\"><caption>Deliveries refused in the last seven days, newest first</caption>\
             <thead><tr><th scope=\"col\">Date</th><th scope=\"col\">Platform</th><th scope=\"col\">Topic</th>\
             <th scope=\"col\">Status</th><th scope=\"col\">Why</th></tr></thead><tbody>{rows}</tbody></table>"
        );
    }
    html.push_str("<h2>Imports</h2>");
    let imports = import::imports(env, shop).await?;
    if imports.is_empty() {
        html.push_str(
            "<p>No imports yet: <code>cargo xtask import</code> sends a shop's order history in parts.</p>",
        );
    } else {
        let rows: String = imports
            .iter()
            .map(|(name, next, taken, refused)| {
                format!("<tr><th scope=\"row\">{}</th><td>{next}</td><td>{taken}</td><td>{refused}</td></tr>", esc(name))
            })
            .collect();
        let _ = write!(
            html,
            "<table id=\"imports\"><caption>Imports, and how far each has come</caption><thead><tr>\
             <th scope=\"col\">Import</th><th scope=\"col\">Lines read</th><th scope=\"col\">Taken</th>\
             <th scope=\"col\">Refused</th></tr></thead><tbody>{rows}</tbody></table>"
        );
    }
    let _ = write!(
        html,
        "<h2>A customer's data</h2>\
         <form method=\"get\" action=\"/admin/{shop}/customer-data\" class=\"filters\">\
         <div class=\"field\"><label for=\"export-customer\">Customer id</label><br>\
         <input type=\"text\" id=\"export-customer\" name=\"customer\" required></div>\
         <button type=\"submit\" class=\"quiet\">Download everything stored about them</button></form>\
         <form method=\"post\" action=\"/admin/{shop}/customers/erase\">{csrf}<fieldset><legend>Erase a customer</legend>\
         <p>Their reviews stay, without their name; their orders are unlinked; their points, codes and \
         referral link are removed.</p>\
         <div class=\"field\"><label for=\"erase-customer\">Customer id</label><br>\
         <input type=\"text\" id=\"erase-customer\" name=\"customer\" required></div>\
         <div class=\"field\"><label for=\"erase-confirm\">Type the customer id again</label><br>\
         <input type=\"text\" id=\"erase-confirm\" name=\"confirm\" required autocomplete=\"off\"></div>\
         <button type=\"submit\" class=\"danger\">Erase the customer</button></fieldset></form>\
         <h2>Erase the shop</h2>\
         <form method=\"post\" action=\"/admin/{shop}/erase\">{csrf}<fieldset><legend>Erase everything</legend>\
         <p>Every review, order, ledger, code, referral and list of this shop is removed, for good. \
         Remove the Worker's secrets for the shop afterwards.</p>\
         <div class=\"field\"><label for=\"erase-shop\">Type <code>{shop}</code> to confirm</label><br>\
         <input type=\"text\" id=\"erase-shop\" name=\"confirm\" required autocomplete=\"off\"></div>\
         <button type=\"submit\" class=\"danger\">Erase the shop</button></fieldset></form>",
        csrf = csrf_field(&me.csrf),
    );
    Ok(html)
}

/// `GET /admin/{shop}/customer-data?customer=ID`: everything stored about the customer, as a
/// JSON file.
pub async fn customer_data(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    session(req, env, shop).await?;
    let q = query(req)?;
    let raw = q.get("customer").map_or("", |c| c.trim());
    let customer = rapport_shared::ids::CustomerId::parse(raw)
        .map_err(|e| ApiError::invalid_id("customer", e))?;
    let mut resp = customers::export(env, shop, &customer, None).await?;
    resp.headers_mut().set(
        "content-disposition",
        &format!("attachment; filename=\"{shop}-customer-{customer}.json\""),
    )?;
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
}

/// `POST /admin/{shop}/customers/erase` (`customer`, `confirm` the same id).
pub async fn erase_customer(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
) -> Result<Response, ApiError> {
    let (form, _) = write_form(&mut req, env, shop).await?;
    let raw = field(&form, "customer").unwrap_or_default().trim();
    if field(&form, "confirm").unwrap_or_default().trim() != raw {
        return Err(ApiError::bad_request(
            "confirmation_mismatch",
            "type the customer id twice, the same both times",
        ));
    }
    let customer = rapport_shared::ids::CustomerId::parse(raw)
        .map_err(|e| ApiError::invalid_id("customer", e))?;
    let done = customers::forget(env, shop, &customer).await?;
    let summary = format!(
        "Erased {customer}: {} reviews anonymised, {} orders unlinked.",
        done["reviews_anonymised"], done["orders_unlinked"]
    );
    redirect(&format!("/admin/{shop}/shop?done={}", enc(&summary)), None)
}

/// `POST /admin/{shop}/erase` (`confirm` the shop id): erases the shop and ends the session.
pub async fn erase_shop(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (form, _) = write_form(&mut req, env, shop).await?;
    if field(&form, "confirm").unwrap_or_default().trim() != shop.as_str() {
        return Err(ApiError::bad_request(
            "confirmation_mismatch",
            "type the shop id exactly to erase the shop",
        ));
    }
    admin::erase_shop(env, shop).await?;
    let body = format!(
        "<h1>The shop is being erased</h1><p role=\"status\">Everything <code>{}</code> held is being \
         removed, in steps, within minutes. This was the shop's last page: remove its secrets from \
         the Worker when you are done.</p>",
        esc(shop.as_str())
    );
    let mut resp = page(200, document("Erased", None, &body))?;
    resp.headers_mut().set("set-cookie", &merchant::set_cookie(None))?;
    Ok(resp)
}
