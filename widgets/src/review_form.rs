//! Writing a review. The form checks itself with the same rules as the edge
//! (`ReviewSubmission::check` in `rapport-shared`) and shows each problem beside its field; the
//! edge's answer, when it refuses, is shown the same way.

use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_shared::catalog::FieldError;
use rapport_shared::reviews::submission::problem_key;
use rapport_shared::reviews::{ReviewSubmission, Submitted, AUTHOR_MAX, BODY_MAX, TITLE_MAX};

use crate::api::ApiError;
use crate::reviews::ReviewsContext;
use crate::star_input::StarInput;
use crate::tr::tr;

#[component]
pub fn ReviewForm(
    ctx: ReviewsContext,
    /// Called with the edge's answer once the review is stored.
    on_sent: Callback<Submitted>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let rating = RwSignal::new(None::<u8>);
    let title = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let author = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let failure = RwSignal::new(None::<&'static str>);
    let t = tr();
    let sending = RwSignal::new(false);

    let problem = move |field: &'static str| {
        Signal::derive(move || {
            errors.with(|e| e.iter().find(|e| e.field == field).map(|e| e.problem.clone()))
        })
    };
    let error_id = move |field: &'static str| {
        Signal::derive(move || {
            errors.with(|e| {
                e.iter().any(|e| e.field == field).then(|| format!("rapport-{field}-error"))
            })
        })
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return;
        }
        let submission = ReviewSubmission {
            rating: rating.get_untracked().map(i64::from),
            title: title.get_untracked(),
            body: body.get_untracked(),
            author: author.get_untracked(),
        };
        failure.set(None);
        if let Err(problems) = submission.check() {
            errors.set(problems);
            return;
        }
        errors.set(Vec::new());
        sending.set(true);
        let ctx = ctx.clone();
        spawn_local(async move {
            match ctx.client.post::<_, Submitted>(&ctx.path, &submission).await {
                Ok(done) => on_sent.run(done),
                Err(ApiError::Refused { error, .. }) if !error.fields.is_empty() => errors.set(
                    error.fields.into_iter().map(|f| FieldError::new(f.field, f.problem)).collect(),
                ),
                Err(ApiError::Refused { status: 429, .. }) => {
                    failure.set(Some("reviews.form.too_many"))
                }
                Err(e) => {
                    leptos::logging::error!("[rapport] the review was not sent: {e}");
                    failure.set(Some("reviews.form.failed"));
                }
            }
            sending.set(false);
        });
    };

    // Copy, like the closures that use it.
    let say = StoredValue::new(t.clone());
    let field_error = move |field: &'static str| {
        let t = say.get_value();
        move || {
            problem(field).get().map(|p| {
                let text = match problem_key(&p) {
                    Some((key, Some(max))) => t.text(key, &[("max", &max)]),
                    Some((key, None)) => t.get(key),
                    None => p,
                };
                view! { <p class="field-error" id=format!("rapport-{field}-error")>{text}</p> }
            })
        }
    };
    let text_field = move |field: &'static str,
                           label: String,
                           value: RwSignal<String>,
                           max: usize,
                           multiline: bool| {
        let id = format!("rapport-{field}");
        let described = error_id(field);
        let invalid = move || described.get().is_some().then_some("true");
        let input = if multiline {
            Either::Left(view! {
                <textarea
                    id=id.clone()
                    rows="5"
                    maxlength=max.to_string()
                    aria-invalid=invalid
                    aria-describedby=move || described.get()
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                ></textarea>
            })
        } else {
            Either::Right(view! {
                <input
                    id=id.clone()
                    type="text"
                    maxlength=max.to_string()
                    aria-invalid=invalid
                    aria-describedby=move || described.get()
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            })
        };
        view! {
            <div class="field">
                <label for=id>{label}</label>
                {input}
                {field_error(field)}
            </div>
        }
    };

    view! {
        <form class="review-form" part="form" novalidate on:submit=submit aria-label=t.get("reviews.write")>
            <StarInput rating error_id=error_id("rating")/>
            {field_error("rating")}
            {text_field("title", t.get("reviews.form.title"), title, TITLE_MAX, false)}
            {text_field("body", t.get("reviews.form.body"), body, BODY_MAX, true)}
            {text_field("author", t.get("reviews.form.author"), author, AUTHOR_MAX, false)}
            {
                let t = t.clone();
                move || failure.get().map(|f| view! { <p class="field-error" role="alert">{t.get(f)}</p> })
            }
            <div class="form-actions">
                <button type="submit" class="primary" part="button" disabled=move || sending.get()>
                    {
                        let (sending_text, send_text) = (t.get("reviews.form.sending"), t.get("reviews.form.send"));
                        move || if sending.get() { sending_text.clone() } else { send_text.clone() }
                    }
                </button>
                <button type="button" class="link" on:click=move |_| on_cancel.run(())>{t.get("common.cancel")}</button>
            </div>
        </form>
    }
}
