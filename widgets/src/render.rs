//! The widgets' first view as HTML, rendered in the Worker from the same components the browser
//! mounts (Leptos SSR), so the shopper sees content before any WebAssembly has arrived.

use leptos::prelude::*;
use rapport_shared::reviews::ProductReviews;

use crate::Config;

/// The first view of `<rapport-reviews>` for `product`: the markup the component draws from
/// `page`, exactly as the browser's mount of the same page draws it.
#[cfg(feature = "reviews")]
pub fn reviews(config: Config, product: String, page: ProductReviews) -> String {
    let owner = Owner::new();
    owner.with(|| {
        view! { <crate::reviews::Reviews config product first=Some(page)/> }.to_html()
    })
}
