//! Rewards and the codes they give. Redeeming asks for confirmation first; the confirmed
//! redemption carries a key chosen here, kept until the API has answered for good, so a retry
//! after a lost answer returns the same code instead of spending twice.

use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_shared::loyalty::{Redeemed, RedemptionRequest, Reward};

use super::{focus_soon, points_text, LoyaltyContext};
use crate::api::ApiError;
use crate::{format, Unavailable};

/// The programme's rewards and, for a signed-in shopper, the codes already issued.
pub fn rewards(ctx: LoyaltyContext) -> impl IntoView {
    let signed_in = ctx.account.with_untracked(Option::is_some);
    let locale = &ctx.locale;
    let items = ctx
        .programme
        .rules
        .rewards
        .iter()
        .map(|reward| {
            let name = format!("{} off", format::money(locale, &reward.discount));
            let cost = points_text(locale, reward.points.into());
            let head = view! {
                <p class="reward-head">
                    <span class="reward-name">{name.clone()}</span>
                    <span class="reward-cost">{cost.clone()}</span>
                </p>
            };
            let redeem = signed_in.then(|| redemption(reward, name, cost, ctx.clone()));
            view! { <li class="reward" part="reward">{head}{redeem}</li> }
        })
        .collect_view();
    let codes = signed_in.then(|| codes(ctx.clone()));
    view! {
        <section class="block">
            <h3>"Rewards"</h3>
            <ul class="rewards">{items}</ul>
            {codes}
        </section>
    }
}

/// Why a redemption failed, for the shopper; `None` when it may simply be tried again.
fn refusal(e: &ApiError) -> Option<&'static str> {
    Some(match e {
        ApiError::Refused { status: 401, .. } | ApiError::Status(401) => {
            "Sign in again to redeem your points."
        }
        ApiError::Refused { error, .. } if error.code == "insufficient_points" => {
            "You do not have enough points for this reward yet."
        }
        ApiError::Refused { status: 429, .. } => {
            "You have redeemed several rewards recently. Please try again later."
        }
        ApiError::NotFound(_) => "This reward is no longer available.",
        ApiError::Refused { .. } => "This reward could not be redeemed.",
        _ => return None,
    })
}

/// A key for one confirmed redemption: two random 53-bit numbers as hex.
fn request_key() -> String {
    let part = || (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    format!("{:x}{:x}", part(), part())
}

/// The way to redeem one reward: a button while the shopper has the points, then the
/// confirmation and the code, which are their own part of the module (`redemption_flow`),
/// fetched the first time a shopper presses Redeem.
fn redemption(reward: &Reward, name: String, cost: String, ctx: LoyaltyContext) -> impl IntoView {
    // The flow has been opened (its part is drawn from then on), and is asking to confirm.
    let opened = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let redeem_button = NodeRef::<html::Button>::new();
    let ask = move |_| {
        opened.set(true);
        confirming.set(true);
    };
    let locale = ctx.locale.clone();
    let balance_ctx = ctx.clone();
    let points = i64::from(reward.points);
    let label = format!("Redeem {name}");
    let action = move || {
        if confirming.get() {
            return None;
        }
        let missing = points - balance_ctx.balance();
        Some(if missing > 0 {
            let text = format!("{} more needed", points_text(&locale, missing));
            Either::Left(view! { <p class="missing">{text}</p> })
        } else {
            Either::Right(view! {
                <button
                    type="button"
                    class="redeem"
                    part="button"
                    node_ref=redeem_button
                    aria-label=label.clone()
                    on:click=ask
                >
                    "Redeem"
                </button>
            })
        })
    };
    let flow = Flow {
        reward: reward.id.clone(),
        question: format!("Spend {cost} for {name}?"),
        ctx,
        confirming,
        redeem_button,
    };
    let flow = move || {
        opened.get().then(|| {
            let flow = flow.clone();
            Suspend::new(async move {
                crate::part!(redemption_flow(flow))
                    .unwrap_or_else(|Unavailable| crate::unavailable().into_any())
            })
        })
    };
    view! {
        {action}
        {flow}
    }
}

/// What the redemption flow needs from the reward's row.
#[derive(Clone)]
struct Flow {
    reward: String,
    question: String,
    ctx: LoyaltyContext,
    /// Shared with the row: while true the flow asks to confirm and the row hides its button.
    confirming: RwSignal<bool>,
    /// The row's Redeem button, where focus goes back when the flow ends without a code.
    redeem_button: NodeRef<html::Button>,
}

/// The confirmation, the request and the code it gives.
#[cfg_attr(
    feature = "client",
    leptos::wasm_split::wasm_split(redemption, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn redemption_flow(flow: Flow) -> Result<AnyView, Unavailable> {
    let Flow { reward, question, ctx, confirming, redeem_button } = flow;
    let sending = RwSignal::new(false);
    // The code issued, or what went wrong.
    let outcome = RwSignal::new(None::<Result<String, &'static str>>);
    let key = StoredValue::new(None::<String>);
    let confirm_button = NodeRef::<html::Button>::new();
    let copy_button = NodeRef::<html::Button>::new();
    let announce = ctx.announce;
    // Each time the shopper asks again, the last outcome goes and focus moves to Confirm.
    Effect::new(move || {
        if confirming.get() {
            outcome.set(None);
            focus_soon(confirm_button);
        }
    });
    let cancel = move |_| {
        confirming.set(false);
        focus_soon(redeem_button);
    };
    let redeem = move |_| {
        if sending.get_untracked() {
            return;
        }
        sending.set(true);
        outcome.set(None);
        let request = key.with_value(Option::clone).unwrap_or_else(request_key);
        key.set_value(Some(request.clone()));
        let body = RedemptionRequest { reward: reward.clone(), request: Some(request) };
        let ctx = ctx.clone();
        spawn_local(async move {
            let path = format!("{}/redemptions", ctx.path);
            match ctx.client.post::<_, Redeemed>(&path, &body).await {
                Ok(done) => {
                    key.set_value(None);
                    ctx.account.set(Some(done.account));
                    confirming.set(false);
                    outcome.set(Some(Ok(done.code.code)));
                    focus_soon(copy_button);
                }
                Err(e) => {
                    leptos::logging::error!("[rapport] the reward was not redeemed: {e}");
                    match refusal(&e) {
                        Some(text) => {
                            key.set_value(None);
                            confirming.set(false);
                            outcome.set(Some(Err(text)));
                            focus_soon(redeem_button);
                        }
                        // Still confirming: Confirm tries again with the same key.
                        None => outcome
                            .set(Some(Err("The reward could not be redeemed. Please try again."))),
                    }
                }
            }
            sending.set(false);
        });
    };
    let ask = move || {
        confirming.get().then(|| {
            view! {
                <div class="confirm">
                    <p>{question.clone()}</p>
                    <button
                        type="button"
                        class="primary"
                        part="button"
                        node_ref=confirm_button
                        on:click=redeem.clone()
                    >
                        {move || if sending.get() { "Redeeming…" } else { "Confirm" }}
                    </button>
                    <button type="button" class="link" on:click=cancel>"Cancel"</button>
                </div>
            }
        })
    };
    let result = move || {
        outcome.get().map(|o| match o {
            Ok(code) => Either::Left(view! {
                <div class="issued">
                    <p>"Your code, for your next order:"</p>
                    {code_box(code, announce, copy_button)}
                </div>
            }),
            Err(text) => Either::Right(view! { <p class="field-error" role="alert">{text}</p> }),
        })
    };
    Ok(view! {
        {ask}
        {result}
    }
    .into_any())
}

/// Codes the shopper bought earlier, newest first.
fn codes(ctx: LoyaltyContext) -> impl IntoView {
    let LoyaltyContext { locale, account, announce, .. } = ctx;
    move || {
        account.with(|a| {
            let codes = a.as_ref().map_or(&[][..], |a| &a.codes[..]);
            (!codes.is_empty()).then(|| {
                let items = codes
                    .iter()
                    .map(|c| {
                        let what = format!("{} off", format::money(&locale, &c.discount));
                        view! {
                            <li>
                                <span class="muted">{what}</span>
                                {code_box(c.code.clone(), announce, NodeRef::new())}
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <h4>"Your codes"</h4>
                    <ul class="codes">{items}</ul>
                }
            })
        })
    }
}

/// A discount code the shopper can select or copy. `announce` is the widget's live region,
/// which says whether the copy worked; `node_ref` takes the copy button, for moving focus to it.
fn code_box(
    code: String,
    announce: RwSignal<&'static str>,
    node_ref: NodeRef<html::Button>,
) -> impl IntoView {
    let label = format!("Copy code {code}");
    let text = code.clone();
    view! {
        <span class="code-box">
            <code class="code" part="code">{code}</code>
            <button
                type="button"
                class="copy"
                part="button"
                node_ref=node_ref
                aria-label=label
                on:click=move |_| crate::clipboard::copy(&text, announce, "Copied")
            >
                "Copy"
            </button>
        </span>
    }
}
