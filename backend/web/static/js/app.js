// SPDX-License-Identifier: AGPL-3.0-only
// The frame: configuration, language, wallet, navigation and the page in view.
// A page is one module in ./pages/ exporting `render(ctx, view, params)`; adding one is
// a line in PAGES and its strings in the two dictionaries.

import { Api } from "./api.js";
import { GRANTEE_ROLES } from "./consent.js";
import { currentLang, loadI18n, setLang, t } from "./i18n.js";
import { esc, shortAddress } from "./format.js";
import { explain } from "./tx.js";
import { storedPasskey } from "./passkey.js";
import { Wallet } from "./wallet.js";
import { setOfficial } from "./names.js";

// A `ready: false` page is kept out of the navigation (one whose API has not landed); a page
// with a `role` (or a list of them) is in it only for a wallet that holds that registry role
// (one of them), a `gate` page only
// for wallets the chain admits (the committee: a member of its Safe); each page itself says
// so to others.
export const PAGES = [
  { id: "connect", module: "./pages/connect.js", ready: true },
  { id: "home", module: "./pages/home.js", ready: true },
  { id: "treasury", module: "./pages/treasury.js", ready: true },
  { id: "assembly", module: "./pages/assembly.js", ready: true },
  { id: "notices", module: "./pages/notices.js", ready: true },
  { id: "culture", module: "./pages/culture.js", ready: true },
  { id: "activities", module: "./pages/activities.js", ready: true },
  { id: "services", module: "./pages/services.js", ready: true },
  { id: "points", module: "./pages/points.js", ready: true },
  { id: "suggestions", module: "./pages/suggestions.js", ready: true },
  { id: "directory", module: "./pages/directory.js", ready: true },
  { id: "district", module: "./pages/district.js", ready: true },
  { id: "mydata", module: "./pages/mydata.js", ready: true },
  { id: "cashier", module: "./pages/cashier.js", ready: true, role: "cashier" },
  // What residents granted this wallet (DataConsent's grantee roles: pages/granted.js).
  { id: "granted", module: "./pages/granted.js", ready: true, role: GRANTEE_ROLES },
  { id: "committee", module: "./pages/committee.js", ready: true, gate: "committee" },
  // Reached from the assembly page ("new proposal"), not a tab of its own.
  { id: "propose", module: "./pages/propose.js", ready: true, hidden: true },
];

/** Whether the account in view holds the page's role (any of its roles). */
function holdsRole(page) {
  return [page.role].flat().some((role) => ctx.roles.includes(role));
}

// Roles that open a gated page, asked of the chain once per wallet: "committee" is a
// member (owner) of the committee's Safe.
const gates = new Map();

async function gatesOf(account) {
  if (!account || !ctx.config?.contracts?.CommitteeSafe) return {};
  const key = account.toLowerCase();
  if (!gates.has(key)) {
    gates.set(key, import("./pages/committee.js")
      .then(({ isCommitteeMember }) => isCommitteeMember(ctx, account))
      .then((committee) => ({ committee }))
      .catch(() => ({})));
  }
  return gates.get(key);
}

// Large text and high contrast: a class on <html> (css/app.css), set before the first paint
// by index.html's inline script from the same storage key.
const LARGE_KEY = "linli.large";

function largeText() {
  return document.documentElement.classList.contains("large");
}

function setLargeText(on) {
  document.documentElement.classList.toggle("large", on);
  try {
    localStorage.setItem(LARGE_KEY, on ? "1" : "0");
  } catch { /* storage off: the choice lasts until the page is closed */ }
}

const ctx = { config: null, api: null, wallet: null, account: null, passkey: null, roles: [], gates: {}, rerender: () => route() };

// The roles of the account in view, for the navigation: asked once per account, beside the page.
let rolesOf = null;

function loadRoles() {
  const account = ctx.account;
  if (!ctx.api || account === rolesOf) return;
  rolesOf = account;
  ctx.roles = [];
  if (!account) return;
  ctx.api.get(`/accounts/${account}`).then((me) => {
    if (ctx.account !== account) return;
    ctx.roles = me.roles ?? [];
    if (PAGES.some((p) => p.role && holdsRole(p))) renderChrome();
  }).catch(() => { rolesOf = null; /* asked again with the next page */ });
}
let renderSeq = 0;

function parseHash() {
  const [id, ...params] = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const page = PAGES.find((p) => p.id === id && p.ready) ?? PAGES[0];
  return { page, params };
}

function renderTextToggle() {
  const toggle = document.getElementById("text-toggle");
  toggle.textContent = t("app.largeText");
  toggle.title = t("app.largeTextTitle");
  toggle.setAttribute("aria-pressed", String(largeText()));
}

function renderChrome() {
  document.title = `${t("app.title")} · ${ctx.config?.name ?? ""}`;
  document.getElementById("community-name").textContent = ctx.config?.name ?? "";
  const langToggle = document.getElementById("lang-toggle");
  langToggle.textContent = currentLang() === "zh" ? "EN" : "中文";
  langToggle.lang = currentLang() === "zh" ? "en" : "zh-CN"; // read out in the language it names
  langToggle.title = t("app.language");
  renderTextToggle();
  const button = document.getElementById("account-button");
  const wallet = ctx.wallet;
  if (wallet?.account && wallet.onCommunityChain) {
    button.textContent = shortAddress(wallet.account);
    button.classList.add("connected");
  } else if (ctx.passkey) {
    button.textContent = `${t("passkey.short")} ${shortAddress(ctx.passkey.account)}`;
    button.classList.add("connected");
  } else {
    button.textContent = wallet?.account ? t("connect.switchChain") : t("connect.button");
    button.classList.remove("connected");
  }
  const { page } = parseHash();
  const nav = document.getElementById("nav");
  nav.innerHTML = PAGES.filter((p) => p.ready && !p.hidden && (!p.role || holdsRole(p)) && (!p.gate || ctx.gates[p.gate]))
    .map((p) => `<a href="#/${p.id}" data-page="${p.id}" class="${p.id === page.id ? "active" : ""}"${p.id === page.id ? ' aria-current="page"' : ""}>${esc(t(`nav.${p.id}`))}</a>`)
    .join("");
  // On a phone the tabs scroll sideways: bring the current one into sight (the nav only, not the page).
  const current = nav.querySelector("a.active");
  if (current && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
  }
}

async function route() {
  const seq = ++renderSeq;
  // A connected wallet first; otherwise this phone's passkey account, if it has one.
  ctx.passkey = ctx.wallet?.ready || !ctx.config?.passkeys ? null : storedPasskey(ctx.config);
  ctx.account = ctx.wallet?.ready ? ctx.wallet.account : ctx.passkey?.account ?? null;
  loadRoles();
  ctx.gates = ctx.wallet?.ready ? await gatesOf(ctx.account) : {};
  if (seq !== renderSeq) return;
  renderChrome();
  const { page, params } = parseHash();
  const view = document.getElementById("view");
  view.dataset.page = page.id;
  view.setAttribute("aria-busy", "true");
  try {
    const module = await import(page.module);
    if (seq !== renderSeq) return;
    // Each render draws into a mount of its own: a render overtaken by a newer one (the
    // wallet's chain event and the page's own redraw arriving together) keeps drawing
    // into a mount that is no longer on the page, never beside the newer render.
    const mount = document.createElement("div");
    mount.className = "mount";
    view.replaceChildren(mount);
    await module.render(ctx, mount, params, () => seq === renderSeq);
    // When the page in view is drawn with its data (bench/pages_bench.py reads these marks).
    if (seq === renderSeq) performance.mark("linli:rendered", { detail: page.id });
  } catch (error) {
    if (seq !== renderSeq) return;
    console.error(error);
    view.innerHTML = `<section class="card error" data-testid="load-failed"><h2>${esc(t("app.loadFailed"))}</h2><p>${esc(explain(error))}</p></section>`;
  } finally {
    if (seq === renderSeq) view.setAttribute("aria-busy", "false");
  }
}

async function start() {
  // The dictionaries, the community's configuration and the page's module load side by side.
  const configured = fetch("/api/v1/pages/config")
    .then(async (response) => ({ response, body: await response.json().catch(() => ({})) }))
    .catch((error) => ({ response: null, body: { detail: String(error) } }));
  import(parseHash().page.module).catch(() => null);
  // What the wallet already allowed this site, asked while the rest loads.
  const allowed = Wallet.allowed();
  // Works before the community's configuration arrives (and when it never does).
  document.getElementById("text-toggle").addEventListener("click", () => {
    setLargeText(!largeText());
    renderTextToggle();
    // Canvas charts do not follow CSS: the page draws them again at the new size.
    if (ctx.config && document.querySelector("#view canvas")) route();
  });
  await loadI18n();
  renderTextToggle();
  const { response, body } = await configured;
  if (!response?.ok) {
    document.getElementById("view").innerHTML =
      `<section class="card error" data-testid="no-config"><h2>${esc(t("app.noConfig"))}</h2><p>${esc(response ? t("app.noConfigText") : t("api.unreachable"))}</p>
        ${body.detail ? `<details class="small muted"><summary>${esc(t("common.details"))}</summary><code>${esc(body.detail)}</code></details>` : ""}</section>`;
    document.getElementById("view").setAttribute("aria-busy", "false");
    return;
  }
  ctx.config = body;
  setOfficial(body);
  ctx.api = new Api(body.api);
  ctx.wallet = new Wallet(body);
  ctx.wallet.addEventListener("change", () => route());
  document.getElementById("lang-toggle").addEventListener("click", async () => {
    await setLang(currentLang() === "zh" ? "en" : "zh");
    route();
  });
  document.getElementById("account-button").addEventListener("click", async () => {
    if (ctx.wallet.ready || ctx.passkey || !ctx.wallet.available) {
      location.hash = "#/connect";
      return;
    }
    try {
      await ctx.wallet.connect();
    } catch (error) {
      location.hash = "#/connect";
    }
  });
  window.addEventListener("hashchange", () => route());
  await ctx.wallet.restore(allowed);
  await route();
  document.body.dataset.ready = "true";
}

start();
