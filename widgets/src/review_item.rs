//! One review in the list: stars, title, text, author, verified badge, date, the merchant's
//! public reply, and the helpful vote.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_shared::reviews::{HelpfulCount, PublicReview};

use crate::api::ApiError;
use crate::format;
use crate::reviews::ReviewsContext;
use crate::stars::Stars;
use crate::tr::tr;

#[component]
pub fn ReviewItem(review: PublicReview, ctx: ReviewsContext) -> impl IntoView {
    let t = tr();
    let stars = review.rating.stars();
    let label = t.text("common.rated", &[("rating", &format::integer(&ctx.locale, stars.into()))]);
    let date = format::date(&ctx.locale, review.created_at);
    let title =
        (!review.title.is_empty()).then(|| view! { <h3 class="review-title">{review.title}</h3> });
    let verified = review.verified.then(
        || view! { <span class="verified" part="verified">{t.get("reviews.verified")}</span> },
    );
    let reply = review.reply.map(|r| {
        view! {
            <div class="reply" part="reply">
                <p class="reply-label">{t.get("reviews.reply")}</p>
                <p class="reply-body">{r.body}</p>
            </div>
        }
    });

    let helpful = RwSignal::new(review.helpful);
    let voted = RwSignal::new(false);
    let path = format!("{}/{}/helpful", ctx.path, review.id);
    let client = ctx.client.clone();
    let vote = move |_| {
        if voted.get_untracked() {
            return;
        }
        voted.set(true);
        let (client, path) = (client.clone(), path.clone());
        spawn_local(async move {
            match client.post::<_, HelpfulCount>(&path, &()).await {
                Ok(count) => helpful.set(count.helpful),
                // Already counted: the vote stands.
                Err(ApiError::Refused { status: 409, .. }) => {}
                Err(e) => {
                    voted.set(false);
                    leptos::logging::error!("[rapport] the vote was not counted: {e}");
                }
            }
        });
    };
    let locale = ctx.locale.clone();
    let button_text =
        move || t.text("reviews.helpful", &[("count", &format::integer(&locale, helpful.get()))]);
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
            {reply}
            <button
                type="button"
                class="helpful"
                part="button"
                aria-pressed=move || voted.get().to_string()
                on:click=vote
            >
                {button_text}
            </button>
        </li>
    }
}
