// SPDX-License-Identifier: AGPL-3.0-only
// Suggestions (意见反馈): a resident submits a category and the SHA-256 of its text; the
// committee or the property manager answers with a status and the hash of a written
// response. Texts stay off chain but public: the page stores each in the public text
// store before sending its hash, and everyone reads them there (texts.js). A text that
// was never stored shows as not available; a text one was given can be checked against
// its hash.

import { t } from "../i18n.js";
import { dateTime, duration, esc, number, shortAddress, shortHash } from "../format.js";
import { sha256Text } from "../hash.js";
import { loadNames, sentence } from "../names.js";
import { fetchTexts, publishText, removeText } from "../texts.js";
import { act } from "../passkey.js";
import { runTx } from "../tx.js";
import { busy, chainNow, connectHint, empty, errorCard, html, named, whoAmI } from "../ui.js";

const CATEGORIES = [1, 2, 3, 4, 5, 6, 7, 8]; // numbered off chain; names in the dictionaries
const STATUS_CODES = { submitted: 1, received: 2, accepted: 3, in_progress: 4, done: 5, declined: 6 };
// SuggestionBox's allowed moves (its TRANSITIONS table).
const MOVES = { 1: [2, 3, 6], 2: [3, 6], 3: [4, 5], 4: [4, 5] };
const STATUS_NAMES = Object.fromEntries(Object.entries(STATUS_CODES).map(([name, code]) => [code, name]));
const ZERO_HASH = "0x" + "0".repeat(64);

function categoryName(n) {
  return named("suggestions.category.", n, t("suggestions.categoryN", { n }));
}

function statusTag(status) {
  return `<span class="tag state-${esc(status)}" data-testid="status">${esc(named("suggestions.status.", status, status))}</span>`;
}

/** A text from `texts` (fetchTexts), that it was removed, or "not available" (`testid` marks each). */
function textOf(texts, hash, testid) {
  const text = texts.get(hash);
  if (texts.removed?.has(hash)) return `<span class="muted" data-testid="${testid}" data-removed>${esc(text)}</span>`;
  return text ? `<span class="public-text" data-testid="${testid}">${esc(text)}</span>`
    : `<span class="muted" data-testid="${testid}" data-missing>${esc(t("texts.unavailable"))}</span>`;
}

function suggestionCard(s, mine, texts) {
  return `<article class="card suggestion${mine ? " own" : ""}" data-testid="suggestion" data-suggestion="${s.suggestion_id}">
    <header class="card-head"><h2><a href="#/suggestions/${s.suggestion_id}">#${s.suggestion_id} · ${esc(categoryName(s.category))}</a></h2>${statusTag(s.status)}</header>
    <p>${textOf(texts, s.text_hash, "text")}</p>
    <p class="muted small">${esc(t("suggestions.submittedBy", { who: shortAddress(s.submitter), when: dateTime(s.submitted_at) }))}
      · ${esc(s.time_to_first_answer === null ? t("suggestions.unanswered") : t("suggestions.firstAnswer", { time: duration(s.time_to_first_answer) }))}
      ${s.points ? ` · ${esc(t("suggestions.points", { points: s.points }))}` : ""}</p>
    ${s.response_hash ? `<p class="small" data-testid="response">${esc(t("suggestions.response"))} ${textOf(texts, s.response_hash, "response-text")}
      <code title="${esc(s.response_hash)}">${esc(shortHash(s.response_hash))}</code></p>` : ""}
  </article>`;
}

function submitForm(ctx, view) {
  const form = html(view, `<form class="card" data-testid="submit-suggestion"><h2>${esc(t("suggestions.submitTitle"))}</h2>
      <label>${esc(t("suggestions.category"))} <select name="category">${CATEGORIES.map((c) => `<option value="${c}">${esc(categoryName(c))}</option>`).join("")}</select></label>
      <label class="block">${esc(t("suggestions.text"))} <textarea name="text" rows="3" maxlength="2000" data-testid="suggestion-text"></textarea></label>
      <p class="muted small" data-testid="public-note">${esc(t("suggestions.textNote"))}</p>
      <p class="error-text small" data-testid="submit-problem" hidden></p>
      <button type="submit" class="primary" data-testid="submit">${esc(t("suggestions.submit"))}</button></form>`);
  const problem = form.querySelector("[data-testid=submit-problem]");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = form.text.value.trim();
    // Only spaces (or nothing): said here, nothing stored or sent.
    problem.hidden = Boolean(text);
    problem.textContent = text ? "" : t("suggestions.writeSomething");
    if (!text) return;
    busy(form, async () => {
      // Published under its SHA-256 (the vault's sign-in: a wallet's signature, or a passkey
      // account's by EIP-1271), then the hash goes on chain.
      const hash = await publishText(ctx, text, "suggestion");
      // By wallet, or signed by the passkey and sent by the relayer (SuggestionBox.submit is on its list).
      await act(ctx, t("suggestions.submitTx"), "SuggestionBox", "submit", [Number(form.category.value), hash]);
      ctx.rerender();
    });
  });
}

// The handlers' inbox: what waits for a first answer, oldest first, then what is being
// handled (received, accepted, in progress), the longest untouched first. How long each
// has waited comes right after its number, in sight on a phone too.
const HANDLING = ["received", "accepted", "in_progress"];

async function inboxData(ctx) {
  const [waiting, ...moving] = await Promise.all([
    ctx.api.get("/suggestions", { status: "submitted", order: "asc", limit: 50 }),
    ...HANDLING.map((status) => ctx.api.get("/suggestions", { status, order: "asc", limit: 50 })),
  ]);
  const handling = moving.flatMap((page) => page.items).sort((a, b) => a.updated_at - b.updated_at);
  return { waiting: waiting.items, handling, now: await chainNow(ctx) };
}

function inbox(view, { waiting, handling, now }, texts) {
  const row = (s, since, testid) => `<tr data-testid="${testid}" data-suggestion="${s.suggestion_id}">
      <td><a href="#/suggestions/${s.suggestion_id}">#${s.suggestion_id}</a></td>
      <td class="num" data-testid="waiting-for">${esc(duration(Math.max(0, now - since)))}</td>
      <td>${esc(categoryName(s.category))}</td><td>${textOf(texts, s.text_hash, "inbox-text")}</td><td>${statusTag(s.status)}</td></tr>`;
  const table = (items, since, testid, head) => items.length ? `<div class="table-wrap" tabindex="0"><table>
      <thead><tr><th>#</th><th class="num">${esc(head)}</th><th>${esc(t("suggestions.category"))}</th>
      <th>${esc(t("suggestions.textHead"))}</th><th>${esc(t("suggestions.statusHead"))}</th></tr></thead>
      <tbody>${items.map((s) => row(s, since(s), testid)).join("")}</tbody></table></div>` : "";
  html(view, `<section class="card" data-testid="inbox"><h2>${esc(t("suggestions.inbox"))}</h2>
    <p class="muted small">${esc(t("suggestions.inboxNote"))}</p>
    <h3>${esc(t("suggestions.inboxWaiting", { n: number(waiting.length) }))}</h3>
    ${waiting.length ? table(waiting, (s) => s.submitted_at, "inbox-waiting", t("suggestions.waitingFor")) : empty(t("suggestions.inboxEmpty"))}
    <h3>${esc(t("suggestions.inboxHandling", { n: number(handling.length) }))}</h3>
    ${table(handling, (s) => s.updated_at, "inbox-handling", t("suggestions.untouchedFor"))}
  </section>`);
}

async function renderList(ctx, view, current) {
  const [stats, all, me] = await Promise.all([
    ctx.api.get("/suggestions/stats"), ctx.api.get("/suggestions", { order: "desc", limit: 50 }), whoAmI(ctx),
  ]);
  const handler = Boolean(me && (me.has("committee") || me.has("manager")));
  const [mine, box] = await Promise.all([
    me ? ctx.api.get("/suggestions", { submitter: ctx.account, order: "desc", limit: 50 }) : null,
    handler ? inboxData(ctx) : null,
  ]);
  const shown = [...all.items, ...(mine?.items ?? []), ...(box ? [...box.waiting, ...box.handling] : [])];
  const texts = await fetchTexts(shown.flatMap((s) => [s.text_hash, s.response_hash]));
  if (!current()) return;
  html(view, `<p class="muted">${esc(t("suggestions.intro", { points: stats.reward_rate }))}</p>`);
  connectHint(ctx, view, t("suggestions.connectHint"));
  const median = stats.time_to_first_answer.median;
  html(view, `<section class="grid four" data-testid="suggestion-stats">
    <div class="card stat"><span class="muted">${esc(t("suggestions.total"))}</span><strong>${number(stats.submitted)}</strong></div>
    <div class="card stat"><span class="muted">${esc(t("suggestions.open"))}</span><strong>${number(stats.open)}</strong></div>
    <div class="card stat"><span class="muted">${esc(t("suggestions.medianFirst"))}</span><strong>${median === null ? "—" : esc(duration(median))}</strong></div>
    <div class="card stat"><span class="muted">${esc(t("suggestions.acceptance"))}</span><strong>${stats.acceptance_rate === null ? "—" : `${(stats.acceptance_rate * 100).toFixed(0)}%`}</strong></div>
  </section>`);
  if (box) inbox(view, box, texts);
  if (me?.member) submitForm(ctx, view);
  if (mine) {
    html(view, `<section data-testid="my-suggestions"><h2>${esc(t("suggestions.mine"))}</h2>
      ${mine.items.length ? `<div class="grid two">${mine.items.map((s) => suggestionCard(s, true, texts)).join("")}</div>` : empty(t("suggestions.noneMine"))}</section>`);
  }
  html(view, `<section data-testid="all-suggestions"><h2>${esc(t("suggestions.all"))}</h2>
    ${all.items.length ? `<div class="grid two">${all.items.map((s) => suggestionCard(s, s.submitter === ctx.account, texts)).join("")}</div>` : empty(t("suggestions.none"))}</section>`);
}

function answerForm(ctx, view, s) {
  const moves = MOVES[s.status_code] ?? [];
  if (!moves.length) return;
  const form = html(view, `<form class="card" data-testid="answer-form"><h2>${esc(t("suggestions.answerTitle"))}</h2>
    <label>${esc(t("suggestions.newStatus"))} <select name="status">${moves.map((code) => `<option value="${code}">${esc(named("suggestions.status.", STATUS_NAMES[code], code))}</option>`).join("")}</select></label>
    <label class="block">${esc(t("suggestions.responseText"))} <textarea name="text" rows="3" maxlength="2000" data-testid="response-input"></textarea></label>
    <p class="muted small">${esc(t("suggestions.responseNote"))}</p><p class="error-text small" hidden></p>
    <button type="submit" class="primary" data-testid="answer-submit">${esc(t("suggestions.answer"))}</button></form>`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const status = Number(form.status.value);
    const text = form.text.value.trim();
    const problem = form.querySelector(".error-text");
    problem.hidden = !(status === STATUS_CODES.declined && !text);
    problem.textContent = t("suggestions.declineNeedsText");
    if (!problem.hidden) return;
    busy(form, async () => {
      const hash = text ? await publishText(ctx, text, "answer") : ZERO_HASH;
      const box = await ctx.wallet.contract("SuggestionBox");
      await runTx(ctx, t("suggestions.answerTx", { id: s.suggestion_id }), () => box.answer(s.suggestion_id, status, hash));
      ctx.rerender();
    });
  });
}

function verifyBox(view, s) {
  const card = html(view, `<section class="card" data-testid="verify-text"><h2>${esc(t("suggestions.verifyTitle"))}</h2>
    <p class="muted small">${esc(t("suggestions.verifyNote"))}</p>
    <label class="block"><textarea rows="2" data-testid="verify-input"></textarea></label>
    <button type="button">${esc(t("suggestions.verify"))}</button> <span data-testid="verify-result"></span></section>`);
  card.querySelector("button").addEventListener("click", async () => {
    const hash = await sha256Text(card.querySelector("textarea").value.trim());
    const responses = s.history.map((h) => h.response_hash).filter(Boolean);
    const result = card.querySelector("[data-testid=verify-result]");
    result.textContent = hash === s.text_hash ? t("suggestions.isSuggestion")
      : responses.includes(hash) ? t("suggestions.isResponse") : t("suggestions.noMatch", { hash: shortHash(hash) });
  });
}

async function renderDetail(ctx, view, id, current) {
  const [s, me] = await Promise.all([ctx.api.get(`/suggestions/${id}`), whoAmI(ctx), loadNames(ctx)]);
  const texts = await fetchTexts([s.text_hash, s.response_hash, ...s.history.map((h) => h.response_hash)]);
  if (!current()) return;
  html(view, `<p><a href="#/suggestions">← ${esc(t("suggestions.back"))}</a></p>`);
  const card = html(view, suggestionCard(s, s.submitter === ctx.account, texts));
  html(card, `<dl class="facts"><dt>${esc(t("suggestions.textHash"))}</dt><dd><code>${esc(s.text_hash)}</code></dd>
    <dt>${esc(t("suggestions.age"))}</dt><dd>${esc(duration(s.age))}</dd></dl>`);
  html(view, `<section class="card" data-testid="history"><h2>${esc(t("suggestions.history"))}</h2>${s.history.length
    ? `<ol class="history">${s.history.map((h) => `<li data-testid="answer"><strong>${esc(named("suggestions.status.", h.status, h.status))}</strong>
      <span class="muted small">${sentence("suggestions.answeredBy", { when: dateTime(h.answered_at), after: duration(h.elapsed) }, { who: h.answered_by })}</span>
      ${h.response_hash ? `<br>${textOf(texts, h.response_hash, "answer-text")} <code title="${esc(h.response_hash)}">${esc(shortHash(h.response_hash))}</code>` : ""}
      ${h.points ? ` <span class="tag">${esc(t("suggestions.points", { points: h.points }))}</span>` : ""}</li>`).join("")}</ol>`
    : empty(t("suggestions.unanswered"))}</section>`);
  if (me && (me.has("committee") || me.has("manager"))) answerForm(ctx, view, s);
  removeBox(ctx, card, s, texts, me);
  verifyBox(view, s);
}

/** Its author, or the committee, can take the suggestion's words out of the public store
 * (a phone number typed by mistake, words that break the rules); the hash stays on chain. */
function removeBox(ctx, card, s, texts, me) {
  const stored = texts.has(s.text_hash) && !texts.removed.has(s.text_hash);
  const author = ctx.account && ctx.account === s.submitter;
  const committee = Boolean(me?.has("committee"));
  if (!stored || !(author || committee)) return;
  card.insertAdjacentHTML("beforeend", `<div class="actions"><button type="button" data-testid="remove-text">${esc(
    t(author ? "suggestions.removeText" : "suggestions.removeTextCommittee"))}</button></div>`);
  const button = card.querySelector("[data-testid=remove-text]");
  button.addEventListener("click", () => {
    if (!window.confirm(t("suggestions.removeConfirm"))) return;
    busy(card, async () => {
      await removeText(ctx, s.text_hash);
      ctx.rerender();
    });
  });
}

export async function render(ctx, view, params, current) {
  html(view, `<h1>${esc(t("suggestions.title"))}</h1>`);
  try {
    if (params[0] && /^[0-9]{1,12}$/.test(params[0])) return await renderDetail(ctx, view, params[0], current);
    return await renderList(ctx, view, current);
  } catch (error) {
    if (current()) errorCard(view, error);
  }
}
