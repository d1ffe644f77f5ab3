//! A read-only row of five stars for an average or a single rating.

use leptos::prelude::*;
use rapport_shared::reviews::{star_fill, StarFill};

/// Five stars filled to the nearest half of `value`, announced as one image.
#[component]
pub fn Stars(
    /// The rating or average, 0 to 5.
    value: f64,
    /// What a screen reader hears, e.g. "Rated 4.6 out of 5".
    label: String,
) -> impl IntoView {
    let stars = (1..=5u8)
        .map(|position| {
            let class = match star_fill(value, position) {
                StarFill::Full => "star full",
                StarFill::Half => "star half",
                StarFill::Empty => "star",
            };
            view! { <span class=class aria-hidden="true">"★"</span> }
        })
        .collect_view();
    view! { <span class="stars" part="stars" role="img" aria-label=label>{stars}</span> }
}
