// SPDX-License-Identifier: AGPL-3.0-only
// Notice board (公告) and document library: every notice with its audience, the documents
// it carries (each checked against its hash in this browser), how many were served, the
// owner's signed acknowledgement and the service list (CSV, PDF); the library the
// committee registered on chain, in force or withdrawn.

import { t } from "../i18n.js";
import { date, esc } from "../format.js";
import { fetchTexts } from "../texts.js";
import { documentCard, hydrateDocuments, noticeCard, wireNotices } from "../documents.js";
import { empty, html } from "../ui.js";

export async function fillNoticeTexts(root) {
  const slots = [...root.querySelectorAll("[data-text]")];
  const texts = await fetchTexts(slots.map((s) => s.dataset.text));
  for (const slot of slots) {
    const text = texts.get(slot.dataset.text.toLowerCase());
    slot.innerHTML = text ? `<p class="prewrap" data-testid="notice-text">${esc(text)}</p>` : `<p class="muted small">${esc(t("notices.textMissing"))}</p>`;
  }
}

export async function render(ctx, view, params, current) {
  html(view, `<h1>${esc(t("notices.title"))}</h1>`);
  if (!ctx.config.contracts.NoticeBoard) {
    html(view, empty(t("notices.noBoard")));
    return;
  }
  const [board, library] = await Promise.all([ctx.api.get("/notices", { limit: 50 }), ctx.api.get("/documents")]);
  if (!current()) return;
  html(view, `<p class="muted">${esc(t("notices.intro"))}</p>`);
  const list = html(view, `<div class="stack" data-testid="notices"></div>`);
  if (!board.items.length) html(list, empty(t("notices.none")));
  for (const notice of board.items) html(list, noticeCard(notice));
  const shelf = html(view, `<section class="card" data-testid="library"><h2>${esc(t("library.title"))}</h2>
    <p class="muted small">${esc(t("library.intro"))}</p></section>`);
  if (!library.items.length) html(shelf, empty(t("library.none")));
  for (const doc of library.items) {
    const card = html(shelf, `<div class="library-entry ${doc.withdrawn_at ? "withdrawn" : ""}" data-testid="library-entry">
      <p><span class="tag">${esc(t(`library.kind.${doc.kind}`))}</span> ${esc(doc.title)}
        <span class="small muted">${esc(t("library.registered", { when: date(doc.registered_at) }))}${doc.withdrawn_at ? ` · ${esc(t("library.withdrawn", { when: date(doc.withdrawn_at) }))}` : ""}</span></p>
      ${documentCard(doc.doc_hash, doc.title)}</div>`);
    card.dataset.kind = doc.kind;
  }
  await Promise.all([fillNoticeTexts(view), hydrateDocuments(view), wireNotices(ctx, view, board.items, board.board, board.chain_id)]);
}
