// The widget platform in Chromium: a widget's first view is HTML rendered by the Worker, shown
// before any WebAssembly; the module takes over from the data embedded with it and draws the
// same DOM; a merchant's server can put the view into the page itself (declarative shadow DOM);
// clicks made early are honoured; a module that fails leaves the view in place.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { assertNoLayoutShift, launch, moduleParts, seedDemo, snippet, storefront, trackLayoutShift } from "../support/browser.mjs";
import { mintToken, nowSeconds, root, shopSecrets, startWorker } from "../support/worker.mjs";

const require = createRequire(import.meta.url);
const demo = shopSecrets("demo-outfitters");
const PRODUCT = "RIDGE-TENT-2P";
let worker, shop, browser, rendered;

// Themes that fight widgets: Bootstrap whole, and Dawn's rules that hide empty divs and shrink rem.
const bootstrap = readFileSync(require.resolve("bootstrap/dist/css/bootstrap.min.css"), "utf8");
const hostile = `<style>${bootstrap}</style><style>
  html { font-size: 62.5%; } div:empty { display: none; } body { display: grid; letter-spacing: .06rem; line-height: 2.5; }
  *:focus-visible { outline: 4px solid red; } button { background: red !important; padding: 30px !important; }
  p, li, span, h2 { margin: 40px !important; font-size: 30px; color: magenta; }</style>`;
// The one thing a widget takes from the theme on purpose is its font; both pages name the same.
const frame = (head, body, rapport = worker.url, script = true) => `<!doctype html><html lang="en"><head>
  ${script ? snippet(rapport) : ""}
  <style>rapport-reviews { --rapport-font: "DejaVu Sans"; }
  rapport-reviews:not(:defined) { display: block; height: var(--rapport-reviews-height, 720px); }</style>${head}</head>
  <body><main style="width: 760px">${body}</main></body></html>`;
const fetched = `<rapport-reviews product="${PRODUCT}"></rapport-reviews>`;
const signedIn = () => mintToken(demo.tokenSecret, { sub: "demo-customer-1", shop: "demo-outfitters", exp: nowSeconds() + 3600, name: "Alex" });
const loyaltyPage = (mode) => `<!doctype html><html lang="en"><head>${snippet(worker.url, signedIn())}
  <style>rapport-loyalty:not(:defined) { display: block; height: var(--rapport-loyalty-height, 640px); }
  rapport-loyalty[mode="launcher"]:not(:defined) { height: 0; }</style></head>
  <body><main style="width: 760px"><rapport-loyalty${mode ? ` mode="${mode}"` : ""}></rapport-loyalty></main></body></html>`;
const referralPage = () => `<!doctype html><html lang="en"><head>${snippet(worker.url, signedIn())}
  <style>rapport-referral:not(:defined) { display: block; height: var(--rapport-referral-height, 560px); }</style></head>
  <body><main style="width: 760px"><rapport-referral></rapport-referral></main></body></html>`;
const prerendered = () => `<rapport-reviews product="${PRODUCT}">${rendered}</rapport-reviews>`;

before(async () => {
  worker = await startWorker([demo]);
  const stub = await storefront(worker.url, "");
  seedDemo(worker.url, demo, [stub.origin]);
  await stub.close();
  // What a merchant's server does, with the README's own Node snippet: fetch the rendered view
  // and put it inside the element.
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### Reviews in your page's first HTML"));
  const snippetSource = section.match(/```js\n([\s\S]*?)```/)[1]
    .replaceAll("https://rapport.example.workers.dev", worker.url).replaceAll("your-shop", "demo-outfitters");
  const reviewsElement = new Function(`${snippetSource}\nreturn reviewsElement;`)();
  const element = await reviewsElement(PRODUCT);
  const inner = element.match(/^<rapport-reviews product="RIDGE-TENT-2P">([\s\S]*)<\/rapport-reviews>$/);
  assert.ok(inner, element.slice(0, 200));
  rendered = inner[1];
  assert.ok(rendered.startsWith('<template shadowrootmode="open"><style>'), rendered.slice(0, 80));
  shop = await storefront(worker.url, "", {
    "/fetched.html": frame("", fetched),
    "/prerendered.html": frame("", prerendered()),
    "/hostile-fetched.html": frame(hostile, fetched),
    "/hostile-prerendered.html": frame(hostile, prerendered()),
    "/no-script.html": frame("", prerendered(), worker.url, false),
    "/loyalty.html": loyaltyPage(""),
    "/launcher.html": loyaltyPage("launcher"),
    "/referral.html": referralPage(),
  });
  // The shopper's own view goes only to the shop's storefront origins: list this one too.
  seedDemo(worker.url, demo, [stub.origin, shop.origin]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await shop?.close();
  await worker?.stop();
});

async function open(path, { holdWasm = false, failWasm = null, failPart = null, javaScriptEnabled = true, timezoneId } = {}) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 1400 }, javaScriptEnabled, timezoneId });
  const page = await context.newPage();
  const problems = [];
  const logs = [];
  const requests = [];
  const wasmFinished = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    logs.push(m.text());
    // The browser logs a download the test aborts on purpose; that is not the page's doing.
    const aborted = (failWasm === "abort" || failPart) && m.text().includes("net::ERR_FAILED");
    // The splitter's own loader logs the failed fetch it reports to the widget.
    if (failPart && m.text().startsWith("TypeError: Failed to fetch")) return;
    if (m.type() === "error" && !m.text().startsWith("[rapport]") && !aborted) problems.push(`console: ${m.text()}`);
  });
  page.on("request", (r) => requests.push(r.url()));
  page.on("requestfinished", (r) => { if (r.url().endsWith(".wasm")) wasmFinished.push(r.url()); });
  let release = () => {};
  const held = new Promise((r) => { release = r; });
  if (holdWasm) await page.route("**/*.wasm", async (route) => { await held; await route.continue(); });
  if (failWasm === "abort") await page.route("**/*.wasm", (route) => route.abort());
  if (failPart) await page.route(`**/${failPart}.wasm`, (route) => route.abort());
  if (failWasm === "garbage") {
    await page.route("**/*.wasm", (route) => route.fulfill({ status: 200, contentType: "application/wasm", body: Buffer.from("\0asm garbage") }));
  }
  await trackLayoutShift(page);
  await page.goto(`${shop.origin}${path}`);
  const widget = page.locator("rapport-reviews");
  const live = () => page.waitForFunction(() => document.querySelector("rapport-reviews").rapportLive === true);
  return { context, page, widget, problems, logs, requests, wasmFinished, release, live };
}

// The widget's DOM as elements, sorted attributes, styles as the browser reads them and the
// text between them: comments and the split of text into nodes are not part of what is drawn.
const shape = (tag = "rapport-reviews") => {
  const walk = (n) => {
    let out = "";
    let text = "";
    const flush = () => { if (text) out += JSON.stringify(text); text = ""; };
    for (const c of n.childNodes) {
      if (c.nodeType === 3) text += c.data;
      if (c.nodeType !== 1) continue;
      flush();
      const attrs = [...c.attributes]
        .map((a) => (a.name === "style" ? `style=${c.style.cssText}` : `${a.name}=${a.value}`)).sort().join(" ");
      out += `<${c.localName} ${attrs}>${walk(c)}</${c.localName}>`;
    }
    flush();
    return out;
  };
  return walk(document.querySelector(tag).shadowRoot.querySelector('[part="root"]'));
};

describe("the first view comes before the WebAssembly", () => {
  test("reviews show in the shadow root while every .wasm response is still held back", async () => {
    // Fourteen hours ahead of the Worker's clock: the dates it rendered must still be the ones shown.
    const { context, page, widget, wasmFinished, release, live, problems } =
      await open("/fetched.html", { holdWasm: true, timezoneId: "Pacific/Kiritimati" });
    await widget.locator(".review").first().waitFor({ timeout: 10_000 });
    assert.equal(await widget.locator(".count").textContent(), "Based on 11 reviews");
    assert.equal(await widget.locator(".review").count(), 3);
    assert.equal(wasmFinished.length, 0, "content came before any WebAssembly");
    const before = await page.evaluate(shape);
    release();
    await live();
    assert.equal(await page.evaluate(shape), before, "the module drew the same DOM over the rendered one");
    await assertNoLayoutShift(page, 0);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("a click made while the WebAssembly loads is honoured once it is ready, once", async () => {
    const { context, page, widget, release, live, problems } = await open("/fetched.html", { holdWasm: true });
    const five = widget.getByRole("button", { name: /^5 stars: 6 reviews/ });
    await five.click();
    assert.equal(await page.evaluate(() => document.querySelector("rapport-reviews").rapportLive), undefined);
    release();
    await live();
    await widget.locator(".filter-note").waitFor();
    assert.equal(await widget.locator(".filter-note").textContent(), "Showing 6 5-star reviews Show all reviews");
    assert.equal(await five.getAttribute("aria-pressed"), "true");
    // The list of five-star reviews replaces the newest ten when it arrives.
    await page.waitForFunction(() => document.querySelector("rapport-reviews").shadowRoot.querySelectorAll(".review").length === 6);
    assert.equal(await page.evaluate(() => document.querySelector("rapport-reviews").shadowRoot.querySelector(".list").getAttribute("aria-busy")), "false");
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe("the loyalty widget's first view", () => {
  for (const [kind, path] of [["panel", "/loyalty.html"], ["launcher", "/launcher.html"]]) {
    test(`the signed-in ${kind} shows the shopper's points before the WebAssembly, and the module draws the same DOM`, async () => {
      const { context, page, wasmFinished, release, problems } = await open(path, { holdWasm: true });
      const widget = page.locator("rapport-loyalty");
      if (kind === "launcher") {
        await widget.locator(".launcher-balance").waitFor({ timeout: 10_000 });
        assert.match(await widget.locator(".launcher-balance").textContent(), /^[\d,]+ points?$/);
      } else {
        await widget.locator(".standing").waitFor({ timeout: 10_000 });
      }
      assert.equal(wasmFinished.length, 0);
      const before = await page.evaluate(shape, "rapport-loyalty");
      release();
      await page.waitForFunction(() => document.querySelector("rapport-loyalty").rapportLive === true);
      assert.equal(await page.evaluate(shape, "rapport-loyalty"), before);
      if (kind === "launcher") {
        // Live: the button opens the dialog.
        await widget.locator(".launcher").click();
        await widget.getByRole("dialog").waitFor();
      }
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});

describe("the referral widget's first view", () => {
  test("the advocate's link shows before the WebAssembly, and the module draws the same DOM", async () => {
    const { context, page, wasmFinished, release, problems } = await open("/referral.html", { holdWasm: true });
    const widget = page.locator("rapport-referral");
    await widget.locator("input.link").waitFor({ timeout: 10_000 });
    assert.match(await widget.locator("input.link").inputValue(), new RegExp(`^${worker.url}/r/demo-outfitters/[0-9A-Z]{4}-[0-9A-Z]{4}$`));
    assert.equal(wasmFinished.length, 0);
    const before = await page.evaluate(shape, "rapport-referral");
    release();
    await page.waitForFunction(() => document.querySelector("rapport-referral").rapportLive === true);
    assert.equal(await page.evaluate(shape, "rapport-referral"), before);
    await assertNoLayoutShift(page);
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe("rendered into the page by the merchant's server", () => {
  test("without any script the reviews and their JSON-LD are in the page's first HTML", async () => {
    const { context, page, widget } = await open("/no-script.html", { javaScriptEnabled: false });
    assert.equal(await widget.locator(".count").textContent(), "Based on 11 reviews");
    assert.equal(await widget.locator(".review-title").first().textContent(), "Bone dry through a Highlands storm");
    const ld = JSON.parse(await page.locator('script[type="application/ld+json"]').textContent());
    assert.equal(ld.aggregateRating.reviewCount, 11);
    const height = await widget.evaluate((el) => el.getBoundingClientRect().height);
    assert.equal(height, 720, "the rendered view carries its own styles and fixed height");
    await context.close();
  });

  test("the loader takes the pre-rendered widget over without asking for its data again", async () => {
    const { context, page, widget, requests, live, release, problems } = await open("/prerendered.html", { holdWasm: true });
    const before = await page.evaluate(shape);
    release();
    await live();
    assert.equal(await page.evaluate(shape), before);
    const data = requests.filter((u) => u.includes(`/products/${PRODUCT}/reviews`));
    assert.deepEqual(data, [], "no request for the product's reviews");
    assert.equal(await page.locator('script[type="application/ld+json"]').count(), 1, "one JSON-LD, the page's");
    // Live: the next reviews come with a mouse click on "Show more".
    await widget.getByRole("button", { name: "Show more reviews" }).click();
    await widget.locator(".review").nth(9).waitFor();
    await assertNoLayoutShift(page);
    const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
    await page.addScriptTag({ content: axeSource });
    const result = await page.evaluate(() => window.axe.run({ include: [["rapport-reviews"]] }));
    assert.deepEqual(result.violations.map((v) => v.id), []);
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe("each byte paid once", () => {
  test("a shopper who moves from a page with reviews to one with loyalty fetches only what the loyalty widget adds", async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 1400 } });
    // The .wasm URLs a page fetched from the network rather than from the browser's cache.
    const visit = async (path, tag) => {
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      const cached = new Set();
      const fromNetwork = [];
      cdp.on("Network.requestServedFromCache", (e) => cached.add(e.requestId));
      cdp.on("Network.responseReceived", (e) => {
        if (e.response.url.endsWith(".wasm") && !e.response.fromDiskCache && !cached.has(e.requestId)) fromNetwork.push(e.response.url);
      });
      await page.goto(`${shop.origin}${path}`);
      await page.waitForFunction((t) => document.querySelector(t).rapportLive === true, tag);
      await page.close();
      return fromNetwork;
    };
    const first = await visit("/fetched.html", "rapport-reviews");
    assert.deepEqual([...new Set(moduleParts(first))], ["main", "reviews", "shared"]);
    const second = await visit("/loyalty.html", "rapport-loyalty");
    assert.ok(moduleParts(second).includes("loyalty"), moduleParts(second).join());
    assert.deepEqual(second.filter((u) => first.includes(u)), [], "nothing the first page fetched is fetched again");
    assert.ok(!moduleParts(second).includes("main") && !moduleParts(second).includes("reviews"));
    assert.deepEqual(await visit("/fetched.html", "rapport-reviews"), [], "a page seen before fetches no WebAssembly");
    await context.close();
  });
});

describe("a module that fails", () => {
  for (const failWasm of ["abort", "garbage"]) {
    test(`(${failWasm === "abort" ? "download aborted" : "not WebAssembly"}) leaves the rendered view, says so where an action needs it, and throws nothing`, async () => {
      const { context, widget, logs, problems } = await open("/fetched.html", { failWasm });
      await widget.locator(".review").first().waitFor();
      await widget.getByRole("button", { name: "Show more reviews" }).click();
      await widget.locator(".unavailable").waitFor();
      assert.equal(await widget.locator(".unavailable").textContent(), "This section cannot respond right now. Please reload the page.");
      assert.equal(await widget.locator(".review").count(), 3, "the rendered reviews stay");
      assert.ok(logs.some((l) => l.startsWith("[rapport]")), logs.join("\n"));
      assert.deepEqual(problems, []);
      await context.close();
    });
  }

  test("a part the widget opens later (the review form) that cannot be fetched is said so in place, and the rest works", async () => {
    const { context, page, widget, logs, problems, live } = await open("/fetched.html", { failPart: "split_review_form" });
    await live();
    await widget.getByRole("button", { name: "Write a review" }).click();
    await widget.locator(".unavailable").waitFor();
    assert.equal(await widget.locator(".unavailable").textContent(), "This section cannot respond right now. Please reload the page.");
    assert.ok(logs.some((l) => l.startsWith("[rapport]")), logs.join("\n"));
    // The widget itself is live: the next reviews still come.
    await widget.getByRole("button", { name: "Show more reviews" }).click();
    await widget.locator(".review").nth(5).waitFor();
    assert.deepEqual(problems, []);
    await page.close();
    await context.close();
  });
});

describe("hostile theme CSS", () => {
  // Every element's box and the styles that decide how it looks.
  const look = () => {
    const root = document.querySelector("rapport-reviews").shadowRoot;
    return [...root.querySelectorAll("*")].filter((el) => el.localName !== "style").map((el) => {
      const s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      return [el.localName, el.className, Math.round(r.width), Math.round(r.height), s.display, s.fontSize, s.color,
        s.backgroundColor, s.margin, s.padding, s.letterSpacing, s.lineHeight].join(" ");
    });
  };
  for (const [kind, plain, themed] of [
    ["rendered by the Worker", "/fetched.html", "/hostile-fetched.html"],
    ["pre-rendered in the page", "/prerendered.html", "/hostile-prerendered.html"],
  ]) {
    test(`changes nothing inside a widget ${kind}, before and after the module takes over`, async () => {
      for (const stage of ["first view", "live"]) {
        const seen = [];
        for (const path of [plain, themed]) {
          const { context, page, widget, live, release } = await open(path, { holdWasm: stage === "first view" });
          await widget.locator(".review").first().waitFor();
          if (stage === "live") await live();
          seen.push(await page.evaluate(look));
          release();
          await context.close();
        }
        assert.deepEqual(seen[1], seen[0], `${stage}: the theme reached into the widget`);
      }
    });
  }
});
