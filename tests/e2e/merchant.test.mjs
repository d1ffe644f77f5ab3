// End to end: the merchant page in headless Chromium against the Worker in workerd. The merchant
// signs in from the keyboard, publishes and rejects reviews in bulk, replies, fixes a setting
// after an inline error, reads the seeded demo shop's overview (figures checked against the seed
// and the ledgers), edits the loyalty programme past an inline error, adjusts a shopper's
// points, turns the follow-up e-mails on and previews an order's review request; every page is
// axe clean (axe is injected past the page's content policy, which allows
// no script).

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";

import { launch, seedDemo } from "../support/browser.mjs";
import { admin, createShop, eventually, root, shopSecrets, startWorker } from "../support/worker.mjs";

const shop = shopSecrets("merchant-shop");
const demo = shopSecrets("demo-outfitters");
const WEBHOOK_SECRET = "demo-webhook-" + "m3".repeat(12);
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
  worker = await startWorker([shop, demo], { GENERIC_WEBHOOK_SECRET_DEMO_OUTFITTERS: WEBHOOK_SECRET });
  seedDemo(worker.url, demo, ["https://demo-outfitters.example"], WEBHOOK_SECRET);
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
  test("sign in, moderate in bulk, reply and import, all from the keyboard; axe clean", async () => {
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
    await p.waitForURL(/\/admin\/merchant-shop\/overview$/);
    assert.equal(await p.textContent("h1"), "Overview");
    await p.focus("nav a[href$='/reviews']");
    await p.keyboard.press("Enter");
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

    // Upload a Judge.me export: the report names the row it refused.
    await p.setInputFiles("#import-file", {
      name: "judgeme.csv",
      mimeType: "text/csv",
      buffer: Buffer.from("title,body,rating,review_date,reviewer_name,product_handle\nWarm,Keeps tea hot for hours.,5,2024-03-09,Dee,MUG\nNope,Not ours.,4,2024-03-09,Eve,GHOST\n"),
    });
    await p.focus("form[action$='/reviews/import'] button");
    await p.keyboard.press("Enter");
    await p.waitForSelector("text=Import report");
    assert.match(await p.textContent("[role=status]"), /Imported 1 review from judgeme.csv; 1 row refused/);
    assert.match(await p.textContent("table"), /3.*GHOST/s);
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
    await p.waitForURL(/overview/);
    await p.click("nav >> text=Shop");
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

  test("the demo shop's overview shows what was seeded", async () => {
    const seed = JSON.parse(readFileSync(`${root}/xtask/demo/seed.json`, "utf8"));
    // What the seed delivered: every paid order, by customer.
    const orders = [...seed.orders, ...seed.shop_orders, ...seed.referrals.friends.flatMap((f) => (f.order ? [f.order] : []))]
      .filter((o) => o.status === "paid" && o.customer);
    const perCustomer = new Map();
    for (const o of orders) perCustomer.set(o.customer, (perCustomer.get(o.customer) ?? 0) + 1);
    const customers = perCustomer.size;
    const repeat = [...perCustomer.values()].filter((n) => n >= 2).length;
    // Reviews written in the last 12 weeks (Monday to Sunday, UTC), dated as the seed dates them.
    const week = (t) => Math.floor((Math.floor(t / 86400) + 3) / 7);
    const now = Math.floor(Date.now() / 1000);
    const recent = seed.reviews.filter((r) => week(now - r.days_ago * 86400 - (r.days_ago % 7) * 3600) > week(now) - 12).length;
    // Points outstanding: the sum of the shoppers' balances, read from their ledgers.
    let balances = 0;
    for (const c of perCustomer.keys()) balances += (await admin(worker.url, demo, "GET", `/customers/${c}/loyalty`)).body.account.balance;

    const context = await browser.newContext({ bypassCSP: true });
    const p = await context.newPage();
    await p.goto(`${worker.url}/admin/`);
    await p.fill("#shop", "demo-outfitters");
    await p.fill("#key", demo.adminKey);
    await p.press("#key", "Enter");
    await p.waitForURL(/\/overview$/);
    const text = (id) => p.textContent(`#${id}`);
    await eventually(async () => { await p.reload(); return text("total-members"); }, (m) => assert.equal(m, String(customers)));
    assert.equal(await text("total-reviews"), String(recent));
    assert.match(await text("total-outstanding"), new RegExp(`^${balances} \\(worth [0-9.]+ EUR\\)$`));
    assert.equal(await text("total-repeat"), `${Math.round((repeat / customers) * 100)}%`);
    assert.equal(await text("total-orders"), (orders.length / customers).toFixed(2));
    // Each chart is an image with a title, with its figures in a table beside it.
    assert.equal(await p.locator("svg[role=img] title").count(), 3);
    assert.equal(await p.locator("table.figures").count(), 3);
    const reviewRows = await p.$$eval("table.figures >> nth=0 >> tbody tr td:first-of-type", (tds) => tds.map((td) => Number(td.textContent)));
    assert.equal(reviewRows.reduce((a, b) => a + b, 0), recent, "the table's weeks add up");
    await axe(p);
    await context.close();
  });

  test("edit the programme past an inline error, and adjust a shopper's points, from the keyboard", async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const p = await context.newPage();
    await p.goto(`${worker.url}/admin/`);
    await p.fill("#shop", "demo-outfitters");
    await p.fill("#key", demo.adminKey);
    await p.press("#key", "Enter");
    await p.waitForURL(/\/overview$/);
    await p.focus("nav a[href$='/loyalty']");
    await p.keyboard.press("Enter");
    await p.waitForURL(/\/loyalty$/);
    await axe(p);
    const rules = async () => (await fetch(`${worker.url}/v1/shops/demo-outfitters/loyalty`).then((r) => r.json())).programme.rules;
    const before = await rules();

    await p.fill("#points_per_unit", "lots");
    await p.focus("#signup_bonus");
    await p.keyboard.press("Enter");
    await p.waitForSelector("[role=alert]");
    assert.equal(await p.getAttribute("#points_per_unit", "aria-invalid"), "true");
    assert.match(await p.textContent("#points_per_unit-error"), /whole number/);
    assert.equal(await p.inputValue("#points_per_unit"), "lots", "what was typed stays");
    assert.deepEqual(await rules(), before, "nothing saved");
    await axe(p);
    await p.fill("#points_per_unit", "3");
    await p.focus("#signup_bonus");
    await p.keyboard.press("Enter");
    await p.waitForSelector("[role=status]");
    assert.equal(await p.textContent("[role=status]"), "Programme saved.");
    assert.equal((await rules()).points_per_unit, 3);

    // Look a shopper up and give them points with a note.
    await p.focus("#customer");
    await p.keyboard.type("demo-customer-1");
    await p.keyboard.press("Enter");
    await p.waitForSelector("#balance");
    const balance = Number((await p.textContent("#balance")).split(" ")[0]);
    await axe(p);
    await p.focus("#points");
    await p.keyboard.type("50");
    await p.keyboard.press("Tab");
    await p.keyboard.type("Welcome back");
    await p.keyboard.press("Enter");
    await p.waitForSelector("[role=status]");
    assert.equal(await p.textContent("[role=status]"), "+50 points for demo-customer-1.");
    assert.equal(await p.textContent("#balance"), `${balance + 50} points`);
    assert.match(await p.textContent("#ledger tbody tr:first-child"), /Adjusted by you.*\+50.*Welcome back/s);
    await axe(p);
    await context.close();
  });

  test("turn the follow-up e-mails on and preview an order's review request, from the keyboard", async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const p = await context.newPage();
    await p.goto(`${worker.url}/admin/`);
    await p.fill("#shop", "demo-outfitters");
    await p.fill("#key", demo.adminKey);
    await p.press("#key", "Enter");
    await p.waitForURL(/\/overview$/);
    await p.focus("nav a[href$='/follow-ups']");
    await p.keyboard.press("Enter");
    await p.waitForURL(/\/follow-ups$/);
    assert.equal(await p.isChecked("#send"), false, "off until turned on");
    await axe(p);

    await p.focus("#send");
    await p.keyboard.press("Space");
    await p.focus("#sender_address");
    await p.keyboard.type("hello@demo-outfitters.example");
    await p.keyboard.press("Enter");
    await p.waitForSelector("[role=status]");
    assert.equal(await p.textContent("[role=status]"), "Follow-ups saved.");
    const settings = (await admin(worker.url, demo, "GET", "")).body.follow_ups;
    assert.equal(settings.sender.address, "hello@demo-outfitters.example");
    assert.equal(settings.sender.name, "Demo Outfitters");

    // An order fulfilled an hour ago: its request waits, and the preview draws its e-mail.
    const body = JSON.stringify({ type: "order", order: {
      id: "FOLLOW-1", customer: "demo-follow-1", email: "follow@example.com", accepts_marketing: true,
      currency: "EUR", subtotal: "349.00", status: "paid", updated_at: new Date().toISOString(),
      fulfilled_at: new Date(Date.now() - 3_600_000).toISOString(), lines: [{ product: "RIDGE-TENT-2P", quantity: 1 }],
    } });
    const delivered = await fetch(`${worker.url}/v1/webhooks/demo-outfitters/generic`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-rapport-signature": createHmac("sha256", WEBHOOK_SECRET).update(body).digest("base64") },
      body,
    });
    assert.equal(delivered.status, 200, await delivered.text());
    await p.focus("#order");
    await p.keyboard.type("generic:FOLLOW-1");
    await p.keyboard.press("Enter");
    await p.waitForURL(/order=generic%3AFOLLOW-1/);
    assert.match(await p.textContent("#preview ~ [role=status]"), /^Goes out on \d{4}-\d\d-\d\d\.$/);
    assert.equal(await p.textContent("dl.totals div:first-child dd"), "1", "one scheduled");
    const mail = p.frameLocator("iframe");
    await mail.locator("text=Ridgeline 2-Person Tent").first().waitFor();
    assert.ok((await mail.locator("a[href*='rating=5']").count()) >= 1, "five star links per product");
    await axe(p);
    await context.close();
  });
});
