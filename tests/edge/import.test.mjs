// Bulk import of a shop's history in resumable parts, against the built Worker in workerd, and
// through `cargo xtask import`, the client a merchant runs.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { admin, createShop, root, shopSecrets, startWorker } from "../support/worker.mjs";

const acme = shopSecrets("acme");
let worker, dir;

const LINES = 1_200;
const BAD = new Set([7, 640]); // 1-based lines that are not valid deliveries
function history() {
  const lines = [];
  for (let n = 1; n <= LINES; n++) {
    if (BAD.has(n)) {
      lines.push(n === 7 ? "{not json" : JSON.stringify({ type: "order", order: { id: `H${n}`, currency: "EUR", subtotal: "1.001", status: "paid", updated_at: "2025-01-01", lines: [] } }));
      continue;
    }
    lines.push(JSON.stringify({
      type: "order",
      order: { id: `H${n}`, customer: `c${n % 97}`, currency: "EUR", subtotal: `${10 + (n % 50)}.00`, status: "paid", updated_at: "2025-01-01T00:00:00Z", lines: [{ product: `P${n % 40}`, quantity: 1 }] },
    }));
  }
  return lines;
}

before(async () => {
  worker = await startWorker([acme]);
  await createShop(worker.url, acme);
  dir = mkdtempSync(join(tmpdir(), "rapport-import-"));
});
after(async () => {
  await worker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const part = (from, lines, name = "history") =>
  fetch(`${worker.url}/v1/admin/shops/acme/imports?import=${name}&from=${from}`, {
    method: "POST", headers: { authorization: `Bearer ${acme.adminKey}`, "content-type": "application/x-ndjson" }, body: lines.join("\n"),
  }).then(async (r) => {
    const text = await r.text();
    try {
      return { status: r.status, body: JSON.parse(text) };
    } catch {
      throw new Error(`HTTP ${r.status}: ${text}`);
    }
  });

test("an interrupted import resumes where it stopped, and reports the lines it refused", async () => {
  const lines = history();
  const first = await part(0, lines.slice(0, 500));
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual([first.body.taken, first.body.next_line], [499, 500]);
  assert.deepEqual(first.body.refused.map((r) => r.line), [7]);

  // A part out of sequence, or the same part again, is refused: nothing is taken twice.
  const again = await part(0, lines.slice(0, 500));
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, "out_of_sequence");

  // The merchant's client picks up at line 501.
  const file = join(dir, "history.jsonl");
  writeFileSync(file, lines.join("\n") + "\n");
  const out = execFileSync("cargo", ["xtask", "import", "--api", worker.url, "--shop", "acme", "--admin-key", acme.adminKey, "--file", file], { cwd: root, encoding: "utf8" });
  assert.match(out, /resuming "history" at line 501/);
  const progress = await admin(worker.url, acme, "GET", "/imports?import=history");
  assert.deepEqual(progress.body, { next_line: LINES, taken: LINES - BAD.size, refused: BAD.size });

  const order = await admin(worker.url, acme, "GET", "/orders/generic:H1199");
  assert.equal(order.body.paid, true);
  assert.equal(order.body.order.subtotal_minor, 5900);
  assert.equal((await admin(worker.url, acme, "GET", "/orders/generic:H640")).body.order, null);
});

test("bad import requests", async () => {
  assert.equal((await part(0, Array(501).fill("{}"), "too-big")).status, 400);
  const noName = await fetch(`${worker.url}/v1/admin/shops/acme/imports?from=0`, { method: "POST", headers: { authorization: `Bearer ${acme.adminKey}` }, body: "" });
  assert.equal(noName.status, 400);
  const unauthorised = await fetch(`${worker.url}/v1/admin/shops/acme/imports?import=x&from=0`, { method: "POST", body: "" });
  assert.equal(unauthorised.status, 401);
});

test("CSV histories: the catalog, orders and refunds, with refused rows by number", async () => {
  const catalog = [
    "sku,title,price,currency,url",
    'CSV-TENT,"Ridgeline Tent, 2 person",349.00,EUR,/tent',
    "CSV-MUG,Trail mug,19.00,EUR,",
    'CSV-BAD/1,"Slash in the SKU",1.00,EUR,',
    'CSV-NOTE,"A description',
    'over two lines",5.00,EUR,',
  ].join("\n");
  const file = join(dir, "catalog.csv");
  writeFileSync(file, catalog + "\n");
  execFileSync("cargo", ["xtask", "import", "--api", worker.url, "--shop", "acme", "--admin-key", acme.adminKey, "--file", file, "--import", "catalog"], { cwd: root, encoding: "utf8" });
  const progress = await admin(worker.url, acme, "GET", "/imports?import=catalog");
  assert.deepEqual(progress.body, { next_line: 4, taken: 3, refused: 1 });
  const tent = await fetch(`${worker.url}/v1/shops/acme/products/CSV-TENT/reviews`);
  assert.equal(tent.status, 200);

  const orders = "order_id,customer,currency,subtotal,status,updated_at,lines\n" +
    "C-1,c-9,EUR,368.00,paid,2026-11-01T10:00:00Z,CSV-TENT;CSV-MUG\n" +
    "C-2,c-9,EUR,38.00,paid,2026-11-02,CSV-MUG*2\n" +
    "C-3,c-9,EUR,abc,paid,2026-11-02,CSV-MUG\n";
  const res = await fetch(`${worker.url}/v1/admin/shops/acme/imports?import=orders-csv&from=0`, {
    method: "POST", headers: { authorization: `Bearer ${acme.adminKey}`, "content-type": "text/csv" }, body: orders,
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.taken, 2);
  assert.deepEqual(body.refused.map((r) => r.line), [3]);
  assert.equal((await admin(worker.url, acme, "GET", "/orders/generic:C-2")).body.order.lines[0].quantity, 2);
  const refunds = "order_id,refund_id,amount,currency\nC-1,r-1,19.00,EUR\n";
  const refund = await fetch(`${worker.url}/v1/admin/shops/acme/imports?import=refunds-csv&from=0`, {
    method: "POST", headers: { authorization: `Bearer ${acme.adminKey}`, "content-type": "text/csv" }, body: refunds,
  });
  assert.equal((await refund.json()).taken, 1);
  assert.deepEqual((await admin(worker.url, acme, "GET", "/orders/generic:C-1")).body.refunds, { "r-1": 1900 });

  const unknown = await fetch(`${worker.url}/v1/admin/shops/acme/imports?import=what&from=0`, {
    method: "POST", headers: { authorization: `Bearer ${acme.adminKey}`, "content-type": "text/csv" }, body: "name,email\nx,y\n",
  });
  assert.equal(unknown.status, 400);
  assert.equal((await unknown.json()).error.code, "invalid_csv");
});
