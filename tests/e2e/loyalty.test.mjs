// End to end: <rapport-loyalty> on the demo storefront in headless Chromium, against the Worker in
// workerd. The demo shop is seeded by `cargo xtask seed`, its shopper's orders delivered as signed
// webhooks, so the points shown come from the real ledger.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";

import { assertNoLayoutShift, launch, moduleParts, seedDemo, snippet, storefront, trackLayoutShift } from "../support/browser.mjs";
import { admin, mintToken, nowSeconds, shopSecrets, startWorker } from "../support/worker.mjs";

const demo = shopSecrets("demo-outfitters");
const WEBHOOK_SECRET = "gen-" + "d3".repeat(12);
const require = createRequire(import.meta.url);
let worker, shop, browser, context;

const token = (sub, exp = nowSeconds() + 3600) => mintToken(demo.tokenSecret, { sub, shop: "demo-outfitters", exp, name: "Alex" });
const page = (rapport, t, body) => `<!doctype html><html lang="en"><head><title>Rewards</title>${snippet(rapport, t)}</head><body><main>${body}</main></body></html>`;

async function open(path, viewport = { width: 1280, height: 900 }) {
  // The demo page has the widget at its foot; it loads when scrolled near.
  const p = await context.newPage();
  await p.setViewportSize(viewport);
  const problems = [];
  const wasm = [];
  p.on("request", (r) => { if (r.url().endsWith(".wasm")) wasm.push(r.url()); });
  p.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  p.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("[rapport]")) problems.push(`console: ${m.text()}`); });
  await trackLayoutShift(p);
  await p.goto(`${shop.origin}${path}`);
  await p.locator("rapport-loyalty").scrollIntoViewIfNeeded();
  return { page: p, problems, wasm };
}

// The element that has focus, looking through the widget's shadow root.
const focused = (p) => p.evaluate(() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  return el ? `${el.tagName.toLowerCase()}:${el.textContent.trim()}` : null;
});

before(async () => {
  worker = await startWorker([demo], { GENERIC_WEBHOOK_SECRET_DEMO_OUTFITTERS: WEBHOOK_SECRET });
  const signedIn = token("demo-customer-1");
  shop = await storefront(worker.url, signedIn, {
    "/anonymous.html": page(worker.url, "", "<rapport-loyalty></rapport-loyalty>"),
    "/expired.html": page(worker.url, token("demo-customer-1", nowSeconds() - 60), "<rapport-loyalty></rapport-loyalty>"),
    "/launcher.html": page(worker.url, signedIn, "<h1>Any page</h1><p>The launcher floats over it.</p><rapport-loyalty mode=\"launcher\"></rapport-loyalty>"),
  });
  seedDemo(worker.url, demo, [shop.origin], WEBHOOK_SECRET);
  browser = await launch();
  context = await browser.newContext();
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: shop.origin });
});

after(async () => {
  await context?.close();
  await browser?.close();
  await shop?.close();
  await worker?.stop();
});

describe("the loyalty widget", () => {
  test("a signed-in shopper sees their points from real orders, tier and progress, without a layout shift", async () => {
    const { page: p, problems } = await open("/", { width: 1280, height: 4000 });
    const widget = p.locator("rapport-loyalty");
    await widget.locator(".balance-value").waitFor();
    // Sign-up 100 + order DEMO-1001 368 + order DEMO-1002 279 + the Trailblazer entry bonus 100.
    assert.equal(await widget.locator(".balance-value").textContent(), "847");
    assert.equal(await widget.locator('[part="tier"]').textContent(), "Trailblazer");
    const progress = widget.getByRole("progressbar");
    assert.equal(await progress.getAttribute("aria-valuenow"), "747");
    assert.equal(await progress.getAttribute("aria-valuemax"), "2000");
    assert.match(await widget.locator(".progress-text").textContent(), /1,253 points to Summit/);
    assert.match(await widget.locator(".expiry").textContent(), /847 points expire on/);
    // Affordable: only the 500-point reward.
    assert.equal(await widget.getByRole("button", { name: /^Redeem/ }).count(), 1);
    assert.match(await widget.locator(".missing").first().textContent(), /153 points more needed/);
    await assertNoLayoutShift(p);
    assert.deepEqual(problems, []);
    await p.close();
  });

  test("redeeming from the keyboard asks for confirmation, then shows a code that the checkout can use once", async () => {
    const { page: p, problems } = await open("/");
    const widget = p.locator("rapport-loyalty");
    const redeem = widget.getByRole("button", { name: /^Redeem/ });
    await redeem.focus();
    await p.keyboard.press("Enter");
    await widget.getByRole("button", { name: "Confirm" }).waitFor();
    assert.match(await widget.locator(".confirm").textContent(), /500 points/);
    assert.equal(await focused(p), "button:Confirm", "focus moves to Confirm");
    await p.keyboard.press("Enter");
    const code = widget.locator(".issued code");
    await code.waitFor();
    const value = await code.textContent();
    assert.match(value, /^RP-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    assert.equal(await widget.locator(".balance-value").textContent(), "347");
    await widget.locator(".issued").getByRole("button", { name: /^Copy/ }).click();
    assert.equal(await p.evaluate(() => navigator.clipboard.readText()), value);
    await widget.getByRole("status").filter({ hasText: "Copied" }).waitFor();
    // The merchant's checkout verifies the code and uses it, once.
    const record = await admin(worker.url, demo, "GET", `/discount-codes/${value}`);
    assert.deepEqual(record.body.discount, { amount_minor: 500, currency: "EUR" });
    assert.equal((await admin(worker.url, demo, "POST", `/discount-codes/${value}/consume`, { order: "1042" })).status, 200);
    assert.equal((await admin(worker.url, demo, "POST", `/discount-codes/${value}/consume`, { order: "1043" })).status, 409);
    // After a reload the code is listed with the shopper's codes, and no second one was made.
    await p.reload();
    await widget.locator(".balance-value").waitFor();
    assert.equal(await widget.locator(".balance-value").textContent(), "347");
    assert.ok((await widget.locator(".codes").textContent()).includes(value));
    assert.deepEqual(problems, []);
    await p.close();
  });

  test("passes axe accessibility checks, signed in and signed out", async () => {
    for (const path of ["/", "/anonymous.html"]) {
      const { page: p } = await open(path);
      await p.locator("rapport-loyalty .sections").waitFor();
      await p.addScriptTag({ content: readFileSync(require.resolve("axe-core/axe.min.js"), "utf8") });
      const result = await p.evaluate(() => window.axe.run({ include: [["rapport-loyalty"]] }));
      assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(" ")}`), [], path);
      await p.close();
    }
  });

  test("a signed-out shopper sees how the programme works and where to sign in", async () => {
    const { page: p, problems, wasm } = await open("/anonymous.html");
    const widget = p.locator("rapport-loyalty");
    await widget.locator(".sections").waitFor();
    // Only the loyalty widget on the page: the reviews widget's part is not fetched.
    await p.waitForFunction(() => document.querySelector("rapport-loyalty").rapportLive);
    assert.equal(new Set(wasm).size, wasm.length, "no part fetched twice");
    assert.deepEqual([...new Set(moduleParts(wasm))], ["loyalty", "main", "shared"]);
    assert.equal(await widget.locator(".balance-value").count(), 0);
    assert.equal(await widget.getByRole("link", { name: "Sign in" }).getAttribute("href"), "/account/login");
    assert.equal(await widget.getByRole("link", { name: "Join" }).getAttribute("href"), "/account/register");
    const text = await widget.locator(".sections").textContent();
    for (const expected of ["Explorer", "Trailblazer", "Summit", "€5.00", "€30.00"]) assert.ok(text.includes(expected), expected);
    assert.equal(await widget.getByRole("button", { name: /^Redeem/ }).count(), 0);
    assert.deepEqual(problems, []);
    await p.close();
  });

  test("an expired token shows the signed-out view and asks to sign in again", async () => {
    const { page: p } = await open("/expired.html");
    const widget = p.locator("rapport-loyalty");
    await widget.getByText("Sign in again to see your points.").waitFor();
    assert.equal(await widget.locator(".balance-value").count(), 0);
    await p.close();
  });

  test("the floating launcher opens the panel as a dialog; Escape closes it and returns focus", async () => {
    const { page: p, problems } = await open("/launcher.html");
    const launcher = p.locator("rapport-loyalty").locator('[part="launcher"]');
    await launcher.locator(".launcher-balance").waitFor();
    assert.match(await launcher.textContent(), /Rewards\s*347 points/);
    // Measured once the module has taken over: the swap replaces the button, and a box read
    // across it finds the old one gone.
    await p.waitForFunction(() => document.querySelector("rapport-loyalty").rapportLive === true);
    const box = await launcher.boundingBox();
    assert.ok(box.x + box.width > 1280 - 80 && box.y + box.height > 900 - 80, `bottom right: ${JSON.stringify(box)}`);
    const dialog = p.locator("rapport-loyalty").getByRole("dialog");
    assert.equal(await dialog.isVisible(), false);
    await launcher.focus();
    await p.keyboard.press("Enter");
    await dialog.waitFor();
    assert.equal(await launcher.getAttribute("aria-expanded"), "true");
    assert.equal(await dialog.locator(".balance-value").textContent(), "347");
    await p.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.equal(await launcher.getAttribute("aria-expanded"), "false");
    assert.match(await focused(p), /^button:Rewards/);
    assert.deepEqual(problems, []);
    await p.close();
  });
});
