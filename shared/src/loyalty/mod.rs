//! Loyalty: the shop's programme (ways to earn, tiers, rewards) and each shopper's points ledger.
//!
//! A balance is never stored: it is the sum of the shopper's ledger entries, and the tier is a
//! function of the entries inside the tier window. Every change is an [`Entry`] with a reason,
//! an amount, a time and a `source` (its idempotency key): what the entries of one source add up
//! to is what that source is worth now. An order's delivery, a review's moderation or a sign-up
//! therefore never adds points; it says what its source should be worth, and the ledger appends
//! the difference ([`Ledger::apply_order`], [`Ledger::set_bonus`]). Repeats change nothing and a
//! reversal takes back exactly what was given.

#[cfg(feature = "server")]
pub mod form;
mod ledger;
mod rules;

pub use ledger::*;
pub use rules::*;

use serde::{Deserialize, Serialize};

use crate::catalog::{Currency, FieldError, Money};

/// The most points one merchant adjustment may add or remove.
pub const MAX_ADJUSTMENT: i64 = 10_000_000;

/// The points of a merchant's adjustment: not zero, at most [`MAX_ADJUSTMENT`] either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct AdjustmentPoints(i64);

impl TryFrom<i64> for AdjustmentPoints {
    type Error = FieldError;
    fn try_from(points: i64) -> Result<Self, FieldError> {
        Self::new(points)
    }
}

impl From<AdjustmentPoints> for i64 {
    fn from(p: AdjustmentPoints) -> i64 {
        p.0
    }
}

impl AdjustmentPoints {
    pub fn new(points: i64) -> Result<Self, FieldError> {
        // A range, not `abs()`: `i64::MIN` has no absolute value in an i64.
        if points != 0 && (-MAX_ADJUSTMENT..=MAX_ADJUSTMENT).contains(&points) {
            Ok(Self(points))
        } else {
            Err(FieldError::new(
                "points",
                format!("must be non-zero and at most {MAX_ADJUSTMENT} either way"),
            ))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// The programme as shoppers see it: public, the same for everyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Programme {
    pub shop_name: String,
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_url: Option<String>,
    pub rules: LoyaltyRules,
}

/// A shopper's account as their ledger last computed it, kept in KV so that a signed-in read
/// is one KV read instead of a call to the ledger's object. It holds while the programme is the
/// one it was computed under and the time is before `until` ([`Ledger::settled_until`]): until
/// then time alone changes nothing in it, and every change of the ledger writes it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSnapshot {
    pub account: Account,
    /// Unix seconds, exclusive.
    pub until: i64,
    /// [`programme_tag`] of the rules it was computed under.
    pub programme: String,
}

impl AccountSnapshot {
    /// The account, if the snapshot still holds under the rules tagged `programme` at `now`.
    pub fn holding(self, programme: &str, now: i64) -> Option<Account> {
        (now < self.until && self.programme == programme).then_some(self.account)
    }
}

/// Tells programmes apart: a snapshot computed under other rules (tiers, expiry, bonuses) does
/// not hold.
#[cfg(feature = "server")]
pub fn programme_tag(rules: &LoyaltyRules) -> String {
    crate::validator::entity_tag(&serde_json::to_vec(rules).unwrap_or_default())
}

/// A shopper's standing, derived from their ledger at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub balance: i64,
    /// The tier reached; `None` below the first tier's threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Points earned (or minor units spent, by the programme's tier basis) inside the window.
    pub tier_progress: i64,
    /// The next tier up and what is still missing to reach it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_tier: Option<NextTier>,
    /// Points that expire on a date unless the shopper earns or redeems before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiring: Option<Expiring>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<Birthday>,
    /// Newest first, at most [`HISTORY_LEN`].
    pub history: Vec<Entry>,
    /// Discount codes issued to the shopper, newest first, at most [`HISTORY_LEN`].
    pub codes: Vec<IssuedCode>,
}

/// Entries and codes an [`Account`] shows.
pub const HISTORY_LEN: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextTier {
    pub id: String,
    pub name: String,
    pub remaining: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiring {
    pub points: i64,
    /// Unix seconds.
    pub at: i64,
}

/// What `GET /loyalty` answers: the programme, and the shopper's account when a token came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltyView {
    pub programme: Programme,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
}

/// A redemption request from the widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionRequest {
    /// The reward's id in the programme.
    pub reward: String,
    /// Chosen by the client per confirmed redemption: a retried request returns the same code
    /// instead of spending twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
}

/// The answer to a redemption: the code and the account after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redeemed {
    pub code: IssuedCode,
    pub account: Account,
}

/// A shopper setting their birthday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BirthdayRequest {
    pub month: u8,
    pub day: u8,
}

/// A single-use discount code as the merchant's checkout sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    pub code: String,
    /// The amount off; with `percent_off`, zero.
    pub discount: Money,
    /// A percentage off instead of an amount (a referred friend's offer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_off: Option<u8>,
    /// The order must be worth at least this much.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_order: Option<Money>,
    /// Not to be combined with other discounts on the same order.
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub exclusive: bool,
    /// A loyalty reward's id, or `referral-friend` / `referral-reward`.
    pub reward: String,
    pub issued_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumed: Option<Consumption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consumption {
    pub at: i64,
    /// The checkout's order reference, if it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
}

/// Letters of a discount code: Crockford's base 32 (no I, L, O, U), easy to read aloud and type.
pub(crate) const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Formats 50 bits from `digest` as a code: `RP-XXXXX-XXXXX`.
pub fn format_code(digest: &[u8]) -> String {
    let mut bits: u64 = 0;
    for b in digest.iter().take(8) {
        bits = (bits << 8) | u64::from(*b);
    }
    let chars: Vec<char> = (0..10)
        .map(|i| CODE_ALPHABET[((bits >> (64 - 5 * (i + 1))) & 31) as usize] as char)
        .collect();
    let (a, b) = chars.split_at(5);
    format!("RP-{}-{}", a.iter().collect::<String>(), b.iter().collect::<String>())
}

/// Normalises what a checkout sends (`rp-abcde-fghjk`, spaces, O for 0) to the stored form, or
/// `None` when it cannot be a code.
pub fn normalise_code(input: &str) -> Option<String> {
    let s: String = input.trim().to_ascii_uppercase();
    let rest = s.strip_prefix("RP-").or_else(|| s.strip_prefix("RP"))?;
    let cleaned: String = rest
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    if cleaned.len() != 10 || !cleaned.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("RP-{}-{}", &cleaned[..5], &cleaned[5..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjustments_are_bounded_either_way() {
        for (points, ok) in [
            (1, true),
            (-1, true),
            (MAX_ADJUSTMENT, true),
            (-MAX_ADJUSTMENT, true),
            (0, false),
            (MAX_ADJUSTMENT + 1, false),
            (-MAX_ADJUSTMENT - 1, false),
            (i64::MAX, false),
            (i64::MIN, false),
            (i64::MIN + 1, false),
        ] {
            let parsed = AdjustmentPoints::new(points);
            assert_eq!(parsed.is_ok(), ok, "{points}");
            if let Err(e) = parsed {
                assert_eq!(e.field, "points");
            }
        }
        assert_eq!(AdjustmentPoints::new(-250).unwrap().get(), -250);
    }

    #[test]
    fn a_snapshot_holds_before_its_time_under_its_programme_only() {
        let rules: LoyaltyRules = serde_json::from_value(serde_json::json!({
            "points_per_unit": 1,
            "rewards": [{"id": "5-off", "points": 500, "discount": {"amount_minor": 500, "currency": "EUR"}}]
        }))
        .unwrap();
        let account = Ledger::default().account(&rules, 1_000);
        let tag = programme_tag(&rules);
        let snapshot =
            AccountSnapshot { account: account.clone(), until: 2_000, programme: tag.clone() };
        assert_eq!(snapshot.clone().holding(&tag, 1_999), Some(account));
        assert_eq!(snapshot.clone().holding(&tag, 2_000), None, "until is exclusive");
        let richer = LoyaltyRules { signup_bonus: 100, ..rules.clone() };
        assert_ne!(programme_tag(&richer), tag);
        assert_eq!(snapshot.holding(&programme_tag(&richer), 1_500), None);
        assert_eq!(programme_tag(&rules.clone()), tag, "the same rules, the same tag");
    }

    #[test]
    fn codes_are_readable_and_normalise() {
        let code = format_code(&[0xff, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc]);
        assert_eq!(code.len(), 14);
        assert!(code.starts_with("RP-"));
        assert_eq!(normalise_code(&code.to_ascii_lowercase()), Some(code.clone()));
        assert_eq!(normalise_code(&code.replace('-', " ")), Some(code.clone()));
        assert_eq!(normalise_code("RP-0O0O0-11IL1"), Some("RP-00000-11111".to_owned()));
        assert_eq!(normalise_code("RP-12345"), None);
        assert_eq!(normalise_code("XX-12345-67890"), None);
        assert_eq!(normalise_code("RP-1234U-67890"), None);
        assert_ne!(format_code(&[1; 8]), format_code(&[2; 8]));
    }
}
