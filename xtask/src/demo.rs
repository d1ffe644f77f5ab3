//! `cargo xtask demo`: everything a developer needs to see Rapport on a storefront.
//!
//! Sets up and builds, starts the Worker in workerd (`wrangler dev`, KV persisted in `.dev/state`),
//! seeds the demo shop, mints the demo shopper's token and serves `index.html` on its own origin.
//! Ctrl-C stops all of it: the signal reaches wrangler and workerd in the same process group.

use std::net::TcpListener;

use rapport_shared::identity::{mint_shopper_token, ShopperClaims};
use rapport_shared::ids::CustomerId;
use rapport_shared::secrets::TokenSecret;

use crate::devvars::demo_shop;
use crate::seed::{now, seed};
use crate::{build, setup, storefront, wrangler, Args, Result};

pub fn run(args: &Args) -> Result<()> {
    let port = args.port("port", 8787)?;
    let storefront_port = args.port("storefront-port", 8080)?;
    let tools = setup::tools()?;
    build::all(&tools)?;
    let dev = demo_shop()?;

    let storefront = TcpListener::bind(("127.0.0.1", storefront_port)).map_err(|e| {
        format!("port {storefront_port} for the storefront: {e} (try --storefront-port)")
    })?;
    let api = format!("http://127.0.0.1:{port}");
    let storefront_origin = format!("http://127.0.0.1:{storefront_port}");

    let state = crate::root().join(".dev/state");
    let mut worker =
        wrangler::Dev { port, persist: &state, config: None, env_file: None, log: None }
            .start(&tools)?;
    wrangler::wait_healthy(&api, &mut worker)?;
    seed(
        &api,
        dev.shop.as_str(),
        &dev.admin_key,
        &[storefront_origin.clone(), format!("http://localhost:{storefront_port}")],
        Some(&dev.webhook_secret),
        Some(&dev.token_secret),
    )?;

    let secret =
        TokenSecret::parse(&dev.token_secret).map_err(|_| "demo token secret too short")?;
    let claims = ShopperClaims {
        sub: CustomerId::parse("demo-customer-1").expect("valid id"),
        shop: dev.shop.clone(),
        name: Some("Alex".into()),
        email_hash: None,
    };
    let token = mint_shopper_token(&secret, claims, now(), 12 * 3600);
    // The demo shopper accepted everything in the shop's consent banner.
    let page = storefront::render(&api, &token, "all")?;

    println!(
        "\n  Rapport is running.\n\n  Storefront:     {storefront_origin}/\n  Worker API:     {api}/v1/health\n  Merchant page:  {api}/admin/  (shop {}, admin key {})\n\n  Ctrl-C stops everything.\n",
        dev.shop, dev.admin_key
    );
    storefront::serve(storefront, page)?;
    drop(worker);
    Ok(())
}
