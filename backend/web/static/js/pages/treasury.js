// SPDX-License-Identifier: AGPL-3.0-only
// Treasury: balances by fund, income and expenses by month and by category (Chart.js),
// the owners' satisfaction with the property service month by month beside the money,
// maintenance projects and their milestones, budgets and their use, every expense with
// its invoice hash, and the CSV download. Chart.js (400 KB) is loaded by this page only.

import { t } from "../i18n.js";
import { date, esc, number, percent, shortHash, yuan } from "../format.js";
import { loadNames, party } from "../names.js";
import { empty, html } from "../ui.js";

let chartModule = null;

// chart.js imports these two: asked for with it, not one import level later.
const CHART_PARTS = ["/vendor/chart.js/chunks/index.js", "/vendor/@kurkle/color/color.esm.js"];

async function charting() {
  if (!chartModule) {
    for (const href of CHART_PARTS) {
      if (document.querySelector(`link[href="${href}"]`)) continue;
      const link = document.createElement("link");
      link.rel = "modulepreload";
      link.href = href;
      document.head.append(link);
    }
    chartModule = import("chart.js").then(({ Chart, registerables }) => {
      Chart.register(...registerables);
      return Chart;
    });
  }
  return chartModule;
}

const FUND_COLOURS = { fee_income: "#2f7d5b", public_income: "#3a6ea5", maintenance_fund: "#c27c2c" };
// Expenses in darker, redder shades of their fund's colour, so the two stacks read apart.
const EXPENSE_COLOURS = { fee_income: "#b8433c", public_income: "#8a4f9e", maintenance_fund: "#7a4a1c" };
const CATEGORY_COLOURS = ["#2f7d5b", "#3a6ea5", "#c27c2c", "#8a4f9e", "#b8433c", "#4c8c8c", "#7a7a3a", "#5a5a8a"];

function categoryName(category) {
  const key = `treasury.category.${category}`;
  const text = t(key);
  return text === key ? t("treasury.categoryN", { n: category }) : text;
}

// The maintenance fund's one-off deposits, milestone payments and emergency repairs
// (hundreds of thousands) would flatten the months' running income and spending: they
// have their own cards.
const ONE_OFF = new Set(["deposit", "milestone", "emergency_repair"]);
const OPERATING = (item) => !(item.fund === "maintenance_fund" && ONE_OFF.has(item.kind));
// Expense kinds that are not a budget category (the company's pay, assembly decisions, the fund).
const KIND_NAMES = { milestone: "treasury.milestones", emergency_repair: "treasury.emergencyRepairs",
  commission: "treasury.commission", lump_sum: "treasury.lumpSum", decision: "treasury.decisionPayouts" };

function monthlyChart(Chart, canvas, allItems) {
  const items = allItems.filter(OPERATING);
  const months = [...new Set(items.map((i) => i.month_label))].sort();
  const series = new Map();
  for (const item of items) {
    const key = `${item.flow}:${item.fund}`;
    if (!series.has(key)) series.set(key, new Map());
    const byMonth = series.get(key);
    byMonth.set(item.month_label, (byMonth.get(item.month_label) ?? 0) + item.amount);
  }
  const datasets = [...series.entries()].map(([key, byMonth]) => {
    const [flow, fund] = key.split(":");
    return {
      label: `${t(`treasury.${flow}`)} · ${t(`fund.${fund}`)}`, stack: flow,
      data: months.map((m) => (byMonth.get(m) ?? 0) / 100),
      backgroundColor: (flow === "expense" ? EXPENSE_COLOURS : FUND_COLOURS)[fund] ?? "#888",
    };
  });
  return new Chart(canvas, {
    type: "bar",
    data: { labels: months, datasets },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: t("treasury.yuanAxis") } } },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
    },
  });
}

/** The monthly average rating (1–5, line) and how many owners rated (bars). */
function satisfactionChart(Chart, canvas, items) {
  return new Chart(canvas, {
    data: {
      labels: items.map((i) => i.period_label),
      datasets: [
        { type: "line", label: t("treasury.satisfactionAverage"), data: items.map((i) => i.average), yAxisID: "score",
          borderColor: "#2f7d5b", backgroundColor: "#2f7d5b", tension: 0.25, pointRadius: 3 },
        { type: "bar", label: t("treasury.satisfactionCount"), data: items.map((i) => i.count), yAxisID: "count",
          backgroundColor: "rgba(58, 110, 165, 0.25)" },
      ],
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: {
        score: { position: "left", min: 1, max: 5, ticks: { stepSize: 1 }, title: { display: true, text: t("treasury.scoreAxis") } },
        count: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 }, title: { display: true, text: t("treasury.ratersAxis") } },
      },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
    },
  });
}

function categoryChart(Chart, canvas, items) {
  const totals = new Map();
  for (const item of items.filter((i) => i.flow === "expense")) {
    const name = KIND_NAMES[item.kind] ? t(KIND_NAMES[item.kind]) : categoryName(item.category);
    totals.set(name, (totals.get(name) ?? 0) + item.amount);
  }
  const labels = [...totals.keys()];
  return new Chart(canvas, {
    type: "doughnut",
    data: { labels, datasets: [{ data: labels.map((l) => totals.get(l) / 100), backgroundColor: CATEGORY_COLOURS }] },
    options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } },
  });
}

function satisfactionSummary(items) {
  if (!items.length) return empty(t("treasury.noRatings"));
  const latest = items[items.length - 1];
  return `<p class="small" data-testid="satisfaction-latest">${esc(t("treasury.satisfactionLatest", {
    month: latest.period_label, average: latest.average.toFixed(2), count: number(latest.count) }))}</p>`;
}

function projectsCard(projects) {
  if (!projects.length) return "";
  return `<section class="card" data-testid="maintenance-projects"><h2>${esc(t("treasury.projects"))}</h2>
    <p class="muted small">${esc(t("treasury.projectsNote"))}</p>
    <div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("treasury.project"))}</th><th>${esc(t("treasury.payee"))}</th>
      <th class="num">${esc(t("treasury.projectTotal"))}</th><th>${esc(t("treasury.milestonesPaid"))}</th><th class="num">${esc(t("treasury.projectRemaining"))}</th></tr></thead><tbody>
    ${projects.map((p) => `<tr data-testid="project"><td>#${p.project_id} <code class="small" title="${esc(p.doc_hash)}">${esc(shortHash(p.doc_hash))}</code></td>
      <td>${party(p.payee)}</td><td class="num">${yuan(p.total)}</td>
      <td><div class="meter" title="${percent(p.paid, p.total)}"><span style="width:${Math.min(100, 100 * p.paid / (p.total || 1))}%"></span></div>
        <span class="small muted">${esc(t("treasury.milestonesOf", { released: p.released, total: p.milestones.length, paid: yuan(p.paid) }))}</span></td>
      <td class="num">${yuan(p.remaining)}</td></tr>`).join("")}</tbody></table></div></section>`;
}

// Emergency repairs (民法典 第二百八十一条): paid by the committee without a vote, within the
// assembly's caps, each with the housing authority's approval; shown apart, at once.
function emergencyCard(emergency, repairs) {
  if (!emergency.cap_per_use && !repairs.length) return "";
  return `<section class="card" data-testid="emergency-repairs"><h2>${esc(t("treasury.emergencyRepairs"))}</h2>
    <p class="muted small">${esc(t("treasury.emergencyNote", { perUse: yuan(emergency.cap_per_use), perYear: yuan(emergency.cap_per_year),
      paid: yuan(emergency.paid_this_year) }))}</p>
    ${repairs.length ? `<div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("treasury.date"))}</th><th>${esc(t("treasury.emergencyKind"))}</th>
      <th>${esc(t("treasury.payee"))}</th><th class="num">${esc(t("treasury.amount"))}</th><th>${esc(t("treasury.approval"))}</th></tr></thead><tbody>
    ${repairs.map((r) => `<tr data-testid="emergency-repair"><td>${date(r.block_timestamp)}</td><td>${esc(t(`treasury.emergency.${r.kind}`))}</td>
      <td>${party(r.payee)}</td><td class="num">${yuan(r.amount)}</td>
      <td><code class="hash" title="${esc(r.approval_hash)}">${esc(shortHash(r.approval_hash))}</code></td></tr>`).join("")}</tbody></table></div>` : ""}
  </section>`;
}

export async function render(ctx, view, params, current) {
  html(view, `<h1>${esc(t("treasury.title"))}</h1>`);
  const Chart = charting(); // fetched while the figures load
  const [treasury, monthly, budgets, expenses, satisfaction, projects, repairs] = await Promise.all([
    ctx.api.get("/treasury"), ctx.api.get("/treasury/monthly"), ctx.api.get("/treasury/budgets"),
    ctx.api.get("/treasury/expenses", { order: "desc", limit: 50 }), ctx.api.get("/satisfaction"),
    ctx.api.get("/treasury/maintenance-projects", { limit: 20 }),
    ctx.api.get("/treasury/emergency-repairs", { order: "desc", limit: 20 }), loadNames(ctx),
  ]);
  if (!current()) return;
  const b = treasury.balances;
  html(view, `<section class="grid four" data-testid="balances">
      ${[["fee_income", b.fee_income], ["public_income", b.public_income], ["maintenance_fund", b.maintenance_fund]]
        .map(([fund, value]) => `<div class="card stat"><span class="muted">${esc(t(`fund.${fund}`))}</span><strong data-testid="balance-${fund}">${yuan(value)}</strong></div>`).join("")}
      <div class="card stat"><span class="muted">${esc(t("treasury.reserved"))}</span><strong>${yuan(b.maintenance_reserved)}</strong></div>
    </section>`);
  const charts = html(view, `<section class="grid two">
      <div class="card"><h2>${esc(t("treasury.byMonth"))}</h2><div class="chart"><canvas data-testid="chart-monthly"></canvas></div>
        <p class="muted small">${esc(t("treasury.byMonthNote"))}</p></div>
      <div class="card"><h2>${esc(t("treasury.byCategory"))}</h2><div class="chart"><canvas data-testid="chart-category"></canvas></div></div>
      <div class="card" data-testid="satisfaction"><h2>${esc(t("treasury.satisfaction"))}</h2>
        ${satisfaction.items.length ? `<div class="chart"><canvas data-testid="chart-satisfaction"></canvas></div>` : ""}${satisfactionSummary(satisfaction.items)}</div>
      ${projectsCard(projects.items)}
      ${emergencyCard(treasury.emergency, repairs.items)}
    </section>`);
  if (monthly.items.length || satisfaction.items.length) {
    const chart = await Chart;
    if (!current()) return;
    // The charts' words follow the page's type (larger in the 大字 mode) and its muted ink.
    const root = getComputedStyle(document.documentElement);
    chart.defaults.font.size = Math.round(parseFloat(root.fontSize) * 0.75);
    chart.defaults.color = root.getPropertyValue("--muted").trim() || chart.defaults.color;
    if (monthly.items.length) {
      monthlyChart(chart, charts.querySelector("[data-testid=chart-monthly]"), monthly.items);
      categoryChart(chart, charts.querySelector("[data-testid=chart-category]"), monthly.items);
    }
    if (satisfaction.items.length) satisfactionChart(chart, charts.querySelector("[data-testid=chart-satisfaction]"), satisfaction.items);
  }

  html(view, `<section class="card"><h2>${esc(t("treasury.budgets"))}</h2>
    ${budgets.items.length ? `<div class="table-wrap" tabindex="0"><table data-testid="budgets"><thead><tr><th>${esc(t("treasury.year"))}</th><th>${esc(t("treasury.fund"))}</th><th>${esc(t("treasury.category"))}</th>
      <th class="num">${esc(t("treasury.budget"))}</th><th class="num">${esc(t("treasury.spent"))}</th><th>${esc(t("treasury.use"))}</th></tr></thead><tbody>
      ${budgets.items.map((row) => `<tr><td>${row.year}</td><td>${row.fund ? esc(t(`fund.${row.fund}`)) : ""}</td><td>${esc(categoryName(row.category))}</td><td class="num">${yuan(row.budget)}</td>
        <td class="num">${yuan(row.spent)}</td><td><div class="meter" title="${percent(row.spent, row.budget)}"><span style="width:${Math.min(100, 100 * row.spent / (row.budget || 1))}%"></span></div>
        <span class="small muted">${percent(row.spent, row.budget)}</span></td></tr>`).join("")}</tbody></table></div>` : empty(t("treasury.noBudgets"))}
    </section>`);

  html(view, `<section class="card"><header class="card-head"><h2>${esc(t("treasury.expenses"))}</h2>
      <a class="button" href="${ctx.api.url("/treasury/expenses.csv")}" download data-testid="csv">${esc(t("treasury.csv"))}</a></header>
    ${expenses.items.length ? `<div class="table-wrap" tabindex="0"><table data-testid="expenses"><thead><tr><th>${esc(t("treasury.date"))}</th><th>${esc(t("treasury.period"))}</th>
      <th>${esc(t("treasury.category"))}</th><th>${esc(t("treasury.fund"))}</th><th>${esc(t("treasury.payee"))}</th><th class="num">${esc(t("treasury.amount"))}</th><th>${esc(t("treasury.invoice"))}</th></tr></thead><tbody>
      ${expenses.items.map((e) => `<tr data-testid="expense"><td>${date(e.block_timestamp)}</td><td>${esc(e.period_label)}</td><td>${esc(categoryName(e.category))}</td>
        <td>${esc(t(`fund.${e.fund}`))}</td><td data-testid="payee">${party(e.payee)}</td><td class="num">${yuan(e.amount)}</td>
        <td><code class="hash" title="${esc(e.invoice_hash)}" data-testid="invoice-hash">${esc(shortHash(e.invoice_hash))}</code></td></tr>`).join("")}</tbody></table></div>` : empty(t("treasury.noExpenses"))}
    <p class="muted small">${esc(t("treasury.invoiceNote"))}</p></section>`);
}
