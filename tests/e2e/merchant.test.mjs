// End to end: the merchant page in headless Chromium against the Worker in workerd. The merchant
// signs in from the keyboard, publishes and rejects reviews in bulk, replies, and fixes a
// setting after an inline error; every page is axe clean (axe is injected past the page's
// content policy, which allows no script).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";

import { launch } from "../support/browser.mjs";
import { admin, createShop, eventually, shopSecrets, startWorker } from "../support/worker.mjs";

const shop = shopSecrets("merchant-shop");
const require = createRequire(import.meta.url);
let worker, browser;

async function axe(p) {
  await p.addScriptTag({ content: readFileSync(require.resolve("axe-core/axe.min.js"), "utf8") });
  const result = await p.evaluate(() => window.axe.run());
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(" ")}`), [], p.url());
}

async function submit(rating, author, n) {
  const res = await fetch(`${worker.url}/v1/shops/merchant-shop/products/MUG/reviews`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": `10.6.0.${n}` },
    body: JSON.stringify({ rating, title: `From ${author}`, body: "Worth moderating.", author }),
  });
  assert.equal(res.status, 201);
}

const statuses = async () => {
  const { body } = await admin(worker.url, shop, "GET", "/reviews");
  return Object.fromEntries(body.reviews.map((r) => [r.author, r.status]));
};

before(async () => {
  worker = await startWorker([shop]);
  await createShop(worker.url, shop, { products: ["MUG"] });
  assert.equal((await admin(worker.url, shop, "PUT", "", { name: "Merchant Shop", currency: "EUR", moderation: "hold_all" })).status, 200);
  for (const [i, [rating, author]] of [[5, "Ada"], [1, "Bo"], [4, "Cy"]].entries()) await submit(rating, author, i + 1);
  await eventually(statuses, (s) => assert.deepEqual(s, { Ada: "pending", Bo: "pending", Cy: "pending" }));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await worker?.stop();
});

describe("the merchant page", () => {
  test("sign in, moderate in bulk and reply, all from the keyboard; axe clean", async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const p = await context.newPage();
    await p.goto(`${worker.url}/admin/`);
    await axe(p);
    await p.keyboard.press("Tab"); // the skip link
    await p.keyboard.press("Tab");
    await p.keyboard.type("merchant-shop");
    await p.keyboard.press("Tab");
    await p.keyboard.type("wrong-key");
    await p.keyboard.press("Enter");
    await p.waitForSelector("[role=alert]");
    assert.match(await p.textContent("[role=alert]"), /wrong/);
    await axe(p);
    await p.fill("#key", shop.adminKey);
    await p.press("#key", "Enter");
    await p.waitForURL(/\/admin\/merchant-shop\/reviews$/);
    assert.equal(await p.textContent("h1"), "Reviews");
    assert.equal(await p.textContent("caption"), "3 reviews");
    await axe(p);

    // Select Ada's and Cy's with the space bar, then publish with the keyboard.
    for (const author of ["Ada", "Cy"]) {
      await p.focus(`input[aria-label="Select the review by ${author}"]`);
      await p.keyboard.press("Space");
    }
    await p.focus("button[value=publish]");
    await p.keyboard.press("Enter");
    await p.waitForSelector("[role=status]");
    assert.equal(await p.textContent("[role=status]"), "Published 2 reviews.");
    await eventually(statuses, (s) => assert.deepEqual(s, { Ada: "published", Bo: "pending", Cy: "published" }));

    // Reply to Ada's from the list of every review.
    await p.goto(`${worker.url}/admin/merchant-shop/reviews?status=published`);
    const row = p.locator("tr", { hasText: "From Ada" });
    await row.locator("textarea").focus();
    await p.keyboard.type("Thank you, Ada!");
    await p.keyboard.press("Tab");
    await p.keyboard.press("Enter");
    await p.waitForSelector("[role=status]");
    assert.equal(await p.textContent("[role=status]"), "Reply published.");
    await eventually(
      () => fetch(`${worker.url}/v1/shops/merchant-shop/products/MUG/reviews`).then((r) => r.json()),
      (body) => assert.equal(body.reviews.find((r) => r.author === "Ada")?.reply?.body, "Thank you, Ada!"),
    );
    await axe(p);
    await context.close();
  });

  test("an invalid setting shows beside its field, saves nothing, and a fix saves", async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const p = await context.newPage();
    await p.goto(`${worker.url}/admin/`);
    await p.fill("#shop", "merchant-shop");
    await p.fill("#key", shop.adminKey);
    await p.press("#key", "Enter");
    await p.waitForURL(/reviews/);
    await p.click("text=Shop");
    await p.waitForURL(/\/shop$/);
    await axe(p);
    assert.match(await p.textContent("main"), /\/v1\/webhooks\/merchant-shop\/shopify/);
    await p.fill("#currency", "euros");
    await p.fill("#name", "Renamed");
    await p.press("#name", "Enter");
    await p.waitForSelector("[role=alert]");
    assert.equal(await p.getAttribute("#currency", "aria-invalid"), "true");
    assert.match(await p.textContent("#currency-error"), /three-letter/);
    assert.equal(await p.inputValue("#name"), "Renamed", "what was typed stays");
    await axe(p);
    const q = await context.newPage();
    await q.goto(`${worker.url}/admin/merchant-shop/shop`);
    assert.equal(await q.inputValue("#name"), "Merchant Shop", "nothing saved");
    await p.fill("#currency", "EUR");
    await p.press("#currency", "Enter");
    await p.waitForSelector("[role=status]");
    assert.equal(await p.textContent("[role=status]"), "Settings saved.");
    await q.reload();
    assert.equal(await q.inputValue("#name"), "Renamed");
    // Sign out: the page is closed until the next sign-in.
    await p.click("text=Sign out");
    await p.waitForURL(/\/admin\/$/);
    await p.goto(`${worker.url}/admin/merchant-shop/reviews`);
    assert.match(p.url(), /\/admin\/$/);
    await context.close();
  });
});
