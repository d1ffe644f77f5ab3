//! After the order: review requests and points-expiry reminders, decided and written as pure
//! functions.
//!
//! A review request is due a number of days after the order was fulfilled ([`FollowUps`]), and
//! goes out once per order at most: [`review_request`] says, from the facts at the moment of
//! asking, whether to wait, to send, or never to send and why. The caller stores the order's
//! request as sent (or dropped) before anything else asks again, so repeats of the webhook or
//! the scheduler cannot send twice. A points-expiry reminder goes out once per expiry date
//! ([`expiry_reminder`]). The links in an e-mail carry signed, expiring, single-purpose tokens
//! ([`link`]); the message itself is written by [`mail`].

#[cfg(feature = "server")]
pub mod link;
#[cfg(feature = "server")]
pub mod mail;

use serde::{Deserialize, Serialize};

use crate::catalog::FieldError;

const DAY: i64 = 86_400;

/// The shop's follow-up e-mails (`ShopSettings::follow_ups`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUps {
    /// Days after an order's fulfilment its review request goes out.
    #[serde(default = "default_delay_days")]
    pub delay_days: u32,
    /// Who may be e-mailed.
    #[serde(default)]
    pub consent: Consent,
    /// The `From` of every follow-up e-mail.
    pub sender: Mailbox,
    /// Where the links in the e-mails point: the Rapport Worker's public origin
    /// (`https://rapport.example.com`). Filled from the request that stores the settings when
    /// they do not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_base: Option<String>,
    /// Whether members are reminded before their points expire.
    #[serde(default)]
    pub expiry_reminders: bool,
    /// How many days before the expiry the reminder goes out.
    #[serde(default = "default_notice_days")]
    pub notice_days: u32,
}

fn default_delay_days() -> u32 {
    7
}

fn default_notice_days() -> u32 {
    14
}

/// Where a customer's follow-up e-mails go, as their latest order said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub email: String,
    /// Whether they accepted marketing e-mails; `None` when the platform did not say.
    #[serde(default)]
    pub marketing: Option<bool>,
    /// The language they shopped in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

#[cfg(feature = "server")]
impl Contact {
    /// Where an order's follow-ups go: the buyer's address, and what the platform said of their
    /// consent and language.
    pub fn for_order(email: String, signals: &crate::orders::FollowUpSignals) -> Self {
        Contact { email, marketing: signals.marketing, locale: signals.locale.clone() }
    }
}

/// Who the shop's follow-up e-mails may go to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    /// Only customers who accepted marketing e-mails when they ordered (what the platform sent).
    #[default]
    Marketing,
    /// Every customer, each e-mail with its one-click unsubscribe.
    OptOut,
}

impl FollowUps {
    pub fn validate(self) -> Result<Self, FieldError> {
        if !(1..=60).contains(&self.delay_days) {
            return Err(FieldError::new("follow_ups.delay_days", "must be 1 to 60 days"));
        }
        if !(1..=60).contains(&self.notice_days) {
            return Err(FieldError::new("follow_ups.notice_days", "must be 1 to 60 days"));
        }
        self.sender.check("follow_ups.sender")?;
        if let Some(base) = &self.link_base {
            let bare = base.strip_prefix("https://").or_else(|| base.strip_prefix("http://"));
            if !bare.is_some_and(|b| !b.is_empty() && !b.contains(['/', '?', '#', ' ', '"', '<'])) {
                return Err(FieldError::new(
                    "follow_ups.link_base",
                    "must be an origin: https://host[:port], no path",
                ));
            }
        }
        Ok(self)
    }
}

/// An address with its display name: `Acme Outdoor <hello@acme.example>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    pub address: String,
    #[serde(default)]
    pub name: String,
}

/// An address as a header may hold it: one `@`, printable ASCII with none of the characters
/// that would end or restructure a header (so a stored address cannot inject one).
pub fn is_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else { return false };
    let allowed = |c: char| c.is_ascii_graphic() && !"<>()[]\\,;:\"@".contains(c);
    (3..=254).contains(&address.len())
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && local.chars().chain(domain.chars()).all(allowed)
}

impl Mailbox {
    /// The checks a sender from the settings must pass; `field` names it in the error.
    pub fn check(&self, field: &str) -> Result<(), FieldError> {
        if !is_address(&self.address) {
            return Err(FieldError::new(format!("{field}.address"), "is not an e-mail address"));
        }
        if self.name.chars().count() > 78 || self.name.chars().any(char::is_control) {
            return Err(FieldError::new(
                format!("{field}.name"),
                "must be at most 78 characters, on one line",
            ));
        }
        Ok(())
    }

    /// The domain of the address (what a `Message-ID` ends with).
    pub fn domain(&self) -> &str {
        self.address.rsplit_once('@').map_or("", |(_, d)| d)
    }

    #[cfg(feature = "server")]
    pub(crate) fn header(&self) -> String {
        if self.name.is_empty() {
            self.address.clone()
        } else {
            format!("{} <{}>", mail::phrase(&self.name), self.address)
        }
    }
}

/// What to do about one follow-up e-mail now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Not yet: ask again at `until` (Unix seconds).
    Wait {
        until: i64,
    },
    Send,
    /// Not now and not later.
    Never(Skip),
}

/// Why a follow-up e-mail is never sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// Sent already (or decided before): once is all.
    Done,
    /// The shop sends no follow-ups of this kind.
    Off,
    Erased,
    Unsubscribed,
    /// The customer did not accept marketing e-mails and the shop e-mails only those who did.
    NoConsent,
    /// The order was cancelled, or refunded in full.
    Cancelled,
    /// The customer has reviewed every product of the order.
    Reviewed,
    /// The points have expired (or been spent) before the reminder was due.
    Passed,
}

impl Skip {
    /// The name it is stored and reported under.
    pub fn name(self) -> &'static str {
        match self {
            Skip::Done => "done",
            Skip::Off => "off",
            Skip::Erased => "erased",
            Skip::Unsubscribed => "unsubscribed",
            Skip::NoConsent => "no_consent",
            Skip::Cancelled => "cancelled",
            Skip::Reviewed => "reviewed",
            Skip::Passed => "passed",
        }
    }
}

/// What is known about the customer an e-mail would go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    pub erased: bool,
    pub unsubscribed: bool,
    /// Whether they accepted marketing e-mails; `None` when the platform did not say.
    pub marketing: Option<bool>,
}

impl Recipient {
    /// Why nothing may go to them under `consent`, if anything.
    fn refusal(self, consent: Consent) -> Option<Skip> {
        if self.erased {
            Some(Skip::Erased)
        } else if self.unsubscribed {
            Some(Skip::Unsubscribed)
        } else if consent == Consent::Marketing && self.marketing != Some(true) {
            Some(Skip::NoConsent)
        } else {
            None
        }
    }
}

/// What is known about an order when its review request is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderFacts {
    /// When the order was fulfilled (Unix seconds); `None` while it is not.
    pub fulfilled_at: Option<i64>,
    /// Cancelled, or refunded in full.
    pub cancelled: bool,
    /// The customer has reviewed every product of the order.
    pub reviewed_all: bool,
    /// This order's request was sent or dropped already.
    pub done: bool,
}

/// Whether the review request of an order goes out at `now`. Whatever makes it never go out
/// is checked first, so a cancellation, an erasure or an unsubscribe before the due time stops
/// it as surely as one after.
pub fn review_request(
    settings: Option<&FollowUps>,
    order: OrderFacts,
    to: Recipient,
    now: i64,
) -> Decision {
    let Some(settings) = settings else { return Decision::Never(Skip::Off) };
    let never = if order.done {
        Some(Skip::Done)
    } else {
        to.refusal(settings.consent).or(if order.cancelled {
            Some(Skip::Cancelled)
        } else if order.reviewed_all {
            Some(Skip::Reviewed)
        } else {
            None
        })
    };
    if let Some(skip) = never {
        return Decision::Never(skip);
    }
    let Some(fulfilled_at) = order.fulfilled_at else {
        // Asked again when the fulfilment arrives.
        return Decision::Wait { until: i64::MAX };
    };
    let due = fulfilled_at.saturating_add(i64::from(settings.delay_days) * DAY);
    if now < due {
        Decision::Wait { until: due }
    } else {
        Decision::Send
    }
}

/// Whether a member whose points `expiring_at` (the ledger's `Expiring::at`; `None` when
/// nothing expires) gets their reminder at `now`. `reminded_for` is the expiry date the last
/// reminder was sent for: one reminder per date.
pub fn expiry_reminder(
    settings: Option<&FollowUps>,
    expiring_at: Option<i64>,
    reminded_for: Option<i64>,
    to: Recipient,
    now: i64,
) -> Decision {
    let Some(settings) = settings.filter(|s| s.expiry_reminders) else {
        return Decision::Never(Skip::Off);
    };
    let Some(at) = expiring_at else { return Decision::Never(Skip::Passed) };
    if reminded_for == Some(at) {
        return Decision::Never(Skip::Done);
    }
    if let Some(skip) = to.refusal(settings.consent) {
        return Decision::Never(skip);
    }
    if now >= at {
        return Decision::Never(Skip::Passed);
    }
    let due = at - i64::from(settings.notice_days) * DAY;
    if now < due {
        Decision::Wait { until: due }
    } else {
        Decision::Send
    }
}

/// What became of an order's review request, as its order object keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Sent {
        /// Unix seconds.
        at: i64,
        /// When its review link was first opened (counted at the link itself: no pixel).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        opened: Option<i64>,
        /// Reviews written through its link.
        #[serde(default)]
        reviews: u32,
    },
    Dropped {
        why: Skip,
    },
}

impl Outcome {
    /// The link of a sent request was opened at `at`: only the first time counts.
    pub fn open(&mut self, at: i64) -> bool {
        match self {
            Outcome::Sent { opened: opened @ None, .. } => {
                *opened = Some(at);
                true
            }
            _ => false,
        }
    }

    /// `count` reviews were written through the link of a sent request (which was opened
    /// then, whatever the count said).
    pub fn reviewed(&mut self, count: u32, at: i64) {
        self.open(at);
        if let Outcome::Sent { reviews, .. } = self {
            *reviews = reviews.saturating_add(count);
        }
    }
}

/// The review requests of a shop, counted: what the merchant sees of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    /// Fulfilled orders whose request is still to go out (or to be decided).
    pub scheduled: u64,
    pub sent: u64,
    /// Sent requests whose link was opened.
    pub opened: u64,
    /// Sent requests through whose link at least one review was written.
    pub reviewed: u64,
    /// Reviews written through the links.
    pub reviews: u64,
    /// Requests never sent, by why.
    pub dropped: std::collections::BTreeMap<String, u64>,
}

impl Funnel {
    pub fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Sent { opened, reviews, .. } => {
                self.sent += 1;
                self.opened += u64::from(opened.is_some());
                self.reviewed += u64::from(*reviews > 0);
                self.reviews += u64::from(*reviews);
            }
            Outcome::Dropped { why } => {
                *self.dropped.entry(why.name().to_owned()).or_default() += 1;
            }
        }
    }

    pub fn add(&mut self, other: &Funnel) {
        self.scheduled += other.scheduled;
        self.sent += other.sent;
        self.opened += other.opened;
        self.reviewed += other.reviewed;
        self.reviews += other.reviews;
        for (why, n) in &other.dropped {
            *self.dropped.entry(why.clone()).or_default() += n;
        }
    }

    /// The share of sent requests that brought at least one review (0 when none was sent).
    pub fn conversion(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            self.reviewed as f64 / self.sent as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_790_000_000;

    fn settings() -> FollowUps {
        serde_json::from_value(serde_json::json!({
            "sender": { "address": "hello@acme.example", "name": "Acme Outdoor" },
            "expiry_reminders": true
        }))
        .unwrap()
    }

    const WILLING: Recipient =
        Recipient { erased: false, unsubscribed: false, marketing: Some(true) };
    const FULFILLED: OrderFacts =
        OrderFacts { fulfilled_at: Some(T0), cancelled: false, reviewed_all: false, done: false };

    #[test]
    fn a_request_waits_for_its_day_then_goes_once() {
        let s = settings();
        assert_eq!((s.delay_days, s.consent, s.notice_days), (7, Consent::Marketing, 14));
        let ask = |order, now| review_request(Some(&s), order, WILLING, now);
        assert_eq!(ask(FULFILLED, T0), Decision::Wait { until: T0 + 7 * DAY });
        assert_eq!(ask(FULFILLED, T0 + 7 * DAY - 1), Decision::Wait { until: T0 + 7 * DAY });
        assert_eq!(ask(FULFILLED, T0 + 7 * DAY), Decision::Send);
        assert_eq!(ask(FULFILLED, T0 + 70 * DAY), Decision::Send, "a late scheduler still sends");
        assert_eq!(
            ask(OrderFacts { done: true, ..FULFILLED }, T0 + 8 * DAY),
            Decision::Never(Skip::Done)
        );
        let unfulfilled = OrderFacts { fulfilled_at: None, ..FULFILLED };
        assert_eq!(ask(unfulfilled, T0 + 99 * DAY), Decision::Wait { until: i64::MAX });
        assert_eq!(
            review_request(None, FULFILLED, WILLING, T0 + 8 * DAY),
            Decision::Never(Skip::Off)
        );
    }

    #[test]
    fn what_stops_a_request_stops_it_before_its_day_too() {
        let s = settings();
        let late = T0 + 8 * DAY;
        for now in [T0 + DAY, late] {
            let ask = |order, to| review_request(Some(&s), order, to, now);
            let cancelled = OrderFacts { cancelled: true, ..FULFILLED };
            assert_eq!(ask(cancelled, WILLING), Decision::Never(Skip::Cancelled));
            let reviewed = OrderFacts { reviewed_all: true, ..FULFILLED };
            assert_eq!(ask(reviewed, WILLING), Decision::Never(Skip::Reviewed));
            let erased = Recipient { erased: true, ..WILLING };
            assert_eq!(ask(FULFILLED, erased), Decision::Never(Skip::Erased));
            let gone = Recipient { unsubscribed: true, ..WILLING };
            assert_eq!(ask(FULFILLED, gone), Decision::Never(Skip::Unsubscribed));
            for marketing in [None, Some(false)] {
                let silent = Recipient { marketing, ..WILLING };
                assert_eq!(ask(FULFILLED, silent), Decision::Never(Skip::NoConsent));
            }
        }
        // Under opt-out, everyone who has not unsubscribed.
        let all = FollowUps { consent: Consent::OptOut, ..settings() };
        let declined = Recipient { marketing: Some(false), ..WILLING };
        assert_eq!(review_request(Some(&all), FULFILLED, declined, late), Decision::Send);
        let gone = Recipient { unsubscribed: true, ..declined };
        assert_eq!(
            review_request(Some(&all), FULFILLED, gone, late),
            Decision::Never(Skip::Unsubscribed)
        );
    }

    #[test]
    fn one_expiry_reminder_per_expiry_date() {
        let s = settings();
        let at = T0 + 100 * DAY;
        let ask = |reminded, now| expiry_reminder(Some(&s), Some(at), reminded, WILLING, now);
        assert_eq!(ask(None, T0), Decision::Wait { until: at - 14 * DAY });
        assert_eq!(ask(None, at - 14 * DAY), Decision::Send);
        assert_eq!(ask(Some(at), at - 13 * DAY), Decision::Never(Skip::Done));
        // Earning again moves the date: a new reminder for the new date.
        let later = at + 50 * DAY;
        assert_eq!(
            expiry_reminder(Some(&s), Some(later), Some(at), WILLING, later - DAY),
            Decision::Send
        );
        assert_eq!(ask(None, at), Decision::Never(Skip::Passed));
        assert_eq!(
            expiry_reminder(Some(&s), None, None, WILLING, T0),
            Decision::Never(Skip::Passed)
        );
        let off = FollowUps { expiry_reminders: false, ..settings() };
        assert_eq!(
            expiry_reminder(Some(&off), Some(at), None, WILLING, at - DAY),
            Decision::Never(Skip::Off)
        );
        let gone = Recipient { unsubscribed: true, ..WILLING };
        assert_eq!(
            expiry_reminder(Some(&s), Some(at), None, gone, at - DAY),
            Decision::Never(Skip::Unsubscribed)
        );
    }

    #[test]
    fn settings_are_checked() {
        assert!(settings().validate().is_ok());
        let e = FollowUps { delay_days: 0, ..settings() }.validate().unwrap_err();
        assert_eq!(e.field, "follow_ups.delay_days");
        let e = FollowUps { notice_days: 61, ..settings() }.validate().unwrap_err();
        assert_eq!(e.field, "follow_ups.notice_days");
        let mut s = settings();
        s.sender.name = "Acme\r\nBcc: everyone@example.com".into();
        assert_eq!(s.validate().unwrap_err().field, "follow_ups.sender.name");
    }

    #[test]
    fn the_funnel_counts_each_request_once_and_its_first_open_only() {
        let mut a = Outcome::Sent { at: 10, opened: None, reviews: 0 };
        assert!(a.open(20));
        assert!(!a.open(30), "a second open is not counted");
        assert_eq!(a, Outcome::Sent { at: 10, opened: Some(20), reviews: 0 });
        let mut b = Outcome::Sent { at: 10, opened: None, reviews: 0 };
        b.reviewed(2, 40);
        assert_eq!(
            b,
            Outcome::Sent { at: 10, opened: Some(40), reviews: 2 },
            "written means opened"
        );
        let mut dropped = Outcome::Dropped { why: Skip::NoConsent };
        assert!(!dropped.open(50));
        dropped.reviewed(1, 50);
        assert_eq!(dropped, Outcome::Dropped { why: Skip::NoConsent });
        let unopened = Outcome::Sent { at: 10, opened: None, reviews: 0 };
        let mut shard = Funnel { scheduled: 1, ..Funnel::default() };
        for o in [&a, &b, &dropped, &unopened] {
            shard.count(o);
        }
        let mut shop = Funnel::default();
        shop.add(&shard);
        shop.add(&shard);
        assert_eq!(
            (shop.scheduled, shop.sent, shop.opened, shop.reviewed, shop.reviews),
            (2, 6, 4, 2, 4)
        );
        assert_eq!(shop.dropped.get("no_consent"), Some(&2));
        assert!((shop.conversion() - 2.0 / 6.0).abs() < 1e-9);
        for why in [
            Skip::Done,
            Skip::Off,
            Skip::Erased,
            Skip::Unsubscribed,
            Skip::NoConsent,
            Skip::Cancelled,
            Skip::Reviewed,
            Skip::Passed,
        ] {
            assert_eq!(serde_json::to_value(why).unwrap(), why.name(), "reported as stored");
        }
        assert_eq!(Funnel::default().conversion(), 0.0);
        // The stored form of a request sent before links were counted still reads.
        let old: Outcome = serde_json::from_str(r#"{"sent":{"at":5}}"#).unwrap();
        assert_eq!(old, Outcome::Sent { at: 5, opened: None, reviews: 0 });
    }
}
