//! One shopper's loyalty ledger, with a single owner.
//!
//! Storage: `ledger` holds the shopper's [`Ledger`] (entries, order versions, birthday, issued
//! codes). Every command reads it, settles what is due, applies itself and writes it back if it
//! changed, with no other I/O in between, and the runtime delivers no other request to the object while it
//! waits on its own storage: so two redemptions cannot both spend the same points, and two
//! deliveries of one order cannot both award it.
//!
//! A redemption is written first (points spent, code recorded as not yet registered), then the
//! code is registered with the shop's code objects, then marked registered. A failure between
//! the two leaves a spent, unregistered code that the next command for this shopper registers;
//! the shopper's retry with the same request key returns the same code.
//!
//! Each change is also told to the shop's overview object (its figures), with the ledger's
//! `version`, counted up by every save. `tell` marks a version still to be told, stored with the
//! ledger and the alarm that tells it if the command does not get to.
//!
//! After every command the object writes the shopper's account snapshot to KV
//! (`loyalty-account/{customer}`, an [`AccountSnapshot`]): signed-in reads are answered from it
//! while it holds, without calling the object. The snapshots are written one at a time, in the
//! order the commands computed them, so an earlier one never lands over a later one. `view`
//! marks a saved version whose snapshot is still to be written, stored with the ledger and the
//! alarm; if the command does not get to write it, the alarm deletes the snapshot, and the next
//! read comes here and writes it again.
//!
//! The shop's `loyalty-member/{customer}` KV key (how erasure finds this ledger) is written after
//! the ledger is first stored. `member` marks it as still to be written, stored in the same write
//! as the new ledger with an alarm a few seconds on: the command writes the key and clears the
//! mark, and if the process dies in between, the alarm does.

use rapport_shared::catalog::Currency;
use rapport_shared::ids::{CustomerId, ShopId};
use rapport_shared::keys;
use rapport_shared::loyalty::{
    programme_tag, Account, AccountSnapshot, AdjustmentPoints, BirthdayError, CodeRecord, Ledger,
    LoyaltyRules, Presence, Reason, RedeemError, Redeemed,
};
use rapport_shared::secrets::discount_code;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::{call, codes, mark_token, overview, put_with_alarm, refuse, reply, token_secret};
use rapport_shared::overview::Contribution;

pub const BINDING: &str = "LEDGERS";

/// The object's name: one per shop and shopper.
pub fn name(shop: &ShopId, customer: &CustomerId) -> String {
    format!("{shop}/loyalty/{customer}")
}

/// Whose ledger, under which programme, and when.
#[derive(Serialize, Deserialize)]
pub struct Context {
    pub shop: ShopId,
    pub customer: CustomerId,
    pub rules: LoyaltyRules,
    /// The shop's currency (tiers by amount spent count it).
    pub currency: Currency,
    pub now: i64,
    /// Whether the command is the shopper's own signed-in request (which pays the sign-up bonus).
    pub presence: Presence,
}

// Built once per request and serialised at once: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, Deserialize)]
pub enum Command {
    /// Settles what is due, acts, and answers the account (or, for a redemption, [`Redeemed`]).
    Act { ctx: Context, act: Act },
    /// The whole ledger as stored, for the customer's data export. Changes nothing.
    Export,
    /// Erases the ledger and the account snapshot.
    Forget { shop: ShopId, customer: CustomerId },
}

#[derive(Serialize, Deserialize)]
pub enum Act {
    /// Nothing more than settling.
    Open,
    /// Version `version` of an order's state: its net amount paid and kept.
    Order {
        source: String,
        version: u64,
        net_minor: i64,
        currency: Currency,
    },
    /// A bonus that is on or off (a verified review published, a referral).
    Bonus {
        source: String,
        reason: Reason,
        on: bool,
        amount: u32,
    },
    Redeem {
        reward: String,
        request: Option<String>,
    },
    Birthday {
        month: u8,
        day: u8,
    },
    /// A merchant's adjustment, once per key.
    Adjust {
        key: String,
        points: AdjustmentPoints,
        /// Why, for the merchant.
        #[serde(default)]
        note: Option<String>,
    },
}

// `alarm` exports both the fetch and the alarm handler.
#[durable_object(alarm)]
pub struct LedgerObject {
    state: State,
    env: Env,
    /// The ledger as last read or written by this instance: the object is its only writer, so a
    /// read after the first needs neither storage nor deserialising. Every write of [`KEY`]
    /// goes through [`LedgerObject::keep`]; erasing clears it.
    kept: RefCell<Option<Ledger>>,
    /// The account snapshot still to be written (`None` inside: delete it), with the ledger
    /// version it shows; the command writing one writes this after it.
    view: RefCell<Option<(u64, Option<AccountSnapshot>)>>,
    /// A command is writing snapshots.
    writing: Cell<bool>,
}

const KEY: &str = "ledger";
/// The shopper whose `loyalty-member` key is still to be written.
const MEMBER: &str = "member";
/// How long the command has to clear its marks before the alarm does it instead.
const MARK_ALARM_MS: f64 = 5000.0;

/// Counts the ledger's saves.
const VERSION: &str = "version";
/// The version still to be told to the overview.
const TELL: &str = "tell";
/// The version whose account snapshot is still to be written (a [`Tell`] too).
const VIEW: &str = "view";

/// A version of the ledger the overview is still to be told.
#[derive(Serialize, Deserialize)]
struct Tell {
    shop: ShopId,
    customer: CustomerId,
    version: u64,
}

/// Who the ledger belongs to, kept with [`MEMBER`] until their member key is written.
#[derive(Serialize, Deserialize)]
struct Member {
    shop: ShopId,
    customer: CustomerId,
    /// Tells this mark from a later one.
    token: f64,
}

impl LedgerObject {
    /// The stored ledger; `None` for a shopper who has none yet.
    async fn stored(&self) -> Result<Option<Ledger>> {
        if let Some(ledger) = self.kept.borrow().as_ref() {
            return Ok(Some(ledger.clone()));
        }
        let stored: Option<Ledger> = self.state.storage().get(KEY).await?;
        if let Some(ledger) = &stored {
            self.keep(ledger);
        }
        Ok(stored)
    }

    /// Remembers what was just read or written as the stored ledger.
    fn keep(&self, ledger: &Ledger) {
        *self.kept.borrow_mut() = Some(ledger.clone());
    }

    async fn load(&self) -> Result<Ledger> {
        Ok(self.stored().await?.unwrap_or_default())
    }

    /// Stores a changed ledger with its next version and the mark that the overview is still
    /// to be told it, and for a new ledger the mark that its member key is still to be written,
    /// with the alarm that does both if the command does not get to: one write.
    async fn save(
        &self,
        ledger: &Ledger,
        ctx: &Context,
        new: bool,
    ) -> Result<(Tell, Option<Member>)> {
        let storage = self.state.storage();
        let version = storage.get::<u64>(VERSION).await?.unwrap_or(0) + 1;
        let tell = Tell { shop: ctx.shop.clone(), customer: ctx.customer.clone(), version };
        let member = new.then(|| Member {
            shop: ctx.shop.clone(),
            customer: ctx.customer.clone(),
            token: mark_token().as_f64().unwrap_or_default(),
        });
        let entries = worker::js_sys::Object::new();
        let set = |key: &str, value| worker::js_sys::Reflect::set(&entries, &key.into(), &value);
        set(KEY, serde_wasm_bindgen::to_value(ledger)?)?;
        set(VERSION, version.into())?;
        set(TELL, serde_wasm_bindgen::to_value(&tell)?)?;
        set(VIEW, serde_wasm_bindgen::to_value(&tell)?)?;
        if let Some(member) = &member {
            set(MEMBER, serde_wasm_bindgen::to_value(member)?)?;
        }
        let at = worker::js_sys::Date::now() + MARK_ALARM_MS;
        // Forgotten first: if the write fails, the next command reads storage again.
        *self.kept.borrow_mut() = None;
        put_with_alarm(&storage, entries, at).await?;
        self.keep(ledger);
        Ok((tell, member))
    }

    /// Tells the overview the ledger's figures as of `tell`, then clears the mark unless a newer
    /// save replaced it.
    async fn tell_overview(&self, tell: &Tell, ledger: &Ledger) -> Result<()> {
        let command = overview::Command::Source {
            source: overview::ledger_source(&tell.customer),
            version: tell.version,
            contribution: Contribution::ledger(ledger),
        };
        call::<_, bool>(&self.env, overview::BINDING, &overview::name(&tell.shop), &command)
            .await
            .map_err(|e| worker::Error::RustError(format!("telling the overview: {e:?}")))?;
        let storage = self.state.storage();
        if storage.get::<Tell>(TELL).await?.is_some_and(|t| t.version == tell.version) {
            storage.delete(TELL).await?;
        }
        Ok(())
    }

    /// Hands the account snapshot of `ledger` to the snapshot writer: this command writes it
    /// unless another one is writing, which then writes it after its own. A failed write is
    /// logged; the mark stays, and the alarm deletes the snapshot.
    async fn write_view(
        &self,
        shop: &ShopId,
        customer: &CustomerId,
        snapshot: Option<AccountSnapshot>,
    ) {
        let handed = async {
            let version = self.state.storage().get::<u64>(VERSION).await?.unwrap_or(0);
            *self.view.borrow_mut() = Some((version, snapshot));
            if self.writing.replace(true) {
                return Ok(());
            }
            let written = self.write_views(shop, customer).await;
            self.writing.set(false);
            written
        };
        if let Err(e) = handed.await {
            worker::console_warn!("[rapport] account snapshot not written: {e}");
        }
    }

    /// Writes the snapshots handed over until none is left, clearing the mark of each version
    /// written.
    async fn write_views(&self, shop: &ShopId, customer: &CustomerId) -> Result<()> {
        let kv = self.env.kv(crate::store::KV_BINDING)?;
        let key = keys::loyalty_account(shop, customer);
        loop {
            // Taken before any await: another command may hand over the next one meanwhile.
            let next = self.view.borrow_mut().take();
            let Some((version, snapshot)) = next else { return Ok(()) };
            match snapshot {
                Some(s) => kv.put(&key, serde_json::to_string(&s)?)?.execute().await?,
                None => kv.delete(&key).await?,
            }
            let storage = self.state.storage();
            if storage.get::<Tell>(VIEW).await?.is_some_and(|t| t.version <= version) {
                storage.delete(VIEW).await?;
            }
        }
    }

    /// Writes the member key, then clears its mark (unless a newer one replaced it).
    async fn index_member(&self, member: &Member) -> Result<()> {
        let kv = self.env.kv(crate::store::KV_BINDING)?;
        kv.put(&keys::loyalty_member(&member.shop, &member.customer), true)?.execute().await?;
        let storage = self.state.storage();
        if storage.get::<Member>(MEMBER).await?.is_some_and(|m| m.token == member.token) {
            storage.delete(MEMBER).await?;
        }
        Ok(())
    }

    /// Registers the codes of `ledger` not yet known to the code objects, then marks them in
    /// the stored ledger. `true` if there were any.
    async fn register_codes(&self, ctx: &Context, ledger: &Ledger) -> Result<bool> {
        let pending: Vec<CodeRecord> = ledger
            .codes
            .iter()
            .filter(|c| !c.registered)
            .map(|c| CodeRecord {
                code: c.code.clone(),
                discount: c.discount.clone(),
                percent_off: None,
                minimum_order: None,
                exclusive: false,
                reward: c.reward.clone(),
                issued_at: c.at,
                consumed: None,
            })
            .collect();
        if pending.is_empty() {
            return Ok(false);
        }
        for record in &pending {
            let name = codes::name(&ctx.shop, &record.code);
            let command = codes::Command::Register { record: record.clone() };
            call::<_, CodeRecord>(&self.env, codes::BINDING, &name, &command)
                .await
                .map_err(|e| worker::Error::RustError(format!("registering a code: {e:?}")))?;
        }
        // Read again: other commands may have run while the codes were being registered.
        let mut ledger = self.load().await?;
        for code in ledger.codes.iter_mut().filter(|c| pending.iter().any(|p| p.code == c.code)) {
            code.registered = true;
        }
        // Only the codes' flags changed: nothing for the overview.
        *self.kept.borrow_mut() = None;
        self.state.storage().put(KEY, &ledger).await?;
        self.keep(&ledger);
        Ok(true)
    }
}

impl DurableObject for LedgerObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            kept: RefCell::new(None),
            view: RefCell::new(None),
            writing: Cell::new(false),
        }
    }

    /// Writes a member key, and tells the overview a version, that a command did not get to.
    async fn alarm(&self) -> Result<Response> {
        let storage = self.state.storage();
        if let Some(member) = storage.get::<Member>(MEMBER).await? {
            self.index_member(&member).await?;
        }
        if let Some(tell) = storage.get::<Tell>(TELL).await? {
            self.tell_overview(&tell, &self.load().await?).await?;
        }
        // A saved version whose snapshot was not written: the one in KV may show an older
        // ledger, so it goes (deleting is safe whatever else is written meanwhile).
        if let Some(view) = storage.get::<Tell>(VIEW).await? {
            let kv = self.env.kv(crate::store::KV_BINDING)?;
            kv.delete(&keys::loyalty_account(&view.shop, &view.customer)).await?;
            if storage.get::<Tell>(VIEW).await?.is_some_and(|t| t.version == view.version) {
                storage.delete(VIEW).await?;
            }
        }
        Response::ok("done")
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command: Command = super::command(&mut req).await?;
        let (ctx, act) = match command {
            Command::Export => return reply(&self.load().await?),
            Command::Forget { shop, customer } => {
                *self.kept.borrow_mut() = None;
                self.state.storage().delete_all().await?;
                // After any snapshot still being written, so none lands after the deletion.
                *self.view.borrow_mut() = Some((u64::MAX, None));
                while self.writing.get() {
                    worker::Delay::from(std::time::Duration::from_millis(10)).await;
                }
                self.writing.set(true);
                let written = self.write_views(&shop, &customer).await;
                self.writing.set(false);
                written?;
                return reply(&true);
            }
            Command::Act { ctx, act } => (ctx, act),
        };
        // From here to `save`, only this object's storage is touched.
        let stored = self.stored().await?;
        let new_member = stored.is_none();
        let before = stored.unwrap_or_default();
        let mut ledger = before.clone();
        let (rules, now) = (&ctx.rules, ctx.now);
        ledger.settle(rules, now, ctx.presence);
        let mut issued = None;
        match act {
            Act::Open => {}
            Act::Order { source, version, net_minor, currency } => ledger.apply_order(
                &source,
                version,
                net_minor,
                &currency,
                &ctx.currency,
                rules,
                now,
            ),
            Act::Bonus { source, reason, on, amount } => {
                ledger.set_bonus(&source, reason, on, amount, now)
            }
            Act::Redeem { reward, request } => {
                let secret = token_secret(&self.env, &ctx.shop)?;
                let code = |seq| discount_code(&secret, &ctx.shop, &ctx.customer, seq);
                match ledger.redeem(rules, &reward, request.as_deref(), code, now) {
                    Ok(code) => issued = Some(code),
                    Err(RedeemError::UnknownReward) => {
                        return refuse(404, "reward_not_found", "the programme has no such reward")
                    }
                    Err(RedeemError::InsufficientPoints { balance, needed }) => {
                        return refuse(
                            409,
                            "insufficient_points",
                            format!("this reward needs {needed} points; the balance is {balance}"),
                        )
                    }
                    Err(RedeemError::TooManyRedemptions { retry_after }) => {
                        return refuse(429, "rate_limited", retry_after.to_string())
                    }
                }
            }
            Act::Birthday { month, day } => match ledger.set_birthday(month, day, now) {
                Ok(()) => {}
                Err(BirthdayError::NotADate) => {
                    return refuse(400, "not_a_date", "month and day do not make a date")
                }
                Err(BirthdayError::AlreadySet) => {
                    return refuse(409, "birthday_already_set", "the birthday is already set")
                }
            },
            Act::Adjust { key, points, note } => {
                ledger.adjust(&key, points, note.as_deref(), now);
            }
        }
        ledger.settle(rules, now, ctx.presence);
        // A read that settles nothing writes nothing.
        if ledger != before {
            let (tell, member) = self.save(&ledger, &ctx, new_member).await?;
            if let Some(member) = member {
                // Found again when the shop is erased; written once per shopper.
                self.index_member(&member).await?;
            }
            // The figures can wait for the alarm; the shopper's answer does not.
            if let Err(e) = self.tell_overview(&tell, &ledger).await {
                worker::console_warn!("[rapport] overview not told yet: {e}");
            }
        }

        if self.register_codes(&ctx, &ledger).await? {
            ledger = self.load().await?;
        }
        let account: Account = ledger.account(rules, now);
        let until = ledger.settled_until(rules, now);
        let snapshot = (until > now).then(|| AccountSnapshot {
            account: account.clone(),
            until,
            programme: programme_tag(rules),
        });
        self.write_view(&ctx.shop, &ctx.customer, snapshot).await;
        match issued.and_then(|issued| ledger.codes.iter().find(|c| c.code == issued.code)) {
            Some(code) => reply(&Redeemed { code: code.clone(), account }),
            None => reply(&account),
        }
    }
}
