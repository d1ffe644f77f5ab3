//! The follow-ups page: what the review requests brought (sent, opened at our own link,
//! reviews, conversion), their settings and words, and a preview of an order's e-mail.

use rapport_shared::follow_up::{Consent, FollowUps, Funnel, Mailbox};
use rapport_shared::i18n::{Lang, Strings};
use rapport_shared::ids::OrderKey;

use super::*;
use crate::handlers::follow_ups::{self as mail, Preview};

/// The e-mail words a merchant may reword here, in the shop's language: key, label.
const WORDS: [(&str, &str); 4] = [
    ("email.review.subject", "Review request: subject"),
    ("email.review.intro", "Review request: opening words"),
    ("email.expiry.subject", "Points reminder: subject"),
    ("email.expiry.intro", "Points reminder: opening words"),
];

/// The form field of an e-mail word (`email.review.subject` → `review_subject`).
fn word_field(key: &str) -> String {
    key.trim_start_matches("email.").replace('.', "_")
}

/// The settings form's values, as typed (kept when something is wrong).
struct FollowUpsForm {
    send: bool,
    sender_address: String,
    sender_name: String,
    delay_days: String,
    consent: String,
    expiry_reminders: bool,
    notice_days: String,
    /// The shop's own words, by key (empty: the default).
    words: Vec<(String, String)>,
}

impl FollowUpsForm {
    fn of(s: &ShopSettings) -> Self {
        let f = s.follow_ups.clone().unwrap_or(FollowUps {
            delay_days: 7,
            consent: Consent::Marketing,
            sender: Mailbox { address: String::new(), name: s.name.clone() },
            link_base: None,
            expiry_reminders: false,
            notice_days: 14,
        });
        let code = Lang::negotiate(&s.locale).code();
        let own = s.strings.get(code);
        Self {
            send: s.follow_ups.is_some(),
            sender_address: f.sender.address,
            sender_name: f.sender.name,
            delay_days: f.delay_days.to_string(),
            consent: consent_name(f.consent).to_owned(),
            expiry_reminders: f.expiry_reminders,
            notice_days: f.notice_days.to_string(),
            words: WORDS
                .iter()
                .map(|(key, _)| {
                    let text = own.and_then(|o| o.get(*key)).cloned().unwrap_or_default();
                    ((*key).to_owned(), text)
                })
                .collect(),
        }
    }

    fn read(form: &[(String, String)]) -> Self {
        let f = |n| field(form, n).unwrap_or_default().trim().to_owned();
        Self {
            send: field(form, "send").is_some(),
            sender_address: f("sender_address"),
            sender_name: f("sender_name"),
            delay_days: f("delay_days"),
            consent: f("consent"),
            expiry_reminders: field(form, "expiry_reminders").is_some(),
            notice_days: f("notice_days"),
            words: WORDS
                .iter()
                .map(|(key, _)| {
                    let name = word_field(key);
                    ((*key).to_owned(), field(form, &name).unwrap_or_default().trim().to_owned())
                })
                .collect(),
        }
    }

    /// The settings these values make over `current` (`link_base`: where the e-mails' links
    /// go when the settings do not say yet), or every problem by field.
    fn apply(
        &self,
        current: &ShopSettings,
        link_base: Option<String>,
    ) -> Result<ShopSettings, Vec<FieldError>> {
        let mut problems = Vec::new();
        let mut days = |name: &str, value: &str| match value.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                problems.push(FieldError::new(name, "must be a whole number of days"));
                1
            }
        };
        let delay_days = days("delay_days", &self.delay_days);
        let notice_days = days("notice_days", &self.notice_days);
        let consent = match self.consent.as_str() {
            "marketing" => Consent::Marketing,
            "opt_out" => Consent::OptOut,
            _ => {
                problems.push(FieldError::new("consent", "choose one of the rules"));
                Consent::Marketing
            }
        };
        let mut settings = current.clone();
        settings.follow_ups = self.send.then(|| FollowUps {
            delay_days,
            consent,
            sender: Mailbox {
                address: self.sender_address.clone(),
                name: self.sender_name.clone(),
            },
            link_base: current.follow_ups.as_ref().and_then(|f| f.link_base.clone()).or(link_base),
            expiry_reminders: self.expiry_reminders,
            notice_days,
        });
        let code = Lang::negotiate(&current.locale).code().to_owned();
        let own = settings.strings.entry(code.clone()).or_default();
        for (key, text) in &self.words {
            if text.is_empty() {
                own.remove(key);
            } else {
                own.insert(key.clone(), text.clone());
            }
        }
        if own.is_empty() {
            settings.strings.remove(&code);
        }
        // The sender's own checks first, so a wrong address shows beside the words' problems;
        // then the API's rules: the first problem they find, beside its field.
        if let Some(f) = &settings.follow_ups {
            if let Err(e) = f.sender.check("sender") {
                problems.push(FieldError::new(e.field.replace('.', "_"), e.problem));
            }
        }
        if let Err(e) = settings.clone().validate() {
            let name = e.field.trim_start_matches("follow_ups.");
            let name = match name {
                "sender.address" => "sender_address".to_owned(),
                "sender.name" => "sender_name".to_owned(),
                other => match other.strip_prefix(&format!("strings.{code}.")) {
                    Some(key) => word_field(key),
                    None => other.to_owned(),
                },
            };
            if !problems.iter().any(|p| p.field == name) {
                problems.push(FieldError::new(name, e.problem));
            }
        }
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(problems)
        }
    }
}

fn consent_name(c: Consent) -> &'static str {
    match c {
        Consent::Marketing => "marketing",
        Consent::OptOut => "opt_out",
    }
}

fn checkbox(name: &str, label: &str, on: bool) -> String {
    format!(
        "<div class=\"field\"><input type=\"checkbox\" id=\"{name}\" name=\"{name}\" value=\"on\"{}> \
         <label for=\"{name}\">{label}</label></div>",
        if on { " checked" } else { "" }
    )
}

/// `n` of `of` as a share: `40%`, or `–` when there is nothing to divide by.
fn share(n: u64, of: u64) -> String {
    if of == 0 {
        "–".to_owned()
    } else {
        format!("{:.0}%", n as f64 * 100.0 / of as f64)
    }
}

fn funnel_html(f: &Funnel) -> String {
    let mut html = format!(
        "<h2>Review requests</h2><dl class=\"totals\">\
         <div><dt>Scheduled</dt><dd>{}</dd></div><div><dt>Sent</dt><dd>{}</dd></div>\
         <div><dt>Opened</dt><dd>{}</dd><dd class=\"muted\">{} of sent</dd></div>\
         <div><dt>Brought reviews</dt><dd>{}</dd><dd class=\"muted\">{} conversion</dd></div>\
         <div><dt>Reviews written</dt><dd>{}</dd></div></dl>\
         <p class=\"muted\">Opens are counted when the shopper follows a link in the e-mail \
         (no tracking pixel), once per order.</p>",
        f.scheduled,
        f.sent,
        f.opened,
        share(f.opened, f.sent),
        f.reviewed,
        share(f.reviewed, f.sent),
        f.reviews,
    );
    if !f.dropped.is_empty() {
        html.push_str(
            "<table><caption>Not sent</caption><thead><tr><th scope=\"col\">Why</th>\
             <th scope=\"col\">Orders</th></tr></thead><tbody>",
        );
        for (why, n) in &f.dropped {
            let why = match why.as_str() {
                "no_consent" => "did not accept marketing e-mails",
                "unsubscribed" => "unsubscribed",
                "erased" => "customer erased",
                "cancelled" => "cancelled or refunded",
                "reviewed" => "already reviewed every product",
                other => other,
            };
            let _ = write!(html, "<tr><td>{}</td><td>{n}</td></tr>", esc(why));
        }
        html.push_str("</tbody></table>");
    }
    html
}

fn settings_html(
    me: &SignedIn,
    lang: Lang,
    values: &FollowUpsForm,
    problems: &[FieldError],
) -> String {
    let shop = me.shop.as_str();
    let input = |name: &str, label: &str, kind: &str, value: &str, hint: &str| {
        input(name, label, kind, value, hint, problems)
    };
    let defaults = Strings::of(lang, &["email."], None);
    let words: String = WORDS
        .iter()
        .zip(&values.words)
        .map(|((key, label), (_, text))| {
            let hint = format!("empty for: “{}”", esc(defaults.get(key)));
            let kind = if key.ends_with("intro") { "textarea" } else { "text" };
            input(&word_field(key), label, kind, text, &hint)
        })
        .collect();
    format!(
        "<h2>Settings</h2><form method=\"post\" action=\"/admin/{shop}/follow-ups\">{csrf}\
         <fieldset><legend>Sending</legend>{send}{address}{name}\
         <div class=\"field\"><label for=\"consent\">Who gets e-mails</label><br>\
         <select id=\"consent\" name=\"consent\">{consent}</select></div></fieldset>\
         <fieldset><legend>Review requests</legend>{delay}</fieldset>\
         <fieldset><legend>Points reminders</legend>{reminders}{notice}</fieldset>\
         <fieldset><legend>Words ({lang})</legend>{words}</fieldset>\
         <button type=\"submit\">Save follow-ups</button></form>",
        csrf = csrf_field(&me.csrf),
        send = checkbox("send", "Send follow-up e-mails", values.send),
        address = input(
            "sender_address",
            "Sender address",
            "email",
            &values.sender_address,
            "an address of a domain set up for sending (see the README)"
        ),
        name = input("sender_name", "Sender name", "text", &values.sender_name, ""),
        consent = options(
            &[
                ("marketing", "Only customers who accepted marketing e-mails"),
                ("opt_out", "Every customer, each e-mail with its unsubscribe link"),
            ],
            &values.consent
        ),
        delay =
            input("delay_days", "Days after fulfilment", "number", &values.delay_days, "1 to 60"),
        reminders = checkbox(
            "expiry_reminders",
            "Remind members before their points expire",
            values.expiry_reminders
        ),
        notice = input(
            "notice_days",
            "Days before the expiry",
            "number",
            &values.notice_days,
            "1 to 60"
        ),
        lang = esc(lang.code()),
    )
}

/// The preview section: the order asked for, and its e-mail or why there is none.
fn preview_html(shop: &ShopId, order: &str, preview: Option<Result<Preview, ApiError>>) -> String {
    let mut html = format!(
        "<h2 id=\"preview\">Preview</h2><form method=\"get\" action=\"/admin/{shop}/follow-ups#preview\" class=\"filters\">\
         <div class=\"field\"><label for=\"order\">Order</label><br>\
         <input type=\"text\" id=\"order\" name=\"order\" value=\"{}\" aria-describedby=\"order-hint\" required>\
         <br><span class=\"muted\" id=\"order-hint\">as Rapport keys it, such as shopify:450789469</span></div>\
         <button type=\"submit\">Show its review request</button></form>",
        esc(order)
    );
    match preview {
        None => {}
        Some(Err(e)) => {
            let _ = write!(html, "<p class=\"alert\" role=\"alert\">{}</p>", esc(&e.message()));
        }
        Some(Ok(p)) => {
            let status = match (p.status, &p.due_at) {
                ("scheduled", Some(due)) => format!("Goes out on {due}."),
                ("sent", _) => "Sent.".to_owned(),
                ("dropped", _) => "Not sent, and it will not be.".to_owned(),
                ("not_fulfilled", _) => "Goes out after the order is fulfilled.".to_owned(),
                _ => "No request: the order came without an address, or was fulfilled while the shop sent no follow-ups.".to_owned(),
            };
            let src = format!("/admin/{shop}/follow-ups/preview?order={}", enc(order));
            let _ = write!(
                html,
                "<p class=\"status\" role=\"status\">{status}</p><table><tbody>\
                 <tr><th scope=\"row\">From</th><td>{}</td></tr>\
                 <tr><th scope=\"row\">To</th><td>{}</td></tr>\
                 <tr><th scope=\"row\">Subject</th><td>{}</td></tr></tbody></table>\
                 <iframe src=\"{}\" title=\"The e-mail as the customer sees it\" sandbox \
                 style=\"width:100%;max-width:44rem;height:40rem;border:1px solid #ddd;background:#fff;margin-top:1rem\"></iframe>\
                 <details><summary>Plain-text part</summary><pre style=\"white-space:pre-wrap\">{}</pre></details>\
                 <p class=\"muted\">The links of a preview lead nowhere.</p>",
                esc(&p.message.from),
                esc(p.message.to.as_deref().unwrap_or("the buyer's address (kept only until the request goes out)")),
                esc(&p.message.subject),
                esc(&src),
                esc(&p.message.text),
            );
        }
    }
    html
}

async fn follow_ups_page(
    env: &Env,
    me: &SignedIn,
    order: Option<&str>,
    values: &FollowUpsForm,
    problems: &[FieldError],
    done: &str,
) -> Result<String, ApiError> {
    let settings = Store::open(env)?.existing_shop(&me.shop).await?;
    let funnel = mail::report(env, &me.shop).await?.review_requests;
    let preview = match order {
        None => None,
        Some(o) => Some(match OrderKey::parse(o) {
            Ok(key) => mail::preview(env, &me.shop, &key).await,
            Err(e) => Err(ApiError::invalid_id("order", e)),
        }),
    };
    let mut body = format!("<h1>Follow-up e-mails</h1>{done}");
    if !problems.is_empty() {
        body.push_str(&unsaved(problems));
    }
    body.push_str(&funnel_html(&funnel));
    body.push_str(&settings_html(me, Lang::negotiate(&settings.locale), values, problems));
    body.push_str(&preview_html(&me.shop, order.unwrap_or_default(), preview));
    Ok(document("Follow-ups", Some((me, Section::FollowUps)), &body))
}

/// The merchant page's policy, with the preview's frame allowed.
fn framing(mut resp: Response) -> Result<Response, ApiError> {
    resp.headers_mut().set(
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )?;
    Ok(resp)
}

/// `GET /admin/{shop}/follow-ups[?order=KEY]`
pub async fn follow_ups(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (me, cookie) = match page_session(req, env, shop).await? {
        Ok(s) => s,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let settings = Store::open(env)?.existing_shop(shop).await?;
    let params = query(req)?;
    let order = params.get("order").map(|o| o.trim()).filter(|o| !o.is_empty());
    let done = done_notice(req)?;
    let values = FollowUpsForm::of(&settings);
    let html = follow_ups_page(env, &me, order, &values, &[], &done).await?;
    with_cookie(framing(page(200, html)?)?, cookie)
}

/// `POST /admin/{shop}/follow-ups`: saves the settings, or shows each problem beside its field
/// and saves nothing.
pub async fn save_follow_ups(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
) -> Result<Response, ApiError> {
    let (form, me) = write_form(&mut req, env, shop).await?;
    let store = Store::open(env)?;
    let current = store.existing_shop(shop).await?;
    let values = FollowUpsForm::read(&form);
    match values.apply(&current, url_origin(&req.inner().url())) {
        Ok(settings) => {
            store.put_settings(shop, &settings).await?;
            mail::register(env, shop, Some(&settings)).await?;
            redirect(&format!("/admin/{shop}/follow-ups?done={}", enc("Follow-ups saved.")), None)
        }
        Err(problems) => {
            let html = follow_ups_page(env, &me, None, &values, &problems, "").await?;
            framing(page(400, html)?)
        }
    }
}

/// `GET /admin/{shop}/follow-ups/preview?order=KEY`: the e-mail's HTML alone, for the page's
/// frame: its images load, nothing else does.
pub async fn preview(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (_, cookie) = match page_session(req, env, shop).await? {
        Ok(s) => s,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let params = query(req)?;
    let order = params.get("order").map(String::as_str).unwrap_or_default();
    let order = OrderKey::parse(order.trim()).map_err(|e| ApiError::invalid_id("order", e))?;
    let preview = mail::preview(env, shop, &order).await?;
    let mut resp = page(200, preview.message.html)?;
    let headers = resp.headers_mut();
    headers.set(
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; \
         frame-ancestors 'self'; form-action 'none'; base-uri 'none'",
    )?;
    headers.set("x-frame-options", "SAMEORIGIN")?;
    with_cookie(resp, cookie)
}
