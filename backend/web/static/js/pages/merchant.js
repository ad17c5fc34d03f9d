// SPDX-License-Identifier: AGPL-3.0-only
// The merchant's console, on the points page of a wallet that holds the merchant role:
// the points residents paid it (each one refundable to the resident who paid), redeeming
// points against a settlement sheet (its SHA-256 goes on chain, the file stays in the
// browser), and buying a promotion slot (a permit signature where the token supports
// EIP-2612, else approve + buy).

import { t } from "../i18n.js";
import { dateTime, esc, monthLabel, number, shortHash, yuan } from "../format.js";
import { sha256File, sha256Text } from "../hash.js";
import { sentence } from "../names.js";
import { permitDomain, signPermit } from "../permit.js";
import { runTx } from "../tx.js";
import { busy, empty, html, latestOnly } from "../ui.js";

// MerchantPromotions.MAX_MONTHS_AHEAD: a slot can be bought this many months ahead.
const MONTHS_AHEAD = 12;

function placementName(placement) {
  const key = `merchant.placement.${placement}`;
  const text = t(key);
  return text === key ? t("merchant.placementN", { n: placement }) : text;
}

/**
 * Pair each payment a resident made with a later refund of the same amount to them: what is
 * left unpaired is refundable. `transfers` are newest first.
 */
function refundsOf(me, transfers) {
  const refunded = new Set();
  const outgoing = transfers.filter((m) => m.sender === me).slice().reverse();
  const incoming = transfers.filter((m) => m.receiver === me).slice().reverse();
  for (const out of outgoing) {
    const paid = incoming.find((m) => !refunded.has(m) && m.sender === out.receiver && m.amount === out.amount
      && (m.block_number < out.block_number || (m.block_number === out.block_number && m.log_index < out.log_index)));
    if (paid) refunded.add(paid);
  }
  return refunded;
}

export async function renderMerchant(ctx, view, balance) {
  const me = ctx.account;
  const reader = ctx.wallet.ready ? (name) => ctx.wallet.reader(name) : null;
  const [transfers, redemptions, prices, mine] = await Promise.all([
    ctx.api.get("/points/movements", { holder: me, kind: "transfer", order: "desc", limit: 200 }),
    ctx.api.get("/points/redemptions", { merchant: me, order: "desc", limit: 50 }),
    ctx.api.get("/promotions/prices").catch(() => ({ items: [] })),
    ctx.api.get("/promotions", { merchant: me, order: "desc", limit: 50 }).catch(() => ({ items: [] })),
  ]);
  const received = transfers.items.filter((m) => m.receiver === me);
  const refunded = refundsOf(me, transfers.items);
  const total = received.reduce((sum, m) => sum + m.amount, 0);

  const section = html(view, `<section class="card merchant" data-testid="merchant-console">
    <h2>${esc(t("merchant.title"))}</h2>
    <p class="muted small">${esc(t("merchant.intro"))}</p>
    <h3>${esc(t("merchant.received"))}</h3>
    <p data-testid="merchant-received">${esc(t("merchant.receivedTotal", { points: number(total), count: number(received.length) }))}</p>
    ${received.length ? `<div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("points.when"))}</th>
      <th>${esc(t("points.what"))}</th><th class="num">${esc(t("points.amount"))}</th><th></th></tr></thead><tbody>
      ${received.map((m, i) => `<tr data-testid="merchant-payment"><td>${dateTime(m.block_timestamp)}</td>
        <td>${sentence("points.from", {}, { who: m.sender })}</td><td class="num">${number(m.amount)}</td>
        <td>${refunded.has(m) ? `<span class="muted" data-testid="refunded">${esc(t("merchant.refunded"))}</span>`
          : `<button type="button" data-refund="${i}" data-testid="refund">${esc(t("merchant.refund"))}</button>`}</td></tr>`).join("")}
      </tbody></table></div>` : empty(t("merchant.noPayments"))}

    <h3>${esc(t("merchant.redeem"))}</h3>
    <form class="stack-form" data-testid="redeem-form" novalidate>
      <label>${esc(t("points.amount"))} <input type="number" name="amount" min="1" max="${balance}" step="1" required data-testid="redeem-amount"></label>
      <label>${esc(t("merchant.sheet"))} <input type="file" name="sheet" data-testid="redeem-sheet"></label>
      <label>${esc(t("merchant.reference"))} <input type="text" name="reference" maxlength="200" data-testid="redeem-reference"></label>
      <p class="muted small">${esc(t("merchant.sheetNote"))}</p>
      <p class="error-text" role="alert" data-testid="redeem-problem" hidden></p>
      <button type="submit" class="primary" data-testid="redeem">${esc(t("merchant.redeemButton"))}</button>
    </form>
    ${redemptions.items.length ? `<div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("points.when"))}</th>
      <th class="num">${esc(t("points.amount"))}</th><th>${esc(t("merchant.settlementRef"))}</th></tr></thead><tbody>
      ${redemptions.items.map((r) => `<tr data-testid="redemption"><td>${dateTime(r.block_timestamp)}</td><td class="num">${number(r.amount)}</td>
        <td><code title="${esc(r.settlement_ref)}">${esc(shortHash(r.settlement_ref))}</code></td></tr>`).join("")}
      </tbody></table></div>` : ""}

    <h3>${esc(t("merchant.promotion"))}</h3>
    <div data-testid="promotion"></div>
  </section>`);

  section.querySelectorAll("[data-refund]").forEach((button) => button.addEventListener("click", () => {
    const paid = received[Number(button.dataset.refund)];
    busy(button, async () => {
      const points = await ctx.wallet.contract("CommunityPoints");
      await runTx(ctx, t("merchant.refundTitle", { points: number(paid.amount) }), () => points.transfer(paid.sender, BigInt(paid.amount)));
      ctx.rerender();
    });
  }));

  const redeem = section.querySelector("[data-testid=redeem-form]");
  redeem.addEventListener("submit", (event) => {
    event.preventDefault();
    const problem = redeem.querySelector("[data-testid=redeem-problem]");
    const amount = Number(redeem.amount.value);
    const file = redeem.sheet.files[0];
    const reference = redeem.reference.value.trim();
    const wrong = !Number.isInteger(amount) || amount < 1 ? t("merchant.badAmount")
      : amount > balance ? t("merchant.notEnough", { balance: number(balance) })
        : !file && !reference ? t("merchant.needSheet") : null;
    problem.hidden = !wrong;
    problem.textContent = wrong ?? "";
    if (wrong) return;
    busy(redeem, async () => {
      // The sheet is hashed here; only its SHA-256 leaves the browser, on chain.
      const ref = file ? await sha256File(file) : await sha256Text(reference);
      const points = await ctx.wallet.contract("CommunityPoints");
      await runTx(ctx, t("merchant.redeemTitle", { points: number(amount) }), () => points.redeem(BigInt(amount), ref));
      ctx.rerender();
    });
  });

  await promotionForm(ctx, section.querySelector("[data-testid=promotion]"), prices.items.filter((p) => p.offered), mine.items, reader);
}

async function promotionForm(ctx, box, offered, mine, reader) {
  if (!offered.length || !reader || !ctx.config.contracts.MerchantPromotions) {
    box.innerHTML = empty(t("merchant.noPlacements"));
    return;
  }
  const promotions = reader("MerchantPromotions");
  const current = Number(await promotions.current_period());
  const months = Array.from({ length: MONTHS_AHEAD + 1 }, (_, i) => current + i);
  box.innerHTML = `<form class="stack-form" data-testid="promotion-form">
      <label>${esc(t("merchant.placement"))} <select name="placement" data-testid="placement">
        ${offered.map((p) => `<option value="${p.placement}" data-price="${p.price}">${esc(placementName(p.placement))} · ${yuan(p.price)}</option>`).join("")}
      </select></label>
      <label>${esc(t("merchant.month"))} <select name="period" data-testid="period">
        ${months.map((m) => `<option value="${m}">${esc(monthLabel(m))}</option>`).join("")}</select></label>
      <p class="small" data-testid="slot-state" aria-live="polite"></p>
      <button type="submit" class="primary" data-testid="buy-slot">${esc(t("merchant.buy"))}</button>
    </form>
    ${mine.length ? `<div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("merchant.placement"))}</th>
      <th>${esc(t("merchant.month"))}</th><th class="num">${esc(t("merchant.price"))}</th></tr></thead><tbody>
      ${mine.map((s) => `<tr data-testid="my-slot"><td>${esc(placementName(s.placement))}</td><td>${esc(s.period_label)}</td>
        <td class="num">${yuan(s.price)}</td></tr>`).join("")}</tbody></table></div>` : ""}`;
  const form = box.querySelector("form");
  const state = form.querySelector("[data-testid=slot-state]");
  const button = form.querySelector("[data-testid=buy-slot]");
  const price = () => BigInt(form.placement.selectedOptions[0].dataset.price);
  // Whether the chosen slot is still free, read from the chain as the merchant chooses.
  const check = latestOnly(async (current) => {
    const [holder] = await promotions.slot(Number(form.placement.value), Number(form.period.value));
    if (!current()) return;
    const taken = BigInt(holder) !== 0n;
    state.textContent = taken ? t("merchant.slotTaken") : t("merchant.slotFree", { price: yuan(price()) });
    button.disabled = taken;
  });
  form.placement.addEventListener("change", check);
  form.period.addEventListener("change", check);
  await check();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const placement = Number(form.placement.value);
    const period = Number(form.period.value);
    const cost = price();
    const title = t("merchant.buyTitle", { placement: placementName(placement), month: monthLabel(period), price: yuan(cost) });
    busy(form, async () => {
      let approve = null;
      await runTx(ctx, title, async () => {
        const market = await ctx.wallet.contract("MerchantPromotions");
        const token = await ctx.wallet.contract("SettlementToken");
        const spender = await market.getAddress();
        const domain = await permitDomain(ctx, token);
        if (domain) {
          const p = await signPermit(ctx, token, domain, spender, cost);
          return market.buy_with_permit(placement, period, cost, p.deadline, p.v, p.r, p.s);
        }
        if ((await token.allowance(ctx.account, spender)) >= cost) return market.buy(placement, period, cost);
        approve = { market, token, spender };
        return null;
      });
      if (approve) {
        await runTx(ctx, t("home.approveTitle"), () => approve.token.approve(approve.spender, cost));
        await runTx(ctx, title, () => approve.market.buy(placement, period, cost));
      }
      ctx.rerender();
    });
  });
}
