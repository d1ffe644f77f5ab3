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
//! Each widget kind is a cargo feature. The build makes one module per kind and one with all
//! of them, and the loader picks the one that holds every kind on the page: a product page with
//! reviews does not download the loyalty widget, and a page with both downloads one module.

// The loyalty panel's view type nests deeply, and rendering it to HTML in the Worker walks it.
#![recursion_limit = "256"]

mod api;
mod fold;
#[cfg_attr(not(all(feature = "reviews", feature = "loyalty")), allow(dead_code))]
mod format;
#[cfg(feature = "loyalty")]
pub mod loyalty;
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

#[cfg(feature = "ssr")]
pub mod render;

#[cfg(feature = "client")]
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
}

#[cfg(feature = "client")]
#[wasm_bindgen(start)]
fn start() {
    // With `panic = "abort"` a panic ends the module; say why first, in the page's console.
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("[rapport] widget failure: {info}").into());
    }));
}

/// Mounts `<rapport-reviews>` for `product` into `container`. An empty `token` means no
/// shopper is signed in. `first` is the product's first page as the Worker rendered it (the
/// JSON embedded in its HTML), so the widget draws the same view without fetching it again;
/// `undefined` makes it fetch.
#[cfg(all(feature = "client", feature = "reviews"))]
#[wasm_bindgen]
pub fn mount_reviews(
    container: HtmlElement,
    api: String,
    shop: String,
    locale: String,
    token: String,
    product: String,
    first: JsValue,
) {
    let token = (!token.is_empty()).then_some(token);
    let config = Config { api, shop, locale, token };
    let first = serde_wasm_bindgen::from_value(first).ok();
    leptos::mount::mount_to(container, move || view! { <reviews::Reviews config product first/> })
        .forget();
}

/// Mounts `<rapport-loyalty>` into `container`: the panel in place, or with `mode` `launcher` a
/// floating button that opens it. An empty `token` means no shopper is signed in. `first` is the
/// answer the Worker rendered the first view from (`undefined` makes the widget fetch it), and
/// `expired` whether the page's token was refused for it.
#[cfg(all(feature = "client", feature = "loyalty"))]
#[wasm_bindgen]
pub fn mount_loyalty(
    container: HtmlElement,
    api: String,
    shop: String,
    locale: String,
    token: String,
    mode: String,
    first: JsValue,
    expired: bool,
) {
    let token = (!token.is_empty()).then_some(token);
    let config = Config { api, shop, locale, token };
    let mode = loyalty::Mode::parse(&mode);
    let first = serde_wasm_bindgen::from_value(first).ok().map(|view| (view, expired));
    leptos::mount::mount_to(container, move || view! { <loyalty::Loyalty config mode first/> })
        .forget();
}
