// End to end: <rapport-recommendations> on the demo storefront in headless Chromium, against the
// Worker in workerd, with the demo shop seeded by `cargo xtask seed` (other shoppers' orders and
// browsing sessions, then a build). Every kind shows real cards; the shop's lists without any
// WebAssembly; the arrow keys move between cards; no layout shift; axe clean; and product views
// reach the Worker only with the shopper's consent.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";

import { assertNoLayoutShift, launch, moduleParts, seedDemo, snippet, storefront, trackLayoutShift } from "../support/browser.mjs";
import { mintToken, nowSeconds, shopSecrets, startWorker } from "../support/worker.mjs";

const demo = shopSecrets("demo-outfitters");
// A shop with no catalog yet.
const bare = shopSecrets("bare-shop");
const WEBHOOK_SECRET = "gen-" + "f6".repeat(12);
const require = createRequire(import.meta.url);
let worker, shop, noConsent, signedIn, signedInConsent, browser;

const page = (head, body) => `<!doctype html><html lang="en"><head><title>Demo Outfitters</title>${head}</head><body><main>${body}</main></body></html>`;
const withConsent = (rapport, consent) => snippet(rapport, "").replace("async>", `data-consent="${consent}" async>`);
const product = (sku) => `<h1>${sku}</h1><rapport-recommendations product="${sku}" kind="similar"></rapport-recommendations>`;

async function watch(p) {
  const problems = [];
  const wasm = [];
  const beacons = [];
  p.on("request", (r) => {
    if (r.url().endsWith(".wasm")) wasm.push(r.url());
    if (r.url().includes("/events")) beacons.push(JSON.parse(r.postData() || "null"));
  });
  p.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  p.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  await trackLayoutShift(p);
  return { problems, wasm, beacons };
}

async function axe(p, selector) {
  await p.addScriptTag({ content: readFileSync(require.resolve("axe-core/axe.min.js"), "utf8") });
  const result = await p.evaluate((s) => window.axe.run({ include: [[s]] }), selector);
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(" ")}`), []);
}

/** The product views the Worker has stored for the demo shop (from a build's report). */
async function events() {
  const res = await fetch(`${worker.url}/v1/admin/shops/demo-outfitters/recommendations/build`, {
    method: "POST", headers: { authorization: `Bearer ${demo.adminKey}` },
  });
  return (await res.json()).events;
}

const titles = (widget) => widget.locator(".card-title").allTextContents();

/** The titles the page's "for you" row shows, once it is live. */
async function picked(p) {
  const forYou = p.locator("#for-you rapport-recommendations");
  await forYou.scrollIntoViewIfNeeded();
  await live(p, "#for-you rapport-recommendations");
  assert.equal(await forYou.locator("h2").textContent(), "Picked for you");
  const picks = await titles(forYou);
  assert.ok(picks.length >= 3, picks.join(" | "));
  return picks;
}
const live = (p, selector) =>
  p.waitForFunction((s) => { const el = document.querySelector(s); return el?.rapportLive === true || el?.hasAttribute("hidden"); }, selector);

before(async () => {
  worker = await startWorker([demo, bare], { GENERIC_WEBHOOK_SECRET_DEMO_OUTFITTERS: WEBHOOK_SECRET });
  const pages = {
    "/mat.html": page(withConsent(worker.url, "recommendations"), product("DRIFT-MAT-R4")),
    "/stove.html": page(withConsent(worker.url, "recommendations"), product("EMBER-STOVE")),
    "/none.html": page(withConsent(worker.url, ""), product("EMBER-STOVE") + '<rapport-recommendations kind="recently-viewed"></rapport-recommendations>'),
    "/bare.html": page(snippet(worker.url, "").replace("demo-outfitters", "bare-shop"), '<rapport-recommendations kind="trending"></rapport-recommendations>'),
  };
  shop = await storefront(worker.url, "", pages);
  noConsent = await storefront(worker.url, "", {}, "");
  // The demo shopper, signed in, who bought the tent, the mug and the jacket, without consent.
  const token = mintToken(demo.tokenSecret, { sub: "demo-customer-1", shop: "demo-outfitters", exp: nowSeconds() + 3600 });
  signedIn = await storefront(worker.url, token, {}, "");
  // The same shopper with consent: "for you" on a page with the tent (drawn by the Worker) and
  // on a page without a product (drawn by the module from a history that holds the tent).
  const own = snippet(worker.url, token).replace("async>", 'data-consent="recommendations" async>');
  signedInConsent = await storefront(worker.url, token, {
    "/tent.html": page(own, '<rapport-recommendations product="RIDGE-TENT-2P" kind="for-you"></rapport-recommendations>'),
    "/history.html": page(own, '<rapport-recommendations kind="for-you"></rapport-recommendations>'),
  });
  seedDemo(worker.url, demo, [shop.origin, noConsent.origin, signedIn.origin, signedInConsent.origin], WEBHOOK_SECRET);
  const settings = await fetch(`${worker.url}/v1/admin/shops/bare-shop`, {
    method: "PUT",
    headers: { authorization: `Bearer ${bare.adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Bare", currency: "EUR" }),
  });
  assert.equal(settings.status, 200);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await shop?.close();
  await noConsent?.close();
  await signedIn?.close();
  await signedInConsent?.close();
  await worker?.stop();
});

describe("the recommendations widget on the demo storefront", () => {
  test("the shop's lists show real cards from the Worker's view alone, without layout shift, axe clean", async () => {
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.setViewportSize({ width: 1280, height: 900 });
    const { problems, wasm } = await watch(p);
    await p.goto(`${shop.origin}/`);
    for (const id of ["together", "related", "trending"]) {
      await p.locator(`#${id} rapport-recommendations`).scrollIntoViewIfNeeded();
      await live(p, `#${id} rapport-recommendations`);
    }
    const together = p.locator("#together rapport-recommendations");
    assert.equal(await together.locator("h2").textContent(), "Frequently bought together");
    const bought = await titles(together);
    assert.equal(bought[0], "Drift R4 Sleeping Mat", bought.join(" | "));
    assert.ok(!bought.includes("Ridgeline 2-Person Tent"), "not the product itself");
    assert.ok(!bought.some((t) => t.includes("discontinued")), "an unavailable product never shows");

    const related = p.locator("#related rapport-recommendations");
    assert.equal(await related.locator("h2").textContent(), "You may also like", "the merchant's heading");
    assert.equal((await titles(related))[0], "Drift R4 Sleeping Mat");
    const first = related.locator(".card").first();
    assert.equal(await first.locator(".card-price").textContent(), "€129.00");
    assert.equal(await first.locator("a").getAttribute("href"), "/products/drift-mat");
    const img = first.locator("img");
    assert.deepEqual([await img.getAttribute("width"), await img.getAttribute("height"), await img.getAttribute("loading")], ["160", "160", "lazy"]);
    await p.waitForFunction(() => {
      const i = document.querySelector("#related rapport-recommendations").shadowRoot.querySelector("img");
      return i && i.complete && i.naturalWidth > 0;
    });

    const trending = p.locator("#trending rapport-recommendations");
    assert.equal(await trending.locator("h2").textContent(), "Trending now");
    assert.ok((await titles(trending)).length >= 6);

    await assertNoLayoutShift(p);
    for (const id of ["together", "related", "trending"]) await axe(p, `#${id} rapport-recommendations`);
    assert.deepEqual(problems.filter((x) => !x.includes("[rapport]")), []);
    await p.screenshot({ path: "target/e2e/recommendations.png", fullPage: true });

    // A page with only the shop's lists downloads no WebAssembly at all.
    const q = await context.newPage();
    const alone = await watch(q);
    await q.goto(`${shop.origin}/mat.html`);
    await live(q, "rapport-recommendations");
    assert.ok((await titles(q.locator("rapport-recommendations"))).length >= 3);
    await q.waitForTimeout(500);
    assert.deepEqual(alone.wasm, []);
    await context.close();
  });

  test("the arrow keys, Home and End move between cards; Tab reaches them", async () => {
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(`${shop.origin}/`);
    const related = p.locator("#related rapport-recommendations");
    await related.scrollIntoViewIfNeeded();
    await live(p, "#related rapport-recommendations");
    const focused = () => p.evaluate(() => document.querySelector("#related rapport-recommendations").shadowRoot.activeElement?.querySelector(".card-title")?.textContent);
    const names = await titles(related);
    await related.locator(".card-link").first().focus();
    assert.equal(await focused(), names[0]);
    await p.keyboard.press("ArrowRight");
    assert.equal(await focused(), names[1]);
    await p.keyboard.press("End");
    assert.equal(await focused(), names.at(-1));
    await p.keyboard.press("ArrowLeft");
    assert.equal(await focused(), names.at(-2));
    await p.keyboard.press("Home");
    assert.equal(await focused(), names[0]);
    await p.keyboard.press("Tab");
    assert.equal(await focused(), names[1], "Tab goes through the cards in order");
    await context.close();
  });

  test("recently viewed and for you come from this browser's own history, blended in the browser", async () => {
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.setViewportSize({ width: 1280, height: 900 });
    const { problems, wasm, beacons } = await watch(p);
    const before = await events();
    // The shopper looks at the sleeping mat, then the stove, then comes to the tent.
    for (const path of ["/mat.html", "/stove.html"]) {
      await p.goto(`${shop.origin}${path}`);
      await live(p, "rapport-recommendations");
    }
    await p.goto(`${shop.origin}/`);
    const recent = p.locator("#recently-viewed rapport-recommendations");
    await recent.scrollIntoViewIfNeeded();
    await live(p, "#recently-viewed rapport-recommendations");
    assert.equal(await recent.locator("h2").textContent(), "Recently viewed");
    assert.deepEqual(await titles(recent), ["Ember Compact Gas Stove", "Drift R4 Sleeping Mat"], "newest first, not the tent itself");

    const picks = await picked(p);
    for (const seen of ["Ridgeline 2-Person Tent", "Ember Compact Gas Stove", "Drift R4 Sleeping Mat"]) {
      assert.ok(!picks.includes(seen), `${seen} was viewed: not picked again`);
    }
    assert.ok(picks.includes("Trailhead Enamel Mug 350 ml"), `after the stove, the mug: ${picks.join(" | ")}`);
    assert.ok(moduleParts(wasm).includes("recommendations"), moduleParts(wasm).join());

    // The views went out as anonymous beacons and were stored: one view on each of the three
    // pages. The Worker refuses a beacon with any field but the session id and the SKUs, so
    // what was stored carried nothing else.
    await p.goto("about:blank");
    let after = before;
    for (let i = 0; i < 50 && after < before + 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await events();
    }
    assert.equal(after, before + 3);
    // The beacons the browser reports (it does not report those sent as a page unloads).
    assert.ok(beacons.every((b) => Object.keys(b).sort().join() === "session,views"), JSON.stringify(beacons));
    assert.ok(new Set(beacons.map((b) => b.session)).size <= 1, "one id for the tab");
    assert.deepEqual(problems.filter((x) => !x.includes("[rapport]")), []);
    await context.close();
  });

  test("for you and recently viewed are axe clean, with no layout shift", async () => {
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(`${shop.origin}/stove.html`);
    await live(p, "rapport-recommendations");
    await trackLayoutShift(p);
    await p.goto(`${shop.origin}/`);
    await trackLayoutShift(p);
    for (const id of ["for-you", "recently-viewed"]) {
      await p.locator(`#${id} rapport-recommendations`).scrollIntoViewIfNeeded();
      await live(p, `#${id} rapport-recommendations`);
    }
    await assertNoLayoutShift(p);
    for (const id of ["for-you", "recently-viewed"]) await axe(p, `#${id} rapport-recommendations`);
    await context.close();
  });

  test("without consent nothing is kept or sent: no history, no beacon; for you is the shop's trending", async () => {
    const context = await browser.newContext();
    const p = await context.newPage();
    const { beacons } = await watch(p);
    const before = await events();
    const requests = [];
    p.on("request", (r) => requests.push(r.url()));
    await p.goto(`${shop.origin}/none.html`);
    await live(p, "rapport-recommendations");
    await p.goto(`${noConsent.origin}/`);
    await p.locator("#for-you rapport-recommendations").scrollIntoViewIfNeeded();
    for (const id of ["for-you", "recently-viewed"]) await live(p, `#${id} rapport-recommendations`);
    const recent = p.locator("#recently-viewed rapport-recommendations");
    assert.equal(await recent.locator("h2").textContent(), "Trending now", "no history: the shop's trending list in its place");
    const forYou = p.locator("#for-you rapport-recommendations");
    assert.equal(await forYou.locator("h2").textContent(), "Picked for you");
    assert.ok((await titles(forYou)).length >= 6, "the shop's trending list");
    await p.goto("about:blank");
    await p.waitForTimeout(300);
    assert.deepEqual(beacons, []);
    assert.equal(await events(), before, "the Worker stored no view");
    assert.ok(!requests.some((u) => u.includes("/events")), requests.filter((u) => u.includes("/events")).join());
    for (const origin of [shop.origin, noConsent.origin]) {
      const q = await context.newPage();
      await q.goto(`${origin}/robots.txt`).catch(() => {});
      assert.equal(await q.evaluate(() => localStorage.length + sessionStorage.length), 0, origin);
      await q.close();
    }
    await context.close();
  });

  test("a signed-in shopper's for you draws from what they bought and leaves it out, drawn by the Worker on a first visit", async () => {
    const context = await browser.newContext();
    const p = await context.newPage();
    const { problems, beacons, wasm } = await watch(p);
    const before = await events();
    const own = [];
    p.on("request", (r) => {
      if (r.url().includes("/me/purchases") || r.url().includes("/for-you.html")) own.push(`${new URL(r.url()).pathname} ${r.headers().authorization || ""}`);
    });
    await p.goto(`${signedIn.origin}/`);
    const picks = await picked(p);
    for (const bought of ["Ridgeline 2-Person Tent", "Trailhead Enamel Mug 350 ml", "Summit 800 Down Jacket"]) {
      assert.ok(!picks.includes(bought), `${bought} was bought: not picked again (${picks.join(" | ")})`);
    }
    assert.ok(picks.includes("Drift R4 Sleeping Mat"), `bought with the tent by others: ${picks.join(" | ")}`);
    // Without consent this browser keeps no history: the Worker draws the list, with the
    // shopper's own token, and the module's recommendations part is never fetched.
    assert.equal(own.length, 1, own.join());
    assert.match(own[0], /\/recommendations\/for-you\.html Bearer /);
    await p.waitForTimeout(500);
    assert.ok(!moduleParts(wasm).includes("recommendations"), moduleParts(wasm).join());
    await assertNoLayoutShift(p);
    await axe(p, "#for-you rapport-recommendations");
    await p.goto("about:blank");
    await p.waitForTimeout(300);
    assert.deepEqual(beacons, [], "without consent nothing is sent");
    assert.equal(await events(), before);
    assert.deepEqual(problems.filter((x) => !x.includes("[rapport]")), []);
    await context.close();
  });

  test("for you drawn by the Worker from the page's product is the list the module draws from the same history", async () => {
    const cards = (p) => p.locator("rapport-recommendations .card-link").evaluateAll((links) => links.map((a) => `${a.textContent.trim()} ${a.getAttribute("href")}`));
    // A first visit to the tent's page: nothing in the history but the tent.
    const first = await browser.newContext();
    const p = await first.newPage();
    const atEdge = await watch(p);
    await p.goto(`${signedInConsent.origin}/tent.html`);
    await live(p, "rapport-recommendations");
    const drawn = await cards(p);
    assert.ok(drawn.length >= 3, drawn.join(" | "));
    await p.waitForTimeout(500);
    assert.deepEqual(atEdge.wasm, [], "no WebAssembly on the page");
    await first.close();
    // A page without a product, with the tent in this browser's history: the module draws it.
    const later = await browser.newContext();
    await later.addInitScript(() => localStorage.setItem("rapport:viewed:demo-outfitters", JSON.stringify(["RIDGE-TENT-2P"])));
    const q = await later.newPage();
    const inBrowser = await watch(q);
    await q.goto(`${signedInConsent.origin}/history.html`);
    await live(q, "rapport-recommendations");
    assert.ok(moduleParts(inBrowser.wasm).includes("recommendations"), moduleParts(inBrowser.wasm).join());
    assert.deepEqual(await cards(q), drawn);
    assert.deepEqual([...atEdge.problems, ...inBrowser.problems].filter((x) => !x.includes("[rapport]")), []);
    await later.close();
  });

  test("a shop without a catalog hides the widget and says why in the console", async () => {
    const context = await browser.newContext();
    const p = await context.newPage();
    const warnings = [];
    p.on("console", (m) => warnings.push(m.text()));
    await p.goto(`${shop.origin}/bare.html`);
    await p.waitForFunction(() => document.querySelector("rapport-recommendations").hasAttribute("hidden"));
    await context.close();
    assert.ok(warnings.some((w) => w.startsWith("[rapport]") && w.includes("no catalog")), warnings.join(" | "));
  });
});
