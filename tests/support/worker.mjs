// Starts the built Rapport Worker in workerd (`wrangler dev`) for one test file, with its own
// port, its own empty KV on disk and its own shop secrets, and stops it afterwards.

import { execFileSync, spawn } from "node:child_process";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../..", import.meta.url));

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const envSuffix = (shop) => shop.toUpperCase().replaceAll("-", "_");

/** Fresh secrets for a shop: the token secret and the admin key (stored on the edge only as a hash). */
export function shopSecrets(shop) {
  return { shop, tokenSecret: randomBytes(32).toString("hex"), adminKey: `rk_test_${randomBytes(16).toString("hex")}` };
}

/**
 * Starts `wrangler dev` with `shops` (from shopSecrets) configured. Returns { url, stop, log,
 * state } (`state`: the directory its KV and objects persist to), and for crash tests
 * `killRuntime()` (SIGKILL to the workerd process, as a machine failure would) and `restart()`
 * (a new `wrangler dev` on the same state, answering at the new `url`).
 * Secrets that should exist on the edge without being usable (e.g. a too-short one) can be
 * passed in `extraVars`. With `testScheduled`, the Cron Trigger can be fired at any time with
 * `GET /__scheduled?cron=...` (it runs at the present). `emails()` reads the messages the
 * `send_email` binding's local simulation wrote (wrangler keeps them in its temporary directory,
 * here one per worker, until it stops).
 */
export async function startWorker(shops, extraVars = {}, { testScheduled = false } = {}) {
  build();
  const dir = mkdtempSync(join(tmpdir(), "rapport-worker-"));
  const vars = { ...extraVars };
  for (const s of shops) {
    vars[`TOKEN_SECRET_${envSuffix(s.shop)}`] = s.tokenSecret;
    vars[`ADMIN_KEY_SHA256_${envSuffix(s.shop)}`] = createHash("sha256").update(s.adminKey).digest("hex");
  }
  const envFile = join(dir, "test.env");
  writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}="${v}"`).join("\n") + "\n");
  const worker = { url: null, inspector: null, log: join(dir, "wrangler.log"), state: join(dir, "state") };
  const scratch = join(dir, "tmp");
  mkdirSync(scratch);
  let child = null;
  let exited = null;
  // Stops the whole process group: wrangler, its build command and workerd.
  const halt = async () => {
    if (child && exited === null) {
      const running = child;
      try { process.kill(-running.pid, "SIGTERM"); } catch { /* already gone */ }
      await new Promise((r) => { running.once("exit", r); setTimeout(r, 5000); });
    }
    if (child) {
      try { process.kill(-child.pid, "SIGKILL"); } catch { /* already gone */ }
    }
    child = null;
  };
  const launch = async () => {
    const port = await freePort();
    const inspector = await freePort();
    worker.inspector = inspector;
    const out = openSync(worker.log, "a");
    child = spawn(
      join(root, "node_modules/.bin/wrangler"),
      ["dev", "--config", join(root, "edge/build/wrangler.toml"), "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector),
        "--persist-to", worker.state, "--env-file", envFile,
        "--show-interactive-dev-session=false", "--log-level", process.env.RAPPORT_WRANGLER_LOG ?? "warn", ...(testScheduled ? ["--test-scheduled"] : [])],
      { cwd: root, stdio: ["ignore", out, out], detached: true,
        env: { ...process.env, TMPDIR: scratch, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
    );
    exited = null;
    const mine = child;
    child.on("exit", (code) => { if (child === mine) exited = code ?? -1; });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      if (exited !== null) break;
      try {
        const r = await fetch(`${url}/v1/health`);
        if (r.ok) {
          worker.url = url;
          return;
        }
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 250));
    }
    const output = readFileSync(worker.log, "utf8");
    await halt();
    keepLog(worker.log);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`wrangler dev did not become healthy:\n${output}`);
  };
  /** The raw messages sent so far, oldest first. */
  worker.emails = () => readdirSync(scratch)
    .filter((d) => d.startsWith("miniflare-"))
    .flatMap((d) => {
      const box = join(scratch, d, "files", "email");
      return existsSync(box) ? readdirSync(box).map((f) => join(box, f)) : [];
    })
    .map((f) => ({ f, at: statSync(f).mtimeMs }))
    .sort((a, b) => a.at - b.at)
    .map(({ f }) => readFileSync(f, "utf8"));
  worker.stop = async () => {
    await halt();
    keepLog(worker.log);
    rmSync(dir, { recursive: true, force: true });
  };
  worker.restart = async () => {
    await halt();
    await launch();
  };
  /** SIGKILLs the workerd runtime(s) of this worker; returns their pids. */
  worker.killRuntime = () => {
    const pids = child ? runtimePids(child.pid) : [];
    for (const pid of pids) {
      try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
    }
    return pids;
  };
  await launch();
  return worker;
}

/**
 * Builds the widgets and the Worker once per test process (`cargo xtask build` skips what is
 * current), unless `cargo xtask test` has just done it. The Worker then runs from the
 * configuration that build wrote, which has no build command: `wrangler dev` with one builds
 * again once it watches the files, and reloads the Worker in the middle of a test.
 */
let built = process.env.RAPPORT_BUILT === "1";
function build() {
  if (built) return;
  execFileSync("cargo", ["xtask", "build"], { cwd: root, stdio: "pipe" });
  built = true;
}

/**
 * With `RAPPORT_KEEP_LOGS` set to a directory, a stopped worker's log is copied there (named
 * after the test file and the time) before its temporary directory goes: for reading what the
 * runtime said during a run that failed. `RAPPORT_WRANGLER_LOG=log` makes it say more.
 */
function keepLog(log) {
  const keep = process.env.RAPPORT_KEEP_LOGS;
  if (!keep || !existsSync(log)) return;
  mkdirSync(keep, { recursive: true });
  const test = (process.argv[1] ?? "worker").split("/").pop().replace(/\.m?js$/, "");
  copyFileSync(log, join(keep, `${test}-${Date.now()}.log`));
}

/** The workerd processes among the descendants of `ancestor` (wrangler runs it as a child). */
export function runtimePids(ancestor) {
  const parents = new Map();
  const names = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ")".
      const close = stat.lastIndexOf(")");
      const fields = stat.slice(close + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
      names.set(Number(entry), stat.slice(stat.indexOf("(") + 1, close));
    } catch { /* exited meanwhile */ }
  }
  const descends = (pid) => {
    for (let p = pid; p > 1; p = parents.get(p) ?? 0) if (p === ancestor) return true;
    return false;
  };
  return [...names].filter(([pid, name]) => name === "workerd" && descends(pid)).map(([pid]) => pid);
}

/*
 * `wrangler dev` answers through a proxy of its own, which keeps connections to the runtime
 * alive. After a long request the proxy can pick one the runtime has meanwhile closed, and its
 * fetch fails ("Connection reset by peer" in the log). The proxy then answers a POST with a 503
 * ("Your worker restarted mid-request", though nothing restarted) and parks a GET until the
 * next request arrives, so a test that waits on a single GET waits for ever. The request never
 * reached the Worker, so sending it again is safe. Every `fetch` in a test process that imports
 * this module goes through `devFetch`: a POST answered so is sent once more, a GET unanswered
 * after a few seconds is freed by a cheap request beside it, and a request whose own kept-alive
 * connection to the proxy was closed as it went out is sent once more if it was a GET.
 */
const nativeFetch = globalThis.fetch;
const PARKED = "Your worker restarted mid-request";
const replayable = (body) => body == null || typeof body === "string" || body instanceof Uint8Array || body instanceof URLSearchParams;

async function devFetch(input, init = {}) {
  const url = new URL(input instanceof Request ? input.url : input);
  if (url.hostname !== "127.0.0.1" || input instanceof Request || !replayable(init.body)) return nativeFetch(input, init);
  const idempotent = !init.method || ["GET", "HEAD"].includes(init.method.toUpperCase());
  for (let attempt = 0; ; attempt++) {
    let res;
    try {
      res = await (idempotent ? freed(nativeFetch(input, init), url.origin) : nativeFetch(input, init));
    } catch (error) {
      const closed = ["UND_ERR_SOCKET", "EPIPE", "ECONNRESET"].includes(error?.cause?.code);
      if (idempotent && closed && attempt === 0) continue;
      throw error;
    }
    if (res.status === 503 && attempt < 2 && (await res.clone().text()).startsWith(PARKED)) continue;
    return res;
  }
}

/** `pending`, with a request to the same Worker every 5 s until it settles. */
async function freed(pending, origin) {
  let timer;
  const nudge = () => {
    nativeFetch(`${origin}/v1/health`).then((r) => r.body?.cancel()).catch(() => {});
    timer = setTimeout(nudge, 5_000);
  };
  timer = setTimeout(nudge, 5_000);
  try {
    return await pending;
  } finally {
    clearTimeout(timer);
  }
}
globalThis.fetch = devFetch;

/** An admin API call for `secrets.shop`. */
export async function admin(url, secrets, method, path, body, headers = {}) {
  const res = await fetch(`${url}/v1/admin/shops/${secrets.shop}${path}`, {
    method,
    headers: { authorization: `Bearer ${secrets.adminKey}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json().catch(() => null) };
}

/** Creates a shop with a catalog. */
export async function createShop(url, secrets, { products = [], origins = [] } = {}) {
  const settings = await admin(url, secrets, "PUT", "", { name: `Shop ${secrets.shop}`, currency: "EUR", allowed_origins: origins });
  if (settings.status !== 200) throw new Error(`settings: ${JSON.stringify(settings.body)}`);
  if (products.length) {
    const res = await admin(url, secrets, "PUT", "/products", { products: products.map((sku) => ({ sku, title: `Product ${sku}` })) });
    if (res.status !== 200) throw new Error(`products: ${JSON.stringify(res.body)}`);
  }
}

export async function getJson(url, init) {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: await res.json().catch(() => null) };
}

// Minting a shopper token, as a merchant's Node server would (the README shows the same).
const b64url = (data) => Buffer.from(data).toString("base64url");
export function mintToken(secret, claims, header = { alg: "HS256", typ: "JWT" }) {
  const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = createHmac("sha256", secret).update(unsigned).digest("base64url");
  return `${unsigned}.${signature}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Polls `read` until `check` passes on its result (or time runs out, then fails with the last
 * result). Product pages in KV are rebuilt by the product's object, at most once a second, so a
 * read right after a burst of writes may be a moment behind.
 */
export async function eventually(read, check, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await read();
    try {
      check(last);
      return last;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** wrangler's `kv key` command against a running worker's local storage. */
const kvCommand = (worker, args) =>
  execFileSync(join(root, "node_modules/.bin/wrangler"),
    ["kv", "key", ...args, "--local", "--persist-to", worker.state, "--binding", "RAPPORT_KV"],
    { cwd: root, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });

/** The KV keys under `prefix` in a running worker's local storage, read by wrangler itself. */
export function kvKeys(worker, prefix) {
  const out = kvCommand(worker, ["list", "--prefix", prefix]);
  return JSON.parse(out.slice(out.indexOf("["))).map((k) => k.name);
}

/** The JSON value under `key` in a running worker's local storage. */
export const kvGetJson = (worker, key) => JSON.parse(kvCommand(worker, ["get", key, "--text"]));

/** Writes `value` as JSON under `key` in a running worker's local storage. */
export const kvPutJson = (worker, key, value) => kvCommand(worker, ["put", key, JSON.stringify(value)]);
