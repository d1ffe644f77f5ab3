//! `<rapport-reviews product="SKU">`: star summary and histogram (whose bars filter the list),
//! the reviews with sorting and paging, helpful votes, the merchant's replies, and the form to
//! write a review. Also puts the product's schema.org JSON-LD into the page for search engines.
//!
//! Review text is inserted as text nodes (Leptos never parses strings as HTML), so markup in a
//! review is shown, not run.

use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_shared::reviews::{
    ProductReviews, PublicReview, ReviewList, ReviewStatus, ReviewSummary, Sort, Submitted,
    LIST_PAGE_SIZE,
};

use crate::api::{self, Client};
use crate::fold::{fold, show_more};
use crate::review_form::ReviewForm;
use crate::review_item::ReviewItem;
use crate::summary::Summary;
use crate::tr::{tr, Tr};
use crate::{Config, Unavailable};

/// Reviews in the first view. They sit in the fold (see `fold`), which shows as many of them as
/// the widget's fixed height holds; "Show more reviews" opens it.
const FIRST_VISIBLE: usize = 3;

/// What every part of the widget needs to talk to the Worker about this product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewsContext {
    pub client: Client,
    /// `/v1/shops/{shop}/products/{sku}/reviews`
    pub path: String,
    pub locale: String,
}

/// The reviews loaded so far for the current sort and filter.
#[derive(Debug, Clone, PartialEq, Default)]
struct Listing {
    reviews: Vec<PublicReview>,
    /// Pages fetched so far.
    page: u32,
    pages: u32,
}

impl From<ReviewList> for Listing {
    fn from(l: ReviewList) -> Self {
        Self { reviews: l.reviews, page: l.page, pages: l.pages }
    }
}

/// The reviews widget for one product, drawn from `first`: the page the Worker rendered the
/// first view from, so the browser's mount draws the same DOM without fetching it again.
#[component]
pub fn Reviews(
    /// API origin, shop, locale and shopper token, from the loader.
    config: Config,
    /// The product's SKU, from the element's `product` attribute.
    product: String,
    /// The product's first page.
    first: ProductReviews,
) -> impl IntoView {
    let t = Tr::provide(&config);
    let ctx = ReviewsContext {
        client: Client { api: config.api, token: config.token },
        path: format!(
            "/v1/shops/{}/products/{}/reviews",
            api::segment(&config.shop),
            api::segment(&product)
        ),
        locale: config.locale,
    };
    view! {
        <section class="reviews frame" part="reviews" aria-labelledby="rapport-reviews-title">
            <h2 id="rapport-reviews-title" part="title">{t.get("reviews.title")}</h2>
            <Loaded page=first ctx/>
        </section>
    }
}

/// The review form, drawn from its own part of the module.
#[cfg_attr(
    feature = "client",
    leptos::wasm_split::wasm_split(review_form, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn review_form(
    ctx: ReviewsContext,
    on_sent: Callback<Submitted>,
    on_cancel: Callback<()>,
) -> Result<AnyView, Unavailable> {
    Ok(view! { <ReviewForm ctx on_sent on_cancel/> }.into_any())
}

fn list_path(ctx: &ReviewsContext, sort: Sort, rating: Option<u8>, page: u32) -> String {
    let rating = rating.map(|r| format!("&rating={r}")).unwrap_or_default();
    format!("{}?sort={}{rating}&page={page}", ctx.path, sort.as_str())
}

#[component]
fn Loaded(page: ProductReviews, ctx: ReviewsContext) -> impl IntoView {
    let summary = page.summary.clone();
    let pages = summary.count.div_ceil(LIST_PAGE_SIZE as u32);
    let listing = RwSignal::new(Listing { reviews: page.reviews, page: 1, pages });
    let visible = RwSignal::new(FIRST_VISIBLE);
    let sort = RwSignal::new(Sort::Newest);
    let filter = RwSignal::new(None::<u8>);
    let busy = RwSignal::new(false);
    let writing = RwSignal::new(false);
    let sent = RwSignal::new(None::<ReviewStatus>);

    // Asked for more while the next page was still on its way: shown when it arrives.
    let reveal = RwSignal::new(false);

    // Fetches page `page` of the current order; page 1 replaces the list, later pages extend it
    // without showing more: the shopper's "Show more" reveals them, so the widget grows only
    // when the shopper acts, never when a response happens to arrive.
    let fetch_ctx = ctx.clone();
    let fetch = move |page: u32| {
        let ctx = fetch_ctx.clone();
        busy.set(true);
        spawn_local(async move {
            match ctx
                .client
                .get::<ReviewList>(&list_path(
                    &ctx,
                    sort.get_untracked(),
                    filter.get_untracked(),
                    page,
                ))
                .await
            {
                Ok(list) if page == 1 => listing.set(list.into()),
                Ok(list) => {
                    listing.update(|l| {
                        l.reviews.extend(list.reviews);
                        l.page = list.page;
                        l.pages = list.pages;
                    });
                    if reveal.get_untracked() {
                        reveal.set(false);
                        visible.update(|v| *v += LIST_PAGE_SIZE);
                    }
                }
                Err(e) => leptos::logging::error!("[rapport] more reviews could not load: {e}"),
            }
            busy.set(false);
        });
    };
    let refetch = fetch.clone();
    let reorder = Callback::new(move |()| {
        // A "Show more" still waiting was for the old order.
        reveal.set(false);
        visible.set(FIRST_VISIBLE.max(LIST_PAGE_SIZE));
        refetch(1);
    });
    // Shows the next reviews already loaded and loads the page after them ahead of time.
    let more = {
        let fetch = fetch.clone();
        move |_| {
            let (loaded, page, pages) =
                listing.with_untracked(|l| (l.reviews.len(), l.page, l.pages));
            let shown = visible.get_untracked();
            if shown >= loaded && page < pages {
                reveal.set(true);
                if !busy.get_untracked() {
                    fetch(page + 1);
                }
                return;
            }
            let now = (shown + LIST_PAGE_SIZE).min(loaded);
            visible.set(now);
            if now + LIST_PAGE_SIZE > loaded && page < pages && !busy.get_untracked() {
                fetch(page + 1);
            }
        }
    };
    let has_more = move || {
        let (loaded, page, pages) = listing.with(|l| (l.reviews.len(), l.page, l.pages));
        visible.get() < loaded || page < pages
    };

    let locale = ctx.locale.clone();
    let item_ctx = ctx.clone();
    let list = move || {
        listing
            .get()
            .reviews
            .into_iter()
            .take(visible.get())
            .map(|review| view! { <ReviewItem review ctx=item_ctx.clone()/> })
            .collect_view()
    };
    let on_sent = Callback::new(move |done: Submitted| {
        writing.set(false);
        sent.set(Some(done.status));
        if done.status == ReviewStatus::Published {
            listing.update(|l| l.reviews.insert(0, done.review));
        }
    });
    let t = tr();
    let thanks_t = t.clone();
    let thanks = move || {
        sent.get().map(|status| {
            let text = thanks_t.get(match status {
                ReviewStatus::Published => "reviews.thanks_published",
                _ => "reviews.thanks_pending",
            });
            view! { <p class="sent" part="notice" role="status">{text}</p> }
        })
    };
    let write = t.get("reviews.write");
    let write_button = move || {
        (!writing.get() && sent.get().is_none()).then(|| {
            view! {
                <button type="button" class="write" part="button" on:click=move |_| writing.set(true)>
                    {write.clone()}
                </button>
            }
        })
    };
    let form_ctx = ctx.clone();
    // The form is its own part of the module, fetched the first time a shopper opens it.
    let form = move || {
        writing.get().then(|| {
            let ctx = form_ctx.clone();
            let on_cancel = Callback::new(move |()| writing.set(false));
            Suspend::new(async move {
                crate::part!(review_form(ctx, on_sent, on_cancel))
                    .unwrap_or_else(|Unavailable| crate::unavailable().into_any())
            })
        })
    };

    let reviewed = summary.count > 0;
    let none_yet = t.get("reviews.none_yet");
    let top = if !reviewed {
        // Until the shopper's own review appears in the list.
        let empty = move || listing.with(|l| l.reviews.is_empty());
        Either::Left(view! {
            <Show when=empty>
                <p class="notice empty" part="notice">{none_yet.clone()}</p>
            </Show>
        })
    } else {
        Either::Right(view! {
            <Summary summary=summary.clone() locale=locale.clone() filter on_filter=reorder/>
        })
    };
    let body = view! {
            {top}
            <div class="toolbar">
                {write_button}
                <Show when=move || reviewed>
                    <SortSelect sort on_sort=reorder/>
                </Show>
            </div>
            {thanks}
            {form}
            <Show when=move || filter.get().is_some()>
                <FilterNote filter summary=summary.clone() on_clear=reorder/>
            </Show>
            <ol class="list" part="list" aria-busy=move || busy.get().to_string()>{list}</ol>
    };
    view! {
        {fold(body)}
        <div class="fold-foot">
            <Show when=has_more fallback=show_more>
                <button type="button" class="more" part="button" on:click=more.clone()>{t.get("reviews.show_more")}</button>
            </Show>
        </div>
    }
}

/// The order of the list.
#[component]
fn SortSelect(sort: RwSignal<Sort>, on_sort: Callback<()>) -> impl IntoView {
    let t = tr();
    let options = [
        (Sort::Newest, t.get("reviews.sort.newest")),
        (Sort::Highest, t.get("reviews.sort.highest")),
        (Sort::Lowest, t.get("reviews.sort.lowest")),
        (Sort::MostHelpful, t.get("reviews.sort.most_helpful")),
    ];
    view! {
        <label class="sort">
            {t.get("reviews.sort_by")}
            " "
            <select on:change=move |ev| {
                if let Ok(s) = Sort::parse(&event_target_value(&ev)) {
                    sort.set(s);
                    on_sort.run(());
                }
            }>
                {options
                    .into_iter()
                    .map(|(value, label)| {
                        view! { <option value=value.as_str() selected=move || sort.get() == value>{label}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// Says which filter is on, with a way to clear it.
#[component]
fn FilterNote(
    filter: RwSignal<Option<u8>>,
    summary: ReviewSummary,
    on_clear: Callback<()>,
) -> impl IntoView {
    let t = tr();
    let show_all = t.get("reviews.show_all");
    let text = move || {
        filter.get().map(|stars| {
            let n = summary.with_rating(stars);
            t.count("reviews.showing", n.into(), &[("stars", &stars.to_string())])
        })
    };
    view! {
        <p class="filter-note" role="status">
            {text}
            " "
            <button type="button" class="link" on:click=move |_| {
                filter.set(None);
                on_clear.run(());
            }>{show_all}</button>
        </p>
    }
}
