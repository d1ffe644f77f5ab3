//! `cargo xtask token`: mints a shopper token as a merchant's server would.

use rapport_shared::identity::{mint_shopper_token, ShopperClaims};
use rapport_shared::ids::{CustomerId, ShopId};
use rapport_shared::secrets::{token_secret_binding, TokenSecret};

use crate::devvars::read_var;
use crate::seed::now;
use crate::{Args, Result};

pub fn run(args: &Args) -> Result<()> {
    let shop = ShopId::parse(&args.required("shop")?).map_err(|e| format!("--shop {e}"))?;
    let customer =
        CustomerId::parse(&args.required("customer")?).map_err(|e| format!("--customer {e}"))?;
    let ttl: i64 = match args.value("ttl") {
        Some(t) => t.parse().map_err(|_| "--ttl must be a number of seconds".to_owned())?,
        None => 3600,
    };
    let binding = token_secret_binding(&shop);
    let raw = std::env::var("RAPPORT_TOKEN_SECRET")
        .ok()
        .or_else(|| read_var(&binding))
        .ok_or_else(|| format!("no secret: set RAPPORT_TOKEN_SECRET or {binding} in .dev.vars"))?;
    let secret =
        TokenSecret::parse(&raw).map_err(|_| "the secret must be at least 32 bytes".to_owned())?;
    let email_hash = args.value("email").map(|e| rapport_shared::secrets::email_hash(&secret, &e));
    let claims = ShopperClaims { sub: customer, shop, name: args.value("name"), email_hash };
    println!("{}", mint_shopper_token(&secret, claims, now(), ttl));
    Ok(())
}
