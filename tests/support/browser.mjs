// A real headless Chromium (Debian's), driven by playwright-core, plus a storefront server that
// renders pages with the Rapport snippet the way a merchant's server does.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";

import { chromium } from "playwright-core";

import { freePort, root } from "./worker.mjs";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'],
  });
}

/**
 * Sums the page's layout shifts that no shopper input caused into `window.__cls`, from before
 * the page's first script.
 */
export const trackLayoutShift = (page) =>
  page.addInitScript(() => {
    window.__cls = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
    }).observe({ type: "layout-shift", buffered: true });
  });

/** The merchant's snippet, as index.html has it. */
export const snippet = (rapport, token = "") =>
  `<link rel="icon" href="data:,"><script type="module" src="${rapport}/rapport.js" data-shop="demo-outfitters" data-customer-token="${token}" data-locale="en-US" async></script>`;

/**
 * Serves `index.html` (placeholders filled) at `/` and any extra `pages` ({ "/x.html": html }).
 * Returns { origin, close }.
 */
export async function storefront(rapport, token, pages = {}) {
  const index = readFileSync(join(root, "index.html"), "utf8")
    .replaceAll("{{RAPPORT_ORIGIN}}", rapport).replaceAll("{{CUSTOMER_TOKEN}}", token);
  const routes = { "/": index, "/index.html": index, ...pages };
  const server = createServer((req, res) => {
    const body = routes[new URL(req.url, "http://x").pathname];
    res.writeHead(body ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(body ?? "not found");
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

/**
 * Seeds the demo shop through `cargo xtask seed`, the same code `cargo xtask demo` runs. With the
 * shop's generic webhook secret, the demo shopper's orders are delivered as signed webhooks too.
 */
export function seedDemo(api, secrets, origins, webhookSecret) {
  execFileSync("cargo", ["xtask", "seed", "--api", api, "--shop", secrets.shop, "--admin-key", secrets.adminKey,
    ...origins.flatMap((o) => ["--origin", o]), ...(webhookSecret ? ["--webhook-secret", webhookSecret] : [])], { cwd: root, stdio: "inherit" });
}
