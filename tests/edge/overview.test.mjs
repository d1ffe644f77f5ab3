// The merchant's overview and loyalty pages against the built Worker in workerd: weekly figures
// that follow reviews, ledgers and orders as they arrive (repeated deliveries, a refund, an
// erased customer), the programme editor's inline errors with nothing saved, adjustments applied
// once per form, the discount-code lookup, and every refused write changing nothing.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { admin, eventually, mintToken, nowSeconds, shopSecrets, startWorker } from "../support/worker.mjs";

const acme = shopSecrets("acme");
const other = shopSecrets("other-shop");
const GENERIC_SECRET = "gen-" + "w9".repeat(12);
let worker;
let address = 1;

const programme = {
  points_per_unit: 1,
  signup_bonus: 0,
  review_bonus: 0,
  rewards: [
    { id: "5-off", points: 500, discount: { amount_minor: 500, currency: "EUR" } },
    { id: "12-off", points: 1000, discount: { amount_minor: 1200, currency: "EUR" } },
  ],
};

async function post(path, fields, { cookie, origin = worker.url } = {}) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  const headers = { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": `10.5.0.${address++ & 255}` };
  if (origin) headers.origin = origin;
  if (cookie) headers.cookie = cookie;
  const res = await fetch(`${worker.url}${path}`, { method: "POST", headers, body, redirect: "manual" });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* a page */ }
  return { status: res.status, headers: res.headers, text, json };
}

async function get(path, cookie) {
  const res = await fetch(`${worker.url}${path}`, { headers: cookie ? { cookie } : {}, redirect: "manual" });
  return { status: res.status, text: await res.text() };
}

async function signIn(secrets = acme) {
  const res = await post("/admin/sign-in", { shop: secrets.shop, key: secrets.adminKey });
  assert.equal(res.status, 303, res.text);
  const cookie = (res.headers.get("set-cookie") || "").split(";")[0];
  const page = await get(`/admin/${secrets.shop}/loyalty`, cookie);
  return { cookie, csrf: /name="csrf" value="([0-9a-f]+)"/.exec(page.text)[1] };
}

const sign = (body) => createHmac("sha256", GENERIC_SECRET).update(body).digest("base64");
async function deliver(payload) {
  const body = JSON.stringify(payload);
  const res = await fetch(`${worker.url}/v1/webhooks/acme/generic`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-rapport-signature": sign(body) },
    body,
  });
  assert.equal(res.status, 200, await res.text());
}
const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
const paidOrder = (id, customer, subtotal) => ({
  type: "order",
  order: { id, customer, currency: "EUR", subtotal, status: "paid", updated_at: now, lines: [{ product: "MUG", quantity: 1 }] },
});

async function review(rating, customer) {
  const res = await fetch(`${worker.url}/v1/shops/acme/products/MUG/reviews`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "cf-connecting-ip": `10.4.0.${address++ & 255}`,
      ...(customer ? { authorization: `Bearer ${mintToken(acme.tokenSecret, { sub: customer, shop: "acme", exp: nowSeconds() + 600 })}` } : {}),
    },
    body: JSON.stringify({ rating, title: "Mug", body: "A good mug for the morning.", author: "Ann" }),
  });
  assert.equal(res.status, 201, await res.text());
}

/** This week's row, from the admin API. */
const thisWeek = async () => {
  const res = await admin(worker.url, acme, "GET", "/overview?weeks=2");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.weeks.at(-1);
};
const ledger = async (customer) => (await admin(worker.url, acme, "GET", `/customers/${customer}/loyalty`)).body;

before(async () => {
  worker = await startWorker([acme, other], { GENERIC_WEBHOOK_SECRET_ACME: GENERIC_SECRET });
  const settings = await admin(worker.url, acme, "PUT", "", { name: "Acme", currency: "EUR", loyalty: programme });
  assert.equal(settings.status, 200, JSON.stringify(settings.body));
  assert.equal((await admin(worker.url, acme, "PUT", "/products", { products: [{ sku: "MUG", title: "Mug" }] })).status, 200);
  assert.equal((await admin(worker.url, other, "PUT", "", { name: "Other", currency: "EUR" })).status, 200);
});
after(async () => worker?.stop());

describe("the overview's figures", () => {
  test("follow orders, points and reviews as they arrive; a repeated delivery counts once", async () => {
    await deliver(paidOrder("O-1", "ann", "40.00"));
    await deliver(paidOrder("O-1", "ann", "40.00")); // a retry
    await deliver(paidOrder("O-2", "ann", "60.00"));
    await deliver(paidOrder("O-3", "bob", "300.00"));
    await review(5, "ann");
    await review(4, "bob");
    await review(3);
    await eventually(thisWeek, (w) => {
      assert.equal(w.reviews, 3);
      assert.equal(w.average_rating, 4);
      assert.equal(w.verified_share, 2 / 3, "ann and bob bought the mug");
      assert.equal(w.members, 2);
      assert.equal(w.points_issued, 400);
      assert.equal(w.points_outstanding, 400);
      assert.equal(w.outstanding_worth_minor, 480, "at the best reward: 12.00 for 1000 points");
      assert.equal(w.repeat_rate, 0.5);
      assert.equal(w.orders_per_customer, 1.5);
    }, 10_000);
  });

  test("a refund in full takes the order back out; the page shows the same figures", async () => {
    await deliver({ type: "refund", order_id: "O-2", refund_id: "r-1", amount: "60.00", currency: "EUR" });
    await eventually(thisWeek, (w) => {
      assert.equal(w.repeat_rate, 0);
      assert.equal(w.orders_per_customer, 1);
      assert.equal(w.points_issued, 340, "60 points taken back");
    }, 10_000);
    const { cookie } = await signIn();
    const page = await get("/admin/acme/overview", cookie);
    assert.equal(page.status, 200);
    assert.match(page.text, /id="total-reviews">3</);
    assert.match(page.text, /id="total-members">2</);
    assert.match(page.text, /id="total-outstanding">340 <span class="muted">\(worth 4\.08 EUR\)/);
    assert.match(page.text, /id="total-repeat">0%</);
    assert.match(page.text, /<svg [^>]*role="img"/);
    assert.match(page.text, /<caption>Reviews per week<\/caption>/);
    assert.equal((await get("/admin/acme/overview")).status, 303, "signed out: to the sign-in form");
    assert.equal((await admin(worker.url, acme, "GET", "/overview?weeks=0")).status, 400);
    assert.equal((await admin(worker.url, other, "GET", "/overview")).body.weeks.at(-1).members, 0, "another shop's figures are its own");
  });

  test("erasing a customer keeps the anonymous counts", async () => {
    const before = await thisWeek();
    assert.equal((await admin(worker.url, acme, "DELETE", "/customers/bob")).status, 200);
    // The erasure's order deliveries go through the same objects: nothing moves.
    await new Promise((r) => setTimeout(r, 1500));
    const after = await thisWeek();
    for (const k of ["members", "points_outstanding", "repeat_rate", "orders_per_customer", "reviews"]) assert.equal(after[k], before[k], k);
  });
});

describe("the loyalty page", () => {
  test("an invalid programme shows each problem beside its field and saves nothing", async () => {
    const { cookie, csrf } = await signIn();
    const page = await get("/admin/acme/loyalty", cookie);
    assert.match(page.text, /<textarea id="rewards" name="rewards"[^>]*>5-off, 500, 5.00\n12-off, 1000, 12.00<\/textarea>/);
    const res = await post("/admin/acme/loyalty", {
      csrf, points_per_unit: "two", signup_bonus: "10", review_bonus: "0", referral_bonus: "0", birthday_bonus: "0",
      tier_basis: "points_earned", tier_window_days: "365", expiry_days: "soon", join_url: "", tiers: "", rewards: "5-off, 500, 5",
    }, { cookie });
    assert.equal(res.status, 400);
    assert.match(res.text, /Nothing was saved: 2 fields to fix/);
    assert.match(res.text, /id="points_per_unit-error">must be a whole number/);
    assert.match(res.text, /id="expiry_days-error">must be a whole number/);
    assert.match(res.text, /id="points_per_unit" name="points_per_unit" value="two"/, "what was typed stays");
    const api = await admin(worker.url, acme, "GET", "/customers/ann/loyalty");
    assert.equal(api.status, 200);
    const settings = await fetch(`${worker.url}/v1/shops/acme/loyalty`).then((r) => r.json());
    assert.equal(settings.programme.rules.signup_bonus, 0, "nothing saved");

    const line = await post("/admin/acme/loyalty", {
      csrf, points_per_unit: "2", signup_bonus: "10", review_bonus: "0", referral_bonus: "0", birthday_bonus: "0",
      tier_basis: "points_earned", tier_window_days: "365", expiry_days: "", join_url: "", tiers: "silver, Silver, 500\ngold, Gold, 100", rewards: "5-off, 500, 5",
    }, { cookie });
    assert.equal(line.status, 400);
    assert.match(line.text, /id="tiers-error">thresholds must be ascending/);
  });

  test("a valid programme is saved and the shopper API sees it", async () => {
    const { cookie, csrf } = await signIn();
    const res = await post("/admin/acme/loyalty", {
      csrf, points_per_unit: "1", signup_bonus: "25", review_bonus: "0", referral_bonus: "0", birthday_bonus: "0",
      tier_basis: "points_earned", tier_window_days: "365", expiry_days: "365", join_url: "",
      tiers: "silver, Silver, 500, 0, 125", rewards: "5-off, 500, 5\n12-off, 1000, 12",
    }, { cookie });
    assert.equal(res.status, 303, res.text.slice(0, 400));
    const view = await fetch(`${worker.url}/v1/shops/acme/loyalty`).then((r) => r.json());
    assert.equal(view.programme.rules.signup_bonus, 25);
    assert.equal(view.programme.rules.tiers[0].multiplier_percent, 125);
    assert.equal(view.programme.rules.expiry_days, 365);
  });

  test("an adjustment with a note applies once per form, shows in the ledger, and a refused one changes nothing", async () => {
    const { cookie, csrf } = await signIn();
    const page = await get("/admin/acme/loyalty?customer=ann", cookie);
    assert.match(page.text, /id="balance">40 points/);
    const key = /name="key" value="([^"]+)"/.exec(page.text)[1];
    const form = { csrf, customer: "ann", key, points: "75", note: "Sorry for the late parcel" };
    const first = await post("/admin/acme/loyalty/adjust", form, { cookie });
    assert.equal(first.status, 303, first.text.slice(0, 300));
    assert.match(first.headers.get("location"), /customer=ann&done=%2B75%20points/);
    assert.equal((await post("/admin/acme/loyalty/adjust", form, { cookie })).status, 303, "the same form again");
    assert.equal((await ledger("ann")).account.balance, 115, "applied once");
    const after = await get("/admin/acme/loyalty?customer=ann", cookie);
    assert.match(after.text, /id="balance">115 points/);
    assert.match(after.text, /Adjusted by you<\/td><td><code>adjust:[^<]+<\/code><\/td><td>\+75<\/td><td>Sorry for the late parcel/);
    assert.notEqual(/name="key" value="([^"]+)"/.exec(after.text)[1], key, "a new form, a new key");
    const bad = await post("/admin/acme/loyalty/adjust", { ...form, key: "k2", points: "lots" }, { cookie });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /id="points-error">must be a whole number/);
    const cases = [
      ["no session", { ...form, key: "k3" }, {}, 401],
      ["a cross-site form", { ...form, key: "k4" }, { cookie, origin: "https://evil.example" }, 403],
      ["no CSRF token", { ...form, key: "k5", csrf: "" }, { cookie }, 403],
      ["another shop's session", { ...form, key: "k6" }, { cookie: (await signIn(other)).cookie }, 403],
      ["too many points", { ...form, key: "k7", points: "99999999999" }, { cookie }, 400],
    ];
    for (const [name, fields, options, status] of cases) {
      assert.equal((await post("/admin/acme/loyalty/adjust", fields, options)).status, status, name);
    }
    assert.equal((await ledger("ann")).account.balance, 115, "nothing changed");
    // The shopper does not see the merchant's note.
    const mine = await fetch(`${worker.url}/v1/shops/acme/loyalty`, {
      headers: { authorization: `Bearer ${mintToken(acme.tokenSecret, { sub: "ann", shop: "acme", exp: nowSeconds() + 600 })}` },
    }).then((r) => r.text());
    assert.ok(!mine.includes("late parcel"));
  });

  test("a discount code is looked up however it is typed", async () => {
    const { cookie } = await signIn();
    assert.equal((await admin(worker.url, acme, "POST", "/customers/ann/loyalty", { key: "for-a-code", points: 1000 })).status, 200);
    const redeemed = await fetch(`${worker.url}/v1/shops/acme/loyalty/redemptions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${mintToken(acme.tokenSecret, { sub: "ann", shop: "acme", exp: nowSeconds() + 600 })}`,
      },
      body: JSON.stringify({ reward: "5-off" }),
    }).then((r) => r.json());
    const code = redeemed.code.code;
    const page = await get(`/admin/acme/loyalty?code=${encodeURIComponent(" " + code.toLowerCase() + " ")}`, cookie);
    assert.match(page.text, new RegExp(`<code>${code}</code>`));
    assert.match(page.text, /5\.00 EUR off/);
    assert.match(page.text, /Not used yet/);
    const missing = await get("/admin/acme/loyalty?code=RP-NOPE-NOPE", cookie);
    assert.match(missing.text, /role="alert">no discount code with this value/);
  });
});
