//! Per-shop secrets and how they are named in the Worker's environment.
//!
//! Secrets come from `wrangler secret put` (or `.dev.vars` locally), never from `wrangler.toml`.
//! Each shop has two, named after the shop id (upper-cased, `-` as `_`):
//! - `TOKEN_SECRET_<SHOP>`: the HS256 key the merchant's server signs shopper tokens with;
//! - `ADMIN_KEY_SHA256_<SHOP>`: the hex SHA-256 of the shop's admin key. The key itself is
//!   stored nowhere on the edge; a leaked environment does not leak the key.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ids::{CustomerId, ShopId};

/// Shortest accepted shopper-token secret: HS256 keys below 256 bits are guessable.
pub const MIN_TOKEN_SECRET_BYTES: usize = 32;

/// How a shop's id appears in its secrets' names: upper-cased, `-` as `_`.
pub fn env_suffix(shop: &ShopId) -> String {
    shop.as_str().to_ascii_uppercase().replace('-', "_")
}

/// The environment binding that holds the shop's shopper-token secret.
pub fn token_secret_binding(shop: &ShopId) -> String {
    format!("TOKEN_SECRET_{}", env_suffix(shop))
}

/// The environment binding that holds the hex SHA-256 of the shop's admin key.
pub fn admin_key_hash_binding(shop: &ShopId) -> String {
    format!("ADMIN_KEY_SHA256_{}", env_suffix(shop))
}

/// The environment binding that holds a platform's webhook signing secret for the shop
/// (`SHOPIFY_WEBHOOK_SECRET_<SHOP>`, `WOOCOMMERCE_WEBHOOK_SECRET_<SHOP>`).
pub fn webhook_secret_binding(platform: &str, shop: &ShopId) -> String {
    format!("{}_WEBHOOK_SECRET_{}", platform.to_ascii_uppercase(), env_suffix(shop))
}

/// A shopper-token signing secret of acceptable strength.
#[derive(Clone)]
pub struct TokenSecret(Vec<u8>);

impl TokenSecret {
    pub fn parse(s: &str) -> Result<Self, WeakSecret> {
        if s.len() < MIN_TOKEN_SECRET_BYTES {
            return Err(WeakSecret);
        }
        Ok(Self(s.as_bytes().to_vec()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("TokenSecret(..)")
    }
}

/// The discount code for the `seq`-th ledger entry of `customer`: derived from the shop's token
/// secret, so nobody without it can guess a valid code, and the same redemption always gives the
/// same code.
pub fn discount_code(
    secret: &TokenSecret,
    shop: &ShopId,
    customer: &CustomerId,
    seq: usize,
) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("discount-code\n{shop}\n{customer}\n{seq}").as_bytes());
    crate::loyalty::format_code(&mac.finalize().into_bytes())
}

fn hmac_sha256(secret: &TokenSecret, message: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A shopper's e-mail hash: lowercase hex HMAC-SHA256, keyed with the shop's token secret, of
/// the trimmed, lowercased address — what a merchant's server puts in a token's `email_hash`
/// claim, and what the Worker computes from an order or a friend's claim. The address itself
/// is never stored.
pub fn email_hash(secret: &TokenSecret, email: &str) -> String {
    hex(&hmac_sha256(secret, email.trim().to_lowercase().as_bytes()))
}

/// A value that must be compared but never kept (a shipping address, a network address on one
/// day), hashed with the shop's secret under `purpose`: 128 bits of hex.
pub fn keyed_hash(secret: &TokenSecret, purpose: &str, value: &str) -> String {
    hex(&hmac_sha256(secret, format!("{purpose}\n{value}").as_bytes())[..16])
}

/// The `attempt`-th candidate referral code of an advocate (the next is tried when one is
/// taken by another advocate of the shop).
pub fn referral_code(
    secret: &TokenSecret,
    shop: &ShopId,
    customer: &CustomerId,
    attempt: u32,
) -> String {
    let digest =
        hmac_sha256(secret, format!("referral-code\n{shop}\n{customer}\n{attempt}").as_bytes());
    crate::referral::format_referral_code(&digest)
}

/// A discount code for `purpose` (`friend`: a referred friend's offer; `reward`: an
/// advocate's reward) and `key` (the friend's key): derived, so a retried claim or payout
/// gives the same code, and unguessable without the shop's secret.
pub fn referral_discount_code(
    secret: &TokenSecret,
    shop: &ShopId,
    purpose: &str,
    key: &str,
) -> String {
    let digest = hmac_sha256(secret, format!("referral-{purpose}\n{shop}\n{key}").as_bytes());
    crate::loyalty::format_code(&digest)
}

/// A configured secret shorter than [`MIN_TOKEN_SECRET_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeakSecret;

/// Lowercase hex SHA-256, as stored in `ADMIN_KEY_SHA256_<SHOP>`.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// Does `presented` hash to `stored_hex`? Constant-time in the digest comparison, so response
/// timing tells an attacker nothing about how close a guess was.
pub fn admin_key_matches(presented: &str, stored_hex: &str) -> bool {
    let Some(stored) = decode_hex_32(stored_hex.trim()) else {
        return false;
    };
    let presented = Sha256::digest(presented.as_bytes());
    presented.as_slice().ct_eq(&stored).into()
}

fn decode_hex_32(s: &str) -> Option<[u8; 32]> {
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discount_codes_depend_on_secret_customer_and_entry() {
        let secret = TokenSecret::parse(&"k".repeat(32)).unwrap();
        let other = TokenSecret::parse(&"j".repeat(32)).unwrap();
        let shop = ShopId::parse("acme").unwrap();
        let (ann, bob) = (CustomerId::parse("ann").unwrap(), CustomerId::parse("bob").unwrap());
        let code = discount_code(&secret, &shop, &ann, 3);
        assert_eq!(code, discount_code(&secret, &shop, &ann, 3));
        assert_eq!(crate::loyalty::normalise_code(&code), Some(code.clone()));
        for different in [
            discount_code(&other, &shop, &ann, 3),
            discount_code(&secret, &shop, &bob, 3),
            discount_code(&secret, &shop, &ann, 4),
        ] {
            assert_ne!(code, different);
        }
    }

    #[test]
    fn hashes_are_keyed_and_normalise_email_addresses() {
        let secret = TokenSecret::parse(&"k".repeat(32)).unwrap();
        let other = TokenSecret::parse(&"j".repeat(32)).unwrap();
        let h = email_hash(&secret, " Ann@Example.com ");
        assert_eq!(h, email_hash(&secret, "ann@example.com"));
        assert_eq!(h.len(), 64);
        assert_ne!(h, email_hash(&other, "ann@example.com"));
        assert_ne!(
            keyed_hash(&secret, "network", "1.2.3.4"),
            keyed_hash(&secret, "address", "1.2.3.4")
        );
        let shop = ShopId::parse("acme").unwrap();
        let ann = CustomerId::parse("ann").unwrap();
        let code = referral_code(&secret, &shop, &ann, 0);
        assert_eq!(crate::referral::normalise_referral_code(&code), Some(code.clone()));
        assert_ne!(code, referral_code(&secret, &shop, &ann, 1));
        let friend = referral_discount_code(&secret, &shop, "friend", "e:abc");
        assert_eq!(crate::loyalty::normalise_code(&friend), Some(friend.clone()));
        assert_ne!(friend, referral_discount_code(&secret, &shop, "reward", "e:abc"));
    }

    #[test]
    fn bindings_are_named_after_the_shop() {
        let shop = ShopId::parse("acme-outdoor").unwrap();
        assert_eq!(token_secret_binding(&shop), "TOKEN_SECRET_ACME_OUTDOOR");
        assert_eq!(admin_key_hash_binding(&shop), "ADMIN_KEY_SHA256_ACME_OUTDOOR");
    }

    #[test]
    fn admin_keys_match_only_their_hash() {
        // SHA-256("abc"), the FIPS 180-2 test vector.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_hex(b"abc"), abc);
        assert!(admin_key_matches("abc", abc));
        assert!(admin_key_matches("abc", &abc.to_uppercase()));
        assert!(!admin_key_matches("abd", abc));
        assert!(!admin_key_matches("", abc));
        assert!(!admin_key_matches("abc", "not-hex"));
        assert!(!admin_key_matches("abc", &abc[..62]));
    }

    #[test]
    fn short_token_secrets_are_refused() {
        assert_eq!(TokenSecret::parse("short").unwrap_err(), WeakSecret);
        assert!(TokenSecret::parse(&"k".repeat(32)).is_ok());
    }
}
