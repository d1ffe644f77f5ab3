//! Shopper identity: a compact HS256 JWT minted by the merchant's server.
//!
//! Claims: `sub` (customer id), `shop`, `exp`; optional `name` and `email_hash`. The edge
//! verifies signature, algorithm, shop and expiry on every request that touches a shopper's own
//! data. Signature comparison is constant-time (jwt-compact compares HMAC outputs with `subtle`).
//! Only `HS256` is accepted: a token announcing `none` or any other algorithm is refused before
//! its signature is looked at.

use core::fmt;

use chrono::{DateTime, Duration, Utc};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions, UntrustedToken, ValidationError};
use serde::{Deserialize, Serialize};

use crate::ids::{CustomerId, ShopId};
use crate::secrets::TokenSecret;

/// Clock skew tolerated between the merchant's server and the edge.
pub const LEEWAY_SECONDS: i64 = 60;

/// The claims Rapport reads from a shopper token, besides `exp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopperClaims {
    pub sub: CustomerId,
    pub shop: ShopId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_hash: Option<String>,
}

/// A shopper whose token checked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shopper {
    pub customer: CustomerId,
    pub shop: ShopId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_hash: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Why a token was refused. All of them are a 401 to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Not three base64url segments of JSON.
    Malformed,
    /// The header names another algorithm than HS256.
    UnsupportedAlgorithm(String),
    /// The signature does not match the shop's secret.
    BadSignature,
    /// `sub` or `shop` missing or invalid.
    BadClaims,
    /// No `exp` claim: tokens must expire.
    NoExpiry,
    Expired,
    /// Signed for another shop.
    WrongShop,
}

impl TokenError {
    /// Stable machine-readable code for the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Malformed => "token_malformed",
            TokenError::UnsupportedAlgorithm(_) => "token_algorithm",
            TokenError::BadSignature => "token_signature",
            TokenError::BadClaims => "token_claims",
            TokenError::NoExpiry => "token_no_expiry",
            TokenError::Expired => "token_expired",
            TokenError::WrongShop => "token_wrong_shop",
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Malformed => f.write_str("the shopper token is not a well-formed JWT"),
            TokenError::UnsupportedAlgorithm(alg) => {
                write!(f, "the shopper token must be signed with HS256, not {alg:?}")
            }
            TokenError::BadSignature => f.write_str("the shopper token's signature is not valid"),
            TokenError::BadClaims => {
                f.write_str("the shopper token needs valid `sub` and `shop` claims")
            }
            TokenError::NoExpiry => f.write_str("the shopper token needs an `exp` claim"),
            TokenError::Expired => f.write_str("the shopper token has expired"),
            TokenError::WrongShop => f.write_str("the shopper token was issued for another shop"),
        }
    }
}

fn at(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Verifies a shopper token for `shop` at time `now` (Unix seconds).
pub fn verify_shopper_token(
    token: &str,
    secret: &TokenSecret,
    shop: &ShopId,
    now: i64,
) -> Result<Shopper, TokenError> {
    let untrusted = UntrustedToken::new(token).map_err(|_| TokenError::Malformed)?;
    if untrusted.algorithm() != "HS256" {
        return Err(TokenError::UnsupportedAlgorithm(untrusted.algorithm().to_owned()));
    }
    let key = Hs256Key::new(secret.as_bytes());
    let token =
        Hs256.validator::<ShopperClaims>(&key).validate(&untrusted).map_err(|e| match e {
            ValidationError::InvalidSignature | ValidationError::InvalidSignatureLen { .. } => {
                TokenError::BadSignature
            }
            ValidationError::MalformedClaims(_) => TokenError::BadClaims,
            _ => TokenError::Malformed,
        })?;
    let claims = token.claims();
    let expiration = claims.expiration.ok_or(TokenError::NoExpiry)?;
    let options = TimeOptions::new(Duration::seconds(LEEWAY_SECONDS), move || at(now));
    claims.validate_expiration(&options).map_err(|_| TokenError::Expired)?;
    if claims.custom.shop != *shop {
        return Err(TokenError::WrongShop);
    }
    Ok(Shopper {
        customer: claims.custom.sub.clone(),
        shop: claims.custom.shop.clone(),
        name: claims.custom.name.clone(),
        email_hash: claims.custom.email_hash.clone(),
        expires_at: expiration.timestamp(),
    })
}

/// Mints a shopper token, as the merchant's server does. Used by the development CLI and tests;
/// the README shows the same in Node, PHP, Python and Ruby.
pub fn mint_shopper_token(
    secret: &TokenSecret,
    claims: ShopperClaims,
    now: i64,
    ttl_seconds: i64,
) -> String {
    let mut full = Claims::new(claims);
    full.issued_at = Some(at(now));
    full.expiration = Some(at(now.saturating_add(ttl_seconds)));
    let header = Header::empty().with_token_type("JWT");
    Hs256
        .token(&header, &full, &Hs256Key::new(secret.as_bytes()))
        // Serialising these claims to JSON cannot fail: they are strings and integers.
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000;

    fn secret(s: &str) -> TokenSecret {
        TokenSecret::parse(s).unwrap()
    }

    fn claims(shop: &str, sub: &str) -> ShopperClaims {
        ShopperClaims {
            sub: CustomerId::parse(sub).unwrap(),
            shop: ShopId::parse(shop).unwrap(),
            name: Some("Ada".into()),
            email_hash: None,
        }
    }

    #[test]
    fn a_minted_token_verifies_for_its_shop() {
        let s = secret("0123456789abcdef0123456789abcdef");
        let token = mint_shopper_token(&s, claims("acme", "cust-1"), NOW, 3600);
        let shopper = verify_shopper_token(&token, &s, &ShopId::parse("acme").unwrap(), NOW + 10)
            .expect("valid");
        assert_eq!(shopper.customer.as_str(), "cust-1");
        assert_eq!(shopper.name.as_deref(), Some("Ada"));
        assert_eq!(shopper.expires_at, NOW + 3600);
    }

    #[test]
    fn refusals() {
        let s = secret("0123456789abcdef0123456789abcdef");
        let other = secret("fedcba9876543210fedcba9876543210");
        let acme = ShopId::parse("acme").unwrap();
        let good = mint_shopper_token(&s, claims("acme", "cust-1"), NOW, 3600);
        let mut tampered_claims = good.split('.').map(str::to_owned).collect::<Vec<_>>();
        // Re-sign nothing: swap in the claims of another customer, keep the old signature.
        let forged_body = mint_shopper_token(&s, claims("acme", "cust-2"), NOW, 3600);
        tampered_claims[1] = forged_body.split('.').nth(1).unwrap().to_owned();
        let tampered = tampered_claims.join(".");
        // {"alg":"none"} . {"sub":"x","shop":"acme","exp":9999999999} . (empty)
        let alg_none =
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwic2hvcCI6ImFjbWUiLCJleHAiOjk5OTk5OTk5OTl9.";

        let cases: Vec<(&str, String, &TokenSecret, i64, TokenError)> = vec![
            ("garbage", "not-a-token".into(), &s, NOW, TokenError::Malformed),
            ("empty", String::new(), &s, NOW, TokenError::Malformed),
            ("other secret", good.clone(), &other, NOW, TokenError::BadSignature),
            ("tampered claims", tampered, &s, NOW, TokenError::BadSignature),
            ("alg none", alg_none.into(), &s, NOW, TokenError::UnsupportedAlgorithm("none".into())),
            ("expired", good.clone(), &s, NOW + 3600 + LEEWAY_SECONDS + 1, TokenError::Expired),
            (
                "other shop",
                mint_shopper_token(&s, claims("other", "cust-1"), NOW, 3600),
                &s,
                NOW,
                TokenError::WrongShop,
            ),
        ];
        for (name, token, key, now, want) in cases {
            assert_eq!(verify_shopper_token(&token, key, &acme, now), Err(want), "{name}");
        }
        // Inside the leeway an expired token still passes: clocks drift.
        assert!(verify_shopper_token(&good, &s, &acme, NOW + 3600 + LEEWAY_SECONDS - 1).is_ok());
    }

    #[test]
    fn a_token_without_expiry_is_refused() {
        let s = secret("0123456789abcdef0123456789abcdef");
        let header = Header::empty().with_token_type("JWT");
        let token = Hs256
            .token(&header, &Claims::new(claims("acme", "c")), &Hs256Key::new(s.as_bytes()))
            .unwrap();
        let acme = ShopId::parse("acme").unwrap();
        assert_eq!(verify_shopper_token(&token, &s, &acme, NOW), Err(TokenError::NoExpiry));
    }

    #[test]
    fn a_token_with_a_path_in_its_subject_is_refused() {
        let s = secret("0123456789abcdef0123456789abcdef");
        // A valid signature over claims whose `sub` would escape a key prefix.
        let header = Header::empty();
        let mut c = Claims::new(serde_json::json!({"sub": "a/../b", "shop": "acme"}));
        c.expiration = Some(at(NOW + 60));
        let token = Hs256.token(&header, &c, &Hs256Key::new(s.as_bytes())).unwrap();
        let acme = ShopId::parse("acme").unwrap();
        assert_eq!(verify_shopper_token(&token, &s, &acme, NOW), Err(TokenError::BadClaims));
    }
}
