// How long V8 takes to compile the Worker's WebAssembly, as a new isolate must before its first
// request: the median of 5 compilations in headless Chromium (a V8 as recent as workerd's; Node's
// may lack features the module uses). Prints the milliseconds.
//
//   node xtask/bench/compile.mjs <module.wasm>

import { readFileSync } from "node:fs";

import { chromium } from "playwright-core";

const [path] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  const page = await browser.newPage();
  const ms = await page.evaluate(async (base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const times = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await WebAssembly.compile(bytes);
      times.push(performance.now() - start);
    }
    return times.sort((a, b) => a - b)[2];
  }, readFileSync(path).toString("base64"));
  console.log(ms.toFixed(1));
} finally {
  await browser.close();
}
