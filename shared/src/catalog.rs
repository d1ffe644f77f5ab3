//! The shop and its products: settings the merchant configures, the catalog the widgets show.

use core::fmt;
use serde::{Deserialize, Serialize};

use crate::ids::Sku;
use crate::loyalty::LoyaltyRules;
use crate::referral::ReferralRules;
use crate::reviews::ModerationRule;

/// A field of a request body that broke a rule, reported back as a 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self { field: field.into(), problem: problem.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.problem)
    }
}

/// Checks a free-text field: trimmed length within `min..=max` characters, and no control
/// characters except line breaks and tabs. The text is kept as text: no HTML is stripped or
/// interpreted here, because it is never rendered as HTML anywhere.
pub fn bounded_text(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<String, FieldError> {
    let trimmed = value.trim();
    let len = trimmed.chars().count();
    if len < min {
        return Err(FieldError::new(
            field,
            if min == 1 {
                "is required".to_owned()
            } else {
                format!("needs at least {min} characters")
            },
        ));
    }
    if len > max {
        return Err(FieldError::new(field, format!("must be at most {max} characters")));
    }
    if trimmed.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

/// An ISO 4217 currency code (`EUR`, `USD`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl TryFrom<String> for Currency {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(s))
        } else {
            Err(FieldError::new("currency", "must be a three-letter ISO 4217 code such as EUR"))
        }
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

impl Currency {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Digits after the decimal point in a currency's minor unit (ISO 4217); 2 unless listed.
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// An amount of money: integer minor units (cents) and a currency. Never a float.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

/// The largest amount, in minor units, that any request may carry (ten trillion units of a
/// two-digit currency): far beyond any real order, and far enough from `i64::MAX` that sums of
/// amounts and the points they are worth cannot overflow.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;

/// The latest time any request may carry: the end of the year 9999, in Unix seconds.
pub const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

impl Money {
    /// Checks that the amount is 0 to [`MAX_AMOUNT_MINOR`]; `field` names it in the error.
    pub fn check(&self, field: &str) -> Result<(), FieldError> {
        if (0..=MAX_AMOUNT_MINOR).contains(&self.amount_minor) {
            Ok(())
        } else {
            Err(FieldError::new(
                format!("{field}.amount_minor"),
                format!("must be 0 to {MAX_AMOUNT_MINOR}"),
            ))
        }
    }
}

/// Is `url` a link a widget may render: an absolute `https://` or `http://` URL with a host, or
/// a path on the shop (`/account/login`)? Never a `javascript:` or other scheme, nor a
/// protocol-relative `//host` (a path that leaves the shop). Whitespace, control characters
/// and `\` are refused anywhere, since browsers drop or rewrite them (`/\tevil.example` and
/// `/\evil.example` both become `//evil.example`). The settings parser and the widgets both use
/// this one check.
pub fn is_link_url(url: &str) -> bool {
    if url.len() > 2048 || url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return false;
    }
    let after_scheme = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match after_scheme {
        Some(rest) => !rest.is_empty() && !rest.starts_with('/'),
        None => url.starts_with('/') && !url.starts_with("//"),
    }
}

/// `url` for the settings field `field`, or the error naming it.
pub fn link_url(field: &str, url: &str) -> Result<(), FieldError> {
    if is_link_url(url) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "must be an http(s) URL such as https://shop.example/login, or a path such as /login",
        ))
    }
}

/// A storefront origin allowed to call the shopper API: `https://shop.example` (scheme, host,
/// optional port; no path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Origin(String);

impl TryFrom<String> for Origin {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
        let ok = rest.is_some_and(|host| {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
        if ok {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(FieldError::new(
                "allowed_origins",
                format!("{s:?} is not an origin such as https://shop.example"),
            ))
        }
    }
}

impl From<Origin> for String {
    fn from(o: Origin) -> String {
        o.0
    }
}

impl Origin {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a merchant configures for their shop. Its presence in KV is what makes a shop exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopSettings {
    /// The shop's name as shoppers know it.
    pub name: String,
    pub currency: Currency,
    /// BCP 47 tag used when the page does not say (`en-US`, `de-DE`).
    #[serde(default = "default_locale")]
    pub locale: String,
    /// Storefront origins allowed to call the shopper API from a browser.
    #[serde(default)]
    pub allowed_origins: Vec<Origin>,
    /// Where a signed-out shopper goes to sign in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_url: Option<String>,
    /// How new reviews from shoppers are published.
    #[serde(default)]
    pub moderation: ModerationRule,
    /// The loyalty programme; none when the shop does not run one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loyalty: Option<LoyaltyRules>,
    /// The referral programme; none when the shop does not run one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<ReferralRules>,
    /// The merchant's own words for widget strings, by language and key
    /// (`{"de": {"reviews.write": "Teile deine Erfahrung"}}`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub strings: crate::i18n::Overrides,
    /// Review requests after an order, and points-expiry reminders; none without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_ups: Option<crate::follow_up::FollowUps>,
}

fn default_locale() -> String {
    "en-US".to_owned()
}

impl ShopSettings {
    pub fn validate(mut self) -> Result<Self, FieldError> {
        self.name = bounded_text("name", &self.name, 1, 100)?;
        self.locale = bounded_text("locale", &self.locale, 2, 35)?;
        if self.allowed_origins.len() > 20 {
            return Err(FieldError::new("allowed_origins", "lists at most 20 origins"));
        }
        if let Some(url) = &self.sign_in_url {
            link_url("sign_in_url", url)?;
        }
        self.loyalty = self.loyalty.map(|l| l.validate(&self.currency)).transpose()?;
        self.referral = self
            .referral
            .map(|r| r.validate(&self.currency, self.loyalty.as_ref(), &self.allowed_origins))
            .transpose()?;
        crate::i18n::check_overrides(&self.strings)?;
        self.follow_ups = self.follow_ups.map(crate::follow_up::FollowUps::validate).transpose()?;
        Ok(self)
    }

    /// May a browser page on `origin` call this shop's shopper API?
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o.0.eq_ignore_ascii_case(origin))
    }
}

/// A product in the shop's catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub sku: Sku,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    /// Can a shopper buy it now: published, active and in stock (or sold on backorder).
    /// Recommendations leave out what cannot be bought.
    #[serde(default = "available", skip_serializing_if = "is_available")]
    pub available: bool,
    /// The platform's product type, vendor and tags: what "similar" blends with behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Bought again and again (coffee, filters): "for you" may show it to someone who bought it.
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub repeat_purchase: bool,
    /// Unix seconds of the platform's last change, when it says: an older version of the
    /// product arriving late does not replace a newer one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

fn available() -> bool {
    true
}

fn is_available(a: &bool) -> bool {
    *a
}

/// The most tags a product keeps.
pub const MAX_TAGS: usize = 50;

impl Product {
    /// A product known by its SKU and title only: available, nothing else said.
    pub fn new(sku: Sku, title: impl Into<String>) -> Self {
        Self {
            sku,
            title: title.into(),
            url: None,
            image_url: None,
            price: None,
            available: true,
            product_type: None,
            vendor: None,
            tags: Vec::new(),
            repeat_purchase: false,
            updated_at: None,
        }
    }

    /// Should `self` replace `stored`? Not when both are dated and `stored` is newer.
    pub fn supersedes(&self, stored: &Product) -> bool {
        match (self.updated_at, stored.updated_at) {
            (Some(new), Some(old)) => new >= old,
            _ => true,
        }
    }

    pub fn validate(mut self) -> Result<Self, FieldError> {
        self.title = bounded_text("title", &self.title, 1, 200)?;
        for (field, url) in [("url", &self.url), ("image_url", &self.image_url)] {
            if let Some(u) = url {
                link_url(field, u)?;
            }
        }
        if let Some(price) = &self.price {
            price.check("price")?;
        }
        for (field, text) in
            [("product_type", &mut self.product_type), ("vendor", &mut self.vendor)]
        {
            if let Some(t) = text {
                *t = bounded_text(field, t, 1, 100)?;
            }
        }
        if self.tags.len() > MAX_TAGS {
            return Err(FieldError::new("tags", format!("lists at most {MAX_TAGS} tags")));
        }
        for tag in &mut self.tags {
            *tag = bounded_text("tags", tag, 1, 100)?;
        }
        if self.updated_at.is_some_and(|t| !(0..=MAX_UNIX_SECONDS).contains(&t)) {
            return Err(FieldError::new("updated_at", "must be Unix seconds from 1970 to 9999"));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_web_addresses_or_paths_on_the_shop() {
        let table = [
            ("https://shop.example/account/login", true),
            ("http://shop.example", true),
            ("https://shop.example:8443/a?b=c#d", true),
            ("/account/login", true),
            ("/", true),
            ("//evil.example/login", false),
            ("///evil.example", false),
            ("/\\evil.example", false),
            ("/\tevil.example", false),
            ("/\n/evil.example", false),
            (" /login", false),
            ("https://", false),
            ("https:///evil.example", false),
            ("javascript:alert(1)", false),
            ("JavaScript:alert(1)", false),
            ("data:text/html,<script>alert(1)</script>", false),
            ("account/login", false),
            ("", false),
            ("ftp://shop.example", false),
        ];
        for (url, ok) in table {
            assert_eq!(is_link_url(url), ok, "{url:?}");
        }
        assert!(!is_link_url(&format!("/{}", "a".repeat(2048))));
        assert_eq!(link_url("sign_in_url", "//evil.example").unwrap_err().field, "sign_in_url");
    }

    #[test]
    fn settings_refuse_a_link_that_is_not_one() {
        let settings = |sign_in_url: &str, join_url: &str| {
            serde_json::from_value::<ShopSettings>(serde_json::json!({
                "name": "Acme", "currency": "EUR", "sign_in_url": sign_in_url,
                "loyalty": { "points_per_unit": 1, "join_url": join_url },
            }))
            .unwrap()
            .validate()
        };
        assert!(settings("https://acme.example/login", "/register").is_ok());
        for (sign_in, join, field) in [
            ("//evil.example", "/register", "sign_in_url"),
            ("javascript:alert(1)", "/register", "sign_in_url"),
            ("/login", "//evil.example", "loyalty.join_url"),
            ("/login", "javascript:alert(1)", "loyalty.join_url"),
        ] {
            assert_eq!(settings(sign_in, join).unwrap_err().field, field, "{sign_in} {join}");
        }
    }

    #[test]
    fn bounded_text_rules() {
        assert_eq!(bounded_text("t", "  hi  ", 1, 5).unwrap(), "hi");
        assert_eq!(bounded_text("t", "   ", 1, 5).unwrap_err().problem, "is required");
        assert!(bounded_text("t", "toolong", 1, 5).is_err());
        assert!(bounded_text("t", "a\u{0}b", 1, 5).is_err());
        assert_eq!(bounded_text("t", "a\nb", 1, 5).unwrap(), "a\nb");
        // Markup is text like any other: kept verbatim, never interpreted.
        assert_eq!(bounded_text("t", "<b>x</b>", 1, 20).unwrap(), "<b>x</b>");
        // Length counts characters, not bytes.
        assert!(bounded_text("t", "ééééé", 1, 5).is_ok());
    }

    #[test]
    fn origins_and_currencies_parse() {
        assert!(Origin::try_from("https://shop.example".to_owned()).is_ok());
        assert!(Origin::try_from("http://127.0.0.1:8080".to_owned()).is_ok());
        assert!(Origin::try_from("https://shop.example/path".to_owned()).is_err());
        assert!(Origin::try_from("shop.example".to_owned()).is_err());
        assert!(Origin::try_from("*".to_owned()).is_err());
        assert!(Currency::try_from("EUR".to_owned()).is_ok());
        assert!(Currency::try_from("eur".to_owned()).is_err());
    }

    #[test]
    fn a_dated_product_replaces_only_an_older_one() {
        let at = |t: Option<i64>| Product {
            updated_at: t,
            ..Product::new(Sku::parse("TENT").unwrap(), "Tent")
        };
        assert!(at(Some(2)).supersedes(&at(Some(1))));
        assert!(at(Some(2)).supersedes(&at(Some(2))), "a repeat is harmless");
        assert!(!at(Some(1)).supersedes(&at(Some(2))));
        assert!(at(None).supersedes(&at(Some(2))), "an undated update is taken as it comes");
        assert!(at(Some(1)).supersedes(&at(None)));
    }

    #[test]
    fn allowed_origins_match_exactly() {
        let s: ShopSettings = serde_json::from_str(
            r#"{"name":"Acme","currency":"EUR","allowed_origins":["https://acme.example"]}"#,
        )
        .unwrap();
        assert!(s.allows_origin("https://acme.example"));
        assert!(s.allows_origin("HTTPS://ACME.EXAMPLE"));
        assert!(!s.allows_origin("https://acme.example.evil"));
        assert!(!s.allows_origin("http://acme.example"));
        assert_eq!(s.locale, "en-US");
    }
}
