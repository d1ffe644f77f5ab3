//! The reviews page: the moderation queue, bulk actions, replies and export.

use worker::FormEntry;

use super::*;
use crate::handlers::admin::{import_judge_me, CSV_LIMIT};

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
         <a href=\"/admin/{shop}/reviews.json\">JSON</a></p>\
         <form method=\"post\" action=\"/admin/{shop}/reviews/import\" enctype=\"multipart/form-data\" class=\"filters\">{}\
         <div class=\"field\"><label for=\"import-file\">Import a Judge.me export (CSV)</label><br>\
         <input type=\"file\" id=\"import-file\" name=\"file\" accept=\".csv,text/csv\" required></div>\
         <button type=\"submit\" class=\"quiet\">Import</button></form>",
        csrf_field(&me.csrf)
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

/// `GET /admin/{shop}/reviews.csv|json`: every review, as the admin API exports them.
pub async fn export(
    req: &Request,
    env: &Env,
    shop: &ShopId,
    csv: bool,
) -> Result<Response, ApiError> {
    session(req, env, shop).await?;
    crate::handlers::admin::export_reviews(env, shop, csv).await
}

/// `POST /admin/{shop}/reviews/import` (multipart: `csrf`, `file`): a Judge.me CSV export,
/// answered with the report of every row taken or refused. Importing the same file again
/// changes nothing.
pub async fn import(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    same_origin(&req)?;
    let (session, key) = session(&req, env, shop).await?;
    let kind = req.headers().get("content-type").ok().flatten().unwrap_or_default();
    if !kind.starts_with("multipart/form-data") {
        return Err(ApiError::bad_request(
            "unsupported_form",
            "send the file as multipart/form-data",
        ));
    }
    // The form is read whole: its length is checked first.
    let length: usize = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|l| l.parse().ok())
        .ok_or_else(|| ApiError::bad_request("length_required", "send the form's length"))?;
    if length > CSV_LIMIT + FORM_LIMIT {
        return Err(ApiError::PayloadTooLarge { limit: CSV_LIMIT });
    }
    let form = req.form_data().await?;
    let csrf = match form.get("csrf") {
        Some(FormEntry::Field(v)) => v,
        _ => String::new(),
    };
    if !session.csrf_matches(&key, &csrf) {
        return Err(forbidden("csrf_invalid", "the form is stale: reload the page and try again"));
    }
    let Some(FormEntry::File(file)) = form.get("file") else {
        return Err(ApiError::bad_request("invalid_field", "choose the CSV file to import"));
    };
    let text = String::from_utf8(file.bytes().await?)
        .map_err(|_| ApiError::bad_request("invalid_csv", "the file is not UTF-8 text"))?;
    let (taken, refused) = import_judge_me(env, shop, &text).await?;
    let me = SignedIn { shop: shop.clone(), csrf: session.csrf(&key) };
    let mut body = format!(
        "<h1>Import report</h1><p class=\"notice\" role=\"status\">Imported {taken} review{} from {}; \
         {} row{} refused.</p>",
        plural(taken as i64),
        esc(&file.name()),
        refused.len(),
        plural(refused.len() as i64),
    );
    if !refused.is_empty() {
        let rows: String = refused
            .iter()
            .map(|r| format!("<tr><td>{}</td><td>{}</td></tr>", r.line, esc(&r.reason)))
            .collect();
        let _ = write!(
            body,
            "<table><caption>Rows not imported</caption><thead><tr><th scope=\"col\">Line</th>\
             <th scope=\"col\">Why</th></tr></thead><tbody>{rows}</tbody></table>"
        );
    }
    let _ =
        write!(body, "<p><a href=\"/admin/{shop}/reviews?status=all\">Back to the reviews</a></p>");
    page(200, document("Import report", Some((&me, Section::Reviews)), &body))
}
