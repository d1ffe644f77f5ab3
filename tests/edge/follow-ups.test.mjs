// Review requests and points-expiry reminders against the built Worker in workerd: a fulfilled
// order's request goes out once, after the shop's delay, through the `send_email` binding's
// local simulation. The Cron Trigger runs at the present (`/__scheduled`), so time is moved by
// the orders instead: they were fulfilled days ago, and no test waits. A member's reminder is
// sent by their ledger's alarm, a few seconds after the change that brought the expiry date
// within the notice (the programme's expiry is shorter than the notice).

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { admin, eventually, getJson, shopSecrets, startWorker } from "../support/worker.mjs";

const acme = shopSecrets("acme");
const other = shopSecrets("other");
const perks = shopSecrets("perks");
const GENERIC_SECRET = "gen-" + "f7".repeat(12);
const DAY_MS = 86_400_000;
const daysAgo = (days) => new Date(Date.now() - days * DAY_MS).toISOString();
let worker;

const settings = {
  name: "Acme Outdoor",
  currency: "EUR",
  locale: "en-US",
  follow_ups: { sender: { address: "hello@acme.example", name: "Acme Outdoor" }, delay_days: 7 },
};

async function deliver(order, shop = "acme") {
  const body = JSON.stringify({ type: "order", order });
  const signature = createHmac("sha256", GENERIC_SECRET).update(body).digest("base64");
  const res = await fetch(`${worker.url}/v1/webhooks/${shop}/generic`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-rapport-signature": signature },
    body,
  });
  assert.equal(res.status, 200, await res.text());
}

const order = (id, customer, extra = {}) => ({
  id, customer, currency: "EUR", subtotal: "89.00", status: "paid", updated_at: "2026-11-20T10:00:00Z",
  lines: [{ product: "TENT", quantity: 1 }, { product: "MUG", quantity: 2 }],
  email: `${customer ?? "guest"}@example.com`, accepts_marketing: true, fulfilled_at: daysAgo(8),
  ...extra,
});

async function cron() {
  const res = await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent("17 * * * *")}`);
  assert.equal(res.status, 200, await res.text());
}

/** The messages sent to `to`, each as its headers and decoded parts. */
function mailTo(to) {
  return worker.emails().map(parse).filter((m) => m.headers.to === to);
}

function parse(raw) {
  const [head, ...rest] = raw.split("\r\n\r\n");
  const headers = {};
  for (const line of head.replace(/\r\n /g, " ").split("\r\n")) {
    const i = line.indexOf(": ");
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 2);
  }
  const boundary = headers["content-type"].match(/boundary="([^"]+)"/)[1];
  const parts = {};
  for (const part of rest.join("\r\n\r\n").split(`--${boundary}`).slice(1, -1)) {
    const [partHead, body] = part.trim().split("\r\n\r\n");
    const kind = partHead.match(/text\/(plain|html)/)[1];
    parts[kind] = Buffer.from(body.replace(/\r\n/g, ""), "base64").toString("utf8");
  }
  return { headers, ...parts };
}

before(async () => {
  const secrets = { GENERIC_WEBHOOK_SECRET_ACME: GENERIC_SECRET, GENERIC_WEBHOOK_SECRET_PERKS: GENERIC_SECRET };
  worker = await startWorker([acme, other, perks], secrets, { testScheduled: true });
  const programme = {
    points_per_unit: 1, signup_bonus: 0, review_bonus: 0, expiry_days: 30,
    rewards: [{ id: "5-off", points: 500, discount: { amount_minor: 500, currency: "EUR" } }],
  };
  const perksSettings = {
    name: "Perks & Co", currency: "EUR", locale: "en-US", allowed_origins: ["https://perks.example"], loyalty: programme,
    follow_ups: { sender: { address: "club@perks.example", name: "Perks" }, expiry_reminders: true, notice_days: 40 },
  };
  const saved = await admin(worker.url, perks, "PUT", "", perksSettings);
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  assert.equal((await admin(worker.url, other, "PUT", "", { name: "Other", currency: "EUR" })).status, 200);
  const acmeSaved = await admin(worker.url, acme, "PUT", "", settings);
  assert.equal(acmeSaved.status, 200, JSON.stringify(acmeSaved.body));
  assert.equal(acmeSaved.body.follow_ups.link_base, worker.url, "links go to the origin the settings came through");
  const products = await admin(worker.url, acme, "PUT", "/products", {
    products: [
      { sku: "TENT", title: "Ridgeline Tent", image_url: "https://cdn.acme.example/tent.jpg" },
      { sku: "MUG", title: "Enamel Mug" },
    ],
  });
  assert.equal(products.status, 200, JSON.stringify(products.body));
});
after(async () => worker?.stop());

describe("review requests", () => {
  test("a fulfilled order gets one request after the shop's delay, however often the webhook and the scheduler repeat", async () => {
    await deliver(order("R-0", "lea", { fulfilled_at: daysAgo(6), email: "lea@example.com" }));
    await deliver(order("R-1", "kim"));
    await cron();
    assert.deepEqual(mailTo("lea@example.com"), [], "not before the seventh day");
    const [mail, ...more] = mailTo("kim@example.com");
    assert.ok(mail, "sent on the seventh day");
    assert.deepEqual(more, []);
    assert.equal(mail.headers.from, "Acme Outdoor <hello@acme.example>");
    assert.equal(mail.headers.subject, "How was your order from Acme Outdoor?");
    assert.match(mail.headers["message-id"], /^<[0-9a-f]{32}@acme\.example>$/);
    assert.equal(mail.headers["list-unsubscribe-post"], "List-Unsubscribe=One-Click");
    const unsubscribe = mail.headers["list-unsubscribe"].slice(1, -1);
    assert.ok(unsubscribe.startsWith(`${worker.url}/v1/shops/acme/unsubscribe/v1.`), unsubscribe);
    for (const sku of ["TENT", "MUG"]) {
      for (let n = 1; n <= 5; n++) {
        assert.match(mail.html, new RegExp(`href="${worker.url}/v1/shops/acme/review-requests/v1\\.[^"?]+\\?sku=${sku}&amp;rating=${n}"`), `${sku} ${n}`);
      }
    }
    assert.ok(mail.html.includes("Ridgeline Tent") && mail.html.includes("Enamel Mug"));
    assert.ok(mail.html.includes('src="https://cdn.acme.example/tent.jpg"'));
    assert.ok(mail.html.includes(`href="${unsubscribe}"`), "a visible unsubscribe link");
    const links = [...mail.html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(links.every((l) => l.startsWith(worker.url) || l === "https://cdn.acme.example/tent.jpg"), `no third party: ${links}`);
    assert.ok(mail.plain.includes("Ridgeline Tent") && mail.plain.includes(unsubscribe));

    await deliver(order("R-1", "kim", { updated_at: "2026-11-21T10:00:00Z" }));
    await cron();
    await cron();
    assert.equal(mailTo("kim@example.com").length, 1, "once");
    // Fulfilled earlier than first said (the first fulfilment seen stays): due now, and sent.
    await deliver(order("R-0", "lea", { fulfilled_at: daysAgo(9), updated_at: "2026-11-21T10:00:00Z" }));
    await cron();
    assert.equal(mailTo("lea@example.com").length, 1);
  });

  test("no request without consent, for a cancelled order, a guest or an erased customer", async () => {
    await deliver(order("R-2", "noe", { accepts_marketing: false }));
    await deliver(order("R-3", "cas"));
    await deliver(order("R-3", "cas", { status: "cancelled", updated_at: "2026-11-22T10:00:00Z" }));
    await deliver(order("R-4", null));
    await deliver(order("R-5", "era"));
    assert.equal((await admin(worker.url, acme, "DELETE", "/customers/era")).status, 200);
    await deliver(order("R-6", "wai", { fulfilled_at: undefined }));
    await cron();
    for (const to of ["noe@example.com", "cas@example.com", "guest@example.com", "era@example.com", "wai@example.com"]) {
      assert.deepEqual(mailTo(to), [], to);
    }
    // Fulfilled in a later delivery: the delay counts from then.
    await deliver(order("R-6", "wai", { fulfilled_at: daysAgo(2), updated_at: "2026-12-01T10:00:00Z" }));
    await cron();
    assert.deepEqual(mailTo("wai@example.com"), []);
  });

  test("settings that would let a header in are refused", async () => {
    for (const [follow_ups, field] of [
      [{ sender: { address: "hello@acme.example\r\nBcc: all@example.com" } }, "follow_ups.sender.address"],
      [{ sender: { address: "hello@acme.example", name: "Acme\nBcc: all@example.com" } }, "follow_ups.sender.name"],
      [{ sender: { address: "hello@acme.example" }, delay_days: 0 }, "follow_ups.delay_days"],
      [{ sender: { address: "hello@acme.example" }, link_base: "https://evil.example/path" }, "follow_ups.link_base"],
    ]) {
      const res = await admin(worker.url, acme, "PUT", "", { ...settings, follow_ups });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, "invalid_field", JSON.stringify(res.body));
      assert.ok(res.body.error.message.startsWith(`\`${field}\``), JSON.stringify(res.body));
    }
  });
});

/** A link token signed with `secret`, as the Worker signs them (`follow_up::link`). */
function mintLink(secret, { purpose = "review", shop = "acme", order, customer, exp }) {
  const payload = `${purpose}\n${shop}\n${order}\n${customer}\n${"ab".repeat(32)}\n${exp}`;
  const mac = createHmac("sha256", secret).update("follow-up-link\n").update(payload).digest().subarray(0, 16);
  return `v1.${Buffer.from(payload).toString("base64url")}.${mac.toString("base64url")}`;
}

const form = (fields) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

describe("the links in a review request", () => {
  let mail;
  before(async () => {
    await deliver(order("L-1", "ana", { email: "ana@example.com" }));
    await cron();
    [mail] = mailTo("ana@example.com");
    assert.ok(mail, "the request went");
  });
  const starLink = (sku, n) => mail.html.match(new RegExp(`href="([^"]+\\?sku=${sku})&amp;rating=${n}"`))[1] + `&rating=${n}`;

  test("a star link opens the order's review page with that rating chosen, and what is sent there is a verified review", async () => {
    const link = starLink("TENT", 4);
    const page = await fetch(link);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<input type="radio" name="rating\.TENT" value="4" checked>/);
    assert.doesNotMatch(html, /name="rating\.MUG" value="\d" checked/, "only the product whose stars were clicked");
    assert.doesNotMatch(html, /<script/i, "usable before any script");
    assert.ok(html.includes("Ridgeline Tent") && html.includes("Enamel Mug"));
    const sent = await fetch(link.split("?")[0], form({ "rating.TENT": "4", "title.TENT": "Dry all night", "body.TENT": "Sturdy and quick to pitch.", author: "Ana" }));
    assert.equal(sent.status, 201, await sent.text());
    await eventually(() => getJson(`${worker.url}/v1/shops/acme/products/TENT/reviews?sort=newest`), ({ body }) => {
      const review = body.reviews.find((r) => r.author === "Ana");
      assert.ok(review, JSON.stringify(body));
      assert.equal(review.rating, 4);
      assert.equal(review.verified, true);
    });
    // Taken once: the page says so, and sending again writes nothing.
    await eventually(() => fetch(link).then((r) => r.text()), (text) => assert.doesNotMatch(text, /name="rating\.TENT"/));
    const again = await fetch(link.split("?")[0], form({ "rating.TENT": "1", "body.TENT": "Again", author: "Ana" }));
    assert.equal(again.status, 400);
    assert.equal((await again.json()).error.code, "nothing_to_review");
    const fromForm = await fetch(link.split("?")[0], { ...form({ "rating.TENT": "1", "body.TENT": "Again", author: "Ana" }), headers: { ...form({}).headers, accept: "text/html" } });
    assert.equal(fromForm.status, 400);
    assert.match(await fromForm.text(), /<h1>Choose the stars for at least one product you have not reviewed yet\.<\/h1>/);
  });

  test("the same product's review sent five times at once is taken once", async () => {
    await deliver(order("L-9", "ben", { email: "ben@example.com" }));
    await cron();
    const [benMail] = mailTo("ben@example.com");
    const link = benMail.html.match(/href="([^"?]+)\?sku=TENT&amp;rating=5"/)[1];
    const sends = await Promise.all(Array.from({ length: 5 }, () =>
      fetch(link, form({ "rating.TENT": "5", "body.TENT": "Five at once.", author: "Ben" })).then((r) => r.status)));
    assert.deepEqual(sends.sort(), [201, 400, 400, 400, 400], String(sends));
    await eventually(() => getJson(`${worker.url}/v1/shops/acme/products/TENT/reviews?sort=newest`), ({ body }) => {
      assert.equal(body.reviews.filter((r) => r.author === "Ben").length, 1);
    });
  });

  test("forged, expired, misused and other shops' links get a 4xx and change nothing", async () => {
    const link = starLink("MUG", 5).split("?")[0];
    const token = link.split("/").pop();
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const cases = [
      [link.replace(token, token.slice(0, -2) + (token.endsWith("A") ? "BB" : "AA")), 401, "link_invalid"],
      [link.replace(token, mintLink(acme.tokenSecret, { order: "generic:L-1", customer: "ana", exp: exp - 7200 })), 401, "link_expired"],
      [link.replace(token, mintLink(acme.tokenSecret, { order: "generic:L-1", customer: "ana", exp, purpose: "unsubscribe" })), 403, "link_misused"],
      [link.replace(token, mintLink(acme.tokenSecret, { order: "generic:L-1", customer: "kim", exp })), 403, "link_misused"],
      [link.replace("/shops/acme/", "/shops/other/"), 401, "link_invalid"],
      // Another shop's own link, sent to this shop: not signed with this shop's secret.
      [link.replace(token, mintLink(other.tokenSecret, { shop: "other", order: "generic:L-1", customer: "ana", exp })), 401, "link_invalid"],
    ];
    for (const [url, status, code] of cases) {
      for (const init of [undefined, form({ "rating.MUG": "5", "body.MUG": "Forged", author: "Eve" })]) {
        const res = await fetch(url, init);
        assert.equal(res.status, status, `${url} ${init ? "POST" : "GET"}`);
        assert.equal((await res.json()).error.code, code, url);
      }
    }
    // A person whose browser opens a bad link gets a page in the shop's words, with the same status.
    const person = { headers: { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" } };
    for (const [url, status, text] of [
      [cases[0][0], 401, "This link does not work. Open it from the e-mail as it came."],
      [cases[1][0], 401, "This link has expired."],
      [cases[2][0], 403, "This link is for something else."],
    ]) {
      const res = await fetch(url, person);
      assert.equal(res.status, status, url);
      assert.match(res.headers.get("content-type"), /^text\/html/);
      assert.ok((await res.text()).includes(`<h1>${text}</h1>`), text);
    }
    const mugs = (await getJson(`${worker.url}/v1/shops/acme/products/MUG/reviews?sort=newest`)).body;
    assert.ok(!mugs.reviews.some((r) => r.author === "Eve"), "nothing written");
  });

  test("the one-click unsubscribe stops every later request to that address", async () => {
    const unsubscribe = mail.headers["list-unsubscribe"].slice(1, -1);
    const page = await fetch(unsubscribe);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<form method="post"><button type="submit">/);
    // Opening the page unsubscribes nobody: the next order still gets its request.
    await deliver(order("L-2", "ana", { email: "ana@example.com" }));
    await cron();
    assert.equal(mailTo("ana@example.com").length, 2);
    const res = await fetch(unsubscribe, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /no more e-mails from Acme Outdoor/);
    await deliver(order("L-3", "ana", { email: "ana@example.com" }));
    await deliver(order("L-4", "ana-2", { email: "ANA@example.com " }));
    await cron();
    assert.equal(mailTo("ana@example.com").length, 2, "nothing after the unsubscribe, whatever the customer id");
    assert.deepEqual(mailTo("ANA@example.com "), []);
    // The customer's export: their requests, and the unsubscribe of the address the request for
    // the data names (a sent request keeps no address, so none is known without it).
    const exported = async (path) => (await admin(worker.url, acme, "GET", `/customers/${path}`)).body.follow_ups;
    const ana = await exported("ana");
    assert.deepEqual(ana.addresses, []);
    assert.ok(ana.review_requests.some((r) => r.order === "generic:L-1" && r.outcome.sent), JSON.stringify(ana));
    const [asked] = (await exported("ana?email=Ana@Example.com")).addresses;
    assert.equal(asked.email, "ana@example.com");
    assert.ok(Math.abs(asked.unsubscribed_at - Date.now() / 1000) < 600, JSON.stringify(asked));
    const dropped = (await exported("ana-2")).review_requests;
    assert.deepEqual(dropped.map((r) => [r.order, r.outcome.dropped.why]), [["generic:L-4", "unsubscribed"]]);
  });
});

describe("what the merchant sees of the review requests", () => {
  const funnel = async () => {
    const res = await admin(worker.url, acme, "GET", "/follow-ups");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const preview = (order, keys = acme) => admin(worker.url, keys, "GET", `/orders/${order}/review-request`);

  test("the funnel counts requests sent, links opened once per order, reviews written and conversion", async () => {
    const before = (await funnel()).review_requests;
    await deliver(order("F-1", "fay", { email: "fay@example.com" }));
    await deliver(order("F-2", "gus", { email: "gus@example.com" }));
    await deliver(order("F-3", "hal", { email: "hal@example.com", accepts_marketing: false }));
    await deliver(order("F-4", "ivy", { email: "ivy@example.com", fulfilled_at: daysAgo(2) }));
    await cron();
    const [fay] = mailTo("fay@example.com");
    const link = fay.html.match(/href="([^"]+\?sku=TENT)&amp;rating=5"/)[1];
    // Opened three times (mail scanners, the shopper, a second look): one open.
    for (let i = 0; i < 3; i++) assert.equal((await fetch(link)).status, 200);
    const gus = mailTo("gus@example.com")[0].html.match(/href="([^"?]+)\?sku=MUG&amp;rating=3"/)[1];
    const sent = await fetch(gus, form({ "rating.MUG": "3", "body.MUG": "Good mug.", "rating.TENT": "4", "body.TENT": "Good tent.", author: "Gus" }));
    assert.equal(sent.status, 201, await sent.text());
    const { review_requests: after, conversion } = await funnel();
    assert.equal(after.sent - before.sent, 2);
    assert.equal(after.opened - before.opened, 2, "fay's link opened, and gus's (he wrote through it)");
    assert.equal(after.reviewed - before.reviewed, 1);
    assert.equal(after.reviews - before.reviews, 2);
    assert.equal(after.scheduled - before.scheduled, 1, "ivy's is still to go");
    assert.equal((after.dropped.no_consent ?? 0) - (before.dropped.no_consent ?? 0), 1);
    assert.ok(Math.abs(conversion - after.reviewed / after.sent) < 1e-9, String(conversion));
    // Another shop's key reads nothing of it.
    assert.equal((await admin(worker.url, other, "GET", "/follow-ups").then((r) => r.status)), 200);
    assert.deepEqual((await admin(worker.url, other, "GET", "/follow-ups")).body.review_requests.sent, 0);
    const wrongKey = await fetch(`${worker.url}/v1/admin/shops/acme/follow-ups`, { headers: { authorization: `Bearer ${other.adminKey}` } });
    assert.equal(wrongKey.status, 401);
  });

  test("a preview shows an order's e-mail as it goes out, with links that lead nowhere", async () => {
    const res = await preview("generic:F-4");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const p = res.body;
    assert.equal(p.status, "scheduled");
    assert.match(p.due_at, /^20\d\d-\d\d-\d\d$/);
    assert.equal(p.message.to, "ivy@example.com");
    assert.equal(p.message.from, "Acme Outdoor <hello@acme.example>");
    assert.equal(p.message.subject, "How was your order from Acme Outdoor?");
    assert.ok(p.message.html.includes("Ridgeline Tent") && p.message.text.includes("Enamel Mug"));
    const links = [...p.message.html.matchAll(/href="([^"]+)"/g)].map((m) => m[1].replaceAll("&amp;", "&"));
    assert.ok(links.length >= 10, String(links));
    for (const l of links) {
      assert.ok(l.includes("/review-requests/preview?") || l.endsWith("/unsubscribe/preview"), l);
    }
    const dead = await fetch(links[0]);
    assert.equal(dead.status, 401, "a preview's link is no link the shop sent");
    assert.equal((await dead.json()).error.code, "link_invalid");
    assert.deepEqual(mailTo("ivy@example.com"), [], "a preview sends nothing");
    // While it waits, the address is the customer's data, in their export.
    const ivy = (await admin(worker.url, acme, "GET", "/customers/ivy")).body.follow_ups;
    assert.deepEqual(ivy.review_requests.map((r) => [r.order, r.pending.email]), [["generic:F-4", "ivy@example.com"]]);
    assert.deepEqual(ivy.addresses, [{ email: "ivy@example.com", unsubscribed_at: null }]);

    const done = (await preview("generic:F-2")).body;
    assert.equal(done.status, "sent");
    assert.equal(done.message.to, null, "the address is not kept after the request went");
    assert.equal(done.outcome.sent.reviews, 2);
    assert.ok(done.outcome.sent.opened > 0);
    assert.equal((await preview("generic:F-3")).body.outcome.dropped.why, "no_consent");

    const missing = await preview("generic:NOPE");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "order_not_found");
    const off = await preview("generic:F-4", other);
    assert.equal(off.status, 409, "a shop that sends no follow-ups has nothing to preview");
    assert.equal(off.body.error.code, "follow_ups_off");
    const bad = await preview("not an order");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "invalid_id");
  });
});

describe("points-expiry reminders", () => {
  const adjust = (customer, key, points) =>
    admin(worker.url, perks, "POST", `/customers/${customer}/loyalty`, { key, points });
  /** Waits for `to`'s `n`-th message. */
  const nth = (to, n) => eventually(() => mailTo(to), (mails) => assert.equal(mails.length, n, to), 20_000);

  test("a member whose points expire within the notice gets one reminder per expiry date, with consent, until they unsubscribe", async () => {
    await deliver(order("P-1", "ana", { email: "ana@perks.example" }), "perks");
    await deliver(order("P-2", "noe", { email: "noe@perks.example", accepts_marketing: false }), "perks");
    const [mail] = await nth("ana@perks.example", 1);
    assert.equal(mail.headers.from, "Perks <club@perks.example>");
    assert.match(mail.headers.subject, /^Your points at Perks & Co expire on [A-Z][a-z]+ \d{1,2}, 20\d\d$/);
    const date = mail.headers.subject.split(" expire on ")[1];
    assert.ok(mail.plain.includes(`Your 89 points at Perks & Co expire on ${date}.`), mail.plain);
    assert.ok(mail.html.includes('href="https://perks.example"'), "a link to the shop");
    const unsubscribe = mail.headers["list-unsubscribe"].slice(1, -1);
    assert.ok(unsubscribe.startsWith(`${worker.url}/v1/shops/perks/unsubscribe/v1.`), unsubscribe);
    assert.equal(mail.headers["list-unsubscribe-post"], "List-Unsubscribe=One-Click");
    assert.ok(mail.html.includes(`href="${unsubscribe}"`), "a visible unsubscribe link");
    const links = [...mail.html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(links.filter((l) => !l.startsWith(worker.url) && l !== "https://perks.example"), [], "no third party");
    // Where the reminders go is in the member's export.
    const exported = await admin(worker.url, perks, "GET", "/customers/ana/loyalty");
    assert.equal(exported.body.ledger.contact.email, "ana@perks.example");

    // The same expiry date (points taken off do not move it): nothing more, whatever runs.
    assert.equal((await adjust("ana", "fix-1", -1)).status, 200);
    await deliver(order("P-3", "ben", { email: "ben@perks.example" }), "perks");
    await nth("ben@perks.example", 1);
    // A later date (points earned move it): a reminder for it.
    assert.equal((await adjust("ben", "gift-1", 5)).status, 200);
    const [, again] = await nth("ben@perks.example", 2);
    assert.ok(again.plain.includes("Your 94 points at Perks & Co"), again.plain);

    // Unsubscribed (RFC 8058's one-click POST): no reminder for a later date either.
    const res = await fetch(unsubscribe, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    assert.equal(res.status, 200);
    assert.equal((await adjust("ana", "gift-2", 5)).status, 200);
    await deliver(order("P-4", "cara", { email: "cara@perks.example" }), "perks");
    await nth("cara@perks.example", 1);
    assert.equal(mailTo("ana@perks.example").length, 1, "one reminder for ana's first date, none after she unsubscribed");
    assert.deepEqual(mailTo("noe@perks.example"), [], "no consent, no reminder");

    // The merchant's weekly figures count every reminder sent: ana's one, ben's two, cara's one.
    const thisWeek = () => admin(worker.url, perks, "GET", "/overview?weeks=1").then((r) => r.body.weeks.at(-1));
    await eventually(thisWeek, (week) => assert.equal(week.reminders, 4, JSON.stringify(week)), 20_000);
  });
});
