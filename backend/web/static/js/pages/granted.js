// SPDX-License-Identifier: AGPL-3.0-only
// Granted to me: for a wallet that holds a role residents can grant their data to (a
// provider, the property manager, a merchant, the committee), the live grants DataConsent
// holds for it (the index's /consent/grantees/<me>/grants) and the read of one: the
// grantee gives the purpose in words, signs in to the vault (Sign-In with Ethereum), and
// the vault logs the read on chain (the purpose's hash) before it answers with the fields.
// The resident sees the read in their access log (pages/mydata.js).
// A resident is shown by the units the registry publishes and their address, never a
// name. The fields read stay in this page's memory only: nothing of them is stored.

import { t } from "../i18n.js";
import { dateTime, duration, esc, shortAddress, shortHash } from "../format.js";
import { loadNames, party } from "../names.js";
import { GRANTEE_ROLES, fieldName, scopeLabel, scopeName, scopes, signInCard, signInStep } from "../consent.js";
import { explain, runStep } from "../tx.js";
import { busy, empty, html, requireAccount, roleName, whoAmI } from "../ui.js";
import { VaultProblem, session, vaultRequest } from "../vault.js";

const PURPOSE_MAX = 200; // the vault's bound (backend/api/routes/vault.py ReadRequest)

/** The vault's refusal of a read in the grantee's words; anything else as every page says it. */
function refusal(error) {
  if ([401, 403, 404, 409].includes(error?.status)) return new VaultProblem(`granted.refused.${error.status}`);
  if (error?.status === 429) {
    const seconds = Number.parseInt(error.retryAfter ?? "", 10);
    return Number.isFinite(seconds) && seconds > 0
      ? new VaultProblem("granted.refused.429", { wait: duration(seconds) }) : new VaultProblem("granted.refused.429Later");
  }
  return error;
}

/** A resident as the registry publishes them: their units' labels, else "a resident". */
function residentLabel(account) {
  const labels = (account?.units ?? []).map((u) => u.label);
  return labels.length ? labels.join("、") : t("granted.noUnit");
}

function readForm(ctx, view, state) {
  const form = html(view, `<form class="card stack-form" data-testid="read-form" novalidate hidden>
    <h2>${esc(t("granted.readTitle"))}</h2>
    <p data-testid="read-target"></p>
    <label class="block">${esc(t("granted.purpose"))} <input type="text" name="purpose" maxlength="${PURPOSE_MAX}" required
      data-testid="read-purpose" autocomplete="off" placeholder="${esc(t("granted.purposePlaceholder"))}"></label>
    <p class="muted small">${esc(t("granted.purposeNote"))}</p>
    <p class="error-text small" data-testid="read-problem" role="alert" hidden></p>
    <div class="actions"><button type="submit" class="primary" data-testid="read-submit">${esc(t("granted.readSubmit"))}</button>
      <button type="button" data-testid="read-cancel">${esc(t("granted.cancel"))}</button></div></form>`);
  const problem = form.querySelector("[data-testid=read-problem]");
  const show = (text) => {
    problem.hidden = !text;
    problem.textContent = text ?? "";
  };
  form.querySelector("[data-testid=read-cancel]").addEventListener("click", () => {
    form.hidden = true;
    state.target = null;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const purpose = form.purpose.value.trim();
    if (!purpose) return show(t("granted.purposeRequired"));
    const target = state.target;
    if (!target) return undefined;
    show(null);
    return busy(form, async () => {
      try {
        // A session first (the wallet signs the vault's sign-in text), then the read.
        if (!state.saved) {
          state.saved = await signInStep(ctx);
          state.redrawSession();
        }
        const answer = await runStep(t("granted.readTx", { scope: scopeName(target.scope), who: target.label }), async () => {
          try {
            return await vaultRequest("POST", `/communities/${ctx.config.community}/residents/${target.resident}/reads`,
              { body: { scope: target.scope, purpose }, token: state.saved.token });
          } catch (error) {
            if (error?.status === 401) {
              state.saved = null; // expired or signed out elsewhere: the next try signs in again
              state.redrawSession();
            }
            throw refusal(error);
          }
        }, t("granted.readDone"));
        state.showResult(target, answer, purpose);
        form.purpose.value = "";
        form.hidden = true;
      } catch (error) {
        show(explain(error));
      }
    });
  });
  return form;
}

/** The fields read, drawn into the page (never stored), with the chain's record of the read. */
function resultCard(view) {
  const card = html(view, `<section class="card" data-testid="read-result" aria-live="polite" hidden></section>`);
  return (target, answer, purpose) => {
    const fields = Object.entries(answer.fields);
    card.innerHTML = `<h2>${esc(t("granted.resultTitle", { scope: scopeName(answer.scope), who: target.label }))}</h2>
      <dl class="facts">${fields.map(([name, value]) => `<dt>${esc(fieldName(name))}</dt><dd data-testid="read-field" data-field="${esc(name)}">${esc(value)}</dd>`).join("")}</dl>
      <p class="muted small">${esc(t("granted.resultNote", { purpose, when: dateTime(answer.accessed_at) }))}
        <code title="${esc(answer.tx_hash)}" data-testid="read-tx">${esc(shortHash(answer.tx_hash))}</code></p>
      <div class="actions"><button type="button" data-testid="read-clear">${esc(t("granted.clear"))}</button></div>`;
    card.hidden = false;
    card.querySelector("[data-testid=read-clear]").addEventListener("click", () => {
      card.replaceChildren();
      card.hidden = true;
    });
    card.scrollIntoView({ block: "nearest" });
  };
}

export async function render(ctx, view, params, current) {
  html(view, `<h1>${esc(t("granted.title"))}</h1>`);
  if (!requireAccount(ctx, view)) return;
  const me = await whoAmI(ctx);
  if (!current()) return;
  const roles = GRANTEE_ROLES.filter((role) => me.has(role));
  if (!roles.length) {
    html(view, `<section class="card notice" data-testid="not-grantee"><p>${esc(t("granted.notGrantee"))}</p></section>`);
    return;
  }
  html(view, `<p class="muted">${esc(t("granted.intro", { roles: roles.map(roleName).join("、") }))}</p>`);
  const [scopeList, grants] = await Promise.all([
    scopes(), ctx.api.get(`/consent/grantees/${ctx.account}/grants`, { state: "live", order: "desc", limit: 100 }),
    loadNames(ctx),
  ]);
  // Each resident's units, as the registry publishes them (no name: people are not named).
  const residents = [...new Set(grants.items.map((g) => g.resident))];
  const accounts = new Map(await Promise.all(residents.map(async (resident) =>
    [resident, await ctx.api.maybe(`/accounts/${resident}`).catch(() => null)])));
  if (!current()) return;
  const byId = new Map(scopeList.map((s) => [s.scope_id, s]));
  const state = { saved: session(ctx.account), target: null };
  const sessionBox = html(view, `<div></div>`);
  state.redrawSession = () => {
    sessionBox.replaceChildren();
    signInCard(ctx, sessionBox, state.saved, { note: "granted.vaultNote" });
  };
  state.redrawSession();

  const rows = grants.items.map((g) => ({ ...g, scopeInfo: byId.get(g.scope), label: residentLabel(accounts.get(g.resident)) }));
  const card = html(view, `<section class="card" data-testid="granted-grants"><h2>${esc(t("granted.grantsTitle"))}</h2>
    <p class="muted small">${esc(t("granted.grantsNote"))}</p>
    ${rows.length ? `<ul class="plain granted-list">${rows.map((g, i) => `<li data-testid="granted-row" data-resident="${esc(g.resident)}" data-scope="${esc(g.scopeInfo?.scope ?? g.scope)}">
      <div class="granted-what"><strong data-testid="resident-unit">${esc(g.label)}</strong> <span class="small">${party(g.resident)}</span>
        <span class="granted-scope">${esc(g.scopeInfo ? scopeLabel(g.scopeInfo) : shortHash(g.scope))}</span>
        <span class="muted small"><span data-testid="granted-expiry">${esc(t("granted.until", { when: dateTime(g.expiry) }))}</span>
          · ${esc(t("granted.readsSoFar"))} <span data-testid="granted-reads">${g.accesses}</span></span></div>
      ${g.scopeInfo ? `<button type="button" data-row="${i}" data-testid="read">${esc(t("granted.read"))}</button>` : ""}</li>`).join("")}
      </ul>` : empty(t("granted.none"))}
    ${grants.next_cursor ? `<p class="muted small" data-testid="granted-more">${esc(t("granted.more", { n: rows.length }))}</p>` : ""}</section>`);
  const form = readForm(ctx, view, state);
  const showResult = resultCard(view);
  state.showResult = (target, answer, purpose) => {
    showResult(target, answer, purpose);
    // The chain logged one more read under this grant (the index shows it on the next visit).
    const reads = target.row.querySelector("[data-testid=granted-reads]");
    reads.textContent = String(Number(reads.textContent) + 1);
  };
  card.querySelectorAll("[data-testid=read]").forEach((button) => button.addEventListener("click", () => {
    const g = rows[Number(button.dataset.row)];
    state.target = { resident: g.resident, scope: g.scopeInfo.scope, label: g.label, row: button.closest("li") };
    form.querySelector("[data-testid=read-target]").textContent =
      t("granted.readTarget", { scope: scopeLabel(g.scopeInfo), who: g.label, address: shortAddress(g.resident) });
    form.querySelector("[data-testid=read-problem]").hidden = true;
    form.hidden = false;
    form.scrollIntoView({ block: "nearest" });
    form.purpose.focus();
  }));
}
