// End to end: a shopper follows the star link of a review request the Worker sent (read from the
// `send_email` binding's local simulation), writes the reviews of the order in headless
// Chromium with the keyboard alone, and sees them as verified on the product page. The review
// page is axe clean, and works with no script at all.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";

import { launch, snippet, storefront } from "../support/browser.mjs";
import { admin, eventually, shopSecrets, startWorker } from "../support/worker.mjs";

const demo = shopSecrets("demo-outfitters");
const WEBHOOK_SECRET = "rr-webhook-" + "q8".repeat(12);
const require = createRequire(import.meta.url);
let worker, shop, browser;

const productPage = (sku) => `<!doctype html><html lang="en"><head><title>${sku}</title>${snippet(worker.url)}</head>
  <body><main style="width: 760px"><rapport-reviews product="${sku}"></rapport-reviews></main></body></html>`;

before(async () => {
  worker = await startWorker([demo], { GENERIC_WEBHOOK_SECRET_DEMO_OUTFITTERS: WEBHOOK_SECRET }, { testScheduled: true });
  shop = await storefront(worker.url, "", { "/tent.html": productPage("TENT"), "/mug.html": productPage("MUG") });
  const saved = await admin(worker.url, demo, "PUT", "", {
    name: "Demo Outfitters", currency: "EUR", locale: "en-US", allowed_origins: [shop.origin],
    follow_ups: { sender: { address: "hello@demo-outfitters.example", name: "Demo Outfitters" } },
  });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  assert.equal((await admin(worker.url, demo, "PUT", "/products", {
    products: [{ sku: "TENT", title: "Ridgeline Tent" }, { sku: "MUG", title: "Enamel Mug" }],
  })).status, 200);
  const order = {
    id: "E-1", customer: "jo", currency: "EUR", subtotal: "120.00", status: "paid", updated_at: "2026-11-20T10:00:00Z",
    lines: [{ product: "TENT", quantity: 1 }, { product: "MUG", quantity: 1 }], email: "jo@example.com",
    accepts_marketing: true, fulfilled_at: new Date(Date.now() - 8 * 86_400_000).toISOString(),
  };
  const body = JSON.stringify({ type: "order", order });
  const res = await fetch(`${worker.url}/v1/webhooks/demo-outfitters/generic`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-rapport-signature": createHmac("sha256", WEBHOOK_SECRET).update(body).digest("base64") },
    body,
  });
  assert.equal(res.status, 200, await res.text());
  assert.equal((await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent("17 * * * *")}`)).status, 200);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await shop?.close();
  await worker?.stop();
});

/** The star link for `sku` and `rating` in the one e-mail sent. */
function starLink(sku, rating) {
  const [raw, ...more] = worker.emails();
  assert.ok(raw && !more.length, "one e-mail");
  const html = raw.split("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")[1].split("\r\n--")[0];
  const text = Buffer.from(html.replace(/\r\n/g, ""), "base64").toString("utf8");
  const href = text.match(new RegExp(`href="([^"]+\\?sku=${sku})&amp;rating=${rating}"`))[1];
  return `${href}&rating=${rating}`;
}

test("the review page is axe clean", async () => {
  const p = await browser.newPage();
  await p.goto(starLink("MUG", 3));
  await p.addScriptTag({ content: readFileSync(require.resolve("axe-core/axe.min.js"), "utf8") });
  const result = await p.evaluate(() => window.axe.run());
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(" ")}`), []);
  await p.close();
});

test("the star link opens the order's review page; the reviews written there, with the keyboard, show as verified", async () => {
  const p = await browser.newPage({ javaScriptEnabled: false });
  await p.goto(starLink("TENT", 5));
  // The five stars clicked in the e-mail are chosen; the other product waits for its own.
  assert.equal(await p.locator('input[name="rating.TENT"][value="5"]').isChecked(), true);
  assert.equal(await p.locator('input[name="rating.MUG"]:checked').count(), 0);
  await p.locator("#body-TENT").focus();
  await p.keyboard.type("Pitched it in the rain in five minutes.");
  // To the mug's stars, by keyboard: Tab into the group, the arrows choose.
  await p.locator('input[name="rating.MUG"][value="1"]').focus();
  await p.keyboard.press("ArrowRight");
  await p.keyboard.press("ArrowRight");
  await p.keyboard.press("ArrowRight");
  assert.equal(await p.locator('input[name="rating.MUG"][value="4"]').isChecked(), true);
  await p.locator("#body-MUG").focus();
  await p.keyboard.type("Keeps coffee warm long enough.");
  await p.getByLabel("Name shown with your review", { exact: true }).focus();
  await p.keyboard.type("Jo");
  await p.keyboard.press("Enter");
  await p.getByText("Thank you! Your review is published.").waitFor();
  await p.close();

  const page = await browser.newPage();
  for (const [sku, text] of [["TENT", "Pitched it in the rain"], ["MUG", "Keeps coffee warm"]]) {
    await eventually(async () => {
      await page.goto(`${shop.origin}/${sku.toLowerCase()}.html`);
      await page.locator("rapport-reviews .review").first().waitFor();
      return page.evaluate(() => [...document.querySelector("rapport-reviews").shadowRoot.querySelectorAll(".review")]
        .map((e) => e.textContent.replace(/\s+/g, " ")));
    }, (reviews) => {
      const mine = reviews.find((r) => r.includes(text));
      assert.ok(mine, `${sku}: ${reviews}`);
      assert.match(mine, /Verified buyer/);
      assert.match(mine, /Jo/);
    }, 15_000);
  }
  await page.close();
});
