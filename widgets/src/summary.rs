//! The star summary: average, count, and a histogram whose bars filter the list.

use leptos::prelude::*;
use rapport_shared::reviews::ReviewSummary;

use crate::format;
use crate::stars::Stars;
use crate::tr::tr;

/// Average, count and histogram. Clicking a bar shows only reviews with that many stars;
/// clicking it again shows all.
#[component]
pub fn Summary(
    summary: ReviewSummary,
    locale: String,
    /// The star filter in force, if any.
    filter: RwSignal<Option<u8>>,
    /// Called after the filter changed.
    on_filter: Callback<()>,
) -> impl IntoView {
    let t = tr();
    let average = format::one_decimal(&locale, summary.average);
    let label = t.text("common.rated", &[("rating", &average)]);
    let based_on = t.count("reviews.based_on", summary.count.into(), &[]);
    let bars = (1..=5u8)
        .rev()
        .map(|stars| {
            let count = summary.with_rating(stars);
            let width = format!("{}%", summary.percent_with_rating(stars));
            let label = t.text(
                "reviews.filter_bar",
                &[
                    ("stars", &t.count("reviews.stars", stars.into(), &[])),
                    ("reviews", &t.count("reviews.count", count.into(), &[])),
                ],
            );
            view! {
                <li>
                    <button
                        type="button"
                        class="bar-row"
                        aria-pressed=move || (filter.get() == Some(stars)).to_string()
                        disabled=count == 0
                        on:click=move |_| {
                            filter.update(|f| *f = if *f == Some(stars) { None } else { Some(stars) });
                            on_filter.run(());
                        }
                    >
                        <span class="bar-label" aria-hidden="true">{stars}" ★"</span>
                        <span class="bar" aria-hidden="true"><span class="fill" style:width=width></span></span>
                        <span class="bar-count" aria-hidden="true">{format::integer(&locale, count)}</span>
                        <span class="visually-hidden">{label}</span>
                    </button>
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
            <ul class="histogram" aria-label=t.get("reviews.distribution")>{bars}</ul>
        </div>
    }
}
