// Loyalty against the built Worker in workerd: the programme, the shopper's account, awards from
// real order webhooks, redemptions and the checkout's discount-code API, under concurrency.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import {
  admin, getJson, kvGetJson, kvKeys, kvPutJson, mintToken, nowSeconds, root, shopSecrets, startWorker,
} from "../support/worker.mjs";

const acme = shopSecrets("acme");
const plain = shopSecrets("plain");
const GENERIC_SECRET = "gen-" + "q4".repeat(12);
const SHOPIFY_SECRET = "shpss_" + "b7".repeat(16);
const ORIGIN = "https://acme.example";
let worker;

const programme = {
  points_per_unit: 1,
  signup_bonus: 100,
  review_bonus: 50,
  birthday_bonus: 200,
  tiers: [
    { id: "silver", name: "Silver", threshold: 1000, entry_bonus: 0, multiplier_percent: 125 },
    { id: "gold", name: "Gold", threshold: 5000, multiplier_percent: 150 },
  ],
  expiry_days: 365,
  rewards: [
    { id: "5-off", points: 500, discount: { amount_minor: 500, currency: "EUR" } },
    { id: "20-off", points: 1800, discount: { amount_minor: 2000, currency: "EUR" } },
  ],
};

const token = (sub, { shop = "acme", secret = acme.tokenSecret, exp = nowSeconds() + 600 } = {}) =>
  mintToken(secret, { sub, shop, exp });

async function shopper(method, path, customer, body, headers = {}) {
  const res = await fetch(`${worker.url}/v1/shops/acme/loyalty${path}`, {
    method,
    headers: {
      ...(customer ? { authorization: `Bearer ${token(customer)}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json().catch(() => null) };
}
const account = async (customer) => {
  const res = await shopper("GET", "", customer);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.account;
};
const ledger = async (customer) => (await admin(worker.url, acme, "GET", `/customers/${customer}/loyalty`)).body;
const adjust = (customer, points, key = "k" + Math.random().toString(36).slice(2)) =>
  admin(worker.url, acme, "POST", `/customers/${customer}/loyalty`, { key, points });
const redeem = (customer, reward, request) => shopper("POST", "/redemptions", customer, { reward, ...(request ? { request } : {}) });

const sign = (body, secret = GENERIC_SECRET) => createHmac("sha256", secret).update(body).digest("base64");
const fixture = (path) => JSON.parse(readFileSync(join(root, "../shared/fixtures", path), "utf8"));
async function shopify(topic, payload) {
  const body = JSON.stringify(payload);
  const res = await fetch(`${worker.url}/v1/webhooks/acme/shopify`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-shopify-topic": topic, "x-shopify-hmac-sha256": sign(body, SHOPIFY_SECRET) },
    body,
  });
  return res.status;
}
async function deliver(payload) {
  const body = JSON.stringify(payload);
  const res = await fetch(`${worker.url}/v1/webhooks/acme/generic`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-rapport-signature": sign(body) },
    body,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}
const paidOrder = (id, customer, subtotal, updated_at = "2026-11-20T10:00:00Z", status = "paid") => ({
  type: "order",
  order: { id, customer, currency: "EUR", subtotal, status, updated_at, lines: [{ product: "TENT", quantity: 1 }] },
});
const refund = (order_id, refund_id, amount) => ({ type: "refund", order_id, refund_id, amount, currency: "EUR" });
const orderPoints = (l, id) => l.ledger.entries.filter((e) => e.source === `order:generic:${id}`).reduce((s, e) => s + e.points, 0);

before(async () => {
  worker = await startWorker([acme, plain], { GENERIC_WEBHOOK_SECRET_ACME: GENERIC_SECRET, SHOPIFY_WEBHOOK_SECRET_ACME: SHOPIFY_SECRET });
  const settings = await admin(worker.url, acme, "PUT", "", {
    name: "Acme Outdoor", currency: "EUR", allowed_origins: [ORIGIN], sign_in_url: "https://acme.example/account/login", loyalty: programme,
  });
  assert.equal(settings.status, 200, JSON.stringify(settings.body));
  assert.equal((await admin(worker.url, acme, "PUT", "/products", { products: [{ sku: "TENT", title: "Tent" }] })).status, 200);
  assert.equal((await admin(worker.url, plain, "PUT", "", { name: "Plain", currency: "EUR" })).status, 200);
});
after(async () => worker?.stop());

describe("the programme and the shopper's account", () => {
  test("signed out: the programme only, cacheable", async () => {
    const res = await shopper("GET", "");
    assert.equal(res.status, 200);
    assert.equal(res.body.account, undefined);
    assert.equal(res.body.programme.shop_name, "Acme Outdoor");
    assert.equal(res.body.programme.sign_in_url, "https://acme.example/account/login");
    assert.deepEqual(res.body.programme.rules.rewards.map((r) => r.id), ["5-off", "20-off"]);
    assert.match(res.headers.get("cache-control"), /public/);
    // A cache must not answer a signed-in request with this signed-out view.
    assert.match(res.headers.get("vary"), /authorization/i);
  });

  test("a shop without a programme says so", async () => {
    const res = await getJson(`${worker.url}/v1/shops/plain/loyalty`);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "loyalty_not_enabled");
  });

  test("signed in: the sign-up bonus once, private", async () => {
    const first = await shopper("GET", "", "ann");
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("cache-control"), "private, no-store");
    assert.equal(first.body.account.balance, 100);
    assert.equal((await account("ann")).balance, 100);
    assert.deepEqual((await account("ann")).history.map((e) => e.reason), ["signup"]);
  });

  test("the sign-up bonus waits for the shopper's own signed-in visit, not an adjustment or an order", async () => {
    const signup = async (customer) => (await ledger(customer)).ledger.entries.filter((e) => e.source === "signup");
    assert.equal((await adjust("una", 10)).status, 200);
    assert.equal((await deliver(paidOrder("SU-1", "una", "20.00"))).status, 200);
    assert.equal((await deliver(paidOrder("SU-2", "vic", "30.00"))).status, 200);
    assert.deepEqual(await signup("una"), [], "the merchant's adjustment and the order pay no sign-up bonus");
    assert.deepEqual(await signup("vic"), [], "an order alone pays no sign-up bonus");
    assert.equal((await ledger("vic")).account.balance, 30);
    assert.equal((await account("una")).balance, 10 + 20 + 100, "paid on the first signed-in visit");
    await account("una");
    assert.equal((await signup("una")).length, 1, "and once");
  });

  test("an expired, forged or other shop's token: 401 and no data", async () => {
    const tokens = [
      token("ann", { exp: nowSeconds() - 3600 }),
      token("ann", { secret: "x".repeat(40) }),
      token("ann", { shop: "plain", secret: plain.tokenSecret }),
      "not-a-token",
    ];
    for (const t of tokens) {
      for (const [method, path, body] of [["GET", ""], ["POST", "/redemptions", { reward: "5-off" }], ["POST", "/birthday", { month: 1, day: 2 }]]) {
        const res = await shopper(method, path, null, body, { authorization: `Bearer ${t}` });
        assert.equal(res.status, 401, `${method} ${path} ${JSON.stringify(res.body)}`);
        assert.deepEqual(Object.keys(res.body), ["error"]);
      }
    }
    // A storefront the shop does not list cannot read an account.
    const res = await shopper("GET", "", "ann", undefined, { origin: "https://evil.example" });
    assert.equal(res.status, 403);
    const ok = await shopper("GET", "", "ann", undefined, { origin: ORIGIN });
    assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
  });
});

describe("the rendered first view", () => {
  const html = (query, headers = {}, shop = "acme") => fetch(`${worker.url}/v1/shops/${shop}/loyalty.html${query}`, { headers });

  test("signed out: the programme as the widget draws it, with its data, public", async () => {
    const res = await html("?mode=inline&css=none");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^text\/html/);
    assert.match(res.headers.get("cache-control"), /^public/);
    assert.match(res.headers.get("vary"), /authorization/i);
    const text = await res.text();
    assert.match(text, /<h2 id="rapport-loyalty-title" part="title">Acme Outdoor rewards<\/h2>/);
    assert.match(text, /href="https:\/\/acme.example\/account\/login"/);
    const data = JSON.parse(text.match(/class="rapport-data">([^<]*)<\/script>/)[1]);
    assert.equal(data.account, undefined);
    assert.equal(data.programme.shop_name, "Acme Outdoor");
    // The words travel with the view; the notice for an expired sign-in is not drawn.
    const drawn = (t) => t.split('<script type="application/json" class="rapport-strings">')[0];
    assert.doesNotMatch(drawn(text), /Sign in again/);
    assert.match(drawn(await (await html("?expired=1")).text()), /Sign in again to see your points/);
  });

  test("signed in: the shopper's balance, private, and only to the shop's origins", async () => {
    const auth = { authorization: `Bearer ${token("hal")}` };
    const res = await html("?mode=launcher&css=none", { ...auth, origin: ORIGIN });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "private, no-store");
    assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
    const text = await res.text();
    assert.match(text, /class="launcher-balance">100 points</);
    assert.equal(JSON.parse(text.match(/class="rapport-data">([^<]*)<\/script>/)[1]).account.balance, 100);
    assert.equal((await html("", { ...auth, origin: "https://evil.example" })).status, 403);
  });

  test("bad tokens, options and shops are JSON errors", async () => {
    const cases = [
      ["", { authorization: "Bearer not-a-token" }, "acme", 401, "token_malformed"],
      ["?mode=popup", {}, "acme", 400, "invalid_field"],
      ["?locale=klingon-x", {}, "acme", 400, "invalid_field"],
      ["?expired=1", { authorization: `Bearer ${token("hal")}` }, "acme", 400, "invalid_field"],
      ["?expired=yes", {}, "acme", 400, "invalid_field"],
      ["", {}, "plain", 404, "loyalty_not_enabled"],
      ["", {}, "nope", 404, "shop_not_found"],
    ];
    for (const [query, headers, shop, status, code] of cases) {
      const res = await html(query, headers, shop);
      assert.equal(res.status, status, `${shop} ${query}`);
      const body = await res.json();
      assert.ok(body.error.code.startsWith(code.replace(/_malformed$/, "_")), `${shop} ${query}: ${body.error.code}`);
    }
    // A refused option is refused before the shopper's ledger is opened: no sign-up bonus paid.
    assert.equal((await html("?mode=popup", { authorization: `Bearer ${token("ivy")}` })).status, 400);
    const after = await ledger("ivy");
    assert.deepEqual((after.ledger?.entries ?? []).filter((e) => e.source === "signup"), [], JSON.stringify(after));
  });
});

describe("awards from orders, exactly once", () => {
  test("the same paid-order delivery ten times at once is awarded once", async () => {
    const deliveries = await Promise.all(Array.from({ length: 10 }, () => deliver(paidOrder("L-1", "bob", "123.45"))));
    assert.deepEqual(deliveries.map((d) => d.status), Array(10).fill(200));
    const l = await ledger("bob");
    assert.equal(orderPoints(l, "L-1"), 123);
    assert.equal(l.ledger.entries.filter((e) => e.source === "order:generic:L-1").length, 1);
  });

  test("a refund reverses exactly what its order awarded", async () => {
    await deliver(paidOrder("L-2", "bob", "200.00"));
    assert.equal(orderPoints(await ledger("bob"), "L-2"), 200);
    await deliver(refund("L-2", "r-1", "50.00"));
    await deliver(refund("L-2", "r-1", "50.00")); // a retry
    assert.equal(orderPoints(await ledger("bob"), "L-2"), 150);
    await deliver(refund("L-2", "r-2", "150.00"));
    assert.equal(orderPoints(await ledger("bob"), "L-2"), 0);
  });

  test("a refund that arrives before its order: the order earns only what was kept", async () => {
    await deliver(refund("L-3", "r-1", "40.00"));
    assert.equal((await ledger("cat")).ledger.entries.length, 0, "no order, no customer yet");
    await deliver(paidOrder("L-3", "cat", "100.00"));
    await deliver(paidOrder("L-3", "cat", "100.00"));
    assert.equal(orderPoints(await ledger("cat"), "L-3"), 60);
  });

  test("Shopify's own order and refund payloads: ten deliveries award once, the refund takes back its share", async () => {
    // The sample order: customer 207119551, subtotal 398.00 USD (points are per unit of the
    // order's currency).
    const order = { ...fixture("shopify/order.json").order, id: 7001, financial_status: "paid" };
    const statuses = await Promise.all(Array.from({ length: 10 }, () => shopify("orders/paid", order)));
    assert.deepEqual([...new Set(statuses)], [200]);
    const points = async () => (await ledger("207119551")).ledger.entries.filter((e) => e.source === "order:shopify:7001");
    assert.deepEqual((await points()).map((e) => e.points), [398]);
    const refund = { ...fixture("shopify/refund.json").refund, order_id: 7001, id: 99 };
    refund.transactions = [{ amount: "100.00", kind: "refund", status: "success", currency: "USD" }];
    assert.equal(await shopify("refunds/create", refund), 200);
    assert.equal(await shopify("refunds/create", refund), 200);
    assert.deepEqual((await points()).map((e) => [e.reason, e.points]), [["order", 398], ["refund", -100]]);
  });

  test("a cancellation reverses, and an older update arriving late does not restore", async () => {
    await deliver(paidOrder("L-4", "dan", "80.00", "2026-11-20T10:00:00Z"));
    await deliver(paidOrder("L-4", "dan", "80.00", "2026-11-21T10:00:00Z", "cancelled"));
    await deliver(paidOrder("L-4", "dan", "80.00", "2026-11-20T12:00:00Z"));
    assert.equal(orderPoints(await ledger("dan"), "L-4"), 0);
  });
});

describe("redemptions", () => {
  test("100 concurrent redemptions against a balance that covers one: one code, never negative", async () => {
    assert.equal((await adjust("eve", 400)).status, 200); // with the sign-up bonus: 500
    assert.equal((await account("eve")).balance, 500);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => redeem("eve", "5-off", `race-${i}`)));
    const issued = results.filter((r) => r.status === 201);
    assert.equal(issued.length, 1, JSON.stringify(results.filter((r) => r.status !== 409).map((r) => r.body)));
    for (const r of results.filter((r) => r.status !== 201)) {
      assert.equal(r.status, 409);
      assert.equal(r.body.error.code, "insufficient_points");
    }
    const l = await ledger("eve");
    assert.equal(l.account.balance, 0);
    let running = 0;
    for (const e of l.ledger.entries) {
      running += e.points;
      assert.ok(running >= 0, "the balance never went below zero");
    }
    assert.equal(l.ledger.entries.filter((e) => e.reason === "redemption").length, 1);
    const code = issued[0].body.code.code;
    assert.match(code, /^RP-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    assert.equal(issued[0].body.account.balance, 0);
    const verified = await admin(worker.url, acme, "GET", `/discount-codes/${code}`);
    assert.equal(verified.status, 200);
    assert.deepEqual(verified.body.discount, { amount_minor: 500, currency: "EUR" });
    assert.equal(verified.body.consumed, undefined);
  });

  test("a retried redemption returns the same code and spends once", async () => {
    await adjust("fay", 900);
    const [a, b] = [await redeem("fay", "5-off", "click-1"), await redeem("fay", "5-off", "click-1")];
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.equal(a.body.code.code, b.body.code.code);
    assert.equal((await account("fay")).balance, 500);
    assert.deepEqual((await account("fay")).codes.map((c) => c.code), [a.body.code.code]);
  });

  test("beyond the balance, an unknown reward, a malformed body: refused, nothing changes", async () => {
    await adjust("gus", 100);
    const before = await ledger("gus");
    const cases = [
      [redeem("gus", "20-off"), 409, "insufficient_points"],
      [redeem("gus", "free-yacht"), 404, "reward_not_found"],
      [shopper("POST", "/redemptions", "gus", "{\"reward\":"), 400, "invalid_json"],
      [shopper("POST", "/redemptions", "gus", { nothing: true }), 400, "invalid_json"],
      [shopper("POST", "/redemptions", "gus", { reward: "5-off", request: "<script>" }), 400, "invalid_field"],
      [shopper("POST", "/redemptions", "gus", { reward: "5-off", pad: "x".repeat(10_000) }), 413, "payload_too_large"],
      [shopper("POST", "/redemptions", "gus", "reward=5-off", { "content-type": "application/x-www-form-urlencoded" }), 415, "unsupported_media_type"],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.error.code, code);
    }
    assert.deepEqual(await ledger("gus"), before);
  });
});

describe("numbers that do not fit", () => {
  test("an adjustment beyond the limit, however large, is a 400 naming points, and changes nothing", async () => {
    await adjust("ivy", 100);
    const before = await ledger("ivy");
    for (const points of ["-9223372036854775808", "9223372036854775807", "-10000001", "10000001", "0", "9223372036854775808", "-1e300", "2.5"]) {
      const res = await admin(worker.url, acme, "POST", "/customers/ivy/loyalty", `{"key":"huge","points":${points}}`);
      assert.equal(res.status, 400, `${points}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, "invalid_field", points);
      assert.match(res.body.error.message, /`points`/, points);
    }
    assert.deepEqual(await ledger("ivy"), before);
    assert.equal((await adjust("ivy", -10_000_000)).status, 200, "the limit itself is allowed");
  });

  test("an order or refund amount beyond any real one is a 400 and awards nothing", async () => {
    for (const payload of [
      paidOrder("BIG-1", "ivy", "92233720368547758.08"),
      paidOrder("BIG-2", "ivy", "10000000000000.01"),
      paidOrder("BIG-3", "ivy", "1.00", "2026-11-20T10:00:00+99999999999999999:00"),
      refund("BIG-4", "r-1", "99999999999999999999"),
    ]) {
      const res = await deliver(payload);
      assert.equal(res.status, 400, `${JSON.stringify(payload)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, "invalid_payload");
    }
    assert.ok(!(await ledger("ivy")).ledger.entries.some((e) => e.source.startsWith("order:")));
  });
});

describe("discount codes at the checkout", () => {
  let code;
  before(async () => {
    await adjust("hal", 1000);
    code = (await redeem("hal", "5-off")).body.code.code;
  });

  test("consumed twice at once: accepted once", async () => {
    const results = await Promise.all([1, 2].map((n) => admin(worker.url, acme, "POST", `/discount-codes/${code}/consume`, { order: `checkout-${n}` })));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
    assert.equal(results.find((r) => r.status === 409).body.error.code, "code_already_used");
    const record = (await admin(worker.url, acme, "GET", `/discount-codes/${code}`)).body;
    assert.ok(record.consumed.order.startsWith("checkout-"));
    // Typed loosely at the till: still the same code, still used.
    const loose = code.toLowerCase().replaceAll("-", " ");
    assert.equal((await admin(worker.url, acme, "POST", `/discount-codes/${encodeURIComponent(loose)}/consume`)).status, 409);
  });

  test("unknown codes, another shop and no admin key", async () => {
    assert.equal((await admin(worker.url, acme, "GET", "/discount-codes/RP-00000-00000")).body.error.code, "code_not_found");
    assert.equal((await admin(worker.url, acme, "GET", "/discount-codes/hello")).status, 404);
    // The code belongs to acme: plain's admin cannot see or use it, acme's code space is its own.
    assert.equal((await admin(worker.url, plain, "GET", `/discount-codes/${code}`)).status, 404);
    const forged = await fetch(`${worker.url}/v1/admin/shops/acme/discount-codes/${code}/consume`, { method: "POST", headers: { authorization: `Bearer ${plain.adminKey}` } });
    assert.equal(forged.status, 401);
  });
});

describe("more ways to earn", () => {
  test("a birthday is set once, and a date must be a date", async () => {
    assert.equal((await shopper("POST", "/birthday", "ivy", { month: 2, day: 30 })).body.error.code, "not_a_date");
    const set = await shopper("POST", "/birthday", "ivy", { month: 7, day: 14 });
    assert.equal(set.status, 200);
    assert.deepEqual([set.body.birthday.month, set.body.birthday.day], [7, 14]);
    const again = await shopper("POST", "/birthday", "ivy", { month: 7, day: 15 });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "birthday_already_set");
  });

  test("a published review from a verified buyer earns the review bonus", async () => {
    await deliver(paidOrder("L-9", "jon", "10.00"));
    const res = await fetch(`${worker.url}/v1/shops/acme/products/TENT/reviews`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token("jon")}`, "cf-connecting-ip": "10.7.7.7" },
      body: JSON.stringify({ rating: 5, body: "Kept us dry all week.", author: "Jon" }),
    });
    const submitted = await res.json();
    assert.equal(res.status, 201, JSON.stringify(submitted));
    assert.equal(submitted.review.verified, true);
    const l = await ledger("jon");
    assert.deepEqual(l.ledger.entries.filter((e) => e.reason === "review").map((e) => e.points), [50]);
    // Rejected afterwards: the bonus goes back.
    const id = submitted.review.id;
    assert.equal((await admin(worker.url, acme, "PUT", `/products/TENT/reviews/${id}`, { status: "rejected" })).status, 200);
    assert.equal((await ledger("jon")).ledger.entries.filter((e) => e.reason === "review").reduce((s, e) => s + e.points, 0), 0);
  });
});

describe("the account read from the snapshot its ledger wrote", () => {
  const key = (customer) => `acme/loyalty-account/${customer}`;

  test("every change of the ledger is in the next read: an adjustment, an order, a redemption and its code", async () => {
    assert.equal((await account("sol")).balance, 100);
    assert.deepEqual(kvKeys(worker, key("sol")), [key("sol")], "the first read wrote the snapshot");
    assert.equal((await adjust("sol", 450)).status, 200);
    assert.equal((await account("sol")).balance, 550);
    assert.equal((await deliver(paidOrder("S-1", "sol", "20.00"))).status, 200);
    assert.equal((await account("sol")).balance, 570);
    const redeemed = await redeem("sol", "5-off", "sol-1");
    assert.equal(redeemed.status, 201, JSON.stringify(redeemed.body));
    const after = await account("sol");
    assert.equal(after.balance, 70);
    assert.deepEqual(after.codes.map((c) => c.code), [redeemed.body.code.code], "the code, registered, in the read after");
    assert.deepEqual(kvGetJson(worker, key("sol")).account, after, "the snapshot is what was answered");
  });

  test("a read is answered from the snapshot while it holds, and from the ledger once its time or programme has passed", async () => {
    const real = await account("ida");
    const snapshot = kvGetJson(worker, key("ida"));
    assert.ok(snapshot.until > nowSeconds(), `holds until ${snapshot.until}`);
    // A snapshot written by hand shows that the read takes it as it is, without the ledger.
    kvPutJson(worker, key("ida"), { ...snapshot, account: { ...real, balance: 12345 } });
    assert.equal((await account("ida")).balance, 12345);
    // Its time passed: the ledger answers, and writes the snapshot again.
    kvPutJson(worker, key("ida"), { ...snapshot, account: { ...real, balance: 12345 }, until: nowSeconds() - 1 });
    assert.equal((await account("ida")).balance, real.balance);
    assert.equal(kvGetJson(worker, key("ida")).account.balance, real.balance);
    // Computed under another programme: the ledger answers under the shop's programme now.
    kvPutJson(worker, key("ida"), { ...snapshot, account: { ...real, balance: 12345 }, programme: "W/\"0\"" });
    assert.equal((await account("ida")).balance, real.balance);
  });

  test("a changed programme is in the next read", async () => {
    const before = await account("max");
    assert.equal(before.next_tier.name, "Silver");
    const renamed = { ...programme, tiers: programme.tiers.map((t) => ({ ...t, name: t.id === "silver" ? "Argent" : t.name })) };
    const put = (loyalty) => admin(worker.url, acme, "PUT", "", {
      name: "Acme Outdoor", currency: "EUR", allowed_origins: [ORIGIN], sign_in_url: "https://acme.example/account/login", loyalty,
    });
    try {
      assert.equal((await put(renamed)).status, 200);
      assert.equal((await account("max")).next_tier.name, "Argent");
    } finally {
      assert.equal((await put(programme)).status, 200);
    }
    assert.equal((await account("max")).next_tier.name, "Silver");
  });
});

describe("privacy", () => {
  test("the export holds the ledger, and erasing the customer removes it", async () => {
    await deliver(paidOrder("L-10", "kim", "30.00"));
    await shopper("GET", "", "kim");
    const exported = await admin(worker.url, acme, "GET", "/customers/kim");
    assert.equal(exported.status, 200);
    assert.ok(exported.body.loyalty.entries.some((e) => e.source === "order:generic:L-10"));
    assert.deepEqual(kvKeys(worker, "acme/loyalty-account/kim"), ["acme/loyalty-account/kim"]);
    assert.equal((await admin(worker.url, acme, "DELETE", "/customers/kim")).status, 200);
    assert.deepEqual(kvKeys(worker, "acme/loyalty-account/kim"), [], "the account snapshot is erased too");
    const after = await ledger("kim");
    assert.deepEqual(after.ledger.entries, []);
    assert.equal(after.account.balance, 0);
    assert.equal((await admin(worker.url, acme, "GET", "/customers/kim")).body.loyalty, null);
    // The order delivered again does not bring the points back to the erased customer.
    await deliver(paidOrder("L-10", "kim", "30.00", "2026-11-22T10:00:00Z"));
    assert.deepEqual((await ledger("kim")).ledger.entries, []);
  });
});
