// The welcome banner for a friend who arrived by a referral link: who invited them and the offer,
// a form to claim their single-use code with their e-mail address, then the code. Imported by the
// loader only when the page has `?ref=CODE` (or, with consent, a kept arrival); it shares the
// loader's stylesheets and draws into its own shadow root, fixed in a corner of the viewport so
// the page never moves.

const money = (locale, m) => {
  const format = new Intl.NumberFormat(locale, { style: "currency", currency: m.currency });
  return format.format(m.amount_minor / 10 ** format.resolvedOptions().maximumFractionDigits);
};

const el = (name, attrs = {}, ...children) => {
  const node = document.createElement(name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
};

export async function welcome({ config, sheets, code, keepArrival, report }) {
  // The arrival, kept (with consent) while the banner stands; a claim or a close ends it.
  const keep = (value) => {
    if (!keepArrival) return;
    try {
      const key = `rapport:referral:${config.shop}`;
      if (value) localStorage.setItem(key, JSON.stringify(value));
      else localStorage.removeItem(key);
    } catch (_) {
      // Storage may be blocked; the banner still shows on this page.
    }
  };
  keep({ code, at: Date.now() });
  const shop = `${config.api}/v1/shops/${encodeURIComponent(config.shop)}`;
  const base = `${shop}/referrals`;
  // The banner's words in the friend's language (shared::i18n); English if they cannot be had.
  const [res, w] = await Promise.all([
    fetch(`${base}/codes/${encodeURIComponent(code)}`),
    fetch(`${shop}/strings?for=welcome&locale=${encodeURIComponent(config.locale)}`).then((r) => (r.ok ? r.json() : null), () => null),
  ]);
  const words = (w && w.strings) || {};
  const t = (key, english, args = {}) => (words[key] || english).replace(/\{(\w+)\}/g, (m, k) => (k in args ? args[k] : m));
  if (!res.ok) {
    // An unknown code, or no programme: nothing to show, and nothing to keep.
    if (res.status === 404) keep(null);
    else report("welcome banner", new Error(`HTTP ${res.status}`));
    return;
  }
  const invitation = await res.json();
  const offer = invitation.offer;
  const off = offer.amount_off
    ? t("common.amount_off", "{amount} off", { amount: money(config.locale, offer.amount_off) })
    : t("common.percent_off", "{percent}% off", { percent: offer.percent_off });
  const minimum = offer.minimum_order && offer.minimum_order.amount_minor > 0 ? money(config.locale, offer.minimum_order) : "";

  const host = el("rapport-welcome");
  const root = host.attachShadow({ mode: "open" });
  root.adoptedStyleSheets = sheets;
  const who = invitation.advocate || t("welcome.a_friend", "A friend");
  const close = el("button", { type: "button", class: "close", "aria-label": t("welcome.close", "Close the invitation") }, el("span", { "aria-hidden": "true" }, "×"));
  const status = el("p", { class: "field-error", role: "status" });
  const email = el("input", { type: "email", id: "rapport-welcome-email", name: "email", autocomplete: "email", required: "" });
  const name = el("input", { type: "text", id: "rapport-welcome-name", name: "first_name", autocomplete: "given-name", maxlength: "40" });
  const submit = el("button", { type: "submit", class: "primary", part: "button" }, t("welcome.get_code", "Get my code"));
  // The friend's first name is shown to whoever invited them only if they give it.
  const form = el("form", { class: "claim", novalidate: "" },
    el("label", { for: "rapport-welcome-email" }, t("welcome.email", "Your e-mail address")),
    el("span", { class: "claim-row" }, email, submit),
    el("label", { for: "rapport-welcome-name" }, t("welcome.name", "Your first name (optional: {advocate} will see it)",
      { advocate: invitation.advocate || t("welcome.your_friend", "your friend") })),
    name);
  const offerText = minimum
    ? t("welcome.offer_minimum", "Get {offer} your first order of {minimum} or more.", { offer: off, minimum })
    : t("welcome.offer", "Get {offer} your first order.", { offer: off });
  const panel = el("aside", { class: "welcome", part: "welcome", "aria-labelledby": "rapport-welcome-title", ...(w && w.rtl ? { dir: "rtl" } : {}) },
    close,
    el("h2", { id: "rapport-welcome-title", part: "title" }, t("welcome.title", "{advocate} invited you to {shop}", { advocate: who, shop: invitation.shop_name })),
    el("p", {}, offerText),
    form, status);
  root.append(panel);
  document.body.append(host);

  close.addEventListener("click", () => {
    keep(null);
    host.remove();
  });
  host.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close.click();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!email.value.includes("@")) {
      status.textContent = t("welcome.enter_email", "Enter your e-mail address.");
      email.setAttribute("aria-invalid", "true");
      email.focus();
      return;
    }
    email.removeAttribute("aria-invalid");
    submit.disabled = true;
    status.textContent = "";
    try {
      const claim = await fetch(`${base}/claims`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code, email: email.value, ...(name.value.trim() ? { first_name: name.value.trim() } : {}) }),
      });
      const body = await claim.json().catch(() => null);
      if (!claim.ok) {
        status.textContent = claim.status === 409
          ? t("welcome.new_customers_only", "This offer is for new customers invited by a friend.")
          : (body && body.error && claim.status === 400
            ? t("welcome.enter_email", "Enter your e-mail address.")
            : t("welcome.failed", "Something went wrong. Please try again."));
        submit.disabled = false;
        return;
      }
      keep(null);
      const copy = el("button", { type: "button", class: "copy", part: "button" }, t("common.copy", "Copy"));
      copy.addEventListener("click", () => {
        navigator.clipboard?.writeText(body.discount_code).then(
          () => { status.textContent = t("common.copied", "Copied"); },
          () => { status.textContent = t("welcome.copy_failed", "Select the code and copy it."); },
        );
      });
      const done = el("div", { class: "claimed" },
        el("p", {}, t("welcome.your_code", "Your code, for one order:")),
        el("span", { class: "code-box" }, el("code", { class: "code", part: "code" }, body.discount_code), copy));
      form.replaceWith(done);
      copy.focus();
    } catch (error) {
      report("welcome banner", error);
      status.textContent = t("welcome.failed", "Something went wrong. Please try again.");
      submit.disabled = false;
    }
  });
}
