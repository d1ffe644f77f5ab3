//! Rapport's storefront widgets: Leptos components compiled to one WebAssembly module.
//!
//! The loader (`loader/rapport.js`) owns the custom elements and their shadow roots; it loads
//! this module only when a widget nears the viewport and calls one `mount_*` export per element
//! with a container inside that element's shadow root. Nothing here touches the host page.

mod api;
mod format;
mod reviews;
mod stars;

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
}

#[wasm_bindgen(start)]
fn start() {
    // With `panic = "abort"` a panic ends the module; say why first, in the page's console.
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("[rapport] widget failure: {info}").into());
    }));
}

/// Mounts `<rapport-reviews>` for `product` into `container`.
#[wasm_bindgen]
pub fn mount_reviews(
    container: HtmlElement,
    api: String,
    shop: String,
    locale: String,
    product: String,
) {
    let config = Config { api, shop, locale };
    leptos::mount::mount_to(container, move || view! { <reviews::Reviews config product/> })
        .forget();
}
