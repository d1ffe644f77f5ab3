// End to end: <rapport-referral> on the demo storefront and the welcome banner, in headless
// Chromium against the Worker in workerd. The demo shop is seeded by `cargo xtask seed`, whose
// referral story (visits, two friends' claims, one friend's order) goes through the same public
// API; here the advocate copies their link, a friend opens it in a fresh browser, claims their
// code from the banner, orders through the webhook, and the advocate sees it.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";

import { assertNoLayoutShift, launch, moduleParts, seedDemo, snippet, storefront, trackLayoutShift } from "../support/browser.mjs";
import { mintToken, nowSeconds, shopSecrets, startWorker } from "../support/worker.mjs";

const demo = shopSecrets("demo-outfitters");
const WEBHOOK_SECRET = "gen-" + "e4".repeat(12);
const require = createRequire(import.meta.url);
let worker, shop, browser, advocateContext;

const token = (sub) => mintToken(demo.tokenSecret, { sub, shop: "demo-outfitters", exp: nowSeconds() + 3600, name: "Alex" });
const page = (head, body) => `<!doctype html><html lang="en"><head><title>Demo Outfitters</title>${head}</head><body><main>${body}</main></body></html>`;
const consenting = (rapport) => snippet(rapport, "").replace("async>", 'data-consent="referral" async>');

async function watch(p) {
  const problems = [];
  const wasm = [];
  p.on("request", (r) => { if (r.url().endsWith(".wasm")) wasm.push(r.url()); });
  p.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  p.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("[rapport]")) problems.push(`console: ${m.text()}`); });
  await trackLayoutShift(p);
  return { problems, wasm };
}

/** The advocate's page, scrolled to the widget and live. */
async function advocatePage() {
  const p = await advocateContext.newPage();
  await p.setViewportSize({ width: 1280, height: 900 });
  const seen = await watch(p);
  await p.goto(`${shop.origin}/`);
  const widget = p.locator("rapport-referral");
  await widget.scrollIntoViewIfNeeded();
  await p.waitForFunction(() => document.querySelector("rapport-referral")?.rapportLive === true);
  return { p, widget, ...seen };
}

const figure = (widget, label) => widget.locator(".figure", { hasText: label }).locator("dd");

async function axe(p, selector) {
  await p.addScriptTag({ content: readFileSync(require.resolve("axe-core/axe.min.js"), "utf8") });
  const result = await p.evaluate((s) => window.axe.run({ include: [[s]] }), selector);
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(" ")}`), []);
}

async function order(id, customer, email, codes) {
  const body = JSON.stringify({
    type: "order",
    order: { id, customer, email, discount_codes: codes, currency: "EUR", subtotal: "120.00", status: "paid",
      updated_at: new Date().toISOString(), lines: [{ product: "RIDGE-TENT-2P", quantity: 1 }] },
  });
  const res = await fetch(`${worker.url}/v1/webhooks/demo-outfitters/generic`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-rapport-signature": createHmac("sha256", WEBHOOK_SECRET).update(body).digest("base64") },
    body,
  });
  assert.equal(res.status, 200, await res.text());
}

before(async () => {
  worker = await startWorker([demo], { GENERIC_WEBHOOK_SECRET_DEMO_OUTFITTERS: WEBHOOK_SECRET });
  shop = await storefront(worker.url, token("demo-customer-1"), {
    "/welcome.html": page(snippet(worker.url, ""), "<h1>Welcome to Demo Outfitters</h1><p>Tents, stoves and jackets.</p>"),
    "/consent.html": page(consenting(worker.url), "<h1>Demo Outfitters</h1>"),
    "/elsewhere.html": page(consenting(worker.url), "<h1>Another page</h1>"),
    "/signed-out.html": page(snippet(worker.url, ""), "<rapport-referral></rapport-referral>"),
  });
  seedDemo(worker.url, demo, [shop.origin], WEBHOOK_SECRET);
  browser = await launch();
  advocateContext = await browser.newContext();
  await advocateContext.grantPermissions(["clipboard-read", "clipboard-write"], { origin: shop.origin });
});

after(async () => {
  await advocateContext?.close();
  await browser?.close();
  await shop?.close();
  await worker?.stop();
});

describe("the referral widget and the welcome banner", () => {
  test("the advocate sees the seeded figures and friends, with their part of the module, no layout shift, axe clean", async () => {
    const { p, widget, problems, wasm } = await advocatePage();
    assert.equal(await widget.locator("h2").textContent(), "Give €10.00 off, get 250 points");
    assert.match(await widget.locator(".intro").first().textContent(), /their first order of €50\.00 or more/);
    assert.equal(await figure(widget, "Friends who visited").textContent(), "3");
    assert.equal(await figure(widget, "Friends who ordered").textContent(), "1");
    assert.match(await figure(widget, "Rewards pending").textContent(), /^1 \(next on /);
    const friends = await widget.locator(".friend").allTextContents();
    assert.equal(friends.length, 2, friends.join(" | "));
    assert.match(friends[0], /^Jo claimed their offer$/);
    assert.match(friends[1], /^Sam ordered; your reward arrives on /);
    assert.ok(moduleParts(wasm).includes("referral"), moduleParts(wasm).join());
    await assertNoLayoutShift(p);
    await axe(p, "rapport-referral");
    assert.deepEqual(problems, []);
    await p.close();
  });

  test("signed out, the offer and where to sign in", async () => {
    const p = await advocateContext.newPage();
    await p.goto(`${shop.origin}/signed-out.html`);
    const widget = p.locator("rapport-referral");
    await widget.locator(".actions a").first().waitFor();
    assert.equal(await widget.locator(".actions a").first().textContent(), "Sign in");
    assert.equal(await widget.locator("input.link").count(), 0);
    await p.close();
  });

  test("copy the link, a friend opens it in a fresh browser, claims from the banner, orders; the advocate sees the visit and the pending reward", async () => {
    const { p, widget } = await advocatePage();
    const visitsBefore = Number(await figure(widget, "Friends who visited").textContent());
    // From the keyboard: focus the copy button and press Enter.
    await widget.getByRole("button", { name: "Copy link" }).focus();
    await p.keyboard.press("Enter");
    await widget.getByRole("status").filter({ hasText: "Link copied" }).waitFor();
    const link = await p.evaluate(() => navigator.clipboard.readText());
    const code = await widget.locator("code").textContent();
    assert.equal(link, `${worker.url}/r/demo-outfitters/${code}`);
    assert.equal(await widget.locator("input.link").inputValue(), link);

    // A friend, in a browser of their own, with nothing stored.
    const friendContext = await browser.newContext();
    const f = await friendContext.newPage();
    const { problems } = await watch(f);
    await f.goto(`${link}?to=${encodeURIComponent("/welcome.html")}`);
    assert.equal(f.url(), `${shop.origin}/welcome.html?ref=${code}`);
    const banner = f.locator("rapport-welcome");
    await banner.locator("h2").waitFor();
    assert.equal(await banner.locator("h2").textContent(), "Alex invited you to Demo Outfitters");
    assert.equal(await banner.locator("p").first().textContent(), "Get €10.00 off your first order of €50.00 or more.");
    await axe(f, "rapport-welcome");
    const email = banner.getByLabel("Your e-mail address");
    await email.focus();
    await f.keyboard.type("river@friends.example");
    await banner.getByLabel(/Your first name/).fill("River");
    await email.focus();
    await f.keyboard.press("Enter");
    const discount = await banner.locator("code").textContent({ timeout: 10_000 });
    assert.match(discount, /^RP-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    assert.equal(await f.evaluate(() => localStorage.length), 0, "nothing is stored without consent");
    await assertNoLayoutShift(f);
    assert.deepEqual(problems, []);
    await friendContext.close();

    await order("DEMO-3001", "demo-friend-9", "river@friends.example", [discount]);
    await p.reload();
    await widget.scrollIntoViewIfNeeded();
    await p.waitForFunction(() => document.querySelector("rapport-referral")?.rapportLive === true);
    assert.equal(Number(await figure(widget, "Friends who visited").textContent()), visitsBefore + 1);
    assert.equal(await figure(widget, "Friends who ordered").textContent(), "2");
    assert.match(await figure(widget, "Rewards pending").textContent(), /^2 /);
    assert.match((await widget.locator(".friend").first().textContent()), /^River ordered; your reward/);
    await p.close();
  });

  test("with consent, the arrival follows the friend to the next page until they close the banner", async () => {
    const code = (await (await fetch(`${worker.url}/v1/shops/demo-outfitters/referrals`, { headers: { authorization: `Bearer ${token("demo-customer-1")}` } })).json()).advocate.code;
    const context = await browser.newContext();
    const f = await context.newPage();
    await f.goto(`${shop.origin}/consent.html?ref=${code}`);
    await f.locator("rapport-welcome h2").waitFor();
    assert.equal(await f.evaluate(() => localStorage.length), 1);
    await f.goto(`${shop.origin}/elsewhere.html`);
    await f.locator("rapport-welcome h2").waitFor();
    await f.locator("rapport-welcome").getByRole("button", { name: "Close the invitation" }).click();
    assert.equal(await f.locator("rapport-welcome").count(), 0);
    await f.goto(`${shop.origin}/elsewhere.html`);
    await f.waitForTimeout(500);
    assert.equal(await f.locator("rapport-welcome").count(), 0, "closed stays closed");
    // An unknown code shows nothing.
    await f.goto(`${shop.origin}/welcome.html?ref=ZZZZ-ZZZZ`);
    await f.waitForTimeout(500);
    assert.equal(await f.locator("rapport-welcome").count(), 0);
    await context.close();
  });
});
