// The storefront in a real headless Chromium with an empty cache each time: how long after
// navigation a shopper sees the first widget content (the reviews summary), with and without
// the CPU throttled 4x, and what the Worker sent before it and until every widget on the page is
// live (each response's body compressed with brotli -q 11, as a CDN would serve it). Prints one
// JSON line.
//
//   node xtask/bench/paint.mjs <storefront URL> <Worker origin> <runs>

import { brotliCompressSync, constants } from "node:zlib";

import { chromium } from "playwright-core";

const [url, worker, runs = "7"] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"],
});
const brotli = (body) => brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

async function load(throttle) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  if (throttle > 1) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: throttle });
  }
  const bodies = new Map();
  const reading = [];
  page.on("requestfinished", (r) => {
    if (!r.url().startsWith(worker)) return;
    reading.push((async () => {
      const res = await r.response();
      const body = res && (await res.body().catch(() => null));
      if (body) bodies.set(r.url(), { wasm: r.url().endsWith(".wasm"), brotli: brotli(body) });
    })());
  });
  // The moment the reviews summary is drawn: the first animation frame after it enters the
  // widget's shadow root, seen from inside the page. (Polling from here would start only once
  // `goto` has seen the load event, which on a slow run comes after the content, and after the
  // WebAssembly too.)
  await page.addInitScript(() => {
    const attach = Element.prototype.attachShadow;
    Element.prototype.attachShadow = function (init) {
      const root = attach.call(this, init);
      if (this.localName === "rapport-reviews") {
        new MutationObserver((_, observer) => {
          if (!root.querySelector(".summary")) return;
          observer.disconnect();
          requestAnimationFrame(() => {
            const t = performance.now();
            // What had arrived from the Worker by then.
            const done = performance.getEntriesByType("resource").filter((e) => e.responseEnd <= t).map((e) => e.name);
            window.__rapportFirstContent = { t, done };
          });
        }).observe(root, { childList: true, subtree: true });
      }
      return root;
    };
  });
  await page.goto(url);
  const handle = await page.waitForFunction(() => window.__rapportFirstContent, null, { timeout: 60_000 });
  const first = await handle.jsonValue();
  const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);
  // Then the shopper scrolls to the bottom, and every widget on the page goes live.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.waitForFunction(() => [...document.querySelectorAll("rapport-reviews, rapport-loyalty, rapport-referral")].every((w) => w.rapportLive),
    null, { timeout: 60_000 });
  await page.waitForLoadState("networkidle");
  await Promise.all(reading);
  const sum = (filter) => [...bodies].filter(filter).reduce((n, [, b]) => n + b.brotli, 0);
  const before = new Set(first.done);
  const result = {
    widget: first.t,
    fcp,
    first_bytes: sum(([u]) => before.has(u)),
    first_wasm: [...bodies].some(([u, b]) => before.has(u) && b.wasm),
    all_bytes: sum(() => true),
    // Per response (path without the query), to see where the bytes go.
    parts: Object.fromEntries([...bodies].map(([u, b]) => [new URL(u).pathname.replace(/^.*\/(v1\/shops\/[^/]+\/)?/, ""), b.brotli])),
  };
  await context.close();
  return result;
}

const normal = [];
const throttled = [];
try {
  for (let i = 0; i < Number(runs); i++) normal.push(await load(1));
  for (let i = 0; i < Number(runs); i++) throttled.push(await load(4));
} finally {
  await browser.close();
}
console.log(JSON.stringify({
  widget: normal.map((r) => r.widget),
  fcp: normal.map((r) => r.fcp),
  widget_throttled: throttled.map((r) => r.widget),
  first_bytes: normal.map((r) => r.first_bytes),
  wasm_before_first: normal.some((r) => r.first_wasm),
  all_bytes: normal.map((r) => r.all_bytes),
  parts: normal[0]?.parts,
}));
