// SPDX-License-Identifier: AGPL-3.0-only
// Services: a resident posts a request with its budget held in escrow (in one call, the
// settlement token's ERC-1363 transferAndCall, where the token speaks it: by passkey through
// the relayer, or from a wallet; else approve then post), sees the offers and the providers the
// API recommends with each part of their score explained, accepts one, then confirms
// (the provider is paid, the platform fee goes to public income) or disputes, and rates.
// A provider offers on open requests and marks its jobs done. The description and a
// dispute's reason stay off chain: only their SHA-256 is posted, the texts go to the
// public text store first (texts.js), where the provider and everyone read them.
// The resident's own acts (accept, cancel, confirm, dispute, reclaim, rate) go through act():
// a wallet's transaction, or the passkey's call sent by the relayer.

import { AbiCoder } from "ethers";
import { t } from "../i18n.js";
import { dateTime, esc, fenFromYuan, number, shortAddress, shortHash, stars, duration, yuan } from "../format.js";
import { loadNames, nameOf, party, sentence } from "../names.js";
import { fetchTexts, publishText } from "../texts.js";
import { act, relayTx } from "../passkey.js";
import { speaksErc1363 } from "../permit.js";
import { runTx } from "../tx.js";
import { busy, chainNow, connectHint, empty, errorCard, html, named, whoAmI } from "../ui.js";

const DAY = 86400;
const CLOSED_PAID = ["confirmed", "released", "resolved"];

function categoryName(number, apiLabel) {
  return named("services.category.", number, apiLabel ?? t("services.categoryN", { n: number }));
}

function statusTag(status) {
  return `<span class="tag state-${esc(status)}" data-testid="status">${esc(named("services.status.", status, status))}</span>`;
}

function requestRow(r) {
  return `<tr data-testid="request" data-request="${r.request_id}"><td><a href="#/services/${r.request_id}">#${r.request_id}</a></td>
    <td>${esc(categoryName(r.category, r.category_label))}</td><td class="num">${yuan(r.budget)}</td><td>${statusTag(r.status)}</td>
    <td>${esc(dateTime(r.deadline))}</td><td class="num">${yuan(r.escrow)}</td></tr>`;
}

function requestTable(items, testid, none) {
  if (!items.length) return empty(none);
  return `<div class="table-wrap" tabindex="0"><table data-testid="${testid}"><thead><tr><th>${esc(t("services.request"))}</th><th>${esc(t("services.category"))}</th>
    <th class="num">${esc(t("services.budget"))}</th><th>${esc(t("services.statusHead"))}</th><th>${esc(t("services.deadline"))}</th>
    <th class="num">${esc(t("services.escrow"))}</th></tr></thead><tbody>${items.map(requestRow).join("")}</tbody></table></div>`;
}

/** The request as transferAndCall's data: abi.encode(category, description hash, deadline). */
async function orderData(ctx, order) {
  const deadline = BigInt(await chainNow(ctx) + order.days * DAY);
  return AbiCoder.defaultAbiCoder().encode(["uint256", "bytes32", "uint256"], [order.category, order.hash, deadline]);
}

/** A resident signed in by passkey orders in one call the passkey signs and the relayer
 * sends: the token's transferAndCall of the budget to this community's ServiceMarket (the
 * relayer sends no approval, so post_request is not the passkey's way). */
function orderByPasskey(ctx, order) {
  return relayTx(ctx, t("services.postTx", { amount: yuan(order.budget) }), "SettlementToken",
    "transferAndCall(address,uint256,bytes)", async () => {
      // Read inside the step, so a token that cannot take it is said in the order's own toast.
      if (!(await speaksErc1363(ctx.wallet.reader("SettlementToken")))) {
        throw Object.assign(new Error("services.passkeyNeeds1363"), { i18nKey: "services.passkeyNeeds1363" });
      }
      return [ctx.wallet.address("ServiceMarket"), order.budget, await orderData(ctx, order)];
    });
}

/** From a wallet: one transferAndCall where the token speaks ERC-1363 (no allowance left
 * behind), else an approval of what is missing and post_request. */
async function orderByWallet(ctx, order) {
  const market = await ctx.wallet.contract("ServiceMarket");
  const token = await ctx.wallet.contract("SettlementToken");
  const marketAddress = await market.getAddress();
  const title = t("services.postTx", { amount: yuan(order.budget) });
  if (await speaksErc1363(token)) {
    const data = await orderData(ctx, order);
    return runTx(ctx, title, () => token["transferAndCall(address,uint256,bytes)"](marketAddress, order.budget, data));
  }
  if ((await token.allowance(ctx.account, marketAddress)) < order.budget) {
    await runTx(ctx, t("services.approveTitle", { amount: yuan(order.budget) }),
      () => token.approve(marketAddress, order.budget));
  }
  const deadline = BigInt(await chainNow(ctx) + order.days * DAY);
  return runTx(ctx, title, () => market.post_request(order.category, order.hash, order.budget, deadline));
}

function postForm(ctx, view, categories, balance) {
  const form = html(view, `<form class="card" data-testid="post-request"><h2>${esc(t("services.postTitle"))}</h2>
      <label>${esc(t("services.category"))} <select name="category">${categories.map((c) =>
        `<option value="${c.category}">${esc(categoryName(c.category, c.label))}</option>`).join("")}</select></label>
      <label class="block">${esc(t("services.description"))} <textarea name="description" rows="3" maxlength="1000" required data-testid="description"></textarea></label>
      <p class="muted small" data-testid="public-note">${esc(t("services.descriptionNote"))}</p>
      <label>${esc(t("services.budgetYuan"))} <input name="budget" inputmode="decimal" required data-testid="budget" placeholder="300"></label>
      <label>${esc(t("services.deadlineDays"))} <input type="number" name="days" min="1" max="90" value="7" required></label>
      <p class="muted small">${esc(t("services.escrowNote", { balance: balance === null ? "—" : yuan(balance) }))}</p>
      <p class="error-text small" hidden></p>
      <button type="submit" class="primary" data-testid="post">${esc(t("services.post"))}</button></form>`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const problem = form.querySelector(".error-text");
    const budget = fenFromYuan(form.budget.value);
    const text = form.description.value.trim();
    const wrong = !text ? t("services.describe") : !budget ? t("services.badAmount")
      : balance !== null && budget > balance ? t("services.notEnough", { balance: yuan(balance) }) : null;
    problem.hidden = !wrong;
    problem.textContent = wrong ?? "";
    if (wrong) return;
    busy(form, async () => {
      // Stored before anything is sent: a refused text leaves no approval behind either.
      const hash = await publishText(ctx, text, "service_request");
      const order = { category: Number(form.category.value), hash, budget, days: Number(form.days.value) };
      await (ctx.passkey ? orderByPasskey(ctx, order) : orderByWallet(ctx, order));
      const mine = await ctx.api.get("/services/requests", { resident: ctx.account, order: "desc", limit: 1 });
      location.hash = mine.items.length ? `#/services/${mine.items[0].request_id}` : "#/services";
      ctx.rerender();
    });
  });
}

async function renderMarket(ctx, view, current) {
  const me = await whoAmI(ctx);
  const provider = me?.has("provider");
  const [market, categories, recent, mine, openForMe, jobs] = await Promise.all([
    ctx.api.get("/services"), ctx.api.get("/services/categories"), ctx.api.get("/services/requests", { order: "desc", limit: 20 }),
    me ? ctx.api.get("/services/requests", { resident: ctx.account, order: "desc", limit: 50 }) : null,
    provider ? ctx.api.get("/services/requests", { status: "open", order: "desc", limit: 50 }) : null,
    provider ? ctx.api.get("/services/requests", { provider: ctx.account, order: "desc", limit: 50 }) : null,
  ]);
  if (!current()) return;
  html(view, `<p class="muted">${esc(t("services.intro", { fee: (market.fee_bps / 100).toFixed(market.fee_bps % 100 ? 2 : 0), days: Math.round(market.release_delay / DAY), points: market.rating_points }))}</p>`);
  connectHint(ctx, view, t("services.connectHint"));
  html(view, `<section class="grid four" data-testid="market">
    <div class="card stat"><span class="muted">${esc(t("services.escrowHeld"))}</span><strong>${yuan(market.escrow_held)}</strong></div>
    <div class="card stat"><span class="muted">${esc(t("services.paidToProviders"))}</span><strong>${yuan(market.paid_to_providers)}</strong></div>
    <div class="card stat"><span class="muted">${esc(t("services.feesToPublic"))}</span><strong>${yuan(market.fees_to_public_income)}</strong></div>
    <div class="card stat"><span class="muted">${esc(t("services.providers"))}</span><strong>${number(market.providers)}</strong></div></section>`);
  if (me?.member) {
    const balance = await ctx.wallet.reader("SettlementToken").balanceOf(ctx.account).catch(() => null);
    postForm(ctx, view, categories.items, balance);
    html(view, `<section class="card" data-testid="my-requests"><h2>${esc(t("services.myRequests"))}</h2>
      ${requestTable(mine.items, "my-request-list", t("services.noRequests"))}</section>`);
  }
  if (provider) {
    const offerable = openForMe.items.filter((r) => r.resident !== ctx.account);
    html(view, `<section class="card" data-testid="open-requests"><h2>${esc(t("services.openForOffers"))}</h2>
      ${requestTable(offerable, "open-request-list", t("services.noOpen"))}</section>
      <section class="card" data-testid="my-jobs"><h2>${esc(t("services.myJobs"))}</h2>
      ${requestTable(jobs.items, "my-job-list", t("services.noJobs"))}
      <p class="small"><a href="#/granted" data-testid="granted-link">${esc(t("services.grantedLink"))}</a></p></section>`);
  }
  html(view, `<section class="card"><h2>${esc(t("services.recent"))}</h2>${requestTable(recent.items, "recent-requests", t("services.noRequests"))}</section>`);
}

/** Each part of a recommended provider's score, in the resident's words. */
function componentText(name, rec) {
  switch (name) {
    case "category_fit": return t("services.why.category_fit", { n: rec.category_jobs_completed, offers: rec.category_offers });
    case "rating": return rec.rating_count
      ? t("services.why.rating", { n: rec.rating_count, average: rec.rating_average.toFixed(2) }) : t("services.why.noRating");
    case "completed_jobs": return t("services.why.completed_jobs", { n: rec.jobs_completed });
    case "response_time": return rec.mean_response_seconds === null ? t("services.why.noResponse")
      : t("services.why.response_time", { time: duration(rec.mean_response_seconds) });
    case "price_history": return rec.mean_price_ratio === null ? t("services.why.noPrice")
      : t("services.why.price_history", { percent: (rec.mean_price_ratio * 100).toFixed(0) });
    default: return name;
  }
}

function recommendations(view, recs) {
  html(view, `<section class="card" data-testid="recommendations"><h2>${esc(t("services.recommended"))}</h2>
    <p class="muted small">${esc(t("services.formula"))}</p>
    ${recs.items.length ? recs.items.map((rec) => `<details class="recommendation" data-testid="recommendation" data-provider="${esc(rec.provider)}" ${rec.rank === 1 ? "open" : ""}>
      <summary><strong>${rec.rank}.</strong> ${party(rec.provider)}
        <span class="score" data-testid="score">${esc(t("services.score", { score: (rec.score * 100).toFixed(1) }))}</span>
        ${rec.offered ? `<span class="tag">${esc(t("services.hasOffered", { price: yuan(rec.offer_price) }))}</span>` : ""}
        ${rec.expected_price !== null ? `<span class="muted small">${esc(t("services.expected", { price: yuan(rec.expected_price) }))}</span>` : ""}</summary>
      <table class="components"><tbody>${rec.components.map((c) => `<tr data-testid="component" data-name="${esc(c.name)}" title="${esc(c.explanation)}">
        <th>${esc(named("services.part.", c.name, c.name))}</th>
        <td><span class="meter"><span style="width:${(c.value * 100).toFixed(0)}%"></span></span></td>
        <td class="num small">${esc(t("services.contribution", { weight: (c.weight * 100).toFixed(0), value: c.value.toFixed(2), points: (c.contribution * 100).toFixed(1) }))}</td>
        <td class="why small">${esc(componentText(c.name, rec))}</td></tr>`).join("")}</tbody></table>
    </details>`).join("") : empty(t("services.noProviders"))}
    <p class="muted small">${esc(t("services.candidates", { n: recs.candidates }))}</p></section>`);
}

/** A reason or decision text on its own line, when the store (or this browser) has it. */
function reasonLine(texts, hash, testid) {
  const text = hash && texts.get(hash);
  return text ? `<br><span class="public-text" data-testid="${testid}">${esc(text)}</span>` : "";
}

function timeline(r, texts) {
  const rows = [[t("services.posted"), dateTime(r.posted_at)]];
  // The provider's name is markup (a link to the directory): in the row's markup slot, not its text.
  if (r.acceptance) rows.push([t("services.accepted"), "", sentence("services.acceptedValue", { price: yuan(r.acceptance.price), refund: yuan(r.acceptance.refund), fee: (r.acceptance.fee_bps / 100).toFixed(2) }, { who: r.acceptance.provider })]);
  // The automatic release is only a prospect while the escrow holds the price undisputed.
  if (r.completion) rows.push([t("services.done"), r.closure || r.dispute
    ? dateTime(r.completion.done_at)
    : t("services.doneValue", { when: dateTime(r.completion.done_at), release: dateTime(r.completion.release_at) })]);
  if (r.dispute) rows.push([t("services.disputed"), t("services.disputedValue", { when: dateTime(r.dispute.disputed_at), escrow: yuan(r.dispute.escrow) }), reasonLine(texts, r.dispute.reason_hash, "dispute-reason")]);
  if (r.rating) rows.push([t("services.rated"), `${stars(r.rating.score)} ${t("services.ratingPoints", { points: r.rating.points })}`]);
  return rows.map(([k, v, more]) => `<dt>${esc(k)}</dt><dd data-testid="timeline">${esc(v)}${more ?? ""}</dd>`).join("");
}

function closureText(r, texts) {
  const c = r.closure;
  if (!c) return "";
  const key = c.status === "cancelled" || c.status === "reclaimed" ? "services.refunded" : "services.released";
  return `<p class="card notice" data-testid="closure">${esc(t(key, { provider: yuan(c.to_provider), fee: yuan(c.fee), resident: yuan(c.to_resident), when: dateTime(c.closed_at) }))}${reasonLine(texts, c.decision_hash, "decision")}</p>`;
}

async function renderRequest(ctx, view, id, current) {
  const [r, me, now] = await Promise.all([ctx.api.get(`/services/requests/${id}`), whoAmI(ctx), chainNow(ctx),
    loadNames(ctx)]);
  const [recs, texts] = await Promise.all([
    r.status === "open" ? ctx.api.get(`/services/requests/${id}/recommendations`, { limit: 10 }) : null,
    fetchTexts([r.description_hash, r.dispute?.reason_hash, r.closure?.decision_hash]),
  ]);
  if (!current()) return;
  const isResident = ctx.account === r.resident;
  const isProvider = Boolean(me?.has("provider")) && !isResident;
  const text = texts.get(r.description_hash);
  html(view, `<p><a href="#/services">← ${esc(t("services.back"))}</a></p>`);
  const card = html(view, `<section class="card" data-testid="request-detail">
    <header class="card-head"><h2>${esc(t("services.requestTitle", { id: r.request_id, category: categoryName(r.category, r.category_label) }))}</h2>${statusTag(r.status)}</header>
    <dl class="facts">
      <dt>${esc(t("services.resident"))}</dt><dd><code>${esc(shortAddress(r.resident))}</code></dd>
      <dt>${esc(t("services.description"))}</dt><dd>${text ? `<span class="public-text" data-testid="description-text">${esc(text)}</span>`
        : `<span class="muted" data-testid="description-text" data-missing>${esc(t("texts.unavailable"))}</span>`}
        <code class="small" title="${esc(r.description_hash)}">${esc(shortHash(r.description_hash))}</code></dd>
      <dt>${esc(t("services.budget"))}</dt><dd>${yuan(r.budget)}</dd>
      <dt>${esc(t("services.deadline"))}</dt><dd>${esc(dateTime(r.deadline))}</dd>
      <dt>${esc(t("services.escrow"))}</dt><dd data-testid="escrow">${yuan(r.escrow)}</dd>
      ${r.provider ? `<dt>${esc(t("services.provider"))}</dt><dd>${party(r.provider, ' data-testid="provider"')} · ${yuan(r.price)}</dd>` : ""}
      ${timeline(r, texts)}</dl>${closureText(r, texts)}<div class="actions"></div></section>`);
  const actions = card.querySelector(".actions");
  const tx = (scope, title, send) => busy(scope, async () => {
    const market = await ctx.wallet.contract("ServiceMarket");
    await runTx(ctx, title, () => send(market));
    ctx.rerender();
  });
  // The resident's own acts: by wallet, or by passkey through the relayer.
  const own = (scope, title, method, args) => busy(scope, async () => {
    await act(ctx, title, "ServiceMarket", method, args);
    ctx.rerender();
  });
  const button = (testid, label, primary, onClick) => {
    actions.insertAdjacentHTML("beforeend", `<button type="button" data-testid="${testid}" class="${primary ? "primary" : ""}">${esc(label)}</button>`);
    actions.lastElementChild.addEventListener("click", onClick);
  };

  // The resident's steps.
  if (isResident && r.status === "open") button("cancel-request", t("services.cancel"), false, () => own(card, t("services.cancelTx", { id }), "cancel_request", [id]));
  if (isResident && r.status === "done") button("confirm", t("services.confirm", { amount: yuan(r.escrow) }), true, () => own(card, t("services.confirmTx", { id }), "confirm", [id]));
  if (isResident && r.reclaimable) button("reclaim", t("services.reclaim"), false, () => own(card, t("services.reclaimTx", { id }), "reclaim", [id]));
  // Anyone's act, after the delay: a wallet's (the relayer pays only for the resident's own acts).
  if (r.releasable && ctx.account && !ctx.passkey) button("release", t("services.release"), false, () => tx(card, t("services.releaseTx", { id }), (m) => m.release(id)));
  const disputable = r.status === "accepted" || (r.status === "done" && now < r.completion.release_at);
  if (isResident && disputable) {
    const form = html(card, `<form class="inline" data-testid="dispute-form"><label class="grow">${esc(t("services.disputeReason"))} <input name="reason" maxlength="500"></label>
      <button type="submit">${esc(t("services.dispute"))}</button><p class="muted small" data-testid="public-note">${esc(t("services.disputeNote"))}</p>
      <p class="error-text small" hidden></p></form>`);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const reason = form.reason.value.trim();
      const problem = form.querySelector(".error-text");
      problem.hidden = Boolean(reason);
      problem.textContent = reason ? "" : t("services.disputeNeedsReason");
      if (!reason) return;
      busy(form, async () => {
        const hash = await publishText(ctx, reason, "dispute");
        await act(ctx, t("services.disputeTx", { id }), "ServiceMarket", "dispute", [id, hash]);
        ctx.rerender();
      });
    });
  }
  if (isResident && CLOSED_PAID.includes(r.status) && !r.rated) {
    const form = html(card, `<form class="inline" data-testid="rate-form"><fieldset><legend>${esc(t("services.rateProvider"))}</legend>${[5, 4, 3, 2, 1].map((s) =>
      `<label class="choice"><input type="radio" name="score" value="${s}" ${s === 5 ? "checked" : ""}> ${stars(s)}</label>`).join("")}</fieldset>
      <button type="submit" class="primary" data-testid="rate">${esc(t("services.rate"))}</button></form>`);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      own(form, t("services.rateTx", { id }), "rate", [id, Number(form.score.value)]);
    });
  }

  // The provider's steps.
  if (ctx.account && ctx.account === r.provider && r.status === "accepted") {
    button("mark-done", t("services.markDone"), true, () => tx(card, t("services.markDoneTx", { id }), (m) => m.mark_done(id)));
  }
  const myOffer = r.offers.find((o) => o.provider === ctx.account && !o.withdrawn);
  if (isProvider && r.status === "open") {
    const days = Math.max(1, Math.floor((r.deadline - now) / DAY));
    const form = html(view, `<form class="card" data-testid="offer-form"><h2>${esc(t(myOffer ? "services.reviseOffer" : "services.makeOffer"))}</h2>
      <label>${esc(t("services.priceYuan"))} <input name="price" inputmode="decimal" required data-testid="offer-price" value="${myOffer ? (myOffer.price / 100).toFixed(2) : ""}"></label>
      <label>${esc(t("services.withinDays"))} <input type="number" name="days" min="1" max="${days}" value="${Math.min(days, 2)}" required></label>
      <p class="muted small">${esc(t("services.offerNote", { budget: yuan(r.budget), deadline: dateTime(r.deadline) }))}</p>
      <p class="error-text small" hidden></p>
      <div class="actions"><button type="submit" class="primary" data-testid="offer">${esc(t("services.offer"))}</button>
      ${myOffer ? `<button type="button" data-testid="withdraw">${esc(t("services.withdraw"))}</button>` : ""}</div></form>`);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const price = fenFromYuan(form.price.value);
      const problem = form.querySelector(".error-text");
      const wrong = !price ? t("services.badAmount") : price > BigInt(r.budget) ? t("services.overBudget") : null;
      problem.hidden = !wrong;
      problem.textContent = wrong ?? "";
      if (wrong) return;
      busy(form, async () => {
        // Never past the request's deadline, which the contract checks against the block's time.
        const by = Math.min(await chainNow(ctx) + Number(form.days.value) * DAY, r.deadline);
        const market = await ctx.wallet.contract("ServiceMarket");
        await runTx(ctx, t("services.offerTx", { id, price: yuan(price) }), () => market.make_offer(id, price, by));
        ctx.rerender();
      });
    });
    form.querySelector("[data-testid=withdraw]")?.addEventListener("click", () => tx(form, t("services.withdrawTx", { id }), (m) => m.withdraw_offer(id)));
  }

  // Offers as they stand (accept: the price and time the resident saw must still hold).
  const standing = r.offers.filter((o) => !o.withdrawn);
  const offers = html(view, `<section class="card" data-testid="offers"><h2>${esc(t("services.offers", { n: standing.length }))}</h2>
    ${r.offers.length ? `<div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("services.provider"))}</th><th class="num">${esc(t("services.price"))}</th>
      <th>${esc(t("services.completionBy"))}</th><th>${esc(t("services.respondedIn"))}</th><th></th></tr></thead><tbody>
      ${r.offers.map((o) => `<tr data-testid="offer-row" data-provider="${esc(o.provider)}"><td>${party(o.provider)}</td>
        <td class="num">${o.withdrawn ? esc(t("services.withdrawn")) : yuan(o.price)}</td><td>${o.withdrawn ? "—" : esc(dateTime(o.completion_by))}</td>
        <td>${esc(duration(o.response_seconds))}</td>
        <td>${o.accepted ? `<span class="tag">${esc(t("services.acceptedTag"))}</span>` : isResident && r.status === "open" && !o.withdrawn
          ? `<button type="button" class="primary" data-accept="${esc(o.provider)}" data-testid="accept">${esc(t("services.accept"))}</button>` : ""}</td></tr>`).join("")}
      </tbody></table></div>` : empty(t("services.noOffers"))}
    ${isResident && r.status === "open" ? `<p class="muted small">${esc(t("services.acceptNote"))}</p>` : ""}</section>`);
  offers.querySelectorAll("[data-accept]").forEach((b) => b.addEventListener("click", () => {
    const offer = r.offers.find((o) => o.provider === b.dataset.accept);
    own(offers, t("services.acceptTx", { id, who: nameOf(offer.provider), price: yuan(offer.price) }),
      "accept_offer", [id, offer.provider, offer.price, offer.completion_by]);
  }));
  if (recs) recommendations(view, recs);
}

export async function render(ctx, view, params, current) {
  html(view, `<h1>${esc(t("services.title"))}</h1>`);
  try {
    if (params[0] && /^[0-9]{1,12}$/.test(params[0])) return await renderRequest(ctx, view, Number(params[0]), current);
    return await renderMarket(ctx, view, current);
  } catch (error) {
    if (current()) errorCard(view, error);
  }
}
