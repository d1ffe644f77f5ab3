//! The loyalty page: a shopper's balance, tier and whole ledger with a manual adjustment, a
//! discount code's record, and the programme's editor (`shared::loyalty::form` reads it, with
//! the API's own validation).

use rapport_shared::ids::CustomerId;
use rapport_shared::loyalty::form::ProgrammeForm;
use rapport_shared::loyalty::{
    Account, AdjustmentPoints, CodeRecord, Ledger, LoyaltyRules, Reason, TierBasis,
};

use super::*;
use crate::handlers::loyalty::{account_and_ledger, adjust_points, code_record};

fn reason(r: Reason) -> &'static str {
    match r {
        Reason::Order => "Order",
        Reason::Refund => "Refund",
        Reason::Signup => "Sign-up bonus",
        Reason::Review => "Review bonus",
        Reason::Referral => "Referral bonus",
        Reason::Birthday => "Birthday bonus",
        Reason::Tier => "Tier bonus",
        Reason::Redemption => "Redeemed",
        Reason::Expiry => "Expired",
        Reason::Adjustment => "Adjusted by you",
    }
}

/// A fresh idempotency key for one adjustment form: a repeated post of the same form (a double
/// click, a reload) adjusts once.
fn form_key() -> String {
    let ms = worker::js_sys::Date::now() as u64;
    let random = (worker::js_sys::Math::random() * (1u64 << 48) as f64) as u64;
    format!("page-{ms:x}-{random:x}")
}

/// What the page shows besides the programme.
#[derive(Default)]
struct Lookups {
    customer: String,
    /// The shopper looked up: their standing and ledger, or why there is none.
    shopper: Option<Result<(Account, Ledger), String>>,
    code: String,
    record: Option<Result<CodeRecord, String>>,
    /// The adjustment form's values and problems, after a refused post.
    points: String,
    note: String,
    adjust_problems: Vec<FieldError>,
}

fn shopper_section(me: &SignedIn, l: &Lookups, rules: &LoyaltyRules, currency: &str) -> String {
    let shop = me.shop.as_str();
    let mut html = format!(
        "<section class=\"panel\"><h2>Shoppers</h2><form method=\"get\" action=\"/admin/{shop}/loyalty\" class=\"filters\">\
         <div class=\"field\"><label for=\"customer\">Customer id</label><br>\
         <input type=\"text\" id=\"customer\" name=\"customer\" value=\"{}\"></div>\
         <button type=\"submit\">Look up</button></form>",
        esc(&l.customer)
    );
    match &l.shopper {
        None => {}
        Some(Err(why)) => {
            let _ = write!(html, "<p class=\"alert\" role=\"alert\">{}</p>", esc(why));
        }
        Some(Ok((account, ledger))) => {
            let _ = write!(
                html,
                "<dl class=\"totals\"><div><dt>Balance</dt><dd id=\"balance\">{} points</dd></div>\
                 <div><dt>Tier</dt><dd id=\"tier\">{}</dd></div>{}</dl>",
                account.balance,
                esc(account
                    .tier
                    .as_deref()
                    .map(|id| rules.tiers.iter().find(|t| t.id == id).map_or(id, |t| &t.name))
                    .unwrap_or("None yet")),
                account
                    .next_tier
                    .as_ref()
                    .map(|n| format!(
                        "<div><dt>To {}</dt><dd>{}</dd></div>",
                        esc(&n.name),
                        match rules.tier_basis {
                            TierBasis::PointsEarned => format!("{} points", n.remaining),
                            TierBasis::AmountSpent => money(n.remaining, currency),
                        }
                    ))
                    .unwrap_or_default(),
            );
            let input = |name: &str, label: &str, value: &str, hint: &str| {
                input(name, label, "text", value, hint, &l.adjust_problems)
            };
            let _ = write!(
                html,
                "<form method=\"post\" action=\"/admin/{shop}/loyalty/adjust\">{}\
                 <input type=\"hidden\" name=\"customer\" value=\"{}\">\
                 <input type=\"hidden\" name=\"key\" value=\"{}\">\
                 <fieldset><legend>Adjust the balance</legend>{}{}\
                 <button type=\"submit\">Adjust</button></fieldset></form>",
                csrf_field(&me.csrf),
                esc(&l.customer),
                form_key(),
                input("points", "Points", &l.points, "a whole number; negative takes points away"),
                input(
                    "note",
                    "Note",
                    &l.note,
                    "why, for your records (the shopper does not see it)"
                ),
            );
            let rows: String = ledger
                .entries
                .iter()
                .rev()
                .map(|e| {
                    format!(
                        "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{:+}</td><td>{}</td></tr>",
                        iso_date(e.at),
                        reason(e.reason),
                        esc(&e.source),
                        e.points,
                        esc(ledger.notes.get(&e.source).map_or("", String::as_str)),
                    )
                })
                .collect();
            let _ = write!(
                html,
                "<table id=\"ledger\"><caption>Ledger, newest first ({} entries)</caption><thead><tr>\
                 <th scope=\"col\">Date</th><th scope=\"col\">What</th><th scope=\"col\">Source</th>\
                 <th scope=\"col\">Points</th><th scope=\"col\">Note</th></tr></thead><tbody>{rows}</tbody></table>",
                ledger.entries.len()
            );
        }
    }
    html.push_str("</section>");
    html
}

fn code_section(me: &SignedIn, l: &Lookups) -> String {
    let shop = me.shop.as_str();
    let mut html = format!(
        "<section class=\"panel\"><h2>Discount codes</h2><form method=\"get\" action=\"/admin/{shop}/loyalty\" class=\"filters\">\
         <div class=\"field\"><label for=\"code\">Code</label><br>\
         <input type=\"text\" id=\"code\" name=\"code\" value=\"{}\" autocomplete=\"off\"></div>\
         <button type=\"submit\">Look up</button></form>",
        esc(&l.code)
    );
    match &l.record {
        None => {}
        Some(Err(why)) => {
            let _ = write!(html, "<p class=\"alert\" role=\"alert\">{}</p>", esc(why));
        }
        Some(Ok(r)) => {
            let off = match r.percent_off {
                Some(p) => format!("{p}% off"),
                None => {
                    format!("{} off", money(r.discount.amount_minor, r.discount.currency.as_str()))
                }
            };
            let used = match &r.consumed {
                Some(c) => format!(
                    "Used on {}{}",
                    iso_date(c.at),
                    c.order.as_ref().map(|o| format!(", order {}", esc(o))).unwrap_or_default()
                ),
                None => "Not used yet".to_owned(),
            };
            let _ = write!(
                html,
                "<dl class=\"totals\" id=\"code-record\"><div><dt>Code</dt><dd><code>{}</code></dd></div>\
                 <div><dt>Worth</dt><dd>{off}</dd></div><div><dt>For</dt><dd>{}</dd></div>\
                 <div><dt>Issued</dt><dd>{}</dd></div><div><dt>Status</dt><dd>{used}</dd></div>{}</dl>",
                esc(&r.code),
                esc(&r.reward),
                iso_date(r.issued_at),
                r.minimum_order
                    .as_ref()
                    .map(|m| format!(
                        "<div><dt>Minimum order</dt><dd>{}</dd></div>",
                        money(m.amount_minor, m.currency.as_str())
                    ))
                    .unwrap_or_default(),
            );
        }
    }
    html.push_str("</section>");
    html
}

fn programme_section(
    me: &SignedIn,
    values: &ProgrammeForm,
    running: bool,
    problems: &[FieldError],
    currency: &str,
) -> String {
    let shop = me.shop.as_str();
    let input = |name: &str, label: &str, value: &str, hint: &str| {
        let kind = if ["tiers", "rewards"].contains(&name) { "textarea" } else { "text" };
        input(name, label, kind, value, hint, problems)
    };
    let mut html = String::from("<section class=\"panel\"><h2>Programme</h2>");
    if !running {
        html.push_str(
            "<p>The shop runs no loyalty programme yet: saving this form starts one.</p>",
        );
    }
    if !problems.is_empty() {
        html.push_str(&unsaved(problems));
    }
    let _ = write!(
        html,
        "<form method=\"post\" action=\"/admin/{shop}/loyalty\">{}\
         <fieldset><legend>Ways to earn</legend>{}{}{}{}{}</fieldset>\
         <fieldset><legend>Tiers</legend>\
         <div class=\"field\"><label for=\"tier_basis\">Tiers count</label><br>\
         <select id=\"tier_basis\" name=\"tier_basis\">{}</select></div>{}{}</fieldset>\
         <fieldset><legend>Rewards and expiry</legend>{}{}{}</fieldset>\
         <button type=\"submit\">Save the programme</button></form></section>",
        csrf_field(&me.csrf),
        input("points_per_unit", "Points per 1 of money spent", &values.points_per_unit, ""),
        input("signup_bonus", "Sign-up bonus", &values.signup_bonus, "points"),
        input("review_bonus", "Review bonus", &values.review_bonus, "points, for a verified buyer's published review"),
        input("referral_bonus", "Referral bonus", &values.referral_bonus, "points, when a referred friend's first order is paid"),
        input("birthday_bonus", "Birthday bonus", &values.birthday_bonus, "points"),
        options(
            &[("points_earned", "Points earned"), ("amount_spent", "Money spent")],
            &values.tier_basis
        ),
        input("tier_window_days", "Over how many days", &values.tier_window_days, "days"),
        input(
            "tiers",
            "Tiers",
            &values.tiers,
            &format!("one per line: id, name, threshold (points, or {currency} with money spent), entry bonus, multiplier %"),
        ),
        input("rewards", "Rewards", &values.rewards, &format!("one per line: id, points, amount off in {currency}")),
        input("expiry_days", "Points expire after", &values.expiry_days, "days without earning or redeeming; empty: never"),
        input("join_url", "Join page", &values.join_url, "where a signed-out shopper creates an account"),
    );
    html
}

fn loyalty_page(
    me: &SignedIn,
    done: &str,
    lookups: &Lookups,
    settings: &ShopSettings,
    values: &ProgrammeForm,
    problems: &[FieldError],
) -> String {
    let mut body = format!("<h1>Loyalty</h1>{done}");
    if let Some(rules) = &settings.loyalty {
        body.push_str(&shopper_section(me, lookups, rules, settings.currency.as_str()));
        body.push_str(&code_section(me, lookups));
    }
    let currency = settings.currency.as_str();
    body.push_str(&programme_section(me, values, settings.loyalty.is_some(), problems, currency));
    document("Loyalty", Some((me, Section::Loyalty)), &body)
}

/// A refusal's message, for the page; anything but a refusal is the Worker's fault.
fn refusal(e: ApiError) -> Result<String, ApiError> {
    match e {
        ApiError::BadRequest { message, .. } | ApiError::NotFound { message, .. } => Ok(message),
        e => Err(e),
    }
}

async fn lookups(
    env: &Env,
    shop: &ShopId,
    customer: &str,
    code: &str,
) -> Result<Lookups, ApiError> {
    let mut l = Lookups {
        customer: customer.trim().to_owned(),
        code: code.trim().to_owned(),
        ..Lookups::default()
    };
    if !l.customer.is_empty() {
        l.shopper = Some(match CustomerId::parse(&l.customer) {
            Err(_) => Err("That is not a customer id.".to_owned()),
            Ok(id) => match account_and_ledger(env, shop, &id).await {
                Ok(found) => Ok(found),
                Err(e) => Err(refusal(e)?),
            },
        });
    }
    if !l.code.is_empty() {
        l.record = Some(match code_record(env, shop, &l.code).await {
            Ok(record) => Ok(record),
            Err(e) => Err(refusal(e)?),
        });
    }
    Ok(l)
}

/// `GET /admin/{shop}/loyalty[?customer=&code=&done=]`
pub async fn loyalty(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (me, cookie) = match page_session(req, env, shop).await? {
        Ok(s) => s,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let settings = Store::open(env)?.existing_shop(shop).await?;
    let q = query(req)?;
    let get = |k: &str| q.get(k).map_or("", String::as_str);
    let lookups = lookups(env, shop, get("customer"), get("code")).await?;
    let values =
        settings.loyalty.as_ref().map(|r| ProgrammeForm::of(r, &settings.currency)).unwrap_or_else(
            || ProgrammeForm {
                points_per_unit: "1".into(),
                tier_basis: "points_earned".into(),
                tier_window_days: "365".into(),
                ..ProgrammeForm::default()
            },
        );
    let html = loyalty_page(&me, &done_notice(req)?, &lookups, &settings, &values, &[]);
    with_cookie(page(200, html)?, cookie)
}

fn programme_form(form: &[(String, String)]) -> ProgrammeForm {
    let f = |n| field(form, n).unwrap_or_default().to_owned();
    ProgrammeForm {
        points_per_unit: f("points_per_unit"),
        signup_bonus: f("signup_bonus"),
        review_bonus: f("review_bonus"),
        referral_bonus: f("referral_bonus"),
        birthday_bonus: f("birthday_bonus"),
        tier_basis: f("tier_basis"),
        tier_window_days: f("tier_window_days"),
        expiry_days: f("expiry_days"),
        join_url: f("join_url"),
        tiers: f("tiers"),
        rewards: f("rewards"),
    }
}

/// `POST /admin/{shop}/loyalty`: saves the programme, or shows each problem beside its field
/// and saves nothing.
pub async fn save_programme(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
) -> Result<Response, ApiError> {
    let (form, me) = write_form(&mut req, env, shop).await?;
    let store = Store::open(env)?;
    let settings = store.existing_shop(shop).await?;
    let values = programme_form(&form);
    let problems = match values.read(&settings.currency) {
        Ok(rules) => {
            let changed = ShopSettings { loyalty: Some(rules), ..settings.clone() };
            match changed.validate() {
                Ok(valid) => {
                    store.put_settings(shop, &valid).await?;
                    crate::handlers::referrals::register(env, shop, Some(&valid)).await?;
                    let done = enc("Programme saved.");
                    return redirect(&format!("/admin/{shop}/loyalty?done={done}"), None);
                }
                Err(e) => vec![e],
            }
        }
        Err(problems) => problems,
    };
    let html = loyalty_page(&me, "", &Lookups::default(), &settings, &values, &problems);
    page(400, html)
}

/// `POST /admin/{shop}/loyalty/adjust` (`customer`, `points`, `note`, `key`): once per key.
pub async fn adjust(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (form, me) = write_form(&mut req, env, shop).await?;
    let f = |n| field(&form, n).unwrap_or_default().trim().to_owned();
    let (customer, points, note, key) = (f("customer"), f("points"), f("note"), f("key"));
    let id = CustomerId::parse(&customer).map_err(|e| ApiError::invalid_id("customer", e))?;
    let parsed = points
        .parse::<i64>()
        .map_err(|_| FieldError::new("points", "must be a whole number, such as 50 or -20"))
        .and_then(AdjustmentPoints::new);
    let problem = match parsed {
        Ok(n) => match adjust_points(env, shop, &id, &key, n, Some(note.clone())).await {
            Ok(_) => {
                let done = enc(&format!("{:+} points for {customer}.", n.get()));
                let to = format!("/admin/{shop}/loyalty?customer={}&done={done}", enc(&customer));
                return redirect(&to, None);
            }
            Err(ApiError::BadRequest { message, .. }) => FieldError::new("note", message),
            Err(e) => return Err(e),
        },
        Err(e) => e,
    };
    let settings = Store::open(env)?.existing_shop(shop).await?;
    let mut lookups = lookups(env, shop, &customer, "").await?;
    lookups.points = points;
    lookups.note = note;
    lookups.adjust_problems = vec![problem];
    let values = settings
        .loyalty
        .as_ref()
        .map(|r| ProgrammeForm::of(r, &settings.currency))
        .unwrap_or_default();
    let html =
        loyalty_page(&me, &unsaved(&lookups.adjust_problems), &lookups, &settings, &values, &[]);
    page(400, html)
}
