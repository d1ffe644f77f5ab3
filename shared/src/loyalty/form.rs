//! The programme as the merchant page's form edits it: plain fields, one tier or reward per
//! line, amounts in the shop's currency as people write them. Reading the form collects every
//! problem by field (the API's own validation included), so the page can show each beside its
//! field and save nothing until all are fixed.

use super::{LoyaltyRules, Reward, Tier, TierBasis};
use crate::catalog::{minor_digits, Currency, FieldError, Money};

/// The form's values, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgrammeForm {
    pub points_per_unit: String,
    pub signup_bonus: String,
    pub review_bonus: String,
    pub referral_bonus: String,
    pub birthday_bonus: String,
    /// `points_earned` or `amount_spent`.
    pub tier_basis: String,
    pub tier_window_days: String,
    /// Empty: points never expire.
    pub expiry_days: String,
    pub join_url: String,
    /// One per line: `id, name, threshold, entry bonus, multiplier %` (the threshold in points,
    /// or an amount of money with `amount_spent`).
    pub tiers: String,
    /// One per line: `id, points, amount off`.
    pub rewards: String,
}

/// `12.5` as minor units of a currency with `digits` decimals (`1250`); `None` if it is not an
/// amount or has more decimals than the currency.
pub fn parse_amount(s: &str, digits: u32) -> Option<i64> {
    let s = s.trim();
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    if fraction.len() > digits as usize || (s.contains('.') && fraction.is_empty()) {
        return None;
    }
    let scale = 10i64.checked_pow(digits)?;
    let padded = format!("{fraction:0<width$}", width = digits as usize);
    let fraction: i64 = if padded.is_empty() { 0 } else { padded.parse().ok()? };
    whole.parse::<i64>().ok()?.checked_mul(scale)?.checked_add(fraction)
}

/// Minor units as the form shows them: `12.50` (`12` for a currency without decimals).
pub fn format_amount(minor: i64, digits: u32) -> String {
    if digits == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(digits);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let scale = scale as u64;
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = digits as usize)
}

fn whole(field: &str, value: &str, problems: &mut Vec<FieldError>) -> u32 {
    match value.trim().parse::<u32>() {
        Ok(n) => n,
        Err(_) if value.trim().is_empty() => 0,
        Err(_) => {
            problems.push(FieldError::new(field, "must be a whole number, 0 or more"));
            0
        }
    }
}

impl ProgrammeForm {
    /// The form filled in with `rules`.
    pub fn of(rules: &LoyaltyRules, currency: &Currency) -> Self {
        let digits = minor_digits(currency.as_str());
        let threshold = |t: &Tier| match rules.tier_basis {
            TierBasis::PointsEarned => t.threshold.to_string(),
            TierBasis::AmountSpent => format_amount(t.threshold, digits),
        };
        Self {
            points_per_unit: rules.points_per_unit.to_string(),
            signup_bonus: rules.signup_bonus.to_string(),
            review_bonus: rules.review_bonus.to_string(),
            referral_bonus: rules.referral_bonus.to_string(),
            birthday_bonus: rules.birthday_bonus.to_string(),
            tier_basis: match rules.tier_basis {
                TierBasis::PointsEarned => "points_earned".into(),
                TierBasis::AmountSpent => "amount_spent".into(),
            },
            tier_window_days: rules.tier_window_days.to_string(),
            expiry_days: rules.expiry_days.map(|d| d.to_string()).unwrap_or_default(),
            join_url: rules.join_url.clone().unwrap_or_default(),
            tiers: rules
                .tiers
                .iter()
                .map(|t| {
                    format!(
                        "{}, {}, {}, {}, {}",
                        t.id,
                        t.name,
                        threshold(t),
                        t.entry_bonus,
                        t.multiplier_percent
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            rewards: rules
                .rewards
                .iter()
                .map(|r| {
                    format!(
                        "{}, {}, {}",
                        r.id,
                        r.points,
                        format_amount(r.discount.amount_minor, digits)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// The programme these values make, checked as the API checks it; or every problem, by the
    /// form's field names.
    pub fn read(&self, currency: &Currency) -> Result<LoyaltyRules, Vec<FieldError>> {
        let digits = minor_digits(currency.as_str());
        let mut problems = Vec::new();
        let p = &mut problems;
        let tier_basis = match self.tier_basis.as_str() {
            "points_earned" => TierBasis::PointsEarned,
            "amount_spent" => TierBasis::AmountSpent,
            _ => {
                p.push(FieldError::new("tier_basis", "choose what tiers count"));
                TierBasis::PointsEarned
            }
        };
        let window = self.tier_window_days.trim();
        let tier_window_days =
            if window.is_empty() { 365 } else { whole("tier_window_days", window, p) };
        let expiry_days = match self.expiry_days.trim() {
            "" => None,
            days => Some(whole("expiry_days", days, p)),
        };
        let mut tiers = Vec::new();
        for (n, line) in lines(&self.tiers) {
            let parts: Vec<&str> = line.split(',').map(str::trim).collect();
            let at = |what: &str| FieldError::new("tiers", format!("line {n}: {what}"));
            if !(3..=5).contains(&parts.len()) {
                p.push(at("write id, name, threshold, entry bonus, multiplier %"));
                continue;
            }
            let threshold = match tier_basis {
                TierBasis::PointsEarned => parts[2].parse::<i64>().ok(),
                TierBasis::AmountSpent => parse_amount(parts[2], digits),
            };
            let number = |i: usize, default: u32| match parts.get(i) {
                None => Some(default),
                Some(v) => v.trim_end_matches('%').trim().parse::<u32>().ok(),
            };
            match (threshold, number(3, 0), number(4, 100)) {
                (Some(threshold), Some(entry_bonus), Some(multiplier_percent)) => {
                    tiers.push(Tier {
                        id: parts[0].to_owned(),
                        name: parts[1].to_owned(),
                        threshold,
                        entry_bonus,
                        multiplier_percent,
                    })
                }
                (None, ..) => p.push(at("the threshold is not a number")),
                _ => p.push(at("the entry bonus and multiplier are whole numbers")),
            }
        }
        let mut rewards = Vec::new();
        for (n, line) in lines(&self.rewards) {
            let parts: Vec<&str> = line.split(',').map(str::trim).collect();
            let at = |what: &str| FieldError::new("rewards", format!("line {n}: {what}"));
            if parts.len() != 3 {
                p.push(at("write id, points, amount off"));
                continue;
            }
            match (parts[1].parse::<u32>().ok(), parse_amount(parts[2], digits)) {
                (Some(points), Some(amount_minor)) => rewards.push(Reward {
                    id: parts[0].to_owned(),
                    points,
                    discount: Money { amount_minor, currency: currency.clone() },
                }),
                (None, _) => p.push(at("the points are a whole number")),
                (_, None) => {
                    p.push(at(&format!("the amount off is not an amount of {}", currency.as_str())))
                }
            }
        }
        let join_url = self.join_url.trim();
        let rules = LoyaltyRules {
            points_per_unit: whole("points_per_unit", &self.points_per_unit, p),
            signup_bonus: whole("signup_bonus", &self.signup_bonus, p),
            review_bonus: whole("review_bonus", &self.review_bonus, p),
            referral_bonus: whole("referral_bonus", &self.referral_bonus, p),
            birthday_bonus: whole("birthday_bonus", &self.birthday_bonus, p),
            tiers,
            tier_basis,
            tier_window_days,
            expiry_days,
            rewards,
            join_url: (!join_url.is_empty()).then(|| join_url.to_owned()),
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        rules.validate(currency).map_err(|e| vec![form_field(e, &self.tiers, &self.rewards)])
    }
}

/// The non-blank lines, numbered from 1 as the merchant sees them.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty())
}

/// The API's field path (`loyalty.tiers[1].name`) as the form's field and line.
fn form_field(e: FieldError, tiers: &str, rewards: &str) -> FieldError {
    let path = e.field.strip_prefix("loyalty.").unwrap_or(&e.field);
    let Some((list, rest)) = path.split_once('[') else {
        return FieldError::new(path, e.problem);
    };
    let index: usize = rest.split(']').next().and_then(|i| i.parse().ok()).unwrap_or(0);
    let part = rest.split_once("].").map_or("", |(_, p)| p).replace('_', " ");
    // The index counts the list's entries; the merchant counts lines, blank ones included.
    let text = if list == "tiers" { tiers } else { rewards };
    let line = lines(text).nth(index).map_or(index + 1, |(n, _)| n);
    FieldError::new(list, format!("line {line}: the {part} {}", e.problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::try_from("EUR".to_owned()).unwrap()
    }

    fn form() -> ProgrammeForm {
        ProgrammeForm {
            points_per_unit: "1".into(),
            signup_bonus: "100".into(),
            tier_basis: "points_earned".into(),
            tier_window_days: "365".into(),
            expiry_days: "365".into(),
            tiers: "silver, Silver, 500, 50, 125\n\ngold, Gold, 2000".into(),
            rewards: "5-off, 500, 5\n12-off, 1000, 12.50".into(),
            ..ProgrammeForm::default()
        }
    }

    #[test]
    fn amounts_read_as_people_write_them() {
        let table: &[(&str, u32, Option<i64>)] = &[
            ("5", 2, Some(500)),
            ("12.5", 2, Some(1250)),
            ("12.50", 2, Some(1250)),
            ("0.05", 2, Some(5)),
            ("1000", 0, Some(1000)),
            ("1.5", 0, None),
            ("1.234", 2, None),
            ("1.", 2, None),
            (".5", 2, None),
            ("-1", 2, None),
            ("1,5", 2, None),
            ("", 2, None),
            ("99999999999999999999", 2, None),
        ];
        for (s, digits, want) in table {
            assert_eq!(parse_amount(s, *digits), *want, "{s:?}");
        }
        assert_eq!(format_amount(1250, 2), "12.50");
        assert_eq!(format_amount(-5, 2), "-0.05");
        assert_eq!(format_amount(7, 0), "7");
    }

    #[test]
    fn a_form_makes_the_programme_and_shows_it_again() {
        let rules = form().read(&eur()).unwrap();
        assert_eq!(rules.tiers.len(), 2);
        assert_eq!((rules.tiers[1].entry_bonus, rules.tiers[1].multiplier_percent), (0, 100));
        assert_eq!(rules.rewards[1].discount.amount_minor, 1250);
        assert_eq!(rules.expiry_days, Some(365));
        let again = ProgrammeForm::of(&rules, &eur());
        assert_eq!(again.read(&eur()).unwrap(), rules, "the form round-trips");
        assert_eq!(again.rewards, "5-off, 500, 5.00\n12-off, 1000, 12.50");
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        let bad = ProgrammeForm {
            points_per_unit: "one".into(),
            expiry_days: "soon".into(),
            rewards: "5-off, lots, 5".into(),
            ..form()
        };
        let problems = bad.read(&eur()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["expiry_days", "rewards", "points_per_unit"]);
        assert_eq!(problems[1].problem, "line 1: the points are a whole number");
    }

    #[test]
    fn the_api_rules_apply_and_point_at_the_line() {
        // The API's own checks: expiry of at least 30 days, a tier's multiplier, the ids.
        let short = ProgrammeForm { expiry_days: "7".into(), ..form() };
        let e = short.read(&eur()).unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].problem.as_str()),
            ("expiry_days", "must be 30 to 3650 days")
        );
        let tier = ProgrammeForm {
            tiers: "silver, Silver, 500\n\ngold, Gold, 2000, 0, 50".into(),
            ..form()
        };
        let e = tier.read(&eur()).unwrap_err();
        assert_eq!(e[0].field, "tiers");
        assert_eq!(e[0].problem, "line 3: the multiplier percent must be 100 to 1000");
        let ids = ProgrammeForm { rewards: "Five Off, 500, 5".into(), ..form() };
        let e = ids.read(&eur()).unwrap_err();
        assert_eq!(e[0].field, "rewards");
        assert!(e[0].problem.starts_with("line 1: the id must be"), "{}", e[0].problem);
    }
}
