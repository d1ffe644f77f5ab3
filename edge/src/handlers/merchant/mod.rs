//! The merchant's page at `/admin/`: server-rendered HTML forms over the same operations as the
//! admin API, in the merchant's own Worker. No script, no WebAssembly: every action is a form
//! post answered with a redirect, so it works from the keyboard and with nothing to download.
//!
//! Access: the merchant signs in with the shop id and the admin key (checked against the stored
//! hash in constant time; attempts rate-limited per network address) and gets a session cookie
//! (`shared::merchant`: signed, HttpOnly, Secure, SameSite=Strict, two hours). Every write checks
//! the session, that it belongs to the shop in the path, the request's origin, and the form's
//! CSRF token; a refused write is a 4xx with a JSON error and changes nothing.

use std::fmt::Write as _;

use rapport_shared::catalog::{FieldError, Origin, ShopSettings};
use rapport_shared::ids::{ReviewId, ShopId, Sku};
use rapport_shared::keys;
use rapport_shared::merchant::{self, Session, SessionKey};
use rapport_shared::referral::url_origin;
use rapport_shared::reviews::{ModerationRule, Review, ReviewStatus};
use rapport_shared::secrets::{admin_key_hash_binding, admin_key_matches, env_suffix, TokenSecret};
use rapport_shared::time::iso_date;
use worker::{Env, Request, Response};

use super::admin::{change_review, new_reply, shop_reviews};
use super::reviews::{address_subject, limit};
use super::shopper::token_secret;
use crate::error::ApiError;
use crate::http::{now, pairs, query, read_text};
use crate::objects::product_reviews::ReplyChange;
use crate::store::Store;

/// A form's body: a review page's bulk selection is the largest.
const FORM_LIMIT: usize = 64 * 1024;
/// Reviews changed by one bulk action.
const MAX_BULK: usize = 100;

fn esc(s: &str) -> String {
    rapport_shared::html::escape(s)
}

/// A URL query value.
fn enc(s: &str) -> String {
    String::from(worker::js_sys::encode_uri_component(s))
}

const STYLE: &str = "\
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#f6f6f4}\
a{color:#0b57d0}header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;padding:.75rem 1.5rem;background:#fff;border-bottom:1px solid #ddd}\
header nav{display:flex;gap:1rem;flex:1}header nav a[aria-current]{font-weight:700;color:#1a1a1a}\
main{max-width:72rem;margin:0 auto;padding:1.5rem}h1{font-size:1.5rem;margin:0 0 1rem}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}\
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;vertical-align:top;padding:.5rem;border-bottom:1px solid #e3e3e3}\
caption{text-align:left;font-weight:700;padding:.5rem 0}label{font-weight:600}\
input,select,textarea,button{font:inherit}input[type=text],input[type=password],input[type=url],select,textarea{width:100%;max-width:32rem;padding:.4rem;border:1px solid #767676;border-radius:4px}\
button{padding:.45rem 1rem;border:1px solid #0b57d0;border-radius:4px;background:#0b57d0;color:#fff;cursor:pointer}\
button.quiet{background:#fff;color:#0b57d0}button.danger{background:#b3261e;border-color:#b3261e}:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}\
.field{margin:0 0 1rem}.error{color:#b3261e;font-weight:600}.notice{background:#e7f5ea;border:1px solid #2e7d32;padding:.5rem 1rem}\
.alert{background:#fdecea;border:1px solid #b3261e;padding:.5rem 1rem}.filters{display:flex;flex-wrap:wrap;gap:1rem;align-items:end;margin-bottom:1rem}\
.filters .field{margin:0}.actions{display:flex;gap:.5rem;margin:1rem 0}code{background:#eee;padding:.1rem .3rem;word-break:break-all}\
.status{font-weight:600}.muted{color:#555}\
.totals{display:flex;flex-wrap:wrap;gap:1rem;margin:0 0 1.5rem}.totals div{background:#fff;border:1px solid #ddd;padding:.75rem 1rem;min-width:10rem}\
.totals dt{font-size:.875rem;color:#444}.totals dd{margin:0;font-size:1.5rem;font-weight:700}\
.panel{margin:0 0 2rem}.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.5rem;align-items:start}\
.stack{display:grid;gap:1rem}.stack .chart{max-width:40rem}\
@media (max-width:60rem){.pair{grid-template-columns:1fr}}.chart{margin:0;background:#fff;border:1px solid #ddd;padding:.5rem}\
.legend{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;padding:0;margin:.25rem 0 0;font-size:.875rem}\
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.35rem;vertical-align:-.1rem}\
.figures{font-size:.875rem}.figures td,.figures th{padding:.25rem .5rem;white-space:nowrap}";

/// Which page of the shop a view is, for the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Overview,
    Reviews,
    Loyalty,
    FollowUps,
    Shop,
}

struct SignedIn {
    shop: ShopId,
    csrf: String,
}

fn document(title: &str, signed_in: Option<(&SignedIn, Section)>, body: &str) -> String {
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · Rapport</title><style>{STYLE}</style></head><body>\
         <a class=\"skip\" href=\"#main\">Skip to content</a><header><strong>Rapport</strong>",
        esc(title)
    );
    if let Some((s, current)) = signed_in {
        let shop = s.shop.as_str();
        let link = |section: Section, path: &str, label: &str| {
            let current = if section == current { " aria-current=\"page\"" } else { "" };
            format!("<a href=\"/admin/{shop}/{path}\"{current}>{label}</a>")
        };
        let _ = write!(
            html,
            "<nav aria-label=\"Shop\">{}{}{}{}{}</nav><span class=\"muted\">{}</span>\
             <form method=\"post\" action=\"/admin/{shop}/sign-out\">{}\
             <button class=\"quiet\" type=\"submit\">Sign out</button></form>",
            link(Section::Overview, "overview", "Overview"),
            link(Section::Reviews, "reviews", "Reviews"),
            link(Section::Loyalty, "loyalty", "Loyalty"),
            link(Section::FollowUps, "follow-ups", "Follow-ups"),
            link(Section::Shop, "shop", "Shop"),
            esc(shop),
            csrf_field(&s.csrf),
        );
    }
    let _ = write!(html, "</header><main id=\"main\">{body}</main></body></html>");
    html
}

fn csrf_field(token: &str) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(token))
}

fn page(status: u16, html: String) -> Result<Response, ApiError> {
    let mut resp = Response::from_html(html)?.with_status(status);
    let headers = resp.headers_mut();
    headers.set(
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    )?;
    headers.set("cache-control", "no-store")?;
    headers.set("referrer-policy", "same-origin")?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("x-frame-options", "DENY")?;
    Ok(resp)
}

fn redirect(to: &str, cookie: Option<String>) -> Result<Response, ApiError> {
    let mut resp = Response::empty()?.with_status(303);
    let headers = resp.headers_mut();
    headers.set("location", to)?;
    headers.set("cache-control", "no-store")?;
    if let Some(cookie) = cookie {
        headers.set("set-cookie", &cookie)?;
    }
    Ok(resp)
}

fn forbidden(code: &'static str, message: &str) -> ApiError {
    ApiError::Forbidden { code, message: message.into() }
}

fn session_key(env: &Env, shop: &ShopId) -> Result<Option<SessionKey>, ApiError> {
    // A shop without an admin key has no merchant page: it answers like a wrong key.
    let Ok(hash) = env.secret(&admin_key_hash_binding(shop)) else {
        return Ok(None);
    };
    let secret: TokenSecret = token_secret(env, shop)?;
    Ok(Some(SessionKey::new(&secret, &hash.to_string(), shop)))
}

fn cookie(req: &Request) -> Option<String> {
    let header = req.headers().get("cookie").ok().flatten()?;
    merchant::cookie_value(&header).map(str::to_owned)
}

/// The session in the request, checked for `shop`.
async fn session(
    req: &Request,
    env: &Env,
    shop: &ShopId,
) -> Result<(Session, SessionKey), ApiError> {
    let unauthorized = |code: &'static str| ApiError::Unauthorized {
        code,
        message: "sign in at /admin/ with the shop id and its admin key".into(),
    };
    let value = cookie(req).ok_or_else(|| unauthorized("session_missing"))?;
    let key = session_key(env, shop)?.ok_or_else(|| unauthorized("session_signature"))?;
    let signed_out: Option<i64> =
        Store::open(env)?.get_json(&keys::merchant_signed_out(shop)).await?;
    match Session::verify(&value, &key, shop, now(), signed_out) {
        Ok(session) => Ok((session, key)),
        Err(merchant::Refused::WrongShop) => {
            Err(forbidden("session_wrong_shop", "this session is for another shop"))
        }
        Err(refused) => Err(unauthorized(refused.code())),
    }
}

/// A page's session, or the way to the sign-in form; renewed past half its life.
async fn page_session(
    req: &Request,
    env: &Env,
    shop: &ShopId,
) -> Result<Result<(SignedIn, Option<String>), Response>, ApiError> {
    match session(req, env, shop).await {
        Ok((session, key)) => {
            let renewed = session.wants_renewal(now()).then(|| {
                let fresh = Session::issue(&key, shop, now());
                (fresh.csrf(&key), merchant::set_cookie(Some(&fresh)))
            });
            let (csrf, cookie) = match renewed {
                Some((csrf, cookie)) => (csrf, Some(cookie)),
                None => (session.csrf(&key), None),
            };
            Ok(Ok((SignedIn { shop: shop.clone(), csrf }, cookie)))
        }
        Err(ApiError::Unauthorized { .. }) => Ok(Err(redirect("/admin/", None)?)),
        Err(e) => Err(e),
    }
}

/// The request came from this page: its `Origin` (or, without one, `Sec-Fetch-Site`) is the
/// Worker's own. A form posted from any other site is refused before anything else.
fn same_origin(req: &Request) -> Result<(), ApiError> {
    let own = own_origin(req);
    let headers = req.headers();
    let ok = match headers.get("origin").ok().flatten() {
        Some(origin) => origin == own,
        None => headers.get("sec-fetch-site").ok().flatten().as_deref() == Some("same-origin"),
    };
    if ok {
        Ok(())
    } else {
        Err(forbidden("cross_site", "forms of the merchant page are accepted from this page only"))
    }
}

/// A form's fields, in order (names may repeat).
async fn form(req: &mut Request) -> Result<Vec<(String, String)>, ApiError> {
    let kind = req.headers().get("content-type").ok().flatten().unwrap_or_default();
    if !kind.starts_with("application/x-www-form-urlencoded") {
        return Err(ApiError::bad_request(
            "unsupported_form",
            "send the form as application/x-www-form-urlencoded",
        ));
    }
    Ok(pairs(&read_text(req, FORM_LIMIT).await?))
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A write's form, once it came from this page, signed in for this shop, with the session's
/// CSRF token; and who sent it, to answer with a page.
async fn write_form(
    req: &mut Request,
    env: &Env,
    shop: &ShopId,
) -> Result<(Vec<(String, String)>, SignedIn), ApiError> {
    same_origin(req)?;
    let (session, key) = session(req, env, shop).await?;
    let form = form(req).await?;
    if !session.csrf_matches(&key, field(&form, "csrf").unwrap_or_default()) {
        return Err(forbidden("csrf_invalid", "the form is stale: reload the page and try again"));
    }
    Ok((form, SignedIn { shop: shop.clone(), csrf: session.csrf(&key) }))
}

// Sign-in and sign-out.

fn sign_in_form(shop: &str, problem: Option<&str>) -> String {
    let mut body = String::from("<h1>Sign in to your shop</h1>");
    if let Some(problem) = problem {
        let _ =
            write!(body, "<p class=\"alert\" role=\"alert\" id=\"problem\">{}</p>", esc(problem));
    }
    let described = if problem.is_some() { " aria-describedby=\"problem\"" } else { "" };
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/admin/sign-in\">\
         <div class=\"field\"><label for=\"shop\">Shop id</label><br>\
         <input type=\"text\" id=\"shop\" name=\"shop\" value=\"{}\" autocomplete=\"username\" required{described}></div>\
         <div class=\"field\"><label for=\"key\">Admin key</label><br>\
         <input type=\"password\" id=\"key\" name=\"key\" autocomplete=\"current-password\" required{described}></div>\
         <button type=\"submit\">Sign in</button></form>\
         <p class=\"muted\">The admin key is the one whose SHA-256 is the Worker's \
         <code>ADMIN_KEY_SHA256_&lt;SHOP&gt;</code> secret. The session lasts two hours.</p>",
        esc(shop)
    );
    document("Sign in", None, &body)
}

/// `GET /admin/`: the sign-in form, or the shop's page for a merchant already signed in.
pub async fn home(req: &Request, env: &Env) -> Result<Response, ApiError> {
    if let Some(shop) = cookie(req).as_deref().and_then(Session::shop_of) {
        if session(req, env, &shop).await.is_ok() {
            return redirect(&format!("/admin/{shop}/overview"), None);
        }
    }
    page(200, sign_in_form("", None))
}

/// `POST /admin/sign-in` (`shop`, `key`): a session, or the form again with what went wrong.
pub async fn sign_in(mut req: Request, env: &Env) -> Result<Response, ApiError> {
    same_origin(&req)?;
    let form = form(&mut req).await?;
    let named = field(&form, "shop").unwrap_or_default().trim().to_owned();
    let key = field(&form, "key").unwrap_or_default();
    let wrong = "The shop id or the admin key is wrong.";
    let Ok(shop) = ShopId::parse(&named) else {
        return page(401, sign_in_form(&named, Some(wrong)));
    };
    // Every attempt counts, so a key cannot be guessed however the guesses are spread.
    match limit(env, &shop, "merchant-sign-in", &address_subject(&req, &shop), merchant::SIGN_IN)
        .await
    {
        Err(ApiError::TooManyRequests { retry_after }) => {
            let minutes = (retry_after + 59) / 60;
            let problem =
                format!("Too many attempts. Try again in {minutes} minute{}.", plural(minutes));
            let mut resp = page(429, sign_in_form(&named, Some(&problem)))?;
            resp.headers_mut().set("retry-after", &retry_after.to_string())?;
            return Ok(resp);
        }
        other => other?,
    }
    let stored = env.secret(&admin_key_hash_binding(&shop)).ok().map(|s| s.to_string());
    let matches = stored.as_deref().is_some_and(|h| admin_key_matches(key, h));
    let exists = Store::open(env)?.settings(&shop).await?.is_some();
    if !matches || !exists {
        return page(401, sign_in_form(&named, Some(wrong)));
    }
    let key = session_key(env, &shop)?.ok_or_else(|| ApiError::Internal("no admin key".into()))?;
    // After the last sign-out, even within the same second.
    let signed_out: Option<i64> =
        Store::open(env)?.get_json(&keys::merchant_signed_out(&shop)).await?;
    let issued = now().max(signed_out.map_or(0, |t| t + 1));
    let session = Session::issue(&key, &shop, issued);
    redirect(&format!("/admin/{shop}/overview"), Some(merchant::set_cookie(Some(&session))))
}

fn plural(n: i64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `POST /admin/{shop}/sign-out`: ends this session and every other of the shop.
pub async fn sign_out(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    write_form(&mut req, env, shop).await?;
    Store::open(env)?.put_json(&keys::merchant_signed_out(shop), &now()).await?;
    redirect("/admin/", Some(merchant::set_cookie(None)))
}

fn options(pairs: &[(&str, &str)], chosen: &str) -> String {
    pairs
        .iter()
        .map(|(value, label)| {
            let selected = if *value == chosen { " selected" } else { "" };
            format!("<option value=\"{value}\"{selected}>{label}</option>")
        })
        .collect()
}

fn with_cookie(mut resp: Response, cookie: Option<String>) -> Result<Response, ApiError> {
    if let Some(cookie) = cookie {
        resp.headers_mut().set("set-cookie", &cookie)?;
    }
    Ok(resp)
}

/// The Worker's own origin: where the page's forms come from, and its webhook addresses.
fn own_origin(req: &Request) -> String {
    url_origin(&req.inner().url()).unwrap_or_default()
}

/// A labelled form field, with its hint and, when `problems` name it, its error beside it.
fn input(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    hint: &str,
    problems: &[FieldError],
) -> String {
    let problem = problems.iter().find(|p| p.field == name).map(|p| p.problem.as_str());
    let hint_id = if hint.is_empty() { String::new() } else { format!(" {name}-hint") };
    let (error, described, invalid) = match problem {
        Some(p) => (
            format!("<br><span class=\"error\" id=\"{name}-error\">{}</span>", esc(p)),
            format!(" aria-describedby=\"{name}-error{hint_id}\""),
            " aria-invalid=\"true\"",
        ),
        None if hint.is_empty() => (String::new(), String::new(), ""),
        None => (String::new(), format!(" aria-describedby=\"{}\"", hint_id.trim()), ""),
    };
    let hint = if hint.is_empty() {
        String::new()
    } else {
        format!("<br><span class=\"muted\" id=\"{name}-hint\">{hint}</span>")
    };
    let control = if kind == "textarea" {
        format!(
            "<textarea id=\"{name}\" name=\"{name}\" rows=\"4\"{described}{invalid}>{}</textarea>",
            esc(value)
        )
    } else {
        format!(
            "<input type=\"{kind}\" id=\"{name}\" name=\"{name}\" value=\"{}\"{described}{invalid}>",
            esc(value)
        )
    };
    format!("<div class=\"field\"><label for=\"{name}\">{label}</label>{hint}<br>{control}{error}</div>")
}

/// `12.34 EUR`.
fn money(amount_minor: i64, currency: &str) -> String {
    let digits = rapport_shared::catalog::minor_digits(currency);
    format!("{} {currency}", rapport_shared::loyalty::form::format_amount(amount_minor, digits))
}

/// "Nothing was saved: N fields to fix below."
fn unsaved(problems: &[FieldError]) -> String {
    let n = problems.len();
    format!(
        "<p class=\"alert\" role=\"alert\">Nothing was saved: {} to fix below.</p>",
        if n == 1 { "one field".to_owned() } else { format!("{n} fields") }
    )
}

/// The `done` message of a page reached after a form.
fn done_notice(req: &Request) -> Result<String, ApiError> {
    Ok(match query(req)?.get("done").filter(|d| !d.is_empty()) {
        Some(done) => format!("<p class=\"notice\" role=\"status\">{}</p>", esc(done)),
        None => String::new(),
    })
}

mod follow_ups;
mod loyalty;
mod overview;
mod reviews;
mod shop;

pub use follow_ups::{follow_ups, preview, save_follow_ups};
pub use loyalty::{adjust, loyalty, save_programme};
pub use overview::{overview, overview_json};

pub use reviews::{bulk, export, import, reply, reviews};
pub use shop::{customer_data, erase_customer, erase_shop, save_shop, shop};
