//! `<rapport-referral>`: the shop's give-get referral programme. A signed-out shopper reads
//! the offer and where to sign in; a signed-in shopper (the advocate) gets their link and code,
//! shares them (the browser's share sheet where there is one, otherwise the link is copied;
//! e-mail, WhatsApp, X and Facebook links beside it), chooses whether friends see their first
//! name, and follows their figures and recent friends.
//!
//! One request draws the widget: `GET /referrals` answers the programme and, with the shopper's
//! token, the advocate's page. Shares and the name choice are told to the Worker as they
//! happen; nothing is read twice.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_shared::catalog::is_link_url;
use rapport_shared::referral::{
    AdvocatePreferences, AdvocateView, FriendOffer, RecentReferral, RecentStatus,
    ReferralProgramme, ReferralView, RewardValue, ShareChannel, ShareRequest,
};

use crate::api::{self, Client};
use crate::clipboard;
use crate::fold::framed;
use crate::format;
use crate::Config;

/// What the widget's controls need.
#[derive(Clone)]
struct Ctx {
    client: Client,
    /// `/v1/shops/{shop}/referrals`
    path: String,
    announce: RwSignal<&'static str>,
}

impl Ctx {
    /// Tells the Worker about a share; a failure only loses one count.
    fn count(&self, channel: ShareChannel) {
        let (client, path) = (self.client.clone(), format!("{}/shares", self.path));
        spawn_local(async move {
            let _ = client.post::<_, serde::de::IgnoredAny>(&path, &ShareRequest { channel }).await;
        });
    }

    fn say(&self, text: &'static str) {
        let announce = self.announce;
        announce.set(text);
        // Cleared, so saying it again is announced again.
        set_timeout(move || announce.set(""), Duration::from_secs(3));
    }
}

/// The referral widget, drawn from `first`: the answer the Worker rendered the first view
/// from, so the browser's mount draws the same DOM without fetching it again.
#[component]
pub fn Referral(
    /// API origin, shop, locale and shopper token, from the loader.
    config: Config,
    /// The first answer.
    first: ReferralView,
) -> impl IntoView {
    let ctx = Ctx {
        client: Client { api: config.api, token: config.token },
        path: format!("/v1/shops/{}/referrals", api::segment(&config.shop)),
        announce: RwSignal::new(""),
    };
    let locale = config.locale;
    let ReferralView { programme, advocate } = first;
    let offer = offer_text(&programme.offer, &locale);
    let reward = reward_text(&programme.reward, &locale);
    let title = format!("Give {offer}, get {reward}");
    let intro = format!(
        "Give your friends {offer} their first order{}, and get {reward} when they order.",
        minimum_text(&programme.offer, &locale)
    );
    let body = match advocate {
        Some(advocate) => signed_in(ctx.clone(), &programme, advocate, &locale, intro).into_any(),
        None => signed_out(&programme, intro).into_any(),
    };
    framed("referral frame", "referral", "rapport-referral-title", title, body, ctx.announce)
}

/// `€10.00 off`, `15% off`.
pub fn offer_text(offer: &FriendOffer, locale: &str) -> String {
    match (&offer.amount_off, offer.percent_off) {
        (Some(amount), _) => format!("{} off", format::money(locale, amount)),
        (None, Some(percent)) => format!("{percent}% off"),
        (None, None) => "a discount".to_owned(),
    }
}

/// ` of €50.00 or more`, or nothing.
fn minimum_text(offer: &FriendOffer, locale: &str) -> String {
    offer
        .minimum_order
        .as_ref()
        .filter(|m| m.amount_minor > 0)
        .map(|m| format!(" of {} or more", format::money(locale, m)))
        .unwrap_or_default()
}

/// `500 points`, `€10.00 off your next order`.
fn reward_text(reward: &RewardValue, locale: &str) -> String {
    match reward {
        RewardValue::Points(points) => format::points_text(locale, i64::from(*points)),
        RewardValue::Discount(money) => {
            format!("{} off your next order", format::money(locale, money))
        }
    }
}

fn signed_out(programme: &ReferralProgramme, intro: String) -> impl IntoView {
    let link = |url: Option<&str>| url.filter(|u| is_link_url(u)).map(str::to_owned);
    let sign_in = link(programme.sign_in_url.as_deref())
        .map(|href| view! { <a class="button primary" part="button" href=href>"Sign in"</a> });
    let join = link(programme.join_url.as_deref())
        .map(|href| view! { <a class="button" part="button" href=href>"Create an account"</a> });
    view! {
        <p class="intro">{intro}</p>
        <p class="intro">"Sign in to get your link."</p>
        <p class="actions">{sign_in}{join}</p>
    }
}

/// The characters a URL component keeps as they are; everything else is percent-encoded.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn signed_in(
    ctx: Ctx,
    programme: &ReferralProgramme,
    advocate: AdvocateView,
    locale: &str,
    intro: String,
) -> impl IntoView {
    let AdvocateView { code, link, show_name, stats, recent } = advocate;
    let message =
        format!("{} at {}: {}", offer_text(&programme.offer, locale), programme.shop_name, link);
    let share_links = [
        (
            "E-mail",
            ShareChannel::Email,
            format!(
                "mailto:?subject={}&body={}",
                encode(&format!(
                    "{} at {}",
                    offer_text(&programme.offer, locale),
                    programme.shop_name
                )),
                encode(&message)
            ),
        ),
        ("WhatsApp", ShareChannel::Whatsapp, format!("https://wa.me/?text={}", encode(&message))),
        ("X", ShareChannel::X, format!("https://x.com/intent/post?text={}", encode(&message))),
        (
            "Facebook",
            ShareChannel::Facebook,
            format!("https://www.facebook.com/sharer/sharer.php?u={}", encode(&link)),
        ),
    ];
    let hold = (programme.hold_days > 0).then(|| {
        format!("Rewards are paid {} days after your friend's order.", programme.hold_days)
    });
    let copy_ctx = ctx.clone();
    let copy_link = link.clone();
    let share_ctx = ctx.clone();
    let (share_link, share_text) = (link.clone(), message.clone());
    let title = format!("{} at {}", offer_text(&programme.offer, locale), programme.shop_name);
    let links = share_links
        .into_iter()
        .map(|(label, channel, href)| {
            let ctx = ctx.clone();
            view! {
                <a
                    class="button share-link"
                    part="button"
                    href=href
                    target="_blank"
                    rel="noopener noreferrer"
                    on:click=move |_| ctx.count(channel)
                >
                    {label}
                </a>
            }
        })
        .collect_view();
    let name_ctx = ctx.clone();
    let on_name = move |ev: leptos::ev::Event| {
        let show_name = event_target_checked(&ev);
        let ctx = name_ctx.clone();
        spawn_local(async move {
            let path = format!("{}/preferences", ctx.path);
            let body = AdvocatePreferences { show_name };
            let saved = ctx.client.post::<_, serde::de::IgnoredAny>(&path, &body).await.is_ok();
            ctx.say(if saved { "Saved" } else { "Could not save. Please try again." });
        });
    };
    let pays = stats.next_payout_at.map(|at| format!("next on {}", format::date(locale, at)));
    let figures = [
        ("Friends who visited", format::integer(locale, clamp(stats.clicks)), None),
        ("Friends who ordered", format::integer(locale, clamp(stats.friends_ordered)), None),
        ("Rewards earned", format::integer(locale, clamp(stats.rewards_paid)), None),
        ("Rewards pending", format::integer(locale, clamp(stats.rewards_pending)), pays),
    ];
    let figures = figures
        .into_iter()
        .map(|(label, value, note)| {
            view! {
                <div class="figure">
                    <dt>{label}</dt>
                    <dd>{value}{note.map(|n| view! { <span class="muted">{format!(" ({n})")}</span> })}</dd>
                </div>
            }
        })
        .collect_view();
    let friends = (!recent.is_empty()).then(|| {
        let items = recent.iter().map(|r| friend_row(r, locale)).collect_view();
        view! {
            <h3>"Your friends"</h3>
            <ul class="friends" part="list">{items}</ul>
        }
    });
    view! {
        <p class="intro">{intro}</p>
        {hold.map(|h| view! { <p class="muted">{h}</p> })}
        <div class="link-row">
            <label for="rapport-referral-link">"Your link"</label>
            <span class="link-box">
                <input id="rapport-referral-link" class="link" part="link" readonly value=link.clone()/>
                <button
                    type="button"
                    class="copy"
                    part="button"
                    on:click=move |_| {
                        copy_ctx.count(ShareChannel::Copy);
                        clipboard::copy(&copy_link, copy_ctx.announce, "Link copied");
                    }
                >
                    "Copy link"
                </button>
            </span>
            <p class="code-line">"Or tell them your code: " <code class="code" part="code">{code}</code></p>
        </div>
        <div class="share" role="group" aria-label="Share your link">
            <button
                type="button"
                class="button primary"
                part="button"
                on:click=move |_| share(&share_ctx, &title, &share_text, &share_link)
            >
                "Share"
            </button>
            {links}
        </div>
        <label class="check">
            <input type="checkbox" checked=show_name on:change=on_name/>
            " Show my first name to the friends I invite"
        </label>
        <dl class="figures">{figures}</dl>
        {friends}
    }
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn friend_row(r: &RecentReferral, locale: &str) -> impl IntoView {
    let who = r.friend.clone().unwrap_or_else(|| "A friend".to_owned());
    let status = match r.status {
        RecentStatus::Claimed => "claimed their offer".to_owned(),
        RecentStatus::Pending => match r.pays_at {
            Some(at) => format!("ordered; your reward arrives on {}", format::date(locale, at)),
            None => "ordered; your reward is being checked".to_owned(),
        },
        RecentStatus::Paid => match &r.code {
            Some(code) => format!("ordered; your code {code} is ready"),
            None => "ordered; your reward was paid".to_owned(),
        },
        RecentStatus::Reversed => "returned their order".to_owned(),
        RecentStatus::NotEligible => "did not qualify".to_owned(),
    };
    view! {
        <li class="friend">
            <span class="who">{who}</span>
            " "
            <span class="muted">{status}</span>
        </li>
    }
}

/// The browser's share sheet where there is one; otherwise the link is copied.
fn share(ctx: &Ctx, title: &str, text: &str, url: &str) {
    use js_sys::{Function, Object, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    let native = || -> Option<Promise> {
        let navigator = Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok()?;
        let share: Function =
            Reflect::get(&navigator, &JsValue::from_str("share")).ok()?.dyn_into().ok()?;
        let data = Object::new();
        for (k, v) in [("title", title), ("text", text), ("url", url)] {
            Reflect::set(&data, &JsValue::from_str(k), &JsValue::from_str(v)).ok()?;
        }
        share.call1(&navigator, &data).ok()?.dyn_into().ok()
    };
    match native() {
        Some(promise) => {
            ctx.count(ShareChannel::Native);
            spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            });
        }
        None => {
            ctx.count(ShareChannel::Copy);
            clipboard::copy(url, ctx.announce, "Link copied");
        }
    }
}
