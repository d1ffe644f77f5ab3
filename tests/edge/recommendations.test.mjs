// Recommendations against the built Worker in workerd: orders and consented views in, the Cron
// Trigger's build (`wrangler dev --test-scheduled`), every stored kind, the fallback, the
// merchant's pins and exclusions, and bad input (unknown kind or product, malformed and oversized
// beacons, another shop's products) refused with nothing stored.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { admin, getJson, mintToken, nowSeconds, shopSecrets, startWorker } from "../support/worker.mjs";

const acme = shopSecrets("acme");
const other = shopSecrets("other");
const bare = shopSecrets("bare");
// A catalog larger than one build step takes.
const big = shopSecrets("big");
const GENERIC_SECRET = "gen-" + "r7".repeat(12);
let worker;

const sign = (body) => createHmac("sha256", GENERIC_SECRET).update(body).digest("base64");

async function order(id, customer, skus, { status = "paid", updated_at = "2026-11-20T10:00:00Z" } = {}) {
  await delivery({
    type: "order",
    order: {
      id, customer, currency: "EUR", subtotal: "40.00", status, updated_at,
      lines: skus.map((product) => ({ product, quantity: 1 })),
    },
  });
}

async function delivery(message) {
  const body = JSON.stringify(message);
  const res = await fetch(`${worker.url}/v1/webhooks/acme/generic`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-rapport-signature": sign(body) },
    body,
  });
  assert.equal(res.status, 200, await res.text());
}

/** A beacon as `navigator.sendBeacon` sends it: JSON as text/plain. */
async function beacon(body, shop = "acme") {
  const res = await fetch(`${worker.url}/v1/shops/${shop}/events`, {
    method: "POST",
    headers: { "content-type": "text/plain;charset=UTF-8", origin: "https://acme.example" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json().catch(() => null) };
}

const list = (kind, product, shop = "acme") =>
  getJson(`${worker.url}/v1/shops/${shop}/recommendations/${kind}${product ? `?product=${encodeURIComponent(product)}` : ""}`);
const skus = (res) => res.body.items.map((i) => i.sku);
const build = async (secrets = acme) => {
  const res = await admin(worker.url, secrets, "POST", "/recommendations/build");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
};
const session = (n) => `session-${String(n).padStart(12, "0")}`;

before(async () => {
  worker = await startWorker([acme, other, bare, big], { GENERIC_WEBHOOK_SECRET_ACME: GENERIC_SECRET }, { testScheduled: true });
  assert.equal((await admin(worker.url, acme, "PUT", "", { name: "Acme Outdoor", currency: "EUR" })).status, 200);
  const product = (sku, title, extra = {}) => ({ sku, title, url: `/products/${sku.toLowerCase()}`, price: { amount_minor: 2500, currency: "EUR" }, ...extra });
  const products = [
    product("TENT", "Tent", { product_type: "Shelter", tags: ["camping"] }),
    product("MAT", "Sleeping mat", { product_type: "Sleep", tags: ["camping"] }),
    product("STOVE", "Stove", { product_type: "Kitchen", tags: ["cooking"] }),
    product("MUG", "Mug", { product_type: "Kitchen", tags: ["cooking"] }),
    product("LAMP", "Lamp", { product_type: "Light" }),
    product("GONE", "Sold out", { available: false }),
  ];
  assert.equal((await admin(worker.url, acme, "PUT", "/products", { products })).status, 200);
  assert.equal((await admin(worker.url, other, "PUT", "", { name: "Other", currency: "EUR" })).status, 200);
  assert.equal((await admin(worker.url, other, "PUT", "/products", { products: [product("SECRET", "Other's")] })).status, 200);
  assert.equal((await admin(worker.url, bare, "PUT", "", { name: "Bare", currency: "EUR" })).status, 200);
  for (let n = 0; n < 5; n++) await order(`o${n}`, `c${n}`, ["TENT", "MAT"]);
  await order("o9", "c9", ["STOVE", "MUG"]);
  for (let n = 0; n < 4; n++) assert.equal((await beacon({ session: session(n), views: ["TENT", "GONE", "MAT"] })).status, 204);
});
after(async () => worker?.stop());

describe("the build", () => {
  test("the Cron Trigger builds every kind from orders and views", async () => {
    const res = await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent("17 * * * *")}`);
    assert.equal(res.status, 200, await res.text());
    const similar = await list("similar", "TENT");
    assert.equal(similar.status, 200, JSON.stringify(similar.body));
    assert.equal(similar.body.kind, "similar");
    assert.equal(similar.body.product.sku, "TENT");
    assert.equal(skus(similar)[0], "MAT", "viewed and bought after the tent");
    assert.ok(!skus(similar).includes("TENT"), "not its own neighbour");
    assert.ok(!skus(similar).includes("GONE"), "an unavailable product is left out");
    const card = similar.body.items[0];
    assert.deepEqual([card.title, card.url, card.price], ["Sleeping mat", "/products/mat", { amount_minor: 2500, currency: "EUR" }]);
    assert.match(similar.headers.get("cache-control"), /public, max-age=\d+/);
    assert.equal(similar.headers.get("access-control-allow-origin"), "*");

    assert.equal(skus(await list("bought-together", "STOVE"))[0], "MUG");
    assert.equal(skus(await list("bought-together", "TENT"))[0], "MAT");
    const trending = await list("trending");
    assert.equal(trending.status, 200);
    assert.deepEqual(skus(trending).slice(0, 2).sort(), ["MAT", "TENT"]);
    assert.ok(!skus(trending).includes("GONE"));
  });

  test("a product nobody bought or viewed still gets a full list (the popularity fallback)", async () => {
    const lamp = await list("bought-together", "LAMP");
    assert.equal(lamp.status, 200);
    assert.equal(skus(lamp).length, 4, "every other available product");
    assert.deepEqual(skus(lamp).slice(0, 2).sort(), ["MAT", "TENT"], "best-sellers first");
  });

  test("a rebuild with nothing new writes nothing", async () => {
    const report = await build();
    assert.equal(report.products, 6);
    assert.equal(report.written, 0, JSON.stringify(report));
    assert.ok(report.lists >= 13);
  });

  test("a product added since the build gets the trending list until the next one", async () => {
    assert.equal((await admin(worker.url, acme, "PUT", "/products", { products: [{ sku: "NEW", title: "New" }] })).status, 200);
    const res = await list("similar", "NEW");
    assert.equal(res.status, 200);
    assert.equal(res.body.kind, "trending");
    await build();
    const built = await list("similar", "NEW");
    assert.equal(built.body.kind, "similar");
    assert.equal(built.body.product.sku, "NEW");
  });

  test("a product that stops being available leaves every list at the next build", async () => {
    assert.equal((await admin(worker.url, acme, "PUT", "/products", { products: [{ sku: "LAMP", title: "Lamp", available: false }] })).status, 200);
    await build();
    assert.ok(!skus(await list("similar", "TENT")).includes("LAMP"));
    assert.ok(!skus(await list("trending")).includes("LAMP"));
    assert.equal((await admin(worker.url, acme, "PUT", "/products", { products: [{ sku: "LAMP", title: "Lamp", product_type: "Light" }] })).status, 200);
    await build();
    assert.ok(skus(await list("similar", "TENT")).includes("LAMP"));
  });
});

describe("a catalog built in steps", () => {
  test("each step builds one part; the alarm builds the rest, and a repeat writes nothing", async () => {
    assert.equal((await admin(worker.url, big, "PUT", "", { name: "Big", currency: "EUR" })).status, 200);
    const all = Array.from({ length: 300 }, (_, i) => ({ sku: `B${String(i).padStart(3, "0")}`, title: `Product ${i}`, product_type: `type ${i % 7}` }));
    for (const products of [all.slice(0, 200), all.slice(200)]) {
      assert.equal((await admin(worker.url, big, "PUT", "/products", { products })).status, 200);
    }
    const first = await build(big);
    assert.deepEqual([first.products, first.part, first.parts], [300, 0, 2]);
    assert.equal(first.written, 240 * 2 + 1, "the first part's lists and trending");
    // The last product is in the second part, which the alarm builds a second later.
    const last = async () => (await list("similar", "B299", "big")).body.kind;
    const deadline = Date.now() + 10_000;
    while ((await last()) !== "similar" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.equal(await last(), "similar");
    assert.equal((await list("similar", "B299", "big")).body.product.sku, "B299");
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await build(big)).written, 0, "nothing changed: nothing written");
  });
});

describe("the merchant's pins and exclusions", () => {
  test("a pin comes first and an exclusion never shows", async () => {
    const rules = { rules: [
      { kind: "similar", product: "TENT", pin: ["LAMP"] },
      { kind: "similar", exclude: ["MAT"] },
    ] };
    const put = await admin(worker.url, acme, "PUT", "/recommendations", rules);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal((await admin(worker.url, acme, "GET", "/recommendations")).body.rules.length, 2);
    await build();
    const tent = skus(await list("similar", "TENT"));
    assert.equal(tent[0], "LAMP");
    assert.ok(!tent.includes("MAT"));
    assert.ok(!skus(await list("similar", "STOVE")).includes("MAT"), "the kind-wide exclusion");
    assert.equal(skus(await list("bought-together", "TENT"))[0], "MAT", "other kinds are untouched");
    await admin(worker.url, acme, "PUT", "/recommendations", { rules: [] });
    await build();
    assert.equal(skus(await list("similar", "TENT"))[0], "MAT");
  });

  test("bad rules are refused, naming the field, and change nothing", async () => {
    const cases = [
      [{ rules: [{ pin: ["LAMP"] }] }, "rules[0].kind"],
      [{ rules: [{ kind: "for-you", pin: ["LAMP"] }] }, "rules[0].kind"],
      [{ rules: [{ kind: "trending", product: "TENT" }] }, "rules[0].product"],
      [{ rules: [{ kind: "similar", pin: Array.from({ length: 25 }, (_, i) => `P${i}`) }] }, "rules[0].pin"],
      [{ rules: [{ kind: "similar" }, { kind: "similar" }] }, "rules[1]"],
    ];
    for (const [body, field] of cases) {
      const res = await admin(worker.url, acme, "PUT", "/recommendations", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.error.message, new RegExp(field.replace(/[[\]]/g, "\\$&")));
    }
    assert.equal((await admin(worker.url, acme, "PUT", "/recommendations", { rules: [{ kind: "nope" }] })).status, 400);
    assert.deepEqual((await admin(worker.url, acme, "GET", "/recommendations")).body.rules, []);
    assert.equal((await admin(worker.url, other, "PUT", "/recommendations", { rules: [] }, { authorization: `Bearer ${acme.adminKey}` })).status, 401);
  });
});

describe("the public read path refuses what it cannot answer", () => {
  test("unknown kinds, the browser's own kinds and a missing product", async () => {
    for (const [kind, product] of [["nope", "TENT"], ["for-you", "TENT"], ["recently-viewed", undefined], ["similar", undefined]]) {
      const res = await list(kind, product);
      assert.equal(res.status, 400, `${kind}: ${JSON.stringify(res.body)}`);
      assert.ok(res.body.error.code);
    }
  });

  test("an unknown product, another shop's product, an unknown shop, a shop without lists", async () => {
    const unknown = await list("similar", "NOPE");
    assert.deepEqual([unknown.status, unknown.body.error.code], [404, "product_not_found"]);
    const theirs = await list("similar", "SECRET");
    assert.deepEqual([theirs.status, theirs.body.error.code], [404, "product_not_found"]);
    assert.equal((await list("trending", undefined, "nosuchshop")).status, 404);
    const empty = await list("trending", undefined, "bare");
    assert.deepEqual([empty.status, empty.body.error.code], [404, "no_recommendations"]);
  });
});

describe("view beacons", () => {
  const stored = async () => (await build()).events;

  test("a consented batch is stored; every bad one is refused whole and stores nothing", async () => {
    const before = await stored();
    const ok = await beacon({ session: session(50), views: ["STOVE", "MUG"] });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get("access-control-allow-origin"), "*");
    assert.equal(await stored(), before + 2);

    const cases = [
      ["not json", 400],
      [{ session: "short", views: ["TENT"] }, 400],
      [{ session: "has spaces in it, many", views: ["TENT"] }, 400],
      [{ session: session(51), views: [] }, 400],
      [{ session: session(51), views: Array(21).fill("TENT") }, 400],
      [{ session: session(51), views: ["TENT", "a/b"] }, 400],
      [{ session: session(51), views: ["TENT"], customer: "c1" }, 400],
      [{ session: session(51), views: ["TENT", "NOPE"] }, 404],
      [{ session: session(51), views: ["TENT", "SECRET"] }, 404],
      [JSON.stringify({ session: session(51), views: ["TENT"], pad: "x".repeat(5000) }), 413],
    ];
    for (const [body, status] of cases) {
      const res = await beacon(body);
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(res.body)}`);
      assert.ok(res.body?.error?.code, "a JSON error");
    }
    assert.equal((await beacon({ session: session(52), views: ["TENT"] }, "nosuchshop")).status, 404);
    assert.equal(await stored(), before + 2, "nothing of the refused batches");
  });

  test("a customer's erasure forgets their purchases", async () => {
    const before = (await build()).actors;
    assert.equal((await admin(worker.url, acme, "DELETE", "/customers/c9")).status, 200);
    assert.equal((await build()).actors, before - 1);
  });
});

describe("a signed-in shopper's purchases", () => {
  const purchases = (token, shop = "acme") =>
    getJson(`${worker.url}/v1/shops/${shop}/me/purchases`, token ? { headers: { authorization: `Bearer ${token}` } } : undefined);
  const token = (sub, secrets = acme, shop = "acme") => mintToken(secrets.tokenSecret, { sub, shop, exp: nowSeconds() + 600 });

  test("are read with their token, privately; an order cancelled or refunded in full is taken back", async () => {
    const ada = token("c20");
    let res = await purchases(ada);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { purchases: [] });
    await order("o20", "c20", ["LAMP", "MUG"]);
    await order("o21", "c20", ["STOVE"], { updated_at: "2026-11-21T10:00:00Z" });
    await order("o22", "c20", ["TENT"], { updated_at: "2026-11-22T10:00:00Z" });
    res = await purchases(ada);
    assert.deepEqual(res.body.purchases, ["LAMP", "MUG", "STOVE", "TENT"]);
    assert.equal(res.headers.get("cache-control"), "private, no-store");
    const before = (await build()).events;
    await order("o20", "c20", ["LAMP", "MUG"], { status: "cancelled", updated_at: "2026-11-23T10:00:00Z" });
    await delivery({ type: "refund", order_id: "o21", refund_id: "r-21", amount: "40.00", currency: "EUR" });
    await delivery({ type: "refund", order_id: "o22", refund_id: "r-22", amount: "10.00", currency: "EUR" });
    assert.deepEqual((await purchases(ada)).body.purchases, ["TENT"], "a partial refund keeps the order");
    assert.equal((await build()).events, before - 3, "the shop's lists no longer learn from them");
    // Another shopper's token reads only their own.
    assert.deepEqual((await purchases(token("c9"))).body.purchases, []);
    assert.deepEqual((await purchases(token("c1"))).body.purchases, ["TENT", "MAT"]);
  });

  test("without a valid token for this shop, nothing is answered", async () => {
    const cases = [
      [null, "acme", 401, "token_missing"],
      [token("c1", other), "acme", 401, "token_signature"],
      [token("c1", acme, "other"), "acme", 401, "token_wrong_shop"],
      [token("c1"), "other", 401, "token_signature"],
      [token("c1"), "nosuchshop", 404, "shop_not_found"],
    ];
    for (const [t, shop, status, code] of cases) {
      const res = await purchases(t, shop);
      assert.equal(res.status, status, `${shop}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code);
      assert.equal(res.body.purchases, undefined);
    }
  });
});

describe("for you drawn at the edge, while the browser knows nothing beyond the page's product", () => {
  const view = (query, headers = {}, shop = "acme") =>
    fetch(`${worker.url}/v1/shops/${shop}/recommendations/for-you.html?locale=en&css=none${query}`, { headers });
  const cards = (html) => [...html.matchAll(/class="card-title">([^<]*)</g)].map((m) => m[1]);
  const token = (sub, secrets = acme, shop = "acme") => mintToken(secrets.tokenSecret, { sub, shop, exp: nowSeconds() + 600 });

  test("signed out, from the page's product alone, cached like the lists; signed in, also from the purchases, privately", async () => {
    const similar = (await list("similar", "TENT")).body.items.map((i) => i.title);
    const res = await view("&product=TENT");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^text\/html/);
    assert.match(res.headers.get("cache-control"), /^public, max-age=\d+$/);
    assert.equal(res.headers.get("vary"), "Authorization");
    const html = await res.text();
    assert.match(html, /"kind":"for-you"/);
    assert.match(html, />Picked for you</);
    const picks = cards(html);
    assert.ok(picks.length >= 1, picks.join(" | "));
    assert.ok(!picks.includes("Tent"), "not the page's own product");
    assert.equal(picks[0], similar.find((t) => t !== "Tent"), "the product's neighbours, in their order");
    assert.ok(picks.every((t) => similar.includes(t)), `${picks} within ${similar}`);

    // c1 bought the tent and the mat: neither comes back, nor the page's stove.
    const mine = await view("&product=STOVE", { authorization: `Bearer ${token("c1")}` });
    assert.equal(mine.status, 200);
    assert.equal(mine.headers.get("cache-control"), "private, no-store");
    const own = cards(await mine.text());
    assert.ok(own.length >= 1, own.join(" | "));
    for (const left of ["Tent", "Sleeping mat", "Stove"]) assert.ok(!own.includes(left), `${left} in ${own}`);

    // Nothing to draw from (no product, no purchases): the shop's trending list, under its own heading.
    const none = await view("");
    const trending = (await list("trending")).body.items.map((i) => i.title);
    const shown = await none.text();
    assert.deepEqual(cards(shown), trending);
    assert.match(shown, />Picked for you</);
  });

  test("a bad product, a bad or foreign token, another origin, an unknown shop or one without lists: a JSON error", async () => {
    const cases = [
      ["&product=a%2Fb", {}, "acme", 400],
      ["&product=TENT", { authorization: `Bearer ${token("c1", other)}` }, "acme", 401],
      ["&product=TENT", { authorization: `Bearer ${token("c1", acme, "other")}` }, "acme", 401],
      ["&product=TENT", { authorization: "Bearer nonsense" }, "acme", 401],
      ["&product=TENT", { authorization: `Bearer ${token("c1")}`, origin: "https://elsewhere.example" }, "acme", 403],
      ["", {}, "nosuchshop", 404],
      ["", {}, "bare", 404],
    ];
    for (const [query, headers, shop, status] of cases) {
      const res = await view(query, headers, shop);
      assert.equal(res.status, status, `${shop} ${query} ${JSON.stringify(headers)}`);
      assert.match(res.headers.get("content-type"), /^application\/json/);
      assert.ok((await res.json()).error.code);
    }
  });
});
