// SPDX-License-Identifier: AGPL-3.0-only
// Points: balance, where they came from and went, and paying a registered merchant; for a
// merchant, its console (merchant.js).

import { t } from "../i18n.js";
import { dateTime, esc, number, shortAddress, shortHash } from "../format.js";
import { loadNames, nameOf, sentence } from "../names.js";
import { act } from "../passkey.js";
import { busy, empty, html, requireAccount } from "../ui.js";
import { renderMerchant } from "./merchant.js";

function reasonName(reason) {
  const key = `points.reason.${reason}`;
  const text = t(key);
  return text === key ? t("points.reasonN", { n: reason }) : text;
}

export async function render(ctx, view, params, current) {
  html(view, `<h1>${esc(t("points.title"))}</h1>`);
  if (!requireAccount(ctx, view)) return;
  const me = ctx.account;
  const [account, movements, mints, merchants] = await Promise.all([
    ctx.api.get(`/accounts/${me}`), ctx.api.get("/points/movements", { holder: me, order: "desc", limit: 50 }),
    ctx.api.get("/points/mints", { recipient: me, order: "desc", limit: 200 }), ctx.api.get("/merchants"),
    loadNames(ctx),
  ]);
  if (!current()) return;
  // A merchant pays other merchants, never itself.
  const payees = merchants.filter((m) => m.account !== me);
  const reasonByTx = new Map(mints.items.map((m) => [`${m.tx_hash}`, m.reason]));

  const pay = html(view, `<section class="grid two">
      <div class="card stat"><span class="muted">${esc(t("points.balance"))}</span><strong class="big" data-testid="points-balance">${number(account.points)}</strong></div>
      <form class="card" data-testid="pay-merchant"><h2>${esc(t("points.payMerchant"))}</h2>
        ${payees.length ? `<label>${esc(t("points.merchant"))} <select name="merchant">${payees.map((m) =>
          `<option value="${esc(m.account)}" title="${esc(m.account)}" data-testid="merchant-option">${esc(nameOf(m.account) === shortAddress(m.account) ? shortAddress(m.account) : `${nameOf(m.account)} (${shortAddress(m.account)})`)}</option>`).join("")}</select></label>
        <label>${esc(t("points.amount"))} <input type="number" name="amount" min="1" max="${account.points}" value="1" required></label>
        <button type="submit" class="primary">${esc(t("points.pay"))}</button>` : empty(t(merchants.length ? "points.noOtherMerchants" : "points.noMerchants"))}
        <p class="muted small">${esc(t("points.policy"))}</p></form>
    </section>`).querySelector("form");
  pay.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(pay, async () => {
      // A wallet sends it; a passkey resident's is relayed (a points payment to a
      // registered merchant is on the relayer's policy).
      const amount = BigInt(pay.amount.value);
      await act(ctx, t("points.payTitle", { amount: number(amount), merchant: nameOf(pay.merchant.value) }),
        "CommunityPoints", "transfer", [pay.merchant.value, amount]);
      ctx.rerender();
    });
  });

  if (account.roles.includes("merchant")) {
    await renderMerchant(ctx, view, account.points);
    if (!current()) return;
  }

  const rows = movements.items.map((m) => {
    const incoming = m.receiver === me;
    const what = m.kind === "mint" ? esc(reasonName(reasonByTx.get(m.tx_hash) ?? 0))
      : m.kind === "redemption" ? esc(t("points.redemption"))
      : sentence(incoming ? "points.from" : "points.to", {}, { who: incoming ? m.sender : m.receiver });
    return `<tr data-testid="movement"><td>${dateTime(m.block_timestamp)}</td><td>${what}</td>
      <td class="num ${incoming ? "plus" : "minus"}">${incoming ? "+" : "−"}${number(m.amount)}</td>
      <td><code title="${esc(m.tx_hash)}">${esc(shortHash(m.tx_hash))}</code></td></tr>`;
  });
  html(view, `<section class="card"><h2>${esc(t("points.history"))}</h2>
    ${rows.length ? `<div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("points.when"))}</th><th>${esc(t("points.what"))}</th>
      <th class="num">${esc(t("points.amount"))}</th><th>${esc(t("common.tx"))}</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>` : empty(t("points.noHistory"))}
    </section>`);
}
