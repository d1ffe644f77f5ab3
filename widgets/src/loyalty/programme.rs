//! How the programme works, the same for every shopper: ways to earn and tiers.

use leptos::prelude::*;
use rapport_shared::catalog::Money;
use rapport_shared::loyalty::{Programme, TierBasis};

use super::points_text;
use crate::format;
use crate::tr::tr;

/// Each way to earn with its points; the ones the shop does not reward are left out.
pub fn ways_to_earn(programme: &Programme, locale: &str) -> impl IntoView {
    let t = tr();
    let rules = &programme.rules;
    let per_unit = (rules.points_per_unit > 0).then(|| {
        t.text(
            "loyalty.per_spent",
            &[
                ("points", &points_text(rules.points_per_unit.into())),
                ("unit", &format::currency_unit(locale, &programme.currency)),
            ],
        )
    });
    let bonuses = [
        (rules.signup_bonus, "loyalty.earn.signup"),
        (rules.review_bonus, "loyalty.earn.review"),
        (rules.referral_bonus, "loyalty.earn.referral"),
        (rules.birthday_bonus, "loyalty.earn.birthday"),
    ];
    let mut ways: Vec<String> = per_unit.into_iter().collect();
    ways.extend(
        bonuses
            .into_iter()
            .filter(|(points, _)| *points > 0)
            .map(|(points, key)| t.text(key, &[("points", &points_text(points.into()))])),
    );
    let expiry = rules.expiry_days.map(|days| {
        view! {
            <p class="muted">
                {t.count("loyalty.expiry", days.into(), &[])}
            </p>
        }
    });
    view! {
        <section class="block">
            <h3>{t.get("loyalty.ways")}</h3>
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
    let tr = tr();
    let days = u64::from(rules.tier_window_days);
    let basis = match rules.tier_basis {
        TierBasis::PointsEarned => tr.count("loyalty.tier_basis.points", days, &[]),
        TierBasis::AmountSpent => tr.count("loyalty.tier_basis.amount", days, &[]),
    };
    let tiers =
        rules
            .tiers
            .iter()
            .map(|t| {
                let reach = match rules.tier_basis {
                    TierBasis::PointsEarned => {
                        tr.text("loyalty.tier_from", &[("points", &points_text(t.threshold))])
                    }
                    TierBasis::AmountSpent => tr.text(
                        "loyalty.tier_from_spent",
                        &[(
                            "amount",
                            &format::money(
                                locale,
                                &Money {
                                    amount_minor: t.threshold,
                                    currency: programme.currency.clone(),
                                },
                            ),
                        )],
                    ),
                };
                let mut perks = Vec::new();
                if t.multiplier_percent != 100 {
                    perks.push(tr.text(
                        "loyalty.tier_multiplier",
                        &[("factor", &format::factor(locale, t.multiplier_percent))],
                    ));
                }
                if t.entry_bonus > 0 {
                    perks.push(tr.text(
                        "loyalty.tier_bonus",
                        &[("points", &points_text(t.entry_bonus.into()))],
                    ));
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
            <h3>{tr.get("loyalty.tiers")}</h3>
            <p class="muted">{basis}</p>
            <ul class="tiers">{tiers}</ul>
        </section>
    })
}
