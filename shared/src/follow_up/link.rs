//! The tokens in a follow-up e-mail's links: signed with the shop's token secret, expiring, and
//! good for one purpose, one shop, one order (none for a points reminder) and one customer.
//! Whoever holds the link may do
//! what it is for (write the order's reviews, unsubscribe) without signing in, and nothing else.
//!
//! A token is `v1.{payload}.{mac}`: the payload's fields in base64url, and 128 bits of
//! HMAC-SHA256 over them under a key kept apart from the secret's other uses (`follow-up-link`
//! before the payload; shopper tokens sign base64url text, which holds no line break).

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::ids::{CustomerId, OrderKey, ShopId};
use crate::secrets::TokenSecret;

/// What a link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Write reviews of the order's products, verified.
    Review,
    /// Stop the shop's follow-up e-mails.
    Unsubscribe,
}

impl Purpose {
    fn name(self) -> &'static str {
        match self {
            Purpose::Review => "review",
            Purpose::Unsubscribe => "unsubscribe",
        }
    }
}

/// What a link's token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims {
    pub purpose: Purpose,
    pub shop: ShopId,
    /// The order the e-mail is about; `None` for one about the customer's points.
    pub order: Option<OrderKey>,
    pub customer: CustomerId,
    /// The hash of the address the e-mail went to (`secrets::email_hash`): what an unsubscribe
    /// is kept by.
    pub email_hash: String,
    /// Unix seconds after which the token is refused.
    pub exp: i64,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Not a token, or not signed with this shop's secret.
    Invalid,
    Expired,
    /// A good token for another purpose or another shop.
    Misused,
}

impl LinkError {
    pub fn code(self) -> &'static str {
        match self {
            LinkError::Invalid => "link_invalid",
            LinkError::Expired => "link_expired",
            LinkError::Misused => "link_misused",
        }
    }
}

fn payload(c: &LinkClaims) -> String {
    let (p, shop, customer) = (c.purpose.name(), &c.shop, &c.customer);
    let order = c.order.as_ref().map_or("", OrderKey::as_str);
    format!("{p}\n{shop}\n{order}\n{customer}\n{}\n{}", c.email_hash, c.exp)
}

fn mac(secret: &TokenSecret, payload: &[u8]) -> [u8; 16] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(b"follow-up-link\n");
    mac.update(payload);
    let full: [u8; 32] = mac.finalize().into_bytes().into();
    let mut short = [0; 16];
    short.copy_from_slice(&full[..16]);
    short
}

/// The token for `claims`.
pub fn sign(secret: &TokenSecret, claims: &LinkClaims) -> String {
    let payload = payload(claims);
    let tag = mac(secret, payload.as_bytes());
    format!(
        "v1.{}.{}",
        Base64UrlUnpadded::encode_string(payload.as_bytes()),
        Base64UrlUnpadded::encode_string(&tag)
    )
}

/// The claims of `token` if the shop `shop` signed it for `purpose` and it has not expired at
/// `now`. The signature is checked before anything the token says is believed.
pub fn verify(
    secret: &TokenSecret,
    token: &str,
    shop: &ShopId,
    purpose: Purpose,
    now: i64,
) -> Result<LinkClaims, LinkError> {
    // Far more than any real token: a long one is refused before it is decoded.
    if token.len() > 600 {
        return Err(LinkError::Invalid);
    }
    let mut parts = token.split('.');
    let (Some("v1"), Some(body), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Invalid);
    };
    let body = Base64UrlUnpadded::decode_vec(body).map_err(|_| LinkError::Invalid)?;
    let tag = Base64UrlUnpadded::decode_vec(tag).map_err(|_| LinkError::Invalid)?;
    if tag.len() != 16 || !bool::from(mac(secret, &body).ct_eq(&tag[..])) {
        return Err(LinkError::Invalid);
    }
    let text = String::from_utf8(body).map_err(|_| LinkError::Invalid)?;
    let fields: Vec<&str> = text.split('\n').collect();
    let [name, claimed_shop, order, customer, email_hash, exp] = fields[..] else {
        return Err(LinkError::Invalid);
    };
    if email_hash.len() != 64 || !email_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LinkError::Invalid);
    }
    let claims = LinkClaims {
        purpose: match name {
            "review" => Purpose::Review,
            "unsubscribe" => Purpose::Unsubscribe,
            _ => return Err(LinkError::Invalid),
        },
        shop: ShopId::parse(claimed_shop).map_err(|_| LinkError::Invalid)?,
        order: match order {
            "" => None,
            order => Some(OrderKey::parse(order).map_err(|_| LinkError::Invalid)?),
        },
        customer: CustomerId::parse(customer).map_err(|_| LinkError::Invalid)?,
        email_hash: email_hash.to_owned(),
        exp: exp.parse().map_err(|_| LinkError::Invalid)?,
    };
    if claims.shop != *shop || claims.purpose != purpose {
        return Err(LinkError::Misused);
    }
    if now >= claims.exp {
        return Err(LinkError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(fill: &str) -> TokenSecret {
        TokenSecret::parse(&fill.repeat(32)).unwrap()
    }

    fn claims() -> LinkClaims {
        LinkClaims {
            purpose: Purpose::Review,
            shop: ShopId::parse("acme").unwrap(),
            order: Some(OrderKey::parse("shopify:1001").unwrap()),
            customer: CustomerId::parse("kim").unwrap(),
            email_hash: "ab".repeat(32),
            exp: 2_000,
        }
    }

    #[test]
    fn a_token_says_what_it_was_signed_for_and_nothing_else() {
        let (s, acme) = (secret("a"), ShopId::parse("acme").unwrap());
        let token = sign(&s, &claims());
        assert!(token.len() < 250, "{token}");
        assert_eq!(verify(&s, &token, &acme, Purpose::Review, 1_999), Ok(claims()));
        assert_eq!(verify(&s, &token, &acme, Purpose::Review, 2_000), Err(LinkError::Expired));
        assert_eq!(verify(&s, &token, &acme, Purpose::Unsubscribe, 1_000), Err(LinkError::Misused));
        let other = ShopId::parse("other").unwrap();
        assert_eq!(verify(&s, &token, &other, Purpose::Review, 1_000), Err(LinkError::Misused));
        // Another shop's secret, or any change to the token: not ours.
        assert_eq!(
            verify(&secret("b"), &token, &acme, Purpose::Review, 1_000),
            Err(LinkError::Invalid)
        );
        let forged = sign(
            &s,
            &LinkClaims { order: Some(OrderKey::parse("shopify:1002").unwrap()), ..claims() },
        );
        let (head, _) = token.rsplit_once('.').unwrap();
        let (_, forged_tag) = forged.rsplit_once('.').unwrap();
        let spliced = format!("{head}.{forged_tag}");
        assert_eq!(verify(&s, &spliced, &acme, Purpose::Review, 1_000), Err(LinkError::Invalid));
        // A points reminder's link names no order, and stays good for its own purpose only.
        let points = LinkClaims { purpose: Purpose::Unsubscribe, order: None, ..claims() };
        let token = sign(&s, &points);
        assert_eq!(verify(&s, &token, &acme, Purpose::Unsubscribe, 1_000), Ok(points));
        assert_eq!(verify(&s, &token, &acme, Purpose::Review, 1_000), Err(LinkError::Misused));
        for junk in
            ["", "v1", "v1..", "v2.a.b", &format!("{token}.x"), &"v1.".repeat(300), "v1.!!.??"]
        {
            assert_eq!(
                verify(&s, junk, &acme, Purpose::Review, 1_000),
                Err(LinkError::Invalid),
                "{junk}"
            );
        }
    }
}
