//! The signed-in shopper's standing: balance, tier and progress to the next one, points about to
//! expire, and the recent history. Both follow the account, so a redemption shows at once.

use leptos::either::Either;
use leptos::prelude::*;
use rapport_shared::catalog::Money;
use rapport_shared::loyalty::{Account, Entry, Programme, Reason, TierBasis};

use super::{points_text, LoyaltyContext};
use crate::format;
use crate::tr::tr;

/// History entries shown before the shopper asks for all of them. The widget's reserved height
/// (`--rapport-loyalty-min-height`) counts on this many.
const FIRST_ENTRIES: usize = 3;

/// Balance, tier, progress and expiry.
pub fn standing(ctx: LoyaltyContext) -> impl IntoView {
    let LoyaltyContext { programme, locale, account, .. } = ctx;
    move || account.with(|a| a.as_ref().map(|a| standing_now(&programme, &locale, a)))
}

fn standing_now(programme: &Programme, locale: &str, a: &Account) -> impl IntoView {
    let t = tr();
    let rules = &programme.rules;
    // Tier thresholds count points, or money in minor units.
    let amount = |n: i64| match rules.tier_basis {
        TierBasis::PointsEarned => points_text(n),
        TierBasis::AmountSpent => {
            format::money(locale, &Money { amount_minor: n, currency: programme.currency.clone() })
        }
    };
    let tier_named = |id: &str| rules.tiers.iter().find(|t| t.id == id);
    let current = a.tier.as_deref().and_then(tier_named);
    let tier = current.map(|t| {
        view! { <p class="tier">{tr().get("loyalty.your_tier")}" " <strong part="tier">{t.name.clone()}</strong></p> }
    });
    let progress = match &a.next_tier {
        Some(next) => {
            let min = current.map_or(0, |t| t.threshold);
            let max =
                tier_named(&next.id).map_or(a.tier_progress + next.remaining, |t| t.threshold);
            let done = (a.tier_progress - min).clamp(0, (max - min).max(0));
            let percent = if max > min { done * 100 / (max - min) } else { 100 };
            let text = t.text(
                "loyalty.to_next",
                &[("amount", &amount(next.remaining)), ("tier", &next.name)],
            );
            Some(Either::Left(view! {
                    <div
                        class="progress"
                        part="progress"
                        role="progressbar"
                        aria-label=t.text("loyalty.progress", &[("tier", &next.name)])
                        aria-valuemin=min.to_string()
                        aria-valuemax=max.to_string()
                        aria-valuenow=(min + done).to_string()
                        aria-valuetext=text.clone()
                    >
                        <span class="progress-fill" style:width=format!("{percent}%")></span>
                    </div>
                    <p class="progress-text">{text}</p>
            }))
        }
        None if current.is_some() => {
            Some(Either::Right(view! { <p class="progress-text">{t.get("loyalty.top_tier")}</p> }))
        }
        None => None,
    };
    let expiry = a.expiring.map(|e| {
        let text = t.text(
            "loyalty.expiring",
            &[("points", &points_text(e.points)), ("date", &format::date(locale, e.at))],
        );
        view! { <p class="expiry" part="notice">{text}</p> }
    });
    view! {
        <div class="standing" part="standing">
            <p class="balance">
                <span class="balance-value">{format::points(locale, a.balance, false)}</span>
                " "{t.points_word(a.balance)}
            </p>
            {tier}
            {progress}
            {expiry}
        </div>
    }
}

/// Recent changes to the balance, newest first.
pub fn history(ctx: LoyaltyContext) -> impl IntoView {
    let LoyaltyContext { locale, account, .. } = ctx;
    let all = RwSignal::new(false);
    let t = tr();
    let list = move || {
        account.with(|a| {
            let history = a.as_ref().map_or(&[][..], |a| &a.history[..]);
            if history.is_empty() {
                return Either::Left(view! { <p class="muted">{t.get("loyalty.no_points")}</p> });
            }
            let shown = if all.get() { history.len() } else { FIRST_ENTRIES };
            let entries = history.iter().take(shown).map(|e| entry(&locale, e)).collect_view();
            let more = (history.len() > shown).then(|| {
                view! {
                    <button type="button" class="link more" on:click=move |_| all.set(true)>
                        {t.get("loyalty.show_all_activity")}
                    </button>
                }
            });
            Either::Right(view! {
                <ul class="history">{entries}</ul>
                {more}
            })
        })
    };
    view! {
        <section class="block">
            <h3>{tr().get("loyalty.activity")}</h3>
            {list}
        </section>
    }
}

fn entry(locale: &str, e: &Entry) -> impl IntoView {
    let t = tr();
    let label = t.get(match e.reason {
        Reason::Order => "loyalty.reason.order",
        Reason::Refund => "loyalty.reason.refund",
        Reason::Signup => "loyalty.reason.signup",
        Reason::Review => "loyalty.reason.review",
        Reason::Referral => "loyalty.reason.referral",
        Reason::Birthday => "loyalty.reason.birthday",
        Reason::Tier => "loyalty.reason.tier",
        Reason::Redemption => "loyalty.reason.redemption",
        Reason::Expiry => "loyalty.reason.expiry",
        Reason::Adjustment => "loyalty.reason.adjustment",
    });
    let class = if e.points < 0 { "entry-points minus" } else { "entry-points" };
    view! {
        <li class="entry">
            <span class="entry-label">{label}</span>
            <span class=class>
                {format::points(locale, e.points, true)}
                <span class="visually-hidden">" "{t.points_word(e.points)}</span>
            </span>
            <span class="entry-date">{format::date(locale, e.at)}</span>
        </li>
    }
}
