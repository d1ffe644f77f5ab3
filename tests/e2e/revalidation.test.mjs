// A shopper's repeat view of a product page in Chromium: once the reviews' cache lifetime has
// passed, the browser revalidates what it holds, the Worker answers 304 with no body, and the
// widget is drawn the same, with no layout shift. The lifetime is 1 s here
// (`PUBLIC_CACHE_SECONDS`) so the test need not wait a minute.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { assertNoLayoutShift, launch, seedDemo, snippet, storefront, trackLayoutShift } from "../support/browser.mjs";
import { shopSecrets, startWorker } from "../support/worker.mjs";

const demo = shopSecrets("demo-outfitters");
const PRODUCT = "RIDGE-TENT-2P";
let worker, shop, browser;

const productPage = () => `<!doctype html><html lang="en"><head>${snippet(worker.url)}
  <style>rapport-reviews:not(:defined) { display: block; height: var(--rapport-reviews-height, 720px); }</style></head>
  <body><main style="width: 760px"><rapport-reviews product="${PRODUCT}"></rapport-reviews></main></body></html>`;

before(async () => {
  worker = await startWorker([demo], { PUBLIC_CACHE_SECONDS: "1" });
  shop = await storefront(worker.url, "", { "/product.html": productPage() });
  seedDemo(worker.url, demo, [shop.origin]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await shop?.close();
  await worker?.stop();
});

test("a repeat view of a product page revalidates its reviews with a 304 and draws the same", async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 1200 } });
  const p = await context.newPage();
  // What went over the wire, from the browser's network layer: the status the Worker sent
  // (a revalidated answer reaches the page as the cached 200) and the tag the browser asked with.
  const cdp = await context.newCDPSession(p);
  await cdp.send("Network.enable");
  // The network service's "extra info" events may come before or after the page's own, and
  // after the page has drawn, so a request counts once its URL, its asked tag and its answer are in.
  const seen = new Map();
  const entry = (id) => seen.get(id) ?? seen.set(id, {}).get(id);
  cdp.on("Network.requestWillBeSent", (e) => { entry(e.requestId).url = e.request.url; });
  cdp.on("Network.requestWillBeSentExtraInfo", (e) => {
    entry(e.requestId).asked = Object.entries(e.headers).find(([k]) => k.toLowerCase() === "if-none-match")?.[1] ?? null;
  });
  cdp.on("Network.responseReceivedExtraInfo", (e) => {
    const etag = Object.entries(e.headers).find(([k]) => k.toLowerCase() === "etag")?.[1] ?? null;
    Object.assign(entry(e.requestId), { status: e.statusCode, etag });
  });
  const answers = () => [...seen.values()]
    .filter((r) => /\/reviews\.html\?/.test(r.url ?? "") && r.status !== undefined && r.asked !== undefined)
    .map(({ status, etag, asked }) => ({ status, etag, asked }));
  // Waits until `n` answers are in (or 5 s), then gives them all.
  const settled = async (n) => {
    for (const until = Date.now() + 5000; answers().length < n && Date.now() < until;) await p.waitForTimeout(50);
    return answers();
  };
  const view = async () => {
    await p.goto(`${shop.origin}/product.html`);
    await p.locator("rapport-reviews .summary").waitFor();
    // What the shopper reads: the summary and every review.
    return p.evaluate(() => [...document.querySelector("rapport-reviews").shadowRoot.querySelectorAll(".summary, .review")]
      .map((e) => e.textContent.replace(/\s+/g, " ").trim()));
  };
  const first = await view();
  const once = await settled(1);
  assert.equal(once.length, 1, JSON.stringify(once));
  assert.equal(once[0].status, 200);
  assert.match(once[0].etag, /^"[0-9a-f]{16}"$/);
  // Past the lifetime, the browser asks again with the tag it holds, and gets no body back.
  await p.waitForTimeout(1500);
  await trackLayoutShift(p);
  const again = await view();
  const twice = await settled(2);
  assert.equal(twice.length, 2, JSON.stringify(twice));
  assert.deepEqual(twice[1], { status: 304, etag: once[0].etag, asked: once[0].etag });
  assert.ok(first.length > 1, JSON.stringify(first));
  assert.deepEqual(again, first);
  await assertNoLayoutShift(p);
  await context.close();
});
