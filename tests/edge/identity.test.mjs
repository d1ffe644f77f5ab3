// Shopper identity and CORS: the edge verifies the merchant-signed token on every request that
// reads a shopper's own data, and answers browsers only on the shop's own storefront origins.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { createShop, getJson, mintToken, nowSeconds, root, shopSecrets, startWorker } from "../support/worker.mjs";

const acme = shopSecrets("acme");
const other = shopSecrets("other-shop");
const STOREFRONT = "https://acme.example";
let worker;

const me = (token, headers = {}) =>
  getJson(`${worker.url}/v1/shops/acme/me`, { headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers } });
const claims = (extra = {}) => ({ sub: "cust-42", shop: "acme", name: "Ada", exp: nowSeconds() + 600, ...extra });

before(async () => {
  worker = await startWorker([acme, other]);
  await createShop(worker.url, acme, { origins: [STOREFRONT] });
  await createShop(worker.url, other);
});
after(async () => worker?.stop());

describe("shopper tokens", () => {
  test("a token signed with the shop's secret identifies the shopper", async () => {
    const exp = nowSeconds() + 600;
    const res = await me(mintToken(acme.tokenSecret, claims({ exp })));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { customer: "cust-42", shop: "acme", name: "Ada", expires_at: exp });
    assert.equal(res.headers.get("cache-control"), "private, no-store");
  });

  const refusals = [
    ["no token", () => null, "token_missing"],
    ["garbage", () => "not.a.token", "token_malformed"],
    ["forged: signed with a guessed secret", () => mintToken("x".repeat(64), claims()), "token_signature"],
    ["another shop's secret", () => mintToken(other.tokenSecret, claims()), "token_signature"],
    ["signed for another shop", () => mintToken(acme.tokenSecret, claims({ shop: "other-shop" })), "token_wrong_shop"],
    ["expired", () => mintToken(acme.tokenSecret, claims({ exp: nowSeconds() - 3600 })), "token_expired"],
    ["no expiry", () => mintToken(acme.tokenSecret, { sub: "cust-42", shop: "acme" }), "token_no_expiry"],
    ["alg none", () => mintToken(acme.tokenSecret, claims(), { alg: "none" }).replace(/[^.]+$/, ""), "token_algorithm"],
    ["HS512", () => mintToken(acme.tokenSecret, claims(), { alg: "HS512" }), "token_algorithm"],
    ["tampered claims", () => {
      const [h, , s] = mintToken(acme.tokenSecret, claims()).split(".");
      const body = Buffer.from(JSON.stringify(claims({ sub: "someone-else" }))).toString("base64url");
      return `${h}.${body}.${s}`;
    }, "token_signature"],
    ["a subject that is not an id", () => mintToken(acme.tokenSecret, claims({ sub: "../admin" })), "token_claims"],
  ];
  for (const [name, token, code] of refusals) {
    test(`refused: ${name}`, async () => {
      const res = await me(token());
      assert.equal(res.status, 401, JSON.stringify(res.body));
      assert.equal(res.body.error.code, code);
      assert.equal(res.body.customer, undefined);
    });
  }

  test("an unknown shop is a 404 whatever the token", async () => {
    const res = await getJson(`${worker.url}/v1/shops/nobody/me`, { headers: { authorization: `Bearer ${mintToken(acme.tokenSecret, claims())}` } });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "shop_not_found");
  });
});

describe("CORS", () => {
  test("the shop's storefront may read shopper data", async () => {
    const res = await me(mintToken(acme.tokenSecret, claims()), { origin: STOREFRONT });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), STOREFRONT);
    assert.match(res.headers.get("vary"), /Origin/);
  });

  test("another origin may not, even with a valid token", async () => {
    const res = await me(mintToken(acme.tokenSecret, claims()), { origin: "https://evil.example" });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, "origin_not_allowed");
    assert.notEqual(res.headers.get("access-control-allow-origin"), "https://evil.example");
  });

  test("preflights pass for the storefront only", async () => {
    const preflight = (origin) => fetch(`${worker.url}/v1/shops/acme/me`, {
      method: "OPTIONS", headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });
    const ok = await preflight(STOREFRONT);
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get("access-control-allow-origin"), STOREFRONT);
    assert.match(ok.headers.get("access-control-allow-headers"), /authorization/);
    const no = await preflight("https://evil.example");
    assert.equal(no.status, 403);
    assert.equal(no.headers.get("access-control-allow-origin"), null);
  });
});

describe("routing", () => {
  test("unknown routes and wrong methods are JSON errors", async () => {
    let res = await getJson(`${worker.url}/v1/nothing-here`);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "route_not_found");
    res = await getJson(`${worker.url}/v1/shops/acme/me`, { method: "DELETE" });
    assert.equal(res.status, 405);
    assert.equal(res.body.error.code, "method_not_allowed");
  });
});

describe("the README's token snippets", () => {
  const whole = readFileSync(join(root, "README.md"), "utf8");
  // The token section's own snippets (other sections have code blocks in the same languages).
  const readme = whole.slice(whole.indexOf("## Shopper tokens"));
  const block = (lang) => readme.match(new RegExp("```" + lang + "\\n([\\s\\S]*?)```"))[1];
  const has = (program) => { try { execFileSync("sh", ["-c", `command -v ${program}`]); return true; } catch { return false; } };
  const snippets = [
    ["js", "node", "t.mjs", (s) => `${block("js")}\nconsole.log(rapportToken(${JSON.stringify(s)}, "acme", "cust-42"));`],
    ["python", "python3", "t.py", (s) => `${block("python")}\nprint(rapport_token(${JSON.stringify(s)}, "acme", "cust-42"))`],
    ["php", "php", "t.php", (s) => `<?php\n${block("php")}\necho rapport_token(${JSON.stringify(s)}, "acme", "cust-42");`],
    ["ruby", "ruby", "t.rb", (s) => `${block("ruby")}\nputs rapport_token(${JSON.stringify(s)}, "acme", "cust-42")`],
  ];
  for (const [lang, program, file, source] of snippets) {
    test(`${lang} mints a token the Worker accepts`, { skip: !has(program) && `${program} is not installed` }, async () => {
      const dir = mkdtempSync(join(tmpdir(), "rapport-snippet-"));
      try {
        writeFileSync(join(dir, file), source(acme.tokenSecret));
        const token = execFileSync(program, [join(dir, file)], { encoding: "utf8" }).trim();
        const res = await me(token);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.customer, "cust-42");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
