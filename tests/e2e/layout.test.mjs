// End to end: the widgets never shift the page, whatever the screen width, the shopper's fonts
// and font size, or the length of a review. The page embeds them with the README's own snippet,
// and the window is tall enough to hold every widget, so any shift is in view and counts.

import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { launch, seedDemo, snippet, storefront } from "../support/browser.mjs";
import { admin, mintToken, nowSeconds, root, shopSecrets, startWorker } from "../support/worker.mjs";

const demo = shopSecrets("demo-outfitters");
const WEBHOOK_SECRET = "gen-" + "e4".repeat(12);
let worker, shop, browser;

/** The `<style>` the README tells merchants to paste, exactly. */
const readmeStyle = (() => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf("<style>\n  rapport-reviews:not(:defined)");
  assert.ok(start > 0, "the README shows the snippet's <style>");
  return readme.slice(start, readme.indexOf("</style>", start) + "</style>".length);
})();

const words = "Pitched it above the loch in a gale, and the fly held while the inner stayed dry ".repeat(24);
const longTitle = "A very long title that goes on about the tent and its two vestibules ".repeat(2);

// Wider than DejaVu Sans at every size: a monospaced face at a larger size, forced by the page.
const WIDE = `rapport-reviews, rapport-loyalty, rapport-stars { --rapport-font: "DejaVu Sans Mono", monospace; --rapport-font-size: 19px; }`;

const page = (rapport, token, extraCss) => `<!doctype html><html lang="en"><head>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  ${readmeStyle}
  ${snippet(rapport, token)}
  <style>body { margin: 0; padding: 1rem; font: 1rem/1.6 Georgia, serif; } ${extraCss}</style>
</head><body>
  <h1>Ridgeline 2-Person Tent</h1>
  <p>A freestanding three-season tent for two. <rapport-stars product="RIDGE-TENT-2P"></rapport-stars> in stock.</p>
  <rapport-reviews product="LONG-REVIEWS"></rapport-reviews>
  <p id="after-reviews">After the reviews.</p>
  <rapport-loyalty></rapport-loyalty>
  <p id="after-loyalty">After the rewards.</p>
</body></html>`;

// Every widget kind on one page, for a phone.
const phonePage = (rapport, token) => `<!doctype html><html lang="en"><head>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  ${readmeStyle}
  ${snippet(rapport, token)}
  <style>body { margin: 0; padding: 1rem; font: 1rem/1.6 Georgia, serif; }</style>
</head><body>
  <h1>Ridgeline 2-Person Tent</h1>
  <rapport-reviews product="RIDGE-TENT-2P"></rapport-reviews>
  <rapport-recommendations product="RIDGE-TENT-2P" kind="bought-together"></rapport-recommendations>
  <rapport-recommendations kind="trending"></rapport-recommendations>
  <rapport-loyalty></rapport-loyalty>
  <rapport-referral></rapport-referral>
</body></html>`;

before(async () => {
  worker = await startWorker([demo], { GENERIC_WEBHOOK_SECRET_DEMO_OUTFITTERS: WEBHOOK_SECRET });
  const token = mintToken(demo.tokenSecret, { sub: "demo-customer-1", shop: "demo-outfitters", exp: nowSeconds() + 3600, name: "Alex" });
  shop = await storefront(worker.url, token, {
    "/plain.html": page(worker.url, token, ""),
    "/wide.html": page(worker.url, token, WIDE),
    "/signed-out.html": page(worker.url, "", WIDE),
    "/phone.html": phonePage(worker.url, token),
  });
  seedDemo(worker.url, demo, [shop.origin], WEBHOOK_SECRET);
  assert.equal((await admin(worker.url, demo, "PUT", "/products", { products: [{ sku: "LONG-REVIEWS", title: "Long reviews" }] })).status, 200);
  const reviews = [
    { id: "long-1", rating: 4, title: longTitle, author: "A shopper with a rather long name, indeed", body: words },
    { id: "long-2", rating: 5, title: "Short", author: "Sam", body: `${words}\n\n${words}`.slice(0, 4900) },
    { id: "long-3", rating: 2, title: "", author: "Kim", body: "Unbrokenwordthatneverwraps".repeat(40) },
    { id: "long-4", rating: 5, title: "Fine", author: "Lee", body: "Good." },
  ].map((r, i) => ({ ...r, product: "LONG-REVIEWS", created_at: nowSeconds() - 1000 * i }));
  assert.equal((await admin(worker.url, demo, "POST", "/reviews", { reviews })).status, 200);
  const reply = await admin(worker.url, demo, "PUT", "/products/LONG-REVIEWS/reviews/long-1", { reply: words.slice(0, 1900) });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await shop?.close();
  await worker?.stop();
});

/** Opens `path` at `width` (and the browser's default font size `fontSize`); returns the page's CLS once every widget shows content. */
async function layoutShift(path, width, fontSize) {
  const p = await browser.newPage({ viewport: { width, height: 2600 } });
  const problems = [];
  p.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  if (fontSize) {
    const cdp = await p.context().newCDPSession(p);
    await cdp.send("Page.setFontSizes", { fontSizes: { standard: fontSize, fixed: fontSize } });
  }
  await p.addInitScript(() => {
    window.__shifts = [];
    window.__sources = [];
    new PerformanceObserver((list) => {
      const describe = (n) => n ? (n.nodeType === 1 ? `${n.localName}.${[...n.classList].join(".")}` : `#text "${n.textContent.slice(0, 20)}"`) : "?";
      for (const e of list.getEntries()) {
        if (e.hadRecentInput) continue;
        window.__shifts.push(e.value);
        window.__sources.push(...e.sources.map((s) => `${describe(s.node)} ${JSON.stringify(s.previousRect)} -> ${JSON.stringify(s.currentRect)}`));
      }
    }).observe({ type: "layout-shift", buffered: true });
  });
  await p.goto(`${shop.origin}${path}`);
  const reviews = p.locator("rapport-reviews");
  await reviews.locator(".review").first().waitFor();
  await p.locator("rapport-loyalty .sections").waitFor();
  await p.locator("rapport-stars .stars").waitFor();
  // Fonts, images and the fold's measurement all settle within a few frames.
  await p.waitForTimeout(500);
  const shifts = await p.evaluate(() => window.__shifts);
  const sources = await p.evaluate(() => window.__sources);
  const heights = await p.evaluate(() => ["rapport-reviews", "rapport-loyalty"].map((t) => document.querySelector(t).getBoundingClientRect().height));
  return { p, shifts, sources, heights, problems };
}

describe("no layout shift", () => {
  for (const width of [360, 768, 1280]) {
    for (const [setup, path, fontSize] of [
      ["Debian's default fonts", "/plain.html", 0],
      ["a 20 px default font size and a wide font", "/wide.html", 20],
      ["signed out, wide font", "/signed-out.html", 0],
    ]) {
      test(`at ${width} px with ${setup}, and reviews that wrap many times`, async () => {
        const { p, shifts, sources, heights, problems } = await layoutShift(path, width, fontSize);
        assert.deepEqual(shifts, [], `layout shifts ${JSON.stringify(shifts)} of ${sources.join("; ")}`);
        // The widgets keep exactly the height the snippet reserved.
        assert.deepEqual(heights, [720, 640]);
        mkdirSync(join(root, "target/e2e"), { recursive: true });
        await p.screenshot({ path: join(root, `target/e2e/layout-${width}${path.replace(".html", "").replace("/", "-")}.png`), fullPage: true });
        assert.deepEqual(problems, []);
        await p.close();
      });
    }
  }

  test("on a 360 px phone no widget makes the page wider than the screen (which would zoom it out)", async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 800 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const p = await context.newPage();
    await p.goto(`${shop.origin}/phone.html`);
    await p.locator("rapport-reviews .summary").waitFor();
    await p.locator('rapport-recommendations[kind="trending"] .card').first().waitFor();
    await p.locator('rapport-recommendations[kind="bought-together"] .card').first().waitFor();
    await p.locator("rapport-loyalty .sections").waitFor();
    await p.locator("rapport-referral .link-row").waitFor();
    const fit = await p.evaluate(() => ({
      layout: innerWidth,
      page: document.documentElement.scrollWidth,
      widgets: [...document.querySelectorAll("body > *")].filter((e) => e.localName.startsWith("rapport-"))
        .map((e) => `${e.localName}${e.getAttribute("kind") ? `[${e.getAttribute("kind")}]` : ""} ${Math.round(e.getBoundingClientRect().right)}`),
    }));
    assert.equal(fit.layout, 360, JSON.stringify(fit));
    assert.equal(fit.page, 360, JSON.stringify(fit));
    for (const w of fit.widgets) assert.ok(Number(w.split(" ").pop()) <= 360, w);
    // The cards still scroll sideways inside their own row.
    const row = await p.evaluate(() => {
      const cards = document.querySelector('rapport-recommendations[kind="trending"]').shadowRoot.querySelector(".cards");
      return { client: cards.clientWidth, scroll: cards.scrollWidth };
    });
    assert.ok(row.scroll > row.client, JSON.stringify(row));
    await context.close();
  });

  test("what the fold hides opens with the shopper's action, and focus is never hidden", async () => {
    const { p } = await layoutShift("/wide.html", 360, 0);
    const reviews = p.locator("rapport-reviews");
    const more = reviews.getByRole("button", { name: "Show more reviews" });
    assert.equal(await more.isVisible(), true, "the long reviews do not fit: the fold offers more");
    // Tabbing to a control the fold hides opens it (the key press is the shopper's input).
    await reviews.locator("select").focus();
    for (let i = 0; i < 20 && !(await reviews.getAttribute("expanded").then((v) => v !== null)); i++) await p.keyboard.press("Tab");
    assert.notEqual(await reviews.getAttribute("expanded"), null, "tabbing into the hidden reviews opened the fold");
    const inside = await p.evaluate(() => {
      const host = document.querySelector("rapport-reviews");
      const focused = host.shadowRoot.activeElement.getBoundingClientRect();
      return focused.bottom <= host.getBoundingClientRect().bottom;
    });
    assert.ok(inside, "the focused control is inside the widget");
    const host = await reviews.boundingBox();
    assert.ok(host.height > 720, `the widget grew: ${host.height}`);
    // The loyalty panel opens on a click in it.
    const loyalty = p.locator("rapport-loyalty");
    await loyalty.getByRole("button", { name: "Show more" }).click();
    await p.waitForFunction(() => document.querySelector("rapport-loyalty").hasAttribute("expanded"));
    assert.ok((await loyalty.boundingBox()).height > 640);
    // Both grew only on the shopper's input, which layout shift does not count.
    assert.deepEqual(await p.evaluate(() => window.__shifts), [], await p.evaluate(() => window.__sources.join("; ")));
    await p.close();
  });
});
