// SPDX-License-Identifier: AGPL-3.0-only
// My data: the resident's profile in the vault (encrypted, off chain), read and written
// after Sign-In with Ethereum; grants of one scope to a provider, the manager, a merchant
// or the committee, with an expiry, given and revoked by the resident's own DataConsent
// transactions; and the access log: every grantee read the chain logged (who, what
// scope, when, the purpose's hash), joined with the vault's record of the same read
// (the purpose in words, the fields served) once signed in.

import { id as keccakText, zeroPadValue, toBeHex } from "ethers";
import { t } from "../i18n.js";
import { date, dateTime, esc, shortHash } from "../format.js";
import { loadNames, nameOf, party } from "../names.js";
import { GRANTEE_ROLES, fieldName, scopeLabel, scopeName, scopes, signInCard } from "../consent.js";
import { act } from "../passkey.js";
import { explain, runStep } from "../tx.js";
import { busy, chainNow, empty, html, named, requireAccount, roleName, whoAmI } from "../ui.js";
import { session, vaultRequest } from "../vault.js";

const DAY = 86400;
const MAX_GRANT_DAYS = 366; // DataConsent.MAX_GRANT_DURATION
const ZERO_HASH = "0x" + "0".repeat(64);
// The vault's fields (backend/vault/fields.py) with the same bounds, so most mistakes are
// caught here; the vault checks again (422).
const FIELDS = [
  { name: "name", max: 64 },
  { name: "phone", max: 32, pattern: "\\+?[0-9][0-9 \\(\\)\\-]{3,31}", type: "tel" },
  { name: "email", max: 254, type: "email" },
  { name: "address", max: 200 },
  { name: "emergency_contact", max: 200 },
  { name: "vehicle_plate", max: 16 },
  { name: "id_number", max: 32, pattern: "[0-9A-Za-z]{4,32}" },
  { name: "identity_salt", max: 130, pattern: "0x[0-9a-fA-F]{32,128}" },
];

function stateTag(state) {
  return `<span class="tag state-${esc(state)}" data-testid="grant-state">${esc(named("mydata.state.", state, state))}</span>`;
}

function profileForm(ctx, view, saved, profile) {
  const values = profile.fields;
  const form = html(view, `<form class="card" data-testid="profile" novalidate><h2>${esc(t("mydata.profileTitle"))}</h2>
    <p class="muted small">${esc(t("mydata.profileNote"))}</p>
    <div class="form-grid">${FIELDS.map((f) => `<label class="block">${esc(fieldName(f.name))}
      <input name="${f.name}" type="${f.type ?? "text"}" maxlength="${f.max}" ${f.pattern ? `pattern="${esc(f.pattern)}"` : ""}
        value="${esc(values[f.name] ?? "")}" data-testid="field-${f.name}" autocomplete="off"></label>`).join("")}</div>
    <p class="muted small">${esc(t("mydata.saltNote"))}</p>
    ${profile.unreadable.length ? `<p class="warning-text">${esc(t("mydata.unreadable", { fields: profile.unreadable.map(fieldName).join("、") }))}</p>` : ""}
    <p class="small" data-testid="profile-saved">${profile.updated_at ? esc(t("mydata.updatedAt", { when: dateTime(profile.updated_at) })) : esc(t("mydata.nothingYet"))}</p>
    <p class="error-text small" data-testid="profile-problem" hidden></p>
    <div class="actions"><button type="submit" class="primary" data-testid="save-profile">${esc(t("common.save"))}</button>
      <button type="button" data-testid="erase-profile">${esc(t("mydata.erase"))}</button></div></form>`);
  const problem = form.querySelector("[data-testid=profile-problem]");
  const show = (text) => {
    problem.hidden = !text;
    problem.textContent = text ?? "";
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const bad = FIELDS.filter((f) => !form[f.name].checkValidity()).map((f) => fieldName(f.name));
    if (bad.length) return show(t("mydata.invalid", { fields: bad.join("、") }));
    // Only what changed: an emptied field is erased (null), an untouched one is not sent.
    const changes = {};
    for (const f of FIELDS) {
      const now = form[f.name].value.trim();
      const before = values[f.name] ?? "";
      if (now !== before) changes[f.name] = now === "" ? null : now;
    }
    if (!Object.keys(changes).length) return show(t("mydata.noChange"));
    show(null);
    busy(form, async () => {
      try {
        await runStep(t("mydata.saveTitle"), () => vaultRequest("PUT", `/communities/${ctx.config.community}/profile`,
          { body: changes, token: saved.token }), t("mydata.saved"));
        ctx.rerender();
      } catch (error) {
        show(explain(error));
      }
    });
  });
  form.querySelector("[data-testid=erase-profile]").addEventListener("click", () => {
    if (!window.confirm(t("mydata.eraseConfirm"))) return;
    busy(form, async () => {
      await runStep(t("mydata.eraseTitle"), () => vaultRequest("DELETE", `/communities/${ctx.config.community}/profile`,
        { token: saved.token }), t("mydata.erased"));
      ctx.rerender();
    });
  });
}

/** Reminders: which channels (the addresses are the profile's e-mail and phone) and which topics. */
async function remindersForm(ctx, view, saved) {
  let choices;
  try {
    choices = await vaultRequest("GET", `/communities/${ctx.config.community}/reminders`, { token: saved.token });
  } catch (error) {
    html(view, `<section class="card error"><p>${esc(explain(error))}</p></section>`);
    return;
  }
  const box = (name) => `<label class="choice"><input type="checkbox" name="${name}" ${choices[name] ? "checked" : ""}> ${esc(t(`mydata.reminders.${name}`))}</label>`;
  const form = html(view, `<form class="card" data-testid="reminders"><h2>${esc(t("mydata.reminders.title"))}</h2>
    <p class="muted small">${esc(t("mydata.reminders.note"))}</p>
    <fieldset><legend>${esc(t("mydata.reminders.channels"))}</legend>${box("email")}${box("webhook")}</fieldset>
    <fieldset><legend>${esc(t("mydata.reminders.topics"))}</legend>${box("votes")}${box("dues")}${box("notices")}</fieldset>
    <p class="small" data-testid="reminders-saved">${choices.updated_at ? esc(t("mydata.updatedAt", { when: dateTime(choices.updated_at) })) : esc(t("mydata.reminders.none"))}</p>
    <div class="actions"><button type="submit" class="primary" data-testid="save-reminders">${esc(t("common.save"))}</button></div></form>`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = Object.fromEntries(["email", "webhook", "votes", "dues", "notices"].map((n) => [n, form[n].checked]));
    busy(form, async () => {
      await runStep(t("mydata.reminders.saveTitle"), () => vaultRequest("PUT", `/communities/${ctx.config.community}/reminders`,
        { body, token: saved.token }), t("mydata.saved"));
      ctx.rerender();
    });
  });
}

function grantForm(ctx, view, scopeList, roles, grants) {
  // Providers first: the usual reason to grant is a job at home.
  const grantees = roles.filter((r) => GRANTEE_ROLES.includes(r.role) && r.account !== ctx.account)
    .sort((a, b) => GRANTEE_ROLES.indexOf(a.role) - GRANTEE_ROLES.indexOf(b.role));
  const form = html(view, `<form class="card" data-testid="grant-form"><h2>${esc(t("mydata.grantTitle"))}</h2>
    <p class="muted small">${esc(t("mydata.grantNote"))}</p>
    ${grantees.length ? `<label>${esc(t("mydata.grantee"))} <select name="grantee" data-testid="grantee">${grantees.map((r) =>
      `<option value="${esc(r.account)}" title="${esc(r.account)}">${esc(roleName(r.role))} · ${esc(nameOf(r.account))}</option>`).join("")}</select></label>
    <label>${esc(t("mydata.scope"))} <select name="scope" data-testid="scope">${scopeList.map((s) =>
      `<option value="${esc(s.scope)}">${esc(scopeLabel(s))}</option>`).join("")}</select></label>
    <label>${esc(t("mydata.days"))} <input type="number" name="days" min="1" max="${MAX_GRANT_DAYS}" value="30" required data-testid="grant-days"></label>
    <label>${esc(t("mydata.forRequest"))} <input type="number" name="request" min="1" placeholder="—"></label>
    <p class="warning-text small" data-testid="replaces" hidden></p>
    <button type="submit" class="primary" data-testid="grant">${esc(t("mydata.grant"))}</button>` : empty(t("mydata.noGrantees"))}</form>`);
  // DataConsent keeps one grant per grantee and scope: a new one replaces the live one
  // (its expiry and request), so the resident is told and asked first.
  const liveGrant = () => {
    const scopeId = scopeList.find((s) => s.scope === form.scope.value)?.scope_id;
    return grants.find((g) => g.live && g.grantee === form.grantee.value && g.scope === scopeId) ?? null;
  };
  const note = form.querySelector("[data-testid=replaces]");
  const showNote = () => {
    if (!note) return;
    const live = liveGrant();
    note.hidden = !live;
    note.textContent = live ? t("mydata.replacesNote", { expiry: dateTime(live.expiry) }) : "";
  };
  form.grantee?.addEventListener("change", showNote);
  form.scope?.addEventListener("change", showNote);
  showNote();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const live = liveGrant();
    if (live && !window.confirm(t("mydata.replaceConfirm", { scope: scopeName(form.scope.value), who: nameOf(live.grantee), expiry: dateTime(live.expiry) }))) return;
    busy(form, async () => {
      const scope = scopeList.find((s) => s.scope === form.scope.value);
      // Expiry by the chain's clock, which the contract compares with.
      const expiry = BigInt(await chainNow(ctx) + Number(form.days.value) * DAY);
      const reference = form.request.value ? zeroPadValue(toBeHex(BigInt(form.request.value)), 32) : ZERO_HASH;
      await act(ctx, t("mydata.grantTx", { scope: scopeName(scope.scope), who: nameOf(form.grantee.value) }),
        "DataConsent", "grant", [form.grantee.value, scope.scope_id, expiry, reference]);
      ctx.rerender();
    });
  });
}

function grantsCard(ctx, view, grants, scopeById) {
  const card = html(view, `<section class="card" data-testid="grants"><h2>${esc(t("mydata.grantsTitle"))}</h2>
    ${grants.length ? `<div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("mydata.grantee"))}</th><th>${esc(t("mydata.scope"))}</th>
      <th>${esc(t("mydata.stateHead"))}</th><th>${esc(t("mydata.granted"))}</th><th>${esc(t("mydata.expires"))}</th><th>${esc(t("mydata.reads"))}</th><th></th></tr></thead><tbody>
      ${grants.map((g) => `<tr data-testid="grant-row" data-grantee="${esc(g.grantee)}" data-scope="${esc(scopeById.get(g.scope) ?? g.scope)}">
        <td>${party(g.grantee)} <span class="muted small">${esc(roleName(g.grantee_role))}</span></td>
        <td>${esc(scopeById.has(g.scope) ? scopeName(scopeById.get(g.scope)) : shortHash(g.scope))}</td><td>${stateTag(g.state)}</td>
        <td>${esc(date(g.granted_at))}</td><td>${esc(dateTime(g.expiry))}</td><td>${g.accesses}</td>
        <td>${g.live ? `<button type="button" data-revoke="${esc(g.grantee)}" data-scope-id="${esc(g.scope)}" data-testid="revoke">${esc(t("mydata.revoke"))}</button>` : ""}</td></tr>`).join("")}
      </tbody></table></div>` : empty(t("mydata.noGrants"))}</section>`);
  card.querySelectorAll("[data-revoke]").forEach((button) => button.addEventListener("click", () => busy(card, async () => {
    const scope = scopeById.get(button.dataset.scopeId);
    await act(ctx, t("mydata.revokeTx", { scope: scope ? scopeName(scope) : shortHash(button.dataset.scopeId), who: nameOf(button.dataset.revoke) }),
      "DataConsent", "revoke", [button.dataset.revoke, button.dataset.scopeId]);
    ctx.rerender();
  })));
}

/** The chain's access log, each entry joined with the vault's record of the read (same transaction). */
function accessLog(view, chainAccesses, vaultReads, scopeById, signedIn) {
  const byTx = new Map((vaultReads ?? []).map((r) => [r.tx_hash.toLowerCase(), r]));
  const onChain = new Set(chainAccesses.map((a) => a.tx_hash.toLowerCase()));
  // A read the vault served whose log the index does not show (yet): listed from the vault's record.
  const vaultOnly = (vaultReads ?? []).filter((r) => !onChain.has(r.tx_hash.toLowerCase()))
    .map((r) => ({ grantee: r.grantee, scope: keccakText(r.scope), purpose_hash: r.purpose_hash, accessed_at: r.accessed_at,
      tx_hash: r.tx_hash, notIndexed: true }));
  chainAccesses = [...vaultOnly, ...chainAccesses];
  html(view, `<section class="card" data-testid="access-log"><h2>${esc(t("mydata.accessTitle"))}</h2>
    <p class="muted small">${esc(t(signedIn ? "mydata.accessNote" : "mydata.accessNoteSignIn"))}</p>
    ${chainAccesses.length ? `<div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("mydata.when"))}</th><th>${esc(t("mydata.who"))}</th>
      <th>${esc(t("mydata.scope"))}</th><th>${esc(t("mydata.purpose"))}</th><th>${esc(t("common.tx"))}</th></tr></thead><tbody>
      ${chainAccesses.map((a) => {
        const record = byTx.get(a.tx_hash.toLowerCase());
        return `<tr data-testid="access" data-grantee="${esc(a.grantee)}"><td>${esc(dateTime(a.accessed_at))}</td>
          <td>${party(a.grantee)}</td>
          <td>${esc(scopeById.has(a.scope) ? scopeName(scopeById.get(a.scope)) : shortHash(a.scope))}${record ? ` <span class="muted small">(${esc(record.fields.map(fieldName).join("、"))})</span>` : ""}</td>
          <td data-testid="purpose">${record?.purpose ? esc(record.purpose) : `<code class="small" title="${esc(a.purpose_hash)}">${esc(shortHash(a.purpose_hash))}</code>`}
            ${record?.purpose && keccakText(record.purpose) !== a.purpose_hash ? `<span class="warning-text small">${esc(t("mydata.purposeMismatch"))}</span>` : ""}</td>
          <td><code title="${esc(a.tx_hash)}">${esc(shortHash(a.tx_hash))}</code>${a.notIndexed ? ` <span class="muted small">${esc(t("mydata.notIndexed"))}</span>` : ""}
            ${record ? ` <span class="tag" title="${esc(t("mydata.inVault"))}">${esc(t("mydata.vaultRecord"))}</span>` : ""}</td></tr>`;
      }).join("")}</tbody></table></div>` : empty(t("mydata.noAccess"))}</section>`);
}

export async function render(ctx, view, params, current) {
  html(view, `<h1>${esc(t("mydata.title"))}</h1>`);
  if (!requireAccount(ctx, view)) return;
  html(view, `<p class="muted">${esc(t("mydata.intro"))}</p>`);
  let saved = session(ctx.account);
  const [me, scopeList, roles, grants, accesses] = await Promise.all([
    whoAmI(ctx), scopes(), ctx.api.get("/roles"),
    ctx.api.get(`/consent/residents/${ctx.account}/grants`, { order: "desc", limit: 100 }),
    ctx.api.get(`/consent/residents/${ctx.account}/accesses`, { order: "desc", limit: 100 }), loadNames(ctx),
  ]);
  let profile = null;
  let vaultProblem = null;
  if (saved) {
    try {
      profile = await vaultRequest("GET", `/communities/${ctx.config.community}/profile`, { token: saved.token });
    } catch (error) {
      if (error.status === 401) saved = null; // expired or logged out elsewhere: sign in again
      else vaultProblem = error;
    }
  }
  if (!current()) return;
  const scopeById = new Map(scopeList.map((s) => [s.scope_id, s.scope]));
  const top = html(view, `<div class="grid two"></div>`);
  signInCard(ctx, top, saved);
  if (me.member) grantForm(ctx, top, scopeList, roles, grants.items);
  else html(top, `<section class="card notice"><p>${esc(t("mydata.notMember"))}</p></section>`);
  if (vaultProblem) html(view, `<section class="card error"><p>${esc(explain(vaultProblem))}</p></section>`);
  if (profile) profileForm(ctx, view, saved, profile);
  if (profile && me.member) await remindersForm(ctx, view, saved);
  grantsCard(ctx, view, grants.items, scopeById);
  accessLog(view, accesses.items, profile?.access_log, scopeById, Boolean(profile));
}
