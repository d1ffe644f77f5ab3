// Rapport loader: the one script a merchant embeds.
//
//   <script type="module" src="https://RAPPORT_HOST/rapport.js" data-shop="SHOP" async></script>
//
// It defines the <rapport-*> elements, gives each a shadow root with the widget styles and its
// reserved space, and loads the WebAssembly once, only when a widget comes near the viewport.
// It never throws into the host page: failures become a small inline notice and a console line
// prefixed with [rapport].
// __RAPPORT_CSS__, __RAPPORT_STYLES__, __RAPPORT_MODULE__, __RAPPORT_WELCOME__ and __RAPPORT_STARS__ are filled in at build time. Element properties that
// end in `_` are the loader's own and are shortened by the build; `rapportLive` (the widget's
// WebAssembly has taken over) is read by tests and tools.

const TAG = "[rapport]";
const report = (...args) => console.error(TAG, ...args);

// The shopper's locale as `language[-Script][-REGION]`, the shape the Worker renders views in.
const tag = (locale) => {
  try {
    const l = new Intl.Locale(locale);
    return [l.language, l.script, l.region].filter(Boolean).join("-");
  } catch (_) {
    return "en-US";
  }
};

try {
  const here = import.meta.url;
  const script = Array.from(document.querySelectorAll("script[src]")).find((s) => s.src === here);
  const data = (script && script.dataset) || {};
  const config = {
    api: (data.api || new URL(here).origin).replace(/\/+$/, ""),
    shop: data.shop || "",
    locale: tag(data.locale || document.documentElement.lang || navigator.language),
    customerToken: data.customerToken || "",
    consent: data.consent || "none",
  };

  // Two stylesheet objects, adopted by every widget's shadow root: the frame (each widget's
  // reserved box, and the star badges), here, and the widgets' own styles, fetched once beside
  // the module and cached for good. No view is drawn before they are in. Every browser that has
  // adoptable stylesheets (all since 2023) also has the observers and :focus-visible used below.
  const frame = new CSSStyleSheet();
  frame.replaceSync(__RAPPORT_CSS__);
  const sheet = new CSSStyleSheet();
  let styling = null;
  const styles = () =>
    (styling ||= fetch(new URL(__RAPPORT_STYLES__, here).href)
      .then((res) => {
        if (!res.ok) throw new Error(`the widget styles: HTTP ${res.status}`);
        return res.text();
      })
      .then((css) => sheet.replace(css))
      // Unstyled is still readable, inside the reserved box.
      .catch((error) => report("styles", error)));

  // The widgets' WebAssembly: one module in parts (see ARCHITECTURE.md). Importing it fetches
  // the small main part; each widget's own code, and the code the widgets share, is fetched the
  // first time a widget of that kind mounts, so a page pays only for the widgets it shows.
  let loading = null;
  const importModule = () =>
    (loading ||= import(new URL(__RAPPORT_MODULE__, here).href).then(async (m) => {
      await m.default();
      return m;
    }));
  // The rendered first views of the page's widgets, on their way: no WebAssembly is fetched
  // before they are shown, so it never competes with the shopper's first sight of a widget.
  const views = [];
  const load = async () => {
    await Promise.allSettled([...views, styles()]);
    // And drawn: the module is requested after the frame that shows them.
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r)));
    return importModule();
  };

  const notice = (box, text) => {
    const p = document.createElement("p");
    p.className = "notice";
    p.setAttribute("part", "notice");
    p.textContent = text;
    box.replaceChildren(p);
  };

  // Words the loader draws itself, in the shopper's language (shared::i18n): fetched once per
  // widget kind, only when needed; these English ones when they cannot be had.
  const EN = {
    "loader.reviews_failed": "Reviews could not be loaded.",
    "loader.reviews_unavailable": "Reviews are not available for this product.",
    "loader.rewards_failed": "Rewards could not be loaded.",
    "loader.referrals_failed": "Referrals could not be loaded.",
    "loader.recommendations_failed": "Recommendations could not be loaded.",
    "loader.nothing_yet": "Nothing to show here yet.",
    "common.unavailable": "This section cannot respond right now. Please reload the page.",
  };
  const wordsOf = new Map();
  const words = (widget) => {
    if (!wordsOf.has(widget)) {
      const url = `${config.api}/v1/shops/${encodeURIComponent(config.shop)}/strings?for=${widget}&locale=${encodeURIComponent(config.locale)}`;
      wordsOf.set(widget, fetch(url).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`)))));
    }
    return wordsOf.get(widget);
  };
  const say = (box, key) =>
    words("loader").then((w) => w.strings[key] || EN[key], () => EN[key]).then((text) => notice(box, text));
  // A plural key's form for `n` in the words' language.
  const plural = (w, key, n) => {
    const form = new Intl.PluralRules(w.lang).select(n);
    return w.strings[`${key}#${form}`] || w.strings[`${key}#other`] || "";
  };
  // The data a view was drawn from and its words, taken out of the DOM once read.
  const takeView = (node) => {
    const data = node.querySelector("script.rapport-data");
    const strings = node.querySelector("script.rapport-strings");
    const view = { data: JSON.parse(data.textContent), strings: strings ? JSON.parse(strings.textContent) : { lang: "en", strings: {} } };
    data.remove();
    if (strings) strings.remove();
    return view;
  };

  // The fold (see widgets/src/fold.rs): a widget keeps the height the page reserved, and the part
  // of its first view that does not fit is clipped. The host is marked `clipped` while the fold
  // hides something, and `expanded` (it grows to fit) on the shopper's first click or key press in
  // it, or when they tab to something the fold hides. Layout-shift scoring ignores what follows a
  // shopper's input, so the page never jumps on its own.
  const measureFold = (host) => {
    const fold = host.shadowRoot.querySelector(".fold");
    const content = fold && fold.firstElementChild;
    if (!content) return;
    host.toggleAttribute("clipped", !host.hasAttribute("expanded") && content.offsetHeight > fold.clientHeight);
  };
  const folds = new ResizeObserver((entries) => {
    for (const e of entries) {
      // A fold that was replaced (the module took over a rendered view) is no longer measured.
      const host = e.target.getRootNode().host;
      if (host) measureFold(host);
      else folds.unobserve(e.target);
    }
  });
  const watchFold = (host, root) => {
    const expand = () => host.setAttribute("expanded", "");
    root.addEventListener("click", expand);
    root.addEventListener("focusin", (event) => {
      // Only for focus from the keyboard, on something inside the fold that it hides: what a
      // mouse presses must not move away before the button is released, or the click is lost.
      const fold = root.querySelector(".fold");
      const target = event.target;
      if (!fold || !fold.contains(target) || !target.matches(":focus-visible")) return;
      if (target.getBoundingClientRect().bottom > fold.getBoundingClientRect().bottom + 1) expand();
    });
    let watched = null;
    // The widget draws its fold when its data arrives; the content and the box change size as
    // data, fonts and the page's width do.
    new MutationObserver(() => {
      const fold = root.querySelector(".fold");
      if (!fold || fold === watched) return;
      if (watched) {
        folds.unobserve(watched);
        if (watched.firstElementChild) folds.unobserve(watched.firstElementChild);
      }
      watched = fold;
      folds.observe(fold);
      folds.observe(fold.firstElementChild);
    }).observe(root, { childList: true, subtree: true });
  };

  const nearViewport = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) {
          nearViewport.unobserve(entry.target);
          entry.target.mount_();
        }
      }
    },
    { rootMargin: "600px 0px" },
  );

  // A widget's first view comes as HTML rendered by the Worker (see edge/src/handlers/views.rs):
  // fetched here, or already in the page as a declarative shadow root that the merchant's server
  // put there. The WebAssembly loads later — when the page is idle, or at once when the shopper
  // reaches for the widget — and mounts the same view from the data embedded with the HTML,
  // then takes the rendered one's place. A click that lands before then is replayed on the same
  // control once the widget is live.
  const parseView = (html) => {
    const t = document.createElement("template");
    t.innerHTML = html;
    const shadow = t.content.querySelector("template");
    return { view: shadow ? shadow.content : t.content, rest: t.content };
  };
  const pathOf = (box, node) => {
    const path = [];
    for (let n = node; n && n !== box; n = n.parentNode) {
      if (!n.parentNode) return null;
      path.unshift(Array.prototype.indexOf.call(n.parentNode.children, n));
    }
    return path;
  };
  const readView = async (res) => {
    if (res.ok) return parseView(await res.text());
    const error = new Error(`HTTP ${res.status}`);
    error.status = res.status;
    error.notFound = res.status === 404;
    error.code = await res.json().then((b) => b.error.code, () => "");
    throw error;
  };
  const nodeAt = (box, path) => path.reduce((n, i) => n && n.children[i], box);
  const idle = (fn) =>
    "requestIdleCallback" in window ? requestIdleCallback(fn, { timeout: 3000 }) : setTimeout(fn, 200);

  class RapportElement extends HTMLElement {
    connectedCallback() {
      if (this.connected_) return; // moved in the DOM, or connected twice: mount once
      this.connected_ = true;
      if (this.viewsProduct_) sawProduct(this.getAttribute("product"));
      // A declarative shadow root from the page's HTML already holds the first view.
      const root = this.shadowRoot || this.attachShadow({ mode: "open" });
      root.adoptedStyleSheets = [frame, sheet];
      if (!this.badge_) styles();
      this.box_ = root.querySelector('[part="root"]');
      if (!this.box_) {
        this.box_ = document.createElement("div");
        this.box_.setAttribute("part", "root");
        root.append(this.box_);
      }
      if (this.folds_) watchFold(this, root);
      if (this.rendered_) this.firstView_(root);
      if (!this.eager_()) nearViewport.observe(this);
      else this.mount_();
    }

    // Elements that are on screen wherever they sit in the page load at once.
    eager_() {
      return false;
    }

    // The rendered first view: in place already, or fetched now. Clicks on it before the
    // WebAssembly is live are kept for it, and the first one loads it at once.
    firstView_(root) {
      this.clicks_ = [];
      const keep = (event) => {
        if (this.rapportLive) return;
        if (this.broken_) {
          this.unavailable_();
          return;
        }
        const target = event.target.closest && event.target.closest("button, select, [role=button]");
        if (!target || !this.box_.contains(target)) return;
        const path = pathOf(this.box_, target);
        if (path) this.clicks_.push(path);
        this.mount_();
      };
      root.addEventListener("click", keep, true);
      // The data the view was drawn from and its words are read once and taken out of the DOM.
      const existing = root.querySelector("script.rapport-data");
      this.view_ = existing
        ? Promise.resolve().then(() => takeView(root))
        : Promise.resolve()
          .then(() => {
            if (!config.shop) throw new Error("the Rapport script tag needs a data-shop attribute");
            return Promise.all([this.fetchView_(), styles()]);
          })
          .then(([{ view, rest }]) => {
            for (const ld of rest.querySelectorAll('script[type="application/ld+json"]')) {
              const product = CSS.escape(ld.getAttribute("data-rapport-product"));
              const old = document.head.querySelector(`script[data-rapport-product="${product}"]`);
              if (old) old.replaceWith(ld);
              else document.head.append(ld);
            }
            const markup = view.querySelector('[part="root"]');
            if (!markup || !view.querySelector("script.rapport-data")) throw new Error("the rendered view is incomplete");
            const parsed = takeView(view);
            if (markup.dir) this.box_.dir = markup.dir;
            this.box_.replaceChildren(...markup.childNodes);
            return parsed;
          });
      views.push(this.view_);
      this.view_.catch((error) => {
        if (this.refused_(error)) return;
        const key = error.notFound ? this.notFound_ : this.failed_;
        if (key) say(this.box_, key);
        report(this.localName, error);
      });
    }

    // An answer the widget handles itself (true), rather than with a notice.
    refused_() {
      return false;
    }

    // What the shopper reads when the widget cannot show anything (keys of the loader's words):
    // `failed_` (every rendered widget has its own) and `notFound_`.

    // A widget with a shopper's own view (`own_`), signed in: that view. A token the Worker
    // refuses (expired, or not the shop's) gets the signed-out one, which asks the shopper to
    // sign in again.
    async fetchView_() {
      if (this.own_ && config.customerToken) {
        const res = await fetch(this.viewUrl_(false), { headers: { authorization: `Bearer ${config.customerToken}` } });
        if (res.status !== 401) return readView(res);
        report(this.localName, new Error("the page's shopper token was refused; showing the signed-out view"));
        this.expired_ = true;
      }
      return readView(await fetch(this.viewUrl_(this.expired_)));
    }

    // Near the viewport: the WebAssembly loads when the page is idle (a click on the rendered
    // view has already started it).
    mount_() {
      if (this.waiting_ || this.mounted_) return;
      if (!this.clicks_.length) {
        this.waiting_ = true;
        idle(() => {
          this.waiting_ = false;
          this.start_();
        });
        return;
      }
      this.start_();
    }

    async start_() {
      if (this.mounted_) return;
      this.mounted_ = true;
      const view = await this.view_.catch(() => null);
      if (!view) return; // the notice is showing
      try {
        const wasm = await load();
        // Drawn aside from the same data, then swapped in whole: the same DOM, in one step.
        const box = document.createElement("div");
        box.setAttribute("part", "root");
        if (view.strings.rtl) box.dir = "rtl";
        await this.render_(wasm, box, view.data, view.strings);
        const root = this.shadowRoot;
        const focused = root.activeElement && pathOf(this.box_, root.activeElement);
        this.box_.replaceWith(box);
        this.box_ = box;
        this.rapportLive = true;
        if (focused) {
          const again = nodeAt(box, focused);
          if (again && again.focus) again.focus();
        }
        for (const path of this.clicks_.splice(0)) {
          const control = nodeAt(box, path);
          if (control && control.click) control.click();
        }
      } catch (error) {
        // The rendered view stays readable; the first control the shopper uses (or has used)
        // says that it cannot respond.
        report(this.localName, error);
        this.broken_ = true;
        if (this.clicks_.length) this.unavailable_();
      }
    }

    // The WebAssembly failed: a short notice beside the widget's own controls, once.
    unavailable_() {
      const root = this.shadowRoot;
      if (root.querySelector(".unavailable")) return;
      const p = document.createElement("p");
      p.className = "notice unavailable";
      p.setAttribute("part", "notice");
      p.setAttribute("role", "status");
      this.view_.then((v) => v.strings.strings["common.unavailable"], () => "").then((text) => {
        p.textContent = text || EN["common.unavailable"];
      });
      const foot = root.querySelector(".fold-foot");
      if (foot) foot.prepend(p);
      else this.box_.append(p);
    }
  }

  class RapportReviews extends RapportElement {
    get viewsProduct_() {
      return true;
    }

    get folds_() {
      return true;
    }

    get rendered_() {
      return true;
    }

    get failed_() {
      return "loader.reviews_failed";
    }

    get notFound_() {
      return "loader.reviews_unavailable";
    }

    get product_() {
      const product = this.getAttribute("product");
      if (!product) throw new Error("<rapport-reviews> needs a product attribute");
      return product;
    }

    viewUrl_() {
      const shop = encodeURIComponent(config.shop);
      const locale = encodeURIComponent(config.locale);
      return `${config.api}/v1/shops/${shop}/products/${encodeURIComponent(this.product_)}/reviews.html?locale=${locale}&css=none`;
    }

    render_(wasm, box, data, strings) {
      return wasm.mount_reviews(box, config.api, config.shop, config.locale, config.customerToken, strings, this.product_, data);
    }
  }

  // <rapport-loyalty mode="launcher">: a floating button in the corner, always on screen, so it
  // loads without waiting to come near the viewport. Without `mode` it is an inline panel.
  class RapportLoyalty extends RapportElement {
    get folds_() {
      return this.getAttribute("mode") !== "launcher";
    }

    eager_() {
      return this.getAttribute("mode") === "launcher";
    }

    get rendered_() {
      return true;
    }

    get mode_() {
      return this.getAttribute("mode") === "launcher" ? "launcher" : "inline";
    }

    // A floating button that cannot load stays out of the way; the panel says so in place.
    get failed_() {
      return this.mode_ === "launcher" ? "" : "loader.rewards_failed";
    }

    get notFound_() {
      return this.failed_;
    }

    viewUrl_(expired) {
      const shop = encodeURIComponent(config.shop);
      const locale = encodeURIComponent(config.locale);
      return `${config.api}/v1/shops/${shop}/loyalty.html?locale=${locale}&mode=${this.mode_}&css=none${expired ? "&expired=1" : ""}`;
    }

    get own_() {
      return true;
    }

    // A shop without a loyalty programme: the element gives back the space it reserved.
    refused_(error) {
      if (error.code !== "loyalty_not_enabled") return false;
      this.setAttribute("hidden", "");
      console.warn(TAG, "this shop has no loyalty programme; <rapport-loyalty> stays empty");
      return true;
    }

    render_(wasm, box, data, strings) {
      return wasm.mount_loyalty(box, config.api, config.shop, config.locale, config.customerToken, strings, this.mode_, data, !!this.expired_);
    }
  }

  // <rapport-referral>: the shopper's referral link, shares and figures; signed out, the offer.
  class RapportReferral extends RapportElement {
    get folds_() {
      return true;
    }

    get rendered_() {
      return true;
    }

    get failed_() {
      return "loader.referrals_failed";
    }

    get notFound_() {
      return this.failed_;
    }

    viewUrl_() {
      return `${config.api}/v1/shops/${encodeURIComponent(config.shop)}/referrals.html?locale=${encodeURIComponent(config.locale)}&css=none`;
    }

    // Signed in, the advocate's own view.
    get own_() {
      return true;
    }

    refused_(error) {
      if (error.code !== "referral_not_enabled") return false;
      this.setAttribute("hidden", "");
      console.warn(TAG, "this shop has no referral programme; <rapport-referral> stays empty");
      return true;
    }

    render_(wasm, box, data, strings) {
      const token = this.expired_ ? "" : config.customerToken;
      return wasm.mount_referral(box, config.api, config.shop, config.locale, token, strings, data);
    }
  }

  // A friend arriving by a referral link (`?ref=CODE`) sees a welcome banner, drawn without
  // WebAssembly by a small module fetched only then. That module keeps the arrival in the browser
  // (to show the banner on the next pages, for 30 days, until the friend claims or closes it)
  // only when `data-consent` allows `referral`.
  const consents = config.consent.split(/[\s,]+/);
  const keepArrival = consents.includes("referral") || consents.includes("all");
  const arrival = () => {
    const code = new URLSearchParams(location.search).get("ref");
    if (code || !keepArrival) return code;
    try {
      const kept = JSON.parse(localStorage.getItem(`rapport:referral:${config.shop}`));
      return kept && Date.now() - kept.at < 30 * 86400e3 ? kept.code : null;
    } catch (_) {
      return null;
    }
  };
  const code = config.shop && arrival();
  if (code) {
    Promise.all([import(new URL(__RAPPORT_WELCOME__, here).href), styles()])
      .then(([m]) => m.welcome({ config, sheets: [frame, sheet], code, keepArrival, report }))
      .catch((error) => report("welcome banner", error));
  }

  // Product views, with consent only (`recommendations` or `all` in data-consent): the products
  // of the page's <rapport-reviews> and <rapport-recommendations> go into this browser's history
  // (localStorage, the latest 20, for "recently viewed" and "for you") and, batched, to the Worker
  // as an anonymous beacon: a random id for this tab (sessionStorage), no cookie, no customer id.
  // Without consent nothing is kept and nothing is sent.
  const consentRecs = consents.includes("recommendations") || consents.includes("all");
  const viewedKey = `rapport:viewed:${config.shop}`;
  const viewed = () => {
    if (!consentRecs) return [];
    try {
      const list = JSON.parse(localStorage.getItem(viewedKey) || "[]");
      return Array.isArray(list) ? list.filter((s) => typeof s === "string").slice(-20) : [];
    } catch (_) {
      return [];
    }
  };
  const pageViews = [];
  let beaconTimer = 0;
  const sendViews = () => {
    beaconTimer = 0;
    const views = pageViews.splice(0, 20);
    if (!views.length) return;
    try {
      let session = sessionStorage.getItem("rapport:session");
      if (!session) {
        session = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
        sessionStorage.setItem("rapport:session", session);
      }
      navigator.sendBeacon(`${config.api}/v1/shops/${encodeURIComponent(config.shop)}/events`, JSON.stringify({ session, views }));
    } catch (error) {
      report("product views", error);
    }
  };
  const sawProduct = (sku) => {
    if (!consentRecs || !sku || !config.shop || pageViews.includes(sku)) return;
    pageViews.push(sku);
    try {
      const list = viewed().filter((s) => s !== sku);
      list.push(sku);
      localStorage.setItem(viewedKey, JSON.stringify(list.slice(-20)));
    } catch (_) {
      // Storage may be blocked: the beacon still goes.
    }
    beaconTimer ||= setTimeout(sendViews, 1000);
  };
  addEventListener("pagehide", () => {
    if (beaconTimer) clearTimeout(beaconTimer);
    sendViews();
  });

  // Arrow keys, Home and End move between a row's cards (Tab goes through them too).
  const rowKeys = (host, root) =>
    root.addEventListener("keydown", (event) => {
      const keys = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity };
      const step = keys[event.key];
      if (!step) return;
      const links = Array.from(root.querySelectorAll(".card-link[href]"));
      const at = links.indexOf(root.activeElement);
      if (at < 0) return;
      const rtl = getComputedStyle(host).direction === "rtl";
      const next = Math.abs(step) === Infinity ? (step > 0 ? links.length - 1 : 0) : at + (rtl ? -step : step);
      if (!links[next]) return;
      event.preventDefault();
      links[next].focus();
    });

  // <rapport-recommendations product="SKU" kind="…" heading="…">: a row of product cards. The
  // shop's lists (bought-together, similar, trending) are drawn by the Worker and need no
  // WebAssembly at all: the rendered view is the widget. The shopper's own lists (recently-viewed,
  // for-you) are assembled in the browser by the WebAssembly from this browser's history and the
  // public lists of those products, so the history never leaves the device. While the history
  // holds nothing beyond the page's own product (a first visit), "for you" is drawn by the Worker
  // from that product and the signed-in shopper's purchases, the same blend with no WebAssembly;
  // "recently viewed" with nothing viewed before is the shop's trending list.
  const STORED = ["bought-together", "similar", "trending"];
  class RapportRecommendations extends RapportElement {
    get viewsProduct_() {
      return true;
    }

    // Read once: the page's own product joins the history while the page's widgets connect.
    // "Recently viewed" with nothing viewed before is the shop's trending list, so the space the
    // page reserved is never left empty; "for you" with nothing beyond this page's product in
    // the history is drawn by the Worker (from that product only, and only if the history has it).
    get kind_() {
      if (!this.kindRead_) {
        const kind = this.getAttribute("kind") || (this.getAttribute("product") ? "similar" : "trending");
        const here = this.getAttribute("product");
        const history = viewed();
        const before = history.filter((s) => s !== here && !pageViews.includes(s));
        this.kindRead_ = kind === "recently-viewed" && !before.length ? "trending" : kind;
        // The product the Worker draws "for you" from: the page's own, if the history has it.
        this.atEdge_ = kind === "for-you" && history.every((s) => s === here);
        this.from_ = this.atEdge_ && history.length ? here : "";
      }
      return this.kindRead_;
    }

    // The heading the merchant chose, if any.
    get heading_() {
      return this.getAttribute("heading") || "";
    }

    get rendered_() {
      return STORED.includes(this.kind_) || this.atEdge_;
    }

    get failed_() {
      return "loader.recommendations_failed";
    }

    get notFound_() {
      return "";
    }

    viewUrl_() {
      const kind = this.kind_;
      const params = new URLSearchParams({ locale: config.locale, css: "none" });
      const product = this.atEdge_ ? this.from_ : this.getAttribute("product");
      if (product && kind !== "trending") params.set("product", product);
      if (this.heading_) params.set("heading", this.heading_);
      return `${config.api}/v1/shops/${encodeURIComponent(config.shop)}/recommendations/${encodeURIComponent(kind)}.html?${params}`;
    }

    // Signed in, "for you" draws from the shopper's purchases too.
    get own_() {
      return this.kind_ === "for-you";
    }

    hide_(why) {
      this.setAttribute("hidden", "");
      console.warn(TAG, `<rapport-recommendations kind="${this.getAttribute("kind") || this.kind_}"> stays empty: ${why}`);
    }

    // A shop without a catalog yet, or a product it does not have: the element gives back its space.
    refused_(error) {
      if (error.code !== "no_recommendations" && error.code !== "product_not_found") return false;
      this.hide_(error.code === "no_recommendations" ? "this shop has no catalog yet" : "the product is not in the catalog");
      return true;
    }

    mount_() {
      if (this.mounted_) return;
      this.mounted_ = true;
      rowKeys(this, this.shadowRoot);
      if (this.rendered_) {
        this.view_.then((view) => {
          if (!view.data.count) this.hide_("no products to show");
          this.rapportLive = true;
        }, () => {});
        return;
      }
      idle(() => this.assemble_());
    }

    async assemble_() {
      const history = viewed();
      try {
        const [wasm, strings] = await Promise.all([load(), words("recs")]);
        const box = document.createElement("div");
        box.setAttribute("part", "root");
        if (strings.rtl) box.dir = "rtl";
        const count = await wasm.mount_recommendations(box, config.api, config.shop, config.locale, config.customerToken, strings,
          this.kind_, this.heading_, this.getAttribute("product") || "", history);
        // The products viewed have left the catalog: the space stays, with a word.
        if (!count) {
          say(this.box_, "loader.nothing_yet");
          return;
        }
        this.box_.replaceWith(box);
        this.box_ = box;
        this.rapportLive = true;
      } catch (error) {
        report(this.localName, error);
        say(this.box_, this.failed_);
      }
    }
  }

  // <rapport-stars product="SKU">: a compact star badge for collection pages. It needs no
  // WebAssembly: a small module (stars.js), fetched when the first badge comes near the viewport,
  // draws every badge of the page from one batched request.
  let badges = null;
  class RapportStars extends RapportElement {
    // A badge needs the frame's rules only: a collection page fetches no other styles.
    get badge_() {
      return true;
    }

    mount_() {
      if (this.mounted_) return;
      this.mounted_ = true;
      (badges ||= import(new URL(__RAPPORT_STARS__, here).href))
        .then((m) => m.badge(this, this.box_, { config, words, plural, report }))
        .catch((error) => report(this.localName, error));
    }
  }

  if (!customElements.get("rapport-reviews")) customElements.define("rapport-reviews", RapportReviews);
  if (!customElements.get("rapport-loyalty")) customElements.define("rapport-loyalty", RapportLoyalty);
  if (!customElements.get("rapport-referral")) customElements.define("rapport-referral", RapportReferral);
  if (!customElements.get("rapport-stars")) customElements.define("rapport-stars", RapportStars);
  if (!customElements.get("rapport-recommendations")) customElements.define("rapport-recommendations", RapportRecommendations);
} catch (error) {
  report("could not start", error);
}
