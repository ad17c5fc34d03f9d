// SPDX-License-Identifier: AGPL-3.0-only
// Documents the chain knows by their SHA-256 (a proposal's full text and attachments, the
// library) and notices: each file is fetched from the store and hashed here, in the
// browser, so the page says itself whether it is the file on chain; a resident can also
// check a copy they hold. A notice is acknowledged by an EIP-712 signature (no gas).

import { t } from "./i18n.js";
import { ApiError } from "./api.js";
import { dateTime, esc, shortHash } from "./format.js";
import { sha256Bytes, sha256File } from "./hash.js";
import { runStep } from "./tx.js";
import { html } from "./ui.js";

const DOCUMENTS = "/api/v1/documents";
const TEXT_TYPES = ["text/plain", "text/markdown"];
const ACK_TYPES = {
  Acknowledgement: [
    { name: "notice", type: "uint256" }, { name: "content", type: "bytes32" },
    { name: "owner", type: "address" }, { name: "acknowledgedAt", type: "uint256" },
  ],
};

/** A card for the document `hash` (its title `label`), filled once fetched and checked. */
export function documentCard(hash, label) {
  return `<article class="document" data-doc="${esc(hash)}" data-testid="document">
    <header><strong>${esc(label)}</strong> <code class="small" title="${esc(hash)}">${esc(shortHash(hash))}</code>
      <span class="doc-state small" data-testid="doc-state">${esc(t("docs.checking"))}</span></header>
    <div class="doc-body"></div>
    <label class="small doc-check">${esc(t("docs.checkCopy"))} <input type="file" data-testid="doc-file"></label>
    <p class="small doc-check-result" data-testid="doc-check-result" aria-live="polite"></p></article>`;
}

function setState(card, state, text) {
  const node = card.querySelector(".doc-state");
  node.className = `doc-state small ${state === "match" ? "passed" : state === "mismatch" ? "failed" : "muted"}`;
  node.dataset.state = state;
  node.textContent = text;
}

/** Fetch, hash and show every document card inside `root`. */
export async function hydrateDocuments(root) {
  await Promise.all([...root.querySelectorAll("[data-doc]")].map(async (card) => {
    const hash = card.dataset.doc.toLowerCase();
    card.querySelector("[data-testid=doc-file]").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      if (!file) return;
      const got = await sha256File(file);
      const out = card.querySelector(".doc-check-result");
      out.dataset.state = got === hash ? "match" : "mismatch";
      out.className = `small doc-check-result ${got === hash ? "passed" : "failed"}`;
      out.textContent = got === hash ? t("docs.copyMatches", { name: file.name })
        : t("docs.copyDiffers", { name: file.name, got: shortHash(got) });
    });
    let response;
    try {
      response = await fetch(`${DOCUMENTS}/${hash}`);
    } catch {
      setState(card, "unavailable", t("docs.unavailable"));
      return;
    }
    if (!response.ok) {
      const key = { 404: "docs.notStored", 409: "docs.altered", 410: "docs.removed" }[response.status] ?? "docs.unavailable";
      setState(card, response.status === 409 ? "mismatch" : "unavailable", t(key));
      return;
    }
    const bytes = await response.arrayBuffer();
    const got = await sha256Bytes(bytes);
    if (got !== hash) {
      setState(card, "mismatch", t("docs.mismatch", { got: shortHash(got) }));
      return;
    }
    setState(card, "match", t("docs.match"));
    const type = (response.headers.get("content-type") ?? "").split(";")[0];
    const body = card.querySelector(".doc-body");
    const blob = URL.createObjectURL(new Blob([bytes], { type }));
    if (TEXT_TYPES.includes(type)) {
      html(body, `<pre class="doc-text" data-testid="doc-text">${esc(new TextDecoder().decode(bytes))}</pre>`);
    } else if (type.startsWith("image/")) {
      html(body, `<img class="doc-image" alt="" src="${blob}">`);
    }
    html(body, `<p class="small"><a href="${blob}" target="_blank" rel="noopener" download="${esc(hash.slice(2, 14))}">${esc(t("docs.open"))}</a></p>`);
  }));
}

/** Sign the acknowledgement of `notice` (EIP-712, no gas) and hand it to the backend. */
export async function acknowledge(ctx, notice, board, chainId) {
  return runStep(t("notices.ackTitle"), async (progress) => {
    const signer = await ctx.wallet.signer();
    const acknowledgedAt = Math.floor(Date.now() / 1000);
    const signature = await signer.signTypedData(
      { name: "Linli NoticeBoard", version: "1", chainId, verifyingContract: board }, ACK_TYPES,
      { notice: BigInt(notice.notice_id), content: notice.content_hash, owner: ctx.account, acknowledgedAt: BigInt(acknowledgedAt) });
    progress(t("notices.ackSending"));
    try {
      return await ctx.api.post(`${ctx.api.base}/notices/${notice.notice_id}/receipts`,
        { owner: ctx.account, acknowledged_at: acknowledgedAt, signature });
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) throw new Error(t("notices.ackNotYours"));
      throw error;
    }
  }, t("notices.ackDone"));
}

/** The notice as a card: who it is for, when, the vote's window and roll, served, and the documents. */
export function noticeCard(notice, { withDocuments = true } = {}) {
  const roll = notice.roll;
  const audience = notice.audience === 2 ? t("notices.audience.2", { building: notice.building }) : t(`notices.audience.${notice.audience}`);
  const lead = roll ? Math.floor(roll.lead / 86400) : null;
  return `<section class="card notice-card" data-testid="notice" data-notice="${notice.notice_id}">
    <header class="card-head"><h2>${esc(notice.title)}</h2><span class="tag">${esc(t(`notices.kind.${notice.kind}`))}</span></header>
    <p class="muted small">${esc(audience)} · ${esc(t("notices.published", { when: dateTime(notice.published_at) }))}
      · <code title="${esc(notice.content_hash)}">${esc(shortHash(notice.content_hash))}</code></p>
    <div class="notice-text" data-text="${esc(notice.content_hash)}"></div>
    ${roll ? `<dl class="facts" data-testid="roll">
      <dt>${esc(t("notices.window"))}</dt><dd>${esc(dateTime(roll.vote_start))} – ${esc(dateTime(roll.vote_end))}</dd>
      <dt>${esc(t("notices.roll"))}</dt><dd>${esc(t("notices.rollValue", { heads: roll.total_heads, area: (roll.total_area / 100).toFixed(2), block: roll.snapshot_block }))}</dd>
      <dt>${esc(t("notices.lead"))}</dt><dd class="${roll.lead >= roll.min_notice ? "passed" : "failed"}">${esc(t("notices.leadValue", { days: lead, rule: Math.floor(roll.min_notice / 86400) }))}</dd></dl>` : ""}
    <p data-testid="served" data-served="${notice.served ?? ""}">${esc(notice.served === null ? t("notices.servedUnknown")
      : roll ? t("notices.servedOf", { served: notice.served, heads: roll.total_heads }) : t("notices.served", { served: notice.served }))}</p>
    <div class="actions"><button type="button" class="primary" data-ack="${notice.notice_id}" data-testid="acknowledge">${esc(t("notices.ack"))}</button>
      <a class="button" data-testid="service-csv" href="SERVICE/${notice.notice_id}/service.csv">${esc(t("notices.csv"))}</a>
      <a class="button" data-testid="service-pdf" href="SERVICE/${notice.notice_id}/service.pdf">${esc(t("notices.pdf"))}</a></div>
    <p class="small ack-state" data-testid="ack-state"></p>
    ${withDocuments && notice.documents.length ? `<h3>${esc(t("notices.documents"))}</h3><div class="stack">${notice.documents.map((d, i) => documentCard(d, t("notices.documentN", { n: i + 1 }))).join("")}</div>` : ""}
  </section>`;
}

/** Wire the acknowledge buttons and the export links of notice cards inside `root`. */
export async function wireNotices(ctx, root, notices, board, chainId) {
  root.querySelectorAll("a[href^='SERVICE/']").forEach((a) => { a.href = a.getAttribute("href").replace("SERVICE", `${ctx.api.base}/notices`); });
  for (const notice of notices) {
    const card = root.querySelector(`[data-notice="${notice.notice_id}"]`);
    if (!card) continue;
    const button = card.querySelector("[data-ack]");
    const state = card.querySelector(".ack-state");
    if (!ctx.account) {
      button.disabled = true;
      state.textContent = t("notices.connectToAck");
      continue;
    }
    const mine = await ctx.api.maybe(`/notices/${notice.notice_id}/receipts/${ctx.account}`);
    if (mine) {
      button.disabled = true;
      state.dataset.state = "acknowledged";
      state.textContent = t("notices.youAcknowledged", { when: dateTime(mine.acknowledged_at) });
    }
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await acknowledge(ctx, notice, board, chainId);
        ctx.rerender();
      } catch {
        button.disabled = false;
      }
    });
  }
}
