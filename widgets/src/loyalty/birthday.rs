//! Giving a birthday for the birthday bonus. Only the month and day are asked (the year is not
//! needed); the edge refuses dates that do not exist and a second birthday.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_shared::loyalty::{Account, BirthdayRequest};

use super::{points_text, LoyaltyContext};
use crate::api::ApiError;
use crate::format;
use crate::tr::tr;

/// The birthday section, for a signed-in shopper who has not given one.
pub fn birthday_form(ctx: LoyaltyContext) -> impl IntoView {
    let month = RwSignal::new(0u8);
    let day = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<&'static str>);
    let sending = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let t = tr();
    let bonus = points_text(ctx.programme.rules.birthday_bonus.into());
    let intro = t.text("loyalty.birthday.intro", &[("points", &bonus)]);

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
                problem.set(Some("loyalty.birthday.choose_date"));
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
                                "loyalty.birthday.not_a_date"
                            }
                            ApiError::Refused { error, .. }
                                if error.code == "birthday_already_set" =>
                            {
                                "loyalty.birthday.already_set"
                            }
                            ApiError::Refused { status: 401, .. } | ApiError::Status(401) => {
                                "loyalty.birthday.sign_in_again"
                            }
                            _ => "loyalty.birthday.failed",
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
                <label for="rapport-birthday-month">{t.get("loyalty.birthday.month")}</label>
                <select
                    id="rapport-birthday-month"
                    aria-describedby="rapport-birthday-error"
                    on:change=move |ev| month.set(event_target_value(&ev).parse().unwrap_or(0))
                >
                    <option value="0">{t.get("loyalty.birthday.choose")}</option>
                    {months}
                </select>
            </div>
            <div class="field">
                <label for="rapport-birthday-day">{t.get("loyalty.birthday.day")}</label>
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
            <button type="submit" part="button">{t.get("loyalty.birthday.save")}</button>
        </form>
        <p class="field-error" id="rapport-birthday-error" role="alert">
            {
                let t = t.clone();
                move || problem.get().map(|key| t.get(key))
            }
        </p>
    };
    view! {
        <section class="block">
            <h3>{t.get("loyalty.birthday.title")}</h3>
            <p class="saved" role="status">
                {
                    let done = t.get("loyalty.birthday.saved");
                    move || saved.get().then(|| done.clone())
                }
            </p>
            <div hidden=move || saved.get()>
                <p class="muted">{intro}</p>
                {form}
            </div>
        </section>
    }
}
