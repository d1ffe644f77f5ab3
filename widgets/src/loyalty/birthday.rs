//! Giving a birthday for the birthday bonus. Only the month and day are asked (the year is not
//! needed); the edge refuses dates that do not exist and a second birthday.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_shared::loyalty::{Account, BirthdayRequest};

use super::{points_text, LoyaltyContext};
use crate::api::ApiError;
use crate::format;

/// The birthday section, for a signed-in shopper who has not given one.
pub fn birthday_form(ctx: LoyaltyContext) -> impl IntoView {
    let month = RwSignal::new(0u8);
    let day = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<&'static str>);
    let sending = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let bonus = points_text(&ctx.locale, ctx.programme.rules.birthday_bonus.into());
    let intro = format!(
        "Tell us your birthday and get {bonus} on it each year (from next year if it is less than 30 days away)."
    );

    let submit = {
        let ctx = ctx.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if sending.get_untracked() {
                return;
            }
            let day = day.get_untracked().trim().parse::<u8>().unwrap_or(0);
            let month = month.get_untracked();
            if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
                problem.set(Some("Choose a month and a day."));
                return;
            }
            problem.set(None);
            sending.set(true);
            let ctx = ctx.clone();
            spawn_local(async move {
                let path = format!("{}/birthday", ctx.path);
                let body = BirthdayRequest { month, day };
                match ctx.client.post::<_, Account>(&path, &body).await {
                    Ok(account) => {
                        ctx.account.set(Some(account));
                        saved.set(true);
                    }
                    Err(e) => {
                        leptos::logging::error!("[rapport] the birthday was not saved: {e}");
                        problem.set(Some(match &e {
                            ApiError::Refused { error, .. } if error.code == "not_a_date" => {
                                "That date does not exist."
                            }
                            ApiError::Refused { error, .. }
                                if error.code == "birthday_already_set" =>
                            {
                                "Your birthday is already saved."
                            }
                            ApiError::Refused { status: 401, .. } | ApiError::Status(401) => {
                                "Sign in again to save your birthday."
                            }
                            _ => "Your birthday could not be saved. Please try again.",
                        }));
                    }
                }
                sending.set(false);
            });
        }
    };

    let locale = ctx.locale.clone();
    let months = (1..=12u8)
        .map(|m| view! { <option value=m.to_string()>{format::month(&locale, m)}</option> })
        .collect_view();
    let form = view! {
        <form class="birthday-form" novalidate on:submit=submit>
            <div class="field">
                <label for="rapport-birthday-month">"Month"</label>
                <select
                    id="rapport-birthday-month"
                    aria-describedby="rapport-birthday-error"
                    on:change=move |ev| month.set(event_target_value(&ev).parse().unwrap_or(0))
                >
                    <option value="0">"Choose…"</option>
                    {months}
                </select>
            </div>
            <div class="field">
                <label for="rapport-birthday-day">"Day"</label>
                <input
                    id="rapport-birthday-day"
                    type="number"
                    inputmode="numeric"
                    min="1"
                    max="31"
                    aria-describedby="rapport-birthday-error"
                    on:input=move |ev| day.set(event_target_value(&ev))
                />
            </div>
            <button type="submit" part="button">"Save"</button>
        </form>
        <p class="field-error" id="rapport-birthday-error" role="alert">{move || problem.get()}</p>
    };
    view! {
        <section class="block">
            <h3>"Your birthday"</h3>
            <p class="saved" role="status">
                {move || saved.get().then_some("Saved. Look out for your birthday points.")}
            </p>
            <div hidden=move || saved.get()>
                <p class="muted">{intro}</p>
                {form}
            </div>
        </section>
    }
}
