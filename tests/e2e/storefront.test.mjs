// End to end: the demo storefront in headless Chromium, with the built widgets served by the
// Worker running in workerd, and data seeded through the admin API.

import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { assertNoLayoutShift, launch, moduleParts, seedDemo, snippet, storefront, trackLayoutShift } from "../support/browser.mjs";
import { admin, eventually, root, shopSecrets, startWorker } from "../support/worker.mjs";

const demo = shopSecrets("demo-outfitters");
let worker, shop, browser;

const page2 = (rapport) => `<!doctype html><html lang="en"><head>${snippet(rapport)}</head><body>
  <rapport-reviews product="TRAIL-MUG-350"></rapport-reviews>
  <rapport-reviews product="NO-SUCH-PRODUCT"></rapport-reviews>
  <rapport-reviews product="SCRIPT-TEST"></rapport-reviews></body></html>`;
const farBelow = (rapport) => `<!doctype html><html lang="en"><head>${snippet(rapport)}</head><body>
  <div style="height:5000px">Scroll down</div><rapport-reviews id="far" product="TRAIL-MUG-350"></rapport-reviews></body></html>`;
const collection = (rapport) => `<!doctype html><html lang="en"><head>${snippet(rapport)}</head><body>
  <ul><li>Tent <rapport-stars product="RIDGE-TENT-2P"></rapport-stars></li>
  <li>Mug <rapport-stars product="TRAIL-MUG-350"></rapport-stars></li>
  <li>Chair <rapport-stars product="BASECAMP-CHAIR"></rapport-stars></li>
  <li>Tent again <rapport-stars product="RIDGE-TENT-2P"></rapport-stars></li></ul></body></html>`;
const noWidget = (rapport) => `<!doctype html><html lang="en"><head>${snippet(rapport)}</head><body><p>No widgets here.</p></body></html>`;

async function open(path, { viewport = { width: 1280, height: 900 } } = {}) {
  const page = await browser.newPage({ viewport });
  const problems = [];
  const wasmRequests = [];
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // The browser itself logs every 404 response; an unknown product's 404 is expected.
    const expected404 = m.text().includes("404") && m.location().url.includes("/v1/shops/");
    if (m.type() === "error" && !m.text().startsWith("[rapport]") && !expected404) problems.push(`console: ${m.text()}`);
  });
  page.on("request", (r) => { if (r.url().endsWith(".wasm")) wasmRequests.push(r.url()); });
  await trackLayoutShift(page);
  await page.goto(`${shop.origin}${path}`);
  return { page, problems, wasmRequests, requests };
}

before(async () => {
  worker = await startWorker([demo]);
  const stub = await storefront(worker.url, "");
  seedDemo(worker.url, demo, [stub.origin]);
  await stub.close();
  // A product whose only review tries to run script.
  await admin(worker.url, demo, "PUT", "/products", { products: [{ sku: "SCRIPT-TEST", title: "Script test" }] });
  const res = await admin(worker.url, demo, "POST", "/reviews", { reviews: [{
    id: "evil", product: "SCRIPT-TEST", rating: 1, title: "<b>bold?</b>", author: "<i>Mallory</i>",
    body: '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>', created_at: 1_780_000_000,
  }] });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  shop = await storefront(worker.url, "", {
    "/two.html": page2(worker.url), "/far.html": farBelow(worker.url), "/none.html": noWidget(worker.url),
    "/collection.html": collection(worker.url),
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await shop?.close();
  await worker?.stop();
});

describe("the reviews widget on the demo storefront", () => {
  test("shows the seeded summary and newest reviews inside its shadow root, without shifting the page", async () => {
    // A window tall enough to hold the whole page, so that any shift is in view and counts.
    const { page, problems, wasmRequests } = await open("/", { viewport: { width: 1280, height: 2000 } });
    const widget = page.locator("rapport-reviews");
    await widget.locator(".summary").waitFor();
    assert.equal(await widget.locator(".average-value").textContent(), "4.3");
    assert.equal(await widget.locator(".count").textContent(), "Based on 11 reviews");
    assert.equal(await widget.locator('.average [role="img"]').getAttribute("aria-label"), "Rated 4.3 out of 5");
    assert.deepEqual(await widget.locator(".bar-count").allTextContents(), ["6", "3", "1", "1", "0"]);
    assert.equal(await widget.locator(".review").count(), 3);
    assert.equal(await widget.locator(".review-title").first().textContent(), "Bone dry through a Highlands storm");
    assert.equal(await widget.locator(".verified").first().textContent(), "Verified buyer");
    assert.equal(await page.evaluate(() => !!document.querySelector("rapport-reviews").shadowRoot), true);

    mkdirSync(join(root, "target/e2e"), { recursive: true });
    await page.screenshot({ path: join(root, "target/e2e/storefront.png"), fullPage: true });

    await assertNoLayoutShift(page);
    // Every widget on one page: each part of the module once, every widget's own part.
    assert.equal(new Set(wasmRequests).size, wasmRequests.length, "no part fetched twice");
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.waitForFunction(() => [...document.querySelectorAll("rapport-reviews, rapport-loyalty, rapport-referral, rapport-recommendations")].every((w) => w.rapportLive));
    // On a first visit "for you" has nothing but this page's product to draw from: the Worker
    // draws it, and the module's recommendations part is not fetched.
    assert.deepEqual([...new Set(moduleParts(wasmRequests))], ["loyalty", "main", "referral", "reviews", "shared"]);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("more reviews open from the keyboard", async () => {
    const { page } = await open("/");
    const widget = page.locator("rapport-reviews");
    const more = widget.getByRole("button", { name: "Show more reviews" });
    await more.focus();
    await page.keyboard.press("Enter");
    // Three are shown at first, then the rest of the first page, already loaded.
    await widget.locator(".review").nth(9).waitFor();
    assert.equal(await widget.locator(".review").count(), 10);
    assert.notEqual(await widget.getAttribute("expanded"), null, "the widget grew on the shopper's key press");
    // The next page, loaded from the product's object meanwhile, comes with the next press.
    await page.keyboard.press("Enter");
    await widget.locator(".review").nth(10).waitFor();
    assert.equal(await widget.locator(".review").count(), 11);
    assert.equal(await more.count(), 0, "all eleven are shown");
    await page.close();
  });

  test("host page CSS does not reach in, and widget CSS does not leak out", async () => {
    const { page } = await open("/");
    const widget = page.locator("rapport-reviews");
    const more = widget.getByRole("button", { name: "Show more reviews" });
    await more.waitFor();
    // The live widget (the rendered view's styles are checked in platform.test.mjs).
    await page.waitForFunction(() => document.querySelector("rapport-reviews").rapportLive);
    // The theme paints every button red with !important and sets html { font-size: 62.5% }.
    assert.notEqual(await more.evaluate((b) => getComputedStyle(b).backgroundColor), "rgb(139, 45, 26)");
    assert.equal(await widget.locator(".review-body").first().evaluate((p) => getComputedStyle(p).fontSize), "15px");
    // The widget's `p { margin: 0 }` must not touch the theme's paragraphs.
    const themeMargin = await page.locator("main .product p").last().evaluate((p) => getComputedStyle(p).marginBottom);
    assert.notEqual(themeMargin, "0px");
    await page.close();
  });

  test("passes axe accessibility checks", async () => {
    const { page } = await open("/");
    await page.locator("rapport-reviews .summary").waitFor();
    const require = createRequire(import.meta.url);
    await page.addScriptTag({ content: readFileSync(require.resolve("axe-core/axe.min.js"), "utf8") });
    const result = await page.evaluate(() => window.axe.run({ include: [["rapport-reviews"]] }));
    const violations = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    assert.deepEqual(violations, []);
    await page.close();
  });
});

describe("writing, voting and search engines", () => {
  const setRule = (moderation) => admin(worker.url, demo, "PUT", "", {
    name: "Demo Outfitters", currency: "EUR", allowed_origins: [shop.origin], moderation,
  });

  test("a shopper writes a review with the keyboard and sees it published", async () => {
    assert.equal((await setRule("publish_all")).status, 200);
    const { page, problems } = await open("/");
    const widget = page.locator("rapport-reviews");
    await widget.getByRole("button", { name: "Write a review" }).click();
    const form = widget.getByRole("form", { name: "Write a review" });
    await form.waitFor();

    // Sending it empty names every missing field beside it, and sends nothing.
    await form.getByRole("button", { name: "Send review" }).click();
    assert.deepEqual(await form.locator(".field-error").allTextContents(), [
      "Choose a rating from 1 to 5 stars.", "Write a few words about the product.", "Add the name to show with your review.",
    ]);
    assert.equal(await form.locator("#rapport-body").getAttribute("aria-invalid"), "true");

    // The rating is a radio group: focus the first star, then arrow keys move the choice.
    const group = form.getByRole("radiogroup", { name: "Your rating" });
    await group.getByRole("radio", { name: "1 star" }).focus();
    await page.keyboard.press("Space");
    for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowRight");
    assert.equal(await group.getByRole("radio", { name: "4 stars" }).isChecked(), true);
    assert.equal(await form.locator(".star-label.on").count(), 4);

    await form.getByLabel("Title (optional)").fill("Survived the Cairngorms");
    await form.getByLabel("Your review", { exact: true }).fill("Two nights of sleet, <b>no</b> leaks.");
    await form.getByLabel("Name shown with your review").fill("Robin");
    await form.getByRole("button", { name: "Send review" }).click();
    await widget.getByRole("status").filter({ hasText: "Thank you" }).waitFor();
    assert.equal(await widget.locator(".sent").textContent(), "Thank you! Your review is published.");
    assert.equal(await widget.locator(".review-title").first().textContent(), "Survived the Cairngorms");
    assert.equal(await widget.locator(".review-body").first().textContent(), "Two nights of sleet, <b>no</b> leaks.");
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("a shop that holds reviews tells the shopper it awaits checking", async () => {
    assert.equal((await setRule("hold_all")).status, 200);
    const { page } = await open("/");
    const widget = page.locator("rapport-reviews");
    await widget.getByRole("button", { name: "Write a review" }).click();
    const form = widget.getByRole("form", { name: "Write a review" });
    // A pointer user clicks the second star.
    await form.locator('label[for="rapport-star-2"]').click();
    assert.equal(await form.getByRole("radio", { name: "2 stars" }).isChecked(), true);
    await form.getByLabel("Your review", { exact: true }).fill("Zip broke on day one.");
    await form.getByLabel("Name shown with your review").fill("Sam");
    await form.getByRole("button", { name: "Send review" }).click();
    await widget.locator(".sent").waitFor();
    assert.equal(await widget.locator(".sent").textContent(), "Thank you! Your review will appear once the shop has checked it.");
    assert.equal(await widget.locator(".review-body", { hasText: "Zip broke" }).count(), 0);
    // The queue is written by the product's object, within a second of the review.
    await eventually(() => admin(worker.url, demo, "GET", "/reviews?status=pending"), (queue) => {
      assert.ok(queue.body.reviews.some((r) => r.body === "Zip broke on day one."));
    });
    assert.equal((await setRule("publish_all")).status, 200);
    await page.close();
  });

  test("a helpful vote moves the count once, and the count is kept", async () => {
    const { page } = await open("/");
    const widget = page.locator("rapport-reviews");
    const first = widget.locator(".review").first();
    const button = first.getByRole("button", { name: /^Helpful/ });
    const before = Number((await button.textContent()).match(/\d+/)[0]);
    await button.click();
    await first.getByRole("button", { name: `Helpful (${before + 1})` }).waitFor();
    assert.equal(await button.getAttribute("aria-pressed"), "true");
    await button.click();
    await page.waitForTimeout(300);
    assert.equal(await button.textContent(), `Helpful (${before + 1})`, "a second click does not count");
    await page.close();

    // A fresh page shows the stored count (the product page is rewritten within a second).
    const deadline = Date.now() + 5000;
    for (;;) {
      const { page: again } = await open("/");
      const text = await again.locator("rapport-reviews .review").first().getByRole("button", { name: /^Helpful/ }).textContent();
      await again.close();
      if (text === `Helpful (${before + 1})`) break;
      assert.ok(Date.now() < deadline, `still ${text}`);
    }
  });

  test("the page carries the product's JSON-LD for search engines", async () => {
    const { page } = await open("/");
    await page.locator("rapport-reviews .summary").waitFor();
    const ld = JSON.parse(await page.locator('head script[type="application/ld+json"][data-rapport-product="RIDGE-TENT-2P"]').textContent());
    assert.equal(ld["@type"], "Product");
    assert.equal(ld.name, "Ridgeline 2-Person Tent");
    const count = Number((await page.locator("rapport-reviews .count").textContent()).match(/\d+/)[0]);
    assert.equal(ld.aggregateRating.reviewCount, count);
    assert.ok(ld.aggregateRating.ratingValue >= 1 && ld.aggregateRating.ratingValue <= 5);
    assert.ok(ld.review.length > 0 && ld.review.every((r) => r.author.name && r.reviewRating.ratingValue));
    assert.equal(await page.locator('script[type="application/ld+json"]').count(), 1);
    await page.close();
  });

  test("star badges on a collection page share one request and need no WebAssembly", async () => {
    const { page, problems, wasmRequests, requests } = await open("/collection.html");
    const tent = page.locator('rapport-stars[product="RIDGE-TENT-2P"]').first();
    await tent.locator('[role="img"]').waitFor();
    assert.match(await tent.locator('[role="img"]').getAttribute("aria-label"), /^Rated \d\.\d out of 5, \d+ reviews$/);
    await page.locator('rapport-stars[product="TRAIL-MUG-350"] [role="img"]').waitFor();
    assert.equal(await page.locator('rapport-stars[product="BASECAMP-CHAIR"] [role="img"]').count(), 0, "no stars without reviews");
    const ratingRequests = requests.filter((u) => u.includes("/ratings?"));
    assert.equal(ratingRequests.length, 1, ratingRequests.join("\n"));
    assert.equal(wasmRequests.length, 0);
    assert.deepEqual(problems, []);
    await page.close();
  });
});

describe("loading", () => {
  test("widgets of one kind share one download of their part; unknown products get a polite notice", async () => {
    const { page, problems, wasmRequests } = await open("/two.html");
    const widgets = page.locator("rapport-reviews");
    await widgets.nth(0).locator(".summary").waitFor();
    assert.equal(await widgets.nth(0).locator(".count").textContent(), "Based on 2 reviews");
    await widgets.nth(1).locator(".notice").waitFor();
    assert.equal(await widgets.nth(1).locator(".notice").textContent(), "Reviews are not available for this product.");
    await page.waitForFunction(() => document.querySelector("rapport-reviews").rapportLive);
    // Only reviews on the page: the loyalty widget's part is not fetched, and nothing twice.
    assert.equal(new Set(wasmRequests).size, wasmRequests.length, "no part fetched twice");
    assert.deepEqual([...new Set(moduleParts(wasmRequests))], ["main", "reviews", "shared"]);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("script in a review is shown as text and never runs", async () => {
    const { page } = await open("/two.html");
    const widget = page.locator('rapport-reviews[product="SCRIPT-TEST"]');
    await widget.scrollIntoViewIfNeeded();
    await widget.locator(".review").waitFor();
    assert.equal(await widget.locator(".review-body").textContent(), '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>');
    assert.equal(await widget.locator(".review-title").textContent(), "<b>bold?</b>");
    assert.equal(await widget.locator(".author").textContent(), "<i>Mallory</i>");
    assert.equal(await widget.locator("img, script, b, i").count(), 0);
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    await page.close();
  });

  test("the WebAssembly loads only when a widget nears the viewport", async () => {
    const { page, wasmRequests } = await open("/far.html");
    await page.waitForLoadState("networkidle");
    assert.equal(wasmRequests.length, 0, "nothing loads for a widget far below the fold");
    await page.locator("#far").scrollIntoViewIfNeeded();
    // The rendered first view comes first; the WebAssembly follows once the page is idle.
    await page.locator("#far .summary").waitFor();
    await page.waitForFunction(() => document.querySelector("#far").rapportLive);
    assert.deepEqual([...new Set(moduleParts(wasmRequests))], ["main", "reviews", "shared"]);
    await page.close();
  });

  test("a page without widgets never downloads the WebAssembly", async () => {
    const { page, problems, wasmRequests } = await open("/none.html");
    await page.waitForLoadState("networkidle");
    assert.equal(wasmRequests.length, 0);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("an unreachable API shows an inline notice and never throws into the page", async () => {
    const { page, problems } = await open("/");
    await page.close();
    const broken = await browser.newPage();
    const errors = [];
    broken.on("pageerror", (e) => errors.push(e.message));
    const logs = [];
    broken.on("console", (m) => logs.push(m.text()));
    await broken.route("**/v1/**", (route) => route.abort());
    await broken.goto(`${shop.origin}/`);
    await broken.locator("rapport-reviews .notice").waitFor();
    assert.equal(await broken.locator("rapport-reviews .notice").textContent(), "Reviews could not be loaded.");
    assert.deepEqual(errors, []);
    assert.ok(logs.some((l) => l.startsWith("[rapport]")), logs.join("\n"));
    assert.deepEqual(problems, []);
    await broken.close();
  });
});
