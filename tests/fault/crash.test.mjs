// Crash consistency: the workerd runtime is killed with SIGKILL, several times, while shoppers,
// the merchant and the shop's platform write concurrently; wrangler dev is started again on the
// same state each time. Every write that was answered 2xx must then be in every view of it once
// the objects' flushes have run: the product's object (sorted list), the KV page, the admin
// export, the moderation queue, the customer export and its index, helpful-vote counts, order
// state, purchase records, the loyalty ledger, issued codes, the loyalty-member index and the
// shopper's own account read (its snapshot).
//
// CRASH_CYCLES (default 5) and CRASH_SEED choose the run; the seed is printed, so a failing run
// can be repeated with the same sequence of writes (the kill moments still vary with timing).

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, test } from "node:test";

import { admin, eventually, getJson, kvKeys, mintToken, nowSeconds, shopSecrets, startWorker } from "../support/worker.mjs";
import { prng } from "../support/random.mjs";

const SHOP = "crash";
const shop = shopSecrets(SHOP);
const GENERIC_SECRET = "gen-" + "c9".repeat(12);
const PRODUCTS = ["P0", "P1", "P2", "P3", "P4", "P5"];
const CYCLES = Number(process.env.CRASH_CYCLES ?? 5);
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
const WRITERS = 12;
/** How long after a restart the flushes may take to catch up (alarms retry with backoff). */
const FLUSH_DEADLINE_MS = 30_000;

const random = prng(SEED);
const pick = (list) => list[Math.floor(random() * list.length)];

const programme = {
  points_per_unit: 1,
  signup_bonus: 0,
  review_bonus: 0,
  rewards: [{ id: "5-off", points: 500, discount: { amount_minor: 500, currency: "EUR" } }],
};

/** Verified buyers (their reviews are published), unverified shoppers (held), and shoppers with points to redeem. */
const buyers = Array.from({ length: 60 }, (_, i) => `buyer-${i}`);
const unverified = Array.from({ length: 60 }, (_, i) => `guest-${i}`);
const spenders = Array.from({ length: 30 }, (_, i) => `spender-${i}`);

/** Everything that was answered 2xx. */
const acked = {
  reviews: new Map(), // id -> { sku, status, customer }
  votes: new Map(), // id -> votes answered 200
  orders: new Map(), // id -> { customer, sku }
  adjustments: [], // { customer, key }
  codes: [], // { customer, code }
};
const reviewsBy = new Map(buyers.concat(unverified).map((c) => [c, 0]));
const redemptionsBy = new Map(spenders.map((c) => [c, 0]));
let worker;
let address = 0;
let serial = 0;

const token = (sub) => mintToken(shop.tokenSecret, { sub, shop: SHOP, exp: nowSeconds() + 3600 });
const sign = (body) => createHmac("sha256", GENERIC_SECRET).update(body).digest("base64");
const nextIp = () => { address++; return `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address & 255}`; };

/** A write that may meet a dead runtime: any failure to get an answer is simply "not acknowledged". */
async function send(path, init) {
  try {
    const res = await fetch(`${worker.url}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
    // An answer whose body is cut off by the crash counts as unanswered.
    const body = await res.json();
    return { status: res.status, body };
  } catch {
    return { status: 0, body: null };
  }
}

async function writeReview() {
  const verified = random() < 0.5;
  const pool = (verified ? buyers : unverified).filter((c) => reviewsBy.get(c) < 4);
  if (!pool.length) return;
  const customer = pick(pool);
  reviewsBy.set(customer, reviewsBy.get(customer) + 1);
  const sku = pick(PRODUCTS);
  const res = await send(`/v1/shops/${SHOP}/products/${sku}/reviews`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token(customer)}`, "cf-connecting-ip": nextIp() },
    body: JSON.stringify({ rating: 1 + Math.floor(random() * 5), title: "Crash", body: `Review ${serial++}`, author: customer }),
  });
  if (res.status === 201 && res.body?.review) acked.reviews.set(res.body.review.id, { sku, status: res.body.status, customer });
}

async function vote() {
  const published = [...acked.reviews].filter(([, r]) => r.status === "published");
  if (!published.length) return;
  const [id, { sku }] = pick(published);
  const res = await send(`/v1/shops/${SHOP}/products/${sku}/reviews/${id}/helpful`, {
    method: "POST",
    headers: { "cf-connecting-ip": nextIp() },
  });
  if (res.status === 200) acked.votes.set(id, (acked.votes.get(id) ?? 0) + 1);
}

async function order() {
  const id = `o-${SEED}-${serial++}`;
  const customer = pick(buyers);
  const sku = pick(PRODUCTS);
  const body = JSON.stringify({
    type: "order",
    order: { id, customer, currency: "EUR", subtotal: "12.00", status: "paid", updated_at: "2026-11-20T10:00:00Z", lines: [{ product: sku, quantity: 1 }] },
  });
  const res = await send(`/v1/webhooks/${SHOP}/generic`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-rapport-signature": sign(body) },
    body,
  });
  if (res.status === 200) acked.orders.set(id, { customer, sku });
}

async function adjust() {
  const customer = pick(buyers);
  const key = `adj-${SEED}-${serial++}`;
  const res = await send(`/v1/admin/shops/${SHOP}/customers/${customer}/loyalty`, {
    method: "POST",
    headers: { authorization: `Bearer ${shop.adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ key, points: 7 }),
  });
  if (res.status === 200) acked.adjustments.push({ customer, key });
}

async function redeem() {
  const pool = spenders.filter((c) => redemptionsBy.get(c) < 8);
  if (!pool.length) return;
  const customer = pick(pool);
  redemptionsBy.set(customer, redemptionsBy.get(customer) + 1);
  const res = await send(`/v1/shops/${SHOP}/loyalty/redemptions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token(customer)}`, "content-type": "application/json", "cf-connecting-ip": nextIp() },
    body: JSON.stringify({ reward: "5-off", request: `req-${SEED}-${serial++}` }),
  });
  if (res.status === 201 && res.body?.code) acked.codes.push({ customer, code: res.body.code.code });
}

const operations = [writeReview, writeReview, writeReview, writeReview, vote, vote, order, adjust, redeem];

/** Writers run until `running.stop`; each goes on after a failed write, as a client would. */
async function writers(running) {
  await Promise.all(Array.from({ length: WRITERS }, async () => {
    while (!running.stop) await pick(operations)();
  }));
}

before(async () => {
  console.log(`crash test: seed ${SEED}, ${CYCLES} cycles (CRASH_SEED=${SEED} repeats the writes)`);
  worker = await startWorker([shop], { [`GENERIC_WEBHOOK_SECRET_${SHOP.toUpperCase()}`]: GENERIC_SECRET });
  const settings = await admin(worker.url, shop, "PUT", "", { name: "Crash", currency: "EUR", moderation: "publish_verified", loyalty: programme });
  assert.equal(settings.status, 200, JSON.stringify(settings.body));
  const products = await admin(worker.url, shop, "PUT", "/products", { products: PRODUCTS.map((sku) => ({ sku, title: `Product ${sku}` })) });
  assert.equal(products.status, 200);
  const purchases = buyers.flatMap((customer) => PRODUCTS.slice(0, 3).map((sku) => ({ customer, sku, order: `seed-${customer}` })));
  for (let i = 0; i < purchases.length; i += 100) {
    const res = await admin(worker.url, shop, "PUT", "/purchases", { purchases: purchases.slice(i, i + 100) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  // A buyer's review is verified for the products they bought: only the first three products
  // then, so verified buyers write both published (P0..P2) and held (P3..P5) reviews.
  for (const customer of spenders) {
    const res = await admin(worker.url, shop, "POST", `/customers/${customer}/loyalty`, { key: "seed", points: 100_000 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    acked.adjustments.push({ customer, key: "seed" });
  }
});
after(async () => worker?.stop());

test(`acknowledged writes survive ${CYCLES} SIGKILLs of the runtime`, { timeout: 600_000 }, async () => {
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const running = { stop: false };
    const writing = writers(running);
    await new Promise((r) => setTimeout(r, 1500 + random() * 2500));
    const killed = worker.killRuntime();
    assert.ok(killed.length > 0, "found the workerd process to kill");
    running.stop = true;
    await writing;
    await worker.restart();
    console.log(`cycle ${cycle + 1}: killed workerd ${killed.join(",")}; acknowledged so far: ${acked.reviews.size} reviews, ` +
      `${[...acked.votes.values()].reduce((a, b) => a + b, 0)} votes, ${acked.orders.size} orders, ` +
      `${acked.adjustments.length} adjustments, ${acked.codes.length} codes`);
  }
  await verify();
});

const adminGet = async (path) => {
  const res = await admin(worker.url, shop, "GET", path);
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
  return res.body;
};
const missing = (wanted, have) => wanted.filter((x) => !have.has(x));

async function verify() {
  const wanted = [...acked.reviews];
  const published = wanted.filter(([, r]) => r.status === "published").map(([id]) => id);
  const pending = wanted.filter(([, r]) => r.status === "pending").map(([id]) => id);
  assert.ok(published.length > 0 && pending.length > 0, "the run acknowledged published and held reviews");

  // The admin export and the moderation queue (KV copies and queue keys).
  await eventually(() => adminGet("/reviews"), (body) => {
    const have = new Map(body.reviews.map((r) => [r.id, r]));
    const lost = missing(wanted.map(([id]) => id), have);
    assert.deepEqual(lost, [], `${lost.length} of ${wanted.length} acknowledged reviews missing from the admin export`);
    for (const [id, votes] of acked.votes) {
      assert.ok(have.get(id).helpful >= votes, `review ${id}: ${have.get(id).helpful} helpful in the export, ${votes} votes acknowledged`);
    }
  }, FLUSH_DEADLINE_MS);
  await eventually(() => adminGet("/reviews?status=pending"), (body) => {
    const have = new Set(body.reviews.map((r) => r.id));
    const lost = missing(pending, have);
    assert.deepEqual(lost, [], `${lost.length} of ${pending.length} held reviews missing from the moderation queue`);
    const wrong = published.filter((id) => have.has(id));
    assert.deepEqual(wrong, [], "published reviews in the moderation queue");
  }, FLUSH_DEADLINE_MS);

  // Each product: the object's sorted list and the KV page agree and hold every published review.
  const objectHelpful = new Map();
  for (const sku of PRODUCTS) {
    const listed = new Map();
    let total = 0;
    for (let page = 1; ; page++) {
      const res = await getJson(`${worker.url}/v1/shops/${SHOP}/products/${sku}/reviews?sort=newest&page=${page}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      for (const r of res.body.reviews) listed.set(r.id, r);
      total = res.body.total;
      if (page >= res.body.pages) break;
    }
    for (const [id, r] of listed) objectHelpful.set(id, r.helpful);
    const ours = wanted.filter(([, r]) => r.sku === sku && r.status === "published").map(([id]) => id);
    assert.deepEqual(missing(ours, listed), [], `${sku}: published reviews missing from the object's list`);
    await eventually(() => getJson(`${worker.url}/v1/shops/${SHOP}/products/${sku}/reviews`), (res) => {
      assert.equal(res.status, 200);
      assert.equal(res.body.summary.count, total, `${sku}: the KV page's summary counts what the object lists`);
      for (const r of res.body.reviews) assert.equal(r.helpful, listed.get(r.id)?.helpful, `${sku}: review ${r.id} on the KV page`);
    }, FLUSH_DEADLINE_MS);
  }
  for (const [id, votes] of acked.votes) {
    assert.ok(objectHelpful.get(id) >= votes, `review ${id}: ${objectHelpful.get(id)} helpful, ${votes} votes acknowledged`);
  }
  // The export's copies carry the object's counts once flushed.
  await eventually(() => adminGet("/reviews"), (body) => {
    for (const r of body.reviews) {
      if (objectHelpful.has(r.id)) assert.equal(r.helpful, objectHelpful.get(r.id), `review ${r.id}: helpful in the export`);
    }
  }, FLUSH_DEADLINE_MS);

  // Orders: their state, and the buyer's purchase records and index.
  for (const [id] of acked.orders) {
    const state = await adminGet(`/orders/generic:${id}`);
    assert.equal(state.order?.id, id);
    assert.equal(state.paid, true);
  }

  // Each customer's export: their reviews, orders and purchases; their ledger.
  const customers = new Set([...acked.reviews.values()].map((r) => r.customer));
  for (const { customer } of acked.orders.values()) customers.add(customer);
  for (const { customer } of acked.adjustments.concat(acked.codes)) customers.add(customer);
  for (const customer of customers) {
    const theirReviews = wanted.filter(([, r]) => r.customer === customer).map(([id]) => id);
    const theirOrders = [...acked.orders].filter(([, o]) => o.customer === customer);
    await eventually(() => adminGet(`/customers/${customer}`), (body) => {
      const reviews = new Set(body.reviews.map((r) => r.id));
      assert.deepEqual(missing(theirReviews, reviews), [], `${customer}: reviews missing from their export`);
      const orders = new Set(body.orders.map((o) => o.order));
      assert.deepEqual(missing(theirOrders.map(([id]) => `generic:${id}`), orders), [], `${customer}: orders missing from their export`);
      const purchases = new Set(body.purchases.map((p) => `${p.product}/${p.order}`));
      assert.deepEqual(missing(theirOrders.map(([id, o]) => `${o.sku}/generic:${id}`), purchases), [], `${customer}: purchases missing`);
    }, FLUSH_DEADLINE_MS);
  }
  const members = new Set(kvKeys(worker, `${SHOP}/loyalty-member/`).map((k) => k.split("/").pop()));
  for (const customer of customers) {
    const sources = new Set();
    const codes = new Set();
    const theirs = (list) => list.filter((x) => x.customer === customer);
    const expectsLedger = theirs(acked.adjustments).length + theirs(acked.codes).length + [...acked.orders.values()].filter((o) => o.customer === customer).length > 0;
    if (!expectsLedger) continue;
    const { ledger } = await adminGet(`/customers/${customer}/loyalty`);
    for (const e of ledger.entries) sources.add(e.source);
    for (const c of ledger.codes) codes.add(c.code);
    assert.deepEqual(missing(theirs(acked.adjustments).map((a) => `adjust:${a.key}`), sources), [], `${customer}: adjustments missing`);
    const orderSources = [...acked.orders].filter(([, o]) => o.customer === customer).map(([id]) => `order:generic:${id}`);
    assert.deepEqual(missing(orderSources, sources), [], `${customer}: order awards missing`);
    assert.deepEqual(missing(theirs(acked.codes).map((c) => c.code), codes), [], `${customer}: codes missing`);
    assert.ok(members.has(customer), `${customer} has a ledger but no loyalty-member key (the shop's erasure would miss it)`);
    // What the shopper reads (their account snapshot, while it holds) is what the ledger holds.
    const read = () => getJson(`${worker.url}/v1/shops/${SHOP}/loyalty`, { headers: { authorization: `Bearer ${token(customer)}` } });
    assert.equal((await read()).status, 200); // the visit settles what it is due
    const { account } = await adminGet(`/customers/${customer}/loyalty`);
    await eventually(read, ({ body }) => {
      assert.equal(body.account.balance, account.balance, `${customer}: the shopper reads another balance than the ledger's`);
      assert.deepEqual(body.account.codes, account.codes, `${customer}: the shopper reads other codes than the ledger's`);
    }, FLUSH_DEADLINE_MS);
  }
  for (const { code } of acked.codes) {
    const res = await admin(worker.url, shop, "GET", `/discount-codes/${encodeURIComponent(code)}`);
    assert.equal(res.status, 200, `code ${code}: ${JSON.stringify(res.body)}`);
  }
}
