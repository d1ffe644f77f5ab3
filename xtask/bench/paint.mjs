// First widget paint: how long after navigation a shopper sees the reviews summary, in a real
// headless Chromium with an empty cache each time. Prints one JSON line of milliseconds.
//
//   node xtask/bench/paint.mjs <storefront URL> <runs>

import { chromium } from "playwright-core";

const [url, runs = "7"] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"],
});
const widget = [];
const fcp = [];
try {
  for (let i = 0; i < Number(runs); i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(url);
    const handle = await page.waitForFunction(
      () => document.querySelector("rapport-reviews")?.shadowRoot?.querySelector(".summary") && performance.now(),
      null,
      { polling: "raf", timeout: 30_000 },
    );
    widget.push(await handle.jsonValue());
    fcp.push(await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null));
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ widget, fcp }));
