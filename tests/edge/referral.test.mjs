// Referral against the built Worker in workerd: the link, the click, the friend's claim, the order
// webhooks (Shopify, WooCommerce, generic; by code and by attribute), the hold, the payout by the
// Cron Trigger, reversal by a refund within the window, every fraud rule, the merchant's list,
// decisions and figures, and the customer's export and erasure.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { admin, getJson, mintToken, nowSeconds, root, shopSecrets, startWorker } from "../support/worker.mjs";

const acme = shopSecrets("acme");
const other = shopSecrets("other");
// A shop whose rewards pay without a hold: what the Cron Trigger pays can be seen at once.
const quick = shopSecrets("quick");
// A shop that rewards advocates with a discount code instead of points.
const gift = shopSecrets("gift");
const secrets = { acme, other, quick, gift };
const GENERIC_SECRET = "gen-" + "r5".repeat(12);
const SHOPIFY_SECRET = "shpss_" + "c8".repeat(16);
const WOO_SECRET = "woo-" + "d9".repeat(12);
const ORIGIN = "https://acme.example";
const DAY = 86_400;
let worker;

const loyalty = { points_per_unit: 1, referral_bonus: 500 };
const referral = {
  friend_offer: { amount_off: { amount_minor: 1000, currency: "EUR" }, minimum_order: { amount_minor: 5000, currency: "EUR" } },
  advocate_reward: { kind: "points" },
  hold_days: 30,
  landing_url: "https://acme.example/welcome",
  max_rewards_per_week: 4,
};

// The e-mail hash a merchant's server puts in the token: HMAC-SHA256 of the trimmed, lowercased
// address, keyed with the shop's token secret (the README shows the same).
const emailHash = (email, secret = acme.tokenSecret) => createHmac("sha256", secret).update(email.trim().toLowerCase()).digest("hex");
const token = (sub, { name, email, shop = "acme", secret = secrets[shop].tokenSecret } = {}) =>
  mintToken(secret, { sub, shop, exp: nowSeconds() + 600, ...(name ? { name } : {}), ...(email ? { email_hash: emailHash(email, secret) } : {}) });

let ip = 0;
const freshIp = () => `203.0.113.${++ip}`;

async function call(method, path, { auth, body, ip: address = "198.51.100.1", headers = {} } = {}) {
  const res = await fetch(`${worker.url}${path}`, {
    method,
    redirect: "manual",
    headers: {
      "cf-connecting-ip": address,
      ...(auth ? { authorization: `Bearer ${auth}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json().catch(() => null) };
}

/** An advocate's page (made on the first visit). */
async function advocate(customer, opts = {}) {
  const res = await call("GET", `/v1/shops/${opts.shop ?? "acme"}/referrals`, { auth: token(customer, opts), ip: opts.ip });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.advocate;
}
const claim = (code, email, opts = {}) =>
  call("POST", `/v1/shops/${opts.shop ?? "acme"}/referrals/claims`, { body: { code, email, ...(opts.first_name ? { first_name: opts.first_name } : {}) }, ip: opts.ip ?? freshIp() });
const click = (code, { ip: address = freshIp(), to } = {}) =>
  call("GET", `/r/acme/${code}${to ? `?to=${encodeURIComponent(to)}` : ""}`, { ip: address });

const sign = (body, secret) => createHmac("sha256", secret).update(body).digest("base64");
const fixture = (path) => JSON.parse(readFileSync(join(root, "../shared/fixtures", path), "utf8"));

async function shopifyOrder({ id, customer, email, codes = [], ref, status = "paid", cancelled = false, address = "1 Friend Lane" }) {
  const order = structuredClone(fixture("shopify/order.json").order);
  Object.assign(order, {
    id, email, financial_status: status, subtotal_price: "80.00", currency: "EUR",
    updated_at: new Date(Date.now() + (cancelled ? 60_000 : 0)).toISOString(),
    cancelled_at: cancelled ? new Date().toISOString() : null,
    customer: customer ? { ...order.customer, id: customer, email } : null,
    discount_codes: codes.map((code) => ({ code, amount: "10.00", type: "fixed_amount" })),
    note_attributes: ref ? [{ name: "rapport_ref", value: ref }] : [],
    shipping_address: { ...order.shipping_address, address1: address, zip: "10115", country_code: "DE" },
  });
  const body = JSON.stringify(order);
  const res = await fetch(`${worker.url}/v1/webhooks/acme/shopify`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-shopify-topic": "orders/updated", "x-shopify-hmac-sha256": sign(body, SHOPIFY_SECRET) },
    body,
  });
  return res.status;
}

async function wooOrder({ id, customer, email, ref, status = "processing", modified = "2026-11-20T10:00:00" }) {
  const order = structuredClone(fixture("woocommerce/order.json"));
  Object.assign(order, {
    id, status, currency: "EUR", customer_id: customer, date_modified_gmt: modified,
    billing: { ...order.billing, email },
    shipping: { ...order.shipping, address_1: `${id} Woo Street` },
    meta_data: ref ? [{ id: 1, key: "_rapport_ref", value: ref }] : [],
  });
  const body = JSON.stringify(order);
  const res = await fetch(`${worker.url}/v1/webhooks/acme/woocommerce`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-wc-webhook-topic": "order.updated", "x-wc-webhook-signature": sign(body, WOO_SECRET) },
    body,
  });
  return res.status;
}

async function genericOrder({ id, customer, email, codes, ref, status = "paid", updated_at = "2026-11-20T10:00:00Z", subtotal = "80.00", shop = "acme" }) {
  const body = JSON.stringify({
    type: "order",
    order: {
      id, customer, currency: "EUR", subtotal, status, updated_at, lines: [{ product: "TENT", quantity: 1 }],
      ...(email ? { email } : {}), ...(codes ? { discount_codes: codes } : {}), ...(ref ? { attributes: { rapport_ref: ref } } : {}),
    },
  });
  const res = await fetch(`${worker.url}/v1/webhooks/${shop}/generic`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-rapport-signature": sign(body, GENERIC_SECRET) },
    body,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const referrals = async (status, shop = "acme") => (await admin(worker.url, secrets[shop], "GET", `/referrals${status ? `?status=${status}` : ""}`)).body;
const byOrder = async (order, shop = "acme") => (await referrals(undefined, shop)).referrals.find((r) => r.order === order);
/** Runs the Cron Trigger now (`wrangler dev --test-scheduled`). */
async function cron() {
  const res = await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent("17 * * * *")}`);
  assert.equal(res.status, 200, await res.text());
}
const points = async (customer, shop = "acme") =>
  (await admin(worker.url, secrets[shop], "GET", `/customers/${customer}/loyalty`)).body.ledger.entries.filter((e) => e.reason === "referral");

before(async () => {
  worker = await startWorker([acme, other, quick, gift], {
    GENERIC_WEBHOOK_SECRET_ACME: GENERIC_SECRET, GENERIC_WEBHOOK_SECRET_QUICK: GENERIC_SECRET, GENERIC_WEBHOOK_SECRET_GIFT: GENERIC_SECRET, SHOPIFY_WEBHOOK_SECRET_ACME: SHOPIFY_SECRET, WOOCOMMERCE_WEBHOOK_SECRET_ACME: WOO_SECRET,
  }, { testScheduled: true });
  const settings = await admin(worker.url, acme, "PUT", "", {
    name: "Acme Outdoor", currency: "EUR", allowed_origins: [ORIGIN], sign_in_url: "/account/login", loyalty, referral,
  });
  assert.equal(settings.status, 200, JSON.stringify(settings.body));
  assert.equal((await admin(worker.url, acme, "PUT", "/products", { products: [{ sku: "TENT", title: "Tent" }] })).status, 200);
  const otherSettings = await admin(worker.url, other, "PUT", "", {
    name: "Other", currency: "EUR", allowed_origins: ["https://other.example"], loyalty,
    referral: { ...referral, landing_url: "https://other.example/" },
  });
  assert.equal(otherSettings.status, 200, JSON.stringify(otherSettings.body));
  const quickSettings = await admin(worker.url, quick, "PUT", "", {
    name: "Quick", currency: "EUR", allowed_origins: [ORIGIN], loyalty, referral: { ...referral, hold_days: 0 },
  });
  assert.equal(quickSettings.status, 200, JSON.stringify(quickSettings.body));
  const giftSettings = await admin(worker.url, gift, "PUT", "", {
    name: "Gift", currency: "EUR", allowed_origins: [ORIGIN],
    referral: { ...referral, hold_days: 0, friend_offer: { percent_off: 15 }, advocate_reward: { kind: "discount", discount: { amount_minor: 1500, currency: "EUR" } } },
  });
  assert.equal(giftSettings.status, 200, JSON.stringify(giftSettings.body));
});
after(async () => worker?.stop());

describe("settings", () => {
  test("a programme that cannot work is refused, naming the field", async () => {
    const cases = [
      [{ ...referral, landing_url: "https://evil.example/" }, {}, "referral.landing_url"],
      [{ ...referral, landing_url: "/welcome" }, {}, "referral.landing_url"],
      [{ ...referral, friend_offer: { percent_off: 0 } }, {}, "referral.friend_offer.percent_off"],
      [{ ...referral, friend_offer: { percent_off: 10, amount_off: { amount_minor: 5, currency: "EUR" } } }, {}, "referral.friend_offer"],
      [referral, { loyalty: undefined }, "referral.advocate_reward"],
      [{ ...referral, hold_days: 1000 }, {}, "referral.hold_days"],
    ];
    for (const [rules, extra, field] of cases) {
      const res = await admin(worker.url, other, "PUT", "", {
        name: "Other", currency: "EUR", allowed_origins: ["https://acme.example"], loyalty, ...extra, referral: rules,
      });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(JSON.stringify(res.body), new RegExp(field.replaceAll(".", "\\.")), field);
    }
  });
});

describe("the advocate's page and link", () => {
  test("signed out: the programme, public; signed in: a code and a link on the merchant's own Worker", async () => {
    const out = await call("GET", "/v1/shops/acme/referrals");
    assert.equal(out.status, 200);
    assert.equal(out.body.advocate, undefined);
    assert.deepEqual(out.body.programme.offer.amount_off, { amount_minor: 1000, currency: "EUR" });
    assert.deepEqual(out.body.programme.reward, { points: 500 });
    assert.equal(out.body.programme.sign_in_url, "/account/login");
    assert.match(out.headers.get("cache-control"), /public/);

    const ann = await advocate("ann", { name: "Ann Lee" });
    assert.match(ann.code, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    assert.equal(ann.link, `${worker.url}/r/acme/${ann.code}`);
    assert.equal((await advocate("ann")).code, ann.code, "the same code on every visit");
    assert.notEqual((await advocate("bea")).code, ann.code);
    const res = await call("GET", "/v1/shops/acme/referrals", { auth: token("ann"), headers: { origin: ORIGIN } });
    assert.equal(res.headers.get("cache-control"), "private, no-store");
    assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
  });

  test("the rendered first view: the offer signed out (public), the advocate's link signed in (private)", async () => {
    const html = async (auth) => {
      const res = await fetch(`${worker.url}/v1/shops/acme/referrals.html?css=none`, { headers: auth ? { authorization: `Bearer ${auth}` } : {} });
      return { status: res.status, headers: res.headers, text: await res.text() };
    };
    const out = await html();
    assert.equal(out.status, 200);
    assert.match(out.headers.get("cache-control"), /^public/);
    assert.match(out.text, /<h2 id="rapport-referral-title" part="title">Give €10.00 off, get 500 points<\/h2>/);
    assert.match(out.text, /Give your friends €10.00 off their first order of €50.00 or more, and get 500 points when they order\./);
    assert.match(out.text, /href="\/account\/login"/);
    const data = JSON.parse(out.text.match(/class="rapport-data">([^<]*)<\/script>/)[1]);
    assert.equal(data.advocate, undefined);
    const { code } = await advocate("ann");
    const signedIn = await html(token("ann"));
    assert.equal(signedIn.headers.get("cache-control"), "private, no-store");
    assert.ok(signedIn.text.includes(`value="${worker.url}/r/acme/${code}"`), signedIn.text.slice(0, 400));
    assert.match(signedIn.text, /<code part="code" class="code">[0-9A-Z]{4}-[0-9A-Z]{4}<\/code>/);
    assert.equal((await html("not-a-token")).status, 401);
  });

  test("bad tokens and other storefronts get no advocate data", async () => {
    for (const auth of ["not-a-token", token("ann", { secret: "x".repeat(40) }), token("ann", { shop: "other", secret: other.tokenSecret })]) {
      const res = await call("GET", "/v1/shops/acme/referrals", { auth });
      assert.equal(res.status, 401, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body), ["error"]);
    }
    assert.equal((await call("GET", "/v1/shops/acme/referrals", { auth: token("ann"), headers: { origin: "https://evil.example" } })).status, 403);
    assert.equal((await call("POST", "/v1/shops/acme/referrals/shares", { body: { channel: "copy" } })).status, 401);
    assert.equal((await call("POST", "/v1/shops/acme/referrals/shares", { auth: token("ann"), body: { channel: "pigeon" } })).status, 400);
  });

  test("a click is counted once per network address and day, and redirects only to the shop", async () => {
    const { code } = await advocate("cal");
    const address = freshIp();
    const first = await click(code, { ip: address });
    assert.equal(first.status, 302);
    assert.equal(first.headers.get("location"), `https://acme.example/welcome?ref=${code}`);
    assert.equal(first.headers.get("cache-control"), "no-store");
    await click(code, { ip: address });
    await click(code.toLowerCase().replace("-", ""), { ip: freshIp() });
    assert.equal((await advocate("cal")).stats.clicks, 2, "the second visit from one address is not a second click");
    const to = async (target) => (await click(code, { to: target })).headers.get("location");
    assert.equal(await to("/products/tent?colour=red"), `https://acme.example/products/tent?colour=red&ref=${code}`);
    assert.equal(await to("https://acme.example/sale#top"), `https://acme.example/sale?ref=${code}#top`);
    for (const evil of ["https://evil.example/", "//evil.example/", "https://acme.example@evil.example/", "/\\evil.example", "javascript:alert(1)"]) {
      assert.equal(await to(evil), `https://acme.example/welcome?ref=${code}`, evil);
    }
  });

  test("unknown, malformed and other shops' codes are JSON 404s", async () => {
    const theirs = (await call("GET", "/v1/shops/other/referrals", { auth: token("ann", { shop: "other", secret: other.tokenSecret }) })).body.advocate.code;
    for (const path of ["/r/acme/ZZZZ-ZZZZ", "/r/acme/not-a-code", `/r/acme/${"A".repeat(40)}`, `/r/acme/${theirs}`, "/v1/shops/acme/referrals/codes/ZZZZ-ZZZZ"]) {
      const res = await call("GET", path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body.error.code, "referral_code_not_found", path);
    }
    assert.equal((await call("GET", "/r/nope/ABCD-EFGH")).body.error.code, "shop_not_found");
  });

  test("the banner shows the advocate's first name only when they allow it", async () => {
    const { code } = await advocate("dee", { name: "Dee Dee Ramone" });
    const banner = async () => (await call("GET", `/v1/shops/acme/referrals/codes/${code}`)).body;
    assert.equal((await banner()).advocate, undefined);
    assert.equal((await banner()).shop_name, "Acme Outdoor");
    const set = await call("POST", "/v1/shops/acme/referrals/preferences", { auth: token("dee"), body: { show_name: true } });
    assert.equal(set.status, 200);
    assert.equal((await banner()).advocate, "Dee");
    assert.equal((await advocate("dee")).show_name, true);
  });
});

describe("the friend's claim", () => {
  test("a single-use code the checkout can verify, the same on a second claim", async () => {
    const { code } = await advocate("eve");
    const first = await claim(code, "Fay@Example.com", { first_name: "Fay Wray" });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.match(first.body.discount_code, /^RP-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    const again = await claim(code, " fay@example.com ");
    assert.equal(again.body.discount_code, first.body.discount_code);
    const record = await admin(worker.url, acme, "GET", `/discount-codes/${first.body.discount_code}`);
    assert.equal(record.status, 200);
    assert.deepEqual(record.body.discount, { amount_minor: 1000, currency: "EUR" });
    assert.deepEqual(record.body.minimum_order, { amount_minor: 5000, currency: "EUR" });
    assert.equal(record.body.exclusive, true);
    assert.equal(record.body.reward, "referral-friend");
    const page = await advocate("eve");
    assert.equal(page.stats.claims, 1);
    assert.deepEqual(page.recent.map((r) => [r.friend, r.status]), [["Fay", "claimed"]]);
  });

  test("bad claims are 4xx and store nothing", async () => {
    const { code } = await advocate("gus");
    const cases = [
      [{ code, email: "not-an-email" }, 400, "invalid_field"],
      [{ code: "ZZZZ-ZZZZ", email: "x@example.com" }, 404, "referral_code_not_found"],
      [{ code }, 400, "invalid_json"],
      [{ code, email: "x@example.com", first_name: "x".repeat(200) }, 400, "invalid_field"],
    ];
    for (const [body, status, errorCode] of cases) {
      const res = await call("POST", "/v1/shops/acme/referrals/claims", { body, ip: freshIp() });
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.error.code, errorCode);
    }
    const huge = await call("POST", "/v1/shops/acme/referrals/claims", { body: JSON.stringify({ code, email: "a@b.co", pad: "x".repeat(10_000) }) });
    assert.equal(huge.status, 413);
    const bare = await call("POST", "/v1/shops/acme/referrals/claims", { body: "{", ip: freshIp() });
    assert.equal(bare.status, 400);
    assert.equal((await call("POST", "/v1/shops/acme/referrals/claims", { body: { code, email: "a@b.co" }, headers: { origin: "https://evil.example" } })).status, 403);
    assert.equal((await advocate("gus")).stats.claims, 0);
  });

  test("an advocate cannot claim their own offer, nor can an existing customer", async () => {
    const { code } = await advocate("hal", { email: "hal@example.com" });
    const own = await claim(code, "HAL@example.com");
    assert.equal(own.status, 409);
    assert.equal(own.body.error.code, "self_referral");
    assert.equal((await genericOrder({ id: "OLD-1", customer: "ida", email: "ida@example.com" })).status, 200);
    const existing = await claim(code, "ida@example.com");
    assert.equal(existing.status, 409);
    assert.equal(existing.body.error.code, "existing_customer");
    const refused = (await referrals("refused")).refused_claims.map((r) => r.rule);
    assert.ok(refused.includes("self_referral") && refused.includes("existing_customer"), JSON.stringify(refused));
  });
});

describe("attribution, hold, payout and reversal", () => {
  test("Shopify: the friend's code on their first order makes a pending reward that waits out the hold", async () => {
    const { code } = await advocate("jan");
    const { body: { discount_code } } = await claim(code, "kim@example.com", { first_name: "Kim" });
    assert.equal(await shopifyOrder({ id: 9001, customer: 7001, email: "kim@example.com", codes: [discount_code.toLowerCase()] }), 200);
    const r = await byOrder("shopify:9001");
    assert.equal(r.status.stage, "pending", JSON.stringify(r));
    assert.equal(r.by_code, true);
    const due = r.status.due_at;
    assert.ok(Math.abs(due - (nowSeconds() + 30 * DAY)) < 120, "due at the end of the hold");
    const page = await advocate("jan");
    assert.equal(page.stats.friends_ordered, 1);
    assert.equal(page.stats.rewards_pending, 1);
    assert.equal(page.stats.points_pending, 500);
    assert.equal(page.stats.next_payout_at, due);
    assert.deepEqual(page.recent.map((x) => [x.friend, x.status, x.pays_at]), [["Kim", "pending", due]]);
    await cron();
    assert.equal((await byOrder("shopify:9001")).status.stage, "pending", "not before the hold ends");
    assert.deepEqual(await points("jan"), []);
  });

  test("after the hold the cron pays the reward once, through the loyalty ledger; a refund after that changes nothing", async () => {
    const { code } = await advocate("jo", { shop: "quick" });
    const { body: { discount_code } } = await claim(code, "kai@example.com", { shop: "quick" });
    assert.equal((await genericOrder({ shop: "quick", id: "Q-1", customer: "kai", email: "kai@example.com", codes: [discount_code] })).status, 200);
    assert.equal((await byOrder("generic:Q-1", "quick")).status.stage, "pending");
    await cron();
    assert.equal((await byOrder("generic:Q-1", "quick")).status.stage, "paid");
    const paid = await points("jo", "quick");
    assert.deepEqual(paid.map((e) => [e.points, e.source]), [[500, "referral:e:" + emailHash("kai@example.com", quick.tokenSecret)]]);
    await cron();
    assert.equal((await points("jo", "quick")).length, 1, "paid once");
    const after = await advocate("jo", { shop: "quick" });
    assert.deepEqual([after.stats.rewards_paid, after.stats.points_earned, after.stats.rewards_pending], [1, 500, 0]);
    assert.deepEqual(after.recent.map((x) => x.status), ["paid"]);
    const refund = { type: "refund", order_id: "Q-1", refund_id: "r-1", amount: "80.00", currency: "EUR" };
    const body = JSON.stringify(refund);
    const res = await fetch(`${worker.url}/v1/webhooks/quick/generic`, {
      method: "POST", headers: { "content-type": "application/json", "x-rapport-signature": sign(body, GENERIC_SECRET) }, body,
    });
    assert.equal(res.status, 200);
    assert.equal((await byOrder("generic:Q-1", "quick")).status.stage, "paid");
  });

  test("a discount reward: the advocate gets a single-use code of their own; the friend's percentage code says so", async () => {
    const { code } = await advocate("gil", { shop: "gift" });
    const claimed = await claim(code, "hana@example.com", { shop: "gift" });
    assert.equal(claimed.status, 201);
    const friendCode = await admin(worker.url, gift, "GET", `/discount-codes/${claimed.body.discount_code}`);
    assert.equal(friendCode.body.percent_off, 15);
    assert.equal((await genericOrder({ shop: "gift", id: "D-1", customer: "hana", email: "hana@example.com", codes: [claimed.body.discount_code] })).status, 200);
    await cron();
    const paid = await byOrder("generic:D-1", "gift");
    assert.equal(paid.status.stage, "paid");
    assert.match(paid.reward_code, /^RP-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    const reward = await admin(worker.url, gift, "GET", `/discount-codes/${paid.reward_code}`);
    assert.deepEqual([reward.status, reward.body.reward, reward.body.discount.amount_minor], [200, "referral-reward", 1500]);
    await cron();
    assert.equal((await byOrder("generic:D-1", "gift")).reward_code, paid.reward_code, "given once");
    const page = await advocate("gil", { shop: "gift" });
    assert.deepEqual(page.recent.map((r) => [r.status, r.code]), [["paid", paid.reward_code]]);
  });

  test("WooCommerce by the rapport_ref meta: a cancellation within the window reverses, the cron pays nothing", async () => {
    const { code } = await advocate("lea");
    assert.equal(await wooOrder({ id: 8101, customer: 8001, email: "max@example.com", ref: code }), 200);
    const r = await byOrder("woocommerce:8101");
    assert.equal(r.status.stage, "pending", JSON.stringify(r));
    assert.equal(r.by_code, false);
    assert.equal(await wooOrder({ id: 8101, customer: 8001, email: "max@example.com", ref: code, status: "cancelled", modified: "2026-11-21T10:00:00" }), 200);
    assert.equal((await byOrder("woocommerce:8101")).status.stage, "reversed");
    await cron();
    assert.equal((await byOrder("woocommerce:8101")).status.stage, "reversed");
    assert.deepEqual(await points("lea"), []);
    assert.deepEqual((await advocate("lea")).recent.map((x) => x.status), ["reversed"]);
  });

  test("generic by attribute; a friend's later order is not a second referral", async () => {
    const { code } = await advocate("mia");
    assert.equal((await genericOrder({ id: "G-1", customer: "ned", email: "ned@example.com", ref: code })).status, 200);
    assert.equal((await byOrder("generic:G-1")).status.stage, "pending");
    assert.equal((await genericOrder({ id: "G-2", customer: "ned", email: "ned@example.com", ref: code, updated_at: "2026-11-22T10:00:00Z" })).status, 200);
    assert.equal(await byOrder("generic:G-2"), undefined);
    assert.equal((await advocate("mia")).stats.friends_ordered, 1);
  });

  test("the same friend's order delivered 10 times at once makes one referral and one reward", async () => {
    const { code } = await advocate("ola", { shop: "quick" });
    const { body: { discount_code } } = await claim(code, "pia@example.com", { shop: "quick" });
    const results = await Promise.all(Array.from({ length: 10 }, () =>
      genericOrder({ shop: "quick", id: "C-1", customer: "pia", email: "pia@example.com", codes: [discount_code] })));
    assert.deepEqual(results.map((r) => r.status), Array(10).fill(200));
    const mine = (await referrals(undefined, "quick")).referrals.filter((r) => r.advocate === "ola");
    assert.equal(mine.length, 1);
    assert.equal((await advocate("ola", { shop: "quick" })).stats.friends_ordered, 1);
    await Promise.all([cron(), cron()]);
    await cron();
    assert.equal((await points("ola", "quick")).reduce((s, e) => s + e.points, 0), 500);
  });
});

describe("fraud rules on the order", () => {
  test("hard rules refuse: the advocate's own order, a friend who ordered before", async () => {
    const { code } = await advocate("quin", { email: "quin@example.com" });
    await genericOrder({ id: "F-1", customer: "quin", ref: code });
    assert.deepEqual((await byOrder("generic:F-1")).status, { stage: "refused", rule: "self_referral" });
    await genericOrder({ id: "F-2", customer: "quin-2", email: "QUIN@example.com", ref: code });
    assert.deepEqual((await byOrder("generic:F-2")).status, { stage: "refused", rule: "self_referral" });
    await genericOrder({ id: "F-3", customer: "rex", email: "rex@example.com" });
    await genericOrder({ id: "F-4", customer: "rex", email: "rex@example.com", ref: code, updated_at: "2026-11-23T00:00:00Z" });
    assert.deepEqual((await byOrder("generic:F-4")).status, { stage: "refused", rule: "existing_customer" });
    await cron();
    assert.deepEqual(await points("quin"), []);
  });

  test("soft rules hold for the merchant: the same network, the same shipping address, many claims from one address, velocity", async () => {
    // The friend claims from the network the advocate's page was opened on.
    const network = freshIp();
    const { code } = await advocate("sam", { ip: network });
    const { body: { discount_code } } = await claim(code, "tia@example.com", { ip: network });
    await genericOrder({ id: "S-1", customer: "tia", email: "tia@example.com", codes: [discount_code] });
    assert.deepEqual((await byOrder("generic:S-1")).status, { stage: "held", flags: ["same_network"] });

    // The friend's order ships where the advocate's own order did.
    const uma = await advocate("uma");
    assert.equal(await shopifyOrder({ id: 9101, customer: 7101, email: "uma-own@example.com", address: "5 Shared Road" }), 200);
    await shopifyOrder({ id: 9102, customer: 7102, email: "vera@example.com", ref: uma.code, address: "5 shared  road" });
    assert.equal((await byOrder("shopify:9102")).status.stage, "pending", "7101 is not uma");
    const uma2 = await call("GET", "/v1/shops/acme/referrals", { auth: token("7101") });
    await shopifyOrder({ id: 9103, customer: 7103, email: "wes@example.com", ref: uma2.body.advocate.code, address: "5 Shared Road" });
    assert.deepEqual((await byOrder("shopify:9103")).status, { stage: "held", flags: ["same_address"] });

    // A fourth claim from one network address in a day.
    const crowded = freshIp();
    const { code: xavCode } = await advocate("xav");
    const codes = [];
    for (const friend of ["y1", "y2", "y3", "y4"]) codes.push((await claim(xavCode, `${friend}@example.com`, { ip: crowded })).body.discount_code);
    await genericOrder({ id: "N-3", customer: "y3", email: "y3@example.com", codes: [codes[2]] });
    await genericOrder({ id: "N-4", customer: "y4", email: "y4@example.com", codes: [codes[3]] });
    assert.equal((await byOrder("generic:N-3")).status.stage, "pending");
    assert.deepEqual((await byOrder("generic:N-4")).status, { stage: "held", flags: ["network_velocity"] });

    // The shop allows 4 rewards per advocate in 7 days: the fifth waits.
    const { code: zedCode } = await advocate("zed");
    for (let i = 1; i <= 5; i++) await genericOrder({ id: `V-${i}`, customer: `v${i}`, email: `v${i}@example.com`, ref: zedCode });
    assert.equal((await byOrder("generic:V-4")).status.stage, "pending");
    assert.deepEqual((await byOrder("generic:V-5")).status, { stage: "held", flags: ["advocate_velocity"] });
  });

  test("the merchant approves or rejects a held referral, and only a held one", async () => {
    const held = (await referrals("held")).referrals;
    assert.ok(held.length >= 4, JSON.stringify(held));
    const [one, two] = held;
    const approve = await admin(worker.url, acme, "PUT", `/referrals/${one.id}`, { decision: "approve" });
    assert.equal(approve.status, 200, JSON.stringify(approve.body));
    assert.equal(approve.body.status.stage, "pending");
    const reject = await admin(worker.url, acme, "PUT", `/referrals/${two.id}`, { decision: "reject", reason: "same household" });
    assert.deepEqual([reject.body.status.stage, reject.body.status.reason], ["rejected", "same household"]);
    const again = await admin(worker.url, acme, "PUT", `/referrals/${two.id}`, { decision: "approve" });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "referral_not_held");
    assert.equal((await admin(worker.url, acme, "PUT", `/referrals/e:nobody`, { decision: "approve" })).status, 404);
    assert.equal((await admin(worker.url, acme, "PUT", `/referrals/${one.id}`, { decision: "maybe" })).status, 400);
    assert.equal((await admin(worker.url, acme, "GET", "/referrals?status=sideways")).status, 400);
    const forged = await fetch(`${worker.url}/v1/admin/shops/acme/referrals`, { headers: { authorization: "Bearer rk_wrong" } });
    assert.equal(forged.status, 401);
    const otherShop = await fetch(`${worker.url}/v1/admin/shops/acme/referrals`, { headers: { authorization: `Bearer ${other.adminKey}` } });
    assert.equal(otherShop.status, 401);
  });
});

describe("the merchant's figures and the customer's data", () => {
  test("shares, clicks, visitors, claims, first orders, revenue, rewards and K, per week", async () => {
    assert.equal((await call("POST", "/v1/shops/acme/referrals/shares", { auth: token("ann"), body: { channel: "copy" } })).status, 200);
    const res = await admin(worker.url, acme, "GET", "/referral-stats");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const t = res.body.totals;
    assert.ok(t.shares >= 1 && t.clicks >= 2 && t.unique_visitors >= 2, JSON.stringify(t));
    assert.ok(t.claims >= 6, JSON.stringify(t));
    assert.ok(t.first_orders >= 10 && t.revenue_minor >= 10 * 8000, JSON.stringify(t));
    assert.ok(t.rewards_pending >= 8 && t.rewards_reversed >= 1 && t.refused >= 3, JSON.stringify(t));
    assert.equal(res.body.viral_coefficient, Math.round((t.first_orders / t.active_advocates) * 1000) / 1000);
    assert.ok(res.body.weeks.length >= 1);
    assert.ok(res.body.outstanding.pending >= 1);
    assert.equal((await admin(worker.url, acme, "GET", "/referral-stats?from=someday")).status, 400);
  });

  test("export and erasure cover referral data; erasing the advocate keeps the friend's code working", async () => {
    const { code } = await advocate("bo");
    const { body: { discount_code } } = await claim(code, "cy@example.com");
    await genericOrder({ id: "E-1", customer: "cy", email: "cy@example.com", codes: [discount_code] });
    const exported = await admin(worker.url, acme, "GET", "/customers/bo");
    assert.equal(exported.body.referral.advocate.code, code);
    assert.equal(exported.body.referral.referrals.length, 1);
    const friend = await admin(worker.url, acme, "GET", "/customers/cy");
    assert.equal(friend.body.referral.as_friend.referral.order, "generic:E-1");
    assert.equal((await admin(worker.url, acme, "DELETE", "/customers/bo")).status, 200);
    assert.equal((await click(code)).status, 404, "the advocate's link is gone");
    assert.equal((await admin(worker.url, acme, "GET", "/customers/bo")).body.referral.advocate, null);
    assert.equal((await admin(worker.url, acme, "GET", `/discount-codes/${discount_code}`)).status, 200, "the friend's code still works");
    assert.equal((await byOrder("generic:E-1")).advocate, undefined);
  });
});
