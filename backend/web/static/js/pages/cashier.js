// SPDX-License-Identifier: AGPL-3.0-only
// The cashier's desk (收银台), for the property company's staff who hold the cashier role:
// a payment received off chain (WeChat, Alipay, bank transfer, cash) recorded for a unit and
// a number of months, exactly the amount the contract quotes; a bank statement's CSV checked
// by the backend line by line (every bad line by number, nothing sent) and then recorded in
// the contract's batches; and the cashier's own daily totals, which are public.
// A reference (a receipt or bank number) goes on chain only as its keccak-256 hash, as the
// command line does (`ape run cashier import-statement`), so the same receipt is refused twice.

import { id as keccakText } from "ethers";
import { t } from "../i18n.js";
import { esc, monthLabel, number, yuan } from "../format.js";
import { explain, runTx } from "../tx.js";
import { busy, empty, html, latestOnly, requireAccount, whoAmI } from "../ui.js";

const CHANNELS = { 1: "wechat", 2: "alipay", 3: "bank", 4: "cash" };
const DAY = 86_400;

/** A Beijing day index (days since 1970-01-01 in UTC+8) as its date. */
function dayLabel(day) {
  return new Date(day * DAY * 1000).toISOString().slice(0, 10);
}

export async function render(ctx, view, params, current) {
  html(view, `<h1>${esc(t("cashier.title"))}</h1>`);
  if (!requireAccount(ctx, view)) return;
  const me = await whoAmI(ctx);
  if (!current()) return;
  if (!me.has("cashier")) {
    html(view, `<section class="card notice" data-testid="not-cashier">${esc(t("cashier.notCashier"))}</section>`);
    return;
  }
  const days = await ctx.api.get("/fees/cashier-days", { cashier: ctx.account });
  if (!current()) return;
  html(view, `<p class="muted">${esc(t("cashier.intro"))}</p>`);
  recordForm(ctx, view);
  statementForm(ctx, view);
  const recent = days.slice(-7).reverse();
  html(view, `<section class="card" data-testid="cashier-days"><h2>${esc(t("cashier.days"))}</h2>
    <p class="muted small">${esc(t("cashier.daysNote"))}</p>
    ${recent.length ? `<div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("cashier.day"))}</th>
      <th class="num">${esc(t("cashier.records"))}</th><th class="num">${esc(t("cashier.total"))}</th></tr></thead><tbody>
      ${recent.map((d) => `<tr data-testid="cashier-day"><td>${esc(dayLabel(d.day))}</td><td class="num">${number(d.records)}</td>
        <td class="num" data-testid="day-total">${yuan(d.total)}</td></tr>`).join("")}</tbody></table></div>`
      : empty(t("cashier.noDays"))}</section>`);
}

function channelOptions() {
  return Object.entries(CHANNELS).map(([code, name]) => `<option value="${code}">${esc(t(`cashier.channel.${name}`))}</option>`).join("");
}

function recordForm(ctx, view) {
  const form = html(view, `<form class="card stack-form" data-testid="record-form" novalidate>
      <h2>${esc(t("cashier.recordTitle"))}</h2>
      <label>${esc(t("cashier.unit"))} <input type="text" name="unit" maxlength="64" required data-testid="record-unit" placeholder="1-1-101"></label>
      <label>${esc(t("cashier.months"))} <input type="number" name="months" min="1" step="1" value="1" required data-testid="record-months"></label>
      <p class="small" data-testid="record-quote" aria-live="polite"></p>
      <label>${esc(t("cashier.channel"))} <select name="channel" data-testid="record-channel">${channelOptions()}</select></label>
      <label>${esc(t("cashier.reference"))} <input type="text" name="reference" maxlength="128" required data-testid="record-reference"></label>
      <p class="muted small">${esc(t("cashier.referenceNote"))}</p>
      <p class="error-text" role="alert" data-testid="record-problem" hidden></p>
      <button type="submit" class="primary" data-testid="record">${esc(t("cashier.record"))}</button>
    </form>`);
  const quoteLine = form.querySelector("[data-testid=record-quote]");
  const problem = form.querySelector("[data-testid=record-problem]");
  const say = (text) => {
    problem.hidden = !text;
    problem.textContent = text ?? "";
  };
  // The unit and what its next N unpaid months cost, read from the chain as the cashier types.
  const quote = async () => {
    const label = form.unit.value.trim();
    const months = Number(form.months.value);
    if (!label || !Number.isInteger(months) || months < 1) return null;
    const unitId = await ctx.wallet.reader("HouseholdRegistry").unit_id_of(label);
    if (unitId === 0n) throw Object.assign(new Error("unknown unit"), { i18nKey: "cashier.unknownUnit", i18nVars: { label } });
    const [from, , , , total] = await ctx.wallet.reader("PropertyFees").quote(unitId, months);
    return { unitId, label, months, from, total };
  };
  // The unit's change fires as the cashier moves on to the months: two quotes in flight.
  const show = latestOnly(async (current) => {
    try {
      const q = await quote();
      if (!current()) return;
      say(null);
      quoteLine.textContent = q ? t("cashier.quote", { label: q.label, months: q.months, from: monthLabel(Number(q.from)),
        to: monthLabel(Number(q.from) + q.months - 1), total: yuan(q.total) }) : "";
    } catch (error) {
      if (!current()) return;
      quoteLine.textContent = "";
      say(explain(error));
    }
  });
  form.unit.addEventListener("change", show);
  form.months.addEventListener("change", show);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const reference = form.reference.value.trim();
    if (!form.unit.value.trim()) return say(t("cashier.needUnit"));
    if (!reference) return say(t("cashier.needReference"));
    busy(form, async () => {
      let q;
      try {
        q = await quote();
      } catch (error) {
        return say(explain(error));
      }
      if (!q) return say(t("cashier.badMonths"));
      say(null);
      const channel = Number(form.channel.value);
      const fees = await ctx.wallet.contract("PropertyFees");
      await runTx(ctx, t("cashier.recordTx", { label: q.label, months: q.months, total: yuan(q.total) }),
        () => fees.record_payment(q.unitId, q.from, q.months, q.total, channel, keccakText(reference)));
      ctx.rerender();
    });
  });
}

function statementForm(ctx, view) {
  const card = html(view, `<section class="card" data-testid="statement">
      <h2>${esc(t("cashier.statementTitle"))}</h2>
      <p class="muted small">${esc(t("cashier.statementNote"))}</p>
      <pre class="small">date,unit,amount_yuan,channel,reference\n2026-12-03,1-1-101,671.25,bank,20261203-000123</pre>
      <label>${esc(t("cashier.statementFile"))} <input type="file" accept=".csv,text/csv" data-testid="statement-file"></label>
      <div data-testid="statement-result" aria-live="polite"></div>
    </section>`);
  const input = card.querySelector("[data-testid=statement-file]");
  const result = card.querySelector("[data-testid=statement-result]");
  input.addEventListener("change", async () => {
    const file = input.files[0];
    result.innerHTML = "";
    if (!file) return;
    let checked;
    try {
      checked = await ctx.api.post(`${ctx.api.base}/fees/statement-check`, { csv: await file.text() });
    } catch (error) {
      const lines = error?.status === 422 && error.detail?.code === "bad_lines" ? error.detail.errors : null;
      result.innerHTML = lines
        ? `<div class="card notice" role="alert" data-testid="statement-errors"><p>${esc(t("cashier.badLines", { n: lines.length }))}</p>
            <ul>${lines.map((e) => `<li data-testid="statement-error" data-line="${e.line}">${esc(t("cashier.lineError", { line: e.line, message: e.message }))}</li>`).join("")}</ul></div>`
        : `<p class="error-text" role="alert" data-testid="statement-errors">${esc(explain(error))}</p>`;
      return;
    }
    const rows = checked.payments;
    result.innerHTML = `<p data-testid="statement-summary">${esc(t("cashier.matched", { n: rows.length, total: yuan(checked.total), txs: checked.batches.length }))}</p>
      <div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("cashier.line"))}</th><th>${esc(t("cashier.unit"))}</th>
        <th>${esc(t("cashier.monthsPaid"))}</th><th>${esc(t("cashier.channel"))}</th><th class="num">${esc(t("cashier.amount"))}</th></tr></thead><tbody>
        ${rows.map((p) => `<tr data-testid="statement-row"><td>${p.line}</td><td>${esc(p.unit_label)}</td>
          <td>${esc(monthLabel(p.from_month))}${p.months > 1 ? ` – ${esc(monthLabel(p.from_month + p.months - 1))}` : ""}</td>
          <td>${esc(t(`cashier.channel.${CHANNELS[p.channel]}`))}</td><td class="num">${yuan(p.amount)}</td></tr>`).join("")}
      </tbody></table></div>
      <button type="button" class="primary" data-testid="statement-record">${esc(t("cashier.recordAll", { n: rows.length }))}</button>`;
    const button = result.querySelector("[data-testid=statement-record]");
    button.addEventListener("click", () => busy(result, async () => {
      const fees = await ctx.wallet.contract("PropertyFees");
      // All or none per transaction; the check was of the whole file, so a batch that fails now
      // is a race with another cashier: the page stops there and says so.
      for (const [i, batch] of checked.batches.entries()) {
        const records = batch.map((k) => rows[k]).map((p) => [p.unit_id, p.from_month, p.months, p.amount, p.channel, p.reference_hash]);
        await runTx(ctx, t("cashier.batchTx", { i: i + 1, n: checked.batches.length, records: records.length }),
          () => fees.record_payments(records));
      }
      ctx.rerender();
    }));
  });
}
