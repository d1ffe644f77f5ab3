//! `<rapport-reviews product="SKU">`: star summary, histogram and the newest reviews.
//!
//! Review text is inserted as text nodes (Leptos never parses strings as HTML), so markup in a
//! review is shown, not run.

use leptos::prelude::*;
use rapport_shared::reviews::{ProductReviews, PublicReview, ReviewSummary};

use crate::api::{self, ApiError};
use crate::format;
use crate::stars::Stars;
use crate::Config;

/// Reviews shown before the shopper asks for more. The widget's reserved height (the
/// `--rapport-reviews-min-height` in the loader's CSS) fits the summary plus this many.
const FIRST_VISIBLE: usize = 3;

fn plural(n: u32, one: &str, many: &str, locale: &str) -> String {
    format!("{} {}", format::integer(locale, n), if n == 1 { one } else { many })
}

/// The reviews widget for one product.
#[component]
pub fn Reviews(
    /// API origin, shop and locale, from the loader.
    config: Config,
    /// The product's SKU, from the element's `product` attribute.
    product: String,
) -> impl IntoView {
    let path = format!(
        "/v1/shops/{}/products/{}/reviews",
        api::segment(&config.shop),
        api::segment(&product)
    );
    let api_origin = config.api.clone();
    let page = LocalResource::new(move || {
        let (api_origin, path) = (api_origin.clone(), path.clone());
        async move { api::get::<ProductReviews>(&api_origin, &path).await }
    });
    let locale = config.locale;
    let body = move || {
        let locale = locale.clone();
        match page.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Ok(page)) => view! { <Loaded page locale/> }.into_any(),
            Some(Err(ApiError::NotFound(_))) => view! {
                <p class="notice" part="notice">"Reviews are not available for this product."</p>
            }
            .into_any(),
            Some(Err(e)) => {
                leptos::logging::error!("[rapport] reviews could not load: {e}");
                view! { <p class="notice" part="notice" role="status">"Reviews could not be loaded."</p> }
                    .into_any()
            }
        }
    };
    view! {
        <section class="reviews" part="reviews" aria-labelledby="rapport-reviews-title">
            <h2 id="rapport-reviews-title" part="title">"Customer reviews"</h2>
            {body}
        </section>
    }
}

#[component]
fn Loading() -> impl IntoView {
    view! { <div class="skeleton" aria-busy="true" aria-label="Loading reviews"></div> }
}

#[component]
fn Loaded(page: ProductReviews, locale: String) -> impl IntoView {
    if page.summary.count == 0 {
        return view! {
            <p class="notice empty" part="notice">"No reviews yet. Be the first to share your thoughts."</p>
        }
        .into_any();
    }
    let expanded = RwSignal::new(false);
    let total = page.reviews.len();
    let has_more = total > FIRST_VISIBLE;
    let reviews = page.reviews;
    let list_locale = locale.clone();
    let list = move || {
        let shown = if expanded.get() { total } else { total.min(FIRST_VISIBLE) };
        reviews
            .iter()
            .take(shown)
            .cloned()
            .map(|review| view! { <ReviewItem review locale=list_locale.clone()/> })
            .collect_view()
    };
    view! {
        <Summary summary=page.summary locale/>
        <ol class="list" part="list">{list}</ol>
        <Show when=move || has_more && !expanded.get()>
            <button type="button" class="more" part="button" on:click=move |_| expanded.set(true)>
                "Show more reviews"
            </button>
        </Show>
    }
    .into_any()
}

#[component]
fn Summary(summary: ReviewSummary, locale: String) -> impl IntoView {
    let average = format::one_decimal(&locale, summary.average);
    let label = format!("Rated {average} out of 5");
    let based_on = format!("Based on {}", plural(summary.count, "review", "reviews", &locale));
    let bars = (1..=5u8)
        .rev()
        .map(|stars| {
            let count = summary.with_rating(stars);
            let width = format!("{}%", summary.percent_with_rating(stars));
            let label = format!("{stars} stars: {}", plural(count, "review", "reviews", &locale));
            view! {
                <li class="bar-row" aria-label=label>
                    <span class="bar-label" aria-hidden="true">{stars}" ★"</span>
                    <span class="bar" aria-hidden="true"><span class="fill" style:width=width></span></span>
                    <span class="bar-count" aria-hidden="true">{format::integer(&locale, count)}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="summary" part="summary">
            <div class="average">
                <span class="average-value" aria-hidden="true">{average}</span>
                <Stars value=summary.average label/>
                <span class="count">{based_on}</span>
            </div>
            <ul class="histogram" aria-label="Rating distribution">{bars}</ul>
        </div>
    }
}

#[component]
fn ReviewItem(review: PublicReview, locale: String) -> impl IntoView {
    let stars = review.rating.stars();
    let label = format!("Rated {stars} out of 5");
    let date = format::date(&locale, review.created_at);
    let title =
        (!review.title.is_empty()).then(|| view! { <h3 class="review-title">{review.title}</h3> });
    let verified = review
        .verified
        .then(|| view! { <span class="verified" part="verified">"Verified buyer"</span> });
    view! {
        <li class="review" part="review">
            <Stars value=f64::from(stars) label/>
            {title}
            <p class="review-body">{review.body}</p>
            <p class="review-meta">
                <span class="author">{review.author}</span>
                {verified}
                <time>{date}</time>
            </p>
        </li>
    }
}
