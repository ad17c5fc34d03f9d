// SPDX-License-Identifier: AGPL-3.0-only
// What both sides of a data grant share: the roles a resident can grant to, the vault's
// scopes and fields in words, and the vault's sign-in card (Sign-In with Ethereum, vault.js).
// The resident's page (pages/mydata.js) grants and revokes; the grantee's (pages/granted.js)
// reads what it was granted.

import { id as keccakText } from "ethers";
import { t } from "./i18n.js";
import { dateTime, esc } from "./format.js";
import { explain, runStep } from "./tx.js";
import { busy, html, named } from "./ui.js";
import { signIn, signOut, vaultRequest } from "./vault.js";

/** Registry roles DataConsent lets a resident grant to, the usual first. */
export const GRANTEE_ROLES = ["provider", "manager", "merchant", "committee"];

// What the vault serves per scope, should it be unreachable (GET /api/v1/vault/scopes).
const FALLBACK_SCOPES = ["name", "phone", "email", "address", "emergency_contact", "vehicle_plate", "id_number", "contact"]
  .map((scope) => ({ scope, fields: scope === "contact" ? ["name", "phone"] : [scope] }));

export function fieldName(field) {
  return named("mydata.field.", field, field);
}

export function scopeName(scope) {
  return named("mydata.scope.", scope, scope);
}

/** A scope and, when it opens more than its namesake field, the fields it opens. */
export function scopeLabel(s) {
  const fields = s.fields.map(fieldName);
  return fields.length === 1 && s.fields[0] === s.scope ? scopeName(s.scope) : `${scopeName(s.scope)}（${fields.join("、")}）`;
}

/** The vault's scopes, each with its on-chain id (keccak256 of its name). */
export async function scopes() {
  const list = await vaultRequest("GET", "/scopes").catch(() => FALLBACK_SCOPES);
  return list.map((s) => ({ ...s, scope_id: keccakText(s.scope) }));
}

/** The vault's sign-in card: sign in (or out) and draw the page again. `note`: the key of
 * the line saying why this page needs a session. */
export function signInCard(ctx, view, saved, { note = "mydata.vaultNote" } = {}) {
  const card = html(view, `<section class="card" data-testid="vault-session"><h2>${esc(t("mydata.vaultTitle"))}</h2>
    <p class="muted small">${esc(t(note))}</p>
    ${saved ? `<p data-testid="signed-in">${esc(t("mydata.signedIn", { until: dateTime(saved.expires_at) }))}</p>
      <button type="button" data-testid="siwe-sign-out">${esc(t("mydata.signOut"))}</button>`
      : `<button type="button" class="primary" data-testid="siwe-sign-in">${esc(t("mydata.signIn"))}</button>
      <p class="muted small">${esc(t("mydata.signInNote"))}</p>`}
    <p class="error-text small" hidden></p></section>`);
  const problem = card.querySelector(".error-text");
  card.querySelector("[data-testid=siwe-sign-in]")?.addEventListener("click", () => busy(card, async () => {
    problem.hidden = true;
    try {
      await signInStep(ctx);
      ctx.rerender();
    } catch (error) {
      problem.textContent = explain(error);
      problem.hidden = false;
    }
  }));
  card.querySelector("[data-testid=siwe-sign-out]")?.addEventListener("click", () => busy(card, async () => {
    await signOut(saved).catch(() => null);
    ctx.rerender();
  }));
  return card;
}

/** Sign in to the vault with the toasts of any step; the new session. */
export function signInStep(ctx) {
  return runStep(t("mydata.signInTitle"), () => signIn(ctx), t("mydata.signedInToast"));
}
