//! Follow-up e-mails through the `EMAIL` binding (`send_email`): review requests after
//! fulfilled orders, sent by the Cron Trigger, and points-expiry reminders, sent by the
//! member's ledger object from its alarm. The decisions and the messages are pure
//! (`rapport_shared::follow_up`); the objects mark each e-mail done before it is sent; this
//! module finds the shops with work, and writes and sends one e-mail.

use rapport_shared::catalog::ShopSettings;
use rapport_shared::follow_up::link::{self, LinkClaims, LinkError, Purpose};
use rapport_shared::follow_up::mail::{self, Item, Letter, Reminder};
use rapport_shared::follow_up::{Contact, Funnel, Outcome};
use rapport_shared::html::escape;
use rapport_shared::i18n::{Lang, Strings};
use rapport_shared::ids::{CustomerId, OrderKey, ShopId, Sku};
use rapport_shared::loyalty::Expiring;
use rapport_shared::secrets::{email_hash, keyed_hash, TokenSecret};
use serde::Serialize;
use worker::{console_error, Env, Request, Response};

use crate::error::ApiError;
use crate::http::{now, read_limited};
use crate::objects::orders::{self, ReviewRequest};
use crate::objects::{call, directory};
use crate::store::Store;

/// The binding follow-up e-mails go out through.
pub const EMAIL_BINDING: &str = "EMAIL";

const DAY: i64 = 86_400;
/// How long a review link stays good.
const REVIEW_LINK_DAYS: i64 = 60;
/// How long an unsubscribe link stays good: mail is read late.
const UNSUBSCRIBE_LINK_DAYS: i64 = 400;
/// What stands for a token in a preview's links: no link checks it as one the shop sent.
const PREVIEW_TOKEN: &str = "preview";

/// The buyer's address to keep for the order's review request: only for a shop that sends
/// follow-ups, and taken before the order is sealed (which keeps only its hash).
pub fn contact(settings: &ShopSettings, order: &rapport_shared::orders::Order) -> Option<String> {
    settings.follow_ups.as_ref()?;
    let email = order.referral.email.as_deref()?.trim();
    rapport_shared::follow_up::is_address(email).then(|| email.to_owned())
}

/// Keeps the Cron Trigger's list of shops that send follow-ups in step with the settings.
pub async fn register(
    env: &Env,
    shop: &ShopId,
    settings: Option<&ShopSettings>,
) -> Result<(), ApiError> {
    let listed = settings.is_some_and(|s| s.follow_ups.is_some());
    directory::enlist(env, shop, directory::Purpose::FollowUps, listed).await
}

/// Sends every shop's review requests due at `now` (the Cron Trigger's scheduled time).
pub async fn send_due(env: &Env, now: i64) {
    let Some(shops) = directory::shops(env, directory::Purpose::FollowUps).await else { return };
    let Ok(store) = Store::open(env) else { return };
    for shop in shops {
        let settings = match store.settings(&shop).await {
            Ok(Some(settings)) if settings.follow_ups.is_some() => settings,
            Ok(_) => continue,
            Err(e) => {
                console_error!("[rapport] follow-ups for {shop}: {e:?}");
                continue;
            }
        };
        for index in 0..orders::SHARDS {
            let command =
                orders::Command::FollowUps { shop: shop.clone(), settings: settings.clone(), now };
            let name = orders::shard_name(&shop, index);
            if let Err(e) = call::<_, usize>(env, orders::BINDING, &name, &command).await {
                console_error!("[rapport] follow-ups for {shop}, orders {index}: {e:?}");
            }
        }
    }
}

/// One review request, ready to be written and sent.
pub struct ReviewMail<'a> {
    pub shop: &'a ShopId,
    pub settings: &'a ShopSettings,
    pub order: &'a OrderKey,
    pub request: &'a ReviewRequest,
    /// The products of the order the customer has not reviewed.
    pub skus: &'a [Sku],
    pub now: i64,
    /// For the merchant's eyes: links that lead nowhere, no token signed.
    pub preview: bool,
}

impl ReviewMail<'_> {
    /// The message: in the buyer's language (the shop's when the order did not say), with the
    /// shop's own words over the defaults.
    pub async fn letter(&self, store: &Store, secret: &TokenSecret) -> Result<Letter, ApiError> {
        let Some(follow) = self.settings.follow_ups.as_ref() else {
            return Err(ApiError::Internal("the shop sends no follow-ups".into()));
        };
        let base = follow.link_base.as_deref().unwrap_or_default().trim_end_matches('/');
        let lang = Lang::negotiate(
            self.request.contact.locale.as_deref().unwrap_or(&self.settings.locale),
        );
        let t = Strings::of(lang, &["email."], Some(&self.settings.strings));
        let claims = |purpose, days| LinkClaims {
            purpose,
            shop: self.shop.clone(),
            order: Some(self.order.clone()),
            customer: self.request.customer.clone(),
            email_hash: email_hash(secret, &self.request.contact.email),
            exp: self.now + days * DAY,
        };
        let sign = |purpose, days| {
            if self.preview {
                PREVIEW_TOKEN.to_owned()
            } else {
                link::sign(secret, &claims(purpose, days))
            }
        };
        let review = sign(Purpose::Review, REVIEW_LINK_DAYS);
        let leave = sign(Purpose::Unsubscribe, UNSUBSCRIBE_LINK_DAYS);
        let page = format!("{base}/v1/shops/{}/review-requests/{review}", self.shop);
        let unsubscribe = format!("{base}/v1/shops/{}/unsubscribe/{leave}", self.shop);
        let mut items = Vec::new();
        for sku in self.skus {
            let product = store.product(self.shop, sku).await?;
            items.push(Item {
                title: product.as_ref().map_or_else(|| sku.to_string(), |p| p.title.clone()),
                image_url: product.and_then(|p| p.image_url),
                review_url: format!("{page}?sku={sku}"),
            });
        }
        let shop_name = &self.settings.name;
        let (text, html) = mail::review_request(&t, shop_name, &items, &unsubscribe);
        Ok(Letter {
            from: follow.sender.clone(),
            to: self.request.contact.email.clone(),
            subject: t.text("email.review.subject", &[("shop", shop_name)]),
            id: keyed_hash(secret, "review-request", self.order.as_str()),
            date: self.now,
            unsubscribe,
            text,
            html,
        })
    }

    /// Writes the message and hands it to the `EMAIL` binding.
    pub async fn send(&self, env: &Env, store: &Store, secret: &TokenSecret) -> worker::Result<()> {
        let letter = self
            .letter(store, secret)
            .await
            .map_err(|e| worker::Error::RustError(format!("{e:?}")))?;
        send(env, &letter).await
    }
}

/// Hands `letter` to the `EMAIL` binding as an RFC 5322 message.
async fn send(env: &Env, letter: &Letter) -> worker::Result<()> {
    let raw = mail::message(letter);
    let js = |e: worker::js_sys::Error| worker::Error::from(worker::wasm_bindgen::JsValue::from(e));
    let message =
        worker::email::EmailMessage::new(&letter.from.address, &letter.to, &raw).map_err(js)?;
    env.send_email(EMAIL_BINDING)?.send(&message).await.map_err(js)?;
    Ok(())
}

/// One member's points-expiry reminder.
pub struct ExpiryMail<'a> {
    pub shop: &'a ShopId,
    pub settings: &'a ShopSettings,
    pub customer: &'a CustomerId,
    pub contact: &'a Contact,
    pub expiring: &'a Expiring,
    pub now: i64,
}

impl ExpiryMail<'_> {
    /// The message, in the member's language (the shop's when their orders did not say).
    pub fn letter(&self, secret: &TokenSecret) -> Result<Letter, ApiError> {
        let Some(follow) = self.settings.follow_ups.as_ref() else {
            return Err(ApiError::Internal("the shop sends no follow-ups".into()));
        };
        let base = follow.link_base.as_deref().unwrap_or_default().trim_end_matches('/');
        let locale = self.contact.locale.as_deref().unwrap_or(&self.settings.locale);
        let lang = Lang::negotiate(locale);
        let t = Strings::of(lang, &["email.", "common.points"], Some(&self.settings.strings));
        let claims = LinkClaims {
            purpose: Purpose::Unsubscribe,
            shop: self.shop.clone(),
            order: None,
            customer: self.customer.clone(),
            email_hash: email_hash(secret, &self.contact.email),
            exp: self.now + UNSUBSCRIBE_LINK_DAYS * DAY,
        };
        let unsubscribe =
            format!("{base}/v1/shops/{}/unsubscribe/{}", self.shop, link::sign(secret, &claims));
        let (n, at) = (self.expiring.points, self.expiring.at);
        let written = rapport_widgets::format::points(locale, n, false);
        let points = t.count("common.points", n.unsigned_abs(), &written, &[]);
        let date = rapport_widgets::format::date(locale, at);
        let shop_url = self.settings.allowed_origins.first().map(|o| o.as_str().to_owned());
        let reminder = Reminder {
            shop: &self.settings.name,
            points: &points,
            date: &date,
            shop_url: shop_url.as_deref(),
            unsubscribe: &unsubscribe,
        };
        let (subject, text, html) = mail::expiry_reminder(&t, &reminder);
        let reference = format!("{}/{}", self.customer, at);
        Ok(Letter {
            from: follow.sender.clone(),
            to: self.contact.email.clone(),
            subject,
            id: keyed_hash(secret, "expiry-reminder", &reference),
            date: self.now,
            unsubscribe,
            text,
            html,
        })
    }

    pub async fn send(&self, env: &Env, secret: &TokenSecret) -> worker::Result<()> {
        let letter = self.letter(secret).map_err(|e| worker::Error::RustError(format!("{e:?}")))?;
        send(env, &letter).await
    }
}

/// A link's token refused: 401 when it is not the shop's or has expired, 403 when it is for
/// something else.
fn refused(e: LinkError) -> ApiError {
    let message = match e {
        LinkError::Invalid => "this link is not one the shop sent",
        LinkError::Expired => "this link has expired",
        LinkError::Misused => "this link is for something else",
    };
    match e {
        LinkError::Misused => ApiError::Forbidden { code: e.code(), message: message.into() },
        _ => ApiError::Unauthorized { code: e.code(), message: message.into() },
    }
}

/// The claims of a link's `token` for `purpose` in `shop`, or why not.
fn verified(
    env: &Env,
    shop: &ShopId,
    token: &str,
    purpose: Purpose,
) -> Result<LinkClaims, ApiError> {
    let secret = super::shopper::token_secret(env, shop)?;
    link::verify(&secret, token, shop, purpose, now()).map_err(refused)
}

/// A small page of the shop's, in its language.
fn page(t: &Strings, title: &str, body: &str) -> Result<Response, ApiError> {
    let dir = if t.rtl { "rtl" } else { "ltr" };
    let html = format!(
        "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:36rem;\
         margin:3rem auto;padding:0 1rem;color:#1f2328;line-height:1.5}}button{{font:inherit;\
         padding:.5rem 1.25rem;border:1px solid #0b5cad;border-radius:6px;background:#0b5cad;\
         color:#fff;cursor:pointer}}:focus-visible{{outline:3px solid #b35900;outline-offset:2px}}\
         </style></head><body><main><h1>{title}</h1>{body}</main></body></html>",
        lang = escape(&t.lang),
        title = escape(title),
    );
    let mut resp = super::views::html(html)?;
    resp.headers_mut().set("cache-control", "private, no-store")?;
    resp.headers_mut().set("referrer-policy", "no-referrer")?;
    Ok(resp)
}

/// Whether the request comes from a browser's address bar or form (it asks for HTML first), so
/// a refusal should be a page rather than JSON.
pub fn wants_html(req: &Request) -> bool {
    let accept = req.headers().get("accept").ok().flatten().unwrap_or_default();
    accept.split(',').next().is_some_and(|first| first.trim().starts_with("text/html"))
}

/// A refusal of the pages an e-mail's links open, for a person: the same status, the reason in
/// the shop's language when it is the link's fault, else the API's message. Anything else (an
/// unknown shop, a program calling) stays the JSON error.
pub async fn for_people(
    env: &Env,
    shop: &ShopId,
    html: bool,
    result: Result<Response, ApiError>,
) -> Result<Response, ApiError> {
    let error = match result {
        Err(e) if html && e.status() < 500 => e,
        other => return other,
    };
    let Ok((_, t)) = shop_words(env, shop).await else { return Err(error) };
    let key = match error.code().as_str() {
        "link_invalid" => "email.link.invalid",
        "link_expired" => "email.link.expired",
        "link_misused" => "email.link.misused",
        "nothing_to_review" => "email.review.nothing",
        _ => "",
    };
    let title = if key.is_empty() { error.message() } else { t.text(key, &[]) };
    Ok(page(&t, &title, "")?.with_status(error.status()))
}

/// The shop's follow-up words in its own language.
async fn shop_words(env: &Env, shop: &ShopId) -> Result<(ShopSettings, Strings), ApiError> {
    let settings = Store::open(env)?.existing_shop(shop).await?;
    let t = Strings::of(Lang::negotiate(&settings.locale), &["email."], Some(&settings.strings));
    Ok((settings, t))
}

/// `GET .../unsubscribe/{token}`: one button that unsubscribes. Opening the link changes
/// nothing (mail clients and link scanners open links); the button's POST does.
pub async fn unsubscribe_page(env: &Env, shop: &ShopId, token: &str) -> Result<Response, ApiError> {
    verified(env, shop, token, Purpose::Unsubscribe)?;
    let (settings, t) = shop_words(env, shop).await?;
    let title = t.text("email.unsubscribe", &[("shop", &settings.name)]);
    let body =
        format!("<form method=\"post\"><button type=\"submit\">{}</button></form>", escape(&title));
    page(&t, &title, &body)
}

/// `POST .../unsubscribe/{token}`: the address the e-mail went to gets no more follow-ups from
/// the shop, kept by its hash (so it holds for every order and customer id). RFC 8058's
/// one-click body and the page's button alike; a repeat changes nothing.
pub async fn unsubscribe(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
    token: &str,
) -> Result<Response, ApiError> {
    let claims = verified(env, shop, token, Purpose::Unsubscribe)?;
    // `List-Unsubscribe=One-Click`, or the empty form: nothing in it is needed.
    read_limited(&mut req, 1024).await?;
    Store::open(env)?.put_unsubscribed(shop, &claims.email_hash, now()).await?;
    let (settings, t) = shop_words(env, shop).await?;
    let done = t.text("email.unsubscribed", &[("shop", &settings.name)]);
    page(&t, &done, "")
}

/// Tells the order's object that its review link was opened (`reviews: None`) or that reviews
/// were written through it: the funnel's figures. A failure costs a figure, never the page.
async fn followed(env: &Env, shop: &ShopId, order: &OrderKey, reviews: Option<u32>) {
    let name = orders::name(shop, order);
    let (order, at) = (order.clone(), now());
    let command = match reviews {
        None => orders::Command::Opened { order, at },
        Some(count) => orders::Command::Reviewed { order, count, at },
    };
    if let Err(e) = call::<_, bool>(env, orders::BINDING, &name, &command).await {
        worker::console_warn!("[rapport] review link figures for {shop}: {e:?}");
    }
}

/// An order's review request as the merchant sees it: what became of it and its e-mail.
#[derive(Serialize)]
pub struct Preview {
    pub order: OrderKey,
    /// `scheduled` (with `due_at`), `sent`, `dropped` (with `outcome.dropped.why`),
    /// `not_fulfilled`, or `none` (no customer or address came with the order).
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    pub message: PreviewMessage,
}

/// The e-mail of a preview; its links lead nowhere.
#[derive(Serialize)]
pub struct PreviewMessage {
    pub from: String,
    /// The address, while the request is still to go out (it is not kept after).
    pub to: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The review request of `order` and its e-mail as it goes out under today's settings.
pub async fn preview(env: &Env, shop: &ShopId, order: &OrderKey) -> Result<Preview, ApiError> {
    let store = Store::open(env)?;
    let settings = store.existing_shop(shop).await?;
    let Some(follow) = settings.follow_ups.as_ref() else {
        return Err(ApiError::Conflict {
            code: "follow_ups_off",
            message: "the shop sends no follow-up e-mails: turn them on first".into(),
        });
    };
    let name = orders::name(shop, order);
    let read = orders::Command::Read { order: order.clone() };
    let state: rapport_shared::orders::OrderState =
        call(env, orders::BINDING, &name, &read).await?;
    let Some(placed) = state.order.as_ref() else {
        return Err(ApiError::not_found("order_not_found", "no order with this key"));
    };
    let asked = orders::Command::Request { order: order.clone() };
    let view: orders::RequestView = call(env, orders::BINDING, &name, &asked).await?;
    let delay = i64::from(follow.delay_days) * DAY;
    let (status, due_at) = match (&view.outcome, &view.pending, state.fulfilled_at) {
        (Some(Outcome::Sent { .. }), ..) => ("sent", None),
        (Some(Outcome::Dropped { .. }), ..) => ("dropped", None),
        (None, Some(_), Some(at)) => {
            ("scheduled", Some(rapport_shared::time::iso_date(at + delay)))
        }
        (None, _, None) => ("not_fulfilled", None),
        (None, None, Some(_)) => ("none", None),
    };
    let customer = match placed.customer.clone() {
        Some(c) => c,
        None => CustomerId::parse("preview").map_err(|e| ApiError::Internal(format!("{e:?}")))?,
    };
    let request = view.pending.unwrap_or_else(|| ReviewRequest {
        customer,
        contact: Contact::for_order(String::new(), &placed.follow_up),
    });
    let mut skus = Vec::new();
    for sku in orders::order_skus(placed) {
        if !store.reviewed(shop, &request.customer, &sku).await? {
            skus.push(sku);
        }
    }
    let secret = super::shopper::token_secret(env, shop)?;
    let mail = ReviewMail {
        shop,
        settings: &settings,
        order,
        request: &request,
        skus: &skus,
        now: now(),
        preview: true,
    };
    let letter = mail.letter(&store, &secret).await?;
    Ok(Preview {
        order: order.clone(),
        status,
        due_at,
        outcome: view.outcome,
        message: PreviewMessage {
            from: match letter.from.name.as_str() {
                "" => letter.from.address.clone(),
                name => format!("{name} <{}>", letter.from.address),
            },
            to: (!request.contact.email.is_empty()).then(|| request.contact.email.clone()),
            subject: letter.subject,
            text: letter.text,
            html: letter.html,
        },
    })
}

/// The shop's review requests, counted over all its order objects.
#[derive(Serialize)]
pub struct Report {
    pub review_requests: Funnel,
    /// Sent requests that brought at least one review, as a share of those sent.
    pub conversion: f64,
}

pub async fn report(env: &Env, shop: &ShopId) -> Result<Report, ApiError> {
    Store::open(env)?.existing_shop(shop).await?;
    let shards = (0..orders::SHARDS).map(|index| {
        let name = orders::shard_name(shop, index);
        async move { call::<_, Funnel>(env, orders::BINDING, &name, &orders::Command::Funnel).await }
    });
    let mut total = Funnel::default();
    for funnel in futures_util::future::try_join_all(shards).await? {
        total.add(&funnel);
    }
    Ok(Report { conversion: total.conversion(), review_requests: total })
}

/// What the follow-ups hold of a customer, for their export: each order's review request (the
/// address while it waits, what became of it) and, for every address known for them (those
/// requests, the ledger's, and `asked`: one the request for the data names), whether and when it
/// unsubscribed. The suppression list is keyed by the address's hash, so an address nobody names
/// cannot be found in it.
pub async fn export(
    env: &Env,
    shop: &ShopId,
    order_keys: &[OrderKey],
    known: impl IntoIterator<Item = String>,
) -> Result<serde_json::Value, ApiError> {
    let mut requests = Vec::new();
    let mut addresses: std::collections::BTreeSet<String> =
        known.into_iter().map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()).collect();
    // One call per order object and one KV read per address, all under way at once.
    let views = order_keys.iter().map(|order| async move {
        let command = orders::Command::Request { order: order.clone() };
        let view: orders::RequestView =
            call(env, orders::BINDING, &orders::name(shop, order), &command).await?;
        Ok::<_, ApiError>((order, view))
    });
    for (order, view) in futures_util::future::try_join_all(views).await? {
        if let Some(pending) = &view.pending {
            addresses.insert(pending.contact.email.trim().to_lowercase());
        }
        if view.pending.is_some() || view.outcome.is_some() {
            requests.push(serde_json::json!({
                "order": order, "pending": view.pending, "outcome": view.outcome,
            }));
        }
    }
    let unsubscribes = if addresses.is_empty() {
        Vec::new()
    } else {
        let (store, secret) = (Store::open(env)?, super::shopper::token_secret(env, shop)?);
        let (store, secret) = (&store, &secret);
        let found = addresses.into_iter().map(|address| async move {
            let at = store.unsubscribed_at(shop, &email_hash(secret, &address)).await?;
            Ok::<_, ApiError>(serde_json::json!({ "email": address, "unsubscribed_at": at }))
        });
        futures_util::future::try_join_all(found).await?
    };
    Ok(serde_json::json!({ "review_requests": requests, "addresses": unsubscribes }))
}

/// What a review link may write: the order it names, still its customer's, and its products.
struct LinkedOrder {
    order: OrderKey,
    claims: LinkClaims,
    state: rapport_shared::orders::OrderState,
    skus: Vec<Sku>,
}

async fn linked_order(env: &Env, shop: &ShopId, token: &str) -> Result<LinkedOrder, ApiError> {
    let claims = verified(env, shop, token, Purpose::Review)?;
    let Some(key) = claims.order.clone() else { return Err(refused(LinkError::Misused)) };
    let command = orders::Command::Read { order: key.clone() };
    let state: rapport_shared::orders::OrderState =
        call(env, orders::BINDING, &orders::name(shop, &key), &command).await?;
    let Some(order) =
        state.order.as_ref().filter(|o| o.customer.as_ref() == Some(&claims.customer))
    else {
        // Erased since, or never theirs.
        return Err(refused(LinkError::Misused));
    };
    let skus = orders::order_skus(order);
    Ok(LinkedOrder { order: key, claims, state, skus })
}

/// The words the review page uses: the review form's and the e-mail's.
async fn page_words(env: &Env, shop: &ShopId) -> Result<(ShopSettings, Strings), ApiError> {
    let settings = Store::open(env)?.existing_shop(shop).await?;
    let lang = Lang::negotiate(&settings.locale);
    let t = Strings::of(lang, &["email.", "reviews.", "common."], Some(&settings.strings));
    Ok((settings, t))
}

/// `GET .../review-requests/{token}[?sku=&rating=]`: a form per product of the order not yet
/// reviewed, the stars chosen in the e-mail already checked. Plain HTML: it works before any
/// script, and with the keyboard alone.
pub async fn review_page(
    req: &Request,
    env: &Env,
    shop: &ShopId,
    token: &str,
) -> Result<Response, ApiError> {
    let linked = linked_order(env, shop, token).await?;
    followed(env, shop, &linked.order, None).await;
    let (settings, t) = page_words(env, shop).await?;
    let params = crate::http::query(req)?;
    let chosen_sku = params.get("sku").map(String::as_str);
    let chosen: Option<u8> =
        params.get("rating").and_then(|r| r.parse().ok()).filter(|r| (1..=5).contains(r));
    let store = Store::open(env)?;
    let customer = &linked.claims.customer;
    let mut body = format!(
        "<p>{}</p><form method=\"post\">",
        escape(&t.text("email.review.intro", &[("shop", &settings.name)]))
    );
    let mut open = 0;
    for sku in &linked.skus {
        let title = store.product(shop, sku).await?.map_or_else(|| sku.to_string(), |p| p.title);
        if store.reviewed(shop, customer, sku).await? {
            body.push_str(&format!(
                "<section><h2>{}</h2><p>{}</p></section>",
                escape(&title),
                escape(t.get("reviews.thanks_published"))
            ));
            continue;
        }
        open += 1;
        let id = |field: &str| format!("{field}-{sku}");
        let mut stars = String::new();
        for n in 1..=5u8 {
            let checked =
                if chosen_sku == Some(sku.as_str()) && chosen == Some(n) { " checked" } else { "" };
            let label = t.count("reviews.stars", u64::from(n), &n.to_string(), &[]);
            stars.push_str(&format!(
                "<label><input type=\"radio\" name=\"rating.{sku}\" value=\"{n}\"{checked}> {}</label> ",
                escape(&label)
            ));
        }
        body.push_str(&format!(
            "<section><h2 id=\"{h}\">{title}</h2><fieldset aria-labelledby=\"{h}\"><legend>{rating}</legend>{stars}</fieldset>\
             <p><label for=\"{ti}\">{title_label}</label><br><input id=\"{ti}\" name=\"title.{sku}\" type=\"text\" maxlength=\"{tmax}\"></p>\
             <p><label for=\"{bo}\">{body_label}</label><br><textarea id=\"{bo}\" name=\"body.{sku}\" rows=\"5\" maxlength=\"{bmax}\"></textarea></p></section>",
            h = escape(&id("product")),
            title = escape(&title),
            rating = escape(t.get("reviews.form.rating")),
            ti = escape(&id("title")),
            bo = escape(&id("body")),
            title_label = escape(t.get("reviews.form.title")),
            body_label = escape(t.get("reviews.form.body")),
            tmax = rapport_shared::reviews::TITLE_MAX,
            bmax = rapport_shared::reviews::BODY_MAX,
        ));
    }
    if open > 0 {
        body.push_str(&format!(
            "<p><label for=\"author\">{}</label><br><input id=\"author\" name=\"author\" type=\"text\" maxlength=\"{}\" autocomplete=\"given-name\" required></p>\
             <p><button type=\"submit\">{}</button></p>",
            escape(t.get("reviews.form.author")),
            rapport_shared::reviews::AUTHOR_MAX,
            escape(t.get("reviews.form.send")),
        ));
    }
    body.push_str("</form>");
    page(&t, &t.text("email.review.subject", &[("shop", &settings.name)]), &body)
}

/// `POST .../review-requests/{token}`: each product given stars becomes the buyer's review,
/// verified when the order holds it paid and kept. A product already reviewed takes no other.
pub async fn review_page_submit(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
    token: &str,
) -> Result<Response, ApiError> {
    let linked = linked_order(env, shop, token).await?;
    let body = read_limited(&mut req, 64 * 1024).await?;
    let form: std::collections::HashMap<String, String> =
        crate::http::pairs(&String::from_utf8_lossy(&body)).into_iter().collect();
    let (settings, t) = page_words(env, shop).await?;
    let store = Store::open(env)?;
    let customer = &linked.claims.customer;
    let kept = linked.state.purchases();
    let author = form.get("author").cloned().unwrap_or_default();
    let mut written = Vec::new();
    for sku in &linked.skus {
        let Some(rating) = form.get(&format!("rating.{sku}")) else { continue };
        if store.reviewed(shop, customer, sku).await? {
            continue;
        }
        let submission = rapport_shared::reviews::ReviewSubmission {
            rating: Some(
                rating
                    .parse()
                    .map_err(|_| ApiError::bad_request("invalid_rating", "a rating is 1 to 5"))?,
            ),
            title: form.get(&format!("title.{sku}")).cloned().unwrap_or_default(),
            body: form.get(&format!("body.{sku}")).cloned().unwrap_or_default(),
            author: author.clone(),
        };
        let verified = kept.iter().any(|(c, s)| c == customer && s == sku);
        let once = format!("{}/{sku}", linked.order);
        let stored = super::reviews::submit_from_request(
            env,
            shop,
            &settings,
            sku,
            customer,
            &submission,
            verified,
            once,
        )
        .await;
        match stored {
            Ok(review) => written.push(review.status),
            // Sent twice at once: the first was taken.
            Err(ApiError::Conflict { code: "already_reviewed", .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    if written.is_empty() {
        return Err(ApiError::bad_request(
            "nothing_to_review",
            "choose the stars for at least one product not reviewed yet",
        ));
    }
    followed(env, shop, &linked.order, Some(written.len() as u32)).await;
    let thanks = if written.iter().all(|s| *s == rapport_shared::reviews::ReviewStatus::Published) {
        "reviews.thanks_published"
    } else {
        "reviews.thanks_pending"
    };
    let mut resp = page(&t, t.get(thanks), "")?;
    resp = resp.with_status(201);
    Ok(resp)
}
