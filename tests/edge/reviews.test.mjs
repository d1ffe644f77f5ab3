// The reviews read path and the review/catalog admin API, against the built Worker in workerd.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { admin, createShop, eventually, getJson, kvKeys, shopSecrets, startWorker } from "../support/worker.mjs";

const acme = shopSecrets("acme");
const other = shopSecrets("other-shop");
let worker;

const review = (id, rating, extra = {}) => ({
  id, product: "MUG", rating, title: `Title ${id}`, body: `Body of ${id}`, author: "Ada", created_at: 1_780_000_000 + rating, ...extra,
});
const reviewsOf = (shop, sku) => getJson(`${worker.url}/v1/shops/${shop}/products/${sku}/reviews`);

before(async () => {
  worker = await startWorker([acme, other]);
  await createShop(worker.url, acme, { products: ["MUG", "TENT", "EMPTY", "LD"] });
  await createShop(worker.url, other, { products: ["MUG"] });
});
after(async () => worker?.stop());

describe("reading reviews", () => {
  test("summary, histogram and newest reviews come from what was imported", async () => {
    const res = await admin(worker.url, acme, "POST", "/reviews", {
      reviews: [review("r1", 5, { created_at: 100 }), review("r2", 4, { created_at: 300 }), review("r3", 2, { created_at: 200 }),
        review("r4", 1, { created_at: 400, status: "pending" })],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { imported: 4, products: 1 });

    const { status, headers, body } = await reviewsOf("acme", "MUG");
    assert.equal(status, 200);
    assert.equal(headers.get("access-control-allow-origin"), "*");
    assert.equal(body.summary.count, 3, "a pending review is neither shown nor counted");
    assert.equal(body.summary.average, 3.67);
    assert.deepEqual(body.summary.histogram, [0, 1, 0, 1, 1]);
    assert.deepEqual(body.reviews.map((r) => r.id), ["r2", "r3", "r1"]);
    assert.equal(body.reviews[0].status, undefined, "moderation state is not public");
  });

  test("re-importing a review replaces it instead of counting it twice", async () => {
    await admin(worker.url, acme, "POST", "/reviews", { reviews: [review("t1", 2, { product: "TENT" })] });
    await admin(worker.url, acme, "POST", "/reviews", { reviews: [review("t1", 5, { product: "TENT" })] });
    await eventually(() => reviewsOf("acme", "TENT"), ({ body }) => {
      assert.equal(body.summary.count, 1);
      assert.deepEqual(body.summary.histogram, [0, 0, 0, 0, 1]);
    });
  });

  test("a catalog product without reviews is an empty page, not an error", async () => {
    const { status, body } = await reviewsOf("acme", "EMPTY");
    assert.equal(status, 200);
    assert.deepEqual(body, { product: "EMPTY", summary: { count: 0, average: 0, histogram: [0, 0, 0, 0, 0] }, reviews: [] });
  });

  test("unknown product and unknown shop are JSON 404s", async () => {
    let res = await reviewsOf("acme", "NOPE");
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "product_not_found");
    res = await reviewsOf("no-such-shop", "MUG");
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "shop_not_found");
  });

  test("a product's page is written when the product is created, so a read is one KV read", async () => {
    const res = await admin(worker.url, acme, "PUT", "/products", {
      products: [{ sku: "NEW-1", title: "New one", url: "https://acme.example/p/new-1" }],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(kvKeys(worker, "acme/reviews-page/NEW-"), ["acme/reviews-page/NEW-1"]);
    const { status, body } = await reviewsOf("acme", "NEW-1");
    assert.equal(status, 200);
    assert.equal(body.summary.count, 0);
  });

  test("the page carries an entity tag; a request that holds it gets a 304 with no body", async () => {
    const url = `${worker.url}/v1/shops/acme/products/MUG/reviews`;
    const first = await fetch(url);
    const tag = first.headers.get("etag");
    assert.match(tag, /^"[0-9a-f]{16}"$/);
    const text = await first.text();
    const again = await fetch(url, { headers: { "if-none-match": tag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), "");
    assert.equal(again.headers.get("etag"), tag);
    assert.match(again.headers.get("cache-control"), /^public, max-age=\d+$/);
    assert.equal(again.headers.get("access-control-allow-origin"), "*");
    // Another tag, or a list without this one, gets the page.
    const stale = await fetch(url, { headers: { "if-none-match": '"0000000000000000", W/"1"' } });
    assert.equal(stale.status, 200);
    assert.equal(await stale.text(), text);
    // A new review changes the bytes, so the tag.
    await admin(worker.url, acme, "POST", "/reviews", { reviews: [review("r9", 5, { created_at: 900 })] });
    await eventually(() => fetch(url, { headers: { "if-none-match": tag } }), (res) => assert.equal(res.status, 200));
    // The rendered view is revalidated the same way.
    const html = `${worker.url}/v1/shops/acme/products/MUG/reviews.html?css=none`;
    const view = await fetch(html);
    const viewTag = view.headers.get("etag");
    assert.match(viewTag, /^"[0-9a-f]{16}"$/);
    assert.equal((await fetch(html, { headers: { "if-none-match": viewTag } })).status, 304);
    assert.equal((await fetch(`${html}&locale=de`, { headers: { "if-none-match": viewTag } })).status, 200);
  });

  test("a 404 for an unknown product is cached briefly, like a page", async () => {
    const res = await fetch(`${worker.url}/v1/shops/acme/products/NOPE/reviews`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get("cache-control"), /^public, max-age=\d+$/);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.equal((await res.json()).error.code, "product_not_found");
  });

  test("shops do not see each other's reviews", async () => {
    const { body } = await reviewsOf("other-shop", "MUG");
    assert.equal(body.summary.count, 0);
  });

  test("a malformed shop id or SKU is a 400, not a lookup", async () => {
    for (const path of ["/v1/shops/Acme/products/MUG/reviews", "/v1/shops/acme/products/MU%20G/reviews", "/v1/shops/acme/products/MUG%2F..%2Fx/reviews"]) {
      const res = await getJson(`${worker.url}${path}`);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.error.code, "invalid_id", path);
    }
  });
});

describe("importing reviews: bad input is refused whole, with a JSON error", () => {
  const refused = async (body, status, code, headers) => {
    const before = await reviewsOf("acme", "MUG");
    const res = await admin(worker.url, acme, "POST", "/reviews", body, headers);
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.error.code, code);
    const afterwards = await reviewsOf("acme", "MUG");
    assert.deepEqual(afterwards.body, before.body, "nothing was written");
    return res.body.error.message;
  };

  test("rating 0 and 6", async () => {
    assert.match(await refused({ reviews: [review("x0", 0)] }, 400, "invalid_field"), /rating/);
    assert.match(await refused({ reviews: [review("x6", 6)] }, 400, "invalid_field"), /rating/);
  });

  test("missing fields", async () => {
    const { body: _, ...noBody } = review("xb", 5);
    assert.match(await refused({ reviews: [noBody] }, 400, "invalid_field"), /body/);
    const { rating: __, ...noRating } = review("xr", 5);
    assert.match(await refused({ reviews: [noRating] }, 400, "invalid_json"), /rating/);
    await refused({}, 400, "invalid_json");
  });

  test("one bad item refuses the whole batch", async () => {
    const msg = await refused({ reviews: [review("ok1", 5), review("bad", 5, { author: "" })] }, 400, "invalid_field");
    assert.match(msg, /item 1/);
  });

  test("a review of a product outside the catalog", async () => {
    await refused({ reviews: [review("xp", 5, { product: "GHOST" })] }, 400, "unknown_product");
  });

  test("malformed JSON, wrong content type, empty batch", async () => {
    await refused("{not json", 400, "invalid_json");
    await refused(JSON.stringify({ reviews: [review("ct", 5)] }), 415, "unsupported_media_type", { "content-type": "text/plain" });
    await refused({ reviews: [] }, 400, "empty_batch");
  });

  test("an oversized body", async () => {
    const huge = { reviews: [review("big", 5, { body: "x".repeat(1100 * 1024) })] };
    await refused(huge, 413, "payload_too_large");
  });

  test("an over-long text field", async () => {
    assert.match(await refused({ reviews: [review("long", 5, { body: "y".repeat(5001) })] }, 400, "invalid_field"), /body/);
  });

  test("a wrong admin key, another shop's admin key, or none", async () => {
    const before = await reviewsOf("acme", "MUG");
    for (const auth of [`Bearer wrong`, `Bearer ${other.adminKey}`, ""]) {
      const res = await admin(worker.url, acme, "POST", "/reviews", { reviews: [review("auth", 1)] }, { authorization: auth });
      assert.equal(res.status, 401, auth);
      assert.equal(res.body.error.code, "admin_key_invalid");
    }
    // A shop with no admin key configured answers the same as a wrong key.
    const ghost = { ...acme, shop: "ghost-shop" };
    const res = await admin(worker.url, ghost, "PUT", "", { name: "Ghost", currency: "EUR" });
    assert.equal(res.status, 401);
    assert.deepEqual((await reviewsOf("acme", "MUG")).body, before.body);
  });
});

describe("review text is stored and served as text", () => {
  test("markup and script in every text field come back verbatim", async () => {
    const evil = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    const res = await admin(worker.url, acme, "POST", "/reviews", {
      reviews: [review("xss", 3, { product: "TENT", title: evil, body: evil, author: evil, created_at: 2_000_000_000 })],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { headers, body } = await eventually(() => reviewsOf("acme", "TENT"), ({ body }) => assert.ok(body.reviews.some((r) => r.id === "xss")));
    assert.match(headers.get("content-type"), /^application\/json/);
    const stored = body.reviews.find((r) => r.id === "xss");
    assert.deepEqual([stored.title, stored.body, stored.author], [evil, evil, evil]);
  });

  test("the JSON-LD to inline cannot close its <script> element, wherever it is read", async () => {
    const evil = "</script><script>alert(1)</script><!-- \u2028 & x";
    const res = await admin(worker.url, acme, "POST", "/reviews", {
      reviews: [review("ld", 4, { product: "LD", title: evil, body: evil, author: evil, created_at: 2_000_000_001 })],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const page = await eventually(() => reviewsOf("acme", "LD"), ({ body }) => assert.equal(body.reviews.length, 1));
    const jsonld = await fetch(`${worker.url}/v1/shops/acme/products/LD/reviews.jsonld`);
    assert.equal(jsonld.status, 200);
    assert.match(jsonld.headers.get("content-type"), /^application\/ld\+json/);
    const text = await jsonld.text();
    for (const served of [text, page.body.json_ld]) {
      for (const c of ["<", ">", "&", "\u2028"]) assert.ok(!served.includes(c), `${JSON.stringify(c)} in ${served}`);
      const ld = JSON.parse(served);
      assert.equal(ld.review[0].reviewBody, evil, "the escapes still mean what the shopper wrote");
      assert.equal(ld.review[0].author.name, evil);
    }
  });
});

describe("the rendered first view", () => {
  const html = (shop, sku, query = "") => fetch(`${worker.url}/v1/shops/${shop}/products/${sku}/reviews.html${query}`);

  test("is the widget's view and its data, drawn from the same page, with nothing that can run", async () => {
    // The "LD" product holds a review written to break out of every element it is put in.
    await eventually(() => reviewsOf("acme", "LD"), ({ body }) => assert.equal(body.reviews.length, 1));
    const res = await html("acme", "LD", "?locale=de-DE");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^text\/html/);
    assert.match(res.headers.get("cache-control"), /^public, max-age=\d+$/);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    const text = await res.text();
    assert.ok(text.startsWith('<template shadowrootmode="open"><style>:host{'), text.slice(0, 80));
    // Exactly the elements we put there: the template, the styles, the data, the words and the
    // JSON-LD.
    assert.deepEqual(text.match(/<(script|style|template)\b[^>]*>/g), [
      '<template shadowrootmode="open">', "<style>", '<script type="application/json" class="rapport-data">',
      '<script type="application/json" class="rapport-strings">',
      '<script type="application/ld+json" data-rapport-product="LD">',
    ]);
    // German words: the widget's own keys only.
    const words = JSON.parse(text.match(/class="rapport-strings">([^<]*)<\/script>/)[1]);
    assert.equal(words.lang, "de");
    assert.ok(Object.keys(words.strings).every((k) => k.startsWith("reviews.") || k.startsWith("common.")));
    assert.ok(text.includes(`>${words.strings["reviews.title"]}</h2>`), "the heading in German");
    assert.ok(!text.includes("Customer reviews"));
    assert.ok(!text.includes("<img"), "review text is text");
    const data = JSON.parse(text.match(/class="rapport-data">([^<]*)<\/script>/)[1]);
    const page = (await reviewsOf("acme", "LD")).body;
    const { json_ld: _, ...rest } = page;
    assert.deepEqual(data, rest, "the data is the page, without the JSON-LD beside it");
    assert.equal(JSON.parse(text.match(/data-rapport-product="LD">([^<]*)<\/script>/)[1]).review[0].reviewBody,
      page.reviews[0].body);
    // German numbers and dates, from the Worker's Intl.
    assert.match(text, /<time>\d{1,2}\. [A-Za-zä]+ \d{4}<\/time>/);
  });

  test("css=none leaves out the styles the loader already has", async () => {
    const text = await (await html("acme", "MUG", "?css=none")).text();
    assert.ok(text.startsWith('<template shadowrootmode="open"><div part="root">'), text.slice(0, 80));
  });

  test("a product without reviews renders its empty view; unknown products and shops are JSON 404s", async () => {
    const empty = await html("acme", "EMPTY");
    assert.equal(empty.status, 200);
    assert.match(await empty.text(), /No reviews yet/);
    for (const [shop, sku, code] of [["acme", "NOPE", "product_not_found"], ["nope", "MUG", "shop_not_found"]]) {
      const res = await html(shop, sku);
      assert.equal(res.status, 404);
      assert.equal((await res.json()).error.code, code);
    }
  });

  test("a locale or option it cannot render is a 400 that says why", async () => {
    for (const query of ["?locale=en-US-u-ca-buddhist", "?locale=%3Cb%3E", "?locale=", "?locale=english", "?css=yes"]) {
      const res = await html("acme", "MUG", query);
      assert.equal(res.status, 400, query);
      const { error } = await res.json();
      assert.equal(error.code, "invalid_field", query);
      assert.match(error.message, /`(locale|css)`/);
    }
  });
});

describe("settings and catalog", () => {
  test("invalid settings are refused", async () => {
    for (const [settings, code] of [
      [{ name: "", currency: "EUR" }, "invalid_field"],
      [{ name: "A", currency: "euro" }, "invalid_json"],
      [{ name: "A", currency: "EUR", allowed_origins: ["https://ok.example/path"] }, "invalid_json"],
    ]) {
      const res = await admin(worker.url, acme, "PUT", "", settings);
      assert.equal(res.status, 400, JSON.stringify(settings));
      assert.equal(res.body.error.code, code);
    }
  });

  test("a sign-in or join link that is not a web address or a path on the shop is refused by name", async () => {
    const base = { name: "Acme", currency: "EUR" };
    const loyalty = (join_url) => ({ points_per_unit: 1, join_url });
    for (const [settings, field] of [
      [{ ...base, sign_in_url: "//evil.example/login" }, "sign_in_url"],
      [{ ...base, sign_in_url: "javascript:alert(1)" }, "sign_in_url"],
      [{ ...base, sign_in_url: "/\\evil.example" }, "sign_in_url"],
      [{ ...base, sign_in_url: "/\t/evil.example" }, "sign_in_url"],
      [{ ...base, loyalty: loyalty("//evil.example") }, "loyalty.join_url"],
      [{ ...base, loyalty: loyalty("javascript:alert(1)") }, "loyalty.join_url"],
    ]) {
      const res = await admin(worker.url, other, "PUT", "", settings);
      assert.equal(res.status, 400, JSON.stringify(settings));
      assert.equal(res.body.error.code, "invalid_field");
      assert.match(res.body.error.message, new RegExp(`^\`${field.replace(".", "\\.")}\``), JSON.stringify(res.body));
    }
    const ok = await admin(worker.url, other, "PUT", "", { ...base, sign_in_url: "/account/login", loyalty: loyalty("https://other.example/join") });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const programme = (await getJson(`${worker.url}/v1/shops/other-shop/loyalty`)).body.programme;
    assert.deepEqual([programme.sign_in_url, programme.rules.join_url], ["/account/login", "https://other.example/join"]);
  });

  test("a product with a bad SKU or URL is refused", async () => {
    for (const product of [{ sku: "A/B", title: "x" }, { sku: "OK", title: "" }, { sku: "OK", title: "x", url: "javascript:alert(1)" }]) {
      const res = await admin(worker.url, acme, "PUT", "/products", { products: [product] });
      assert.equal(res.status, 400, JSON.stringify(product));
    }
    assert.equal((await reviewsOf("acme", "OK")).status, 404, "nothing was stored");
  });
});
