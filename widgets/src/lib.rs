//! Rapport's storefront widgets: Leptos components compiled to one WebAssembly module.
//!
//! The loader (`loader/rapport.js`) owns the custom elements and their shadow roots; it loads
//! this module only when a widget nears the viewport and calls one `mount_*` export per element
//! with a container inside that element's shadow root. Nothing here touches the host page.

mod api;
mod format;
mod loyalty;
mod review_form;
mod review_item;
mod reviews;
mod star_input;
mod stars;
mod summary;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
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

#[wasm_bindgen(start)]
fn start() {
    // With `panic = "abort"` a panic ends the module; say why first, in the page's console.
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("[rapport] widget failure: {info}").into());
    }));
}

/// Mounts `<rapport-reviews>` for `product` into `container`. An empty `token` means no
/// shopper is signed in.
#[wasm_bindgen]
pub fn mount_reviews(
    container: HtmlElement,
    api: String,
    shop: String,
    locale: String,
    token: String,
    product: String,
) {
    let token = (!token.is_empty()).then_some(token);
    let config = Config { api, shop, locale, token };
    leptos::mount::mount_to(container, move || view! { <reviews::Reviews config product/> })
        .forget();
}

/// Mounts `<rapport-loyalty>` into `container`: the panel in place, or with `mode` `launcher` a
/// floating button that opens it. An empty `token` means no shopper is signed in.
#[wasm_bindgen]
pub fn mount_loyalty(
    container: HtmlElement,
    api: String,
    shop: String,
    locale: String,
    token: String,
    mode: String,
) {
    let token = (!token.is_empty()).then_some(token);
    let config = Config { api, shop, locale, token };
    let mode = loyalty::Mode::parse(&mode);
    leptos::mount::mount_to(container, move || view! { <loyalty::Loyalty config mode/> }).forget();
}
