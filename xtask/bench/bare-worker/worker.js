// The baseline for `cargo xtask bench`: a Worker that does nothing but answer a small JSON body,
// run by the same wrangler and workerd as Rapport, so the comparison isolates Rapport's own cost.
const body = JSON.stringify({ ok: true });

export default {
  fetch() {
    return new Response(body, { headers: { "content-type": "application/json" } });
  },
};
