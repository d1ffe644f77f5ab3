// The merchant page's overview, loyalty and shop pages and its review import, against the built
// Worker in workerd: weekly figures that follow reviews, ledgers and orders as they arrive
// (repeated deliveries, a refund, an erased customer), the programme editor's inline errors with
// nothing saved, adjustments applied once per form, the discount-code lookup, a Judge.me export
// uploaded with its per-row report, refused deliveries and imports listed, a customer's data
// downloaded and erased, the shop erased after its id is typed; every refused write changes
// nothing.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { admin, eventually, mintToken, nowSeconds, shopSecrets, startWorker } from "../support/worker.mjs";

const acme = shopSecrets("acme");
const other = shopSecrets("other-shop");
const closing = shopSecrets("closing");
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
  worker = await startWorker([acme, other, closing], { GENERIC_WEBHOOK_SECRET_ACME: GENERIC_SECRET });
  const settings = await admin(worker.url, acme, "PUT", "", { name: "Acme", currency: "EUR", loyalty: programme });
  assert.equal(settings.status, 200, JSON.stringify(settings.body));
  assert.equal((await admin(worker.url, acme, "PUT", "/products", { products: [{ sku: "MUG", title: "Mug" }] })).status, 200);
  assert.equal((await admin(worker.url, other, "PUT", "", { name: "Other", currency: "EUR" })).status, 200);
  assert.equal((await admin(worker.url, closing, "PUT", "", { name: "Closing", currency: "EUR" })).status, 200);
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

describe("importing reviews from the page", () => {
  const csv = [
    "title,body,rating,review_date,source,curated,reviewer_name,reviewer_email,product_id,product_handle,reply,reply_date,picture_urls,ip_address,location",
    'Lovely,"Warm, and a good size.",5,2024-03-09 10:00:00 UTC,verified-buyer,ok,Ada L.,ada@example.com,1,MUG,Thank you!,2024-03-10,,1.2.3.4,UK',
    "Hmm,Unknown product,4,2024-03-09,web,ok,Bo,,2,GHOST,,,,,",
    "Zero,Bad rating,0,2024-03-09,web,ok,Cy,,1,MUG,,,,,",
  ].join("\n");
  const upload = async ({ cookie, csrf, origin = worker.url }) => {
    const form = new FormData();
    form.append("csrf", csrf);
    form.append("file", new Blob([csv], { type: "text/csv" }), "judgeme-export.csv");
    const headers = { cookie };
    if (origin) headers.origin = origin;
    const res = await fetch(`${worker.url}/admin/acme/reviews/import`, { method: "POST", headers, body: form, redirect: "manual" });
    return { status: res.status, text: await res.text() };
  };
  const imported = async () =>
    (await admin(worker.url, acme, "GET", "/reviews")).body.reviews.filter((r) => r.author === "Ada L.").length;

  test("a Judge.me export is imported with a report of every refused row; twice changes nothing", async () => {
    const { cookie, csrf } = await signIn();
    const page = await get("/admin/acme/reviews", cookie);
    assert.match(page.text, /enctype="multipart\/form-data"/);
    const res = await upload({ cookie, csrf });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.match(res.text, /Imported 1 review from judgeme-export.csv; 2 rows refused/);
    assert.match(res.text, /<tr><td>3<\/td><td>[^<]*GHOST/);
    assert.match(res.text, /<tr><td>4<\/td><td>[^<]*rating/);
    await eventually(imported, (n) => assert.equal(n, 1));
    assert.equal((await upload({ cookie, csrf })).status, 200);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(await imported(), 1, "importing twice changes nothing");
  });

  test("an upload without a valid session, CSRF token or origin is refused", async () => {
    const { cookie, csrf } = await signIn();
    assert.equal((await upload({ cookie, csrf: "0".repeat(64) })).status, 403);
    assert.equal((await upload({ cookie, csrf, origin: "https://evil.example" })).status, 403);
    assert.equal((await upload({ cookie: "rapport_admin=acme.1.2.00", csrf })).status, 401);
    assert.equal((await upload({ cookie: (await signIn(other)).cookie, csrf })).status, 403);
  });
});

describe("the shop page", () => {
  test("lists refused deliveries and imports", async () => {
    const forged = await fetch(`${worker.url}/v1/webhooks/acme/generic`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-rapport-signature": sign("{}") },
      body: JSON.stringify({ type: "order", order: { id: "", currency: "EUR" } }),
    });
    assert.equal(forged.status, 401, "a body that does not match its signature");
    const bad = JSON.stringify({ type: "order", order: { id: "X-1" } });
    const refused = await fetch(`${worker.url}/v1/webhooks/acme/generic`, {
      method: "POST", headers: { "content-type": "application/json", "x-rapport-signature": sign(bad) }, body: bad,
    });
    assert.equal(refused.status, 400);
    const line = JSON.stringify(paidOrder("IMP-1", "cy", "10.00"));
    const part = await fetch(`${worker.url}/v1/admin/shops/acme/imports?import=history-2025&from=0`, {
      method: "POST", headers: { authorization: `Bearer ${acme.adminKey}`, "content-type": "application/x-ndjson" }, body: line + "\n",
    });
    assert.equal(part.status, 200, await part.text());
    const { cookie } = await signIn();
    const page = await get("/admin/acme/shop", cookie);
    assert.match(page.text, /<table id="failures">.*<td>generic<\/td><td>–<\/td><td>400<\/td>/s);
    assert.match(page.text, /<table id="imports">.*<th scope="row">history-2025<\/th><td>1<\/td><td>1<\/td><td>0<\/td>/s);
  });

  test("a customer's data is downloaded, then erased once their id is typed twice", async () => {
    const { cookie, csrf } = await signIn();
    const data = await fetch(`${worker.url}/admin/acme/customer-data?customer=ann`, { headers: { cookie } });
    assert.equal(data.status, 200);
    assert.match(data.headers.get("content-disposition"), /attachment; filename="acme-customer-ann.json"/);
    assert.equal((await data.json()).customer, "ann");
    assert.equal((await fetch(`${worker.url}/admin/acme/customer-data?customer=ann`)).status, 401, "signed out");
    const mismatch = await post("/admin/acme/customers/erase", { csrf, customer: "ann", confirm: "anne" }, { cookie });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.json.error.code, "confirmation_mismatch");
    assert.equal((await ledger("ann")).account.balance > 0, true, "nothing erased");
    const erased = await post("/admin/acme/customers/erase", { csrf, customer: "ann", confirm: "ann" }, { cookie });
    assert.equal(erased.status, 303, erased.text);
    assert.match(decodeURIComponent(erased.headers.get("location")), /Erased ann: 1 reviews anonymised/);
    assert.equal((await ledger("ann")).account.balance, 0);
  });

  test("the shop is erased only once its id is typed", async () => {
    const { cookie, csrf } = await signIn(closing);
    const wrong = await post("/admin/closing/erase", { csrf, confirm: "closin" }, { cookie });
    assert.equal(wrong.status, 400);
    assert.equal((await admin(worker.url, closing, "GET", "/overview")).status, 200, "still there");
    const refused = await post("/admin/closing/erase", { csrf, confirm: "closing" }, { cookie, origin: "https://evil.example" });
    assert.equal(refused.status, 403);
    const done = await post("/admin/closing/erase", { csrf, confirm: "closing" }, { cookie });
    assert.equal(done.status, 200, done.text.slice(0, 300));
    assert.match(done.text, /The shop is being erased/);
    assert.match(done.headers.get("set-cookie"), /Max-Age=0/);
    await eventually(() => admin(worker.url, closing, "GET", "/overview"), (res) => assert.equal(res.status, 404));
  });
});

describe("the follow-ups page", () => {
  const stored = async () => (await admin(worker.url, acme, "GET", "")).body;
  const fields = (extra = {}) => ({
    send: "on", sender_address: "hello@acme.example", sender_name: "Acme Outdoor", consent: "opt_out",
    delay_days: "5", notice_days: "14", review_subject: "", review_intro: "", expiry_subject: "", expiry_intro: "",
    ...extra,
  });

  test("the e-mails are turned on past inline errors, reworded, previewed for an order, and turned off", async () => {
    const { cookie, csrf } = await signIn();
    const page = await get("/admin/acme/follow-ups", cookie);
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1>Follow-up e-mails<\/h1>/);
    assert.match(page.text, /<dt>Sent<\/dt><dd>0<\/dd>/);
    assert.match(page.text, /<input type="checkbox" id="send" name="send" value="on">/, "off until turned on");
    assert.match(page.text, /aria-current="page">Follow-ups</);

    const wrong = await post("/admin/acme/follow-ups", { csrf, ...fields({ sender_address: "hello", review_subject: "Tell us!" }) }, { cookie });
    assert.equal(wrong.status, 400);
    assert.match(wrong.text, /role="alert">Nothing was saved/);
    assert.match(wrong.text, /id="sender_address"[^>]*aria-invalid="true"/);
    assert.match(wrong.text, /id="sender_address-error">is not an e-mail address/);
    assert.match(wrong.text, /value="hello"/, "what was typed stays");
    assert.equal((await stored()).follow_ups, undefined, "nothing saved");
    const unworded = await post("/admin/acme/follow-ups", { csrf, ...fields({ review_subject: "Tell us!" }) }, { cookie });
    assert.equal(unworded.status, 400);
    assert.match(unworded.text, /id="review_subject-error">must keep the placeholder \{shop\}/);
    assert.equal((await post("/admin/acme/follow-ups", { ...fields() }, { cookie })).status, 403, "no CSRF token");
    assert.equal((await post("/admin/acme/follow-ups", { csrf, ...fields() }, { cookie, origin: "https://evil.example" })).status, 403);
    assert.equal((await stored()).follow_ups, undefined);

    const saved = await post("/admin/acme/follow-ups", { csrf, ...fields({ review_subject: "Tell us about {shop}" }) }, { cookie });
    assert.equal(saved.status, 303, saved.text.slice(0, 300));
    const settings = await stored();
    assert.deepEqual(settings.follow_ups, {
      delay_days: 5, consent: "opt_out", sender: { address: "hello@acme.example", name: "Acme Outdoor" },
      link_base: worker.url, expiry_reminders: false, notice_days: 14,
    });
    assert.equal(settings.strings.en["email.review.subject"], "Tell us about {shop}");
    assert.ok(settings.loyalty, "the programme stays as it was");

    // An order fulfilled yesterday: its request is scheduled, and the preview shows it.
    const fulfilled = new Date(Date.now() - 86_400_000).toISOString();
    await deliver({ type: "order", order: { ...paidOrder("FU-1", "fio", "20.00").order, email: "fio@example.com", fulfilled_at: fulfilled } });
    const shown = await get("/admin/acme/follow-ups?order=generic:FU-1", cookie);
    assert.equal(shown.status, 200);
    assert.match(shown.text, /<dt>Scheduled<\/dt><dd>1<\/dd>/);
    assert.match(shown.text, /role="status">Goes out on 20\d\d-\d\d-\d\d\./);
    assert.match(shown.text, /<td>fio@example.com<\/td>/);
    assert.match(shown.text, /<td>Tell us about [^<]+<\/td>/, "the shop's own words");
    assert.match(shown.text, /<iframe src="\/admin\/acme\/follow-ups\/preview\?order=generic%3AFU-1" title="[^"]+" sandbox/);
    const frame = await fetch(`${worker.url}/admin/acme/follow-ups/preview?order=generic%3AFU-1`, { headers: { cookie } });
    assert.equal(frame.status, 200);
    assert.match(frame.headers.get("content-security-policy"), /frame-ancestors 'self'/);
    assert.match(await frame.text(), /\/review-requests\/preview\?sku=MUG/);
    assert.equal((await fetch(`${worker.url}/admin/acme/follow-ups/preview?order=generic%3AFU-1`, { redirect: "manual" })).status, 303, "signed out: to the sign-in");
    const unknown = await get("/admin/acme/follow-ups?order=generic:NOPE", cookie);
    assert.match(unknown.text, /role="alert">no order with this key/);

    const { send: _, ...unchecked } = fields();
    const off = await post("/admin/acme/follow-ups", { csrf, ...unchecked }, { cookie });
    assert.equal(off.status, 303);
    assert.equal((await stored()).follow_ups, undefined, "turned off");
  });
});
