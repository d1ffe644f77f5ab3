//! How the programme works, the same for every shopper: ways to earn and tiers.

use leptos::prelude::*;
use rapport_shared::catalog::Money;
use rapport_shared::loyalty::{Programme, TierBasis};

use super::points_text;
use crate::format;

/// Each way to earn with its points; the ones the shop does not reward are left out.
pub fn ways_to_earn(programme: &Programme, locale: &str) -> impl IntoView {
    let rules = &programme.rules;
    let per_unit = (rules.points_per_unit > 0).then(|| {
        format!(
            "{} per {} spent",
            points_text(locale, rules.points_per_unit.into()),
            format::currency_unit(locale, &programme.currency)
        )
    });
    let bonuses = [
        (rules.signup_bonus, "for creating an account"),
        (rules.review_bonus, "for a review from a verified buyer"),
        (rules.referral_bonus, "for each friend you refer who places an order"),
        (rules.birthday_bonus, "on your birthday"),
    ];
    let mut ways: Vec<String> = per_unit.into_iter().collect();
    ways.extend(
        bonuses
            .into_iter()
            .filter(|(points, _)| *points > 0)
            .map(|(points, what)| format!("{} {what}", points_text(locale, points.into()))),
    );
    let expiry = rules.expiry_days.map(|days| {
        view! {
            <p class="muted">
                {format!(
                    "Points expire after {} days without earning or redeeming.",
                    format::points(locale, days.into(), false)
                )}
            </p>
        }
    });
    view! {
        <section class="block">
            <h3>"Ways to earn"</h3>
            <ul class="earn">{ways.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
            {expiry}
        </section>
    }
}

/// The tiers, what reaching each takes and what it gives.
pub fn tiers(programme: &Programme, locale: &str) -> Option<impl IntoView> {
    let rules = &programme.rules;
    if rules.tiers.is_empty() {
        return None;
    }
    let days = format::points(locale, rules.tier_window_days.into(), false);
    let basis = match rules.tier_basis {
        TierBasis::PointsEarned => format!("Your tier follows the points you earn in {days} days."),
        TierBasis::AmountSpent => format!("Your tier follows what you spend in {days} days."),
    };
    let tiers = rules
        .tiers
        .iter()
        .map(|t| {
            let reach = match rules.tier_basis {
                TierBasis::PointsEarned => format!("From {}", points_text(locale, t.threshold)),
                TierBasis::AmountSpent => format!(
                    "From {} spent",
                    format::money(
                        locale,
                        &Money { amount_minor: t.threshold, currency: programme.currency.clone() }
                    )
                ),
            };
            let mut perks = Vec::new();
            if t.multiplier_percent != 100 {
                perks.push(format!(
                    "×{} points on orders",
                    format::factor(locale, t.multiplier_percent)
                ));
            }
            if t.entry_bonus > 0 {
                perks.push(format!("{} on reaching it", points_text(locale, t.entry_bonus.into())));
            }
            let perks = (!perks.is_empty())
                .then(|| view! { <span class="muted">{perks.join(" · ")}</span> });
            view! {
                <li class="tier-item">
                    <strong>{t.name.clone()}</strong>
                    <span>{reach}</span>
                    {perks}
                </li>
            }
        })
        .collect_view();
    Some(view! {
        <section class="block">
            <h3>"Tiers"</h3>
            <p class="muted">{basis}</p>
            <ul class="tiers">{tiers}</ul>
        </section>
    })
}
