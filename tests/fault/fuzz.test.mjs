// Generated bad input against the built Worker: for every route in edge/src/routes.rs, a few
// hundred requests with malformed bodies (random JSON of the wrong types, extreme numbers, empty
// and huge strings, invalid UTF-8, truncated JSON), queries, headers and ids (another shop's,
// unknown ones, malformed ones). Each must be answered below 500, every 4xx with the JSON
// error body `{"error": {"code", "message"}}`, and a redirect (a referral link) only to the shop.
//
// FUZZ_SEED repeats a run (the seed is printed); FUZZ_CASES sets the requests per route.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, test } from "node:test";

import { admin, mintToken, nowSeconds, shopSecrets, startWorker } from "../support/worker.mjs";
import { prng } from "../support/random.mjs";

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const CASES = Number(process.env.FUZZ_CASES ?? 200);
const PARALLEL = 6;

const acme = shopSecrets("fuzz-acme");
const other = shopSecrets("fuzz-other");
const doomed = shopSecrets("fuzz-doomed");
const SECRETS = { shopify: "shpss_" + "f1".repeat(16), woo: "wc-" + "f2".repeat(12), generic: "gen-" + "f3".repeat(12) };
let worker;
const seeded = { review: null, code: null, referral: null };

let rand = prng(SEED);
const int = (n) => Math.floor(rand() * n);
const pick = (list) => list[int(list.length)];
const chance = (p) => rand() < p;

/** Numbers JSON can carry but a JavaScript number cannot: sent as these exact digits. */
const RAW_NUMBERS = ["-9223372036854775808", "9223372036854775807", "-9223372036854775809", "18446744073709551616", "1e400", "-0", "1.0e2", "123456789012345678901234567890"];
const raw = (digits) => `__raw__${digits}`;
/** The JSON text of `value`, with the raw-number placeholders turned into the numbers themselves. */
const toJson = (value) => JSON.stringify(value).replace(/"__raw__([^"]*)"/g, "$1");
const EXTREME_NUMBERS = [0, -1, 1, 5, 6, 13, 32, 255, 256, 65536, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53 + 2, -(2 ** 53) - 2,
  9223372036854775807, -9223372036854775808, 18446744073709551615, 1e308, -1e308, 0.5, -0.0, 1e-300, 3.7, ...RAW_NUMBERS.map(raw)];
const STRINGS = () => [
  "", " ", "a", "0", "-1", "null", "true", "[]", "{}", "5-off", "EUR", "eur", "XXX", "2026-11-20T10:00:00Z", "2026-13-45",
  "https://example.com", "javascript:alert(1)", "<script>alert(1)</script>", "</script><!--", "../../etc", "a/b", "%00", "\u0000",
  "\ud800", "\u202e", "é", "🙂".repeat(50), "x".repeat(int(3) === 0 ? 70_000 : 300), " padded ", "SKU-1", "published", "pending",
  "rejected", "hold_all", "publish_verified", "-9223372036854775808", "99999999999999999999999", "1e400", "NaN", "12.345",
  "fuzz-other", "fuzz-acme",
];

function randomJson(depth = 0) {
  const kind = int(depth > 2 ? 4 : 7);
  switch (kind) {
    case 0: return null;
    case 1: return chance(0.5);
    case 2: return pick(EXTREME_NUMBERS);
    case 3: return pick(STRINGS());
    case 4: return Array.from({ length: int(4) }, () => randomJson(depth + 1));
    case 5: {
      const o = {};
      for (let i = 0; i < int(4); i++) o[pick(["", "a", "type", "id", "__proto__", pick(STRINGS()).slice(0, 20)])] = randomJson(depth + 1);
      return o;
    }
    default: return pick([{}, [], "", 0]);
  }
}

/** An object with the route's field names, each given a random (usually wrong) value, some dropped. */
function shaped(fields) {
  const o = {};
  for (const [name, good] of Object.entries(fields)) {
    if (chance(0.15)) continue;
    o[name] = chance(0.35) ? (typeof good === "function" ? good() : good) : randomJson(1);
  }
  if (chance(0.1)) o[pick(["extra", "unknown_field"])] = randomJson(1);
  return o;
}

/** Raw bodies that are not JSON at all, or not text. */
function rawBody() {
  return pick([
    () => Buffer.from([0xff, 0xfe, 0x80, 0xc0, 0x7b, 0x22]),
    () => Buffer.from('{"rating": 5, "body": "\xff\xfe"}', "latin1"),
    () => '{"rating": 5, "title": "trunc',
    () => "",
    () => "null",
    () => "[".repeat(5000),
    () => '{"a":' + "1".repeat(400) + "}",
    () => "x".repeat(int(2) ? 2_000_000 : 20_000),
    () => "rating=5&body=form",
    () => "id,product,rating\n1,SKU,5\n\xff,\xfe,\x00",
  ])();
}

/** The body as sent, and the parsed JSON it stands for (for matching known cases). */
function body(fields) {
  const r = rand();
  if (r < 0.55) { const json = shaped(fields); return { json, raw: toJson(json) }; }
  if (r < 0.75) { const json = randomJson(); return { json, raw: toJson(json) }; }
  return { json: undefined, raw: rawBody() };
}

const CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "text/csv", "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "", "application/ld+json"];
const shopperToken = (sub = "fuzz-shopper", shop = acme) => mintToken(shop.tokenSecret, { sub, shop: shop.shop, exp: nowSeconds() + 600 });

function adminAuth() {
  return pick([
    `Bearer ${acme.adminKey}`, `Bearer ${acme.adminKey}`, `Bearer ${acme.adminKey}`, `Bearer ${other.adminKey}`,
    "Bearer ", "Bearer rk_wrong", "Basic abc", "", `Bearer ${shopperToken()}`, `Bearer ${"x".repeat(10_000)}`,
  ]);
}
function shopperAuth() {
  return pick([
    `Bearer ${shopperToken()}`, `Bearer ${shopperToken(pick(["a", "fuzz-shopper", "x".repeat(200), "ü"]))}`,
    `Bearer ${shopperToken("s", other)}`, `Bearer ${mintToken(acme.tokenSecret, { sub: "s", shop: acme.shop, exp: 1 })}`,
    `Bearer ${mintToken(acme.tokenSecret, { sub: randomJson(), shop: randomJson(), exp: randomJson() })}`,
    `Bearer ${mintToken(acme.tokenSecret, { sub: "s", shop: acme.shop, exp: nowSeconds() + 60 }, { alg: "none" })}`,
    "Bearer a.b.c", "Bearer", "", undefined,
  ]);
}

// Path segments: mostly the good one (so the handler is reached), sometimes another shop's,
// unknown or malformed ones.
/** encodeURIComponent, but a lone surrogate goes out as the bytes it would be in UTF-8 (invalid). */
const encode = (s) => { try { return encodeURIComponent(s); } catch { return s.split("").map((ch) => { try { return encodeURIComponent(ch); } catch { return "%ED%A0%80"; } }).join(""); } };
const seg = (good, bad) => chance(0.75) ? good : encode(pick(bad)).replace(/%25/g, pick(["%25", "%"]));
const BAD_IDS = ["", "%", "a b", "..", "x".repeat(300), "ü", "-9223372036854775808", "<x>", "a:b", "%ff%fe"];
const shopSeg = () => seg(acme.shop, [other.shop, "no-such-shop", "UPPER", ...BAD_IDS]);
const skuSeg = () => seg(pick(["TENT", "MUG"]), ["NOPE", ...BAD_IDS]);
const reviewSeg = () => seg(seeded.review ?? "0000000000000000000001", ["0000000000000000000000", ...BAD_IDS]);
const customerSeg = () => seg(pick(["fuzz-shopper", "kim"]), BAD_IDS);
const codeSeg = () => seg(seeded.code ?? "ABC", ["ABC", "0O0O", "%E2%82%AC", ...BAD_IDS]);
const referralSeg = () => seg(seeded.referral ?? "ABCD-EFGH", ["ZZZZ-ZZZZ", "abcd efgh", "0O0O-IIII", ...BAD_IDS]);
const referralIdSeg = () => seg(pick(["e:0000", "c:kim"]), ["e:", "a/b", ...BAD_IDS]);
const orderSeg = () => seg(pick(["generic:F-1", "shopify:1", "woocommerce:2"]), ["generic:", ":", "x:1", ...BAD_IDS]);

function randomQuery(names) {
  const parts = [];
  for (const name of names) {
    if (chance(0.5)) parts.push(`${name}=${encode(String(pick([...STRINGS(), ...EXTREME_NUMBERS])).replace(/^__raw__/, "").slice(0, 2000))}`);
  }
  if (chance(0.1)) parts.push(pick(["%ff=%fe", "a", "=", "&&", `${pick(names) ?? "x"}=1&${pick(names) ?? "x"}=2`]));
  return parts.length ? `?${parts.join("&")}` : "";
}

const sign = (secret, raw) => createHmac("sha256", secret).update(raw).digest("base64");
const review = { rating: () => 1 + int(5), title: "t", body: "Good tent.", author: "A" };
const money = () => pick(["12.00", "0", "-5", "1e9", "99999999999999999999.99", "12,00"]);
const orderFields = () => shaped({ id: () => pick(["F-1", "", "x".repeat(200)]), customer: "kim", currency: "EUR", subtotal: money, status: () => pick(["paid", "cancelled", "pending", "refunded"]), updated_at: "2026-11-20T10:00:00Z", lines: () => [{ product: "TENT", quantity: pick(EXTREME_NUMBERS) }] });

/** Each route: how to make a request for it. */
const ROUTES = [
  { route: "health", method: "GET", path: () => "/v1/health" },
  { route: "preflight", method: "OPTIONS", path: () => `/v1/shops/${shopSeg()}/products/${skuSeg()}/reviews`, headers: () => ({ origin: pick(["https://fuzz.example", "null", "", "x".repeat(3000)]), "access-control-request-method": pick(["POST", "GET", "DELETE", ""]) }) },
  { route: "product reviews", method: "GET", path: () => `/v1/shops/${shopSeg()}/products/${skuSeg()}/reviews${randomQuery(["sort", "rating", "page"])}` },
  { route: "submit review", method: "POST", path: () => `/v1/shops/${shopSeg()}/products/${skuSeg()}/reviews`, body: () => body(review), auth: shopperAuth },
  { route: "helpful", method: "POST", path: () => `/v1/shops/${shopSeg()}/products/${skuSeg()}/reviews/${reviewSeg()}/helpful`, body: () => body({}), auth: shopperAuth },
  { route: "json-ld", method: "GET", path: () => `/v1/shops/${shopSeg()}/products/${skuSeg()}/reviews.jsonld` },
  { route: "ratings", method: "GET", path: () => `/v1/shops/${shopSeg()}/ratings${randomQuery(["products"])}` },
  { route: "me", method: "GET", path: () => `/v1/shops/${shopSeg()}/me`, auth: shopperAuth },
  { route: "loyalty", method: "GET", path: () => `/v1/shops/${shopSeg()}/loyalty`, auth: shopperAuth },
  { route: "redeem", method: "POST", path: () => `/v1/shops/${shopSeg()}/loyalty/redemptions`, body: () => body({ reward: "5-off", request: () => `r-${int(1e9)}` }), auth: shopperAuth },
  { route: "birthday", method: "POST", path: () => `/v1/shops/${shopSeg()}/loyalty/birthday`, body: () => body({ month: () => int(14), day: () => int(33) }), auth: shopperAuth },
  { route: "referrals", method: "GET", path: () => `/v1/shops/${shopSeg()}/referrals`, auth: shopperAuth },
  { route: "referrals html", method: "GET", path: () => `/v1/shops/${shopSeg()}/referrals.html${randomQuery(["locale", "css"])}`, auth: shopperAuth },
  { route: "referral preferences", method: "POST", path: () => `/v1/shops/${shopSeg()}/referrals/preferences`, body: () => body({ show_name: () => chance(0.5) }), auth: shopperAuth },
  { route: "referral share", method: "POST", path: () => `/v1/shops/${shopSeg()}/referrals/shares`, body: () => body({ channel: () => pick(["copy", "native", "email", "x", "pigeon"]) }), auth: shopperAuth },
  { route: "referral invitation", method: "GET", path: () => `/v1/shops/${shopSeg()}/referrals/codes/${referralSeg()}` },
  { route: "referral claim", method: "POST", path: () => `/v1/shops/${shopSeg()}/referrals/claims`, body: () => body({ code: () => seeded.referral, email: () => pick(["a@b.co", `f${int(1e6)}@fuzz.example`, "no", ""]), first_name: () => pick(["Ann", "", "x".repeat(300)]) }) },
  { route: "referral link", method: "GET", path: () => `/r/${shopSeg()}/${referralSeg()}${randomQuery(["to"])}` },
  { route: "admin referrals", method: "GET", path: () => `/v1/admin/shops/${shopSeg()}/referrals${randomQuery(["status"])}`, auth: adminAuth },
  { route: "admin decide referral", method: "PUT", path: () => `/v1/admin/shops/${shopSeg()}/referrals/${referralIdSeg()}`, body: () => body({ decision: () => pick(["approve", "reject", "maybe"]), reason: () => pick(["", "x".repeat(600)]) }), auth: adminAuth },
  { route: "admin referral stats", method: "GET", path: () => `/v1/admin/shops/${shopSeg()}/referral-stats${randomQuery(["from", "to"])}`, auth: adminAuth },
  { route: "admin code", method: "GET", path: () => `/v1/admin/shops/${shopSeg()}/discount-codes/${codeSeg()}`, auth: adminAuth },
  { route: "consume code", method: "POST", path: () => `/v1/admin/shops/${shopSeg()}/discount-codes/${codeSeg()}/consume`, body: () => body({ order: "1001" }), auth: adminAuth },
  { route: "admin ledger", method: "GET", path: () => `/v1/admin/shops/${shopSeg()}/customers/${customerSeg()}/loyalty`, auth: adminAuth },
  { route: "admin adjust", method: "POST", path: () => `/v1/admin/shops/${shopSeg()}/customers/${customerSeg()}/loyalty`, body: () => body({ key: () => `k-${int(1e9)}`, points: () => pick(EXTREME_NUMBERS) }), auth: adminAuth,
    // The extremes twice each on one ledger, so the sums overflow too.
    fixed: () => ["-9223372036854775808", "-9223372036854775808", "9223372036854775807", "9223372036854775807"].map((points, i) => {
      const json = { key: `extreme-${i}`, points: raw(points) };
      return { route: "admin adjust", method: "POST", path: `/v1/admin/shops/${acme.shop}/customers/extreme/loyalty`, headers: { authorization: `Bearer ${acme.adminKey}`, "content-type": "application/json" }, raw: toJson(json), json };
    }) },
  { route: "put shop", method: "PUT", path: () => `/v1/admin/shops/${shopSeg()}`, body: () => body({ name: "Fuzz", currency: "EUR", locale: () => pick(["en-US", "", "xx"]), allowed_origins: () => ["https://fuzz.example"], moderation: "publish_all", loyalty: () => ({ points_per_unit: pick(EXTREME_NUMBERS), rewards: [] }) }), auth: adminAuth },
  // Erasure is tried only on a shop kept for it (or with keys that must be refused).
  { route: "erase shop", method: "DELETE", path: () => `/v1/admin/shops/${chance(0.5) ? doomed.shop : acme.shop}`, auth: () => pick([`Bearer ${doomed.adminKey}`, `Bearer ${other.adminKey}`, "Bearer x", ""]), onlyDoomed: true },
  { route: "erasure", method: "GET", path: () => `/v1/admin/shops/${shopSeg()}/erasure`, auth: adminAuth },
  { route: "put products", method: "PUT", path: () => `/v1/admin/shops/${shopSeg()}/products`, body: () => body({ products: () => [shaped({ sku: "TENT", title: "Tent", price: () => ({ amount_minor: pick(EXTREME_NUMBERS), currency: "EUR" }), updated_at: "2026-11-20T10:00:00Z" })] }), auth: adminAuth },
  { route: "admin reviews", method: "GET", path: () => `/v1/admin/shops/${shopSeg()}/reviews${randomQuery(["status", "format"])}`, auth: adminAuth },
  { route: "import reviews", method: "POST", path: () => `/v1/admin/shops/${shopSeg()}/reviews`, body: () => chance(0.3) ? { raw: `title,body,rating,review_date,source,curated,reviewer_name,reviewer_email,product_id,product_handle,reply,reply_date,picture_urls,ip_address,location\n${pick(STRINGS()).slice(0, 100)},b,${pick(EXTREME_NUMBERS)},2026-01-01,web,ok,A,a@b,TENT,tent,,,,,\n` } : body({ reviews: () => [shaped({ id: "imp-1", product: "TENT", rating: () => pick(EXTREME_NUMBERS), title: "t", body: "b", author: "a", created_at: () => pick(EXTREME_NUMBERS) })] }), auth: adminAuth },
  { route: "admin review", method: "PUT", path: () => `/v1/admin/shops/${shopSeg()}/products/${skuSeg()}/reviews/${reviewSeg()}`, body: () => body({ status: () => pick(["published", "pending", "rejected", "PUBLISHED"]), reply: () => pick([null, "thanks", "", "x".repeat(20_000)]) }), auth: adminAuth },
  { route: "admin purchases", method: "PUT", path: () => `/v1/admin/shops/${shopSeg()}/purchases`, body: () => body({ purchases: () => [shaped({ customer: "kim", sku: "TENT", order: () => pick(["1001", "", "a/b"]) })] }), auth: adminAuth },
  { route: "admin order", method: "GET", path: () => `/v1/admin/shops/${shopSeg()}/orders/${orderSeg()}`, auth: adminAuth },
  { route: "admin customer", method: "GET", path: () => `/v1/admin/shops/${shopSeg()}/customers/${customerSeg()}`, auth: adminAuth },
  { route: "forget customer", method: "DELETE", path: () => `/v1/admin/shops/${shopSeg()}/customers/${customerSeg()}`, auth: adminAuth },
  { route: "import progress", method: "GET", path: () => `/v1/admin/shops/${shopSeg()}/imports${randomQuery(["import", "from"])}`, auth: adminAuth },
  { route: "import part", method: "POST", path: () => `/v1/admin/shops/${shopSeg()}/imports${randomQuery(["import", "from"])}`, body: () => chance(0.5) ? { raw: toJson({ type: "order", order: orderFields() }) + "\n" + rawBody().toString() } : { raw: `order_id,customer,currency,subtotal,status,updated_at,lines\n${pick(STRINGS()).slice(0, 50)},kim,EUR,${money()},paid,2026-11-20T10:00:00Z,TENT*${pick(EXTREME_NUMBERS)}\n` }, auth: adminAuth },
  { route: "webhook failures", method: "GET", path: () => `/v1/admin/shops/${shopSeg()}/webhook-failures${randomQuery(["limit", "cursor"])}`, auth: adminAuth },
  { route: "shopify webhook", method: "POST", path: () => `/v1/webhooks/${shopSeg()}/shopify`, body: () => body({ id: () => pick(EXTREME_NUMBERS), customer: () => ({ id: pick(EXTREME_NUMBERS) }), currency: "EUR", subtotal_price: money, financial_status: "paid", updated_at: "2026-11-20T10:00:00Z", line_items: () => [{ product_id: pick(EXTREME_NUMBERS), quantity: pick(EXTREME_NUMBERS) }], order_id: () => pick(EXTREME_NUMBERS), transactions: () => [{ amount: money(), kind: "refund" }], title: "t" }),
    signed: (raw) => ({ "x-shopify-hmac-sha256": chance(0.85) ? sign(SECRETS.shopify, raw) : pick(["", "abc", sign("wrong", raw)]),
      // `shop/redact` would erase the shop the other routes use.
      "x-shopify-topic": pick(["orders/paid", "orders/updated", "orders/cancelled", "refunds/create", "products/update", "products/delete", "customers/redact", "customers/data_request", "app/uninstalled", ""]), "x-shopify-event-id": String(int(1e9)) }) },
  { route: "woocommerce webhook", method: "POST", path: () => `/v1/webhooks/${shopSeg()}/woocommerce`, body: () => body({ id: () => pick(EXTREME_NUMBERS), customer_id: () => pick(EXTREME_NUMBERS), currency: "EUR", total: money, status: "completed", date_modified_gmt: "2026-11-20T10:00:00", line_items: () => [{ product_id: pick(EXTREME_NUMBERS), quantity: pick(EXTREME_NUMBERS) }], refunds: () => [{ id: pick(EXTREME_NUMBERS), total: money() }] }),
    signed: (raw) => ({ "x-wc-webhook-signature": chance(0.85) ? sign(SECRETS.woo, raw) : "nope", "x-wc-webhook-topic": pick(["order.created", "order.updated", "order.restored", "order.deleted", "product.updated", ""]) }) },
  { route: "generic webhook", method: "POST", path: () => `/v1/webhooks/${shopSeg()}/generic`, body: () => chance(0.6) ? (() => { const json = { type: pick(["order", "refund", "product", "product_deleted", "nope"]), order: orderFields(), order_id: pick(["F-1", ""]), refund_id: "r", amount: money(), currency: "EUR", product: shaped({ sku: "TENT", title: "T" }), sku: pick(["TENT", "", "a/b"]) }; return { json, raw: toJson(json) }; })() : body({}),
    signed: (raw) => ({ "x-rapport-signature": chance(0.85) ? sign(SECRETS.generic, raw) : "AAAA" }) },
];

/** One generated request for `spec`. */
function generate(spec) {
  const headers = {};
  const made = spec.body ? spec.body() : chance(0.2) ? body({}) : {};
  if (made.raw !== undefined) headers["content-type"] = chance(0.7) ? (spec.route.includes("import") && chance(0.5) ? "text/csv" : "application/json") : pick(CONTENT_TYPES);
  const auth = spec.auth?.();
  if (auth) headers.authorization = auth;
  if (spec.signed && made.raw !== undefined) Object.assign(headers, spec.signed(made.raw));
  Object.assign(headers, spec.headers?.() ?? {});
  if (chance(0.2)) headers.origin = pick(["https://fuzz.example", "https://evil.example", "null"]);
  headers["cf-connecting-ip"] = `10.9.${int(256)}.${int(256)}`;
  for (const [k, v] of Object.entries(headers)) if (v === "" && chance(0.5)) delete headers[k];
  return { route: spec.route, method: spec.method, path: spec.path(), headers, raw: made.raw, json: made.json };
}

const describeCase = (c) => `${c.method} ${c.path} headers=${JSON.stringify(c.headers).slice(0, 400)} body=${typeof c.raw === "string" ? JSON.stringify(c.raw.slice(0, 300)) : c.raw ? `<${c.raw.length} bytes>` : "none"}`;

async function send(c) {
  const res = await fetch(`${worker.url}${c.path}`, { method: c.method, headers: c.headers, body: c.method === "GET" ? undefined : c.raw, redirect: "manual", signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* checked below */ }
  return { status: res.status, text, json, location: res.headers.get("location") };
}

before(async () => {
  console.log(`fuzz: seed ${SEED}, ${CASES} requests per route (FUZZ_SEED=${SEED} repeats it)`);
  worker = await startWorker([acme, other, doomed], {
    SHOPIFY_WEBHOOK_SECRET_FUZZ_ACME: SECRETS.shopify, WOOCOMMERCE_WEBHOOK_SECRET_FUZZ_ACME: SECRETS.woo, GENERIC_WEBHOOK_SECRET_FUZZ_ACME: SECRETS.generic,
  });
  const programme = { points_per_unit: 1, signup_bonus: 600, referral_bonus: 100, rewards: [{ id: "5-off", points: 500, discount: { amount_minor: 500, currency: "EUR" } }] };
  const referral = { friend_offer: { percent_off: 10 }, advocate_reward: { kind: "points" }, landing_url: "https://fuzz.example/" };
  for (const s of [acme, other, doomed]) {
    const res = await admin(worker.url, s, "PUT", "", { name: s.shop, currency: "EUR", allowed_origins: ["https://fuzz.example"], loyalty: programme, referral });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((await admin(worker.url, s, "PUT", "/products", { products: [{ sku: "TENT", title: "Tent" }, { sku: "MUG", title: "Mug" }] })).status, 200);
  }
  // A review and a code to aim at, so routes with ids reach their objects.
  const posted = await fetch(`${worker.url}/v1/shops/${acme.shop}/products/TENT/reviews`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rating: 5, title: "t", body: "Good tent.", author: "A" }),
  });
  seeded.review = (await posted.json()).review.id;
  await admin(worker.url, acme, "POST", "/customers/fuzz-shopper/loyalty", { key: "seed", points: 5000 });
  const redeemed = await fetch(`${worker.url}/v1/shops/${acme.shop}/loyalty/redemptions`, {
    method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${shopperToken()}` }, body: JSON.stringify({ reward: "5-off", request: "seed" }),
  });
  seeded.code = (await redeemed.json()).code?.code ?? null;
  const page = await fetch(`${worker.url}/v1/shops/${acme.shop}/referrals`, { headers: { authorization: `Bearer ${shopperToken()}` } });
  seeded.referral = (await page.json()).advocate?.code ?? null;
});
after(async () => worker?.stop());

for (const spec of ROUTES) {
  test(`${spec.route}: ${CASES} generated requests, no 5xx, every 4xx a JSON error`, { timeout: 300_000 }, async () => {
    // Each route's cases come from their own stream, so one route's failure reproduces alone.
    rand = prng(SEED ^ [...spec.route].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 16777619), 2166136261));
    const cases = [...(spec.fixed?.() ?? []), ...Array.from({ length: CASES }, () => generate(spec))];
    const failures = [];
    const statuses = {};
    // The fixed cases go one at a time, in order.
    for (const c of cases.slice(0, cases.length - CASES)) await check(c);
    for (let i = cases.length - CASES; i < cases.length; i += PARALLEL) {
      await Promise.all(cases.slice(i, i + PARALLEL).map(check));
    }
    async function check(c) {
        const res = await send(c);
        const answer = `${res.status}${res.json?.error?.code ? ` ${res.json.error.code}` : ""}`;
        statuses[answer] = (statuses[answer] ?? 0) + 1;
        // A referral link redirects to the shop's own storefront, never elsewhere.
        const problem = res.status >= 500 ? `status ${res.status}`
          : res.status >= 300 && res.status < 400 && !res.location?.startsWith("https://fuzz.example/") ? `a redirect to ${res.location}`
          : res.status >= 400 && !(typeof res.json?.error?.code === "string" && typeof res.json?.error?.message === "string") ? `status ${res.status} without a JSON error body`
            : null;
        if (!problem) return;
        failures.push(`${problem}: ${describeCase(c)} -> ${res.text.slice(0, 300)}`);
    }
    console.log(`${spec.route}: answers ${JSON.stringify(statuses)}`);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${cases.length} failed (FUZZ_SEED=${SEED})`);
  });
}
