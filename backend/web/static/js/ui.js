// SPDX-License-Identifier: AGPL-3.0-only
// Small pieces the pages share.

import { t } from "./i18n.js";
import { esc } from "./format.js";
import { explain, toast } from "./tx.js";

export function html(view, markup) {
  view.insertAdjacentHTML("beforeend", markup);
  return view.lastElementChild;
}

/** Render "connect your wallet first" and return false unless the wallet is connected. */
export function requireAccount(ctx, view) {
  if (ctx.account) return true;
  const card = html(view, `<section class="card notice" data-testid="need-account">
      <h2>${esc(t("connect.needTitle"))}</h2><p>${esc(t("connect.needText"))}</p>
      <button type="button" class="primary">${esc(t(ctx.wallet.account ? "connect.switchChain" : "connect.button"))}</button>
    </section>`);
  card.querySelector("button").addEventListener("click", async () => {
    try {
      await ctx.wallet.connect();
    } catch (error) {
      card.insertAdjacentHTML("beforeend", `<p class="error-text">${esc(explain(error))}</p>`);
    }
  });
  return false;
}

export function errorCard(view, error) {
  return html(view, `<section class="card error"><p>${esc(explain(error))}</p></section>`);
}

/** A "nothing yet" line for empty lists. */
export function empty(text) {
  return `<p class="muted empty">${esc(text)}</p>`;
}

/** Disable a form's buttons while `work` runs (no double submission). A failure that no
 * step has shown yet (a node that does not answer while the page prepares a transaction,
 * say) is shown here, never left to the console alone. */
export async function busy(element, work) {
  const buttons = element.querySelectorAll("button, input[type=submit]");
  buttons.forEach((b) => (b.disabled = true));
  try {
    return await work();
  } catch (error) {
    if (!error?.shown) {
      console.error(error);
      toast(t("tx.problem")).update("failed", esc(explain(error)));
    }
    return undefined;
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

/** `fn` for a form that asks the chain as the user types or chooses: each call gets a
 * `current()` that stays true only until the next call, so an answer that arrives after a
 * later question's is dropped instead of shown (two changes in a row put two reads in
 * flight, and the first may answer last). */
export function latestOnly(fn) {
  let asked = 0;
  return (...args) => {
    const mine = ++asked;
    return fn(() => mine === asked, ...args);
  };
}

export function roleName(role) {
  const key = `role.${role}`;
  const text = t(key);
  return text === key ? role : text;
}

/** The text of `prefix + value` if the dictionaries have it, else `fallback` (unknown numbers, new names). */
export function named(prefix, value, fallback) {
  const key = `${prefix}${value}`;
  const text = t(key);
  return text === key ? fallback ?? String(value) : text;
}

/** The chain's time (the latest block's), which contracts compare deadlines with; the
 * clock of a test or demo chain runs ahead of the wall clock. */
export async function chainNow(ctx) {
  try {
    if (ctx.wallet?.available) return (await ctx.wallet.provider().getBlock("latest")).timestamp;
  } catch { /* no node answered: fall back to this computer's clock */ }
  return Math.floor(Date.now() / 1000);
}

/** Who this wallet is here (units, roles, points), or null when not connected. */
export async function whoAmI(ctx) {
  if (!ctx.account) return null;
  const me = await ctx.api.get(`/accounts/${ctx.account}`);
  me.member = me.units.length > 0;
  me.has = (role) => me.roles.includes(role);
  return me;
}

/** A short "connect to take part" line for pages whose lists are public. */
export function connectHint(ctx, view, text) {
  if (ctx.account) return;
  html(view, `<section class="card notice" data-testid="need-account"><p>${esc(text)}</p>
    <a class="button" href="#/connect">${esc(t("connect.button"))}</a></section>`);
}
