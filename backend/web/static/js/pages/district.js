// SPDX-License-Identifier: AGPL-3.0-only
// The street office's view (街道): every community the index holds side by side with the
// district's total (GET /api/v1/district/communities, and its CSV), bar charts of the
// collection rate and the assembly turnout (inline SVG, no library), the ranking with
// each score's parts explained (/district/ranking), and the flags with the numbers that
// raised them (/district/flags). A community the registry retired is shown marked, in no
// total, chart, ranking or flag, with the street office's note saying why (its text from the
// public text store, texts.js; the chain keeps its hash). #/district/0x… shows one district
// registry's communities.

import { Api } from "../api.js";
import { t } from "../i18n.js";
import { duration, esc, monthLabel, number, shortAddress, yuan } from "../format.js";
import { fetchTexts } from "../texts.js";
import { empty, html } from "../ui.js";

const DISTRICT = new Api("/api/v1/district");
const CSV = "/api/v1/district/communities.csv";

const dash = "—";
const maybe = (value, show) => (value === null || value === undefined ? dash : show(value));
const pct = (value) => maybe(value, (v) => `${Number(v).toFixed(1)}%`);

function nameCell(item) {
  return `<span class="community-name">${esc(item.name)}</span>
    ${item.street ? `<span class="small muted">${esc(item.street)}</span>` : ""}
    ${item.retired ? `<span class="tag state-retired" data-testid="retired" title="${esc(t("district.retiredTitle", { block: item.retired_block }))}">${esc(t("district.retired"))}</span>` : ""}
    ${item.retired && item.retired_reason_hash && !/^0x0+$/.test(item.retired_reason_hash) ? `<span class="small retired-note" data-testid="retired-note" data-text="${esc(item.retired_reason_hash)}"></span>` : ""}`;
}

/** The street office's notes on retirements: the chain keeps each note's hash, the text is in the public text store. */
async function fillRetiredNotes(root) {
  const slots = [...root.querySelectorAll("[data-testid=retired-note][data-text]")];
  if (!slots.length) return;
  const texts = await fetchTexts(slots.map((slot) => slot.dataset.text));
  for (const slot of slots) {
    const note = texts.get(slot.dataset.text.toLowerCase());
    slot.textContent = note ? t("district.retiredNote", { note }) : t("district.retiredNoteMissing");
    slot.classList.toggle("muted", !note);
  }
}

function figureCells(f) {
  return `<td class="num">${number(f.units)}</td>
    <td class="num" data-figure="fee_collection_rate">${pct(f.fee_collection_rate)}</td>
    <td class="num" data-figure="arrears">${maybe(f.arrears, yuan)}</td>
    <td class="num">${maybe(f.fees_collected, yuan)}</td>
    <td class="num">${maybe(f.public_income_received, yuan)}</td>
    <td class="num" data-figure="maintenance_fund" title="${esc(t("district.maintenanceTitle", { used: maybe(f.maintenance_fund_used, yuan), emergency: maybe(f.maintenance_fund_used_emergency, yuan) }))}">${maybe(f.maintenance_fund_balance, yuan)}${f.maintenance_fund_used ? `<span class="small muted"> · ${esc(t("district.maintenanceUsed", { used: yuan(f.maintenance_fund_used), emergency: yuan(f.maintenance_fund_used_emergency || 0) }))}</span>` : ""}</td>
    <td class="num" data-figure="satisfaction">${f.satisfaction_average === null || f.satisfaction_average === undefined ? dash : `${f.satisfaction_average} / 5${f.satisfaction_period !== null ? `<span class="small muted"> · ${esc(monthLabel(f.satisfaction_period))}</span>` : ""}`}</td>
    <td class="num" data-figure="suggestions">${f.suggestions_received === null ? dash : `${number(f.suggestions_answered)} / ${number(f.suggestions_received)}`}</td>
    <td class="num">${maybe(f.suggestions_median_time_to_first_answer, duration)}</td>
    <td class="num">${maybe(f.assemblies_held, number)}</td>
    <td class="num" data-figure="assembly_turnout_area">${pct(f.assembly_turnout_area)}</td>
    <td class="num">${f.activities === null ? dash : `${number(f.activities)} / ${number(f.activity_check_ins)}`}</td>
    <td class="num">${number(f.points_issued)} / ${number(f.points_redeemed)}</td>`;
}

function communitiesTable(table, csv) {
  const head = ["district.units", "district.collectionRate", "district.arrears", "district.feesCollected",
    "district.publicIncome", "district.maintenanceFund", "district.satisfaction", "district.suggestions", "district.answerTime", "district.assemblies",
    "district.turnout", "district.activities", "district.points"];
  const total = table.district;
  return `<section class="card" data-testid="district-table"><header class="card-head"><h2>${esc(t("district.tableTitle"))}</h2>
      <a class="button" href="${esc(csv)}" download data-testid="district-csv">${esc(t("district.csv"))}</a></header>
    <p class="muted small">${esc(t("district.tableIntro"))}</p>
    <div class="table-wrap" tabindex="0" role="region" aria-label="${esc(t("district.tableTitle"))}"><table>
      <thead><tr><th scope="col">${esc(t("district.community"))}</th>${head.map((k) => `<th scope="col" class="num">${esc(t(k))}</th>`).join("")}</tr></thead>
      <tbody>${table.items.map((item) => `<tr data-testid="district-row" data-community="${esc(item.community)}" class="${item.retired ? "retired" : ""}">
        <th scope="row">${nameCell(item)}</th>${figureCells(item)}</tr>`).join("")}</tbody>
      <tfoot><tr data-testid="district-total"><th scope="row">${esc(t("district.total", { n: total.communities }))}
        ${total.retired ? `<span class="small muted">${esc(t("district.retiredLeftOut", { n: total.retired }))}</span>` : ""}</th>${figureCells(total)}</tr></tfoot>
    </table></div></section>`;
}

/** One horizontal bar per community: its name, an inline SVG bar of `value` (0-100) and the figure. */
function barChart(testid, title, rows) {
  const drawn = rows.filter((r) => r.value !== null && r.value !== undefined);
  return `<figure class="bar-chart" data-testid="${testid}"><figcaption>${esc(title)}</figcaption>
    ${drawn.length ? `<ul class="plain">${drawn.map((r) => `<li class="bar-row" data-name="${esc(r.name)}" data-value="${r.value}">
      <span class="bar-label">${esc(r.name)}</span>
      <svg class="bar-svg" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
        <rect class="bar-track" x="0" y="0" width="100" height="10"></rect>
        <rect class="bar-fill" x="0" y="0" width="${Math.max(0, Math.min(100, Number(r.value))).toFixed(2)}" height="10"></rect>
      </svg>
      <span class="bar-value">${Number(r.value).toFixed(1)}%</span></li>`).join("")}</ul>` : empty(t("district.noFigures"))}
  </figure>`;
}

function charts(table, satisfaction) {
  const listed = table.items.filter((item) => !item.retired);
  return `<section class="card" data-testid="district-charts"><h2>${esc(t("district.chartsTitle"))}</h2>
    <div class="chart-pair">
      ${barChart("chart-collection", t("district.collectionRate"), listed.map((i) => ({ name: i.name, value: i.fee_collection_rate })))}
      ${barChart("chart-turnout", t("district.turnout"), listed.map((i) => ({ name: i.name, value: i.assembly_turnout_area })))}
    </div>
    ${satisfaction.from_month === null ? "" : satisfactionChart(satisfaction)}</section>`;
}

/** One line per community of its owners' monthly rating (1-5) of the property service,
 * inline SVG; each point's month and average in its title, the last one written out. */
function satisfactionChart(history) {
  const first = history.from_month;
  const span = Math.max(1, history.to_month - first);
  const x = (month) => (100 * (month - first) / span).toFixed(2);
  const y = (average) => (20 - 20 * (average - 1) / 4).toFixed(2);
  const rows = history.items.filter((item) => item.months.length);
  return `<figure class="line-chart" data-testid="chart-satisfaction"><figcaption>${esc(t("district.satisfactionTitle"))}</figcaption>
    ${rows.length ? `<ul class="plain">${rows.map((item) => {
      const last = item.months[item.months.length - 1];
      const label = t("district.satisfactionLine", { name: item.name, months: item.months.map((m) => `${monthLabel(m.month)} ${m.average}`).join("; ") });
      return `<li class="bar-row" data-testid="satisfaction-row" data-community="${esc(item.community)}" data-points="${item.months.length}">
        <span class="bar-label">${esc(item.name)}</span>
        <svg class="line-svg" viewBox="-2 -2 104 24" preserveAspectRatio="none" role="img" aria-label="${esc(label)}" focusable="false">
          <rect class="bar-track" x="-2" y="-2" width="104" height="24"></rect>
          <polyline class="line" fill="none" points="${item.months.map((m) => `${x(m.month)},${y(m.average)}`).join(" ")}"></polyline>
          ${item.months.map((m) => `<circle class="dot" cx="${x(m.month)}" cy="${y(m.average)}" r="1.2"><title>${esc(`${monthLabel(m.month)}: ${m.average} (${m.ratings})`)}</title></circle>`).join("")}
        </svg>
        <span class="bar-value" data-testid="satisfaction-last">${esc(`${last.average} · ${monthLabel(last.month)}`)}</span></li>`;
    }).join("")}</ul>` : empty(t("district.noFigures"))}
  </figure>`;
}

function rawText(part) {
  if (part.raw === null) return dash;
  if (part.unit === "percent") return `${Number(part.raw).toFixed(2)}%`;
  if (part.unit === "seconds") return duration(part.raw);
  return t("district.perUnit", { n: Number(part.raw).toFixed(2) });
}

function partRow(part) {
  const why = part.counted
    ? t("district.contribution", { weight: (part.weight * 100).toFixed(0), value: part.normalised.toFixed(2), points: part.contribution.toFixed(2) })
    : t("district.notCounted");
  return `<tr data-testid="part" data-part="${esc(part.part)}" class="${part.counted ? "" : "muted"}">
    <th scope="row">${esc(t(`district.part.${part.part}`))}</th>
    <td class="num" data-testid="part-raw">${esc(rawText(part))}</td>
    <td><span class="meter" aria-hidden="true"><span style="width:${part.counted ? (part.normalised * 100).toFixed(0) : 0}%"></span></span></td>
    <td class="why small" data-testid="part-why">${esc(why)}</td></tr>`;
}

function rankingCard(ranking, retired) {
  return `<section class="card" data-testid="district-ranking"><h2>${esc(t("district.rankingTitle"))}</h2>
    <p class="muted small">${esc(t("district.rankingIntro"))}</p>
    ${ranking.items.length ? ranking.items.map((r) => `<details class="recommendation" data-testid="ranked" data-community="${esc(r.community)}" ${r.rank === 1 ? "open" : ""}>
      <summary><strong>${r.rank ?? dash}.</strong> ${esc(r.name)}
        <span class="score" data-testid="score">${esc(r.score === null ? t("district.noScore") : t("district.score", { score: r.score.toFixed(2) }))}</span></summary>
      <table class="components"><tbody>${r.parts.map(partRow).join("")}</tbody></table>
    </details>`).join("") : empty(t("district.noCommunities"))}
    ${retired ? `<p class="muted small">${esc(t("district.retiredNotRanked", { n: retired }))}</p>` : ""}</section>`;
}

function flagText(flag) {
  const f = flag.figures;
  if (flag.kind === "expense_spike") {
    return t("district.flag.expense_spike", { category: f.category, month: monthLabel(f.month), amount: yuan(f.amount),
      median: yuan(f.trailing_median), ratio: f.ratio });
  }
  if (flag.kind === "collection_rate_low") {
    return t("district.flag.collection_rate_low", { rate: f.collection_rate, median: f.district_median, gap: f.gap_points,
      units: f.units_in_arrears, arrears: yuan(f.arrears) });
  }
  if (flag.kind === "satisfaction_drop") {
    return t("district.flag.satisfaction_drop", { month: monthLabel(f.month), average: f.average, ratings: f.ratings,
      median: f.trailing_median, drop: f.drop, months: f.trailing_months });
  }
  if (flag.kind === "suggestion_backlog") {
    return t("district.flag.suggestion_backlog", { count: f.unanswered_over_age, days: f.age_days, oldest: f.oldest_age_days });
  }
  return flag.message;
}

function flagsCard(flags) {
  return `<section class="card" data-testid="district-flags"><h2>${esc(t("district.flagsTitle"))}</h2>
    <p class="muted small">${esc(t("district.flagsIntro", { factor: flags.thresholds.expense_spike_factor, months: flags.thresholds.expense_trailing_months, gap: flags.thresholds.collection_gap_points, max: flags.thresholds.backlog_max, days: flags.thresholds.backlog_age_days, drop: flags.thresholds.satisfaction_drop_points }))}</p>
    ${flags.items.length ? `<ul class="plain flags">${flags.items.map((flag) => `<li class="flag" data-testid="flag" data-kind="${esc(flag.kind)}" data-community="${esc(flag.community)}">
      <span class="tag state-flag">${esc(t(`district.kind.${flag.kind}`))}</span> <strong>${esc(flag.name)}</strong>
      <span class="small muted"><code>${esc(shortAddress(flag.community))}</code></span>
      <p data-testid="flag-text">${esc(flagText(flag))}</p></li>`).join("")}</ul>` : empty(t("district.noFlags"))}</section>`;
}

export async function render(ctx, view, params, current) {
  html(view, `<h1>${esc(t("district.title"))}</h1><p class="muted">${esc(t("district.intro"))}</p>`);
  // #/district/0x…: one district registry's communities (two districts in one index kept apart).
  const query = /^0x[0-9a-fA-F]{40}$/.test(params[0] || "") ? { district: params[0] } : {};
  const [table, ranking, flags, satisfaction] = await Promise.all([DISTRICT.get("/communities", query),
    DISTRICT.get("/ranking", query), DISTRICT.get("/flags", query), DISTRICT.get("/satisfaction", query)]);
  if (!current()) return;
  if (!table.items.length) {
    html(view, `<section class="card">${empty(t("district.noCommunities"))}</section>`);
    return;
  }
  html(view, communitiesTable(table, query.district ? `${CSV}?district=${encodeURIComponent(query.district)}` : CSV));
  const notes = fillRetiredNotes(view);
  html(view, rankingCard(ranking, table.district.retired));
  html(view, flagsCard(flags));
  html(view, charts(table, satisfaction));
  await notes;
}
