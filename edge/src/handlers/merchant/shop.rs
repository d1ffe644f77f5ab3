//! The shop page: settings, webhook addresses.

use super::*;

/// The settings form's values, as typed (kept when something is wrong).
struct SettingsForm {
    name: String,
    currency: String,
    locale: String,
    origins: String,
    sign_in_url: String,
    moderation: String,
}

impl SettingsForm {
    fn of(s: &ShopSettings) -> Self {
        Self {
            name: s.name.clone(),
            currency: s.currency.as_str().to_owned(),
            locale: s.locale.clone(),
            origins: s.allowed_origins.iter().map(Origin::as_str).collect::<Vec<_>>().join("\n"),
            sign_in_url: s.sign_in_url.clone().unwrap_or_default(),
            moderation: moderation_name(s.moderation).to_owned(),
        }
    }

    fn read(form: &[(String, String)]) -> Self {
        let f = |n| field(form, n).unwrap_or_default().to_owned();
        Self {
            name: f("name"),
            currency: f("currency"),
            locale: f("locale"),
            origins: f("allowed_origins"),
            sign_in_url: f("sign_in_url"),
            moderation: f("moderation"),
        }
    }

    /// The settings these values make, over `current` (the programmes stay as they are), or
    /// every problem by field.
    fn apply(&self, current: &ShopSettings) -> Result<ShopSettings, Vec<FieldError>> {
        let mut problems = Vec::new();
        let currency = self.currency.trim().to_ascii_uppercase().try_into();
        let currency = currency.map_err(|e| problems.push(e)).ok();
        let mut origins = Vec::new();
        for line in self.origins.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match Origin::try_from(line.trim_end_matches('/').to_owned()) {
                Ok(o) => origins.push(o),
                Err(e) => problems.push(e),
            }
        }
        let moderation = match self.moderation.as_str() {
            "publish_all" => Some(ModerationRule::PublishAll),
            "publish_verified" => Some(ModerationRule::PublishVerified),
            "hold_all" => Some(ModerationRule::HoldAll),
            _ => {
                problems.push(FieldError::new("moderation", "choose one of the rules"));
                None
            }
        };
        let sign_in = self.sign_in_url.trim();
        let candidate = ShopSettings {
            name: self.name.clone(),
            currency: currency.unwrap_or_else(|| current.currency.clone()),
            locale: self.locale.trim().to_owned(),
            allowed_origins: origins,
            sign_in_url: (!sign_in.is_empty()).then(|| sign_in.to_owned()),
            moderation: moderation.unwrap_or(current.moderation),
            loyalty: current.loyalty.clone(),
            referral: current.referral.clone(),
        };
        // The remaining rules are the API's own, one field at a time.
        let mut checked = candidate.clone();
        for _ in 0..4 {
            match checked.clone().validate() {
                Ok(valid) if problems.is_empty() => return Ok(valid),
                Ok(_) => break,
                Err(e) => {
                    let field = e.field.clone();
                    problems.push(e);
                    match field.as_str() {
                        "name" => checked.name = current.name.clone(),
                        "locale" => checked.locale = current.locale.clone(),
                        "sign_in_url" => checked.sign_in_url = current.sign_in_url.clone(),
                        "allowed_origins" => {
                            checked.allowed_origins = current.allowed_origins.clone()
                        }
                        _ => break,
                    }
                }
            }
        }
        Err(problems)
    }
}

fn moderation_name(m: ModerationRule) -> &'static str {
    match m {
        ModerationRule::PublishAll => "publish_all",
        ModerationRule::PublishVerified => "publish_verified",
        ModerationRule::HoldAll => "hold_all",
    }
}

fn shop_page(
    me: &SignedIn,
    api: &str,
    values: &SettingsForm,
    problems: &[FieldError],
    done: Option<&str>,
) -> String {
    let shop = me.shop.as_str();
    let mut body = String::from("<h1>Shop</h1>");
    if let Some(done) = done {
        let _ = write!(body, "<p class=\"notice\" role=\"status\">{}</p>", esc(done));
    }
    if !problems.is_empty() {
        body.push_str(&unsaved(problems));
    }
    let input = |name: &str, label: &str, kind: &str, value: &str, hint: &str| {
        input(name, label, kind, value, hint, problems)
    };
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/admin/{shop}/shop\">{}<fieldset><legend>Settings</legend>{}{}{}{}{}\
         <div class=\"field\"><label for=\"moderation\">New reviews from shoppers</label><br>\
         <select id=\"moderation\" name=\"moderation\">{}</select></div>\
         <button type=\"submit\">Save settings</button></fieldset></form>",
        csrf_field(&me.csrf),
        input("name", "Shop name", "text", &values.name, ""),
        input("currency", "Currency", "text", &values.currency, "ISO 4217, such as EUR"),
        input("locale", "Locale", "text", &values.locale, "BCP 47, such as en-US or de-DE"),
        input("allowed_origins", "Storefront origins", "textarea", &values.origins, "one per line, such as https://shop.example"),
        input("sign_in_url", "Sign-in page", "url", &values.sign_in_url, "where a signed-out shopper signs in"),
        options(
            &[
                ("publish_all", "Publish every review at once"),
                ("publish_verified", "Publish verified buyers at once; hold the others for me"),
                ("hold_all", "Hold every review for me"),
            ],
            &values.moderation
        ),
    );
    let hooks = |platform: &str| format!("{api}/v1/webhooks/{shop}/{platform}");
    let _ = write!(
        body,
        "<h2>Webhooks</h2><table><caption>Where your platform sends orders and products</caption>\
         <thead><tr><th scope=\"col\">Platform</th><th scope=\"col\">Address</th><th scope=\"col\">Setup</th></tr></thead><tbody>\
         <tr><th scope=\"row\">Shopify</th><td><code>{}</code></td><td>Settings → Notifications → Webhooks: \
         add <code>orders/create</code>, <code>orders/updated</code>, <code>orders/paid</code>, <code>orders/cancelled</code>, \
         <code>refunds/create</code> and <code>products/create</code>, <code>products/update</code>, <code>products/delete</code> \
         in JSON; put the signing secret shown there in <code>SHOPIFY_WEBHOOK_SECRET_{}</code>.</td></tr>\
         <tr><th scope=\"row\">WooCommerce</th><td><code>{}</code></td><td>WooCommerce → Settings → Advanced → Webhooks: \
         add <code>Order created</code> and <code>Order updated</code> with a secret, and put it in \
         <code>WOOCOMMERCE_WEBHOOK_SECRET_{}</code>.</td></tr>\
         <tr><th scope=\"row\">Your own store</th><td><code>{}</code></td><td>Rapport's format, signed with \
         <code>GENERIC_WEBHOOK_SECRET_{}</code> (see the README).</td></tr></tbody></table>",
        esc(&hooks("shopify")),
        esc(&env_suffix(&me.shop)),
        esc(&hooks("woocommerce")),
        esc(&env_suffix(&me.shop)),
        esc(&hooks("generic")),
        esc(&env_suffix(&me.shop)),
    );
    document("Shop", Some((me, Section::Shop)), &body)
}

/// `GET /admin/{shop}/shop`: the settings and the webhook addresses.
pub async fn shop(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (me, cookie) = match page_session(req, env, shop).await? {
        Ok(s) => s,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let settings = Store::open(env)?.existing_shop(shop).await?;
    let done = query(req)?.get("done").cloned().filter(|d| !d.is_empty());
    let html = shop_page(&me, &own_origin(req), &SettingsForm::of(&settings), &[], done.as_deref());
    with_cookie(page(200, html)?, cookie)
}

/// `POST /admin/{shop}/shop`: saves the settings, or shows each problem beside its field and
/// saves nothing.
pub async fn save_shop(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (form, me) = write_form(&mut req, env, shop).await?;
    let store = Store::open(env)?;
    let current = store.existing_shop(shop).await?;
    let values = SettingsForm::read(&form);
    match values.apply(&current) {
        Ok(settings) => {
            store.put_settings(shop, &settings).await?;
            crate::handlers::referrals::register(env, shop, Some(&settings)).await?;
            redirect(&format!("/admin/{shop}/shop?done={}", enc("Settings saved.")), None)
        }
        Err(problems) => page(400, shop_page(&me, &own_origin(&req), &values, &problems, None)),
    }
}
