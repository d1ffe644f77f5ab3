//! The widgets' first views as HTML: what a widget shows before the shopper touches it,
//! rendered here from the same Leptos components the browser mounts, so a shopper sees real
//! content before any WebAssembly has arrived, and a merchant's server can put reviews into the
//! page's first HTML for search engines.
//!
//! A response is the content of the widget's element:
//!
//! ```html
//! <template shadowrootmode="open">
//!   <style>…</style>                                   (left out with `css=none`)
//!   <div part="root" [dir="rtl"]>…the component's first view…</div>
//!   <script type="application/json" class="rapport-data">…the data it was drawn from…</script>
//!   <script type="application/json" class="rapport-strings">…its words…</script>
//! </template>
//! <script type="application/ld+json" data-rapport-product="…">…</script>   (reviews)
//! ```
//!
//! Pasted inside `<rapport-reviews>`, the template is a declarative shadow root: the browser
//! draws it with the page, before any script. The loader reads the embedded data and mounts the
//! WebAssembly over the same view from it, without asking for the data again. The loader, which
//! already holds the styles, asks with `css=none`.
//!
//! The words are the widget's own keys of the catalogue (`shared::i18n`) in the language of
//! `locale` (`de-AT` is German; English for a language Rapport does not ship), with the
//! merchant's rewordings over them: a shopper gets their own language only.

use rapport_shared::catalog::ShopSettings;
use rapport_shared::i18n::{Lang, Strings};
use rapport_shared::ids::{ShopId, Sku};
use rapport_shared::locale::Locale;
use rapport_shared::loyalty::LoyaltyView;
use rapport_shared::referral::ReferralView;
use rapport_shared::reviews::{script_safe, ProductReviews};
use rapport_widgets::loyalty::Mode;
use rapport_widgets::Config;
use std::sync::OnceLock;
use worker::{Request, Response};

use crate::error::ApiError;
use crate::http::{bearer, origin_of, query, Asked};

/// What the caller asked of a rendered view.
pub struct ViewQuery {
    pub locale: Locale,
    /// Whether the widget styles go into the shadow root (a page without the loader's).
    pub css: bool,
}

impl ViewQuery {
    pub fn parse(req: &impl Asked) -> Result<Self, ApiError> {
        let params = query(req)?;
        let locale = match params.get("locale") {
            Some(l) => Locale::parse(l)
                .map_err(|e| ApiError::bad_request("invalid_field", format!("`locale` {e}")))?,
            None => Locale::default(),
        };
        let css = match params.get("css").map(String::as_str) {
            None => true,
            Some("none") => false,
            Some(_) => {
                return Err(ApiError::bad_request("invalid_field", "`css` is `none` or absent"))
            }
        };
        Ok(Self { locale, css })
    }
}

/// The widget styles, the frame's and the widgets' own, without comments and runs of white
/// space (the loader's copies are minified at build time; these are the same rules).
fn css() -> &'static str {
    static CSS: OnceLock<String> = OnceLock::new();
    CSS.get_or_init(|| {
        let frame = include_str!("../../../widgets/loader/frame.css");
        compact_css(&[frame, include_str!("../../../widgets/loader/rapport.css")].concat())
    })
}

fn compact_css(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start + 2..].split_once("*/").map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    let words: Vec<&str> = out.split_whitespace().collect();
    let mut compact = String::with_capacity(out.len());
    for word in words {
        let glue = compact.ends_with(['{', '}', ';', ',']) || word.starts_with(['{', '}', ';']);
        if !compact.is_empty() && !glue {
            compact.push(' ');
        }
        compact.push_str(word);
    }
    compact
}

/// `widget`'s words (`reviews`, `loyalty`, `referral`, `recs`) in the view's language, with the
/// shop's rewordings.
pub fn strings(view: &ViewQuery, widget: &str, settings: Option<&ShopSettings>) -> Strings {
    let own = format!("{widget}.");
    Strings::of(
        Lang::negotiate(view.locale.as_str()),
        &["common.", &own],
        settings.map(|s| &s.strings),
    )
}

fn config(
    req: &impl Asked,
    view: &ViewQuery,
    shop: &ShopId,
    strings: Strings,
) -> Result<Config, ApiError> {
    let api = origin_of(&req.url_text()).to_owned();
    Ok(Config {
        api,
        shop: shop.to_string(),
        locale: view.locale.to_string(),
        token: None,
        strings,
    })
}

/// The element content around a rendered view, the data it was drawn from and its words.
fn element(view: &ViewQuery, strings: &Strings, markup: &str, data: &str, after: &str) -> String {
    let style = if view.css { format!("<style>{}</style>", css()) } else { String::new() };
    let dir = if strings.rtl { " dir=\"rtl\"" } else { "" };
    let words = serde_json::to_string(strings).unwrap_or_default();
    format!(
        "<template shadowrootmode=\"open\">{style}<div part=\"root\"{dir}>{markup}</div>\
         <script type=\"application/json\" class=\"rapport-data\">{}</script>\
         <script type=\"application/json\" class=\"rapport-strings\">{}</script></template>{after}",
        script_safe(data),
        script_safe(&words)
    )
}

/// `<rapport-reviews>` for `sku`, drawn from its first page.
pub fn reviews(
    req: &impl Asked,
    view: &ViewQuery,
    shop: &ShopId,
    sku: &Sku,
    mut page: ProductReviews,
    strings: Strings,
) -> Result<String, ApiError> {
    // The JSON-LD is in the page beside the widget; the widget needs only the rest.
    let json_ld = page.json_ld.take();
    let data = serde_json::to_string(&page)
        .map_err(|e| ApiError::Internal(format!("page to JSON: {e}")))?;
    let markup = rapport_widgets::render::reviews(
        config(req, view, shop, strings.clone())?,
        sku.to_string(),
        page,
    );
    // The JSON-LD goes beside the template, in the page itself, where search engines read it.
    let json_ld = json_ld
        .as_deref()
        .map(|ld| {
            format!(
                "<script type=\"application/ld+json\" data-rapport-product=\"{}\">{ld}</script>",
                attribute(sku.as_str())
            )
        })
        .unwrap_or_default();
    Ok(element(view, &strings, &markup, &data, &json_ld))
}

/// What the caller asked of a rendered `<rapport-loyalty>`: the element's `mode` (`inline`,
/// `launcher`), and `expired=1` for the signed-out view of a page whose token was refused, which
/// asks the shopper to sign in again. Parsed before the shopper's ledger is touched.
pub struct LoyaltyQuery {
    pub mode: Mode,
    pub expired: bool,
}

impl LoyaltyQuery {
    pub fn parse(req: &Request) -> Result<Self, ApiError> {
        let params = query(req)?;
        let mode = match params.get("mode").map(String::as_str) {
            None | Some("inline") => Mode::Inline,
            Some("launcher") => Mode::Launcher,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid_field",
                    "`mode` is `inline` or `launcher`",
                ))
            }
        };
        let expired = match params.get("expired").map(String::as_str) {
            None => false,
            Some("1") if bearer(req).is_none() => true,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid_field",
                    "`expired` is `1`, and only without a token",
                ))
            }
        };
        Ok(Self { mode, expired })
    }
}

/// `<rapport-loyalty>` from the programme and, signed in, the shopper's account.
pub fn loyalty(
    req: &Request,
    view: &ViewQuery,
    loyalty: &LoyaltyQuery,
    shop: &ShopId,
    answer: &LoyaltyView,
    strings: Strings,
) -> Result<String, ApiError> {
    let data = serde_json::to_string(answer)
        .map_err(|e| ApiError::Internal(format!("loyalty view to JSON: {e}")))?;
    let markup = rapport_widgets::render::loyalty(
        config(req, view, shop, strings.clone())?,
        loyalty.mode,
        answer.clone(),
        loyalty.expired,
    );
    Ok(element(view, &strings, &markup, &data, ""))
}

/// `<rapport-referral>` from the programme and, signed in, the advocate's page.
pub fn referral(
    req: &Request,
    view: &ViewQuery,
    shop: &ShopId,
    answer: &ReferralView,
    strings: Strings,
) -> Result<String, ApiError> {
    let data = serde_json::to_string(answer)
        .map_err(|e| ApiError::Internal(format!("referral view to JSON: {e}")))?;
    let markup = rapport_widgets::render::referral(
        config(req, view, shop, strings.clone())?,
        answer.clone(),
    );
    Ok(element(view, &strings, &markup, &data, ""))
}

/// `<rapport-recommendations>` from a list of cards. The view is the whole widget (its cards
/// are links), so the data beside it says only what it holds.
pub fn recommendations(
    req: &Request,
    view: &ViewQuery,
    shop: &ShopId,
    heading: String,
    kind: rapport_shared::recs::lists::Kind,
    cards: Vec<rapport_shared::recs::lists::Card>,
    strings: Strings,
) -> Result<String, ApiError> {
    let data = format!("{{\"kind\":\"{}\",\"count\":{}}}", kind.as_str(), cards.len());
    let markup = rapport_widgets::render::recommendations(
        config(req, view, shop, strings.clone())?,
        heading,
        cards,
    );
    Ok(element(view, &strings, &markup, &data, ""))
}

/// Text for a double-quoted attribute value.
fn attribute(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;")
}

pub fn html(body: String) -> Result<Response, ApiError> {
    let mut resp = Response::ok(body)?;
    resp.headers_mut().set("content-type", "text/html; charset=utf-8")?;
    Ok(resp)
}
