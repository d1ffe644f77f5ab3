// The star badges of a collection page (<rapport-stars product="SKU">), imported by the loader
// when the first badge comes near the viewport. Badges that come into view together share one
// request (up to 50 products each); each draws into the box the frame styles reserved, so the
// text around it never moves.

const pending = new Map();
let timer = 0;
let numbers = null;

function draw(box, rating, { config, words, plural }) {
  const count = rating ? rating.count : 0;
  if (!count) {
    box.replaceChildren();
    return;
  }
  const halves = Math.round(rating.average * 2);
  const row = document.createElement("span");
  row.className = "stars";
  row.setAttribute("part", "stars");
  row.setAttribute("role", "img");
  numbers ||= new Intl.NumberFormat(config.locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const average = numbers.format(rating.average);
  const total = new Intl.NumberFormat(config.locale).format(count);
  row.setAttribute("aria-label", `Rated ${average} out of 5, ${count} review${count === 1 ? "" : "s"}`);
  // In the shopper's language once the loader's words are in.
  words("loader").then((w) => {
    const text = plural(w, "loader.rating", count);
    if (text) row.setAttribute("aria-label", text.replace("{rating}", average).replace("{count}", total));
  }, () => {});
  for (let i = 1; i <= 5; i++) {
    const star = document.createElement("span");
    star.className = halves >= 2 * i ? "star full" : halves === 2 * i - 1 ? "star half" : "star";
    star.setAttribute("aria-hidden", "true");
    star.textContent = "★";
    row.append(star);
  }
  const label = document.createElement("span");
  label.className = "badge-count";
  label.setAttribute("aria-hidden", "true");
  label.textContent = `(${total})`;
  box.replaceChildren(row, label);
}

async function send(ctx) {
  timer = 0;
  const batch = new Map(pending);
  pending.clear();
  const skus = [...batch.keys()];
  for (let i = 0; i < skus.length; i += 50) {
    const part = skus.slice(i, i + 50);
    try {
      const url = `${ctx.config.api}/v1/shops/${encodeURIComponent(ctx.config.shop)}/ratings?products=${part.map(encodeURIComponent).join(",")}`;
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const { ratings } = await res.json();
      for (const sku of part) for (const box of batch.get(sku)) draw(box, ratings[sku], ctx);
    } catch (error) {
      ctx.report("rapport-stars", error);
    }
  }
}

/** Queues the badge `host` (drawing into `box`) for the page's next batch. */
export function badge(host, box, ctx) {
  const product = host.getAttribute("product");
  if (!product || !ctx.config.shop) {
    ctx.report(host.localName, new Error("needs a product attribute and the script's data-shop"));
    return;
  }
  if (!pending.has(product)) pending.set(product, []);
  pending.get(product).push(box);
  if (!timer) timer = setTimeout(() => send(ctx), 30);
}
