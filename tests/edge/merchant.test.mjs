// The merchant page against the built Worker in workerd: signing in with the admin key, the
// session cookie, and every refusal (a wrong key, a forged, expired or signed-out session, a
// cross-site form, a missing CSRF token, another shop's session, repeated failed sign-ins) with
// nothing changed; moderation in bulk, replies and the settings form with its inline errors.

import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { admin, createShop, eventually, getJson, shopSecrets, startWorker } from "../support/worker.mjs";

const acme = shopSecrets("acme");
const other = shopSecrets("other-shop");
const locked = shopSecrets("locked");
let worker;
let address = 1;

/** A form post as a browser on the merchant page sends it. */
async function post(path, fields, { cookie, origin = worker.url, ip } = {}) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
  const headers = { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": ip ?? `10.9.0.${address++ & 255}` };
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
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const cookieOf = (res) => (res.headers.get("set-cookie") || "").split(";")[0];
const csrfOf = (html) => /name="csrf" value="([0-9a-f]+)"/.exec(html)?.[1];

async function signIn(secrets = acme, ip) {
  const res = await post("/admin/sign-in", { shop: secrets.shop, key: secrets.adminKey }, { ip });
  assert.equal(res.status, 303, res.text);
  const cookie = cookieOf(res);
  const page = await get(`/admin/${secrets.shop}/reviews`, cookie);
  assert.equal(page.status, 200);
  return { cookie, csrf: csrfOf(page.text) };
}

/** A session as the Worker would sign it, for times it would not (the test knows the secrets). */
function mintSession(secrets, issued, expires) {
  const hash = createHash("sha256").update(secrets.adminKey).digest("hex");
  const key = createHmac("sha256", secrets.tokenSecret).update(`merchant-session\n${secrets.shop}\n${hash}`).digest();
  const sig = createHmac("sha256", key).update(`session\n${secrets.shop}\n${issued}\n${expires}`).digest("hex");
  return `rapport_admin=${secrets.shop}.${issued}.${expires}.${sig}`;
}

async function submit(rating, author) {
  const res = await fetch(`${worker.url}/v1/shops/acme/products/MUG/reviews`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": `10.8.0.${address++ & 255}` },
    body: JSON.stringify({ rating, title: `From ${author}`, body: "A review <script>alert(1)</script> to moderate.", author }),
  });
  assert.equal(res.status, 201);
  return (await res.json()).review.id;
}

const statuses = async () => {
  const { body } = await admin(worker.url, acme, "GET", "/reviews");
  return pending.map((id) => body.reviews.find((r) => r.id === id)?.status);
};
/** The stored statuses, once the product's object has written them (at most a second later). */
const settled = (want) => eventually(statuses, (got) => assert.deepEqual(got, want));

let pending;
before(async () => {
  worker = await startWorker([acme, other, locked]);
  await createShop(worker.url, acme, { products: ["MUG"] });
  await createShop(worker.url, other, { products: ["MUG"] });
  await createShop(worker.url, locked, { products: [] });
  assert.equal((await admin(worker.url, acme, "PUT", "", { name: "Acme", currency: "EUR", moderation: "hold_all" })).status, 200);
  pending = [await submit(5, "Ada"), await submit(2, "Bo"), await submit(4, "Cy")];
  await settled(["pending", "pending", "pending"]);
});
after(async () => worker?.stop());

describe("signing in", () => {
  test("the sign-in page is a form with labels, under a strict content policy", async () => {
    const res = await get("/admin/");
    assert.equal(res.status, 200);
    assert.match(res.text, /<label for="shop">Shop id<\/label>/);
    assert.match(res.text, /<label for="key">Admin key<\/label>/);
    assert.match(res.headers.get("content-security-policy"), /default-src 'none'/);
    assert.match(res.headers.get("content-security-policy"), /frame-ancestors 'none'/);
    assert.equal(res.headers.get("cache-control"), "no-store");
  });

  test("the admin key gives a session cookie: HttpOnly, Secure, SameSite=Strict, for /admin only", async () => {
    const res = await post("/admin/sign-in", { shop: "acme", key: acme.adminKey });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/admin/acme/overview");
    const header = res.headers.get("set-cookie");
    for (const attribute of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/admin", "Max-Age=7200"]) {
      assert.ok(header.includes(attribute), `${attribute} in ${header}`);
    }
    const home = await get("/admin/", cookieOf(res));
    assert.equal(home.status, 303, "signed in: straight to the shop");
  });

  test("a wrong key, an unknown shop or another shop's key: the same refusal, no cookie", async () => {
    for (const [shop, key] of [["acme", "rk_test_wrong"], ["nobody", acme.adminKey], ["acme", other.adminKey], ["../x", "k"]]) {
      const res = await post("/admin/sign-in", { shop, key });
      assert.equal(res.status, 401, `${shop}`);
      assert.match(res.text, /The shop id or the admin key is wrong/);
      assert.equal(res.headers.get("set-cookie"), null);
    }
  });

  test("a sign-in form posted from another site is refused", async () => {
    const res = await post("/admin/sign-in", { shop: "acme", key: acme.adminKey }, { origin: "https://evil.example" });
    assert.equal(res.status, 403);
    assert.equal(res.json.error.code, "cross_site");
    assert.equal(res.headers.get("set-cookie"), null);
  });

  test("repeated sign-ins from one address are refused, even with the right key", async () => {
    const ip = "10.7.7.7";
    for (let i = 0; i < 10; i++) assert.equal((await post("/admin/sign-in", { shop: "locked", key: "wrong" }, { ip })).status, 401);
    const res = await post("/admin/sign-in", { shop: "locked", key: locked.adminKey }, { ip });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get("retry-after")) > 0);
    assert.match(res.text, /Too many attempts/);
    assert.equal(res.headers.get("set-cookie"), null);
    // Another address is not held up.
    assert.equal((await post("/admin/sign-in", { shop: "locked", key: locked.adminKey }, { ip: "10.7.7.8" })).status, 303);
  });
});

describe("moderation", () => {
  test("the queue lists what awaits the merchant, with script shown as text", async () => {
    const { cookie } = await signIn();
    const page = await get("/admin/acme/reviews", cookie);
    for (const author of ["Ada", "Bo", "Cy"]) assert.ok(page.text.includes(`From ${author}`), author);
    assert.ok(!page.text.includes("<script>alert(1)"), "no markup from a review");
    assert.ok(page.text.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
    const filtered = await get("/admin/acme/reviews?status=pending&rating=2", cookie);
    assert.ok(filtered.text.includes("From Bo") && !filtered.text.includes("From Ada"));
  });

  test("every refused write changes nothing", async () => {
    const { cookie, csrf } = await signIn();
    const fields = { csrf, action: "publish", review: `MUG/${pending[0]}` };
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      ["no session", { ...fields }, {}, 401, "session_missing"],
      ["a forged session", fields, { cookie: cookie.replace(/.$/, (c) => (c === "0" ? "1" : "0")) }, 401, "session_signature"],
      ["an expired session", fields, { cookie: mintSession(acme, now - 3 * 3600, now - 3600) }, 401, "session_expired"],
      ["a session stretched past its life", fields, { cookie: mintSession(acme, now, now + 99_999) }, 401, "session_expired"],
      ["another shop's session", fields, { cookie: (await signIn(other)).cookie }, 403, "session_wrong_shop"],
      ["a cross-site form", fields, { cookie, origin: "https://evil.example" }, 403, "cross_site"],
      ["no origin at all", fields, { cookie, origin: null }, 403, "cross_site"],
      ["no CSRF token", { action: "publish", review: fields.review }, { cookie }, 403, "csrf_invalid"],
      ["another session's CSRF token", { ...fields, csrf: csrf.replace(/^./, (c) => (c === "0" ? "1" : "0")) }, { cookie }, 403, "csrf_invalid"],
      ["an unknown action", { ...fields, action: "delete" }, { cookie }, 400, "invalid_field"],
      ["a malformed review", { ...fields, review: "MUG" }, { cookie }, 400, "invalid_field"],
    ];
    for (const [name, body, options, status, code] of cases) {
      const res = await post("/admin/acme/reviews", body, options);
      assert.equal(res.status, status, `${name}: ${res.text.slice(0, 200)}`);
      assert.equal(res.json?.error?.code, code, name);
    }
    await new Promise((r) => setTimeout(r, 1200));
    assert.deepEqual(await statuses(), ["pending", "pending", "pending"]);
    // A session of acme does not open other-shop's page either.
    const foreign = await get("/admin/other-shop/reviews", cookie);
    assert.equal(foreign.status, 403);
  });

  test("bulk publish and reject, then a reply added, changed and removed", async () => {
    const { cookie, csrf } = await signIn();
    let res = await post("/admin/acme/reviews", { csrf, action: "publish", review: [`MUG/${pending[0]}`, `MUG/${pending[2]}`], back: "status=pending" }, { cookie });
    assert.equal(res.status, 303, res.text);
    assert.match(res.headers.get("location"), /^\/admin\/acme\/reviews\?status=pending&done=Published%202%20reviews/);
    res = await post("/admin/acme/reviews", { csrf, action: "reject", review: `MUG/${pending[1]}` }, { cookie });
    assert.equal(res.status, 303);
    await settled(["published", "rejected", "published"]);
    const page = await get("/admin/acme/reviews", cookie);
    assert.match(page.text, /No reviews match/, "the queue is empty");

    const reply = (text) => post("/admin/acme/reviews/reply", { csrf, review: `MUG/${pending[0]}`, reply: text }, { cookie });
    const shown = (want) => eventually(
      () => getJson(`${worker.url}/v1/shops/acme/products/MUG/reviews`),
      ({ body }) => assert.equal(body.reviews.find((r) => r.id === pending[0])?.reply?.body, want),
    );
    assert.equal((await reply("Thank you, Ada!")).status, 303);
    await shown("Thank you, Ada!");
    assert.equal((await reply("Thank you again.")).status, 303);
    await shown("Thank you again.");
    assert.equal((await reply("x".repeat(2001))).status, 400, "too long: refused");
    await new Promise((r) => setTimeout(r, 1200));
    await shown("Thank you again.");
    assert.equal((await reply("  ")).status, 303);
    await shown(undefined);
  });

  test("the export is the merchant's only", async () => {
    const { cookie } = await signIn();
    const csv = await get("/admin/acme/reviews.csv", cookie);
    assert.equal(csv.status, 200);
    assert.match(csv.text, /^id,product,rating/);
    assert.equal((await get("/admin/acme/reviews.json")).status, 401);
  });
});

describe("the shop's settings", () => {
  test("an invalid value is shown beside its field and nothing is saved", async () => {
    const { cookie, csrf } = await signIn();
    const before = await get("/admin/acme/shop", cookie);
    assert.match(before.text, /\/v1\/webhooks\/acme\/shopify/);
    const res = await post("/admin/acme/shop", {
      csrf, name: "Acme Renamed", currency: "euro", locale: "en-GB", allowed_origins: "https://acme.example\nnot an origin", sign_in_url: "", moderation: "hold_all",
    }, { cookie });
    assert.equal(res.status, 400);
    assert.match(res.text, /Nothing was saved: 2 fields to fix/);
    assert.match(res.text, /id="currency-error">must be a three-letter/);
    assert.match(res.text, /id="allowed_origins-error">/);
    assert.match(res.text, /value="Acme Renamed"/, "what was typed stays");
    const page = await get("/admin/acme/shop", cookie);
    assert.match(page.text, /value="Acme"/, "the name did not change");
  });

  test("valid settings are saved, and the shopper API sees them", async () => {
    const { cookie, csrf } = await signIn();
    const res = await post("/admin/acme/shop", {
      csrf, name: "Acme Outdoor", currency: "eur", locale: "en-GB", allowed_origins: "https://acme.example/", sign_in_url: "https://acme.example/login", moderation: "publish_verified",
    }, { cookie });
    assert.equal(res.status, 303, res.text.slice(0, 300));
    const page = await get("/admin/acme/shop?done=Settings%20saved.", cookie);
    assert.match(page.text, /value="Acme Outdoor"/);
    assert.match(page.text, /value="EUR"/);
    assert.match(page.text, /<option value="publish_verified" selected>/);
    const preflight = await fetch(`${worker.url}/v1/shops/acme/loyalty`, { method: "OPTIONS", headers: { origin: "https://acme.example", "access-control-request-method": "GET" } });
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://acme.example");
  });
});

describe("signing out", () => {
  test("ends every session of the shop; a new sign-in works at once", async () => {
    const first = await signIn();
    const second = await signIn();
    const res = await post("/admin/acme/sign-out", { csrf: first.csrf }, { cookie: first.cookie });
    assert.equal(res.status, 303);
    assert.match(res.headers.get("set-cookie"), /Max-Age=0/);
    for (const s of [first, second]) {
      const refused = await post("/admin/acme/reviews", { csrf: s.csrf, action: "hold", review: `MUG/${pending[0]}` }, { cookie: s.cookie });
      assert.equal(refused.status, 401);
      assert.equal(refused.json.error.code, "session_signed_out");
      assert.equal((await get("/admin/acme/reviews", s.cookie)).status, 303, "to the sign-in form");
    }
    await new Promise((r) => setTimeout(r, 1200));
    assert.deepEqual(await statuses(), ["published", "rejected", "published"]);
    await signIn();
  });
});
