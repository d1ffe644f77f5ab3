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
