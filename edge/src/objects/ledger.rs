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
//! while it holds, without calling the object. Each snapshot carries the version of the ledger
//! it was computed from (a command can finish after a later one saved), and they are written
//! one at a time, newest version last, so an older one never lands over a newer one. `view`
//! marks a saved version whose snapshot is still to be written, stored with the ledger and the
//! alarm; if the command does not get to write it, the alarm deletes the snapshot, and the next
//! read comes here and writes it again.
//!
//! The shop's `loyalty-member/{customer}` KV key (how erasure finds this ledger) is written after
//! the ledger is first stored. `member` marks it as still to be written, stored in the same write
//! as the new ledger with an alarm a few seconds on: the command writes the key and clears the
//! mark, and if the process dies in between, the alarm does.
//!
//! Points-expiry reminders: for a shop that sends follow-ups, the ledger keeps where its member's
//! e-mails go (from their latest order). The alarm, after its marks, asks whether the reminder
//! for the current expiry date is due (`follow_up::expiry_reminder`): if so it saves the date as
//! reminded, then sends (a failed send takes the date back, and the alarm asks again an hour
//! later); if it is still to come, the alarm is set for then. Every save sets the
//! alarm a few seconds on, so a change of the expiry date is seen at once.

use rapport_shared::catalog::Currency;
use rapport_shared::follow_up::{self, Contact, Decision, Recipient};
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
        /// Where the member's follow-ups go, when the shop sends them and the order said.
        #[serde(default)]
        contact: Option<Contact>,
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
    /// goes through [`LedgerObject::keep`]; erasing clears it. With the [`VERSION`] it was
    /// saved as.
    kept: RefCell<Option<(Ledger, u64)>>,
    /// The account snapshot still to be written (`None` inside: delete it), with the ledger
    /// version it shows; the command writing one writes this after it.
    view: RefCell<Option<(u64, Option<AccountSnapshot>)>>,
    /// A command is writing snapshots.
    writing: Cell<bool>,
    /// The newest version whose snapshot this instance wrote: an older one is not written
    /// over it.
    written: Cell<u64>,
    /// Counts erasures: a command that began before one hands over no snapshot.
    erasures: Cell<u32>,
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
/// Whose ledger it is (a [`Tell`]'s shop and customer), for the alarm's reminders.
const OWNER: &str = "owner";
/// How long after a failed reminder check the alarm tries again.
const REMINDER_RETRY_MS: i64 = 3_600_000;

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

/// The account snapshot of `ledger` at `now`, while it holds; `None` if it would not hold.
fn snapshot(
    ledger: &Ledger,
    account: Account,
    rules: &LoyaltyRules,
    now: i64,
) -> Option<AccountSnapshot> {
    let until = ledger.settled_until(rules, now);
    (until > now).then(|| AccountSnapshot { account, until, programme: programme_tag(rules) })
}

impl LedgerObject {
    /// The stored ledger and its version; `None` for a shopper who has none yet.
    async fn stored(&self) -> Result<Option<(Ledger, u64)>> {
        if let Some(kept) = self.kept.borrow().as_ref() {
            return Ok(Some(kept.clone()));
        }
        let storage = self.state.storage();
        let Some(ledger) = storage.get::<Ledger>(KEY).await? else { return Ok(None) };
        // No other event is delivered between the two reads: the pair is one saved state.
        let version = storage.get::<u64>(VERSION).await?.unwrap_or(0);
        self.keep(&ledger, version);
        Ok(Some((ledger, version)))
    }

    /// Remembers what was just read or written as the stored ledger.
    fn keep(&self, ledger: &Ledger, version: u64) {
        *self.kept.borrow_mut() = Some((ledger.clone(), version));
    }

    /// The stored ledger (empty, version 0, for a shopper who has none yet).
    async fn load(&self) -> Result<(Ledger, u64)> {
        Ok(self.stored().await?.unwrap_or_default())
    }

    /// Stores a changed ledger (read as version `read`) with its next version, the mark that
    /// its account snapshot is still to be written and, when `figures` changed, the mark that
    /// the overview is still to be told it; for a new ledger the mark that its member key is
    /// still to be written; with the alarm that does what the command does not get to: one
    /// write.
    async fn save(
        &self,
        ledger: &Ledger,
        read: u64,
        (shop, customer): (&ShopId, &CustomerId),
        new: bool,
        figures: bool,
    ) -> Result<(Tell, Option<Member>)> {
        let storage = self.state.storage();
        let version = read + 1;
        let tell = Tell { shop: shop.clone(), customer: customer.clone(), version };
        let member = new.then(|| Member {
            shop: shop.clone(),
            customer: customer.clone(),
            token: mark_token().as_f64().unwrap_or_default(),
        });
        let entries = worker::js_sys::Object::new();
        let set = |key: &str, value| worker::js_sys::Reflect::set(&entries, &key.into(), &value);
        set(KEY, serde_wasm_bindgen::to_value(ledger)?)?;
        set(VERSION, version.into())?;
        if figures {
            set(TELL, serde_wasm_bindgen::to_value(&tell)?)?;
        }
        set(VIEW, serde_wasm_bindgen::to_value(&tell)?)?;
        if let Some(member) = &member {
            set(MEMBER, serde_wasm_bindgen::to_value(member)?)?;
        }
        set(OWNER, serde_wasm_bindgen::to_value(&tell)?)?;
        let at = worker::js_sys::Date::now() + MARK_ALARM_MS;
        // Forgotten first: if the write fails, the next command reads storage again.
        *self.kept.borrow_mut() = None;
        put_with_alarm(&storage, entries, at).await?;
        self.keep(ledger, version);
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

    /// Hands the account snapshot of version `version` to the snapshot writer: this command
    /// writes it unless another one is writing, which then writes it after its own. A snapshot
    /// older than one handed over or written already is dropped, and so is one computed before
    /// an erasure (`erasures` as the command began). A failed write is logged; the mark stays,
    /// and the alarm deletes the snapshot.
    async fn write_view(
        &self,
        shop: &ShopId,
        customer: &CustomerId,
        version: u64,
        snapshot: Option<AccountSnapshot>,
        erasures: u32,
    ) {
        if erasures != self.erasures.get() || version < self.written.get() {
            return;
        }
        {
            let mut slot = self.view.borrow_mut();
            if slot.as_ref().is_some_and(|(handed, _)| *handed > version) {
                return;
            }
            *slot = Some((version, snapshot));
        }
        if self.writing.replace(true) {
            return;
        }
        let written = self.write_views(shop, customer).await;
        self.writing.set(false);
        if let Err(e) = written {
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
            if version < self.written.get() {
                continue;
            }
            self.written.set(version);
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

    /// Sends the member's points-expiry reminder if it is due; when one is still to come, the
    /// time (Unix milliseconds) to ask again.
    async fn remind(&self) -> Result<Option<i64>> {
        let storage = self.state.storage();
        let Some(owner) = storage.get::<Tell>(OWNER).await? else { return Ok(None) };
        let (mut ledger, read) = self.load().await?;
        let Some(contact) = ledger.contact.clone() else { return Ok(None) };
        let failed = |e: crate::error::ApiError| worker::Error::RustError(format!("{e:?}"));
        let store = crate::store::Store::open(&self.env).map_err(failed)?;
        let Some(settings) = store.settings(&owner.shop).await.map_err(failed)? else {
            return Ok(None);
        };
        let Some(rules) = settings.loyalty.as_ref() else { return Ok(None) };
        let expiring = ledger.expiring(rules);
        let secret = token_secret(&self.env, &owner.shop)?;
        let hash = rapport_shared::secrets::email_hash(&secret, &contact.email);
        let to = Recipient {
            erased: false,
            unsubscribed: store
                .unsubscribed_at(&owner.shop, &hash)
                .await
                .map_err(failed)?
                .is_some(),
            marketing: contact.marketing,
        };
        let now = (worker::js_sys::Date::now() / 1000.0) as i64;
        let at = expiring.as_ref().map(|e| e.at);
        let decision = follow_up::expiry_reminder(
            settings.follow_ups.as_ref(),
            at,
            ledger.reminded_for,
            to,
            now,
        );
        let (Decision::Send, Some(expiring)) = (decision, expiring) else {
            return Ok(match decision {
                Decision::Wait { until } => Some(until.saturating_mul(1000)),
                _ => None,
            });
        };
        // Reminded first: however often the alarm runs, one e-mail per expiry date.
        let owned = (&owner.shop, &owner.customer);
        let before = ledger.reminded_for.replace(expiring.at);
        ledger.reminders_sent.push(now);
        // With the overview's mark: the week's figures count the reminder (or its taking back).
        let (saved, _) = self.save(&ledger, read, owned, false, true).await?;
        let mail = crate::handlers::follow_ups::ExpiryMail {
            shop: &owner.shop,
            settings: &settings,
            customer: &owner.customer,
            contact: &contact,
            expiring: &expiring,
            now,
        };
        let sent = mail.send(&self.env, &secret).await;
        if sent.is_err() {
            // Not sent: taken back, for the retry.
            let (mut again, read) = self.load().await?;
            if again.reminded_for == Some(expiring.at) {
                again.reminded_for = before;
                if let Some(i) = again.reminders_sent.iter().rposition(|&at| at == now) {
                    again.reminders_sent.remove(i);
                }
                self.save(&again, read, owned, false, true).await?;
            }
        } else {
            // The account shows nothing of this: the snapshot of the saved version is the same.
            let snapshot = snapshot(&ledger, ledger.account(rules, now), rules, now);
            let erasures = self.erasures.get();
            self.write_view(&owner.shop, &owner.customer, saved.version, snapshot, erasures).await;
        }
        sent.map(|()| None)
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
    /// the stored ledger (a new version: the account shows registered codes only). The saved
    /// ledger and its version if there were any.
    async fn register_codes(
        &self,
        ctx: &Context,
        ledger: &Ledger,
    ) -> Result<Option<(Ledger, u64)>> {
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
            return Ok(None);
        }
        for record in &pending {
            let name = codes::name(&ctx.shop, &record.code);
            let command = codes::Command::Register { record: record.clone() };
            call::<_, CodeRecord>(&self.env, codes::BINDING, &name, &command)
                .await
                .map_err(|e| worker::Error::RustError(format!("registering a code: {e:?}")))?;
        }
        // Read again: other commands may have run while the codes were being registered.
        let (mut ledger, read) = self.load().await?;
        for code in ledger.codes.iter_mut().filter(|c| pending.iter().any(|p| p.code == c.code)) {
            code.registered = true;
        }
        // Only the codes' flags changed: nothing for the overview.
        let owner = (&ctx.shop, &ctx.customer);
        let (saved, _) = self.save(&ledger, read, owner, false, false).await?;
        Ok(Some((ledger, saved.version)))
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
            written: Cell::new(0),
            erasures: Cell::new(0),
        }
    }

    /// Does what a command did not get to: deletes a snapshot not brought up to date, writes a
    /// member key, tells the overview a version. Each step is tried whatever became of the
    /// others; a failed one fails the alarm, which the runtime retries.
    async fn alarm(&self) -> Result<Response> {
        let storage = self.state.storage();
        let mut failed: Option<worker::Error> = None;
        // A saved version whose snapshot was not written: the one in KV may show an older
        // ledger, so it goes, and the next read writes it again. While this instance is writing
        // snapshots the writer clears the marks itself: the check comes back later.
        if let Some(view) = storage.get::<Tell>(VIEW).await? {
            // (`next` below sets the alarm again while the mark stays.)
            if !self.writing.get() && self.view.borrow().is_none() {
                let kv = self.env.kv(crate::store::KV_BINDING)?;
                let deleted = kv.delete(&keys::loyalty_account(&view.shop, &view.customer)).await;
                match deleted {
                    Ok(()) => {
                        if storage
                            .get::<Tell>(VIEW)
                            .await?
                            .is_some_and(|t| t.version == view.version)
                        {
                            storage.delete(VIEW).await?;
                        }
                    }
                    Err(e) => failed = Some(e.into()),
                }
            }
        }
        if let Some(member) = storage.get::<Member>(MEMBER).await? {
            if let Err(e) = self.index_member(&member).await {
                failed = Some(e);
            }
        }
        if let Some(tell) = storage.get::<Tell>(TELL).await? {
            let (ledger, _) = self.load().await?;
            if let Err(e) = self.tell_overview(&tell, &ledger).await {
                failed = Some(e);
            }
        }
        let mut next = if failed.is_some() {
            None
        } else {
            storage.get::<Tell>(VIEW).await?.map(|_| MARK_ALARM_MS as i64)
        };
        match self.remind().await {
            Ok(Some(at)) => {
                let wait = (at - worker::js_sys::Date::now() as i64).max(0);
                next = Some(next.map_or(wait, |n| n.min(wait)));
            }
            Ok(None) => {}
            Err(e) => {
                worker::console_warn!("[rapport] points reminder: {e}");
                next = Some(next.map_or(REMINDER_RETRY_MS, |n| n.min(REMINDER_RETRY_MS)));
            }
        }
        // A reminder sent (or taken back) is the overview's to count: soon, not at the next one.
        if storage.get::<Tell>(TELL).await?.is_some() {
            let soon = MARK_ALARM_MS as i64;
            next = Some(next.map_or(soon, |n| n.min(soon)));
        }
        match failed {
            // The runtime retries a failed alarm (and the retry checks the reminder again).
            Some(e) => Err(e),
            None => {
                if let Some(wait) = next {
                    storage.set_alarm(wait).await?;
                }
                Response::ok("done")
            }
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command: Command = super::command(&mut req).await?;
        let (ctx, act) = match command {
            Command::Export => return reply(&self.load().await?.0),
            Command::Forget { shop, customer } => {
                // Commands still running hand over no snapshot of what is erased.
                self.erasures.set(self.erasures.get().wrapping_add(1));
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
                // The versions start again with the next ledger.
                self.written.set(0);
                written?;
                return reply(&true);
            }
            Command::Act { ctx, act } => (ctx, act),
        };
        let erasures = self.erasures.get();
        // From here to `save`, only this object's storage is touched.
        let stored = self.stored().await?;
        let new_member = stored.is_none();
        let (before, read) = stored.unwrap_or_default();
        let mut ledger = before.clone();
        let (rules, now) = (&ctx.rules, ctx.now);
        ledger.settle(rules, now, ctx.presence);
        let mut issued = None;
        match act {
            Act::Open => {}
            Act::Order { source, version, net_minor, currency, contact } => {
                ledger.apply_order(
                    &source,
                    version,
                    net_minor,
                    &currency,
                    &ctx.currency,
                    rules,
                    now,
                );
                if contact.is_some() {
                    ledger.contact = contact;
                }
            }
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
        let mut version = read;
        if ledger != before {
            let owner = (&ctx.shop, &ctx.customer);
            let (tell, member) = self.save(&ledger, read, owner, new_member, true).await?;
            version = tell.version;
            if let Some(member) = member {
                // Found again when the shop is erased; written once per shopper.
                self.index_member(&member).await?;
            }
            // The figures can wait for the alarm; the shopper's answer does not.
            if let Err(e) = self.tell_overview(&tell, &ledger).await {
                worker::console_warn!("[rapport] overview not told yet: {e}");
            }
        }

        if let Some((registered, saved)) = self.register_codes(&ctx, &ledger).await? {
            (ledger, version) = (registered, saved);
        }
        let account: Account = ledger.account(rules, now);
        let snapshot = snapshot(&ledger, account.clone(), rules, now);
        self.write_view(&ctx.shop, &ctx.customer, version, snapshot, erasures).await;
        match issued.and_then(|issued| ledger.codes.iter().find(|c| c.code == issued.code)) {
            Some(code) => reply(&Redeemed { code: code.clone(), account }),
            None => reply(&account),
        }
    }
}
