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
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
button.quiet{background:#fff;color:#0b57d0}:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}\
.field{margin:0 0 1rem}.error{color:#b3261e;font-weight:600}.notice{background:#e7f5ea;border:1px solid #2e7d32;padding:.5rem 1rem}\
.alert{background:#fdecea;border:1px solid #b3261e;padding:.5rem 1rem}.filters{display:flex;flex-wrap:wrap;gap:1rem;align-items:end;margin-bottom:1rem}\
.filters .field{margin:0}.actions{display:flex;gap:.5rem;margin:1rem 0}code{background:#eee;padding:.1rem .3rem;word-break:break-all}\
.status{font-weight:600}.muted{color:#555}";

/// Which page of the shop a view is, for the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Reviews,
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
            "<nav aria-label=\"Shop\">{}{}</nav><span class=\"muted\">{}</span>\
             <form method=\"post\" action=\"/admin/{shop}/sign-out\">{}\
             <button class=\"quiet\" type=\"submit\">Sign out</button></form>",
            link(Section::Reviews, "reviews", "Reviews"),
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
            return redirect(&format!("/admin/{shop}/reviews"), None);
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
    redirect(&format!("/admin/{shop}/reviews"), Some(merchant::set_cookie(Some(&session))))
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

// Reviews.

/// The review list's filters, from the query.
struct Filters {
    status: Option<ReviewStatus>,
    product: String,
    rating: Option<u8>,
}

impl Filters {
    fn parse(req: &Request) -> Result<Self, ApiError> {
        let q = query(req)?;
        let status = match q.get("status").map(String::as_str).unwrap_or("pending") {
            "" | "all" => None,
            s => Some(status_named(s).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_field",
                    "`status` is pending, published, rejected or all",
                )
            })?),
        };
        let rating = match q.get("rating").map(String::as_str).unwrap_or("") {
            "" => None,
            r => Some(
                r.parse()
                    .ok()
                    .filter(|r| (1..=5).contains(r))
                    .ok_or_else(|| ApiError::bad_request("invalid_field", "`rating` is 1 to 5"))?,
            ),
        };
        let product = q.get("product").map(|p| p.trim().to_owned()).unwrap_or_default();
        Ok(Self { status, product, rating })
    }

    fn keeps(&self, r: &Review) -> bool {
        self.status.is_none_or(|s| r.status == s)
            && (self.product.is_empty() || r.product.as_str() == self.product)
            && self.rating.is_none_or(|n| r.rating.stars() == n)
    }

    fn query(&self) -> String {
        format!(
            "status={}&product={}&rating={}",
            self.status.map_or("all", status_name),
            enc(&self.product),
            self.rating.map(|r| r.to_string()).unwrap_or_default()
        )
    }
}

fn status_named(s: &str) -> Option<ReviewStatus> {
    match s {
        "pending" => Some(ReviewStatus::Pending),
        "published" => Some(ReviewStatus::Published),
        "rejected" => Some(ReviewStatus::Rejected),
        _ => None,
    }
}

fn status_name(s: ReviewStatus) -> &'static str {
    match s {
        ReviewStatus::Pending => "pending",
        ReviewStatus::Published => "published",
        ReviewStatus::Rejected => "rejected",
    }
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

/// `GET /admin/{shop}/reviews[?status=&product=&rating=&done=]`: the moderation queue (pending
/// by default) or any review by product, rating and status, with bulk actions and replies.
pub async fn reviews(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (me, cookie) = match page_session(req, env, shop).await? {
        Ok(s) => s,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let filters = Filters::parse(req)?;
    let all = shop_reviews(env, shop, filters.status == Some(ReviewStatus::Pending)).await?;
    let shown: Vec<&Review> = all.iter().filter(|r| filters.keeps(r)).collect();
    let mut body = String::from("<h1>Reviews</h1>");
    if let Some(done) = query(req)?.get("done").filter(|d| !d.is_empty()) {
        let _ = write!(body, "<p class=\"notice\" role=\"status\">{}</p>", esc(done));
    }
    let status = filters.status.map_or("all", status_name);
    let rating = filters.rating.map(|r| r.to_string()).unwrap_or_default();
    let _ = write!(
        body,
        "<form class=\"filters\" method=\"get\" action=\"/admin/{shop}/reviews\">\
         <div class=\"field\"><label for=\"f-status\">Status</label><br><select id=\"f-status\" name=\"status\">{}</select></div>\
         <div class=\"field\"><label for=\"f-product\">Product SKU</label><br><input type=\"text\" id=\"f-product\" name=\"product\" value=\"{}\"></div>\
         <div class=\"field\"><label for=\"f-rating\">Rating</label><br><select id=\"f-rating\" name=\"rating\">{}</select></div>\
         <button type=\"submit\">Filter</button></form>",
        options(
            &[("pending", "Awaiting you"), ("published", "Published"), ("rejected", "Rejected"), ("all", "All")],
            status
        ),
        esc(&filters.product),
        options(
            &[("", "Any"), ("5", "5 stars"), ("4", "4 stars"), ("3", "3 stars"), ("2", "2 stars"), ("1", "1 star")],
            &rating
        ),
    );
    let _ = write!(
        body,
        "<p class=\"muted\">Export every review: <a href=\"/admin/{shop}/reviews.csv\">CSV</a> · \
         <a href=\"/admin/{shop}/reviews.json\">JSON</a></p>"
    );
    if shown.is_empty() {
        body.push_str("<p role=\"status\">No reviews match.</p>");
        return with_cookie(
            page(200, document("Reviews", Some((&me, Section::Reviews)), &body))?,
            cookie,
        );
    }
    let back = filters.query();
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/admin/{shop}/reviews\" id=\"bulk\">{}\
         <input type=\"hidden\" name=\"back\" value=\"{}\">\
         <div class=\"actions\" role=\"group\" aria-label=\"With the selected reviews\">\
         <button type=\"submit\" name=\"action\" value=\"publish\">Publish selected</button>\
         <button type=\"submit\" name=\"action\" value=\"hold\" class=\"quiet\">Hold selected</button>\
         <button type=\"submit\" name=\"action\" value=\"reject\" class=\"quiet\">Reject selected</button></div>\
         </form><table><caption>{} review{}</caption><thead><tr><th scope=\"col\">Select</th>\
         <th scope=\"col\">Review</th><th scope=\"col\">Product</th><th scope=\"col\">Rating</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Reply</th></tr></thead><tbody>",
        csrf_field(&me.csrf),
        esc(&back),
        shown.len(),
        plural(shown.len() as i64),
    );
    for r in shown {
        let id = format!("{}/{}", r.product, r.id);
        let label = format!("sel-{}", r.id);
        let reply = r.reply.as_ref().map(|p| p.body.as_str()).unwrap_or("");
        let _ = write!(
            body,
            "<tr><td><input type=\"checkbox\" form=\"bulk\" name=\"review\" value=\"{}\" id=\"{label}\" \
             aria-label=\"Select the review by {}\"></td>\
             <td><strong>{}</strong><br>{}<br><span class=\"muted\">{}, {}{}</span></td>\
             <td><a href=\"/admin/{shop}/reviews?status=all&amp;product={}\">{}</a></td>\
             <td>{} of 5</td><td class=\"status\">{}</td><td>\
             <form method=\"post\" action=\"/admin/{shop}/reviews/reply\">{}\
             <input type=\"hidden\" name=\"review\" value=\"{}\"><input type=\"hidden\" name=\"back\" value=\"{}\">\
             <label for=\"reply-{}\">Public reply</label><br>\
             <textarea id=\"reply-{}\" name=\"reply\" rows=\"2\" maxlength=\"2000\">{}</textarea><br>\
             <button type=\"submit\" class=\"quiet\">{}</button></form></td></tr>",
            esc(&id),
            esc(&r.author),
            esc(&r.title),
            esc(&r.body),
            esc(&r.author),
            iso_date(r.created_at),
            if r.verified { ", verified buyer" } else { "" },
            enc(r.product.as_str()),
            esc(r.product.as_str()),
            r.rating.stars(),
            match r.status {
                ReviewStatus::Pending => "Awaiting you",
                ReviewStatus::Published => "Published",
                ReviewStatus::Rejected => "Rejected",
            },
            csrf_field(&me.csrf),
            esc(&id),
            esc(&back),
            r.id,
            r.id,
            esc(reply),
            if reply.is_empty() { "Reply" } else { "Save reply (empty removes it)" },
        );
    }
    body.push_str("</tbody></table>");
    with_cookie(page(200, document("Reviews", Some((&me, Section::Reviews)), &body))?, cookie)
}

fn with_cookie(mut resp: Response, cookie: Option<String>) -> Result<Response, ApiError> {
    if let Some(cookie) = cookie {
        resp.headers_mut().set("set-cookie", &cookie)?;
    }
    Ok(resp)
}

/// `sku/id`, as the forms carry a review.
fn review_ref(value: &str) -> Result<(Sku, ReviewId), ApiError> {
    let bad = || ApiError::bad_request("invalid_field", format!("{value:?} is not a review"));
    let (sku, id) = value.split_once('/').ok_or_else(bad)?;
    Ok((Sku::parse(sku).map_err(|_| bad())?, ReviewId::parse(id).map_err(|_| bad())?))
}

/// Where a review form returns to: the list with the filters it was posted from.
fn back_to(shop: &ShopId, form: &[(String, String)], done: &str) -> String {
    let back = field(form, "back").unwrap_or("status=pending");
    // Only the list's own filters go back into the address.
    let back: String =
        back.chars().filter(|c| c.is_ascii_alphanumeric() || "=&%-_.".contains(*c)).collect();
    format!("/admin/{shop}/reviews?{back}&done={}", enc(done))
}

/// `POST /admin/{shop}/reviews` (`action` publish|hold|reject, `review` sku/id, repeated).
/// Every selected id is read and checked before any review is changed.
pub async fn bulk(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (form, _) = write_form(&mut req, env, shop).await?;
    let status = match field(&form, "action") {
        Some("publish") => ReviewStatus::Published,
        Some("hold") => ReviewStatus::Pending,
        Some("reject") => ReviewStatus::Rejected,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_field",
                "`action` is publish, hold or reject",
            ))
        }
    };
    let selected: Vec<(Sku, ReviewId)> = form
        .iter()
        .filter(|(k, _)| k == "review")
        .map(|(_, v)| review_ref(v))
        .collect::<Result<_, _>>()?;
    if selected.is_empty() {
        return redirect(&back_to(shop, &form, "Select at least one review first."), None);
    }
    if selected.len() > MAX_BULK {
        return Err(ApiError::bad_request(
            "batch_too_large",
            format!("select at most {MAX_BULK} reviews at a time"),
        ));
    }
    for (sku, id) in &selected {
        change_review(env, shop, sku, id, Some(status), ReplyChange::Keep).await?;
    }
    let n = selected.len();
    let verb = match status {
        ReviewStatus::Published => "Published",
        ReviewStatus::Pending => "Held",
        ReviewStatus::Rejected => "Rejected",
    };
    redirect(&back_to(shop, &form, &format!("{verb} {n} review{}.", plural(n as i64))), None)
}

/// `POST /admin/{shop}/reviews/reply` (`review` sku/id, `reply`; empty removes it).
pub async fn reply(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (form, _) = write_form(&mut req, env, shop).await?;
    let (sku, id) = review_ref(field(&form, "review").unwrap_or_default())?;
    let text = field(&form, "reply").unwrap_or_default().trim();
    let (change, done) = if text.is_empty() {
        (ReplyChange::Remove, "Reply removed.")
    } else {
        (ReplyChange::Set(new_reply(text)?), "Reply published.")
    };
    change_review(env, shop, &sku, &id, None, change).await?;
    redirect(&back_to(shop, &form, done), None)
}

// The shop.

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
) -> String {
    let shop = me.shop.as_str();
    let mut body = String::from("<h1>Shop</h1>");
    if let Some(done) = done {
        let _ = write!(body, "<p class=\"notice\" role=\"status\">{}</p>", esc(done));
    }
    if !problems.is_empty() {
        let _ = write!(
            body,
            "<p class=\"alert\" role=\"alert\">Nothing was saved: {} to fix below.</p>",
            if problems.len() == 1 {
                "one field".to_owned()
            } else {
                format!("{} fields", problems.len())
            }
        );
    }
    let problem =
        |name: &str| problems.iter().find(|p| p.field == name).map(|p| p.problem.as_str());
    let input = |name: &str, label: &str, kind: &str, value: &str, hint: &str| {
        let (error, described, invalid) = match problem(name) {
            Some(p) => (
                format!("<br><span class=\"error\" id=\"{name}-error\">{}</span>", esc(p)),
                format!(" aria-describedby=\"{name}-error\""),
                " aria-invalid=\"true\"",
            ),
            None => (String::new(), String::new(), ""),
        };
        let hint = if hint.is_empty() {
            String::new()
        } else {
            format!("<br><span class=\"muted\">{hint}</span>")
        };
        let control = if kind == "textarea" {
            format!("<textarea id=\"{name}\" name=\"{name}\" rows=\"3\"{described}{invalid}>{}</textarea>", esc(value))
        } else {
            format!("<input type=\"{kind}\" id=\"{name}\" name=\"{name}\" value=\"{}\"{described}{invalid}>", esc(value))
        };
        format!("<div class=\"field\"><label for=\"{name}\">{label}</label>{hint}<br>{control}{error}</div>")
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
    document("Shop", Some((me, Section::Shop)), &body)
}

/// The Worker's own origin: where the page's forms come from, and its webhook addresses.
fn own_origin(req: &Request) -> String {
    url_origin(&req.inner().url()).unwrap_or_default()
}

/// `GET /admin/{shop}/shop`: the settings and the webhook addresses.
pub async fn shop(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (me, cookie) = match page_session(req, env, shop).await? {
        Ok(s) => s,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let settings = Store::open(env)?.existing_shop(shop).await?;
    let done = query(req)?.get("done").cloned().filter(|d| !d.is_empty());
    let html = shop_page(&me, &own_origin(req), &SettingsForm::of(&settings), &[], done.as_deref());
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
            super::referrals::register(env, shop, Some(&settings)).await?;
            redirect(&format!("/admin/{shop}/shop?done={}", enc("Settings saved.")), None)
        }
        Err(problems) => page(400, shop_page(&me, &own_origin(&req), &values, &problems, None)),
    }
}

/// `GET /admin/{shop}/reviews.csv|json`: every review, as the admin API exports them.
pub async fn export(
    req: &Request,
    env: &Env,
    shop: &ShopId,
    csv: bool,
) -> Result<Response, ApiError> {
    session(req, env, shop).await?;
    super::admin::export_reviews(env, shop, csv).await
}
