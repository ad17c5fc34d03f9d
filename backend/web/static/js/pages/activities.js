// SPDX-License-Identifier: AGPL-3.0-only
// Activities: upcoming and past, sign up and cancel, check in, feedback. The organiser
// checks attendees in, or gives each a check-in code: its EIP-712 signature of
// CheckIn(activityId, attendee, deadline), shown as text the attendee pastes here.
// Times are the chain's (an activity's phase comes from the indexed head). Descriptions,
// feedback and cancellation reasons are on chain as SHA-256 only; their texts are read
// from (and feedback is written to) the public text store (texts.js).

import { t } from "../i18n.js";
import { dateTime, esc, number, shortAddress, shortHash, stars } from "../format.js";
import { loadNames, party } from "../names.js";
import { fetchTexts, publishText } from "../texts.js";
import { act } from "../passkey.js";
import { runStep, runTx } from "../tx.js";
import { busy, chainNow, connectHint, empty, errorCard, html, named, whoAmI } from "../ui.js";

const CHECK_IN_GRACE = 3600; // CommunityActivities.CHECK_IN_GRACE: check-in opens an hour before, closes an hour after
const ZERO_HASH = "0x" + "0".repeat(64);
const CHECK_IN_TYPES = {
  CheckIn: [{ name: "activityId", type: "uint256" }, { name: "attendee", type: "address" }, { name: "deadline", type: "uint256" }],
};

/** The code an organiser hands an attendee: one line of text (a QR code can carry it). */
function encodeCode(activityId, attendee, deadline, signature) {
  return `linli-checkin:${activityId}:${attendee}:${deadline}:${signature}`;
}

/** The link an attendee's phone opens when it scans the code's QR: this page, the code in it. */
function codeLink(activityId, code) {
  return `${location.origin}${location.pathname}#/activities/${activityId}/code/${encodeURIComponent(code)}`;
}

/** A code typed or pasted as it is, or inside the link its QR carries. */
function decodeCode(text) {
  let plain = text.trim();
  try { plain = decodeURIComponent(plain); } catch { /* not URI-encoded */ }
  const found = /linli-checkin:[0-9a-fA-Fx:]+/.exec(plain);
  const match = /^linli-checkin:(\d{1,12}):(0x[0-9a-fA-F]{40}):(\d{1,12}):(0x[0-9a-fA-F]{128,130})$/.exec(found ? found[0] : plain);
  if (!match) return null;
  return { activityId: match[1], attendee: match[2].toLowerCase(), deadline: BigInt(match[3]), signature: match[4] };
}

function phaseTag(a) {
  const key = a.status === "open" ? a.phase : a.status;
  return `<span class="tag state-${esc(key)}" data-testid="phase">${esc(named("activities.phase.", key, key))}</span>`;
}

function facts(a) {
  return `<dl class="facts">
    <dt>${esc(t("activities.when"))}</dt><dd>${esc(dateTime(a.starts_at))} – ${esc(dateTime(a.ends_at))}</dd>
    <dt>${esc(t("activities.organiser"))}</dt><dd data-testid="organiser">${party(a.organiser)}</dd>
    <dt>${esc(t("activities.places"))}</dt><dd data-testid="places">${number(a.signed_up)} / ${number(a.capacity)}</dd>
    <dt>${esc(t("activities.points"))}</dt><dd>${esc(t("activities.pointsEach", { points: a.points }))}</dd>
    ${a.phase === "past" ? `<dt>${esc(t("activities.attended"))}</dt><dd>${number(a.checked_in)}</dd>
    <dt>${esc(t("activities.rating"))}</dt><dd data-testid="rating">${a.feedback_count ? `${stars(a.feedback_average)} ${a.feedback_average.toFixed(1)} (${esc(t("activities.ratings", { n: a.feedback_count }))})` : esc(t("activities.noRatings"))}</dd>` : ""}
  </dl>`;
}

function myLine(mine) {
  if (!mine?.signed_up && !mine?.checked_in) return "";
  const parts = [t(mine.checked_in ? "activities.youAttended" : "activities.youSignedUp")];
  if (mine.points_earned) parts.push(t("activities.earned", { points: mine.points_earned }));
  if (mine.feedback_score) parts.push(t("activities.yourScore", { stars: stars(mine.feedback_score) }));
  return `<p class="mine" data-testid="my-state">${esc(parts.join(" · "))}</p>`;
}

/** What this resident can do in the activity now, as controls inside `card`. */
function myActions(ctx, card, a, mine, now, me, scanned = null) {
  if (!me?.member || a.status !== "open") return null;
  const box = card.querySelector(".actions");
  const signed = Boolean(mine?.signed_up);
  const attended = Boolean(mine?.checked_in);
  // By wallet, or for a resident signed in by passkey through the relayer (same toasts).
  const tx = (title, method, args) => busy(card, async () => {
    await act(ctx, title, "CommunityActivities", method, args);
    ctx.rerender();
  });
  if (now < a.starts_at && !signed && a.signed_up < a.capacity) {
    box.insertAdjacentHTML("beforeend", `<button type="button" class="primary" data-testid="sign-up">${esc(t("activities.signUp"))}</button>`);
    box.querySelector("[data-testid=sign-up]").addEventListener("click", () => tx(t("activities.signUpTitle", { title: a.title }), "sign_up", [a.activity_id]));
  }
  if (now < a.starts_at && signed && !attended) {
    box.insertAdjacentHTML("beforeend", `<button type="button" data-testid="cancel-sign-up">${esc(t("activities.cancel"))}</button>`);
    box.querySelector("[data-testid=cancel-sign-up]").addEventListener("click", () => tx(t("activities.cancelTitle", { title: a.title }), "cancel_sign_up", [a.activity_id]));
  }
  const checkInOpen = now >= a.starts_at - CHECK_IN_GRACE && now <= a.ends_at + CHECK_IN_GRACE;
  let checkIn = null;
  if (checkInOpen && signed && !attended) {
    const form = document.createElement("form");
    form.className = "inline check-in";
    form.dataset.testid = "check-in-form";
    form.innerHTML = `<label>${esc(t("activities.code"))} <input name="code" required placeholder="linli-checkin:…" data-testid="check-in-code"></label>
      <button type="submit" class="primary" data-testid="check-in">${esc(t("activities.checkIn"))}</button>
      <p class="muted small">${esc(t("activities.codeNote"))}</p><p class="error-text small" hidden></p>`;
    box.append(form);
    if (scanned) form.code.value = scanned;
    checkIn = form;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const code = decodeCode(form.code.value);
      const problem = form.querySelector(".error-text");
      const wrong = !code ? t("activities.codeMalformed")
        : code.activityId !== String(a.activity_id) ? t("activities.codeOtherActivity")
        : code.attendee !== ctx.account ? t("activities.codeOtherPerson") : null;
      problem.hidden = !wrong;
      problem.textContent = wrong ?? "";
      if (wrong) return;
      tx(t("activities.checkInTitle", { title: a.title }), "check_in_with_code",
        [a.activity_id, ctx.account, code.deadline, code.signature]);
    });
  }
  if (a.phase === "past" && now >= a.ends_at && attended && !mine.feedback_score) {
    const form = document.createElement("form");
    form.className = "feedback";
    form.dataset.testid = "feedback-form";
    form.innerHTML = `<fieldset><legend>${esc(t("activities.yourRating"))}</legend>${[5, 4, 3, 2, 1].map((s) =>
      `<label class="choice"><input type="radio" name="score" value="${s}" ${s === 5 ? "checked" : ""}> ${stars(s)}</label>`).join("")}</fieldset>
      <label class="block">${esc(t("activities.feedbackText"))} <textarea name="text" rows="2" maxlength="500" data-testid="feedback-text"></textarea></label>
      <p class="muted small" data-testid="public-note">${esc(t("activities.feedbackNote"))}</p>
      <button type="submit" class="primary" data-testid="give-feedback">${esc(t("activities.giveFeedback"))}</button>`;
    box.append(form);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        const text = form.text.value.trim();
        const hash = text ? await publishText(ctx, text, "feedback") : ZERO_HASH;
        await act(ctx, t("activities.feedbackTitle", { title: a.title }), "CommunityActivities", "leave_feedback",
          [a.activity_id, Number(form.score.value), hash]);
        ctx.rerender();
      });
    });
  }
  return checkIn;
}

function activityCard(a) {
  return `<article class="card activity" data-testid="activity" data-activity="${a.activity_id}">
    <header class="card-head"><h2><a href="#/activities/${a.activity_id}">${esc(a.title)}</a></h2>${phaseTag(a)}</header>
    ${facts(a)}<div class="actions"></div></article>`;
}

async function myActivities(ctx) {
  if (!ctx.account) return new Map();
  const page = await ctx.api.get(`/residents/${ctx.account}/activities`, { limit: 200 });
  return new Map(page.items.map((m) => [m.activity_id, m]));
}

async function renderList(ctx, view, current) {
  const [open, proposed, mine, me, now] = await Promise.all([
    ctx.api.get("/activities", { status: "open", order: "desc", limit: 100 }),
    ctx.api.get("/activities", { status: "proposed", order: "desc", limit: 20 }),
    myActivities(ctx), whoAmI(ctx), chainNow(ctx), loadNames(ctx),
  ]);
  if (!current()) return;
  html(view, `<p class="muted">${esc(t("activities.intro"))}</p>`);
  connectHint(ctx, view, t("activities.connectHint"));
  const coming = open.items.filter((a) => a.phase !== "past").sort((x, y) => x.starts_at - y.starts_at);
  const past = open.items.filter((a) => a.phase === "past");
  for (const [title, items, testid, none] of [
    [t("activities.upcoming"), coming, "upcoming", t("activities.noUpcoming")],
    [t("activities.past"), past, "past", t("activities.noPast")],
  ]) {
    const section = html(view, `<section data-testid="${testid}"><h2>${esc(title)}</h2>
      ${items.length ? `<div class="grid two">${items.map(activityCard).join("")}</div>` : empty(none)}</section>`);
    for (const a of items) {
      const card = section.querySelector(`[data-activity="${a.activity_id}"]`);
      card.querySelector(".actions").insertAdjacentHTML("beforebegin", myLine(mine.get(a.activity_id)));
      myActions(ctx, card, a, mine.get(a.activity_id), now, me);
    }
  }
  if (proposed.items.length) {
    html(view, `<section class="card" data-testid="proposed"><h2>${esc(t("activities.proposed"))}</h2><ul class="plain">
      ${proposed.items.map((a) => `<li><a href="#/activities/${a.activity_id}">${esc(a.title)}</a> <span class="muted small">${esc(dateTime(a.starts_at))}</span></li>`).join("")}</ul>
      <p class="muted small">${esc(t("activities.proposedNote"))}</p></section>`);
  }
}

/** The organiser's tools: check signed-up residents in, or give each a code. */
async function organiserTools(ctx, view, a, signUps, now) {
  const open = a.status === "open" && now >= a.starts_at - CHECK_IN_GRACE && now <= a.ends_at + CHECK_IN_GRACE;
  const card = html(view, `<section class="card" data-testid="organiser"><h2>${esc(t("activities.organiserTools"))}</h2>
    <p class="muted small">${esc(t(open ? "activities.organiserNote" : "activities.checkInClosed", { from: dateTime(a.starts_at - CHECK_IN_GRACE), to: dateTime(a.ends_at + CHECK_IN_GRACE) }))}</p>
    ${signUps.length ? `<div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("activities.resident"))}</th><th>${esc(t("activities.state"))}</th><th></th></tr></thead><tbody>
      ${signUps.map((s) => `<tr data-testid="sign-up-row" data-resident="${esc(s.resident)}"><td><code title="${esc(s.resident)}">${esc(shortAddress(s.resident))}</code></td>
        <td>${esc(t(s.checked_in ? "activities.checkedIn" : "activities.notYet"))}</td>
        <td>${open && !s.checked_in ? `<button type="button" data-check="${esc(s.resident)}">${esc(t("activities.checkInNow"))}</button>
          <button type="button" data-code="${esc(s.resident)}" data-testid="make-code">${esc(t("activities.makeCode"))}</button>` : ""}</td></tr>`).join("")}
      </tbody></table></div>` : empty(t("activities.noSignUps"))}
    <div data-testid="codes"></div></section>`);
  card.querySelectorAll("[data-check]").forEach((button) => button.addEventListener("click", () => busy(card, async () => {
    const writer = await ctx.wallet.contract("CommunityActivities");
    await runTx(ctx, t("activities.checkInTitle", { title: a.title }), () => writer.check_in(a.activity_id, [button.dataset.check]));
    ctx.rerender();
  })));
  card.querySelectorAll("[data-code]").forEach((button) => button.addEventListener("click", () => busy(card, async () => {
    const attendee = button.dataset.code;
    const code = await runStep(t("activities.signCode"), async () => {
      const [, name, version, chainId, verifyingContract] = await ctx.wallet.reader("CommunityActivities").eip712Domain();
      const deadline = BigInt(a.ends_at + CHECK_IN_GRACE);
      const signer = await ctx.wallet.signer();
      const signature = await signer.signTypedData({ name, version, chainId, verifyingContract }, CHECK_IN_TYPES,
        { activityId: BigInt(a.activity_id), attendee, deadline });
      return encodeCode(a.activity_id, attendee, deadline, signature);
    }, t("activities.codeReady"));
    const link = codeLink(a.activity_id, code);
    const box = card.querySelector("[data-testid=codes]");
    box.querySelector(`[data-code-for="${attendee}"]`)?.remove();
    box.insertAdjacentHTML("beforeend", `<div class="code-box" data-code-for="${esc(attendee)}">
      <p class="small"><strong>${esc(t("activities.codeFor", { who: shortAddress(attendee) }))}</strong></p>
      <canvas class="qr" data-testid="check-in-qr" data-for="${esc(attendee)}" data-link="${esc(link)}" role="img" aria-label="${esc(t("activities.qrLabel"))}"></canvas>
      <p class="muted small">${esc(t("activities.qrNote"))}</p>
      <div class="actions"><button type="button" data-testid="copy-code" data-copy="${esc(link)}">${esc(t("activities.copyLink"))}</button></div>
      <details><summary class="small">${esc(t("activities.codeText"))}</summary>
        <code data-testid="check-in-code-text" data-for="${esc(attendee)}">${esc(code)}</code></details></div>`);
    const entry = box.lastElementChild;
    await drawQr(entry.querySelector("canvas"), link);
    entry.querySelector("[data-testid=copy-code]").addEventListener("click", async (event) => {
      const button = event.currentTarget;
      button.textContent = t(await copyText(button.dataset.copy) ? "activities.copied" : "activities.copyFailed");
    });
  })));
}

/** The QR code of `text` on a canvas: black modules on white with the quiet zone a camera
 * needs (the library from node_modules, loaded only when an organiser makes a code). */
async function drawQr(canvas, text) {
  const { default: encodeQR } = await import("@paulmillr/qr");
  const modules = encodeQR(text, "raw", { ecc: "medium", border: 4 });
  const scale = Math.max(3, Math.floor(264 / modules.length));
  canvas.width = canvas.height = modules.length * scale;
  const g = canvas.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = "#000";
  modules.forEach((row, y) => row.forEach((dark, x) => { if (dark) g.fillRect(x * scale, y * scale, scale, scale); }));
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (a page over plain http on a LAN address): the old way.
    const area = document.createElement("textarea");
    area.value = text;
    document.body.append(area);
    area.select();
    const copied = document.execCommand("copy");
    area.remove();
    return copied;
  }
}

async function renderDetail(ctx, view, id, current, scanned = null) {
  const [a, signUps, feedback, mine, me, now] = await Promise.all([
    ctx.api.get(`/activities/${id}`), ctx.api.get(`/activities/${id}/sign-ups`, { limit: 500 }),
    ctx.api.get(`/activities/${id}/feedback`, { order: "desc", limit: 100 }), myActivities(ctx), whoAmI(ctx), chainNow(ctx),
    loadNames(ctx),
  ]);
  const texts = await fetchTexts([a.description_hash, a.cancellation_reason_hash, ...feedback.items.map((f) => f.text_hash)]);
  if (!current()) return;
  html(view, `<p><a href="#/activities">← ${esc(t("activities.back"))}</a></p>`);
  const card = html(view, activityCard(a));
  const description = texts.get(a.description_hash);
  html(card, `<p data-testid="description">${description ? `<span class="public-text">${esc(description)}</span><br>` : ""}
    <span class="muted small">${esc(t("activities.description"))} <code title="${esc(a.description_hash)}">${esc(shortHash(a.description_hash))}</code></span></p>`);
  const reason = a.cancellation_reason_hash && texts.get(a.cancellation_reason_hash);
  if (reason) html(card, `<p class="warning-text" data-testid="cancellation-reason">${esc(t("activities.cancelledBecause", { reason }))}</p>`);
  card.querySelector(".actions").insertAdjacentHTML("beforebegin", myLine(mine.get(a.activity_id)));
  const checkIn = myActions(ctx, card, a, mine.get(a.activity_id), now, me, scanned);
  if (scanned) {
    // Opened from a scanned QR code: the code is filled in, or the page says why it cannot be used here.
    const state = !ctx.account ? "scannedConnect" : checkIn ? "scannedReady"
      : mine.get(a.activity_id)?.checked_in ? "scannedDone" : "scannedCannot";
    card.insertAdjacentHTML("afterend", `<section class="card notice" data-testid="scanned" data-state="${state}"><p>${esc(t(`activities.${state}`))}</p>
      ${!ctx.account ? `<button type="button" class="primary" data-testid="scanned-connect">${esc(t("connect.button"))}</button>` : ""}</section>`);
    // Connecting redraws this same address, the code still in it.
    card.nextElementSibling.querySelector("[data-testid=scanned-connect]")?.addEventListener("click", () => ctx.wallet.connect().catch(() => null));
    checkIn?.scrollIntoView({ block: "center" });
  }
  if (ctx.account && ctx.account === a.organiser) await organiserTools(ctx, view, a, signUps.items, now);
  html(view, `<section class="card" data-testid="feedback-list"><h2>${esc(t("activities.feedback"))}</h2>${feedback.items.length
    ? `<ul class="plain">${feedback.items.map((f) => {
      const text = texts.get(f.text_hash);
      return `<li data-testid="feedback"><span>${stars(f.score)}</span> <code>${esc(shortAddress(f.attendee))}</code>
        <span class="muted small">${esc(dateTime(f.block_timestamp))}</span>
        ${text ? `<span class="public-text">${esc(text)}</span>` : f.text_hash !== ZERO_HASH ? `<span class="muted small">${esc(t("texts.unavailable"))}</span>` : ""}</li>`;
    }).join("")}</ul>` : empty(t("activities.noFeedback"))}</section>`);
}

export async function render(ctx, view, params, current) {
  html(view, `<h1>${esc(t("activities.title"))}</h1>`);
  try {
    if (params[0] && /^[0-9]{1,12}$/.test(params[0])) {
      const scanned = params[1] === "code" && params[2] ? params.slice(2).join("/") : null;
      return await renderDetail(ctx, view, params[0], current, scanned && decodeURIComponent(scanned));
    }
    return await renderList(ctx, view, current);
  } catch (error) {
    if (current()) errorCard(view, error);
  }
}
