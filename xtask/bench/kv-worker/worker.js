// The like-for-like baseline for `cargo xtask bench`: a product's stored reviews page, read from
// KV by the key Rapport uses and returned as it is. `PUT /v1/seed?key=K` stores the body under K
// (the bench copies Rapport's page here before measuring).
const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "public, max-age=60",
  "access-control-allow-origin": "*",
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/v1/health") return new Response('{"ok":true}', { headers: JSON_HEADERS });
    if (request.method === "PUT" && url.pathname === "/v1/seed") {
      await env.RAPPORT_KV.put(url.searchParams.get("key"), await request.text());
      return new Response('{"ok":true}', { headers: JSON_HEADERS });
    }
    const found = url.pathname.match(/^\/v1\/shops\/([^/]+)\/products\/([^/]+)\/reviews$/);
    const body = found && (await env.RAPPORT_KV.get(`${found[1]}/reviews-page/${found[2]}`, "stream"));
    if (!body) return new Response('{"error":{"code":"not_found"}}', { status: 404, headers: JSON_HEADERS });
    return new Response(body, { headers: JSON_HEADERS });
  },
};
