// SPDX-License-Identifier: AGPL-3.0-only
// A new proposal to the owners' assembly, composed from a menu of actions (set the voting
// rules or the co-signer threshold, approve a service contract and its fee rate, the late
// fee, raise the maintenance share, elect, remove or replace committee members, spend
// public income, approve a year's budget), never raw calldata. Each action is a form of
// typed fields; the backend encodes them (POST …/assembly/compose) and answers each call
// with the class the chain gives it (OwnersAssembly.call_class), so the statute item and
// the majority shown here are the contract's own. The full text is stored in the
// document library under its SHA-256 (the proposal's doc_hash); the proposer's wallet
// sends OwnersAssembly.propose. An owner's motion then gathers co-signers on its page.

import { AbiCoder, Interface, concat, dataLength, keccak256, solidityPacked, id as keccakText } from "ethers";
import { t } from "../i18n.js";
import { dateTime, esc, shortAddress, yuan } from "../format.js";
import { keepText, sha256Text, utf8Length } from "../hash.js";
import { publishText } from "../texts.js";
import { ApiError } from "../api.js";
import { explain, runStep, runTx } from "../tx.js";
import { busy, chainNow, html, named, requireAccount } from "../ui.js";
import { loadNames } from "../names.js";
import { VaultProblem, session, signIn } from "../vault.js";
import { proposeSafeTx } from "../safetx.js";
import { noticeArgs, noticeOf, publishNotice, statuteItem } from "../proposal_notice.js";

const DAY = 86400;
const MAX_CALLS = 8;
const ACTIONS = ["set_voting_rules", "set_cosign_threshold", "approve_service_contract", "set_late_fee",
  "set_maintenance_share", "add_committee_member", "remove_committee_member", "replace_committee_member",
  "pay_by_decision", "approve_annual_budget"];
const ADDRESS = "^0x[0-9a-fA-F]{40}$";


/** The committee proposes through its Safe: a SafeTx calling OwnersAssembly.propose, run
 * first from the Safe's address (a refusal shows before anyone signs), signed by this
 * member and kept by the console's store for the others (#/committee). With the notice
 * board, the proposal's notice goes in the same SafeTx (MultiSendCallOnly: both or
 * neither), for the proposal's id as it will be: its calls, document, proposer (the Safe)
 * and the Safe's proposal nonce. Should another proposal of the Safe run first, the batch
 * fails as a whole when the members run it, and is composed again. */
async function proposeAsCommittee(ctx, composed, args) {
  const safe = ctx.config.contracts.CommitteeSafe.address;
  const assembly = ctx.config.contracts.OwnersAssembly;
  const board = ctx.config.contracts.NoticeBoard;
  const data = new Interface(assembly.abi).encodeFunctionData("propose", args);
  const overview = await ctx.api.get("/committee");
  const multiSend = ctx.config.contracts.MultiSendCallOnly?.address ?? overview.multi_send;
  const notice = board && multiSend ? noticeOf(proposalOf(composed, args)) : null;
  if (notice) notice.hash = await publishText(ctx, notice.text, "notice");
  await runStep(t("propose.sendSafe"), async (progress) => {
    await ctx.wallet.provider().call({ from: safe, to: assembly.address, data });
    let to = assembly.address;
    let payload = data;
    let operation = 0;
    if (notice) {
      const nonce = await ctx.wallet.reader("OwnersAssembly").proposal_nonce(safe);
      const coder = AbiCoder.defaultAbiCoder();
      const calls = keccak256(coder.encode(["address[]", "uint256[]", "bytes[]", "bytes32"], [args[0], args[1], args[2], args[5]]));
      const proposalId = BigInt(keccak256(coder.encode(["bytes32", "address", "uint256"], [calls, safe, nonce])));
      const noticeData = new Interface(board.abi).encodeFunctionData("publish_notice",
        noticeArgs(notice.hash, notice, proposalId, args[5]));
      const packed = (target, callData) => solidityPacked(["uint8", "address", "uint256", "uint256", "bytes"],
        [0, target, 0, dataLength(callData), callData]);
      payload = new Interface(["function multiSend(bytes transactions)"]).encodeFunctionData("multiSend",
        [concat([packed(assembly.address, data), packed(board.address, noticeData)])]);
      to = multiSend;
      operation = 1;
    }
    await proposeSafeTx(ctx, safe, { to, data: payload, operation }, progress);
  }, t("propose.safeProposed"));
  location.hash = "#/committee";
}

/** Percent typed in the page (two decimals) as basis points, or null. */
function bps(text) {
  const match = /^\s*(\d{1,3})(?:[.,](\d{1,2}))?\s*$/.exec(String(text ?? ""));
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0") || "0");
}

function field(name, label, input, note = "") {
  return `<label class="block" data-field="${esc(name)}">${esc(label)} ${input}${note ? `<span class="muted small">${esc(note)}</span>` : ""}</label>`;
}

function numberInput(name, value, { min = 0, max, step = 1 } = {}) {
  return `<input name="${esc(name)}" type="number" inputmode="decimal" required min="${min}"${max !== undefined ? ` max="${max}"` : ""} step="${step}" value="${esc(value ?? "")}" data-testid="f-${esc(name)}">`;
}

function fundSelect(value) {
  return `<select name="fund" data-testid="f-fund">${["public_income", "fee_income"].map((f) =>
    `<option value="${f}" ${f === value ? "selected" : ""}>${esc(t(`propose.fund.${f}`))}</option>`).join("")}</select>`;
}

/** The form of one action: typed fields with their units; people's wallets are addresses
 * (people are never named), organisations are picked from the directory. */
function actionForm(kind, data) {
  const r = data.rules;
  const f = data.fees;
  const members = data.members;
  const memberSelect = (name = "member") => members.length
    ? `<select name="${name}" required data-testid="f-${name}">${members.map((m) => `<option value="${esc(m)}">${esc(m)}</option>`).join("")}</select>`
    : `<input name="${name}" required pattern="${ADDRESS}" placeholder="0x…" data-testid="f-${name}">`;
  const threshold = data.safe
    ? field("threshold", t("propose.f.threshold"), numberInput("threshold", data.safe.threshold, { min: 1, max: 64 }),
      t("propose.f.thresholdNote", { members: data.safe.members.length, threshold: data.safe.threshold })) : "";
  switch (kind) {
    case "set_voting_rules":
      return field("min_notice_days", t("propose.f.minNotice"), numberInput("min_notice_days", Math.round(r.min_notice / DAY), { max: 365 }), t("propose.unit.days"))
        + field("min_voting_days", t("propose.f.minVoting"), numberInput("min_voting_days", Math.max(1, Math.round(r.min_voting_period / DAY)), { min: 1, max: 365 }), t("propose.unit.days"))
        + field("max_voting_days", t("propose.f.maxVoting"), numberInput("max_voting_days", Math.round(r.max_voting_period / DAY), { min: 1, max: 365 }), t("propose.unit.days"))
        + field("objection_days", t("propose.f.objection"), numberInput("objection_days", Math.round(r.objection_window / DAY), { max: 365 }), t("propose.unit.days"))
        + field("queue_days", t("propose.f.queue"), numberInput("queue_days", Math.max(1, Math.round((r.queue_window ?? 30 * DAY) / DAY)), { min: 1, max: 255 }), t("propose.unit.days"));
    case "set_cosign_threshold":
      return field("bps", t("propose.f.cosign"), numberInput("percent", (data.cosignBps / 100).toFixed(2), { min: 0.01, max: 20, step: 0.01 }), t("propose.f.cosignNote"));
    case "approve_service_contract": {
      const open = data.contracts.filter((c) => !c.approved);
      if (!open.length) return `<p class="warning-text" data-testid="no-contracts">${esc(t("propose.f.noContracts"))}</p>`;
      return field("contract_id", t("propose.f.contract"), `<select name="contract_id" required data-testid="f-contract_id">${open.map((c) =>
        `<option value="${c.contract_id}">${esc(t("propose.f.contractLine", { id: c.contract_id, company: data.nameOf(c.company), rate: yuan(c.rate), start: c.start_month, end: c.end_month }))}</option>`).join("")}</select>`);
    }
    case "set_late_fee":
      return field("rate_bps", t("propose.f.lateRate"), numberInput("rate_percent", f ? (f.late_fee_bps / 100).toFixed(2) : "", { max: 100, step: 0.01 }), "%")
        + field("cap_bps", t("propose.f.lateCap"), numberInput("cap_percent", f ? (f.late_fee_cap_bps / 100).toFixed(2) : "", { max: 100, step: 0.01 }), "%");
    case "set_maintenance_share":
      return field("bps", t("propose.f.share"), numberInput("percent", f ? (f.maintenance_share_bps / 100).toFixed(2) : "", { max: 100, step: 0.01 }),
        f ? t("propose.f.shareNow", { now: (f.maintenance_share_bps / 100).toFixed(2) }) : "%");
    case "add_committee_member":
      return field("member", t("propose.f.newMember"), `<input name="member" required pattern="${ADDRESS}" placeholder="0x…" data-testid="f-member">`, t("propose.f.peopleNote")) + threshold;
    case "remove_committee_member":
      return field("member", t("propose.f.leaving"), memberSelect()) + threshold;
    case "replace_committee_member":
      return field("member", t("propose.f.leaving"), memberSelect())
        + field("new_member", t("propose.f.newMember"), `<input name="new_member" required pattern="${ADDRESS}" placeholder="0x…" data-testid="f-new_member">`, t("propose.f.peopleNote"));
    case "pay_by_decision":
      return field("fund", t("propose.f.fund"), fundSelect("public_income"))
        + field("payee", t("propose.f.payee"), `<select name="payee_pick" data-testid="f-payee-pick">${data.directory.map((e) =>
          `<option value="${esc(e.organisation)}">${esc(e.name)} (${esc(shortAddress(e.organisation))})</option>`).join("")}<option value="">${esc(t("propose.f.otherAddress"))}</option></select>
          <input name="payee" pattern="${ADDRESS}" placeholder="0x…" data-testid="f-payee" ${data.directory.length ? 'style="display:none"' : "required"}>`)
        + field("amount_yuan", t("propose.f.amount"), `<input name="amount_yuan" required inputmode="decimal" pattern="^\\d{1,12}([.,]\\d{1,2})?$" data-testid="f-amount_yuan">`, t("propose.unit.yuan"));
    case "approve_annual_budget":
      return field("year", t("propose.f.year"), numberInput("year", data.year, { min: 2000, max: 2200 }))
        + field("fund", t("propose.f.fund"), fundSelect("fee_income"))
        + field("amount_yuan", t("propose.f.amount"), `<input name="amount_yuan" required inputmode="decimal" pattern="^\\d{1,12}([.,]\\d{1,2})?$" data-testid="f-amount_yuan">`, t("propose.unit.yuan"));
    default:
      return "";
  }
}

/** The typed request of one action card, with the proposal's document hash where the action names one. */
function actionValue(card, docHash) {
  const kind = card.dataset.action;
  const form = card;
  const value = (name) => form.querySelector(`[name=${name}]`)?.value?.trim() ?? "";
  const int = (name) => Number.parseInt(value(name), 10);
  switch (kind) {
    case "set_voting_rules":
      return { action: kind, min_notice_days: int("min_notice_days"), min_voting_days: int("min_voting_days"),
        max_voting_days: int("max_voting_days"), objection_days: int("objection_days"), queue_days: int("queue_days") };
    case "set_cosign_threshold":
    case "set_maintenance_share":
      return { action: kind, bps: bps(value("percent")) };
    case "approve_service_contract":
      return { action: kind, contract_id: int("contract_id") };
    case "set_late_fee":
      return { action: kind, rate_bps: bps(value("rate_percent")), cap_bps: bps(value("cap_percent")) };
    case "add_committee_member":
    case "remove_committee_member": {
      const out = { action: kind, member: value("member") };
      if (form.querySelector("[name=threshold]")) out.threshold = int("threshold");
      return out;
    }
    case "replace_committee_member":
      return { action: kind, member: value("member"), new_member: value("new_member") };
    case "pay_by_decision":
      return { action: kind, fund: value("fund"), payee: value("payee_pick") || value("payee"),
        amount_yuan: value("amount_yuan").replace(",", "."), doc_hash: docHash };
    case "approve_annual_budget":
      return { action: kind, year: int("year"), fund: value("fund"), amount_yuan: value("amount_yuan").replace(",", "."), doc_hash: docHash };
    default:
      return { action: kind };
  }
}

/** What the composed proposal needs, in words, from the chain's classes. */
function explanation(ctx, composed) {
  const calls = composed.calls.map((c) => `<li data-testid="composed-call" data-class="${esc(c.call_class)}" data-function="${esc(c.function)}">
      ${esc(t(`propose.action.${c.action}`))} — ${esc(named("contract.", c.contract, c.contract))}.<code>${esc(c.function)}</code>
      <span class="tag">${esc(t(`assembly.class.${c.call_class}`))}</span></li>`).join("");
  const why = composed.calls_major
    ? t("propose.why.call", { contract: named("contract.", composed.major_call.contract, composed.major_call.contract), fn: composed.major_call.function })
    : composed.matter_major ? t("propose.why.matter") : t("propose.why.ordinary");
  return `<ol class="plain calls">${calls}</ol>
    <p data-testid="statute">${esc(statuteItem(composed.matter))}</p>
    <p data-testid="needs" data-approval="${esc(composed.approval)}" class="${composed.major ? "warning-text" : ""}">${esc(t(composed.major ? "propose.needs.major" : "propose.needs.ordinary"))}</p>
    <p class="muted small" data-testid="why">${esc(why)}</p>`;
}

/** Store the full text in the document library under its SHA-256 (signed in with the vault's session). */
async function storeFullText(ctx, title, text, expected) {
  return runStep(t("propose.storing"), async (progress) => {
    const send = async (saved) => {
      const response = await fetch(`/api/v1/documents?filename=${encodeURIComponent(`${title}.txt`)}`, {
        method: "POST", headers: { "content-type": "text/plain; charset=utf-8", authorization: `Bearer ${saved.token}`, accept: "application/json" },
        body: new TextEncoder().encode(text),
      });
      const answer = await response.json().catch(() => null);
      if (!response.ok) throw new ApiError(response.status, answer?.detail ?? response.statusText);
      return answer;
    };
    let saved = session(ctx.account);
    if (!saved) {
      progress(t("texts.signIn"));
      saved = await signIn(ctx);
    }
    let stored;
    try {
      stored = await send(saved);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) throw error;
      progress(t("texts.signIn"));
      stored = await send(await signIn(ctx));
    }
    if (stored.doc_hash?.toLowerCase() !== expected.toLowerCase()) throw new VaultProblem("texts.hashMismatch");
    keepText(expected, text);
    return stored;
  }, null, { beforeTx: true });
}

async function loadData(ctx) {
  const [rules, contracts, fees, directory, roles, now] = await Promise.all([
    ctx.api.get("/assembly/rules"),
    ctx.config.contracts.PropertyFees ? ctx.api.get("/fees/service-contracts", { limit: 50 }).catch(() => ({ items: [] })) : { items: [] },
    ctx.config.contracts.PropertyFees ? ctx.api.get("/fees/config").catch(() => null) : null,
    loadNames(ctx),
    ctx.api.get("/roles").catch(() => []),
    chainNow(ctx),
  ]);
  const assembly = ctx.wallet.reader("OwnersAssembly");
  let safe = null;
  let members = roles.filter((r) => r.role === "committee").map((r) => r.account);
  if (ctx.config.contracts.CommitteeSafe) {
    const reader = ctx.wallet.reader("CommitteeSafe");
    const [owners, threshold] = await Promise.all([reader.getOwners(), reader.getThreshold()]);
    safe = { members: owners.map(String), threshold: Number(threshold) };
    members = safe.members;
  }
  const names = new Map(directory.items.map((e) => [e.organisation.toLowerCase(), e.name]));
  return {
    rules, contracts: contracts.items, fees, directory: directory.items, members, safe, now,
    cosignBps: Number(await assembly.cosign_threshold_bps()),
    year: new Date(now * 1000).getUTCFullYear(),
    nameOf: (address) => names.get(String(address).toLowerCase()) ?? shortAddress(address),
  };
}

/** What the proposal's notice says, from propose's arguments and the composed classes. */
function proposalOf(composed, args) {
  const [, , , matter, title, hash, start, end] = args;
  return { matter, title, hash, start, end, major: composed.major };
}

function toLocalInput(seconds) {
  const d = new Date(seconds * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export async function render(ctx, view, params, current) {
  html(view, `<p><a href="#/assembly">← ${esc(t("assembly.back"))}</a></p><h1>${esc(t("propose.title"))}</h1>`);
  if (!requireAccount(ctx, view)) return;
  const [data, me] = await Promise.all([loadData(ctx), ctx.api.get(`/accounts/${ctx.account}`)]);
  if (!current()) return;
  const committee = data.safe ? false : (me.roles ?? []).includes("committee");
  const safeMember = Boolean(data.safe?.members.some((m) => m.toLowerCase() === ctx.account));
  const owner = (me.units ?? []).some((u) => u.relation === "owner");
  html(view, `<p class="muted" data-testid="propose-intro">${esc(t(committee ? "propose.introCommittee" : "propose.introOwner", { percent: (data.cosignBps / 100).toFixed(2) }))}</p>`);
  if (data.safe) html(view, `<p class="muted small">${esc(t("propose.safeNote"))}</p>`);
  if (!committee && !owner) {
    html(view, `<p class="warning-text" data-testid="not-owner">${esc(t("propose.notOwner"))}</p>`);
  }

  const menu = html(view, `<section class="card" data-testid="menu"><h2>${esc(t("propose.menu"))}</h2>
    <div class="actions wrap">${ACTIONS.map((a) => `<button type="button" data-add="${a}" data-testid="add-${a}">${esc(t(`propose.action.${a}`))}</button>`).join("")}</div>
    <p class="muted small">${esc(t("propose.menuNote", { max: MAX_CALLS }))}</p></section>`);
  const list = html(view, `<div class="stack" data-testid="chosen"></div>`);
  const form = html(view, `<form class="card stack" data-testid="proposal-form" novalidate><h2>${esc(t("propose.details"))}</h2>
    ${field("title", t("propose.f.title"), `<input name="title" required maxlength="80" data-testid="f-title">`)}
    ${field("text", t("propose.f.text"), `<textarea name="text" rows="6" required data-testid="f-text"></textarea>`, t("propose.f.textNote"))}
    ${field("start", t("propose.f.start"), `<input name="start" type="datetime-local" required data-testid="f-start" value="${esc(toLocalInput(data.now + data.rules.min_notice + 2 * 3600))}">`,
      t("propose.f.startNote", { days: (data.rules.min_notice / DAY).toFixed(1) }))}
    ${field("voting_days", t("propose.f.votingDays"), numberInput("voting_days", Math.min(Math.max(7, Math.ceil(data.rules.min_voting_period / DAY)), Math.floor(data.rules.max_voting_period / DAY)),
      { min: 1, max: Math.floor(data.rules.max_voting_period / DAY) }), t("propose.unit.days"))}
    <div class="card" data-testid="composed" style="display:none"></div>
    <label class="block" data-field="matter" style="display:none">${esc(t("propose.f.matter"))} <select name="matter" data-testid="f-matter">${[1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) =>
      `<option value="${m}">${esc(statuteItem(m))}</option>`).join("")}</select></label>
    <p class="error-text" data-testid="compose-error" aria-live="polite"></p>
    <div class="actions"><button type="button" data-testid="check">${esc(t("propose.check"))}</button>
      <button type="submit" class="primary" data-testid="propose" style="display:none">${esc(t("propose.send"))}</button>
      ${safeMember ? `<button type="button" data-testid="propose-safe" style="display:none">${esc(t("propose.sendSafe"))}</button>` : ""}</div></form>`);
  const composedBox = form.querySelector("[data-testid=composed]");
  const matterBox = form.querySelector("[data-field=matter]");
  const errorLine = form.querySelector("[data-testid=compose-error]");
  const submit = form.querySelector("[data-testid=propose]");
  const safeButton = form.querySelector("[data-testid=propose-safe]");
  const ready = (shown) => [submit, safeButton].forEach((b) => { if (b) b.style.display = shown ? "" : "none"; });
  let composed = null;
  let matterChosen = null;
  // Shown only once the proposal as it stands was checked (busy() re-enables buttons, so not merely disabled).
  const stale = () => { composed = null; ready(false); };

  menu.querySelectorAll("[data-add]").forEach((button) => button.addEventListener("click", () => {
    if (list.children.length >= MAX_CALLS) return;
    const kind = button.dataset.add;
    const card = html(list, `<fieldset class="card" data-action="${esc(kind)}" data-testid="action"><legend>${esc(t(`propose.action.${kind}`))}</legend>
      <p class="muted small">${esc(t(`propose.explain.${kind}`))}</p>${actionForm(kind, data)}
      <div class="actions"><button type="button" data-remove>${esc(t("propose.remove"))}</button></div></fieldset>`);
    card.querySelector("[data-remove]").addEventListener("click", () => { card.remove(); stale(); matterChosen = null; });
    const pick = card.querySelector("[name=payee_pick]");
    pick?.addEventListener("change", () => {
      const other = card.querySelector("[name=payee]");
      other.style.display = pick.value ? "none" : "";
      other.required = !pick.value;
    });
    card.addEventListener("input", stale);
    stale();
    matterChosen = null;
  }));
  form.addEventListener("input", (event) => { if (event.target.name !== "matter") stale(); });
  form.matter.addEventListener("change", () => { matterChosen = Number(form.matter.value); check(); });

  async function docHash() {
    return sha256Text(form.text.value);
  }

  async function check() {
    errorLine.textContent = "";
    const cards = [...list.querySelectorAll("[data-action]")];
    if (!cards.length) {
      errorLine.textContent = t("propose.noActions");
      return null;
    }
    const actions = [];
    for (const card of cards) actions.push(actionValue(card, await docHash()));
    try {
      const body = { actions };
      if (matterChosen) body.matter = matterChosen;
      composed = await ctx.api.post(`${ctx.api.base}/assembly/compose`, body);
    } catch (error) {
      composed = null;
      ready(false);
      // The field the server named, marked in its card.
      const place = Array.isArray(error.detail) ? error.detail[0]?.loc ?? [] : [];
      const index = place[2];
      if (Number.isInteger(index) && cards[index]) {
        const name = place[place.length - 1];
        cards[index].querySelector(`[data-field="${name}"]`)?.classList.add("invalid");
      }
      errorLine.textContent = explain(error);
      return null;
    }
    composedBox.innerHTML = `<h3>${esc(t("propose.composed"))}</h3>${explanation(ctx, composed)}`;
    composedBox.style.display = "";
    matterBox.style.display = "";
    form.matter.value = String(composed.matter);
    ready(true);
    return composed;
  }

  form.querySelector("[data-testid=check]").addEventListener("click", () => busy(form, check));
  /** The checked proposal, its full text stored, as propose's arguments; null when not ready. */
  async function prepared() {
    const title = form.title.value.trim();
    const text = form.text.value.trim();
    if (!title || !text) {
      errorLine.textContent = t("propose.needText");
      return null;
    }
    if (utf8Length(title) > 256) {
      errorLine.textContent = t("propose.titleLong");
      return null;
    }
    const checked = await check();
    if (!checked) return null;
    const start = Math.floor(new Date(form.start.value).getTime() / 1000);
    const end = start + Number(form.voting_days.value) * DAY;
    const hash = await sha256Text(form.text.value);
    await storeFullText(ctx, title, form.text.value, hash);
    return [checked.targets, checked.values.map(BigInt), checked.calldatas, checked.matter, title, hash, start, end];
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const args = await prepared();
      if (!args) return;
      const assembly = await ctx.wallet.contract("OwnersAssembly");
      const receipt = await runTx(ctx, t("propose.sending"), () => assembly.propose(...args));
      // ProposalDetails carries the id as its first indexed topic (no decoding of the calls needed).
      // (The pages' ABIs carry functions only: the event's topic from its signature.)
      const topic = keccakText("ProposalDetails(uint256,address,uint8,bool,bytes32,uint256,uint256,uint256,uint256,uint256)");
      const log = receipt.logs.find((l) => l.address.toLowerCase() === assembly.target.toLowerCase() && l.topics[0] === topic);
      // The notice in the same flow: the proposal stands whatever becomes of it (a failed
      // notice shows as failed; the proposer may publish it from the proposal's page later).
      if (log && ctx.config.contracts.NoticeBoard) {
        try {
          await publishNotice(ctx, proposalOf(composed, args), BigInt(log.topics[1]));
        } catch (error) {
          console.warn("the proposal's notice was not published", error);
        }
      }
      location.hash = log ? `#/assembly/${BigInt(log.topics[1])}` : "#/assembly";
    });
  });
  safeButton?.addEventListener("click", () => busy(form, async () => {
    const args = await prepared();
    if (args) await proposeAsCommittee(ctx, composed, args);
  }));
  // The notice (公告) the proposal needs before its vote: published on the notice board.
  html(view, `<p class="muted small" data-testid="notice-note">${esc(t("propose.noticeNote", { when: dateTime(data.now + data.rules.min_notice) }))}</p>`);
  if (safeMember) html(view, `<p class="muted small" data-testid="notice-note-safe">${esc(t("propose.noticeNoteSafe"))}</p>`);
}
