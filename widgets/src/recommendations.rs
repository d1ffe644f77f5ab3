//! `<rapport-recommendations>`: a row of product cards (image, title, price, link).
//!
//! The shop's lists (`bought-together`, `similar`, `trending`) are drawn by the Worker from the
//! stored list and need nothing more in the browser: their cards are links, and the loader moves
//! focus between them with the arrow keys. The shopper's own lists (`recently-viewed`, `for-you`)
//! are assembled here, in the browser, from the product history the page keeps (with consent)
//! and the public `similar` lists of those products, so the history never leaves the device.

use leptos::either::Either;
use leptos::prelude::*;
use rapport_shared::catalog::is_link_url;
use rapport_shared::recs::lists::{Card, Kind};

use crate::format;

/// The key of the heading a kind shows unless the merchant sets `heading`.
pub fn heading_key(kind: Kind) -> &'static str {
    match kind {
        Kind::BoughtTogether => "recs.bought_together",
        Kind::Similar => "recs.similar",
        Kind::Trending => "recs.trending",
        Kind::RecentlyViewed => "recs.recently_viewed",
        Kind::ForYou => "recs.for_you",
    }
}

/// The row of cards under `heading`.
#[component]
pub fn Recommendations(
    /// The shopper's locale, for prices.
    locale: String,
    /// The merchant's heading, or the kind's own.
    heading: String,
    /// The products, best first.
    cards: Vec<Card>,
) -> impl IntoView {
    let cards = cards.into_iter().map(|c| card(c, &locale)).collect_view();
    view! {
        // Not a landmark: a page may show two rows under one heading (trending, and a shopper's
        // own list shown as trending until there is something to draw it from).
        <section class="recs" part="recommendations">
            <h2 part="title">{heading}</h2>
            <ul class="cards" part="list">{cards}</ul>
        </section>
    }
}

fn card(c: Card, locale: &str) -> impl IntoView {
    let image = match c.image_url.filter(|u| is_link_url(u)) {
        // Width and height are set, so the row keeps its size while images load.
        Some(src) => Either::Left(view! {
            <img class="card-image" src=src width="160" height="160" loading="lazy" alt=""/>
        }),
        None => Either::Right(view! { <span class="card-image" aria-hidden="true"></span> }),
    };
    let price =
        c.price.map(|p| view! { <span class="card-price">{format::money(locale, &p)}</span> });
    let inner = view! {
        {image}
        <span class="card-title">{c.title}</span>
        {price}
    };
    let link = c.url.filter(|u| is_link_url(u));
    view! {
        <li class="card" part="card">
            {match link {
                Some(href) => Either::Left(view! { <a class="card-link" href=href>{inner}</a> }),
                None => Either::Right(view! { <span class="card-link">{inner}</span> }),
            }}
        </li>
    }
}

/// The shopper's own lists, in the browser.
#[cfg(feature = "client")]
pub mod shopper {
    use rapport_shared::ids::Sku;
    use rapport_shared::recs::lists::{own_list, recent, trending_cards, Card, Kind, RecList};

    use crate::api::{segment, Client};

    /// What the signed-in shopper bought, from the Worker (read with their token).
    #[derive(serde::Deserialize)]
    struct Purchases {
        purchases: Vec<Sku>,
    }

    /// `recently-viewed` or `for-you` from `history` (SKUs, oldest first), leaving out
    /// `current` (the page's own product). For a signed-in shopper, "for you" also draws from
    /// what they bought, and leaves it out. For you with nothing to draw from is the shop's
    /// trending list.
    pub async fn cards(
        client: &Client,
        shop: &str,
        kind: Kind,
        history: Vec<String>,
        current: Option<String>,
    ) -> Vec<Card> {
        let base = format!("/v1/shops/{}", segment(shop));
        let bought: Vec<Sku> = match (kind, &client.token) {
            (Kind::ForYou, Some(_)) => client
                .get_own::<Purchases>(&format!("{base}/me/purchases"))
                .await
                .map(|p| p.purchases)
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let views: Vec<Sku> = history.iter().filter_map(|s| Sku::parse(s).ok()).collect();
        let base = format!("{base}/recommendations");
        let mut lists: Vec<(Sku, Option<RecList>)> = Vec::new();
        for sku in recent(&bought, &views) {
            let path = format!("{base}/similar?product={}", segment(sku.as_str()));
            let list = client.get::<RecList>(&path).await.ok();
            lists.push((sku, list.filter(|l| l.kind == Kind::Similar)));
        }
        let cards = own_list(kind, &lists, &bought, current.as_deref());
        if !cards.is_empty() || kind == Kind::RecentlyViewed {
            return cards;
        }
        let trending = client.get::<RecList>(&format!("{base}/trending")).await;
        trending.map(|l| trending_cards(l, current.as_deref())).unwrap_or_default()
    }
}
