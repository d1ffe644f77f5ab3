// A real headless Chromium (Debian's), driven by playwright-core, plus a storefront server that
// renders pages with the Rapport snippet the way a merchant's server does.

import assert from "node:assert/strict";
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
 * the page's first script, and keeps what moved (node, inside which widget, from where to where)
 * in `window.__shifts`, so a failing check can say which element jumped.
 */
export const trackLayoutShift = (page) =>
  page.addInitScript(() => {
    window.__cls = 0;
    window.__shifts = [];
    const describe = (node) => {
      if (!node) return "(gone)";
      const el = node.nodeType === 1 ? node : node.parentElement;
      if (!el) return node.nodeName;
      const name = (e) => e.localName + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "");
      const host = el.getRootNode().host;
      const text = (node.textContent || "").trim().slice(0, 40);
      return `${host ? host.localName + " > " : ""}${name(el)}${text ? ` "${text}"` : ""}`;
    };
    const box = (r) => `${Math.round(r.x)},${Math.round(r.y)} ${Math.round(r.width)}x${Math.round(r.height)}`;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.hadRecentInput) continue;
        window.__cls += e.value;
        window.__shifts.push({
          at: Math.round(e.startTime),
          value: e.value,
          sources: (e.sources || []).map((s) => `${describe(s.node)}: ${box(s.previousRect)} -> ${box(s.currentRect)}`),
        });
      }
    }).observe({ type: "layout-shift", buffered: true });
  });

/** Fails, naming what moved, if anything on the page shifted without the shopper's input. */
export async function assertNoLayoutShift(page, settle = 300) {
  await page.waitForTimeout(settle);
  const { cls, shifts } = await page.evaluate(() => ({ cls: window.__cls, shifts: window.__shifts }));
  assert.equal(cls, 0, `cumulative layout shift ${cls}: ${JSON.stringify(shifts, null, 1)}`);
}

/**
 * What the page fetched of the widget module, from its `.wasm` request URLs: "main" (the part
 * the loader imports), "shared" (code that more than one widget uses) or the widget's own part
 * ("reviews", "loyalty"), sorted. Anything else is "unexpected …".
 */
export const moduleParts = (urls) =>
  urls.map((u) => {
    const m = u.match(/\/w\/[0-9a-f]{12}\/([\w-]+)\.wasm$/);
    if (!m) return `unexpected ${u}`;
    if (m[1] === "widgets_bg") return "main";
    if (/^shared_[a-z_]+(-[a-z_]+)*$/.test(m[1])) return "shared";
    return m[1].replace(/^split_/, "");
  }).sort();

/** The merchant's snippet, as index.html has it. */
export const snippet = (rapport, token = "") =>
  `<link rel="icon" href="data:,"><script type="module" src="${rapport}/rapport.js" data-shop="demo-outfitters" data-customer-token="${token}" data-locale="en-US" async></script>`;

/**
 * Serves `index.html` (placeholders filled; `consent` as the shop's consent banner would) at `/`
 * and any extra `pages` ({ "/x.html": html }). Returns { origin, close }.
 */
export async function storefront(rapport, token, pages = {}, consent = "all") {
  const index = readFileSync(join(root, "index.html"), "utf8")
    .replaceAll("{{RAPPORT_ORIGIN}}", rapport).replaceAll("{{CUSTOMER_TOKEN}}", token).replaceAll("{{CONSENT}}", consent);
  const routes = { "/": index, "/index.html": index, ...pages };
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    // The demo catalog's product images, as the merchant's own server has them.
    const image = /^\/images\/([a-z0-9-]+\.svg)$/.exec(path);
    if (image) {
      try {
        const svg = readFileSync(join(root, "xtask/demo/images", image[1]));
        res.writeHead(200, { "content-type": "image/svg+xml" });
        res.end(svg);
        return;
      } catch (_) {
        // falls through to the 404
      }
    }
    const body = routes[path];
    res.writeHead(body ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(body ?? "not found");
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

/**
 * Seeds the demo shop through `cargo xtask seed`, the same code `cargo xtask demo` runs. With the
 * shop's generic webhook secret, the demo shopper's orders are delivered as signed webhooks too,
 * and their referral story is told through the shopper API.
 */
export function seedDemo(api, secrets, origins, webhookSecret) {
  execFileSync("cargo", ["xtask", "seed", "--api", api, "--shop", secrets.shop, "--admin-key", secrets.adminKey,
    ...origins.flatMap((o) => ["--origin", o]), ...(webhookSecret ? ["--webhook-secret", webhookSecret, "--token-secret", secrets.tokenSecret] : [])],
  { cwd: root, stdio: "inherit" });
}
