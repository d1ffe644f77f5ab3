//! `<rapport-loyalty>`: the shop's points programme. A signed-out shopper sees how it works
//! (ways to earn, rewards, tiers) and where to sign in; a signed-in shopper also sees their
//! balance, tier, history and codes, redeems points for a discount code, and gives a birthday.
//!
//! One request draws the widget: `GET /loyalty` answers the programme and, with the shopper's
//! token, their account. A redemption or a birthday answers with the account after it, which
//! replaces the one shown, so nothing is read twice. The merchant chooses an inline panel or a
//! floating launcher (`mode="launcher"`) that opens the same panel as a dialog.

mod birthday;
mod programme;
mod rewards;
mod standing;

use std::sync::Arc;

use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use rapport_shared::catalog::is_link_url;
use rapport_shared::loyalty::{Account, LoyaltyView, Programme};
use wasm_bindgen::JsCast;

use crate::api::{self, Client};
use crate::fold::framed;
use crate::format;
use crate::tr::{tr, Tr};
use crate::Config;

use birthday::birthday_form;
use programme::{tiers, ways_to_earn};
use rewards::rewards;
use standing::{history, standing};

/// Where the widget sits on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The panel in place of the element.
    Inline,
    /// A floating button in the corner that opens the panel as a dialog; no space in the page.
    Launcher,
}

impl Mode {
    /// The element's `mode` attribute: anything but `launcher` is inline.
    pub fn parse(s: &str) -> Self {
        if s == "launcher" {
            Mode::Launcher
        } else {
            Mode::Inline
        }
    }
}

/// What every part of the widget needs.
#[derive(Debug, Clone)]
pub struct LoyaltyContext {
    pub client: Client,
    /// `/v1/shops/{shop}/loyalty`
    pub path: String,
    pub locale: String,
    pub programme: Arc<Programme>,
    /// The shopper's standing as last answered by the API; `None` when signed out.
    pub account: RwSignal<Option<Account>>,
    /// What the widget's live region says ("Copied").
    pub announce: RwSignal<&'static str>,
}

impl LoyaltyContext {
    pub fn balance(&self) -> i64 {
        self.account.with(|a| a.as_ref().map_or(0, |a| a.balance))
    }
}

/// The first answer, and the client the widget goes on with.
#[derive(Debug, Clone)]
struct Loaded {
    view: LoyaltyView,
    client: Client,
    /// The page's token was refused (expired or not the shop's): the shopper is shown the
    /// signed-out view and asked to sign in again.
    expired: bool,
}

/// The loyalty widget, drawn from `first`: the answer the Worker rendered the first view from,
/// and whether the page's token was refused for it, so the browser's mount draws the same DOM
/// without fetching it again.
#[component]
pub fn Loyalty(
    /// API origin, shop, locale and shopper token, from the loader.
    config: Config,
    /// From the element's `mode` attribute.
    mode: Mode,
    /// The first answer.
    first: (LoyaltyView, bool),
) -> impl IntoView {
    Tr::provide(&config);
    let client = Client { api: config.api, token: config.token };
    let path = format!("/v1/shops/{}/loyalty", api::segment(&config.shop));
    let (view, expired) = first;
    // A refused token was dropped before the view was drawn; requests go without it.
    let client = if expired { Client { token: None, ..client } } else { client };
    drawn(Loaded { view, client, expired }, path, config.locale, mode)
}

/// The widget drawn from its first answer.
fn drawn(loaded: Loaded, path: String, locale: String, mode: Mode) -> impl IntoView {
    let ctx = LoyaltyContext {
        client: loaded.client,
        path,
        locale,
        programme: Arc::new(loaded.view.programme),
        account: RwSignal::new(loaded.view.account),
        announce: RwSignal::new(""),
    };
    let panel = panel(ctx.clone(), loaded.expired, mode);
    match mode {
        Mode::Inline => Either::Left(panel),
        Mode::Launcher => Either::Right(launcher(ctx, panel)),
    }
}

/// The floating button and the dialog it opens. The dialog stays in the DOM while closed, so a
/// code just issued is still there when the shopper opens it again.
fn launcher(ctx: LoyaltyContext, panel: impl IntoView + 'static) -> impl IntoView {
    let open = RwSignal::new(false);
    let launcher = NodeRef::<html::Button>::new();
    let close_button = NodeRef::<html::Button>::new();
    let toggle = move |_| {
        let opening = !open.get_untracked();
        open.set(opening);
        if opening {
            focus_soon(close_button);
        }
    };
    let close = move || {
        open.set(false);
        if let Some(b) = launcher.get_untracked() {
            let _ = b.focus();
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            close();
        }
    };
    let account = ctx.account;
    let t = tr();
    let balance = move || {
        account.with(|a| {
            a.as_ref().map(|a| {
                view! { <span class="launcher-balance">{points_text(a.balance)}</span> }
            })
        })
    };
    view! {
        <div on:keydown=on_key>
            <button
                type="button"
                class="launcher"
                part="launcher"
                node_ref=launcher
                aria-expanded=move || open.get().to_string()
                aria-controls="rapport-loyalty-dialog"
                on:click=toggle
            >
                <span>{t.get("loyalty.launcher")}</span>
                {balance}
            </button>
            <div
                id="rapport-loyalty-dialog"
                class="dialog"
                part="dialog"
                role="dialog"
                aria-modal="false"
                aria-labelledby="rapport-loyalty-title"
                hidden=move || !open.get()
            >
                <button
                    type="button"
                    class="close"
                    node_ref=close_button
                    aria-label=t.get("loyalty.close")
                    on:click=move |_| close()
                >
                    <span aria-hidden="true">"×"</span>
                </button>
                {panel}
            </div>
        </div>
    }
}

/// The programme and, when signed in, the shopper's standing. Inline, its first view fills the
/// element's fixed height and the shopper's first click or key press in it opens the rest (see
/// `fold`); in the launcher's dialog, which floats over the page, nothing is folded.
fn panel(ctx: LoyaltyContext, expired: bool, mode: Mode) -> impl IntoView {
    let programme = ctx.programme.clone();
    let t = tr();
    let title = t.text("loyalty.title", &[("shop", &programme.shop_name)]);
    let announce = ctx.announce;
    let signed_in = ctx.account.with_untracked(Option::is_some);
    let ways = ways_to_earn(&programme, &ctx.locale);
    let tiers = tiers(&programme, &ctx.locale);
    let body = if signed_in {
        let birthday = (programme.rules.birthday_bonus > 0
            && ctx.account.with_untracked(|a| a.as_ref().is_some_and(|a| a.birthday.is_none())))
        .then(|| birthday_form(ctx.clone()));
        Either::Left(view! {
            {standing(ctx.clone())}
            <div class="sections">
                {rewards(ctx.clone())}
                {ways}
                {tiers}
                {history(ctx.clone())}
                {birthday}
            </div>
        })
    } else {
        let notice = expired.then(|| {
            view! { <p class="notice" part="notice" role="status">{t.get("loyalty.sign_in_again")}</p> }
        });
        let sign_in = link(programme.sign_in_url.as_deref()).map(|href| {
            view! { <a class="button primary" part="button" href=href>{t.get("common.sign_in")}</a> }
        });
        let join = link(programme.rules.join_url.as_deref()).map(
            |href| view! { <a class="button" part="button" href=href>{t.get("loyalty.join")}</a> },
        );
        Either::Right(view! {
            <p class="intro">{t.get("loyalty.intro")}</p>
            {notice}
            <p class="actions">{sign_in}{join}</p>
            <div class="sections">
                {rewards(ctx.clone())}
                {ways}
                {tiers}
            </div>
        })
    };
    let class = if mode == Mode::Inline { "loyalty frame" } else { "loyalty" };
    framed(class, "loyalty", "rapport-loyalty-title", title, body, announce)
}

/// A link from the shop's settings, only if it is a web address or a path on the shop (the same
/// check the settings passed when the merchant stored them).
fn link(url: Option<&str>) -> Option<String> {
    url.filter(|u| is_link_url(u)).map(str::to_owned)
}

pub(crate) use format::points_text;

/// Moves focus to `target` once the DOM shows it (after the current update is drawn).
pub(crate) fn focus_soon<E>(target: NodeRef<E>)
where
    E: html::ElementType + 'static,
    E::Output: JsCast + Clone + AsRef<web_sys::HtmlElement> + 'static,
{
    request_animation_frame(move || {
        if let Some(el) = target.get_untracked() {
            let _ = AsRef::<web_sys::HtmlElement>::as_ref(&el).focus();
        }
    });
}
