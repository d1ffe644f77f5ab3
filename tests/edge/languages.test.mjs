// Widget words in the shopper's language, against the built Worker in workerd: each rendered
// view in the language of its `locale` (a regional tag falls back to its language, an unknown
// one to English), right to left for Arabic and Hebrew, the merchant's rewordings applied, and
// every bad rewording refused with a 400 naming it and nothing saved.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { admin, createShop, getJson, shopSecrets, startWorker } from "../support/worker.mjs";

const acme = shopSecrets("acme");
let worker;

const settings = (strings) => ({ name: "Acme", currency: "EUR", strings });
const html = (locale) =>
  fetch(`${worker.url}/v1/shops/acme/products/MUG/reviews.html?css=none&locale=${encodeURIComponent(locale)}`).then((r) => r.text());
const words = (text) => JSON.parse(text.match(/class="rapport-strings">([^<]*)<\/script>/)[1]);

before(async () => {
  worker = await startWorker([acme]);
  await createShop(worker.url, acme, { products: ["MUG"] });
});
after(async () => worker?.stop());

describe("the rendered views", () => {
  test("follow the locale's language: de-AT is German, zh English, ar and he right to left", async () => {
    const de = await html("de-AT");
    assert.equal(words(de).lang, "de");
    assert.match(de, /<h2 id="rapport-reviews-title" part="title">Kundenbewertungen<\/h2>/);
    assert.ok(!de.includes("Write a review") && !de.includes("No reviews yet"), "no English left");
    const zh = await html("zh-Hant-TW");
    assert.equal(words(zh).lang, "en");
    assert.match(zh, /Customer reviews/);
    for (const locale of ["ar-EG", "he"]) {
      const text = await html(locale);
      assert.ok(text.startsWith('<template shadowrootmode="open"><div part="root" dir="rtl">'), `${locale}: ${text.slice(0, 90)}`);
      assert.equal(words(text).rtl, true);
      assert.ok(!text.includes("Customer reviews"), locale);
    }
    assert.ok(!(await html("ja")).includes('dir="rtl"'));
  });

  test("the loader's own words come in the shopper's language too", async () => {
    const { status, body } = await getJson(`${worker.url}/v1/shops/acme/strings?for=loader&locale=ja-JP`);
    assert.equal(status, 200);
    assert.equal(body.lang, "ja");
    assert.ok(body.strings["loader.rating#other"].includes("{count}"));
    assert.ok(Object.keys(body.strings).every((k) => k.startsWith("loader.") || k.startsWith("common.")));
    const bad = await getJson(`${worker.url}/v1/shops/acme/strings?for=admin&locale=ja`);
    assert.equal(bad.status, 400);
    assert.equal((await getJson(`${worker.url}/v1/shops/nope/strings?for=loader`)).status, 404);
  });
});

describe("the merchant's rewordings", () => {
  test("are applied in their language only", async () => {
    const res = await admin(worker.url, acme, "PUT", "", settings({ de: { "reviews.write": "Teile deine Erfahrung" }, en: { "reviews.title": "What people say" } }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // A product with a review shows the write button; the empty view shows it too.
    assert.match(await html("de-DE"), />Teile deine Erfahrung</);
    assert.match(await html("en-GB"), />What people say<\/h2>/);
    assert.ok(!(await html("fr")).includes("Teile deine Erfahrung"));
  });

  test("an unknown key or language, a dropped or new placeholder, markup: a 400 naming it, nothing saved", async () => {
    const cases = [
      [{ de: { "reviews.writ": "x" } }, "strings.de.reviews.writ", "is not a string of the widgets"],
      [{ de: { "reviews.based_on#other": "Viele Bewertungen" } }, "strings.de.reviews.based_on#other", "must keep the placeholder {count}"],
      [{ de: { "reviews.based_on#few": "{count}" } }, "strings.de.reviews.based_on#few", "is not a string of the widgets"],
      [{ de: { "reviews.write": "Schreib {name}" } }, "strings.de.reviews.write", "has no placeholder {name}"],
      [{ xx: { "reviews.write": "x" } }, "strings.xx", null],
      [{ de: { "reviews.write": "<b>Los</b>" } }, "strings.de.reviews.write", null],
    ];
    for (const [strings, field, problem] of cases) {
      const res = await admin(worker.url, acme, "PUT", "", settings(strings));
      assert.equal(res.status, 400, JSON.stringify(strings));
      const named = JSON.stringify(res.body);
      assert.ok(named.includes(field), `${field} in ${named}`);
      if (problem) assert.ok(named.includes(problem), `${problem} in ${named}`);
    }
    assert.match(await html("de-DE"), />Teile deine Erfahrung</, "the last good rewording stands");
  });
});
