// Erasing a whole shop (Shopify's shop/redact, or DELETE on the admin API) against the built
// Worker in workerd: a resumable job that leaves no KV key and no object data behind, checked by
// reading KV with wrangler itself and by asking the objects after the shop is created again.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { admin, eventually, getJson, kvKeys, mintToken, nowSeconds, shopSecrets, startWorker } from "../support/worker.mjs";

const gone = shopSecrets("gone");
const kept = shopSecrets("kept");
const SHOPIFY_SECRET = "shpss_" + "e5".repeat(16);
const GENERIC_SECRET = "gen-" + "w2".repeat(12);
let worker;

const settings = (name) => ({
  name, currency: "EUR",
  loyalty: { points_per_unit: 1, signup_bonus: 10, rewards: [{ id: "5-off", points: 5, discount: { amount_minor: 500, currency: "EUR" } }] },
});
const sign = (secret, body) => createHmac("sha256", secret).update(body).digest("base64");

async function fill(secrets) {
  const shop = secrets.shop;
  assert.equal((await admin(worker.url, secrets, "PUT", "", settings(`Shop ${shop}`))).status, 200);
  const products = Array.from({ length: 12 }, (_, i) => ({ sku: `P-${i}`, title: `Product ${i}` }));
  assert.equal((await admin(worker.url, secrets, "PUT", "/products", { products })).status, 200);
  for (let i = 0; i < 12; i++) {
    const token = mintToken(secrets.tokenSecret, { sub: `c-${i}`, shop, exp: nowSeconds() + 600 });
    const res = await fetch(`${worker.url}/v1/shops/${shop}/products/P-${i}/reviews`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "cf-connecting-ip": `10.1.${i}.1` },
      body: JSON.stringify({ rating: 4, body: "Solid and well made.", author: `Shopper ${i}` }),
    });
    assert.equal(res.status, 201);
    const loyalty = await fetch(`${worker.url}/v1/shops/${shop}/loyalty/redemptions`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ reward: "5-off" }),
    });
    assert.equal(loyalty.status, 201);
  }
}

before(async () => {
  worker = await startWorker([gone, kept], { SHOPIFY_WEBHOOK_SECRET_GONE: SHOPIFY_SECRET, GENERIC_WEBHOOK_SECRET_GONE: GENERIC_SECRET });
  await fill(gone);
  await fill(kept);
  // An order, through the generic webhook.
  const body = JSON.stringify({ type: "order", order: { id: "O-1", customer: "c-1", currency: "EUR", subtotal: "20.00", status: "paid", updated_at: "2026-11-20T10:00:00Z", lines: [{ product: "P-1", quantity: 1 }] } });
  const res = await fetch(`${worker.url}/v1/webhooks/gone/generic`, { method: "POST", headers: { "content-type": "application/json", "x-rapport-signature": sign(GENERIC_SECRET, body) }, body });
  assert.equal(res.status, 200);
});
after(async () => worker?.stop());

describe("shop/redact erases the shop", () => {
  test("every key and every object's data is gone; another shop keeps everything", async () => {
    const keysBefore = await eventually(() => kvKeys(worker, "gone/"), (k) => assert.ok(k.some((n) => n.startsWith("gone/reviews-page/"))));
    assert.ok(keysBefore.length > 40, `the shop holds data: ${keysBefore.length} keys`);
    const keptBefore = kvKeys(worker, "kept/").length;
    const code = (await admin(worker.url, gone, "GET", "/customers/c-3/loyalty")).body.ledger.codes[0].code;

    const body = JSON.stringify({ shop_id: 954889, shop_domain: "gone.myshopify.com" });
    const redact = await fetch(`${worker.url}/v1/webhooks/gone/shopify`, {
      method: "POST", headers: { "content-type": "application/json", "x-shopify-topic": "shop/redact", "x-shopify-hmac-sha256": sign(SHOPIFY_SECRET, body) }, body,
    });
    assert.equal(redact.status, 200);
    const job = await eventually(async () => (await admin(worker.url, gone, "GET", "/erasure")).body, (j) => assert.ok(j.done_at, JSON.stringify(j)), 60_000);
    assert.ok(job.keys_deleted >= keysBefore.length);
    assert.ok(job.objects_purged >= 12 + 12 + 32 + 16, JSON.stringify(job));

    // KV, read from disk by wrangler: nothing under the shop's prefix.
    assert.deepEqual(kvKeys(worker, "gone/"), []);
    assert.equal(kvKeys(worker, "kept/").length, keptBefore);
    assert.equal((await getJson(`${worker.url}/v1/shops/gone/products/P-1/reviews`)).body.error.code, "shop_not_found");
    // Shopify repeats the request until it sees a 200: a repeat is answered, and changes nothing.
    const again = await fetch(`${worker.url}/v1/webhooks/gone/shopify`, {
      method: "POST", headers: { "x-shopify-topic": "shop/redact", "x-shopify-hmac-sha256": sign(SHOPIFY_SECRET, body) }, body,
    });
    assert.equal(again.status, 200);

    // The objects: with the shop created again under the same id, every object it had is empty.
    await eventually(async () => (await admin(worker.url, gone, "GET", "/erasure")).body, (j) => assert.ok(j.done_at));
    assert.equal((await admin(worker.url, gone, "PUT", "", settings("Reinstalled"))).status, 200);
    await admin(worker.url, gone, "PUT", "/products", { products: [{ sku: "P-1", title: "Product 1" }] });
    const reviews = await getJson(`${worker.url}/v1/shops/gone/products/P-1/reviews?sort=newest`);
    assert.equal(reviews.status, 200);
    assert.deepEqual(reviews.body.reviews, []);
    assert.equal((await admin(worker.url, gone, "GET", "/orders/generic:O-1")).body.order, null);
    assert.deepEqual((await admin(worker.url, gone, "GET", "/customers/c-3/loyalty")).body.ledger.entries, []);
    assert.equal((await admin(worker.url, gone, "GET", `/discount-codes/${code}`)).status, 404);
    // The other shop's data is untouched.
    const other = await getJson(`${worker.url}/v1/shops/kept/products/P-1/reviews?sort=newest`);
    assert.equal(other.body.reviews.length, 1);
    assert.equal((await admin(worker.url, kept, "GET", "/customers/c-3/loyalty")).body.ledger.codes.length, 1);
  });

  test("the admin API starts the same erasure; it needs the shop's admin key", async () => {
    const forged = await fetch(`${worker.url}/v1/admin/shops/kept`, { method: "DELETE", headers: { authorization: `Bearer ${gone.adminKey}` } });
    assert.equal(forged.status, 401);
    assert.equal((await admin(worker.url, kept, "GET", "/erasure")).body.error.code, "erasure_not_found");
    assert.equal((await admin(worker.url, kept, "GET", "/customers/c-3/loyalty")).status, 200);
  });
});
