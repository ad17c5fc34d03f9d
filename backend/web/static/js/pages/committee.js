// SPDX-License-Identifier: AGPL-3.0-only
// The committee's console, for members (owners) of the committee's Safe only. The committee
// is a Safe: one member proposes an action, signed in their wallet (EIP-712 SafeTx); the
// backend keeps it (backend/committee) and the others see it waiting and sign in their own
// browsers; once enough have signed, any member executes it (execTransaction, the
// signatures sorted by owner address) from their wallet. Offered: a budget line of the
// year's budget the assembly approved (CommunityTreasury.allocate_budget), and an expense
// the committee itself may pay, an emergency repair from the maintenance fund with its
// document hashed here (pay_emergency_repair): the file never leaves this browser; the
// roles the committee administers (cashier, merchant, provider: HouseholdRegistry
// grantRole/revokeRole); points granted within the assembly's yearly allowance
// (CommunityPoints.mint, reason 1); approving or cancelling a resident's activity; hiding
// a work and curating an exhibition (CultureWorks); settling a disputed job
// (ServiceMarket.resolve); units from an uploaded CSV, checked by the backend as the CLI
// checks it and proposed as a numbered series of register_units batches. The maintenance
// fund's projects and milestones are shown read only (they are the assembly's decisions).
// A written reason or decision (hiding a work, cancelling an activity, settling a dispute)
// is published in the public text store under its SHA-256, signed in with the proposing
// member's wallet (the store admits a current owner of the committee's Safe), and the
// proposal carries that hash: anyone reads the words behind what the committee decided.

import { Interface, id as keccakText } from "ethers";
import { has as hasText, t } from "../i18n.js";
import { date, esc, fenFromYuan, shortAddress, shortHash, yuan } from "../format.js";
import { sha256File, sha256Text } from "../hash.js";
import { publishText } from "../texts.js";
import { party } from "../names.js";
import { ApiError } from "../api.js";
import { runStep, runTx } from "../tx.js";
import { nextNonce as freeNonce, signSafeTx } from "../safetx.js";
import { busy, empty, html, named, requireAccount, roleName } from "../ui.js";

const ZERO = "0x0000000000000000000000000000000000000000";

/** A units CSV line's problem in the page's language: its code and parameters translated
 * (the English message, as the CLI prints it, when the code is unknown here). */
function lineWords(error) {
  const key = `committee.unitsError.${error.code}`;
  return error.code && hasText(key) ? t(key, error.params ?? {}) : error.message;
}
const FUNDS = [[1, "public_income"], [0, "fee_income"]];
const CATEGORIES = [1, 2, 3, 4, 5, 6];
const EMERGENCIES = [[1, "elevator"], [2, "roof_leak"], [3, "fire_system"], [4, "water_supply"], [5, "facade"],
  [6, "other_danger"]];
// The roles the committee grants and revokes (the registry's role admin for them is the
// committee; the assembly grants the others, backend/chain/constitution.py).
const ROLES = ["cashier", "merchant", "provider"];
const ROLE_IDS = Object.fromEntries(ROLES.map((r) => [keccakText(`linli.role.${r}`), r]));
const REASON_COMMITTEE_GRANT = 1;

/** Is `account` a member of the committee's Safe? (The navigation asks; false on any doubt.) */
export async function isCommitteeMember(ctx, account) {
  if (!account || !ctx.config?.contracts?.CommitteeSafe) return false;
  try {
    return Boolean(await ctx.wallet.reader("CommitteeSafe").isOwner(account));
  } catch {
    return false;
  }
}

function categoryName(category) {
  return named("treasury.category.", category, t("treasury.categoryN", { n: category }));
}

/** The SafeTx message as a wallet signs it (uints as decimal strings, as Safe's own tools send). */


// The store's refusals (backend/committee/store.py), by what its detail says, in the members' words.
const REFUSALS = [
  [/already proposed/, "committee.refused.alreadyProposed"], [/already signed/, "committee.refused.alreadySigned"],
  [/not a member/, "committee.refused.notMember"], [/nonce \d+ is used/, "committee.refused.nonceUsed"],
  [/no longer pending/, "committee.refused.notPending"], [/signature/, "committee.refused.badSignature"],
  [/not an action|not offered with these arguments|not one of this community|delegate call|no ether|gas refunds/, "committee.refused.notOffered"],
];

async function postToStore(ctx, path, body) {
  try {
    return await ctx.api.post(ctx.api.url(path), body);
  } catch (error) {
    const detail = error instanceof ApiError && typeof error.detail === "string" ? error.detail : "";
    const found = REFUSALS.find(([pattern]) => pattern.test(detail));
    if (found) throw Object.assign(error, { i18nKey: found[1] });
    throw error;
  }
}

/** The call a SafeTx makes, run from the Safe's address (nothing kept): a call the
 * contract would refuse is refused here, with its own reason, before anyone signs. */
async function simulate(ctx, safe, to, data) {
  await ctx.wallet.provider().call({ from: safe, to, data });
}

/** An action in the members' words: what it does, with its arguments by name. */
function describeCall(call) {
  const a = Object.fromEntries(call.args.map((arg) => [arg.name, arg.value]));
  if (call.function === "allocate_budget") {
    return t("committee.describe.budget", { year: a.year, fund: t(`fund.${FUNDS.find(([n]) => String(n) === a.fund)?.[1] ?? "public_income"}`),
      category: categoryName(a.category), amount: yuan(Number(a.amount)) });
  }
  if (call.function === "pay_emergency_repair") {
    const kind = EMERGENCIES.find(([n]) => String(n) === a.kind)?.[1];
    return t("committee.describe.repair", { kind: kind ? t(`treasury.emergency.${kind}`) : a.kind,
      amount: yuan(Number(a.amount)), payee: shortAddress(a.payee), hash: shortHash(a.approval_hash) });
  }
  if (call.function === "grantRole" || call.function === "revokeRole") {
    const role = call.args[0].label ?? ROLE_IDS[a.role] ?? a.role;
    return t(`committee.describe.${call.function}`, { role: roleName(role), account: shortAddress(a.account) });
  }
  if (call.function === "register_units") {
    const units = call.args[0].value;
    return t("committee.describe.registerUnits", { count: units.length, first: units[0]?.label ?? "",
      last: units[units.length - 1]?.label ?? "" });
  }
  if (call.function === "mint") return t("committee.describe.points", { amount: a.amount, to: shortAddress(a.to) });
  if (call.function === "propose") return t("committee.describe.propose", { title: a.title, count: a.targets.length });
  if (call.function === "publish_notice") return t("committee.describe.publishNotice", { title: a.title });
  if (call.function === "approve_activity") return t("committee.describe.approveActivity", { id: a.activity_id });
  if (call.function === "cancel_activity") return t("committee.describe.cancelActivity", { id: a.activity_id });
  if (call.function === "hide_work") return t("committee.describe.hideWork", { id: workLabel(a.token_id), hash: shortHash(a.reason_hash) });
  if (call.function === "unhide_work") return t("committee.describe.unhideWork", { id: workLabel(a.token_id) });
  if (call.function === "create_exhibition") return t("committee.describe.createExhibition", { title: a.title });
  if (call.function === "add_to_exhibition") return t("committee.describe.addToExhibition", { id: workLabel(a.token_id), exhibition: a.exhibition_id });
  if (call.function === "remove_from_exhibition") return t("committee.describe.removeFromExhibition", { id: workLabel(a.token_id), exhibition: a.exhibition_id });
  if (call.function === "resolve") {
    return t("committee.describe.resolve", { id: a.request_id, share: yuan(Number(a.provider_share)), hash: shortHash(a.decision_hash) });
  }
  return `${call.contract}.${call.function}`;
}

/** A work's id (its content hash as a number) as its page shows it, shortened. */
function workLabel(tokenId) {
  return shortHash("0x" + BigInt(tokenId).toString(16).padStart(64, "0"));
}

function actionText(proposal) {
  const { action } = proposal;
  if (action.refused) return t("committee.notOffered");
  return action.calls.map(describeCall).join(t("committee.sep"));
}

function argsList(proposal) {
  return proposal.action.calls.map((call) => `<details class="small"><summary>${esc(`${call.contract}.${call.function}`)}</summary>
      <dl class="facts">${call.args.map((arg) => `<dt>${esc(arg.name)}</dt><dd><code>${esc(arg.value)}</code></dd>`).join("")}</dl></details>`).join("");
}

function proposalCard(ctx, proposal, overview) {
  const me = ctx.account.toLowerCase();
  const signedByMe = proposal.signatures.some((s) => s.signer.toLowerCase() === me);
  const signers = proposal.signatures.map((s) => `<li data-signer="${esc(s.signer.toLowerCase())}">${party(s.signer)}${s.counts ? "" : ` <span class="muted">(${esc(t("committee.noLongerMember"))})</span>`}</li>`).join("");
  const waitsFor = proposal.nonce > overview.nonce ? `<p class="small muted">${esc(t("committee.waitsFor", { nonce: overview.nonce }))}</p>` : "";
  return `<article class="card proposal" data-testid="safe-proposal" data-hash="${esc(proposal.safeTxHash)}" data-nonce="${proposal.nonce}">
      <h3>${esc(actionText(proposal))}</h3>
      <p class="small muted">${esc(t("committee.proposedBy"))} ${party(proposal.proposer)} · ${esc(t("committee.nonce", { nonce: proposal.nonce }))} · <code title="${esc(proposal.safeTxHash)}">${esc(shortHash(proposal.safeTxHash))}</code></p>
      ${argsList(proposal)}
      <p data-testid="confirmations">${esc(t("committee.confirmations", { count: proposal.confirmations, threshold: proposal.threshold }))}</p>
      <ul class="signers">${signers}</ul>${waitsFor}
      <div class="actions">
        ${signedByMe ? `<span class="muted small" data-testid="signed-by-me">${esc(t("committee.signedByMe"))}</span>` : `<button type="button" class="primary" data-action="sign">${esc(t("committee.sign"))}</button>`}
        ${proposal.executable ? `<button type="button" class="primary" data-action="execute">${esc(t("committee.execute"))}</button>` : ""}
      </div>
    </article>`;
}

function doneCard(proposal) {
  return `<li data-testid="safe-done" data-hash="${esc(proposal.safeTxHash)}" data-status="${esc(proposal.status)}">
      ${esc(actionText(proposal))} — <strong>${esc(t(`committee.status.${proposal.status}`))}</strong>
      ${proposal.tx_hash ? `<code title="${esc(proposal.tx_hash)}">${esc(shortHash(proposal.tx_hash))}</code>` : ""}</li>`;
}

/** A milestone's state: paid (with its release), next (the assembly's release is due), later, or
 * not paid because the assembly closed the project first. */
function milestoneState(project, index) {
  if (index < project.released) return "paid";
  if (project.closed) return "cancelled";
  return index === project.released ? "next" : "later";
}

/** The maintenance fund's projects and their milestones, from the index. Approving a
 * project, releasing a milestone and closing one are the assembly's decisions (ordinary
 * vote, 民法典 第二百七十八条; CommunityTreasury's _only_assembly): read here, with the
 * project document checked against its hash in this browser, proposed from the assembly's pages. */
function projectsSection(projects) {
  const rows = projects.map((p) => `<article class="card project" data-testid="committee-project" data-project="${p.project_id}" data-closed="${p.closed}">
      <h3>${esc(t("committee.projectTitle", { id: p.project_id, total: yuan(p.total) }))}${p.closed ? ` <span class="muted">(${esc(t("committee.projectClosed"))})</span>` : ""}</h3>
      <p class="small muted">${esc(t("treasury.payee"))} ${party(p.payee)} · ${esc(t("committee.projectDoc"))} <code title="${esc(p.doc_hash)}">${esc(shortHash(p.doc_hash))}</code></p>
      <ol class="milestones">${p.milestones.map((amount, i) => {
        const state = milestoneState(p, i);
        const release = p.releases.find((r) => r.index === i);
        return `<li data-testid="milestone" data-index="${i}" data-state="${state}">${esc(t("committee.milestone", { n: i + 1, amount: yuan(amount) }))} — <strong>${esc(t(`committee.milestoneState.${state}`))}</strong>${release ? ` <span class="small muted">${esc(date(release.block_timestamp))}</span> <code title="${esc(release.tx_hash)}">${esc(shortHash(release.tx_hash))}</code>` : ""}</li>`;
      }).join("")}</ol>
      <label class="block small">${esc(t("committee.projectCheck"))} <input type="file" data-testid="project-doc-file" data-hash="${esc(p.doc_hash)}"></label>
      <p class="small" data-testid="project-doc-result" aria-live="polite" hidden></p>
    </article>`).join("");
  return `<section class="card" data-testid="committee-projects"><h2>${esc(t("committee.projectsTitle"))}</h2>
      <p class="small muted">${esc(t("committee.projectsHelp"))} <a href="#/assembly">${esc(t("committee.projectsAssembly"))}</a></p>
      ${projects.length ? rows : empty(t("committee.noProjects"))}</section>`;
}

function options(items) {
  return items.map(([value, label]) => `<option value="${esc(value)}">${esc(label)}</option>`).join("");
}

export async function render(ctx, view, _params, current = () => true) {
  html(view, `<h1>${esc(t("committee.title"))}</h1>`);
  if (!ctx.config.contracts.CommitteeSafe) {
    html(view, `<section class="card notice" data-testid="committee-no-safe"><p>${esc(t("committee.noSafe"))}</p></section>`);
    return;
  }
  if (!requireAccount(ctx, view)) return;
  const overview = await ctx.api.get("/committee");
  if (!current()) return;
  const me = ctx.account.toLowerCase();
  if (!overview.owners.some((o) => o.toLowerCase() === me)) {
    html(view, `<section class="card notice" data-testid="committee-not-member"><p>${esc(t("committee.notMember"))}</p></section>`);
    return;
  }
  const safe = overview.safe;
  const treasury = ctx.config.contracts.CommunityTreasury;
  const calls = new Interface(treasury.abi);
  const year = new Intl.DateTimeFormat("en", { timeZone: "Asia/Shanghai", year: "numeric" }).format(new Date());

  html(view, `<section class="card" data-testid="committee-safe">
      <p>${esc(t("committee.intro", { threshold: overview.threshold, members: overview.owners.length }))}</p>
      <p class="small muted">${esc(t("committee.safe"))} <code title="${esc(safe)}">${esc(shortAddress(safe))}</code> · ${esc(t("committee.members"))}:
        ${overview.owners.map((o) => party(o)).join(t("committee.memberSep"))}</p>
    </section>`);

  const pending = html(view, `<section class="card" data-testid="committee-pending"><h2>${esc(t("committee.pending"))}</h2>
      ${overview.pending.length ? overview.pending.map((p) => proposalCard(ctx, p, overview)).join("") : empty(t("committee.nonePending"))}</section>`);

  const budget = html(view, `<section class="card"><h2>${esc(t("committee.budgetTitle"))}</h2>
      <p class="small muted">${esc(t("committee.budgetHelp"))}</p>
      <form data-testid="budget-form" class="stack">
        <label class="block">${esc(t("committee.year"))} <input name="year" type="number" min="2000" max="9999" value="${esc(year)}" required></label>
        <label class="block">${esc(t("committee.fund"))} <select name="fund">${options(FUNDS.map(([n, f]) => [n, t(`fund.${f}`)]))}</select></label>
        <label class="block">${esc(t("committee.category"))} <select name="category">${options(CATEGORIES.map((c) => [c, categoryName(c)]))}</select></label>
        <label class="block">${esc(t("committee.amountYuan"))} <input name="amount" inputmode="decimal" autocomplete="off" required></label>
        <button type="submit" class="primary">${esc(t("committee.propose"))}</button>
      </form></section>`);

  const expense = html(view, `<section class="card"><h2>${esc(t("committee.expenseTitle"))}</h2>
      <p class="small muted">${esc(t("committee.expenseHelp"))}</p>
      <form data-testid="expense-form" class="stack">
        <label class="block">${esc(t("committee.kind"))} <select name="kind">${options(EMERGENCIES.map(([n, k]) => [n, t(`treasury.emergency.${k}`)]))}</select></label>
        <label class="block">${esc(t("committee.payee"))} <input name="payee" autocomplete="off" spellcheck="false" placeholder="0x…" required></label>
        <label class="block">${esc(t("committee.amountYuan"))} <input name="amount" inputmode="decimal" autocomplete="off" required></label>
        <label class="block">${esc(t("committee.invoice"))} <input type="file" name="invoice" data-testid="invoice-file" required></label>
        <p class="small muted hash-line" data-testid="invoice-hash" hidden></p>
        <button type="submit" class="primary">${esc(t("committee.propose"))}</button>
      </form></section>`);

  if (ctx.config.contracts.PropertyFees) {
    let projects = null;
    try {
      projects = (await ctx.api.get("/treasury/maintenance-projects", { limit: 50 })).items;
    } catch {
      projects = null; // the index does not answer: the console's actions stay usable
    }
    if (!current()) return;
    if (projects) {
      const section = html(view, projectsSection(projects));
      for (const input of section.querySelectorAll("[data-testid=project-doc-file]")) {
        input.addEventListener("change", async () => {
          const out = input.closest("article").querySelector("[data-testid=project-doc-result]");
          const file = input.files[0];
          out.hidden = !file;
          if (!file) return;
          // Hashed here; the file is never uploaded.
          const hash = await sha256File(file);
          const same = hash.toLowerCase() === input.dataset.hash.toLowerCase();
          out.dataset.matches = String(same);
          out.textContent = t(same ? "committee.projectDocMatches" : "committee.projectDocDiffers", { hash });
        });
      }
    }
  }

  const sectionOf = (key, testid, fields) => html(view, `<section class="card" data-testid="${testid}-section"><h2>${esc(t(`committee.${key}Title`))}</h2>
      <p class="small muted">${esc(t(`committee.${key}Help`))}</p>
      <form data-testid="${testid}-form" class="stack">${fields}
        <button type="submit" class="primary">${esc(t("committee.propose"))}</button>
      </form></section>`);
  const input = (name, label, extra = "") => `<label class="block">${esc(t(label))} <input name="${name}" autocomplete="off" spellcheck="false" ${extra} required></label>`;
  const idInput = (name, label) => input(name, label, 'type="number" min="1" step="1"');
  const addressInput = (name, label) => input(name, label, 'placeholder="0x…"');
  const reasonInput = (name, label) => `<label class="block">${esc(t(label))} <textarea name="${name}" rows="2" maxlength="2000" required></textarea></label>`;

  const has = (name) => Boolean(ctx.config.contracts[name]);
  const roles = has("HouseholdRegistry") && sectionOf("roles", "roles", `
        <label class="block">${esc(t("committee.roleAction"))} <select name="action">${options([["grantRole", t("committee.grant")], ["revokeRole", t("committee.revoke")]])}</select></label>
        <label class="block">${esc(t("committee.role"))} <select name="role">${options(ROLES.map((r) => [r, roleName(r)]))}</select></label>
        ${addressInput("account", "committee.account")}`);
  const units = has("HouseholdRegistry") && html(view, `<section class="card" data-testid="units-section"><h2>${esc(t("committee.unitsTitle"))}</h2>
      <p class="small muted">${esc(t("committee.unitsHelp"))}</p>
      <form data-testid="units-form" class="stack">
        <label class="block">${esc(t("committee.unitsFile"))} <input type="file" name="csv" accept=".csv,text/csv" data-testid="units-file" required></label>
        <button type="submit" class="primary">${esc(t("committee.unitsPropose"))}</button>
      </form>
      <div data-testid="units-result" aria-live="polite"></div></section>`);
  let allowanceLine = "";
  if (has("CommunityPoints")) {
    try {
      const points = ctx.wallet.reader("CommunityPoints");
      const [allowance, granted] = await Promise.all([points.grant_allowance(), points.granted_this_year()]);
      allowanceLine = `<p class="small" data-testid="points-allowance" data-left="${esc(allowance - granted)}">${esc(t("committee.allowance", { granted: String(granted), allowance: String(allowance) }))}</p>`;
    } catch {
      allowanceLine = "";
    }
  }
  if (!current()) return;
  const grant = has("CommunityPoints") && sectionOf("points", "points", `${allowanceLine}
        ${addressInput("to", "committee.recipient")}
        ${input("amount", "committee.pointsAmount", 'type="number" min="1" step="1"')}`);
  const activity = has("CommunityActivities") && sectionOf("activity", "activity", `
        <label class="block">${esc(t("committee.activityAction"))} <select name="action">${options([["approve_activity", t("committee.approveActivity")], ["cancel_activity", t("committee.cancelActivity")]])}</select></label>
        ${idInput("activity", "committee.activityId")}
        <label class="block">${esc(t("committee.cancelReason"))} <textarea name="reason" rows="2" maxlength="2000"></textarea></label>`);
  const hide = has("CultureWorks") && sectionOf("hide", "hide", `${input("work", "committee.workId")}
        ${reasonInput("reason", "committee.reason")}`);
  const exhibition = has("CultureWorks") && sectionOf("exhibition", "exhibition", `
        <label class="block">${esc(t("committee.exhibitionAction"))} <select name="action">${options([["create_exhibition", t("committee.createExhibition")], ["add_to_exhibition", t("committee.addToExhibition")], ["remove_from_exhibition", t("committee.removeFromExhibition")]])}</select></label>
        <label class="block">${esc(t("committee.exhibitionName"))} <input name="title" maxlength="64" autocomplete="off"></label>
        <label class="block">${esc(t("committee.exhibitionId"))} <input name="exhibition" type="number" min="1" step="1"></label>
        <label class="block">${esc(t("committee.workId"))} <input name="work" autocomplete="off" spellcheck="false"></label>`);
  const dispute = has("ServiceMarket") && sectionOf("dispute", "dispute", `${idInput("request", "committee.requestId")}
        ${input("share", "committee.providerShare", 'inputmode="decimal"')}
        ${reasonInput("decision", "committee.decision")}`);

  if (overview.done.length) {
    html(view, `<section class="card" data-testid="committee-done"><h2>${esc(t("committee.done"))}</h2>
        <ul>${overview.done.map(doneCard).join("")}</ul></section>`);
  }

  const nextNonce = () => freeNonce(overview);

  /** Propose one SafeTx at `nonce`: run from the Safe first, signed, kept by the store. */
  async function proposeAt(data, title, to, nonce) {
    const tx = { to, value: "0", data, operation: 0, safeTxGas: "0", baseGas: "0", gasPrice: "0",
      gasToken: ZERO, refundReceiver: ZERO, nonce };
    await runStep(title, async (progress) => {
      await simulate(ctx, safe, tx.to, tx.data);
      progress(t("committee.signing"));
      const signature = await signSafeTx(ctx, safe, tx);
      progress(t("committee.saving"));
      await postToStore(ctx, "/committee/transactions", { ...tx, safe, chainId: ctx.config.chain_id,
        signer: ctx.account, signature });
    }, t("committee.proposed"));
  }

  async function propose(data, title, to = treasury.address) {
    await proposeAt(data, title, to, nextNonce());
    ctx.rerender();
  }

  const amountOf = (form) => {
    const fen = fenFromYuan(form.amount.value);
    if (fen === null || fen <= 0n) throw Object.assign(new Error("amount"), { i18nKey: "committee.badAmount" });
    return fen;
  };

  const budgetForm = budget.querySelector("form");
  budgetForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(budgetForm, async () => {
      const amount = amountOf(budgetForm);
      const data = calls.encodeFunctionData("allocate_budget", [BigInt(budgetForm.year.value), Number(budgetForm.fund.value),
        Number(budgetForm.category.value), amount]);
      await propose(data, t("committee.proposeBudget"));
    });
  });

  const expenseForm = expense.querySelector("form");
  const hashLine = expense.querySelector("[data-testid=invoice-hash]");
  expenseForm.invoice.addEventListener("change", async () => {
    const file = expenseForm.invoice.files[0];
    hashLine.hidden = !file;
    if (!file) return;
    const hash = await sha256File(file);
    hashLine.textContent = t("committee.invoiceHash", { hash });
    hashLine.dataset.hash = hash;
  });
  expenseForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(expenseForm, async () => {
      const amount = amountOf(expenseForm);
      const payee = expenseForm.payee.value.trim();
      if (!/^0x[0-9a-fA-F]{40}$/.test(payee)) throw Object.assign(new Error("payee"), { i18nKey: "committee.badPayee" });
      const file = expenseForm.invoice.files[0];
      if (!file || file.size === 0) throw Object.assign(new Error("invoice"), { i18nKey: "committee.chooseInvoice" });
      // Hashed again now: the file chosen at this moment, not an earlier one.
      const hash = await sha256File(file);
      const data = calls.encodeFunctionData("pay_emergency_repair", [Number(expenseForm.kind.value), payee, amount, hash]);
      await propose(data, t("committee.proposeExpense"));
    });
  });

  const refuse = (key) => { throw Object.assign(new Error(key), { i18nKey: `committee.${key}` }); };
  const addressOf = (field) => {
    const value = field.value.trim();
    if (!/^0x[0-9a-fA-F]{40}$/.test(value) || BigInt(value) === 0n) refuse("badAddress");
    return value;
  };
  const idOf = (field) => {
    if (!/^[1-9][0-9]{0,18}$/.test(field.value.trim())) refuse("badId");
    return BigInt(field.value.trim());
  };
  // A work's id as its page shows it: the token id (decimal) or the content hash (0x + 64 hex).
  const workOf = (field) => {
    const value = field.value.trim();
    if (/^0x[0-9a-fA-F]{64}$/.test(value) && BigInt(value) > 0n) return BigInt(value);
    if (/^[1-9][0-9]{0,77}$/.test(value) && BigInt(value) < 2n ** 256n) return BigInt(value);
    return refuse("badWork");
  };
  // The written reasons and decisions a submit carries by hash: published (the public text
  // store, signed in with this member's wallet, a current owner of the Safe) once the call
  // passes its run from the Safe, before anyone signs; the proposal carries their hashes.
  let toPublish = [];
  const hashOf = async (field, kind) => {
    const text = field.value.trim();
    if (!text) refuse("needReason");
    const hash = await sha256Text(text);
    toPublish.push({ text, kind });
    return hash;
  };
  /** A form whose submit proposes `build(form)` = [contract name, function, args, title key]. */
  const onSubmit = (section, build) => {
    if (!section) return;
    const form = section.querySelector("form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        toPublish = [];
        const [name, fn, args, title] = await build(form);
        const entry = ctx.config.contracts[name];
        const data = new Interface(entry.abi).encodeFunctionData(fn, args);
        const texts = toPublish;
        if (texts.length) {
          // A call the contract refuses publishes nothing.
          await runStep(t(title), () => simulate(ctx, safe, entry.address, data), null, { beforeTx: true });
          for (const item of texts) await publishText(ctx, item.text, item.kind);
        }
        await propose(data, t(title), entry.address);
      });
    });
  };
  onSubmit(roles, (form) => [
    "HouseholdRegistry", form.action.value, [keccakText(`linli.role.${form.role.value}`), addressOf(form.account)],
    form.action.value === "grantRole" ? "committee.proposeGrant" : "committee.proposeRevoke"]);
  onSubmit(grant, (form) => {
    if (!/^[1-9][0-9]{0,9}$/.test(form.amount.value.trim())) refuse("badPoints");
    return ["CommunityPoints", "mint", [addressOf(form.to), BigInt(form.amount.value.trim()), REASON_COMMITTEE_GRANT],
      "committee.proposePoints"];
  });
  onSubmit(activity, async (form) => (form.action.value === "cancel_activity"
    ? ["CommunityActivities", "cancel_activity", [idOf(form.activity), await hashOf(form.reason, "cancellation")], "committee.proposeCancel"]
    : ["CommunityActivities", "approve_activity", [idOf(form.activity)], "committee.proposeActivity"]));
  onSubmit(hide, async (form) => ["CultureWorks", "hide_work", [workOf(form.work), await hashOf(form.reason, "hide_reason")], "committee.proposeHide"]);
  onSubmit(exhibition, (form) => {
    const fn = form.action.value;
    if (fn === "create_exhibition") {
      const title = form.title.value.trim();
      if (!title || new TextEncoder().encode(title).length > 64) refuse("badTitle");
      return ["CultureWorks", fn, [title], "committee.proposeExhibition"];
    }
    return ["CultureWorks", fn, [idOf(form.exhibition), workOf(form.work)], "committee.proposeExhibition"];
  });
  onSubmit(dispute, async (form) => {
    const share = fenFromYuan(form.share.value);
    if (share === null || share < 0n) refuse("badShare");
    return ["ServiceMarket", "resolve", [idOf(form.request), share, await hashOf(form.decision, "decision")], "committee.proposeDispute"];
  });

  if (units) {
    // The file is checked by the backend with the CLI's own parser and chain checks
    // (backend/committee/units.py): every bad line by its number, and nothing proposed
    // unless all are good. A good file is proposed as a numbered series of SafeTx, one
    // register_units batch (60 units, within the transaction gas cap) per nonce.
    const unitsForm = units.querySelector("form");
    const result = units.querySelector("[data-testid=units-result]");
    const registry = ctx.config.contracts.HouseholdRegistry;
    unitsForm.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(unitsForm, async () => {
        const file = unitsForm.csv.files[0];
        if (!file || file.size === 0) refuse("chooseUnitsFile");
        result.replaceChildren();
        let plan;
        try {
          plan = await ctx.api.post(ctx.api.url("/committee/units-check"), { csv: await file.text() });
        } catch (error) {
          const detail = error instanceof ApiError ? error.detail : null;
          if (error instanceof ApiError && error.status === 422 && Array.isArray(detail?.errors)) {
            result.innerHTML = `<p class="error">${esc(t("committee.unitsBad", { count: detail.errors.length }))}</p>
              <ul data-testid="units-errors">${detail.errors.map((e) => `<li data-line="${esc(e.line)}">${esc(t("committee.unitsLine", { line: e.line }))} ${esc(lineWords(e))}</li>`).join("")}</ul>`;
            throw Object.assign(new Error("units"), { i18nKey: "committee.unitsNothingProposed" });
          }
          throw error;
        }
        const first = nextNonce();
        const total = plan.batches.length;
        result.innerHTML = `<p data-testid="units-valid">${esc(t("committee.unitsValid", { count: plan.units, batches: total }))}</p>
          <ol data-testid="units-batches">${plan.batches.map((b) => `<li data-batch="${b.number}" data-nonce="${first + b.number - 1}">${esc(t("committee.unitsBatch", { number: b.number, total, from: b.first_line, to: b.last_line, count: b.units.length, nonce: first + b.number - 1 }))}</li>`).join("")}</ol>`;
        const calls = new Interface(registry.abi);
        for (const batch of plan.batches) {
          const rows = batch.units.map((u) => [u.label, BigInt(u.area), u.owner, u.commitment]);
          await proposeAt(calls.encodeFunctionData("register_units", [rows]),
            t("committee.proposeUnits", { number: batch.number, total }), registry.address, first + batch.number - 1);
          result.querySelector(`[data-batch="${batch.number}"]`).dataset.proposed = "true";
        }
        ctx.rerender();
      });
    });
  }

  for (const card of pending.querySelectorAll("[data-testid=safe-proposal]")) {
    const proposal = overview.pending.find((p) => p.safeTxHash === card.dataset.hash);
    card.querySelector("[data-action=sign]")?.addEventListener("click", () => busy(card, async () => {
      await runStep(t("committee.signTitle"), async (progress) => {
        progress(t("committee.signing"));
        const signature = await signSafeTx(ctx, safe, proposal);
        progress(t("committee.saving"));
        await postToStore(ctx, `/committee/transactions/${proposal.safeTxHash}/signatures`,
          { signer: ctx.account, signature });
      }, t("committee.signed"));
      ctx.rerender();
    }));
    card.querySelector("[data-action=execute]")?.addEventListener("click", () => busy(card, async () => {
      // Safe reads the first `threshold` signatures, in ascending owner address.
      const counted = proposal.signatures.filter((s) => s.counts)
        .sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1)).slice(0, proposal.threshold);
      const packed = "0x" + counted.map((s) => s.signature.slice(2)).join("");
      const contract = await ctx.wallet.contract("CommitteeSafe");
      await runTx(ctx, t("committee.executeTitle"), async () => {
        if (Number(proposal.operation) === 0) await simulate(ctx, safe, proposal.to, proposal.data);
        return contract.execTransaction(proposal.to, proposal.value, proposal.data, proposal.operation,
          proposal.safeTxGas, proposal.baseGas, proposal.gasPrice, proposal.gasToken, proposal.refundReceiver, packed);
      });
      ctx.rerender();
    }));
  }
}
