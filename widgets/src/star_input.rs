//! The rating input: five native radio buttons in a radio group, drawn as stars. Native radios
//! give arrow-key movement, one tab stop and screen-reader announcements for free.

use leptos::prelude::*;

#[component]
pub fn StarInput(
    /// The chosen rating.
    rating: RwSignal<Option<u8>>,
    /// Id of the element describing a problem with the rating, when there is one.
    #[prop(into)]
    error_id: Signal<Option<String>>,
) -> impl IntoView {
    let t = crate::tr::tr();
    let stars = (1..=5u8)
        .map(|n| {
            let id = format!("rapport-star-{n}");
            let name = t.count("reviews.stars", n.into(), &[]);
            let class = move || {
                if rating.get().is_some_and(|r| r >= n) {
                    "star-label on"
                } else {
                    "star-label"
                }
            };
            view! {
                <input
                    type="radio"
                    class="visually-hidden"
                    name="rapport-rating"
                    id=id.clone()
                    value=n.to_string()
                    prop:checked=move || rating.get() == Some(n)
                    on:change=move |_| rating.set(Some(n))
                />
                <label for=id class=class>
                    <span aria-hidden="true">"★"</span>
                    <span class="visually-hidden">{name}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset
            class="star-input"
            role="radiogroup"
            aria-labelledby="rapport-rating-legend"
            aria-describedby=move || error_id.get()
            aria-invalid=move || error_id.get().is_some().then_some("true")
        >
            <legend id="rapport-rating-legend">{t.get("reviews.form.rating")}</legend>
            <div class="star-row">{stars}</div>
        </fieldset>
    }
}
