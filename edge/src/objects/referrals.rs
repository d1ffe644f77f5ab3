//! A shop's referral programme, with a single owner: one object per shop.
//!
//! Every rule of the programme compares records of different people — the friend's claim with
//! the advocate's e-mail hash and network, the friend's order with every earlier buyer, the
//! advocate's rewards in the last 7 days — and a reward must be paid exactly once per referred
//! friend whichever of many concurrent deliveries arrives first. One object per shop holds all
//! of those records, so each command reads and writes them in one serialised step with no other
//! I/O in between. Its load is the shop's referral traffic (link visits, claims, paid orders),
//! which one object serves many times over.
//!
//! Storage (keys of this object, not KV): `adv:{customer}` ([`Advocate`]), `code:{CODE}` (the
//! advocate a code belongs to), `claim:{friend}` ([`Claim`]), `fcode:{DISCOUNT}` (whose claim a
//! friend's discount code is), `by:{advocate}:{friend}` (an advocate's friends, for export and
//! erasure), `buyer:{e:hash | c:customer}` ([`Buyer`]: a first paid order), `ref:{friend}`
//! ([`Referral`]), `order:{order}` (the friend an attributed order belongs to), `friend-of:{customer}`,
//! `due:{due_at}:{friend}` (pending rewards by due time, for the payout), `tell:{friend}` (a
//! paid reward still to be given), `week:{monday}` ([`WeekStats`]), `outstanding`,
//! `seen:{day}:{code}:{network}` and `netclaims:{day}:{network}` (today's clicks and claims,
//! dropped by the payout after two days), `refused:{at}:{friend}` (claims a hard rule refused).
//!
//! A paid reward is given after the payout has stored it: `tell:{friend}` is written with the
//! paid referral, the reward is then given (the ledger's `referral:{friend}` bonus, which the
//! ledger applies once; or a code derived from the friend's key, registered idempotently), and
//! the mark is cleared. The next payout gives whatever a crash left marked.

use rapport_shared::catalog::{Currency, Money};
use rapport_shared::ids::{CustomerId, ShopId};
use rapport_shared::loyalty::{Account, CodeRecord, LoyaltyRules, Presence, Reason};
use rapport_shared::referral::book::{
    attribute, check_claim, day_of, Advocate, Attribution, Buyer, Change, Claim, OrderFacts,
    Referral, Refusal, Stage, Status,
};
use rapport_shared::referral::stats::{
    report, sketch_hash, week_of, Outstanding, Report, WeekStats,
};
use rapport_shared::referral::{AdvocateStats, AdvocateView, Claimed, FriendOffer, RewardValue};
use rapport_shared::secrets::{referral_code, referral_discount_code};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::wasm_bindgen::JsValue;
use worker::{durable_object, js_sys, DurableObject, Env, ListOptions, Request, Response, State};

use super::{call, codes, entries, ledger, refuse, reply, token_secret};

pub const BINDING: &str = "REFERRALS";

/// The shop's one referral object.
pub fn name(shop: &ShopId) -> String {
    format!("{shop}/referrals")
}

/// Referrals and refused claims the merchant's list shows at most.
const LIST_LIMIT: usize = 500;

// Built once per request and serialised at once: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, Deserialize)]
pub enum Command {
    /// The advocate's own page: their code (made on first use), figures and recent friends.
    Open {
        shop: ShopId,
        customer: CustomerId,
        email_hash: Option<String>,
        first_name: Option<String>,
        network: String,
        link_base: String,
        now: i64,
    },
    Preferences {
        customer: CustomerId,
        show_name: bool,
    },
    Share {
        customer: CustomerId,
        network: String,
        now: i64,
    },
    /// A visit by the link: counted once per network address, code and day. Answers whether
    /// the code exists.
    Click {
        code: String,
        network: String,
        /// The visitor's network address hashed without the day (for the distinct-visitor
        /// sketch only; never stored).
        visitor: String,
        now: i64,
    },
    /// The advocate's first name for the welcome banner, when they allow it.
    Invitation {
        code: String,
    },
    Claim {
        shop: ShopId,
        code: String,
        email_hash: String,
        first_name: Option<String>,
        network: String,
        offer: FriendOffer,
        currency: Currency,
        now: i64,
    },
    /// A paid order, any delivery of it.
    Order {
        facts: OrderFacts,
        programme: Programme,
        now: i64,
    },
    /// Pays what is due at `now` and gives what earlier payouts left to give.
    Payout {
        shop: ShopId,
        loyalty: Option<(LoyaltyRules, Currency)>,
        now: i64,
    },
    List {
        stage: Option<Stage>,
    },
    Decide {
        id: String,
        approve: bool,
        reason: String,
        hold_days: u32,
        now: i64,
    },
    Stats {
        from: i64,
        to: i64,
    },
    Export {
        customer: CustomerId,
    },
    Forget {
        customer: CustomerId,
    },
    Purge,
}

/// The shop's programme as an order is attributed under it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Programme {
    pub hold_days: u32,
    pub max_rewards_per_week: u32,
    /// What a reward attributed now is worth.
    pub reward: RewardValue,
    pub shop_currency: Currency,
}

/// A claim a hard rule refused, kept for the merchant.
#[derive(Serialize, Deserialize)]
pub struct RefusedClaim {
    pub friend: String,
    pub advocate: Option<CustomerId>,
    pub rule: Refusal,
    pub at: i64,
}

/// What the merchant's list answers.
#[derive(Serialize, Deserialize)]
pub struct Listing {
    pub referrals: Vec<Referral>,
    pub refused_claims: Vec<RefusedClaim>,
}

#[durable_object(fetch)]
pub struct ReferralsObject {
    state: State,
    env: Env,
}

/// Writes gathered by one command, stored together at its end.
struct Batch {
    puts: js_sys::Object,
    deletes: Vec<String>,
}

impl Batch {
    fn new() -> Self {
        Self { puts: js_sys::Object::new(), deletes: Vec::new() }
    }

    fn put<T: Serialize>(&mut self, key: &str, value: &T) -> worker::Result<()> {
        let value = JsValue::from_str(&to_json(value)?);
        js_sys::Reflect::set(&self.puts, &JsValue::from_str(key), &value)?;
        Ok(())
    }

    fn delete(&mut self, key: String) {
        self.deletes.push(key);
    }
}

// Values are stored as JSON text: the records also cross to the Worker and the admin API as
// JSON, so one serialiser serves both. Stored as JavaScript values instead (a second
// serialiser per type), the Worker's WebAssembly measured 21 KB more raw, 5 KB more gzip.
fn to_json<T: Serialize>(value: &T) -> worker::Result<String> {
    serde_json::to_string(value).map_err(|e| worker::Error::RustError(e.to_string()))
}

fn from_json<T: DeserializeOwned>(value: &JsValue) -> worker::Result<T> {
    let text = value.as_string().unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| worker::Error::RustError(e.to_string()))
}

fn due_key(due_at: i64, friend: &str) -> String {
    format!("due:{due_at:012}:{friend}")
}

fn week_key(week: i64) -> String {
    format!("week:{week:06}")
}

impl ReferralsObject {
    async fn get<T: DeserializeOwned>(&self, key: &str) -> worker::Result<Option<T>> {
        let text: Option<String> = self.state.storage().get(key).await?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| worker::Error::RustError(e.to_string())))
            .transpose()
    }

    async fn set<T: Serialize>(&self, key: &str, value: &T) -> worker::Result<()> {
        self.state.storage().put(key, to_json(value)?).await
    }

    async fn commit(&self, batch: Batch) -> worker::Result<()> {
        let storage = self.state.storage();
        if !batch.deletes.is_empty() {
            storage.delete_multiple(batch.deletes).await?;
        }
        storage.put_multiple_raw(batch.puts).await
    }

    async fn list(&self, options: ListOptions<'_>) -> worker::Result<Vec<(String, JsValue)>> {
        Ok(entries(&self.state.storage().list_with_options(options).await?))
    }

    async fn week(&self, now: i64) -> worker::Result<(String, WeekStats)> {
        let key = week_key(week_of(now));
        let stats = self.get(&key).await?.unwrap_or_default();
        Ok((key, stats))
    }

    /// Records `change` of `referral` in the week's figures, the outstanding counts and the due
    /// index (a new referral's first order counts `net_in_shop_currency` of revenue).
    async fn account(
        &self,
        batch: &mut Batch,
        referral: &Referral,
        change: Change,
        before: Option<&Status>,
        net_in_shop_currency: i64,
        now: i64,
    ) -> worker::Result<()> {
        let (key, mut week) = self.week(now).await?;
        week.record(change, net_in_shop_currency);
        batch.put(&key, &week)?;
        let mut outstanding: Outstanding = self.get("outstanding").await?.unwrap_or_default();
        outstanding.apply(change);
        batch.put("outstanding", &outstanding)?;
        if let Some(Status::Pending { due_at }) = before {
            batch.delete(due_key(*due_at, &referral.id));
        }
        if let Status::Pending { due_at } = referral.status {
            batch.put(&due_key(due_at, &referral.id), &true)?;
        }
        Ok(())
    }

    /// Records `change` of an existing `referral`: [`Self::account`], and the stored
    /// advocate's tally.
    async fn account_move(
        &self,
        batch: &mut Batch,
        referral: &Referral,
        change: Change,
        before: &Status,
        now: i64,
    ) -> worker::Result<()> {
        self.account(batch, referral, change, Some(before), 0, now).await?;
        if let Some(customer) = &referral.advocate {
            let key = format!("adv:{customer}");
            if let Some(mut advocate) = self.get::<Advocate>(&key).await? {
                advocate.tally.apply(change, &referral.reward);
                batch.put(&key, &advocate)?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn open(
        &self,
        shop: &ShopId,
        customer: CustomerId,
        email_hash: Option<String>,
        first_name: Option<String>,
        network: &str,
        link_base: &str,
        now: i64,
    ) -> worker::Result<AdvocateView> {
        let key = format!("adv:{customer}");
        let mut batch = Batch::new();
        let mut advocate = match self.get::<Advocate>(&key).await? {
            Some(advocate) => advocate,
            None => {
                let secret = token_secret(&self.env, shop)?;
                let mut attempt = 0;
                let code = loop {
                    let code = referral_code(&secret, shop, &customer, attempt);
                    let owner: Option<CustomerId> = self.get(&format!("code:{code}")).await?;
                    if owner.is_none_or(|o| o == customer) {
                        break code;
                    }
                    attempt += 1;
                };
                batch.put(&format!("code:{code}"), &customer)?;
                Advocate::new(customer.clone(), code, now)
            }
        };
        if email_hash.is_some() {
            advocate.email_hash = email_hash;
        }
        if first_name.is_some() {
            advocate.first_name = first_name;
        }
        advocate.seen_on(network, now);
        batch.put(&key, &advocate)?;
        self.commit(batch).await?;
        self.view(&advocate, link_base).await
    }

    async fn view(&self, advocate: &Advocate, link_base: &str) -> worker::Result<AdvocateView> {
        let mut recent = Vec::new();
        let mut next_payout_at: Option<i64> = None;
        for friend in advocate.friends.iter().rev() {
            if let Some(referral) = self.get::<Referral>(&format!("ref:{friend}")).await? {
                if let Status::Pending { due_at } = referral.status {
                    next_payout_at = Some(next_payout_at.map_or(due_at, |t| t.min(due_at)));
                }
                recent.push(referral.recent());
            } else if let Some(claim) = self.get::<Claim>(&format!("claim:{friend}")).await? {
                recent.push(claim.recent());
            }
        }
        let t = advocate.tally;
        Ok(AdvocateView {
            code: advocate.code.clone(),
            link: format!("{link_base}{}", advocate.code),
            show_name: advocate.show_name,
            stats: AdvocateStats {
                clicks: advocate.clicks,
                claims: advocate.claims,
                friends_ordered: t.ordered,
                rewards_paid: t.paid,
                rewards_pending: t.pending,
                points_earned: t.points_paid,
                points_pending: t.points_pending,
                next_payout_at,
            },
            recent,
        })
    }

    async fn click(
        &self,
        code: &str,
        network: &str,
        visitor: &str,
        now: i64,
    ) -> worker::Result<bool> {
        let Some(customer) = self.get::<CustomerId>(&format!("code:{code}")).await? else {
            return Ok(false);
        };
        let seen = format!("seen:{:06}:{code}:{network}", day_of(now));
        if self.get::<bool>(&seen).await?.is_some() {
            return Ok(true);
        }
        let mut batch = Batch::new();
        batch.put(&seen, &true)?;
        let key = format!("adv:{customer}");
        if let Some(mut advocate) = self.get::<Advocate>(&key).await? {
            advocate.clicks += 1;
            batch.put(&key, &advocate)?;
        }
        let (key, mut week) = self.week(now).await?;
        week.clicks += 1;
        week.visitors.insert(sketch_hash(visitor));
        week.advocates.insert(sketch_hash(customer.as_str()));
        batch.put(&key, &week)?;
        self.commit(batch).await?;
        Ok(true)
    }

    /// Registers a friend's or an advocate's code with the shop's code objects (idempotent).
    async fn register(&self, shop: &ShopId, record: CodeRecord) -> worker::Result<()> {
        let name = codes::name(shop, &record.code);
        call::<_, CodeRecord>(
            &self.env,
            codes::BINDING,
            &name,
            &codes::Command::Register { record },
        )
        .await
        .map(|_| ())
        .map_err(|e| worker::Error::RustError(format!("registering a code: {e:?}")))
    }

    #[allow(clippy::too_many_arguments)]
    async fn claim(
        &self,
        shop: &ShopId,
        code: &str,
        email_hash: &str,
        first_name: Option<String>,
        network: &str,
        offer: FriendOffer,
        currency: Currency,
        now: i64,
    ) -> worker::Result<Response> {
        let Some(customer) = self.get::<CustomerId>(&format!("code:{code}")).await? else {
            return refuse(404, "referral_code_not_found", "no referral code with this value");
        };
        let friend = format!("e:{email_hash}");
        let claim_key = format!("claim:{friend}");
        let record = |claim: &Claim| CodeRecord {
            code: claim.discount_code.clone(),
            discount: offer
                .amount_off
                .clone()
                .unwrap_or(Money { amount_minor: 0, currency: currency.clone() }),
            percent_off: offer.percent_off,
            minimum_order: offer.minimum_order.clone(),
            exclusive: true,
            reward: "referral-friend".into(),
            issued_at: claim.at,
            consumed: None,
        };
        // Once per friend: a second claim, through any advocate, answers the first.
        if let Some(mut claim) = self.get::<Claim>(&claim_key).await? {
            if !claim.registered {
                self.register(shop, record(&claim)).await?;
                claim.registered = true;
                self.set(&claim_key, &claim).await?;
            }
            return reply(&Claimed { discount_code: claim.discount_code, offer });
        }
        let adv_key = format!("adv:{customer}");
        let Some(mut advocate) = self.get::<Advocate>(&adv_key).await? else {
            return refuse(404, "referral_code_not_found", "no referral code with this value");
        };
        let ordered = self.get::<Buyer>(&format!("buyer:{friend}")).await?.is_some();
        let day = day_of(now);
        let net_key = format!("netclaims:{day:06}:{network}");
        let network_claims: u32 = self.get(&net_key).await?.unwrap_or(0);
        let mut batch = Batch::new();
        let flags = match check_claim(&advocate, email_hash, network, network_claims, ordered, now)
        {
            Ok(flags) => flags,
            Err(rule) => {
                let refused = RefusedClaim {
                    friend: friend.clone(),
                    advocate: Some(customer),
                    rule,
                    at: now,
                };
                batch.put(&format!("refused:{now:012}:{friend}"), &refused)?;
                let (key, mut week) = self.week(now).await?;
                week.refused += 1;
                batch.put(&key, &week)?;
                self.commit(batch).await?;
                return refuse(409, rule.code(), rule.message());
            }
        };
        let secret = token_secret(&self.env, shop)?;
        let claim = Claim {
            friend: friend.clone(),
            advocate: Some(customer.clone()),
            discount_code: referral_discount_code(&secret, shop, "friend", &friend),
            at: now,
            first_name,
            flags,
            registered: false,
        };
        advocate.claims += 1;
        advocate.add_friend(&friend);
        batch.put(&adv_key, &advocate)?;
        batch.put(&claim_key, &claim)?;
        batch.put(&format!("fcode:{}", claim.discount_code), &friend)?;
        batch.put(&format!("by:{customer}:{friend}"), &true)?;
        batch.put(&net_key, &(network_claims + 1))?;
        let (key, mut week) = self.week(now).await?;
        week.claims += 1;
        batch.put(&key, &week)?;
        self.commit(batch).await?;
        // Answered only once the checkout can verify the code; a failure here is answered
        // by the friend's retry, which finds the claim and registers it.
        self.register(shop, record(&claim)).await?;
        let mut claim = claim;
        claim.registered = true;
        self.set(&claim_key, &claim).await?;
        reply(&Claimed { discount_code: claim.discount_code, offer })
    }

    async fn order(
        &self,
        facts: OrderFacts,
        programme: Programme,
        now: i64,
    ) -> worker::Result<Option<Referral>> {
        let Programme { hold_days, max_rewards_per_week, reward, shop_currency } = programme;
        let shop_currency = &shop_currency;
        let mut batch = Batch::new();
        let in_shop_currency = |net: i64| if facts.currency == *shop_currency { net } else { 0 };
        let buyers = facts.buyer_keys();
        let mut known = Vec::new();
        for key in &buyers {
            known.push(self.get::<Buyer>(&format!("buyer:{key}")).await?);
        }
        for (key, existing) in buyers.iter().zip(known.iter().cloned()) {
            batch.put(&format!("buyer:{key}"), &Buyer::with_order(existing, &facts, now))?;
        }
        // An order already attributed: its new value.
        if let Some(friend) = self.get::<String>(&format!("order:{}", facts.order)).await? {
            let Some(mut referral) = self.get::<Referral>(&format!("ref:{friend}")).await? else {
                self.commit(batch).await?;
                return Ok(None);
            };
            let before = referral.status.clone();
            if let Some(change) = referral.revalue(facts.version, facts.net_minor, hold_days, now) {
                self.account_move(&mut batch, &referral, change, &before, now).await?;
            }
            batch.put(&format!("ref:{friend}"), &referral)?;
            self.commit(batch).await?;
            return Ok(Some(referral));
        }
        // What the order can be attributed by: the friend's claimed code first, then the
        // `rapport_ref` attribute.
        let mut claim = None;
        for code in &facts.discount_codes {
            if let Some(friend) = self.get::<String>(&format!("fcode:{code}")).await? {
                claim = self.get::<Claim>(&format!("claim:{friend}")).await?;
                if claim.is_some() {
                    break;
                }
            }
        }
        let advocate_id = match (&claim, &facts.ref_code) {
            (Some(claim), _) => claim.advocate.clone(),
            (None, Some(code)) => self.get::<CustomerId>(&format!("code:{code}")).await?,
            (None, None) => None,
        };
        let friend = claim.as_ref().map(|c| c.friend.clone()).or_else(|| buyers.first().cloned());
        let (Some(advocate_id), Some(friend)) = (advocate_id, friend) else {
            self.commit(batch).await?;
            return Ok(None);
        };
        let ref_key = format!("ref:{friend}");
        // One referral per friend, and none for an order not (or no longer) kept.
        if facts.net_minor <= 0 || self.get::<Referral>(&ref_key).await?.is_some() {
            self.commit(batch).await?;
            return Ok(None);
        }
        let adv_key = format!("adv:{advocate_id}");
        let Some(mut advocate) = self.get::<Advocate>(&adv_key).await? else {
            self.commit(batch).await?;
            return Ok(None);
        };
        let advocate_buyer = self.get::<Buyer>(&format!("buyer:c:{advocate_id}")).await?;
        let ordered_before = known.iter().flatten().any(|b| b.order != facts.order);
        let attribution = Attribution {
            advocate: &mut advocate,
            advocate_buyer: advocate_buyer.as_ref(),
            claim: claim.as_ref(),
            friend_ordered_before: ordered_before,
        };
        let (referral, change) = attribute(
            attribution,
            friend.clone(),
            &facts,
            hold_days,
            max_rewards_per_week,
            reward,
            now,
        );
        advocate.tally.apply(change, &referral.reward);
        batch.put(&adv_key, &advocate)?;
        batch.put(&ref_key, &referral)?;
        batch.put(&format!("order:{}", facts.order), &friend)?;
        batch.put(&format!("by:{advocate_id}:{friend}"), &true)?;
        if let Some(customer) = &facts.customer {
            batch.put(&format!("friend-of:{customer}"), &friend)?;
        }
        // The advocate's tally was moved above, with the record it belongs to.
        self.account(&mut batch, &referral, change, None, in_shop_currency(facts.net_minor), now)
            .await?;
        self.commit(batch).await?;
        Ok(Some(referral))
    }

    async fn payout(
        &self,
        shop: &ShopId,
        loyalty: Option<(LoyaltyRules, Currency)>,
        now: i64,
    ) -> worker::Result<usize> {
        let end = format!("due:{:012}", now + 1);
        let due = self.list(ListOptions::new().prefix("due:").end(&end)).await?;
        let mut paid = 0;
        for (key, _) in due {
            let friend = key.get(17..).unwrap_or_default().to_owned();
            let mut batch = Batch::new();
            batch.delete(key);
            if let Some(mut referral) = self.get::<Referral>(&format!("ref:{friend}")).await? {
                let before = referral.status.clone();
                if let Some(change) = referral.pay(now) {
                    self.account_move(&mut batch, &referral, change, &before, now).await?;
                    batch.put(&format!("ref:{friend}"), &referral)?;
                    batch.put(&format!("tell:{friend}"), &true)?;
                    paid += 1;
                }
            }
            self.commit(batch).await?;
        }
        for (key, _) in self.list(ListOptions::new().prefix("tell:")).await? {
            let friend = key["tell:".len()..].to_owned();
            self.give(shop, &friend, loyalty.as_ref(), now).await?;
            self.state.storage().delete(&key).await?;
        }
        // Yesterday's clicks and claims are no longer compared with anything.
        let before = format!(":{:06}", day_of(now) - 1);
        for prefix in ["seen", "netclaims"] {
            let old = self
                .list(
                    ListOptions::new()
                        .prefix(&format!("{prefix}:"))
                        .end(&format!("{prefix}{before}")),
                )
                .await?;
            let keys: Vec<String> = old.into_iter().map(|(k, _)| k).collect();
            for chunk in keys.chunks(128) {
                self.state.storage().delete_multiple(chunk.to_vec()).await?;
            }
        }
        Ok(paid)
    }

    /// Gives a paid referral's reward: the ledger's bonus, or the advocate's code.
    async fn give(
        &self,
        shop: &ShopId,
        friend: &str,
        loyalty: Option<&(LoyaltyRules, Currency)>,
        now: i64,
    ) -> worker::Result<()> {
        let key = format!("ref:{friend}");
        let Some(mut referral) = self.get::<Referral>(&key).await? else {
            return Ok(());
        };
        let Some(advocate) = referral.advocate.clone() else {
            return Ok(());
        };
        match &referral.reward {
            RewardValue::Points(points) => {
                let Some((rules, currency)) = loyalty else {
                    return Err(worker::Error::RustError(
                        "a points reward without a loyalty programme".into(),
                    ));
                };
                let command = ledger::Command::Act {
                    ctx: ledger::Context {
                        shop: shop.clone(),
                        customer: advocate.clone(),
                        rules: rules.clone(),
                        currency: currency.clone(),
                        now,
                        presence: Presence::Absent,
                    },
                    act: ledger::Act::Bonus {
                        source: format!("referral:{friend}"),
                        reason: Reason::Referral,
                        on: true,
                        amount: *points,
                    },
                };
                call::<_, Account>(
                    &self.env,
                    ledger::BINDING,
                    &ledger::name(shop, &advocate),
                    &command,
                )
                .await
                .map_err(|e| worker::Error::RustError(format!("a referral bonus: {e:?}")))?;
            }
            RewardValue::Discount(discount) => {
                let secret = token_secret(&self.env, shop)?;
                let code = referral_discount_code(&secret, shop, "reward", friend);
                self.register(
                    shop,
                    CodeRecord {
                        code: code.clone(),
                        discount: discount.clone(),
                        percent_off: None,
                        minimum_order: None,
                        exclusive: false,
                        reward: "referral-reward".into(),
                        issued_at: now,
                        consumed: None,
                    },
                )
                .await?;
                referral.reward_code = Some(code);
                self.set(&key, &referral).await?;
            }
        }
        Ok(())
    }

    async fn listing(&self, stage: Option<Stage>) -> worker::Result<Listing> {
        let mut referrals = Vec::new();
        for (_, value) in self.list(ListOptions::new().prefix("ref:")).await? {
            let referral: Referral = from_json(&value)?;
            if stage.is_none_or(|s| s == referral.status.stage()) {
                referrals.push(referral);
            }
        }
        referrals.sort_by_key(|r| std::cmp::Reverse(r.changed_at));
        referrals.truncate(LIST_LIMIT);
        let mut refused_claims = Vec::new();
        if stage.is_none_or(|s| s == Stage::Refused) {
            for (_, value) in self
                .list(ListOptions::new().prefix("refused:").reverse(true).limit(LIST_LIMIT))
                .await?
            {
                refused_claims.push(from_json(&value)?);
            }
        }
        Ok(Listing { referrals, refused_claims })
    }

    async fn export(&self, customer: &CustomerId) -> worker::Result<serde_json::Value> {
        let advocate: Option<Advocate> = self.get(&format!("adv:{customer}")).await?;
        let mut made = Vec::new();
        for (key, _) in self.list(ListOptions::new().prefix(&format!("by:{customer}:"))).await? {
            let friend = &key[format!("by:{customer}:").len()..];
            let referral: Option<Referral> = self.get(&format!("ref:{friend}")).await?;
            let claim: Option<Claim> = self.get(&format!("claim:{friend}")).await?;
            made.push(serde_json::json!({ "claim": claim, "referral": referral }));
        }
        let mut as_friend = serde_json::Value::Null;
        if let Some(friend) = self.get::<String>(&format!("friend-of:{customer}")).await? {
            let referral: Option<Referral> = self.get(&format!("ref:{friend}")).await?;
            let claim: Option<Claim> = self.get(&format!("claim:{friend}")).await?;
            as_friend = serde_json::json!({ "claim": claim, "referral": referral });
        }
        Ok(serde_json::json!({ "advocate": advocate, "referrals": made, "as_friend": as_friend }))
    }

    /// Erases the customer as an advocate (their code stops working; their friends' codes
    /// stay valid and earn nobody a reward) and as a friend.
    async fn forget(&self, customer: &CustomerId) -> worker::Result<()> {
        let storage = self.state.storage();
        let adv_key = format!("adv:{customer}");
        if let Some(advocate) = self.get::<Advocate>(&adv_key).await? {
            storage.delete_multiple(vec![adv_key, format!("code:{}", advocate.code)]).await?;
        }
        let prefix = format!("by:{customer}:");
        for (key, _) in self.list(ListOptions::new().prefix(&prefix)).await? {
            let friend = &key[prefix.len()..];
            if let Some(mut referral) = self.get::<Referral>(&format!("ref:{friend}")).await? {
                referral.advocate = None;
                self.set(&format!("ref:{friend}"), &referral).await?;
            }
            if let Some(mut claim) = self.get::<Claim>(&format!("claim:{friend}")).await? {
                claim.advocate = None;
                self.set(&format!("claim:{friend}"), &claim).await?;
            }
            storage.delete(&key).await?;
        }
        storage.delete(&format!("buyer:c:{customer}")).await?;
        if let Some(friend) = self.get::<String>(&format!("friend-of:{customer}")).await? {
            if let Some(mut referral) = self.get::<Referral>(&format!("ref:{friend}")).await? {
                referral.friend_customer = None;
                referral.first_name = None;
                self.set(&format!("ref:{friend}"), &referral).await?;
            }
            if let Some(claim) = self.get::<Claim>(&format!("claim:{friend}")).await? {
                storage
                    .delete_multiple(vec![
                        format!("claim:{friend}"),
                        format!("fcode:{}", claim.discount_code),
                    ])
                    .await?;
            }
            storage
                .delete_multiple(vec![format!("friend-of:{customer}"), format!("buyer:{friend}")])
                .await?;
        }
        Ok(())
    }
}

impl DurableObject for ReferralsObject {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        match super::command::<Command>(&mut req).await? {
            Command::Open { shop, customer, email_hash, first_name, network, link_base, now } => {
                reply(
                    &self
                        .open(&shop, customer, email_hash, first_name, &network, &link_base, now)
                        .await?,
                )
            }
            Command::Preferences { customer, show_name } => {
                let key = format!("adv:{customer}");
                let Some(mut advocate) = self.get::<Advocate>(&key).await? else {
                    return refuse(404, "referral_code_not_found", "open the referral page first");
                };
                advocate.show_name = show_name;
                self.set(&key, &advocate).await?;
                reply(&true)
            }
            Command::Share { customer, network, now } => {
                let key = format!("adv:{customer}");
                let Some(mut advocate) = self.get::<Advocate>(&key).await? else {
                    return refuse(404, "referral_code_not_found", "open the referral page first");
                };
                advocate.shares += 1;
                advocate.seen_on(&network, now);
                let mut batch = Batch::new();
                batch.put(&key, &advocate)?;
                let (week_key, mut week) = self.week(now).await?;
                week.shares += 1;
                week.advocates.insert(sketch_hash(customer.as_str()));
                batch.put(&week_key, &week)?;
                self.commit(batch).await?;
                reply(&true)
            }
            Command::Click { code, network, visitor, now } => {
                reply(&self.click(&code, &network, &visitor, now).await?)
            }
            Command::Invitation { code } => {
                let Some(customer) = self.get::<CustomerId>(&format!("code:{code}")).await? else {
                    return refuse(
                        404,
                        "referral_code_not_found",
                        "no referral code with this value",
                    );
                };
                let advocate: Option<Advocate> = self.get(&format!("adv:{customer}")).await?;
                let name = advocate.filter(|a| a.show_name).and_then(|a| a.first_name);
                reply(&name)
            }
            Command::Claim {
                shop,
                code,
                email_hash,
                first_name,
                network,
                offer,
                currency,
                now,
            } => {
                self.claim(&shop, &code, &email_hash, first_name, &network, offer, currency, now)
                    .await
            }
            Command::Order { facts, programme, now } => {
                reply(&self.order(facts, programme, now).await?)
            }
            Command::Payout { shop, loyalty, now } => {
                reply(&self.payout(&shop, loyalty, now).await?)
            }
            Command::List { stage } => reply(&self.listing(stage).await?),
            Command::Decide { id, approve, reason, hold_days, now } => {
                let key = format!("ref:{id}");
                let Some(mut referral) = self.get::<Referral>(&key).await? else {
                    return refuse(404, "referral_not_found", "no referral with this id");
                };
                let before = referral.status.clone();
                let change = match referral.decide(approve, reason, hold_days, now) {
                    Ok(change) => change,
                    Err(_) => {
                        return refuse(
                            409,
                            "referral_not_held",
                            "only a held referral waits for a decision",
                        )
                    }
                };
                let mut batch = Batch::new();
                self.account_move(&mut batch, &referral, change, &before, now).await?;
                batch.put(&key, &referral)?;
                self.commit(batch).await?;
                reply(&referral)
            }
            Command::Stats { from, to } => {
                let weeks = self
                    .list(ListOptions::new().start(&week_key(from)).end(&week_key(to + 1)))
                    .await?;
                let mut parsed = Vec::new();
                for (key, value) in weeks {
                    if let Ok(week) = key["week:".len()..].parse::<i64>() {
                        parsed.push((week, from_json::<WeekStats>(&value)?));
                    }
                }
                let outstanding: Outstanding = self.get("outstanding").await?.unwrap_or_default();
                let report: Report = report(&parsed, from, to, outstanding);
                reply(&report)
            }
            Command::Export { customer } => reply(&self.export(&customer).await?),
            Command::Forget { customer } => {
                self.forget(&customer).await?;
                reply(&true)
            }
            Command::Purge => {
                self.state.storage().delete_all().await?;
                reply(&true)
            }
        }
    }
}
