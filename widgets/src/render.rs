//! The widgets' first view as HTML, rendered in the Worker from the same components the browser
//! mounts (Leptos SSR), so the shopper sees content before any WebAssembly has arrived.

use leptos::prelude::*;
#[cfg(feature = "loyalty")]
use rapport_shared::loyalty::LoyaltyView;
#[cfg(feature = "reviews")]
use rapport_shared::reviews::ProductReviews;

use crate::Config;

/// The first view of `<rapport-reviews>` for `product`: the markup the component draws from
/// `page`, exactly as the browser's mount of the same page draws it.
#[cfg(feature = "reviews")]
pub fn reviews(config: Config, product: String, page: ProductReviews) -> String {
    let owner = Owner::new();
    owner.with(|| view! { <crate::reviews::Reviews config product first=page/> }.to_html())
}

/// The first view of `<rapport-loyalty>` in `mode`, from the Worker's answer; `expired` when the
/// page's token was refused (the signed-out view asks the shopper to sign in again).
#[cfg(feature = "loyalty")]
pub fn loyalty(
    config: Config,
    mode: crate::loyalty::Mode,
    view: LoyaltyView,
    expired: bool,
) -> String {
    let owner = Owner::new();
    owner.with(|| {
        let first = (view, expired);
        view! { <crate::loyalty::Loyalty config mode first/> }.to_html()
    })
}

/// The first view of `<rapport-referral>`, from the Worker's answer: the programme, and signed
/// in the advocate's page.
#[cfg(feature = "referral")]
pub fn referral(config: Config, view: rapport_shared::referral::ReferralView) -> String {
    let owner = Owner::new();
    owner.with(|| view! { <crate::referral::Referral config first=view/> }.to_html())
}

/// The first view of `<rapport-recommendations>` for one of the shop's lists: the cards under
/// `heading`.
#[cfg(feature = "recommendations")]
pub fn recommendations(
    config: Config,
    heading: String,
    cards: Vec<rapport_shared::recs::lists::Card>,
) -> String {
    let owner = Owner::new();
    let locale = config.locale;
    owner.with(|| {
        view! { <crate::recommendations::Recommendations locale heading cards/> }.to_html()
    })
}
