// SPDX-License-Identifier: AGPL-3.0-only
// The directory (名录): the organisations of the community by name — the property company,
// shops, service providers, payees, organisers — each with its category, the contact it
// chose to publish and the full address of its wallet; and, for a connected organisation,
// its own entry signed in the wallet (EIP-712, no gas). People are never listed here.

import { t } from "../i18n.js";
import { dateTime, esc } from "../format.js";
import { forgetNames, loadNames } from "../names.js";
import { ApiError } from "../api.js";
import { runStep } from "../tx.js";
import { busy, empty, html, whoAmI } from "../ui.js";
import { session, sessionRequest, signIn } from "../vault.js";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function entryCard(entry, chosen) {
  return `<article class="card directory-entry${chosen ? " chosen" : ""}" data-testid="directory-entry" data-address="${esc(entry.organisation)}">
    <header class="card-head"><h2>${esc(entry.name)}</h2><span class="tag">${esc(t(`directory.category.${entry.category}`))}</span></header>
    <dl class="facts">
      ${entry.contact ? `<dt>${esc(t("directory.contact"))}</dt><dd data-testid="contact">${esc(entry.contact)}</dd>` : ""}
      <dt>${esc(t("directory.wallet"))}</dt><dd><code class="wrap" data-testid="wallet">${esc(entry.organisation)}</code></dd>
      <dt>${esc(t("directory.setBy"))}</dt><dd>${esc(t(`directory.setBy.${entry.set_by}`, { when: dateTime(entry.issued_at) }))}</dd>
    </dl></article>`;
}

export async function render(ctx, view, params, current) {
  const wanted = ADDRESS.test(params[0] ?? "") ? params[0].toLowerCase() : null;
  html(view, `<h1>${esc(t("directory.title"))}</h1><p class="muted">${esc(t("directory.intro"))}</p>`);
  const directory = await loadNames(ctx);
  if (!current()) return;
  if (!directory.domain) {
    html(view, empty(t("directory.unavailable")));
    return;
  }
  const filter = html(view, `<label class="inline">${esc(t("directory.filter"))}
    <select data-testid="directory-filter"><option value="">${esc(t("directory.all"))}</option>
      ${directory.categories.map((c) => `<option value="${esc(c)}">${esc(t(`directory.category.${c}`))}</option>`).join("")}</select></label>`);
  const list = html(view, `<div class="stack" data-testid="directory"></div>`);
  const draw = (category) => {
    list.replaceChildren();
    let shown = directory.items.filter((e) => !category || e.category === category);
    if (wanted) shown = shown.filter((e) => e.organisation.toLowerCase() === wanted);
    if (wanted && !shown.length) {
      html(list, `<section class="card" data-testid="not-named"><p>${esc(t("directory.notNamed"))}</p><code class="wrap">${esc(params[0])}</code></section>`);
    } else if (!shown.length) {
      html(list, empty(t("directory.none")));
    }
    for (const entry of shown) html(list, entryCard(entry, Boolean(wanted)));
    if (wanted) html(list, `<p><a href="#/directory">${esc(t("directory.everyone"))}</a></p>`);
  };
  filter.querySelector("select").addEventListener("change", (event) => draw(event.target.value));
  draw("");
  if (!ctx.account) return;
  const me = await whoAmI(ctx).catch(() => null);
  if (!current()) return;
  // A person's wallet cannot be listed: the form is for organisations (and the committee).
  if (!me?.member) ownEntry(ctx, view, directory);
  if (me?.has("committee")) committeeEntry(ctx, view, directory, params[0]);
}

function wordsFields(directory, entry) {
  return `<label>${esc(t("directory.name"))}<input name="name" required maxlength="60" value="${esc(entry?.name ?? "")}"></label>
    <label>${esc(t("directory.category"))}<select name="category">${directory.categories.map((c) =>
      `<option value="${esc(c)}"${entry?.category === c ? " selected" : ""}>${esc(t(`directory.category.${c}`))}</option>`).join("")}</select></label>
    <label>${esc(t("directory.contact"))}<input name="contact" maxlength="120" value="${esc(entry?.contact ?? "")}"
      placeholder="${esc(t("directory.contactHint"))}"></label>
    <p class="small muted">${esc(t("directory.contactRule"))}</p>`;
}

/** A committee member names another wallet (a payee, the property company) under the
 * vault's session: the backend checks the committee role in the registry. The Safe's own
 * signature (EIP-1271) is for tools that collect its members' signatures. */
function committeeEntry(ctx, view, directory, address) {
  const form = html(view, `<form class="card" data-testid="committee-directory-form">
    <h2>${esc(t("directory.committeeTitle"))}</h2><p class="muted small">${esc(t("directory.committeeIntro"))}</p>
    <label>${esc(t("directory.wallet"))}<input name="organisation" required pattern="0x[0-9a-fA-F]{40}" value="${esc(ADDRESS.test(address ?? "") ? address : "")}"></label>
    ${wordsFields(directory, null)}
    <div class="actions"><button type="submit" class="primary">${esc(t("directory.committeeSave"))}</button></div></form>`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, () => runStep(t("directory.signTitle"), async (progress) => {
      const saved = session(ctx.account) ?? await signIn(ctx);
      progress(t("directory.sending"));
      try {
        await sessionRequest("PUT", `${ctx.api.base}/directory/${form.organisation.value.trim()}`, {
          token: saved.token,
          body: { name: form.name.value.normalize("NFC").trim(), category: form.category.value,
                  contact: form.contact.value.normalize("NFC").trim() },
        });
      } catch (error) {
        throw error instanceof ApiError ? refusal(error) : error;
      }
      forgetNames();
      ctx.rerender();
    }, t("directory.published")));
  });
}

// The backend's refusals of an entry, in the resident's words (its own sentence kept for the rest).
const REFUSALS = [
  [/owner or resident/, "directory.refused.person"], [/mobile number/, "directory.refused.mobile"],
  [/identity card/, "directory.refused.idCard"], [/not a number an organisation publishes/, "directory.refused.number"],
  [/characters/, "directory.refused.length"], [/not newer/, "directory.refused.stale"],
  [/signature is not/, "directory.refused.signature"],
];

function refusal(error) {
  const detail = typeof error.detail === "string" ? error.detail : "";
  const found = REFUSALS.find(([pattern]) => pattern.test(detail));
  const key = found ? found[1] : error.status === 403 ? "directory.refused.notYours" : "directory.refused.other";
  return Object.assign(new Error(detail), { i18nKey: key, i18nVars: { detail } });
}

/** The connected wallet's own entry: signed in the wallet, sent to the backend. */
function ownEntry(ctx, view, directory) {
  const mine = directory.items.find((e) => e.organisation.toLowerCase() === ctx.account.toLowerCase());
  const form = html(view, `<form class="card" data-testid="directory-form">
    <h2>${esc(t("directory.formTitle"))}</h2><p class="muted small">${esc(t("directory.formIntro"))}</p>
    ${wordsFields(directory, mine)}
    <div class="actions"><button type="submit" class="primary">${esc(t("directory.sign"))}</button></div></form>`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, () => runStep(t("directory.signTitle"), async (progress) => {
      const signer = await ctx.wallet.signer();
      const entry = {
        organisation: ctx.account, name: form.name.value.normalize("NFC").trim(), category: form.category.value,
        contact: form.contact.value.normalize("NFC").trim(), issuedAt: BigInt(Math.floor(Date.now() / 1000)),
      };
      const { EIP712Domain, ...types } = directory.types;
      const signature = await signer.signTypedData(directory.domain, types, entry);
      progress(t("directory.sending"));
      try {
        await ctx.api.post(`${ctx.api.base}/directory`, {
          organisation: entry.organisation, name: entry.name, category: entry.category, contact: entry.contact,
          issued_at: Number(entry.issuedAt), signature,
        });
      } catch (error) {
        throw error instanceof ApiError ? refusal(error) : error;
      }
      forgetNames();
      ctx.rerender();
    }, t("directory.published")));
  });
}
