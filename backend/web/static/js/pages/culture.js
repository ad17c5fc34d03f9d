// SPDX-License-Identifier: AGPL-3.0-only
// Culture: residents' works. A work is registered by its file's SHA-256, computed here in
// the browser (the file is never uploaded, nor put on chain); the same file can be
// registered once, so anyone holding it can look up who registered it and when. Likes
// (one per household) earn the creator points; the committee curates exhibitions.

import { t } from "../i18n.js";
import { date, dateTime, esc, number, shortAddress, shortHash } from "../format.js";
import { nameOf } from "../names.js";
import { sha256File, utf8Length } from "../hash.js";
import { fetchTexts } from "../texts.js";
import { act } from "../passkey.js";
import { busy, connectHint, empty, errorCard, html, named, whoAmI } from "../ui.js";

const KINDS = [0, 1, 2, 3, 4, 5]; // CultureWorks: calligraphy, painting, photograph, story, idea, other
const MAX_TITLE_BYTES = 96;
const MAX_URI_BYTES = 120;

function kindName(kind) {
  return named("culture.kind.", kind, t("culture.kindN", { n: kind }));
}

function uriView(uri) {
  return /^https?:\/\//.test(uri)
    ? `<a href="${esc(uri)}" rel="noopener noreferrer" target="_blank">${esc(uri)}</a>`
    : `<code>${esc(uri)}</code>`;
}

/** "Already registered by … on …" for a provenance answer. */
function registeredText(found) {
  return t("culture.registeredBy", { who: shortAddress(found.creator), when: dateTime(found.minted_at), title: found.title });
}

function workCard(work, likeState) {
  return `<article class="card work" data-testid="work" data-hash="${esc(work.content_hash)}">
    <header class="card-head"><h2><a href="#/culture/work/${esc(work.work_id)}">${esc(work.title)}</a></h2>
      <span class="tag">${esc(kindName(work.kind))}</span></header>
    <dl class="facts">
      <dt>${esc(t("culture.creator"))}</dt><dd><code title="${esc(work.creator)}">${esc(shortAddress(work.creator))}</code></dd>
      <dt>${esc(t("culture.registered"))}</dt><dd>${date(work.minted_at)}</dd>
      <dt>SHA-256</dt><dd><code class="hash" data-testid="work-hash" title="${esc(work.content_hash)}">${esc(shortHash(work.content_hash))}</code></dd>
    </dl>
    <p class="likes"><strong data-testid="likes">${number(work.likes)}</strong> ${esc(t("culture.likesWord"))}
      · <span class="muted small">${esc(t("culture.likePoints", { points: number(work.points_from_likes) }))}</span></p>
    <div class="actions" data-testid="like-area">${likeControl(work, likeState)}</div>
  </article>`;
}

function likeControl(work, state) {
  if (!state) return "";
  if (state.ownHousehold) return `<span class="muted small">${esc(t("culture.ownWork"))}</span>`;
  if (state.liked) return `<span class="tag" data-testid="liked">${esc(t("culture.liked"))}</span>`;
  return `<button type="button" class="primary" data-testid="like" data-like="${esc(work.work_id)}">${esc(t("culture.like"))}</button>`;
}

/** For each work: may this wallet's household like it (contract views through the wallet's node)? */
async function likeStates(ctx, me, works) {
  if (!me?.member || !works.length) return new Map();
  const registry = ctx.wallet.reader("HouseholdRegistry");
  const culture = ctx.wallet.reader("CultureWorks");
  const household = await registry.household_of(ctx.account);
  const liked = await Promise.all(works.map((w) => culture.liked(household, BigInt(w.work_id))));
  return new Map(works.map((w, i) => [w.work_id, {
    ownHousehold: w.creator_household === household.toString(), liked: liked[i],
  }]));
}

async function gallery(ctx, view, me, works, title, testid = "gallery") {
  const states = await likeStates(ctx, me, works);
  const section = html(view, `<section class="works-section" data-testid="${testid}"><h2>${esc(title)}</h2>
    ${works.length ? `<div class="grid works">${works.map((w) => workCard(w, states.get(w.work_id))).join("")}</div>` : empty(t("culture.noWorks"))}
  </section>`);
  section.querySelectorAll("[data-like]").forEach((button) => button.addEventListener("click", () => busy(button.closest(".work"), async () => {
    const work = works.find((w) => w.work_id === button.dataset.like);
    await act(ctx, t("culture.likeTitle", { title: work.title }), "CultureWorks", "like", [BigInt(work.work_id)]);
    ctx.rerender();
  })));
}

function mintForm(ctx, view, me) {
  const form = html(view, `<form class="card" data-testid="mint-form" novalidate>
      <h2>${esc(t("culture.mintTitle"))}</h2>
      <p class="muted small">${esc(t("culture.mintNote"))}</p>
      <label class="block">${esc(t("culture.file"))} <input type="file" name="file" data-testid="mint-file" required></label>
      <p class="small" data-testid="mint-hash" hidden></p>
      <p class="small" data-testid="mint-provenance" hidden></p>
      <label>${esc(t("culture.title"))} <input name="title" required maxlength="96" data-testid="mint-title"></label>
      <label>${esc(t("culture.kind"))} <select name="kind">${KINDS.map((k) => `<option value="${k}">${esc(kindName(k))}</option>`).join("")}</select></label>
      <label>${esc(t("culture.uri"))} <input name="uri" maxlength="120" placeholder="https://…"></label>
      <p class="muted small">${esc(t("culture.uriNote"))}</p>
      <p class="error-text small" data-testid="mint-problem" hidden></p>
      <div class="actions"><button type="submit" class="primary" data-testid="mint" disabled>${esc(t("culture.mint"))}</button></div>
    </form>`);
  const hashLine = form.querySelector("[data-testid=mint-hash]");
  const provenanceLine = form.querySelector("[data-testid=mint-provenance]");
  const problem = form.querySelector("[data-testid=mint-problem]");
  const submit = form.querySelector("[data-testid=mint]");
  let contentHash = null;
  const say = (line, text, cls = "") => {
    line.hidden = !text;
    line.className = `small ${cls}`;
    line.textContent = text ?? "";
  };
  form.file.addEventListener("change", async () => {
    contentHash = null;
    submit.disabled = true;
    say(provenanceLine, null);
    const file = form.file.files[0];
    if (!file) return say(hashLine, null);
    // An empty file has the one SHA-256 every empty file has: nothing of the work is in it.
    if (file.size === 0) return say(hashLine, t("culture.emptyFile"), "error-text");
    say(hashLine, t("culture.hashing"));
    const hash = await sha256File(file);
    say(hashLine, t("culture.fingerprint", { hash }));
    hashLine.dataset.hash = hash;
    const found = await ctx.api.maybe(`/culture/provenance/${hash}`);
    if (found) return say(provenanceLine, registeredText(found), "warning-text");
    say(provenanceLine, t("culture.notRegistered"), "muted");
    if (!form.title.value) form.title.value = file.name.replace(/\.[^.]*$/, "").slice(0, 32);
    contentHash = hash;
    submit.disabled = !me?.member;
  });
  if (!me?.member) html(form, `<p class="muted small">${esc(t(ctx.account ? "culture.membersOnly" : "culture.connectToMint"))}</p>`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const title = form.title.value.trim();
    const uri = form.uri.value.trim() || `sha256:${contentHash?.slice(2)}`;
    const wrong = !contentHash ? t("culture.chooseFile")
      : !title ? t("culture.titleRequired")
      : utf8Length(title) > MAX_TITLE_BYTES ? t("culture.titleTooLong")
      : utf8Length(uri) > MAX_URI_BYTES ? t("culture.uriTooLong") : null;
    say(problem, wrong, "error-text");
    if (wrong) return;
    busy(form, async () => {
      // A wallet's transaction, or for a passkey resident the passkey signs and the relayer
      // sends it: the work is minted to the account (it accepts ERC-721 tokens).
      await act(ctx, t("culture.mintTx", { title }), "CultureWorks", "mint_work",
        [title, Number(form.kind.value), contentHash, uri]);
      ctx.rerender();
    });
  });
}

function verifyBox(ctx, view) {
  const card = html(view, `<section class="card" data-testid="verify-file"><h2>${esc(t("culture.verifyTitle"))}</h2>
      <p class="muted small">${esc(t("culture.verifyNote"))}</p>
      <label class="block">${esc(t("culture.file"))} <input type="file" data-testid="verify-input"></label>
      <p data-testid="verify-result" class="small"></p></section>`);
  const input = card.querySelector("input");
  const result = card.querySelector("[data-testid=verify-result]");
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    if (file.size === 0) {
      result.dataset.found = "empty";
      return (result.textContent = t("culture.emptyFile"));
    }
    result.textContent = t("culture.hashing");
    const hash = await sha256File(file);
    const found = await ctx.api.maybe(`/culture/provenance/${hash}`);
    result.innerHTML = `${esc(t("culture.fingerprint", { hash }))}<br>${found
      ? `<strong>${esc(registeredText(found))}</strong> <a href="#/culture/work/${esc(found.work_id)}">${esc(t("culture.open"))}</a>${found.hidden ? ` <span class="tag">${esc(t("culture.hidden"))}</span>` : ""}`
      : esc(t("culture.verifyNone"))}`;
    result.dataset.found = found ? "yes" : "no";
  });
}

async function renderGallery(ctx, view, current) {
  const [overview, works, exhibitions, me] = await Promise.all([
    ctx.api.get("/culture"), ctx.api.get("/culture/works", { hidden: false, order: "desc", limit: 60 }),
    ctx.api.get("/culture/exhibitions", { order: "desc", limit: 20 }), whoAmI(ctx),
  ]);
  if (!current()) return;
  html(view, `<p class="muted">${esc(t("culture.intro", { rate: overview.like_rate, cap: overview.like_daily_cap }))}</p>`);
  connectHint(ctx, view, t("culture.connectHint"));
  const forms = html(view, `<div class="grid two"></div>`);
  mintForm(ctx, forms, me);
  verifyBox(ctx, forms);
  html(view, `<section class="card" data-testid="exhibitions"><h2>${esc(t("culture.exhibitions"))}</h2>
    ${exhibitions.items.length ? `<ul class="plain">${exhibitions.items.map((e) => `<li><a href="#/culture/exhibition/${e.exhibition_id}" data-testid="exhibition">${esc(e.title)}</a>
      <span class="muted small">${esc(t("culture.exhibitionSize", { n: e.size }))} · ${date(e.block_timestamp)}</span></li>`).join("")}</ul>` : empty(t("culture.noExhibitions"))}
  </section>`);
  await gallery(ctx, view, me, works.items, t("culture.gallery", { n: overview.works - overview.hidden_works }));
}

async function renderExhibition(ctx, view, id, current) {
  const [exhibition, me] = await Promise.all([ctx.api.get(`/culture/exhibitions/${id}`), whoAmI(ctx)]);
  if (!current()) return;
  html(view, `<p><a href="#/culture">← ${esc(t("culture.back"))}</a></p>
    <p class="muted">${esc(t("culture.exhibitionBy", { who: nameOf(exhibition.created_by), when: date(exhibition.block_timestamp) }))}</p>`);
  await gallery(ctx, view, me, exhibition.works.filter((w) => !w.hidden), exhibition.title, "exhibition-works");
}

async function renderWork(ctx, view, workId, current) {
  const [work, likes, me] = await Promise.all([
    ctx.api.get(`/culture/works/${workId}`), ctx.api.get(`/culture/works/${workId}/likes`, { order: "desc", limit: 50 }), whoAmI(ctx),
  ]);
  if (!current()) return;
  html(view, `<p><a href="#/culture">← ${esc(t("culture.back"))}</a></p>`);
  const [states, texts] = await Promise.all([work.hidden ? new Map() : likeStates(ctx, me, [work]),
    fetchTexts([work.hidden_reason_hash])]);
  const reason = work.hidden_reason_hash && texts.get(work.hidden_reason_hash);
  const card = html(view, workCard(work, states.get(work.work_id)));
  html(card, `<dl class="facts">
      <dt>${esc(t("culture.fullHash"))}</dt><dd><code data-testid="full-hash">${esc(work.content_hash)}</code></dd>
      <dt>${esc(t("culture.tokenId"))}</dt><dd><code>${esc(work.token_id)}</code></dd>
      <dt>${esc(t("culture.owner"))}</dt><dd><code>${esc(work.owner)}</code>${work.gift ? ` <span class="tag">${esc(t("culture.gifted"))}</span>` : ""}</dd>
      <dt>${esc(t("culture.uri"))}</dt><dd>${uriView(work.uri)}</dd>
      <dt>${esc(t("common.tx"))}</dt><dd><code title="${esc(work.minted_tx)}">${esc(shortHash(work.minted_tx))}</code></dd>
    </dl>${work.hidden ? `<p class="warning-text" data-testid="hidden-note">${esc(t("culture.hiddenNote"))}${reason
      ? `<br><span class="public-text" data-testid="hidden-reason">${esc(t("culture.hiddenBecause", { reason }))}</span>` : ""}</p>` : ""}`);
  card.querySelector("[data-like]")?.addEventListener("click", (event) => busy(card, async () => {
    await act(ctx, t("culture.likeTitle", { title: work.title }), "CultureWorks", "like", [BigInt(event.target.dataset.like)]);
    ctx.rerender();
  }));
  html(view, `<section class="card"><h2>${esc(t("culture.likesTitle"))}</h2>${likes.items.length
    ? `<div class="table-wrap" tabindex="0"><table data-testid="like-list"><thead><tr><th>${esc(t("culture.when"))}</th><th>${esc(t("culture.liker"))}</th>
      <th class="num">${esc(t("culture.pointsToCreator"))}</th></tr></thead><tbody>${likes.items.map((l) => `<tr><td>${dateTime(l.block_timestamp)}</td>
      <td><code>${esc(shortAddress(l.liker))}</code></td><td class="num">${number(l.points_minted)}</td></tr>`).join("")}</tbody></table></div>
      <p class="muted small">${esc(t("culture.capNote"))}</p>` : empty(t("culture.noLikes"))}</section>`);
}

export async function render(ctx, view, params, current) {
  html(view, `<h1>${esc(t("culture.pageTitle"))}</h1>`);
  try {
    if (params[0] === "work" && /^0x[0-9a-fA-F]{64}$/.test(params[1] ?? "")) return await renderWork(ctx, view, params[1].toLowerCase(), current);
    if (params[0] === "exhibition" && /^[0-9]{1,12}$/.test(params[1] ?? "")) return await renderExhibition(ctx, view, params[1], current);
    return await renderGallery(ctx, view, current);
  } catch (error) {
    if (current()) errorCard(view, error);
  }
}
