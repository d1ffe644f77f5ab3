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

use leptos::either::Either;
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
use crate::tr::{tr, Tr};
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
    let t = Tr::provide(&config);
    let ctx = Ctx {
        client: Client { api: config.api, token: config.token },
        path: format!("/v1/shops/{}/referrals", api::segment(&config.shop)),
        announce: RwSignal::new(""),
    };
    let locale = config.locale;
    let ReferralView { programme, advocate } = first;
    let offer = offer_text(&programme.offer, &locale);
    let reward = reward_text(&programme.reward, &locale);
    let title = t.text("referral.title", &[("offer", &offer), ("reward", &reward)]);
    let intro = match minimum(&programme.offer, &locale) {
        Some(minimum) => t.text(
            "referral.intro_minimum",
            &[("offer", &offer), ("minimum", &minimum), ("reward", &reward)],
        ),
        None => t.text("referral.intro", &[("offer", &offer), ("reward", &reward)]),
    };
    let body = match advocate {
        Some(advocate) => {
            Either::Left(signed_in(ctx.clone(), &programme, advocate, &locale, intro))
        }
        None => Either::Right(signed_out(&programme, intro)),
    };
    framed("referral frame", "referral", "rapport-referral-title", title, body, ctx.announce)
}

/// `€10.00 off`, `15% off`.
pub fn offer_text(offer: &FriendOffer, locale: &str) -> String {
    let t = tr();
    match (&offer.amount_off, offer.percent_off) {
        (Some(amount), _) => {
            t.text("common.amount_off", &[("amount", &format::money(locale, amount))])
        }
        (None, Some(percent)) => t.text("common.percent_off", &[("percent", &percent.to_string())]),
        (None, None) => t.get("common.a_discount"),
    }
}

/// The smallest order the friend's offer is for (`€50.00`), if it has one.
fn minimum(offer: &FriendOffer, locale: &str) -> Option<String> {
    offer.minimum_order.as_ref().filter(|m| m.amount_minor > 0).map(|m| format::money(locale, m))
}

/// `500 points`, `€10.00 off your next order`.
fn reward_text(reward: &RewardValue, locale: &str) -> String {
    match reward {
        RewardValue::Points(points) => format::points_text(i64::from(*points)),
        RewardValue::Discount(money) => {
            tr().text("referral.reward_next_order", &[("amount", &format::money(locale, money))])
        }
    }
}

fn signed_out(programme: &ReferralProgramme, intro: String) -> impl IntoView {
    let t = tr();
    let link = |url: Option<&str>| url.filter(|u| is_link_url(u)).map(str::to_owned);
    let sign_in = link(programme.sign_in_url.as_deref()).map(
        |href| view! { <a class="button primary" part="button" href=href>{t.get("common.sign_in")}</a> },
    );
    let join = link(programme.join_url.as_deref()).map(
        |href| view! { <a class="button" part="button" href=href>{t.get("referral.create_account")}</a> },
    );
    view! {
        <p class="intro">{intro}</p>
        <p class="intro">{t.get("referral.sign_in_for_link")}</p>
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
    let t = tr();
    let offer = offer_text(&programme.offer, locale);
    let shop = programme.shop_name.as_str();
    let message =
        t.text("referral.share_message", &[("offer", &offer), ("shop", shop), ("link", &link)]);
    let title = t.text("referral.share_subject", &[("offer", &offer), ("shop", shop)]);
    let share_links = [
        (
            t.get("referral.email"),
            ShareChannel::Email,
            format!("mailto:?subject={}&body={}", encode(&title), encode(&message)),
        ),
        (
            "WhatsApp".to_owned(),
            ShareChannel::Whatsapp,
            format!("https://wa.me/?text={}", encode(&message)),
        ),
        (
            "X".to_owned(),
            ShareChannel::X,
            format!("https://x.com/intent/post?text={}", encode(&message)),
        ),
        (
            "Facebook".to_owned(),
            ShareChannel::Facebook,
            format!("https://www.facebook.com/sharer/sharer.php?u={}", encode(&link)),
        ),
    ];
    let hold = (programme.hold_days > 0)
        .then(|| t.count("referral.hold", programme.hold_days.into(), &[]));
    let copy_ctx = ctx.clone();
    let copy_link = link.clone();
    let share_ctx = ctx.clone();
    let (share_link, share_text) = (link.clone(), message.clone());
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
            ctx.say(if saved { "common.saved" } else { "common.save_failed" });
        });
    };
    let pays = stats
        .next_payout_at
        .map(|at| t.text("referral.next_payout", &[("date", &format::date(locale, at))]));
    let figures = [
        ("referral.stats.visited", format::integer(locale, clamp(stats.clicks)), None),
        ("referral.stats.ordered", format::integer(locale, clamp(stats.friends_ordered)), None),
        ("referral.stats.earned", format::integer(locale, clamp(stats.rewards_paid)), None),
        ("referral.stats.pending", format::integer(locale, clamp(stats.rewards_pending)), pays),
    ];
    let figures = figures
        .into_iter()
        .map(|(label, value, note)| {
            view! {
                <div class="figure">
                    <dt>{t.get(label)}</dt>
                    <dd>{value}{note.map(|n| view! { <span class="muted">{format!(" ({n})")}</span> })}</dd>
                </div>
            }
        })
        .collect_view();
    let friends = (!recent.is_empty()).then(|| {
        let items = recent.iter().map(|r| friend_row(r, locale)).collect_view();
        view! {
            <h3>{t.get("referral.friends")}</h3>
            <ul class="friends" part="list">{items}</ul>
        }
    });
    view! {
        <p class="intro">{intro}</p>
        {hold.map(|h| view! { <p class="muted">{h}</p> })}
        <div class="link-row">
            <label for="rapport-referral-link">{t.get("referral.link")}</label>
            <span class="link-box">
                <input id="rapport-referral-link" class="link" part="link" readonly value=link.clone()/>
                <button
                    type="button"
                    class="copy"
                    part="button"
                    on:click=move |_| {
                        copy_ctx.count(ShareChannel::Copy);
                        clipboard::copy(&copy_link, copy_ctx.announce, "referral.link_copied");
                    }
                >
                    {t.get("referral.copy_link")}
                </button>
            </span>
            <p class="code-line">{t.get("referral.or_code")}" " <code class="code" part="code">{code}</code></p>
        </div>
        <div class="share" role="group" aria-label=t.get("referral.share_group")>
            <button
                type="button"
                class="button primary"
                part="button"
                on:click=move |_| share(&share_ctx, &title, &share_text, &share_link)
            >
                {t.get("referral.share")}
            </button>
            {links}
        </div>
        <label class="check">
            <input type="checkbox" checked=show_name on:change=on_name/>
            " "{t.get("referral.show_name")}
        </label>
        <dl class="figures">{figures}</dl>
        {friends}
    }
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn friend_row(r: &RecentReferral, locale: &str) -> impl IntoView {
    let t = tr();
    let who = r.friend.clone().unwrap_or_else(|| t.get("referral.a_friend"));
    let status = match r.status {
        RecentStatus::Claimed => t.get("referral.friend.claimed"),
        RecentStatus::Pending => match r.pays_at {
            Some(at) => t.text("referral.friend.arrives", &[("date", &format::date(locale, at))]),
            None => t.get("referral.friend.checking"),
        },
        RecentStatus::Paid => match &r.code {
            Some(code) => t.text("referral.friend.code_ready", &[("code", code)]),
            None => t.get("referral.friend.paid"),
        },
        RecentStatus::Reversed => t.get("referral.friend.returned"),
        RecentStatus::NotEligible => t.get("referral.friend.not_eligible"),
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
            clipboard::copy(url, ctx.announce, "referral.link_copied");
        }
    }
}
