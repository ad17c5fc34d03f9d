// SPDX-License-Identifier: AGPL-3.0-only
// My home: each unit's statement, paying N months (one transaction, no signature, where the
// token speaks ERC-1363; one permit signature where it supports EIP-2612; else approve +
// pay), receipts, claiming on-time points (they are the payer's), what the household may
// still earn this year, and a pending recovery of this wallet (with the owner's one objection).

import { AbiCoder } from "ethers";
import { t } from "../i18n.js";
import { area, date, dateTime, duration, esc, monthLabel, number, shortAddress, shortHash, stars, yuan } from "../format.js";
import { keepText, sha256Text } from "../hash.js";
import { act, relayTx } from "../passkey.js";
import { permitDomain, signPermit, speaksErc1363 } from "../permit.js";
import { explain, runTx } from "../tx.js";
import { busy, empty, html, latestOnly, requireAccount } from "../ui.js";

/** A resident signed in by passkey pays with one call the passkey signs and the relayer
 * sends: the token's transferAndCall of exactly the quoted amount to this community's
 * PropertyFees (the relayer pays for no other token call, no approval, no permit). */
async function payByPasskey(ctx, unit, months, title) {
  // Read inside the step, so a token the relayer cannot take a fee in, or a node that does
  // not answer, is said in the payment's own toast.
  return relayTx(ctx, title, "SettlementToken", "transferAndCall(address,uint256,bytes)", async () => {
    if (!(await speaksErc1363(ctx.wallet.reader("SettlementToken")))) {
      throw Object.assign(new Error("home.passkeyNeeds1363"), { i18nKey: "home.passkeyNeeds1363" });
    }
    const [, , , , total] = await ctx.wallet.reader("PropertyFees").quote(unit.unit_id, months);
    const data = AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [unit.unit_id, months]);
    return [ctx.wallet.address("PropertyFees"), total, data];
  });
}

async function pay(ctx, unit, months) {
  const title = t("home.payTitle", { label: unit.label, months });
  if (ctx.passkey) return payByPasskey(ctx, unit, months, title);
  let approval = null;
  // One toast from the first read to the page updated: a permit the resident declines,
  // or a node that does not answer, is said there in words.
  const receipt = await runTx(ctx, title, async () => {
    const fees = await ctx.wallet.contract("PropertyFees");
    const token = await ctx.wallet.contract("SettlementToken");
    const feesAddress = await fees.getAddress();
    const [, , , , total] = await fees.quote(unit.unit_id, months);
    if (await speaksErc1363(token)) {
      // The cheapest payment (no signature, no allowance): exactly the quoted amount,
      // the unit and the months in the call's data.
      const data = AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [unit.unit_id, months]);
      return token["transferAndCall(address,uint256,bytes)"](feesAddress, total, data);
    }
    const domain = await permitDomain(ctx, token);
    if (domain) {
      // One signature (the permit) and one transaction; the deadline follows the chain's clock.
      const p = await signPermit(ctx, token, domain, feesAddress, total);
      return fees.pay_with_permit(unit.unit_id, months, total, p.deadline, p.v, p.r, p.s);
    }
    // A token without permit: approve first, in a transaction of its own (below).
    if ((await token.allowance(ctx.account, feesAddress)) >= total) return fees.pay(unit.unit_id, months, total);
    approval = { token, fees, feesAddress, total };
    return null;
  });
  if (!approval) return receipt;
  await runTx(ctx, t("home.approveTitle"), () => approval.token.approve(approval.feesAddress, approval.total));
  return runTx(ctx, title, () => approval.fees.pay(unit.unit_id, months, approval.total));
}

function statementCard(unit, s, config) {
  const due = s.months_due > 0;
  const maxMonths = s.months_due + config.prepay_limit_months;
  return `<section class="card unit" data-testid="unit-${unit.unit_id}">
    <header class="card-head"><h2>${esc(unit.label)}</h2><span class="muted">${area(unit.area)} · ${esc(t(`unit.${unit.relation}`))}</span></header>
    <dl class="facts">
      <dt>${esc(t("home.monthsDue"))}</dt><dd data-testid="months-due">${number(s.months_due)}${due ? ` <span class="muted">(${monthLabel(s.first_unpaid_month)} – ${monthLabel(s.current_month)})</span>` : ""}</dd>
      <dt>${esc(t("home.monthly"))}</dt><dd>${yuan(s.monthly_amount)}</dd>
      <dt>${esc(t("home.dues"))}</dt><dd>${yuan(s.dues)}</dd>
      <dt>${esc(t("home.lateFee"))}</dt><dd class="${s.late_fee > 0 ? "warning-text" : ""}">${yuan(s.late_fee)}</dd>
      <dt>${esc(t("home.total"))}</dt><dd class="big" data-testid="total-due">${yuan(s.total)}</dd>
      <dt>${esc(t("home.paidThrough"))}</dt><dd data-testid="paid-through">${s.payments > 0 ? monthLabel(s.first_unpaid_month - 1) : esc(t("home.neverPaid"))}</dd>
    </dl>
    <form class="pay-form inline" novalidate>
      <label>${esc(t("home.months"))} <input type="number" name="months" min="1" max="${maxMonths}" step="1" value="${Math.max(1, s.months_due)}" required data-testid="months"></label>
      <span class="quote muted" data-testid="quote"></span>
      <button type="submit" class="primary" data-testid="pay">${esc(t("home.pay"))}</button>
    </form>
    <p class="muted small">${esc(t("home.prepayNote", { months: config.prepay_limit_months }))}</p>
    <h3>${esc(t("home.receipts"))}</h3><div class="receipts" data-testid="receipts"></div>
  </section>`;
}

// PropertyFees.DISPUTE_PERIOD: how long the owner may dispute a cashier's record.
const DISPUTE_PERIOD_S = 30 * 86400;
const CHANNELS = ["token", "wechat", "alipay", "bank", "cash"];

/** How a payment was made and, for one a cashier recorded, who recorded it and its dispute:
 * the owner may dispute a record within the period, once. */
function paidBy(p, owner, now) {
  const channel = esc(t(`home.channel.${CHANNELS[p.channel] ?? "token"}`));
  if (!p.recorded_by) return `<td data-testid="channel">${channel}</td><td>—</td><td></td>`;
  const recorder = `<td data-testid="recorded-by"><code title="${esc(p.recorded_by)}">${esc(shortAddress(p.recorded_by))}</code></td>`;
  let state = "";
  if (p.dispute) state = esc(t(`home.dispute.${p.dispute}`));
  else if (owner && now - p.block_timestamp <= DISPUTE_PERIOD_S) {
    state = `<button type="button" data-testid="dispute" data-reference="${esc(p.reference)}">${esc(t("home.disputeButton"))}</button>`;
  }
  return `<td data-testid="channel">${channel}</td>${recorder}<td data-testid="dispute-state">${state}</td>`;
}

function receiptsTable(items, owner = false, now = Date.now() / 1000) {
  if (!items.length) return empty(t("home.noReceipts"));
  return `<div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("home.paidOn"))}</th><th>${esc(t("home.covers"))}</th>
    <th class="num">${esc(t("home.amount"))}</th><th class="num">${esc(t("home.lateFee"))}</th><th class="num">${esc(t("home.points"))}</th>
    <th>${esc(t("home.paidBy"))}</th><th>${esc(t("home.recordedBy"))}</th><th>${esc(t("home.disputeColumn"))}</th><th>${esc(t("common.tx"))}</th></tr></thead>
    <tbody>${items.map((p) => `<tr data-testid="receipt"><td>${date(p.block_timestamp)}</td><td>${esc(p.from_month_label)} – ${esc(p.to_month_label)}</td>
      <td class="num">${yuan(p.amount)}</td><td class="num">${yuan(p.late_fee)}</td><td class="num">${number(p.points)}</td>
      ${paidBy(p, owner, now)}
      <td><code title="${esc(p.tx_hash)}">${esc(shortHash(p.tx_hash))}</code></td></tr>`).join("")}</tbody></table></div>`;
}

/** The owner disputes a cashier's record: the reason stays on this device, its hash goes on chain. */
function wireDisputes(ctx, box) {
  for (const button of box.querySelectorAll("[data-testid=dispute]")) {
    button.addEventListener("click", () => busy(box, async () => {
      const reason = (window.prompt(t("home.disputeReason")) ?? "").trim();
      if (!reason) return;
      const hash = await sha256Text(reason);
      keepText(hash, reason);
      await act(ctx, t("home.disputeTx"), "PropertyFees", "dispute_record", [button.dataset.reference, hash]);
      ctx.rerender();
    }));
  }
}

/** 满意度即时反馈: an owner rates the property service of each closed month once (per owner
 * identity, whichever of its wallets); the card offers last month until this owner rated it. */
async function ratingCard(ctx, view, last, rated) {
  if (rated === null) return; // no node: the rest of the page still shows; the card comes back with the node
  const card = html(view, `<section class="card" data-testid="rate-service"><h2>${esc(t("home.rateTitle"))}</h2></section>`);
  if (rated) {
    html(card, `<p class="muted" data-testid="rated">${esc(t("home.rated", { month: monthLabel(last) }))}</p>
      <p class="small"><a href="#/treasury">${esc(t("home.satisfactionLink"))}</a></p>`);
    return;
  }
  const open = last;
  const form = html(card, `<form class="rate-form" data-testid="rate-form" data-period="${open}">
      <p>${esc(t("home.rateQuestion", { month: monthLabel(open) }))}</p>
      <fieldset class="stars"><legend class="muted small">${esc(t("home.rateScale"))}</legend>${[5, 4, 3, 2, 1].map((score) =>
        `<label class="choice"><input type="radio" name="score" value="${score}" ${score === 4 ? "checked" : ""}> ${stars(score)} <span class="small muted">${esc(t(`home.score.${score}`))}</span></label>`).join("")}</fieldset>
      <div class="actions"><button type="submit" class="primary" data-testid="rate">${esc(t("home.rateSubmit"))}</button></div>
      <p class="muted small">${esc(t("home.rateNote"))}</p></form>`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      await act(ctx, t("home.rateTx", { month: monthLabel(open) }), "PropertyFees", "rate_service", [open, Number(form.score.value)]);
      ctx.rerender();
    });
  });
}

/** A recovery of this wallet's owner identity requested by the committee: until it takes
 * effect (or the committee withdraws it) the wallet has no vote. The owner may object
 * once, which adds the change delay; an objection cannot cancel it. */
async function recoveryCard(ctx, view, identity) {
  const registry = ctx.wallet.reader("HouseholdRegistry");
  const [[newWallet, eta, evidence, objected], delay] = await Promise.all([
    registry.pending_recovery(identity), registry.change_delay()]);
  const card = html(view, `<section class="card notice warning" data-testid="recovery-pending">
    <h2>${esc(t("home.recoveryTitle"))}</h2>
    <p>${esc(t("home.recoveryText", { wallet: shortAddress(newWallet), when: dateTime(Number(eta)) }))}</p>
    <p class="small muted">${esc(t("home.recoveryEvidence"))} <code title="${esc(evidence)}">${esc(shortHash(evidence))}</code></p>
    <p class="small">${esc(t(objected ? "home.recoveryObjected" : "home.recoveryObjectNote", { delay: duration(Number(delay)) }))}</p>
    <div class="actions"></div></section>`);
  if (objected) return;
  const object = document.createElement("button");
  object.type = "button";
  object.dataset.testid = "object-recovery";
  object.textContent = t("home.recoveryObject");
  object.addEventListener("click", () => busy(card, async () => {
    await act(ctx, t("home.recoveryObjectTx"), "HouseholdRegistry", "object_recovery", [identity, "0x" + "00".repeat(32)]);
    ctx.rerender();
  }));
  card.querySelector(".actions").append(object);
}

export async function render(ctx, view) {
  html(view, `<h1>${esc(t("home.title"))}</h1>`);
  if (!requireAccount(ctx, view)) return;
  // Two rounds of requests, each side by side (every round costs a phone on 4G ~170 ms).
  const points = ctx.wallet.reader("CommunityPoints");
  const [me, feeConfig, balance, status, cap, capLeft] = await Promise.all([ctx.api.get(`/accounts/${ctx.account}`),
    ctx.api.get("/fees/config"), ctx.wallet.reader("SettlementToken").balanceOf(ctx.account).catch(() => null),
    ctx.wallet.reader("HouseholdRegistry").wallet_status(ctx.account).catch(() => null),
    points.household_cap().catch(() => null), points.cap_remaining(ctx.account).catch(() => null)]);
  if (status && status[3]) await recoveryCard(ctx, view, status[1]);
  if (!me.units.length) {
    html(view, `<section class="card notice"><p>${esc(t("home.noUnits"))}</p></section>`);
    return;
  }
  // The month just closed, by the index's clock (the chain's), which the contract rates by.
  const lastMonth = feeConfig.current_month - 1;
  const [statements, rated, payers] = await Promise.all([
    Promise.all(me.units.map((u) => ctx.api.get(`/units/${u.unit_id}/statement`))),
    me.identity === null ? null : ctx.wallet.reader("PropertyFees").has_rated(lastMonth, me.identity).catch(() => null),
    // A unit's unclaimed points are its latest payer's: only those this wallet paid are its to claim.
    Promise.all(me.units.map((u) => ctx.wallet.reader("PropertyFees").points_payer(u.unit_id).catch(() => null))),
  ]);
  const mine = (i) => payers[i] !== null && payers[i].toLowerCase() === ctx.account.toLowerCase();
  const summary = html(view, `<section class="card summary"><dl class="facts">
      <dt>${esc(t("home.balance"))}</dt><dd data-testid="token-balance">${balance === null ? "—" : yuan(balance)}</dd>
      <dt>${esc(t("home.rate"))}</dt><dd>${esc(t("home.rateValue", { rate: yuan(feeConfig.rate_in_force) }))}</dd>
      <dt>${esc(t("home.claimable"))}</dt><dd data-testid="claimable">…</dd>
      ${cap !== null && cap > 0n && capLeft !== null ? `<dt>${esc(t("home.capLeft"))}</dt>
        <dd data-testid="cap-left">${esc(t("home.capLeftValue", { left: number(capLeft), cap: number(cap) }))}</dd>` : ""}</dl>
      ${cap !== null && cap > 0n ? `<p class="small muted">${esc(t("home.capNote"))}</p>` : ""}
      <div class="actions"></div></section>`);
  const claimable = statements.reduce((sum, s, i) => sum + (mine(i) ? s.claimable_points : 0), 0);
  summary.querySelector("[data-testid=claimable]").textContent = number(claimable);
  if (claimable > 0) {
    const claim = document.createElement("button");
    claim.type = "button";
    claim.className = "primary";
    claim.dataset.testid = "claim-points";
    claim.textContent = t("home.claim", { points: claimable });
    const units = me.units.filter((u, i) => mine(i) && statements[i].claimable_points > 0).map((u) => u.unit_id);
    // By wallet, or signed by this phone's passkey and sent by the relayer (it relays a
    // claim of the account's own points: the contract mints only to their payer).
    claim.addEventListener("click", () => busy(summary, async () => {
      await act(ctx, t("home.claimTitle"), "PropertyFees", "claim_points", [units]);
      ctx.rerender();
    }));
    summary.querySelector(".actions").append(claim);
  }

  if (me.identity !== null) ratingCard(ctx, view, lastMonth, rated);

  for (const [i, unit] of me.units.entries()) {
    const card = html(view, statementCard(unit, statements[i], feeConfig));
    const form = card.querySelector("form");
    const quote = card.querySelector("[data-testid=quote]");
    const maxMonths = statements[i].months_due + feeConfig.prepay_limit_months;
    // Which months and how much, before anything is signed; a number the contract would
    // refuse is said in words here, and a node that does not answer is not mistaken for it.
    const problem = () => {
      const text = form.months.value.trim();
      if (!/^[0-9]{1,4}$/.test(text) || Number(text) < 1) return t("home.monthsWhole");
      if (Number(text) > maxMonths) return t("home.beyondPrepay", { max: maxMonths, months: feeConfig.prepay_limit_months });
      return null;
    };
    // Typing "12" asks for 1 and then 12 months: only the latest answer is shown.
    const requote = latestOnly(async (current) => {
      const wrong = problem();
      quote.classList.toggle("error-text", Boolean(wrong));
      if (wrong) return (quote.textContent = wrong);
      try {
        const [first, last, , late, total] = await ctx.wallet.reader("PropertyFees").quote(unit.unit_id, Number(form.months.value));
        if (!current()) return;
        quote.textContent = t("home.quote", { from: monthLabel(first), to: monthLabel(last), total: yuan(total), late: yuan(late) });
      } catch (error) {
        if (!current()) return;
        quote.classList.add("error-text");
        quote.textContent = t("home.quoteFailed", { reason: explain(error) });
      }
    });
    form.months.addEventListener("input", requote);
    requote();
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (problem()) return requote();
      busy(form, async () => {
        await pay(ctx, unit, Number(form.months.value));
        ctx.rerender();
      });
    });
    ctx.api.get("/fees/payments", { unit_id: unit.unit_id, order: "desc", limit: 12 }).then((page) => {
      const box = card.querySelector(".receipts");
      box.innerHTML = receiptsTable(page.items, unit.relation === "owner", page.head_timestamp ?? Date.now() / 1000);
      wireDisputes(ctx, box);
    });
  }
}
