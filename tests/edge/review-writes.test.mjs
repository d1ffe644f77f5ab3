// Shoppers writing reviews and voting, and merchants moderating, replying, exporting and
// importing, against the built Worker and its Durable Objects in workerd.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { admin, createShop, eventually, getJson, mintToken, nowSeconds, shopSecrets, startWorker } from "../support/worker.mjs";

const acme = shopSecrets("acme");
const held = shopSecrets("held-shop");
const other = shopSecrets("other-shop");
const STOREFRONT = "https://acme.example";
let worker;

const base = (shop, sku) => `${worker.url}/v1/shops/${shop}/products/${sku}/reviews`;
const tokenFor = (secrets, sub, extra = {}) =>
  mintToken(secrets.tokenSecret, { sub, shop: secrets.shop, exp: nowSeconds() + 600, ...extra });
const form = (extra = {}) => ({ rating: 4, title: "Solid", body: "Does what it says.", author: "Ada", ...extra });

/** Each call looks like a different shopper's network address unless told otherwise. */
let address = 0;
async function post(url, body, { token, origin, ip, contentType = "application/json" } = {}) {
  const headers = { "content-type": contentType, "cf-connecting-ip": ip ?? `10.0.${(address >> 8) & 255}.${address++ & 255}` };
  if (token) headers.authorization = `Bearer ${token}`;
  if (origin) headers.origin = origin;
  const res = await fetch(url, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: await res.json().catch(() => null) };
}

before(async () => {
  worker = await startWorker([acme, held, other]);
  await createShop(worker.url, acme, { products: ["MUG", "TENT", "HAT", "SOCKS", "VOTES", "QUERY"], origins: [STOREFRONT] });
  await createShop(worker.url, other, { products: ["MUG"] });
  await createShop(worker.url, held, { products: ["MUG"] });
  const rule = await admin(worker.url, held, "PUT", "", { name: "Held", currency: "EUR", moderation: "hold_all" });
  assert.equal(rule.status, 200);
  await admin(worker.url, acme, "PUT", "/purchases", { purchases: [{ customer: "buyer-1", sku: "MUG", order: "1001" }] });
});
after(async () => worker?.stop());

describe("writing a review", () => {
  test("an anonymous review is published under the default rule and shows up in the summary", async () => {
    const res = await post(base("acme", "MUG"), form({ rating: 5 }));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.status, "published");
    assert.equal(res.body.review.verified, false);
    assert.equal(res.body.review.customer, undefined, "the author's account is never public");
    await eventually(() => getJson(base("acme", "MUG")), ({ body }) => {
      assert.ok(body.reviews.some((r) => r.id === res.body.review.id));
    });
  });

  test("a signed-in buyer of the product is a verified buyer; a non-buyer is not", async () => {
    const buyer = await post(base("acme", "MUG"), form(), { token: tokenFor(acme, "buyer-1") });
    assert.equal(buyer.status, 201, JSON.stringify(buyer.body));
    assert.equal(buyer.body.review.verified, true);
    const browser = await post(base("acme", "MUG"), form(), { token: tokenFor(acme, "someone-else") });
    assert.equal(browser.body.review.verified, false);
  });

  test("a shop that holds reviews keeps them out of the page until the merchant publishes", async () => {
    const res = await post(base("held-shop", "MUG"), form({ rating: 1, body: "Leaks." }));
    assert.equal(res.status, 201);
    assert.equal(res.body.status, "pending");
    const page = await getJson(base("held-shop", "MUG"));
    assert.equal(page.body.summary.count, 0);

    await eventually(() => admin(worker.url, held, "GET", "/reviews?status=pending"), (queue) => {
      assert.deepEqual(queue.body.reviews.map((r) => r.id), [res.body.review.id]);
    });

    const published = await admin(worker.url, held, "PUT", `/products/MUG/reviews/${res.body.review.id}`, { status: "published" });
    assert.equal(published.status, 200, JSON.stringify(published.body));
    await eventually(() => getJson(base("held-shop", "MUG")), ({ body }) => {
      assert.equal(body.summary.count, 1);
      assert.deepEqual(body.summary.histogram, [1, 0, 0, 0, 0], "a one-star review is published like any other");
    });
    await eventually(() => admin(worker.url, held, "GET", "/reviews?status=pending"), ({ body }) => assert.deepEqual(body.reviews, []));
  });

  test("the merchant's public reply appears under the review, and can be removed", async () => {
    const res = await post(base("acme", "HAT"), form({ body: "Itchy." }));
    const id = res.body.review.id;
    const replied = await admin(worker.url, acme, "PUT", `/products/HAT/reviews/${id}`, { reply: "Sorry! Try our merino one." });
    assert.equal(replied.status, 200);
    await eventually(() => getJson(base("acme", "HAT")), ({ body }) => {
      assert.equal(body.reviews.find((r) => r.id === id).reply.body, "Sorry! Try our merino one.");
    });
    await admin(worker.url, acme, "PUT", `/products/HAT/reviews/${id}`, { reply: null });
    await eventually(() => getJson(base("acme", "HAT")), ({ body }) => {
      assert.equal(body.reviews.find((r) => r.id === id).reply, undefined);
    });
  });

  test("a rejected review leaves the page and the summary", async () => {
    const res = await post(base("acme", "SOCKS"), form({ rating: 2 }));
    await eventually(() => getJson(base("acme", "SOCKS")), ({ body }) => assert.equal(body.summary.count, 1));
    await admin(worker.url, acme, "PUT", `/products/SOCKS/reviews/${res.body.review.id}`, { status: "rejected" });
    await eventually(() => getJson(base("acme", "SOCKS")), ({ body }) => assert.equal(body.summary.count, 0));
  });
});

describe("writing a review: bad input gets a 4xx and stores nothing", () => {
  // The product's object is the store of record, and a list query reads it directly.
  const stored = async () => (await getJson(`${base("acme", "MUG")}?sort=newest`)).body.total;
  const refused = async (url, body, status, code, opts) => {
    const before = await stored();
    const res = await post(url, body, opts);
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.error.code, code);
    assert.equal(await stored(), before, "nothing was stored");
    return res.body.error;
  };
  const mug = () => base("acme", "MUG");

  test("rating 0 or 6, and missing fields, name each field", async () => {
    assert.deepEqual((await refused(mug(), form({ rating: 0 }), 400, "invalid_field")).fields.map((f) => f.field), ["rating"]);
    assert.deepEqual((await refused(mug(), form({ rating: 6 }), 400, "invalid_field")).fields.map((f) => f.field), ["rating"]);
    const empty = await refused(mug(), {}, 400, "invalid_field");
    assert.deepEqual(empty.fields.map((f) => f.field), ["rating", "body", "author"]);
    assert.equal(empty.fields[0].problem, "Choose a rating from 1 to 5 stars.");
  });

  test("over-long fields, an oversized body, malformed JSON, a wrong content type", async () => {
    await refused(mug(), form({ body: "x".repeat(5001) }), 400, "invalid_field");
    await refused(mug(), form({ body: "x".repeat(20_000) }), 413, "payload_too_large");
    await refused(mug(), "{oops", 400, "invalid_json");
    await refused(mug(), JSON.stringify(form()), 415, "unsupported_media_type", { contentType: "text/plain" });
  });

  test("a forged, expired or other shop's token", async () => {
    await refused(mug(), form(), 401, "token_signature", { token: mintToken("f".repeat(64), { sub: "x", shop: "acme", exp: nowSeconds() + 60 }) });
    await refused(mug(), form(), 401, "token_expired", { token: tokenFor(acme, "buyer-1", { exp: nowSeconds() - 3600 }) });
    await refused(mug(), form(), 401, "token_signature", { token: tokenFor(other, "buyer-1") });
  });

  test("a storefront the shop does not list", async () => {
    await refused(mug(), form(), 403, "origin_not_allowed", { origin: "https://evil.example" });
    const ok = await post(mug(), form(), { origin: STOREFRONT });
    assert.equal(ok.status, 201);
    assert.equal(ok.headers.get("access-control-allow-origin"), STOREFRONT);
  });

  test("an unknown product or shop", async () => {
    assert.equal((await post(base("acme", "GHOST"), form())).body.error.code, "product_not_found");
    assert.equal((await post(base("nobody", "MUG"), form())).body.error.code, "shop_not_found");
  });

  test("script in every text field is stored as text", async () => {
    const evil = "<script>alert(1)</script>";
    const res = await post(mug(), form({ title: evil, body: evil, author: evil }));
    assert.equal(res.status, 201);
    assert.deepEqual([res.body.review.title, res.body.review.body, res.body.review.author], [evil, evil, evil]);
  });

  test("more than five reviews an hour from one address are refused with Retry-After", async () => {
    const ip = "192.0.2.77";
    for (let i = 0; i < 5; i++) assert.equal((await post(base("acme", "TENT"), form(), { ip })).status, 201);
    const res = await post(base("acme", "TENT"), form(), { ip });
    assert.equal(res.status, 429);
    assert.equal(res.body.error.code, "rate_limited");
    assert.ok(Number(res.headers.get("retry-after")) > 0);
    assert.equal((await post(base("acme", "TENT"), form(), { ip: "192.0.2.78" })).status, 201, "others are not affected");
  });
});

describe("helpful votes", () => {
  let id;
  before(async () => {
    const res = await post(base("acme", "VOTES"), form());
    id = res.body.review.id;
  });
  const vote = (opts) => post(`${base("acme", "VOTES")}/${id}/helpful`, {}, opts);

  test("one vote per shopper: a second is refused and not counted", async () => {
    const first = await vote({ ip: "198.51.100.1" });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.helpful, 1);
    const again = await vote({ ip: "198.51.100.1" });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "already_voted");
    const signedIn = await vote({ ip: "198.51.100.1", token: tokenFor(acme, "voter-1") });
    assert.equal(signedIn.body.helpful, 2, "a signed-in shopper is counted by account");
    assert.equal((await vote({ ip: "198.51.100.9", token: tokenFor(acme, "voter-1") })).status, 409);
  });

  test("forty concurrent votes from different shoppers are all counted", async () => {
    const before = (await getJson(`${base("acme", "VOTES")}?sort=most_helpful`)).body.reviews[0].helpful;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => vote({ token: tokenFor(acme, `crowd-${i}`) })));
    assert.deepEqual([...new Set(results.map((r) => r.status))], [200]);
    const counts = results.map((r) => r.body.helpful).sort((a, b) => a - b);
    assert.deepEqual(counts, Array.from({ length: 40 }, (_, i) => before + i + 1), "every vote got its own count");
    const list = await getJson(`${base("acme", "VOTES")}?sort=most_helpful`);
    assert.equal(list.body.reviews[0].helpful, before + 40);
    await eventually(() => getJson(base("acme", "VOTES")), ({ body }) => assert.equal(body.reviews[0].helpful, before + 40));
  });

  test("more than sixty votes an hour from one address are refused with Retry-After", async () => {
    const ip = "203.0.113.50";
    const statuses = [];
    for (let i = 0; i < 60; i++) statuses.push((await vote({ ip })).status);
    assert.deepEqual([...new Set(statuses)].sort(), [200, 409], "the first counts, repeats are refused, none limited");
    const limited = await vote({ ip, token: tokenFor(acme, "fresh-voter") });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) > 0);
  });

  test("votes on an unknown review, or on another shop's review, find nothing", async () => {
    assert.equal((await post(`${base("acme", "VOTES")}/nope/helpful`, {})).status, 404);
    const res = await post(`${base("other-shop", "MUG")}/${id}/helpful`, {});
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "review_not_found");
  });
});

describe("sorting, filtering and paging", () => {
  before(async () => {
    const reviews = Array.from({ length: 23 }, (_, i) => ({
      id: `q${String(i).padStart(2, "0")}`, product: "QUERY", rating: (i % 5) + 1, body: `Review ${i}`, author: "Q", created_at: 1_700_000_000 + i,
    }));
    assert.equal((await admin(worker.url, acme, "POST", "/reviews", { reviews })).status, 200);
  });
  const q = (params) => getJson(`${base("acme", "QUERY")}?${params}`);

  test("sorts, filters by stars and pages", async () => {
    const newest = await q("sort=newest&page=1");
    assert.deepEqual([newest.body.total, newest.body.pages, newest.body.reviews.length], [23, 3, 10]);
    assert.equal(newest.body.reviews[0].id, "q22");
    assert.equal((await q("sort=newest&page=3")).body.reviews.length, 3);
    const lowest = await q("sort=lowest");
    assert.deepEqual(lowest.body.reviews.slice(0, 5).map((r) => r.rating), [1, 1, 1, 1, 1]);
    const highest = await q("sort=highest");
    assert.equal(highest.body.reviews[0].rating, 5);
    const fours = await q("rating=4");
    assert.equal(fours.body.total, 4);
    assert.ok(fours.body.reviews.every((r) => r.rating === 4));
  });

  test("a bad query is a 400 naming the parameter", async () => {
    for (const [params, word] of [["sort=best", "sort"], ["rating=0", "rating"], ["rating=6", "rating"], ["page=0", "page"], ["page=abc", "page"]]) {
      const res = await q(params);
      assert.equal(res.status, 400, params);
      assert.match(res.body.error.message, new RegExp(word));
    }
  });
});

describe("search engines and collection pages", () => {
  test("JSON-LD meets the rich-result requirements", async () => {
    const res = await fetch(`${base("acme", "QUERY")}.jsonld`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^application\/ld\+json/);
    const ld = await res.json();
    assert.equal(ld["@type"], "Product");
    assert.equal(ld.name, "Product QUERY");
    assert.equal(ld.aggregateRating.reviewCount, 23);
    assert.equal(ld.aggregateRating.ratingValue, 2.9);
    for (const r of ld.review) {
      assert.ok(r.author.name && r.reviewRating.ratingValue && r.datePublished);
    }
    const page = await getJson(base("acme", "QUERY"));
    assert.deepEqual(JSON.parse(page.body.json_ld), ld, "the widget injects the same JSON-LD");
  });

  test("star ratings for many products come in one request", async () => {
    const res = await getJson(`${worker.url}/v1/shops/acme/ratings?products=QUERY,MUG,UNREVIEWED`);
    assert.equal(res.status, 200);
    assert.equal(res.body.ratings.QUERY.count, 23);
    assert.ok(res.body.ratings.MUG.count >= 1);
    assert.deepEqual(res.body.ratings.UNREVIEWED, { count: 0, average: 0 });
    const tooMany = Array.from({ length: 51 }, (_, i) => `P${i}`).join(",");
    assert.equal((await getJson(`${worker.url}/v1/shops/acme/ratings?products=${tooMany}`)).status, 400);
    assert.equal((await getJson(`${worker.url}/v1/shops/acme/ratings?products=A/B`)).status, 400);
    assert.equal((await getJson(`${worker.url}/v1/shops/acme/ratings`)).status, 400);
  });
});

describe("merchant export and import", () => {
  test("exports every review as JSON and as spreadsheet-safe CSV", async () => {
    // Earlier writes reach the KV copies within a second; compare once both agree.
    await eventually(async () => {
      const json = await admin(worker.url, acme, "GET", "/reviews");
      const res = await fetch(`${worker.url}/v1/admin/shops/acme/reviews?format=csv`, { headers: { authorization: `Bearer ${acme.adminKey}` } });
      return { json, res, text: await res.text() };
    }, ({ json, res, text }) => {
      assert.ok(json.body.reviews.length > 30);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type"), /^text\/csv/);
      assert.match(text, /^id,product,rating,title,body,author,verified,status,created_at,helpful,reply\r\n/);
      assert.equal(text.split("\r\n").filter(Boolean).length, json.body.reviews.length + 1);
    });
    assert.equal((await fetch(`${worker.url}/v1/admin/shops/acme/reviews?format=csv`)).status, 401);
  });

  test("imports a Judge.me CSV export and reports the rows it refused", async () => {
    const csv = [
      "title,body,rating,review_date,source,curated,reviewer_name,reviewer_email,product_id,product_handle,reply,reply_date,picture_urls,ip_address,location",
      'Lovely,"Warm, and light.",5,2024-03-09 10:00:00 UTC,verified-buyer,ok,Ada L.,ada@example.com,1,HAT,Thank you!,2024-03-10,,1.2.3.4,UK',
      "Hmm,Unknown product,4,2024-03-09,web,ok,Bo,,2,GHOST,,,,,",
      "Zero,Bad rating,0,2024-03-09,web,ok,Cy,,1,HAT,,,,,",
    ].join("\n");
    const res = await fetch(`${worker.url}/v1/admin/shops/acme/reviews`, {
      method: "POST", headers: { authorization: `Bearer ${acme.adminKey}`, "content-type": "text/csv" }, body: csv,
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.taken, 1);
    assert.deepEqual(body.refused.map((r) => r.line), [3, 4]);
    await eventually(() => getJson(base("acme", "HAT")), ({ body }) => {
      const imported = body.reviews.find((r) => r.author === "Ada L.");
      assert.ok(imported && imported.verified && imported.reply.body === "Thank you!");
    });
    const again = await fetch(`${worker.url}/v1/admin/shops/acme/reviews`, {
      method: "POST", headers: { authorization: `Bearer ${acme.adminKey}`, "content-type": "text/csv" }, body: csv,
    });
    assert.equal((await again.json()).taken, 1);
    await eventually(() => getJson(base("acme", "HAT")), ({ body }) => {
      assert.equal(body.reviews.filter((r) => r.author === "Ada L.").length, 1, "importing twice changes nothing");
    });
  });

  test("a CSV without the needed columns, or broken, is refused whole", async () => {
    for (const csv of ["stars,text\n5,ok", '"never closed']) {
      const res = await fetch(`${worker.url}/v1/admin/shops/acme/reviews`, {
        method: "POST", headers: { authorization: `Bearer ${acme.adminKey}`, "content-type": "text/csv" }, body: csv,
      });
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error.code, "invalid_csv");
    }
  });

  test("moderating bad input: an unknown status, an empty update, another shop's review", async () => {
    const list = await admin(worker.url, acme, "GET", "/reviews");
    const id = list.body.reviews.find((r) => r.product === "MUG").id;
    assert.equal((await admin(worker.url, acme, "PUT", `/products/MUG/reviews/${id}`, { status: "hidden" })).status, 400);
    assert.equal((await admin(worker.url, acme, "PUT", `/products/MUG/reviews/${id}`, {})).status, 400);
    assert.equal((await admin(worker.url, acme, "PUT", `/products/MUG/reviews/${id}`, { reply: "x".repeat(2001) })).status, 400);
    const cross = await admin(worker.url, other, "PUT", `/products/MUG/reviews/${id}`, { status: "rejected" });
    assert.equal(cross.status, 404);
    assert.equal(cross.body.error.code, "review_not_found");
    const crossKey = await admin(worker.url, { ...other, shop: "acme" }, "PUT", `/products/MUG/reviews/${id}`, { status: "rejected" });
    assert.equal(crossKey.status, 401);
  });
});
