// End to end: every widget of the demo storefront in German, Japanese and Arabic, in headless
// Chromium against the Worker in workerd. No English string of the catalogue is left in any
// widget (its text and its labels), the merchant's rewordings show, Arabic draws right to left,
// and each page is axe clean with no layout shift.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { assertNoLayoutShift, launch, seedDemo, storefront, trackLayoutShift } from "../support/browser.mjs";
import { admin, mintToken, nowSeconds, root, shopSecrets, startWorker } from "../support/worker.mjs";

const demo = shopSecrets("demo-outfitters");
const WEBHOOK_SECRET = "gen-" + "l8".repeat(12);
const require = createRequire(import.meta.url);
const WIDGETS = ["rapport-reviews", "rapport-loyalty", "rapport-referral", "rapport-recommendations"];
const OVERRIDES = {
  de: { "reviews.write": "Teile deine Erfahrung" },
  ja: { "loyalty.ways": "ポイントがたまる方法" },
  ar: { "referral.copy_link": "انسخ رابط الدعوة" },
};
let worker, shop, browser;

// The English catalogue's phrases: every run of two words or more between placeholders.
const english = [...readFileSync(join(root, "shared/src/i18n/en.rs"), "utf8").matchAll(/^\s*\("([^"]+)", "((?:[^"\\]|\\.)*)"\),?$/gm)]
  .flatMap(([, , text]) => text.split(/\{[a-z_]+\}/))
  .map((f) => f.replace(/^[\s.,:;()—–-]+|[\s.,:;()—–-]+$/g, ""))
  .filter((f) => /\p{L}+\s+\p{L}+/u.test(f) && f.length >= 8);

/** The storefront page in `locale`: the script's data-locale and the page's lang. */
const inLanguage = (html, locale) =>
  html
    .replace('data-locale="en-US"', `data-locale="${locale}"`)
    .replace('<html lang="en">', `<html lang="${locale}">`)
    // The merchant's own heading would be their words, not the widget's.
    .replaceAll(' heading="You may also like"', "");

before(async () => {
  worker = await startWorker([demo], { GENERIC_WEBHOOK_SECRET_DEMO_OUTFITTERS: WEBHOOK_SECRET });
  const token = mintToken(demo.tokenSecret, { sub: "demo-customer-1", shop: "demo-outfitters", exp: nowSeconds() + 3600, name: "Alex" });
  const index = readFileSync(join(root, "index.html"), "utf8")
    .replaceAll("{{CUSTOMER_TOKEN}}", token).replaceAll("{{CONSENT}}", "all");
  const pages = {};
  for (const locale of ["de-DE", "ja-JP", "ar-EG"]) pages[`/${locale}.html`] = inLanguage(index, locale).replaceAll("{{RAPPORT_ORIGIN}}", worker.url);
  shop = await storefront(worker.url, token, pages);
  seedDemo(worker.url, demo, [shop.origin], WEBHOOK_SECRET);
  // The merchant's rewordings, over the seeded settings.
  const settings = JSON.parse(readFileSync(join(root, "xtask/demo/seed.json"), "utf8")).settings;
  settings.allowed_origins = [shop.origin];
  settings.referral.landing_url = `${shop.origin}/`;
  const res = await admin(worker.url, demo, "PUT", "", { ...settings, strings: OVERRIDES });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await shop?.close();
  await worker?.stop();
});

/** Every widget's words as the shopper meets them: text, labels, live regions, placeholders. */
const widgetWords = (p) =>
  p.evaluate((names) => {
    const out = {};
    for (const name of names) {
      out[name] = [...document.querySelectorAll(name)].map((host) => {
        const root = host.shadowRoot;
        const labels = [...root.querySelectorAll("[aria-label],[aria-valuetext],[title],[placeholder]")]
          .flatMap((e) => ["aria-label", "aria-valuetext", "title", "placeholder"].map((a) => e.getAttribute(a) || ""));
        const text = [...root.querySelectorAll('[part="root"]')].map((r) => r.textContent).join(" ");
        return `${text} ${labels.join(" ")}`.replace(/\s+/g, " ");
      }).join(" | ");
    }
    return out;
  }, WIDGETS);

for (const [locale, lang] of [["de-DE", "de"], ["ja-JP", "ja"], ["ar-EG", "ar"]]) {
  describe(`the storefront in ${locale}`, () => {
    test(`every widget speaks ${lang}, with the merchant's words; axe clean, no layout shift`, async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 6000 }, locale });
      const p = await context.newPage();
      const problems = [];
      p.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      p.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("[rapport]")) problems.push(`console: ${m.text()}`); });
      // For the message of a failure: the loader's own notes and every refused request.
      const seen = [];
      p.on("console", (m) => { if (m.text().startsWith("[rapport]")) seen.push(m.text()); });
      p.on("response", (r) => { if (r.status() >= 400) seen.push(`${r.status()} ${r.url()}`); });
      await trackLayoutShift(p);
      await p.goto(`${shop.origin}/${locale}.html`);
      // Every widget drawn, and the ones with WebAssembly live; if one is not, what each shows
      // and what the page logged.
      try {
        await p.locator("rapport-reviews .summary").waitFor();
        await p.locator("rapport-loyalty .balance-value").waitFor();
        await p.locator("rapport-referral .link-row").waitFor();
        await p.locator('rapport-recommendations[kind="trending"] .card').first().waitFor();
        await p.locator('rapport-recommendations[kind="for-you"] .card').first().waitFor();
        await p.waitForFunction(() => ["rapport-reviews", "rapport-loyalty", "rapport-referral"].every((n) => document.querySelector(n).rapportLive));
      } catch (e) {
        const shown = await widgetWords(p).catch(() => ({}));
        e.message += `\nwidgets: ${JSON.stringify(shown)}\nlogged: ${JSON.stringify([...problems, ...seen])}`;
        throw e;
      }
      const words = await widgetWords(p);
      for (const [widget, text] of Object.entries(words)) {
        const left = english.filter((f) => text.includes(f));
        assert.deepEqual(left, [], `${widget} in ${lang} still says: ${left.join(" / ")} (${seen.join("; ")})`);
      }
      // The merchant's rewording, where it belongs.
      const [key, said] = Object.entries(OVERRIDES[lang])[0];
      const owner = { reviews: "rapport-reviews", loyalty: "rapport-loyalty", referral: "rapport-referral" }[key.split(".")[0]];
      assert.ok(words[owner].includes(said), `${owner} shows the merchant's "${said}"`);
      // Right to left in Arabic only, mirrored: the reviews heading starts at the right.
      const layout = await p.evaluate(() => {
        const root = document.querySelector("rapport-reviews").shadowRoot;
        const box = root.querySelector('[part="root"]');
        const frame = root.querySelector("section").getBoundingClientRect();
        const title = root.querySelector("h2");
        const range = document.createRange();
        range.selectNodeContents(title);
        const text = range.getBoundingClientRect();
        return { dir: getComputedStyle(box).direction, fromLeft: text.left - frame.left, fromRight: frame.right - text.right };
      });
      if (lang === "ar") {
        assert.equal(layout.dir, "rtl");
        assert.ok(layout.fromRight < layout.fromLeft, `the heading sits at the right: ${JSON.stringify(layout)}`);
        for (const name of ["rapport-loyalty", "rapport-referral", "rapport-recommendations"]) {
          const dir = await p.evaluate((n) => getComputedStyle(document.querySelector(n).shadowRoot.querySelector('[part="root"]')).direction, name);
          assert.equal(dir, "rtl", name);
        }
      } else {
        assert.equal(layout.dir, "ltr");
        assert.ok(layout.fromLeft < layout.fromRight, JSON.stringify(layout));
      }
      await p.addScriptTag({ content: readFileSync(require.resolve("axe-core/axe.min.js"), "utf8") });
      const result = await p.evaluate((names) => window.axe.run({ include: names.map((n) => [n]) }), WIDGETS);
      assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(" ")}`), [], lang);
      await assertNoLayoutShift(p);
      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}
