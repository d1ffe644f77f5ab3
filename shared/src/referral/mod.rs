//! Referral: a shopper (the advocate) shares a link with a code; a friend who arrives by it
//! claims a single-use discount with their e-mail address; the friend's first paid order is
//! attributed to the advocate, whose reward waits out the shop's hold period (the return
//! window) and is then paid, or reversed if the order is cancelled or refunded before.
//!
//! This module holds the programme a merchant configures ([`ReferralRules`]), the advocate's
//! code, and the wire types the widget and the banner read. The rules of attribution and fraud
//! are in [`book`], the figures the merchant sees in [`stats`]: both pure, like the rest of
//! the crate.

pub mod book;
pub mod stats;

use serde::{Deserialize, Serialize};

use crate::catalog::{is_link_url, Currency, FieldError, Money, Origin};
use crate::loyalty::{LoyaltyRules, CODE_ALPHABET};

/// A shop's referral programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralRules {
    /// What a referred friend gets off their first order.
    pub friend_offer: FriendOffer,
    /// What the advocate gets when that order is paid and kept.
    pub advocate_reward: AdvocateReward,
    /// Days a reward waits after the friend's order before it is paid: the shop's return
    /// window. A cancellation or refund of the whole order within it reverses the reward.
    #[serde(default = "default_hold_days")]
    pub hold_days: u32,
    /// Where a referral link leads (`https://shop.example/`), on one of the shop's
    /// `allowed_origins`; a link's `to=` may name another page on those origins.
    pub landing_url: String,
    /// Rewards one advocate may earn in 7 days before further ones wait for the merchant.
    #[serde(default = "default_max_rewards_per_week")]
    pub max_rewards_per_week: u32,
}

fn default_hold_days() -> u32 {
    30
}

fn default_max_rewards_per_week() -> u32 {
    10
}

/// The friend's offer: an amount or a percentage off, from an optional minimum order. Single
/// use, once per friend; the code says it does not combine with other discounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendOffer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_off: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_off: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_order: Option<Money>,
}

/// The advocate's reward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AdvocateReward {
    /// The loyalty programme's `referral_bonus`, through the advocate's points ledger.
    Points,
    /// A single-use code for this amount off.
    Discount { discount: Money },
}

/// What one reward is worth, fixed when the friend's order is attributed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardValue {
    Points(u32),
    Discount(Money),
}

/// The scheme, host and port of an absolute `http(s)` URL (`https://shop.example:8443`),
/// lowercased; `None` for a path, another scheme, or an authority with credentials in it.
pub fn url_origin(url: &str) -> Option<String> {
    if !is_link_url(url) {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{authority}").to_ascii_lowercase())
}

impl ReferralRules {
    /// Checks the programme against the shop's currency, its loyalty programme (a points
    /// reward needs its `referral_bonus`) and its storefront origins (the landing page must be
    /// on one).
    pub fn validate(
        self,
        currency: &Currency,
        loyalty: Option<&LoyaltyRules>,
        origins: &[Origin],
    ) -> Result<Self, FieldError> {
        let offer = &self.friend_offer;
        match (&offer.amount_off, offer.percent_off) {
            (Some(amount), None) => {
                amount.check("referral.friend_offer.amount_off")?;
                if amount.currency != *currency || amount.amount_minor == 0 {
                    return Err(FieldError::new(
                        "referral.friend_offer.amount_off",
                        "must be more than zero, in the shop's currency",
                    ));
                }
            }
            (None, Some(percent)) if (1..=100).contains(&percent) => {}
            (None, Some(_)) => {
                return Err(FieldError::new(
                    "referral.friend_offer.percent_off",
                    "must be 1 to 100",
                ))
            }
            _ => {
                return Err(FieldError::new(
                    "referral.friend_offer",
                    "needs exactly one of amount_off and percent_off",
                ))
            }
        }
        if let Some(minimum) = &offer.minimum_order {
            minimum.check("referral.friend_offer.minimum_order")?;
            if minimum.currency != *currency {
                return Err(FieldError::new(
                    "referral.friend_offer.minimum_order",
                    "must be in the shop's currency",
                ));
            }
        }
        match &self.advocate_reward {
            AdvocateReward::Points => {
                if loyalty.is_none_or(|l| l.referral_bonus == 0) {
                    return Err(FieldError::new(
                        "referral.advocate_reward",
                        "a points reward needs a loyalty programme with a referral_bonus",
                    ));
                }
            }
            AdvocateReward::Discount { discount } => {
                discount.check("referral.advocate_reward.discount")?;
                if discount.currency != *currency || discount.amount_minor == 0 {
                    return Err(FieldError::new(
                        "referral.advocate_reward.discount",
                        "must be more than zero, in the shop's currency",
                    ));
                }
            }
        }
        if self.hold_days > 365 {
            return Err(FieldError::new("referral.hold_days", "must be 0 to 365 days"));
        }
        if !(1..=1000).contains(&self.max_rewards_per_week) {
            return Err(FieldError::new("referral.max_rewards_per_week", "must be 1 to 1000"));
        }
        let allowed =
            url_origin(&self.landing_url).is_some_and(|o| origins.iter().any(|a| a.as_str() == o));
        if !allowed {
            return Err(FieldError::new(
                "referral.landing_url",
                "must be an http(s) URL on one of the shop's allowed_origins",
            ));
        }
        Ok(self)
    }

    /// What a reward attributed now is worth.
    pub fn reward_value(&self, loyalty: Option<&LoyaltyRules>) -> RewardValue {
        match &self.advocate_reward {
            AdvocateReward::Points => RewardValue::Points(loyalty.map_or(0, |l| l.referral_bonus)),
            AdvocateReward::Discount { discount } => RewardValue::Discount(discount.clone()),
        }
    }

    /// Where a link's visitor goes: `to` when it is a page on one of `origins` (an absolute
    /// URL on one of them, or a path on the landing page's origin), else the landing page;
    /// with `ref=CODE` added to its query. Never anywhere else: the link is not an open
    /// redirect.
    pub fn destination(&self, to: Option<&str>, code: &str, origins: &[Origin]) -> String {
        let landing_origin = url_origin(&self.landing_url).unwrap_or_default();
        let chosen = to.and_then(|to| {
            if to.starts_with('/') && is_link_url(to) {
                return Some(format!("{landing_origin}{to}"));
            }
            let origin = url_origin(to)?;
            origins.iter().any(|a| a.as_str() == origin).then(|| to.to_owned())
        });
        let url = chosen.unwrap_or_else(|| self.landing_url.clone());
        let (base, fragment) = match url.split_once('#') {
            Some((base, fragment)) => (base.to_owned(), format!("#{fragment}")),
            None => (url, String::new()),
        };
        let separator = if base.contains('?') { '&' } else { '?' };
        format!("{base}{separator}ref={code}{fragment}")
    }
}

/// Formats 40 bits of `digest` as an advocate's code: `XXXX-XXXX` in Crockford's base 32
/// (no I, L, O or U), short enough to read aloud.
pub fn format_referral_code(digest: &[u8]) -> String {
    let bits = digest.iter().take(5).fold(0u64, |bits, b| (bits << 8) | u64::from(*b));
    let chars: String =
        (0..8).map(|i| CODE_ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize] as char).collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// Normalises a typed or linked code (`abcd efgh`, `ABCD-EFGH`, O for 0, I or L for 1) to
/// its stored form, or `None` when it cannot be one.
pub fn normalise_referral_code(input: &str) -> Option<String> {
    let cleaned: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    if cleaned.len() != 8 || !cleaned.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{}-{}", &cleaned[..4], &cleaned[4..]))
}

/// A shopper's e-mail address as it is hashed: trimmed and lowercased; `None` when it is not
/// one (`name@host.tld`, at most 254 characters, no spaces).
pub fn normalise_email(input: &str) -> Option<String> {
    let email = input.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let ok = email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(email)
}

/// The first word of a name, at most 40 characters: all a friend is ever shown of an advocate,
/// and all an advocate is ever shown of a friend.
pub fn first_name(name: &str) -> Option<String> {
    let first = name.split_whitespace().next()?;
    let clean: String = first.chars().filter(|c| !c.is_control()).take(40).collect();
    (!clean.is_empty()).then_some(clean)
}

/// The programme as every shopper sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralProgramme {
    pub shop_name: String,
    pub currency: Currency,
    pub offer: FriendOffer,
    pub reward: RewardValue,
    pub hold_days: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_url: Option<String>,
}

/// What `GET /referrals` answers: the programme, and with a token the advocate's own page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralView {
    pub programme: ReferralProgramme,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advocate: Option<AdvocateView>,
}

/// A signed-in advocate's code, link and figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvocateView {
    pub code: String,
    pub link: String,
    /// Friends see the advocate's first name on the welcome banner.
    pub show_name: bool,
    pub stats: AdvocateStats,
    /// Newest first.
    pub recent: Vec<RecentReferral>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvocateStats {
    /// Friends who opened the link (one per network address and day).
    pub clicks: u64,
    /// Friends who claimed their offer.
    pub claims: u64,
    /// Friends whose first order was attributed and not reversed.
    pub friends_ordered: u64,
    pub rewards_paid: u64,
    pub rewards_pending: u64,
    /// Points paid (a points programme).
    pub points_earned: u64,
    /// Points waiting (a points programme).
    pub points_pending: u64,
    /// When the next pending reward pays, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_payout_at: Option<i64>,
}

/// One friend, as their advocate sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentReferral {
    /// The friend's first name when they agreed to show it; otherwise "a friend".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friend: Option<String>,
    pub status: RecentStatus,
    /// Unix seconds of the latest change.
    pub at: i64,
    /// When a pending reward pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pays_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward: Option<RewardValue>,
    /// The advocate's discount code, for a paid discount reward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecentStatus {
    /// Claimed the offer, no order yet.
    Claimed,
    /// Ordered; the reward waits for the hold period (or the merchant).
    Pending,
    Paid,
    /// The order was cancelled or refunded in the hold period.
    Reversed,
    /// The referral did not qualify.
    NotEligible,
}

/// What the welcome banner shows a friend arriving with `?ref=CODE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub code: String,
    pub shop_name: String,
    pub offer: FriendOffer,
    /// The advocate's first name, when they allow it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advocate: Option<String>,
}

/// A friend claiming their offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRequest {
    pub code: String,
    pub email: String,
    /// Shown to the advocate only when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
}

/// The friend's single-use code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claimed {
    pub discount_code: String,
    pub offer: FriendOffer,
}

/// The advocate's choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvocatePreferences {
    pub show_name: bool,
}

/// A share the advocate made from the widget (counted for the merchant's figures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRequest {
    pub channel: ShareChannel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareChannel {
    Native,
    Copy,
    Email,
    Whatsapp,
    X,
    Facebook,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(amount_minor: i64) -> Money {
        Money { amount_minor, currency: Currency::try_from("EUR".to_owned()).unwrap() }
    }

    fn origins() -> Vec<Origin> {
        vec![Origin::try_from("https://acme.example".to_owned()).unwrap()]
    }

    fn rules() -> ReferralRules {
        ReferralRules {
            friend_offer: FriendOffer {
                amount_off: Some(eur(1000)),
                percent_off: None,
                minimum_order: Some(eur(5000)),
            },
            advocate_reward: AdvocateReward::Discount { discount: eur(1000) },
            hold_days: 30,
            landing_url: "https://acme.example/welcome".into(),
            max_rewards_per_week: 10,
        }
    }

    #[test]
    fn codes_are_short_readable_and_typo_tolerant() {
        let code = format_referral_code(&[0xde, 0xad, 0xbe, 0xef, 0x42, 0x99]);
        assert_eq!(code.len(), 9);
        assert_eq!(normalise_referral_code(&code), Some(code.clone()));
        assert_eq!(normalise_referral_code(&code.to_lowercase()), Some(code.clone()));
        assert_eq!(normalise_referral_code(&code.replace('-', " ")), Some(code.clone()));
        assert_eq!(normalise_referral_code("oooo-iiil"), Some("0000-1111".into()));
        for bad in ["", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFGU", "ABCD/EFGH", "ABCD-EFG%"] {
            assert_eq!(normalise_referral_code(bad), None, "{bad:?}");
        }
        assert_ne!(format_referral_code(&[1; 5]), format_referral_code(&[2; 5]));
    }

    #[test]
    fn the_link_never_leaves_the_shops_origins() {
        let r = rules();
        let go = |to: Option<&str>| r.destination(to, "ABCD-EFGH", &origins());
        let table = [
            (None, "https://acme.example/welcome?ref=ABCD-EFGH"),
            (Some("/products/tent"), "https://acme.example/products/tent?ref=ABCD-EFGH"),
            (Some("/p?x=1#top"), "https://acme.example/p?x=1&ref=ABCD-EFGH#top"),
            (Some("https://acme.example/sale"), "https://acme.example/sale?ref=ABCD-EFGH"),
            (Some("https://evil.example/"), "https://acme.example/welcome?ref=ABCD-EFGH"),
            (Some("//evil.example/"), "https://acme.example/welcome?ref=ABCD-EFGH"),
            (
                Some("https://acme.example@evil.example/"),
                "https://acme.example/welcome?ref=ABCD-EFGH",
            ),
            (
                Some("https://acme.example.evil.example/"),
                "https://acme.example/welcome?ref=ABCD-EFGH",
            ),
            (Some("/\\evil.example"), "https://acme.example/welcome?ref=ABCD-EFGH"),
            (Some("javascript:alert(1)"), "https://acme.example/welcome?ref=ABCD-EFGH"),
            (Some("http://acme.example/"), "https://acme.example/welcome?ref=ABCD-EFGH"),
        ];
        for (to, want) in table {
            assert_eq!(go(to), want, "{to:?}");
        }
    }

    #[test]
    fn rules_validate() {
        let eur_ = Currency::try_from("EUR".to_owned()).unwrap();
        assert!(rules().validate(&eur_, None, &origins()).is_ok());
        let field = |r: ReferralRules| r.validate(&eur_, None, &origins()).unwrap_err().field;
        let mut r = rules();
        r.friend_offer.percent_off = Some(10);
        assert_eq!(field(r), "referral.friend_offer");
        let mut r = rules();
        r.friend_offer =
            FriendOffer { amount_off: None, percent_off: Some(101), minimum_order: None };
        assert_eq!(field(r), "referral.friend_offer.percent_off");
        let mut r = rules();
        r.advocate_reward = AdvocateReward::Points;
        assert_eq!(field(r), "referral.advocate_reward", "no loyalty programme");
        let mut r = rules();
        r.landing_url = "https://elsewhere.example/".into();
        assert_eq!(field(r), "referral.landing_url");
        let mut r = rules();
        r.landing_url = "/welcome".into();
        assert_eq!(field(r), "referral.landing_url", "a redirect needs a host");
        let mut r = rules();
        r.hold_days = 400;
        assert_eq!(field(r), "referral.hold_days");
    }

    #[test]
    fn emails_and_names() {
        assert_eq!(normalise_email("  Ann@Example.COM "), Some("ann@example.com".into()));
        for bad in ["", "ann", "ann@", "@example.com", "ann@example", "a b@example.com", "ann@.com"]
        {
            assert_eq!(normalise_email(bad), None, "{bad:?}");
        }
        assert_eq!(first_name("  Ann Marie Smith"), Some("Ann".into()));
        assert_eq!(first_name("   "), None);
    }
}
