//! Local development secrets in `.dev.vars` (git-ignored), which `wrangler dev` reads in place
//! of `wrangler secret put`. The demo shop's secrets are generated once, at random.

use std::io::Read;

use rapport_shared::ids::ShopId;
use rapport_shared::secrets::{
    admin_key_hash_binding, sha256_hex, token_secret_binding, webhook_secret_binding,
};

use crate::{root, Result};

/// The shop the demo storefront belongs to.
pub const DEMO_SHOP: &str = "demo-outfitters";

pub struct DevShop {
    pub shop: ShopId,
    pub token_secret: String,
    pub admin_key: String,
    /// The generic webhook secret the demo's order history is signed with.
    pub webhook_secret: String,
}

/// `n` random bytes as hex, from the kernel's generator.
pub fn random_hex(n: usize) -> Result<String> {
    let mut buf = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Reads `NAME="value"` lines.
pub fn parse(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .collect()
}

pub fn read_var(name: &str) -> Option<String> {
    let text = std::fs::read_to_string(root().join(".dev.vars")).ok()?;
    parse(&text).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The demo shop's secrets: read from `.dev.vars` and `.dev/demo-admin-key`, or made and
/// written there on first use. Other entries in `.dev.vars` are left alone.
pub fn demo_shop() -> Result<DevShop> {
    let shop = ShopId::parse(DEMO_SHOP).expect("valid demo shop id");
    let webhook_name = webhook_secret_binding("generic", &shop);
    let webhook_secret = match read_var(&webhook_name) {
        Some(secret) => secret,
        None => {
            let secret = random_hex(24)?;
            let path = root().join(".dev.vars");
            let mut text = std::fs::read_to_string(&path).unwrap_or_default();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!("{webhook_name}=\"{secret}\"\n"));
            std::fs::write(&path, text).map_err(|e| format!(".dev.vars: {e}"))?;
            secret
        }
    };
    let token_name = token_secret_binding(&shop);
    let hash_name = admin_key_hash_binding(&shop);
    let key_file = root().join(".dev/demo-admin-key");
    let admin_key = std::fs::read_to_string(&key_file).ok().map(|k| k.trim().to_owned());
    let token_secret = read_var(&token_name);
    let hash = read_var(&hash_name);
    if let (Some(token_secret), Some(admin_key), Some(hash)) = (&token_secret, &admin_key, &hash) {
        if sha256_hex(admin_key.as_bytes()) == *hash {
            return Ok(DevShop {
                shop,
                token_secret: token_secret.clone(),
                admin_key: admin_key.clone(),
                webhook_secret,
            });
        }
    }
    let token_secret = random_hex(32)?;
    let admin_key = format!("rk_dev_{}", random_hex(24)?);
    let path = root().join(".dev.vars");
    let kept: Vec<String> = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            let name = l.split_once('=').map(|(k, _)| k.trim());
            name != Some(token_name.as_str()) && name != Some(hash_name.as_str())
        })
        .map(str::to_owned)
        .collect();
    let mut text = kept.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&format!(
        "{token_name}=\"{token_secret}\"\n{hash_name}=\"{}\"\n",
        sha256_hex(admin_key.as_bytes())
    ));
    std::fs::write(&path, text).map_err(|e| format!(".dev.vars: {e}"))?;
    std::fs::create_dir_all(root().join(".dev")).map_err(|e| e.to_string())?;
    std::fs::write(&key_file, &admin_key).map_err(|e| format!("{}: {e}", key_file.display()))?;
    Ok(DevShop { shop, token_secret, admin_key, webhook_secret })
}
