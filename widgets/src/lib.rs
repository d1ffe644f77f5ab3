//! Rapport's storefront widgets: Leptos components compiled to WebAssembly.
//!
//! The loader (`loader/rapport.js`) owns the custom elements and their shadow roots; it loads
//! a module only when a widget nears the viewport and calls one `mount_*` export per element
//! with a container inside that element's shadow root. Nothing here touches the host page.
//!
//! The same components render each widget's first view to HTML in the Worker (feature `ssr`,
//! `render`); the browser build (feature `client`) mounts them from the data that view was
//! drawn from, which gives the same DOM.
//!
//! The browser build is one module cut into parts (wasm-split, see ARCHITECTURE.md): a small
//! main part with the `mount_*` exports, chunks of shared code, and each widget's own code,
//! fetched with the chunks it needs the first time the page mounts that widget; what a widget
//! opens later (the review form, a redemption) is a part of its own. A product page with
//! reviews does not download the loyalty widget, and a shopper who moves on to a page with
//! another widget fetches only what that widget adds. Each widget kind is also a cargo
//! feature, so the Worker renders only the kinds it serves.

// The loyalty panel's view type nests deeply, and rendering it to HTML in the Worker walks it.
#![recursion_limit = "256"]

mod api;
#[cfg(any(feature = "loyalty", feature = "referral"))]
mod clipboard;
mod fold;
#[cfg_attr(
    not(all(
        feature = "reviews",
        feature = "loyalty",
        feature = "referral",
        feature = "recommendations"
    )),
    allow(dead_code)
)]
pub mod format;
#[cfg(feature = "loyalty")]
pub mod loyalty;
#[cfg(feature = "recommendations")]
pub mod recommendations;
#[cfg(feature = "referral")]
mod referral;
#[cfg(feature = "reviews")]
mod review_form;
#[cfg(feature = "reviews")]
mod review_item;
#[cfg(feature = "reviews")]
mod reviews;
#[cfg(feature = "reviews")]
mod star_input;
#[cfg(feature = "reviews")]
mod stars;
#[cfg(feature = "reviews")]
mod summary;
mod tr;

#[cfg(feature = "ssr")]
pub mod render;

use leptos::prelude::*;
#[cfg(feature = "client")]
use wasm_bindgen::prelude::*;
#[cfg(feature = "client")]
use web_sys::HtmlElement;

/// Where a widget's data comes from. Read by the loader from its own script tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Origin of the Rapport Worker (`https://reviews.shop.example`).
    pub api: String,
    pub shop: String,
    /// BCP 47 locale for numbers and dates.
    pub locale: String,
    /// The signed-in shopper's token, minted by the merchant's server.
    pub token: Option<String>,
    /// The widget's words in the shopper's language, sent by the Worker with its data.
    pub strings: rapport_shared::i18n::Strings,
}

// Panics are a bare trap in the browser build (`-Cpanic=immediate-abort`): the call that hit one
// throws a `RuntimeError`, which the loader reports with `[rapport]`.

/// Calls a `wasm_split` function: a part of the module fetched on first use in the browser
/// build, a plain call in the Worker's.
#[macro_export]
#[doc(hidden)]
macro_rules! part {
    ($call:expr) => {{
        #[cfg(feature = "client")]
        let result = $call.await;
        #[cfg(not(feature = "client"))]
        let result = $call;
        result
    }};
}

/// A part of the module a widget opens later (the review form, a redemption) could not be
/// fetched.
pub(crate) struct Unavailable;

impl From<leptos::wasm_split::SplitLoaderError> for Unavailable {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        Unavailable
    }
}

/// What a widget shows in place of a part of it that could not be fetched.
pub(crate) fn unavailable() -> impl IntoView {
    leptos::logging::error!("[rapport] a part of the widget could not be fetched");
    view! {
        <p class="notice unavailable" part="notice" role="status">
            {tr::tr().get("common.unavailable")}
        </p>
    }
}

/// The arguments of a `mount_*` export, handed to the widget's own part of the module.
#[cfg(feature = "client")]
pub struct Mount {
    container: HtmlElement,
    config: Config,
    /// What the widget is for: the product's SKU, or the loyalty panel's mode.
    subject: String,
    /// The data the Worker rendered the first view from (JSON embedded in its HTML), so the
    /// widget draws the same view without fetching it again.
    first: JsValue,
    /// The page's shopper token was refused for the first view.
    expired: bool,
}

#[cfg(feature = "client")]
impl Mount {
    fn new(
        container: HtmlElement,
        config: [String; 4],
        strings: JsValue,
        subject: String,
        first: JsValue,
    ) -> Result<Self, MountError> {
        let [api, shop, locale, token] = config;
        let token = (!token.is_empty()).then_some(token);
        let strings = data(strings)?;
        Ok(Mount {
            container,
            config: Config { api, shop, locale, token, strings },
            subject,
            first,
            expired: false,
        })
    }
}

/// Why a widget could not be mounted; the promise the loader awaits rejects with it.
#[cfg(feature = "client")]
pub enum MountError {
    /// The widget's part of the module could not be fetched.
    Unavailable,
    /// The data handed over is not what the Worker renders views from.
    Data(String),
}

#[cfg(feature = "client")]
impl From<leptos::wasm_split::SplitLoaderError> for MountError {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        MountError::Unavailable
    }
}

#[cfg(feature = "client")]
fn rejected(e: MountError) -> JsValue {
    JsValue::from_str(&match e {
        MountError::Unavailable => "the widget's part of the module could not be fetched".into(),
        MountError::Data(e) => format!("the rendered view's data cannot be read: {e}"),
    })
}

/// The rendered view's data as the widget's own type.
#[cfg(feature = "client")]
fn data<T: serde::de::DeserializeOwned>(first: JsValue) -> Result<T, MountError> {
    serde_wasm_bindgen::from_value(first).map_err(|e| MountError::Data(e.to_string()))
}

/// Mounts `<rapport-reviews>` for `product` into `container`. An empty `token` means no
/// shopper is signed in. `first` is the product's first page as the Worker rendered it.
/// Resolves once the widget is drawn.
#[cfg(all(feature = "client", feature = "reviews"))]
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub async fn mount_reviews(
    container: HtmlElement,
    api: String,
    shop: String,
    locale: String,
    token: String,
    strings: JsValue,
    product: String,
    first: JsValue,
) -> Result<(), JsValue> {
    let mount = Mount::new(container, [api, shop, locale, token], strings, product, first);
    draw_reviews(mount.map_err(rejected)?).await.map_err(rejected)
}

#[cfg(all(feature = "client", feature = "reviews"))]
#[leptos::wasm_split::wasm_split(reviews, wasm_split_path = ::leptos::wasm_split, fallible)]
fn draw_reviews(m: Mount) -> Result<(), MountError> {
    let Mount { container, config, subject: product, first, .. } = m;
    let first = data(first)?;
    leptos::mount::mount_to(container, move || view! { <reviews::Reviews config product first/> })
        .forget();
    Ok(())
}

/// Mounts `<rapport-loyalty>` into `container`: the panel in place, or with `mode` `launcher` a
/// floating button that opens it. An empty `token` means no shopper is signed in. `first` is the
/// answer the Worker rendered the first view from, and `expired` whether the page's token was
/// refused for it. Resolves once the widget is drawn.
#[cfg(all(feature = "client", feature = "loyalty"))]
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub async fn mount_loyalty(
    container: HtmlElement,
    api: String,
    shop: String,
    locale: String,
    token: String,
    strings: JsValue,
    mode: String,
    first: JsValue,
    expired: bool,
) -> Result<(), JsValue> {
    let mount = Mount::new(container, [api, shop, locale, token], strings, mode, first);
    draw_loyalty(Mount { expired, ..mount.map_err(rejected)? }).await.map_err(rejected)
}

#[cfg(all(feature = "client", feature = "loyalty"))]
#[leptos::wasm_split::wasm_split(loyalty, wasm_split_path = ::leptos::wasm_split, fallible)]
fn draw_loyalty(m: Mount) -> Result<(), MountError> {
    let Mount { container, config, subject, first, expired } = m;
    let mode = loyalty::Mode::parse(&subject);
    let first = (data(first)?, expired);
    leptos::mount::mount_to(container, move || view! { <loyalty::Loyalty config mode first/> })
        .forget();
    Ok(())
}

/// Mounts `<rapport-referral>` into `container`. An empty `token` means no shopper is signed
/// in. `first` is the answer the Worker rendered the first view from. Resolves once the widget
/// is drawn.
#[cfg(all(feature = "client", feature = "referral"))]
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub async fn mount_referral(
    container: HtmlElement,
    api: String,
    shop: String,
    locale: String,
    token: String,
    strings: JsValue,
    first: JsValue,
) -> Result<(), JsValue> {
    let mount = Mount::new(container, [api, shop, locale, token], strings, String::new(), first);
    draw_referral(mount.map_err(rejected)?).await.map_err(rejected)
}

#[cfg(all(feature = "client", feature = "referral"))]
#[leptos::wasm_split::wasm_split(referral, wasm_split_path = ::leptos::wasm_split, fallible)]
fn draw_referral(m: Mount) -> Result<(), MountError> {
    let Mount { container, config, first, .. } = m;
    let first = data(first)?;
    leptos::mount::mount_to(container, move || view! { <referral::Referral config first/> })
        .forget();
    Ok(())
}

/// Draws the shopper's own `<rapport-recommendations>` list (`kind`: `recently-viewed` or
/// `for-you`) into `container`, from `history` (the SKUs of the products this browser viewed,
/// oldest first, kept only with consent) and the public `similar` lists of those products,
/// leaving out `product` (the page's own). Resolves with the number of cards drawn: with none,
/// the loader hides the element.
#[cfg(all(feature = "client", feature = "recommendations"))]
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub async fn mount_recommendations(
    container: HtmlElement,
    api: String,
    shop: String,
    locale: String,
    token: String,
    strings: JsValue,
    kind: String,
    heading: String,
    product: String,
    history: JsValue,
) -> Result<JsValue, JsValue> {
    let mount = Mount::new(container, [api, shop, locale, token], strings, kind, history);
    let promise =
        draw_recommendations(mount.map_err(rejected)?, heading, product).await.map_err(rejected)?;
    wasm_bindgen_futures::JsFuture::from(promise).await
}

#[cfg(all(feature = "client", feature = "recommendations"))]
#[leptos::wasm_split::wasm_split(recommendations, wasm_split_path = ::leptos::wasm_split, fallible)]
fn draw_recommendations(
    m: Mount,
    heading: String,
    product: String,
) -> Result<js_sys::Promise, MountError> {
    use rapport_shared::recs::lists::Kind;
    let Mount { container, config, subject, first, .. } = m;
    let kind = Kind::parse(&subject)
        .filter(|k| !k.stored())
        .ok_or_else(|| MountError::Data(format!("{subject} is not drawn in the browser")))?;
    let history: Vec<String> = data(first)?;
    let heading = if heading.is_empty() {
        config.strings.get(recommendations::heading_key(kind)).to_owned()
    } else {
        heading
    };
    let current = (!product.is_empty()).then_some(product);
    Ok(wasm_bindgen_futures::future_to_promise(async move {
        let client = api::Client { api: config.api, token: config.token };
        let cards =
            recommendations::shopper::cards(&client, &config.shop, kind, history, current).await;
        let count = cards.len();
        if count > 0 {
            let locale = config.locale;
            leptos::mount::mount_to(container, move || {
                view! { <recommendations::Recommendations locale heading cards/> }
            })
            .forget();
        }
        Ok(JsValue::from_f64(count as f64))
    }))
}
