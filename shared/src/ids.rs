//! Identifiers that end up inside KV keys.
//!
//! Every KV key is `{shop}/...`, with `/` as the separator, so an identifier that could contain
//! `/` (or be empty) could escape its shop's or its product's prefix. Parsing here is the only way
//! to build one, which makes that impossible by construction.

use core::fmt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why an identifier was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    Empty,
    TooLong { max: usize },
    BadCharacter(char),
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdError::Empty => f.write_str("must not be empty"),
            IdError::TooLong { max } => write!(f, "must be at most {max} characters"),
            IdError::BadCharacter(c) => write!(f, "must not contain {c:?}"),
        }
    }
}

fn check(s: &str, max: usize, allowed: impl Fn(char) -> bool) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.chars().count() > max {
        return Err(IdError::TooLong { max });
    }
    match s.chars().find(|c| !allowed(*c)) {
        Some(c) => Err(IdError::BadCharacter(c)),
        None => Ok(()),
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $max:expr, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(s: &str) -> Result<Self, IdError> {
                check(s, $max, $allowed).map(|()| Self(s.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// A shop: lowercase letters, digits and `-`, as in a subdomain (`acme-outdoor`).
    ShopId,
    63,
    |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
);

id_type!(
    /// A product's SKU or handle as the merchant's platform knows it (`TENT-2P`, `trail.mug`).
    Sku,
    64,
    |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
);

id_type!(
    /// A customer id from the merchant's platform (the `sub` of a shopper token).
    CustomerId,
    128,
    |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':' | '+')
);

id_type!(
    /// A review's id: unique within its product.
    ReviewId,
    64,
    |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')
);

/// What a platform's order and refund ids may hold: ids of every platform seen (digits,
/// `gid:…`, `#1001-A`-style numbers without the `#`), never a `/`, a space or nothing.
fn platform_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')
}

id_type!(
    /// An order's id on its platform (`1001`, `450789469`). Every delivery of an order names it,
    /// so an empty or malformed one would merge unrelated orders into one.
    OrderId,
    64,
    platform_id_char
);

id_type!(
    /// A refund's id on its platform, unique within its order: a repeated delivery of the
    /// refund counts once, so two refunds must never share an (empty) id.
    RefundId,
    64,
    platform_id_char
);

id_type!(
    /// An order as Rapport keys it: the platform and its order id (`shopify:450789469`). The
    /// webhooks build it with [`OrderKey::of`] from a parsed [`OrderId`]; a merchant's purchase
    /// record may name an order of their own in any form.
    OrderKey,
    80,
    platform_id_char
);

impl OrderKey {
    /// The key of `id` on `platform` (`shopify`, `woocommerce`, `generic`).
    pub fn of(platform: &str, id: &OrderId) -> Result<Self, IdError> {
        Self::parse(&format!("{platform}:{id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_refuse_what_could_escape_a_key_prefix() {
        let cases: &[(&str, Result<(), IdError>)] = &[
            ("acme-outdoor", Ok(())),
            ("", Err(IdError::Empty)),
            ("acme/other", Err(IdError::BadCharacter('/'))),
            ("Acme", Err(IdError::BadCharacter('A'))),
            ("acme outdoor", Err(IdError::BadCharacter(' '))),
        ];
        for (input, want) in cases {
            assert_eq!(ShopId::parse(input).map(|_| ()), *want, "shop id {input:?}");
        }
        assert!(ShopId::parse(&"a".repeat(64)).is_err());
        assert!(Sku::parse("TENT-2P").is_ok());
        assert!(Sku::parse("../TENT").is_err());
        assert_eq!(Sku::parse("tent/2").unwrap_err(), IdError::BadCharacter('/'));
        assert!(CustomerId::parse("gid:shopify-42").is_ok());
        assert!(CustomerId::parse("a/b").is_err());
    }

    #[test]
    fn order_and_refund_ids_are_never_empty_blank_long_or_slashed() {
        for parse in
            [|s: &str| OrderId::parse(s).map(|_| ()), |s: &str| RefundId::parse(s).map(|_| ())]
        {
            assert_eq!(parse("1001"), Ok(()));
            assert_eq!(parse("gid:shopify-1001.2"), Ok(()));
            assert_eq!(parse(""), Err(IdError::Empty));
            assert_eq!(parse(" "), Err(IdError::BadCharacter(' ')));
            assert_eq!(parse(" 1001"), Err(IdError::BadCharacter(' ')));
            assert_eq!(parse("\t"), Err(IdError::BadCharacter('\t')));
            assert_eq!(parse("10/01"), Err(IdError::BadCharacter('/')));
            assert_eq!(parse(&"1".repeat(64)), Ok(()));
            assert_eq!(parse(&"1".repeat(65)), Err(IdError::TooLong { max: 64 }));
        }
        let key = OrderKey::of("generic", &OrderId::parse("1001").unwrap()).unwrap();
        assert_eq!(key.as_str(), "generic:1001");
    }

    #[test]
    fn ids_deserialize_only_when_valid() {
        let ok: Sku = serde_json::from_str("\"MUG-1\"").unwrap();
        assert_eq!(ok.as_str(), "MUG-1");
        assert!(serde_json::from_str::<Sku>("\"MUG/1\"").is_err());
    }
}
