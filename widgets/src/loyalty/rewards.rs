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
use crate::tr::tr;
use crate::{format, Unavailable};

/// The programme's rewards and, for a signed-in shopper, the codes already issued.
pub fn rewards(ctx: LoyaltyContext) -> impl IntoView {
    let signed_in = ctx.account.with_untracked(Option::is_some);
    let locale = &ctx.locale;
    let t = tr();
    let items = ctx
        .programme
        .rules
        .rewards
        .iter()
        .map(|reward| {
            let name = t
                .text("common.amount_off", &[("amount", &format::money(locale, &reward.discount))]);
            let cost = points_text(reward.points.into());
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
            <h3>{t.get("loyalty.rewards")}</h3>
            <ul class="rewards">{items}</ul>
            {codes}
        </section>
    }
}

/// Why a redemption failed, for the shopper (a catalogue key); `None` when it may simply be
/// tried again.
fn refusal(e: &ApiError) -> Option<&'static str> {
    Some(match e {
        ApiError::Refused { status: 401, .. } | ApiError::Status(401) => {
            "loyalty.redeem.sign_in_again"
        }
        ApiError::Refused { error, .. } if error.code == "insufficient_points" => {
            "loyalty.redeem.not_enough"
        }
        ApiError::Refused { status: 429, .. } => "loyalty.redeem.too_many",
        ApiError::NotFound(_) => "loyalty.redeem.gone",
        ApiError::Refused { .. } => "loyalty.redeem.refused",
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
    let balance_ctx = ctx.clone();
    let points = i64::from(reward.points);
    let t = tr();
    let label = t.text("loyalty.redeem_reward", &[("reward", &name)]);
    let redeem_text = t.get("loyalty.redeem");
    let more_t = t.clone();
    let action = move || {
        if confirming.get() {
            return None;
        }
        let missing = points - balance_ctx.balance();
        Some(if missing > 0 {
            let text = more_t.text("loyalty.more_needed", &[("points", &points_text(missing))]);
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
                    {redeem_text.clone()}
                </button>
            })
        })
    };
    let flow = Flow {
        reward: reward.id.clone(),
        question: t.text("loyalty.spend_question", &[("points", &cost), ("reward", &name)]),
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
    let t = tr();
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
                        None => outcome.set(Some(Err("loyalty.redeem.failed"))),
                    }
                }
            }
            sending.set(false);
        });
    };
    let ask_t = t.clone();
    let ask = move || {
        let t = ask_t.clone();
        confirming.get().then(|| {
            let (redeeming, confirm) = (t.get("loyalty.redeeming"), t.get("loyalty.confirm"));
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
                        {move || if sending.get() { redeeming.clone() } else { confirm.clone() }}
                    </button>
                    <button type="button" class="link" on:click=cancel>{t.get("common.cancel")}</button>
                </div>
            }
        })
    };
    let result = move || {
        outcome.get().map(|o| match o {
            Ok(code) => Either::Left(view! {
                <div class="issued">
                    <p>{t.get("loyalty.your_code")}</p>
                    {code_box(code, announce, copy_button)}
                </div>
            }),
            Err(key) => {
                Either::Right(view! { <p class="field-error" role="alert">{t.get(key)}</p> })
            }
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
    let t = tr();
    move || {
        account.with(|a| {
            let codes = a.as_ref().map_or(&[][..], |a| &a.codes[..]);
            (!codes.is_empty()).then(|| {
                let items = codes
                    .iter()
                    .map(|c| {
                        let what = t.text(
                            "common.amount_off",
                            &[("amount", &format::money(&locale, &c.discount))],
                        );
                        view! {
                            <li>
                                <span class="muted">{what}</span>
                                {code_box(c.code.clone(), announce, NodeRef::new())}
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <h4>{t.get("loyalty.your_codes")}</h4>
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
    let t = tr();
    let label = t.text("loyalty.copy_code", &[("code", &code)]);
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
                on:click=move |_| crate::clipboard::copy(&text, announce, "common.copied")
            >
                {t.get("common.copy")}
            </button>
        </span>
    }
}
