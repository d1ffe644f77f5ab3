// The welcome banner for a friend who arrived by a referral link: who invited them and the offer,
// a form to claim their single-use code with their e-mail address, then the code. Imported by the
// loader only when the page has `?ref=CODE` (or, with consent, a kept arrival); it shares the
// loader's stylesheet and draws into its own shadow root, fixed in a corner of the viewport so
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

export async function welcome({ config, sheet, code, keep, report }) {
  const base = `${config.api}/v1/shops/${encodeURIComponent(config.shop)}/referrals`;
  const res = await fetch(`${base}/codes/${encodeURIComponent(code)}`);
  if (!res.ok) {
    // An unknown code, or no programme: nothing to show, and nothing to keep.
    if (res.status === 404) keep(null);
    else report("welcome banner", new Error(`HTTP ${res.status}`));
    return;
  }
  const invitation = await res.json();
  const offer = invitation.offer;
  const off = offer.amount_off ? `${money(config.locale, offer.amount_off)} off` : `${offer.percent_off}% off`;
  const minimum = offer.minimum_order && offer.minimum_order.amount_minor > 0
    ? ` of ${money(config.locale, offer.minimum_order)} or more` : "";

  const host = el("rapport-welcome");
  const root = host.attachShadow({ mode: "open" });
  root.adoptedStyleSheets = [sheet];
  const who = invitation.advocate || "A friend";
  const close = el("button", { type: "button", class: "close", "aria-label": "Close the invitation" }, el("span", { "aria-hidden": "true" }, "×"));
  const status = el("p", { class: "field-error", role: "status" });
  const email = el("input", { type: "email", id: "rapport-welcome-email", name: "email", autocomplete: "email", required: "" });
  const name = el("input", { type: "text", id: "rapport-welcome-name", name: "first_name", autocomplete: "given-name", maxlength: "40" });
  const submit = el("button", { type: "submit", class: "primary", part: "button" }, "Get my code");
  // The friend's first name is shown to whoever invited them only if they give it.
  const form = el("form", { class: "claim", novalidate: "" },
    el("label", { for: "rapport-welcome-email" }, "Your e-mail address"),
    el("span", { class: "claim-row" }, email, submit),
    el("label", { for: "rapport-welcome-name" }, `Your first name (optional: ${invitation.advocate ? invitation.advocate : "your friend"} will see it)`),
    name);
  const panel = el("aside", { class: "welcome", part: "welcome", "aria-labelledby": "rapport-welcome-title" },
    close,
    el("h2", { id: "rapport-welcome-title", part: "title" }, `${who} invited you to ${invitation.shop_name}`),
    el("p", {}, `Get ${off} your first order${minimum}.`),
    form, status);
  root.append(panel);
  document.body.append(host);

  close.addEventListener("click", () => {
    keep({ code, at: Date.now(), closed: true });
    host.remove();
  });
  host.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close.click();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!email.value.includes("@")) {
      status.textContent = "Enter your e-mail address.";
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
          ? "This offer is for new customers invited by a friend."
          : (body && body.error && claim.status === 400 ? "Enter your e-mail address." : "Something went wrong. Please try again.");
        submit.disabled = false;
        return;
      }
      keep({ code, at: Date.now(), closed: true });
      const copy = el("button", { type: "button", class: "copy", part: "button" }, "Copy");
      copy.addEventListener("click", () => {
        navigator.clipboard?.writeText(body.discount_code).then(
          () => { status.textContent = "Copied"; },
          () => { status.textContent = "Select the code and copy it."; },
        );
      });
      const done = el("div", { class: "claimed" },
        el("p", {}, "Your code, for one order:"),
        el("span", { class: "code-box" }, el("code", { class: "code", part: "code" }, body.discount_code), copy));
      form.replaceWith(done);
      copy.focus();
    } catch (error) {
      report("welcome banner", error);
      status.textContent = "Something went wrong. Please try again.";
      submit.disabled = false;
    }
  });
}
