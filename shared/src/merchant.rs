//! The merchant page's sessions: who signed in, for which shop, until when.
//!
//! A session is a cookie value `{shop}.{issued}.{expires}.{signature}`, signed with a key derived
//! from the shop's token secret and its admin-key hash: nobody without the Worker's secrets can
//! mint one, a session of one shop is worthless for another, and changing the admin key ends
//! every session at once. Signing out records the time; sessions issued before it are refused.
//! Every form carries a CSRF token derived from the session, checked with the request's origin.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::ids::ShopId;
use crate::ratelimit::RateLimit;
use crate::secrets::TokenSecret;

/// The cookie's name; its path is `/admin`, so the shopper API never sees it.
pub const COOKIE: &str = "rapport_admin";
/// How long a session lasts: renewed on each page viewed in its second half.
pub const LIFETIME_SECONDS: i64 = 2 * 3600;
/// Sign-in attempts per network address and shop (a 32-character key cannot be guessed at 10
/// tries in 15 minutes).
pub const SIGN_IN: RateLimit = RateLimit { max: 10, window_seconds: 15 * 60 };

/// The key sessions of `shop` are signed with.
pub struct SessionKey([u8; 32]);

impl SessionKey {
    pub fn new(secret: &TokenSecret, admin_key_hash: &str, shop: &ShopId) -> Self {
        let mut mac = mac(secret.as_bytes());
        mac.update(format!("merchant-session\n{shop}\n{}", admin_key_hash.trim()).as_bytes());
        Self(mac.finalize().into_bytes().into())
    }

    fn sign(&self, message: &str) -> [u8; 32] {
        let mut mac = mac(&self.0);
        mac.update(message.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A signed-in merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub shop: ShopId,
    /// Unix seconds.
    pub issued: i64,
    pub expires: i64,
    signature: String,
}

/// Why a session cookie was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Malformed,
    WrongShop,
    Signature,
    Expired,
    SignedOut,
}

impl Refused {
    pub fn code(self) -> &'static str {
        match self {
            Refused::Malformed => "session_malformed",
            Refused::WrongShop => "session_wrong_shop",
            Refused::Signature => "session_signature",
            Refused::Expired => "session_expired",
            Refused::SignedOut => "session_signed_out",
        }
    }
}

impl Session {
    /// A new session for `shop`, from `now`.
    pub fn issue(key: &SessionKey, shop: &ShopId, now: i64) -> Self {
        let expires = now + LIFETIME_SECONDS;
        let signature = hex(&key.sign(&payload(shop, now, expires)));
        Self { shop: shop.clone(), issued: now, expires, signature }
    }

    /// The shop a cookie value names, read before its key is known (the key is the shop's).
    pub fn shop_of(value: &str) -> Option<ShopId> {
        ShopId::parse(value.split('.').next()?).ok()
    }

    /// Checks a cookie value for `shop` at `now`; `signed_out` is when the merchant last
    /// signed out.
    pub fn verify(
        value: &str,
        key: &SessionKey,
        shop: &ShopId,
        now: i64,
        signed_out: Option<i64>,
    ) -> Result<Self, Refused> {
        let parts: Vec<&str> = value.split('.').collect();
        let [named, issued, expires, signature] = parts[..] else {
            return Err(Refused::Malformed);
        };
        let named = ShopId::parse(named).map_err(|_| Refused::Malformed)?;
        let issued: i64 = issued.parse().map_err(|_| Refused::Malformed)?;
        let expires: i64 = expires.parse().map_err(|_| Refused::Malformed)?;
        if signature.len() != 64 {
            return Err(Refused::Malformed);
        }
        if &named != shop {
            return Err(Refused::WrongShop);
        }
        let want = hex(&key.sign(&payload(shop, issued, expires)));
        if !bool::from(want.as_bytes().ct_eq(signature.as_bytes())) {
            return Err(Refused::Signature);
        }
        if now >= expires || issued > now + 60 || expires - issued > LIFETIME_SECONDS {
            return Err(Refused::Expired);
        }
        if signed_out.is_some_and(|t| issued <= t) {
            return Err(Refused::SignedOut);
        }
        Ok(Self { shop: named, issued, expires, signature: signature.to_owned() })
    }

    /// The cookie's value.
    pub fn value(&self) -> String {
        format!("{}.{}.{}.{}", self.shop, self.issued, self.expires, self.signature)
    }

    /// Past half its life: the page viewed now renews it.
    pub fn wants_renewal(&self, now: i64) -> bool {
        self.expires - now < LIFETIME_SECONDS / 2
    }

    /// The token every form of this session carries.
    pub fn csrf(&self, key: &SessionKey) -> String {
        hex(&key.sign(&format!("csrf\n{}", self.signature))[..16])
    }

    /// Is `presented` this session's CSRF token? Constant-time.
    pub fn csrf_matches(&self, key: &SessionKey, presented: &str) -> bool {
        self.csrf(key).as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

fn payload(shop: &ShopId, issued: i64, expires: i64) -> String {
    format!("session\n{shop}\n{issued}\n{expires}")
}

/// The `Set-Cookie` header for a session (`None`: the one that ends it).
pub fn set_cookie(session: Option<&Session>) -> String {
    let attributes = "Path=/admin; HttpOnly; Secure; SameSite=Strict";
    match session {
        Some(s) => format!("{COOKIE}={}; Max-Age={LIFETIME_SECONDS}; {attributes}", s.value()),
        None => format!("{COOKIE}=; Max-Age=0; {attributes}"),
    }
}

/// The session cookie's value in a `Cookie` header.
pub fn cookie_value(header: &str) -> Option<&str> {
    header.split(';').map(str::trim).find_map(|pair| pair.strip_prefix(COOKIE)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn shop(s: &str) -> ShopId {
        ShopId::parse(s).unwrap()
    }

    fn key(s: &str, admin: &str) -> SessionKey {
        SessionKey::new(&TokenSecret::parse(&"k".repeat(40)).unwrap(), admin, &shop(s))
    }

    #[test]
    fn a_session_verifies_for_its_shop_until_it_expires() {
        let k = key("acme", "aa");
        let s = Session::issue(&k, &shop("acme"), NOW);
        let v = s.value();
        assert_eq!(Session::shop_of(&v), Some(shop("acme")));
        assert_eq!(Session::verify(&v, &k, &shop("acme"), NOW + 10, None), Ok(s.clone()));
        assert_eq!(
            Session::verify(&v, &k, &shop("acme"), NOW + LIFETIME_SECONDS, None),
            Err(Refused::Expired)
        );
        assert!(!s.wants_renewal(NOW + 60));
        assert!(s.wants_renewal(NOW + LIFETIME_SECONDS / 2 + 1));
    }

    #[test]
    fn forged_foreign_and_signed_out_sessions_are_refused() {
        let k = key("acme", "aa");
        let v = Session::issue(&k, &shop("acme"), NOW).value();
        // Another shop's key, or the same shop after its admin key changed.
        let other = key("other", "aa");
        let o = Session::issue(&other, &shop("other"), NOW).value();
        assert_eq!(Session::verify(&o, &k, &shop("acme"), NOW, None), Err(Refused::WrongShop));
        let renamed = o.replacen("other", "acme", 1);
        assert_eq!(
            Session::verify(&renamed, &k, &shop("acme"), NOW, None),
            Err(Refused::Signature)
        );
        let rotated = key("acme", "bb");
        assert_eq!(
            Session::verify(&v, &rotated, &shop("acme"), NOW, None),
            Err(Refused::Signature)
        );
        // A longer life written in, the signature does not follow.
        let stretched =
            v.replacen(&(NOW + LIFETIME_SECONDS).to_string(), &(NOW + 99_999).to_string(), 1);
        assert_eq!(
            Session::verify(&stretched, &k, &shop("acme"), NOW, None),
            Err(Refused::Signature)
        );
        for bad in ["", "acme", "acme.1.2", "acme.x.2.ab", "acme.1.2.short", "a.b.c.d.e"] {
            assert_eq!(
                Session::verify(bad, &k, &shop("acme"), NOW, None),
                Err(Refused::Malformed),
                "{bad}"
            );
        }
        assert_eq!(
            Session::verify(&v, &k, &shop("acme"), NOW + 5, Some(NOW)),
            Err(Refused::SignedOut)
        );
        let later = Session::issue(&k, &shop("acme"), NOW + 10).value();
        assert!(Session::verify(&later, &k, &shop("acme"), NOW + 20, Some(NOW)).is_ok());
    }

    #[test]
    fn the_csrf_token_belongs_to_one_session() {
        let k = key("acme", "aa");
        let a = Session::issue(&k, &shop("acme"), NOW);
        let b = Session::issue(&k, &shop("acme"), NOW + 1);
        assert!(a.csrf_matches(&k, &a.csrf(&k)));
        assert!(!a.csrf_matches(&k, &b.csrf(&k)));
        assert!(!a.csrf_matches(&k, ""));
    }

    #[test]
    fn cookies_are_read_and_written() {
        let k = key("acme", "aa");
        let s = Session::issue(&k, &shop("acme"), NOW);
        let header = set_cookie(Some(&s));
        assert!(header.starts_with(&format!("rapport_admin={}; ", s.value())));
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/admin"] {
            assert!(header.contains(attribute), "{attribute}");
        }
        assert!(set_cookie(None).contains("Max-Age=0"));
        let v = s.value();
        assert_eq!(cookie_value(&format!("theme=dark; rapport_admin={v}; x=1")), Some(v.as_str()));
        assert_eq!(cookie_value("rapport_adminx=1"), None);
        assert_eq!(cookie_value(""), None);
    }
}
