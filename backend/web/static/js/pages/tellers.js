// SPDX-License-Identifier: AGPL-3.0-only
// The tellers' panel of a proposal (监票人、计票人, 线上线下相结合): shown only to a wallet
// PaperBallots names as a teller of that proposal while its vote is open. A teller enters
// a paper ballot (the owner identity, the choice, the sha256 of its scan, hashed here: the
// scan never leaves this browser); another teller confirms it by re-reading the paper and
// re-hashing the scan, and only then does it count; the tellers declare and confirm the
// number of ballots collected, and the panel shows whether it all adds up.

import { t } from "../i18n.js";
import { esc, number, shortAddress, shortHash } from "../format.js";
import { sha256File } from "../hash.js";
import { runTx } from "../tx.js";
import { busy, empty, html } from "../ui.js";

const CHOICES = [["for", 1], ["against", 0], ["abstain", 2]];

function choiceOptions(blank) {
  return `${blank ? `<option value="" selected disabled>${esc(t("tellers.pickChoice"))}</option>` : ""}${CHOICES.map(([name, support]) =>
    `<option value="${support}">${esc(t(`assembly.choice.${name}`))}</option>`).join("")}`;
}

/** A file input that shows the sha256 of the chosen scan; `hash()` hashes it again at
 * the moment of sending (the file the teller has chosen then, not an earlier one). */
function scanInput(form, name) {
  const input = form.querySelector(`input[name=${name}]`);
  const line = form.querySelector(`[data-scan-hash=${name}]`);
  input.addEventListener("change", async () => {
    const file = input.files[0];
    line.hidden = !file;
    if (!file) return;
    line.textContent = t("tellers.hashing");
    const hash = await sha256File(file);
    line.textContent = t("tellers.scanHash", { hash });
    line.dataset.hash = hash;
  });
  return async () => {
    const file = input.files[0];
    if (!file || file.size === 0) throw Object.assign(new Error("no scan"), { i18nKey: "tellers.chooseScan" });
    return sha256File(file);
  };
}

/** The units an owner identity holds now (so a teller checks the number against the
 * unit printed on the paper), or null for an identity the index does not know. */
async function unitsOf(ctx, identity) {
  try {
    const found = await ctx.api.maybe(`/owners/${identity}`);
    return found ? found.units.map((u) => u.label).join(t("tellers.sep")) || null : null;
  } catch {
    return null;
  }
}

function scanField(name, testid) {
  return `<label class="block">${esc(t("tellers.scan"))} <input type="file" name="${name}" data-testid="${testid}" required></label>
    <p class="small muted hash-line" data-scan-hash="${name}" hidden></p>`;
}

function reconciliationFacts(rec) {
  const rows = [
    [t("tellers.entered"), number(rec.entered)],
    [t("tellers.confirmedCount"), number(rec.confirmed)],
    [t("tellers.declared"), rec.declared_by ? t("tellers.declaredBy", { count: number(rec.declared), who: shortAddress(rec.declared_by) }) : t("tellers.notDeclared")],
    [t("tellers.declarationConfirmed"), rec.declaration_confirmed
      ? t("tellers.confirmedBy", { count: number(rec.confirmed_declaration), who: shortAddress(rec.declaration_confirmed_by) }) : t("tellers.notYet")],
  ];
  return `<dl class="facts" data-testid="reconciliation" data-reconciled="${rec.reconciled}">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>
    <p class="${rec.reconciled ? "plus" : "warning-text"}" data-testid="reconciled">${esc(t(rec.reconciled ? "tellers.reconciled" : "tellers.notReconciled"))}</p>`;
}

/** The panel, for a teller of `p` while its vote is open; nothing for anyone else. */
export async function renderTellers(ctx, view, p, current) {
  if (!ctx.account || !ctx.config.contracts.PaperBallots || p.state !== "active") return;
  const me = ctx.account.toLowerCase();
  // The chain says who is a teller (the index may lag one block behind an appointment).
  const isTeller = await ctx.wallet.reader("PaperBallots").is_teller(BigInt(p.proposal_id), ctx.account);
  if (!isTeller || !current()) return;
  const paper = await ctx.api.get(`/assembly/proposals/${p.proposal_id}/paper`);
  if (!current()) return;
  const rec = paper.reconciliation;
  const waiting = paper.entries.filter((e) => !e.confirmed);
  const counted = paper.entries.filter((e) => e.confirmed);
  const units = new Map(await Promise.all(waiting.map(async (e) => [e.identity, await unitsOf(ctx, e.identity)])));
  if (!current()) return;
  const panel = html(view, `<section class="card" data-testid="tellers-panel"><h2>${esc(t("tellers.title"))}</h2>
    <p class="muted small">${esc(t("tellers.intro", { tellers: paper.tellers.map(shortAddress).join(t("tellers.sep")) }))}</p></section>`);

  // Enter a paper ballot.
  const enter = html(panel, `<form class="stack-form" data-testid="enter-ballot" novalidate><h3>${esc(t("tellers.enterTitle"))}</h3>
    <label>${esc(t("tellers.identity"))} <input name="identity" type="number" min="0" step="1" inputmode="numeric" required data-testid="enter-identity"></label>
    <p class="small" data-testid="identity-units" hidden></p>
    <p class="muted small">${esc(t("tellers.identityNote"))}</p>
    <label>${esc(t("tellers.choice"))} <select name="support" data-testid="enter-choice">${choiceOptions(true)}</select></label>
    ${scanField("scan", "enter-scan")}
    <p class="muted small">${esc(t("tellers.scanNote"))}</p>
    <div class="actions"><button type="submit" class="primary" data-testid="enter">${esc(t("tellers.enter"))}</button></div></form>`);
  const enterHash = scanInput(enter, "scan");
  const unitsLine = enter.querySelector("[data-testid=identity-units]");
  let lookup = 0;
  enter.identity.addEventListener("input", () => {
    const asked = ++lookup;
    const identity = enter.identity.value.trim();
    if (!/^(0|[1-9][0-9]{0,9})$/.test(identity)) {
      unitsLine.hidden = true;
      return;
    }
    setTimeout(async () => {
      if (asked !== lookup) return;
      const held = await unitsOf(ctx, identity);
      if (asked !== lookup) return;
      unitsLine.hidden = false;
      unitsLine.className = held ? "small" : "small warning-text";
      unitsLine.textContent = held ? t("tellers.holds", { units: held }) : t("tellers.unknownIdentity");
    }, 250);
  });
  enter.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(enter, async () => {
      const identity = enter.identity.value.trim();
      if (!/^(0|[1-9][0-9]{0,9})$/.test(identity)) throw Object.assign(new Error("identity"), { i18nKey: "tellers.identityRequired" });
      if (enter.support.value === "") throw Object.assign(new Error("choice"), { i18nKey: "tellers.choiceRequired" });
      const scan = await enterHash();
      const writer = await ctx.wallet.contract("PaperBallots");
      await runTx(ctx, t("tellers.enterTx", { identity }), () => writer.enter_ballot(p.proposal_id, identity, Number(enter.support.value), scan));
      ctx.rerender();
    });
  });

  // Entries waiting for a second teller: another teller's can be confirmed here, one's own cannot.
  const list = html(panel, `<div data-testid="awaiting"><h3>${esc(t("tellers.awaitingTitle"))}</h3></div>`);
  if (!waiting.length) html(list, empty(t("tellers.noneAwaiting")));
  for (const e of waiting) {
    const mine = e.entered_by.toLowerCase() === me;
    const item = html(list, `<div class="entry" data-testid="awaiting-entry" data-identity="${e.identity}">
      <p>${esc(t("tellers.entryLine", { identity: e.identity, who: shortAddress(e.entered_by) }))}
        <code class="small" title="${esc(e.scan_hash)}">${esc(shortHash(e.scan_hash))}</code></p>
      ${units.get(e.identity) ? `<p class="muted small" data-testid="entry-units">${esc(t("tellers.holds", { units: units.get(e.identity) }))}</p>` : ""}</div>`);
    if (mine) {
      html(item, `<p class="muted small" data-testid="own-entry">${esc(t("tellers.ownEntry"))}</p>`);
      continue;
    }
    const form = html(item, `<form class="stack-form" data-testid="confirm-form" novalidate>
      <p class="muted small">${esc(t("tellers.confirmNote"))}</p>
      <label>${esc(t("tellers.choiceRead"))} <select name="support" data-testid="confirm-choice">${choiceOptions(true)}</select></label>
      ${scanField("scan", "confirm-scan")}
      <div class="actions"><button type="submit" data-testid="confirm">${esc(t("tellers.confirm"))}</button></div></form>`);
    const confirmHash = scanInput(form, "scan");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        if (form.support.value === "") throw Object.assign(new Error("choice"), { i18nKey: "tellers.choiceRequired" });
        const scan = await confirmHash();
        const writer = await ctx.wallet.contract("PaperBallots");
        await runTx(ctx, t("tellers.confirmTx", { identity: e.identity }),
          () => writer.confirm_ballot(p.proposal_id, e.identity, Number(form.support.value), scan));
        ctx.rerender();
      });
    });
  }
  if (counted.length) {
    html(panel, `<div data-testid="counted"><h3>${esc(t("tellers.countedTitle"))}</h3><ul class="plain">${counted.map((e) =>
      `<li data-testid="counted-entry" data-identity="${e.identity}">${esc(t("tellers.countedLine", {
        identity: e.identity, choice: t(`assembly.choice.${e.choice}`), entered: shortAddress(e.entered_by), confirmed: shortAddress(e.confirmed_by),
      }))}</li>`).join("")}</ul></div>`);
  }

  // The number of paper ballots collected: one teller declares it, another confirms it.
  const count = html(panel, `<div data-testid="collected"><h3>${esc(t("tellers.countTitle"))}</h3>${reconciliationFacts(rec)}</div>`);
  if (!rec.declaration_confirmed) {
    const declare = html(count, `<form class="inline" data-testid="declare-form" novalidate>
      <label>${esc(t("tellers.collected"))} <input name="collected" type="number" min="0" step="1" inputmode="numeric" required data-testid="declare-count"></label>
      <button type="submit" data-testid="declare">${esc(t(rec.declared_by ? "tellers.redeclare" : "tellers.declare"))}</button></form>`);
    declare.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(declare, async () => {
        const n = declare.collected.value.trim();
        if (!/^[0-9]{1,9}$/.test(n)) throw Object.assign(new Error("count"), { i18nKey: "tellers.countRequired" });
        const writer = await ctx.wallet.contract("PaperBallots");
        await runTx(ctx, t("tellers.declareTx", { count: n }), () => writer.declare_collected(p.proposal_id, n));
        ctx.rerender();
      });
    });
    if (rec.declared_by && rec.declared_by.toLowerCase() !== me) {
      const confirm = html(count, `<form class="inline" data-testid="confirm-count-form" novalidate>
        <label>${esc(t("tellers.collectedCounted"))} <input name="collected" type="number" min="0" step="1" inputmode="numeric" required data-testid="confirm-count"></label>
        <button type="submit" data-testid="confirm-collected">${esc(t("tellers.confirmCount"))}</button></form>`);
      confirm.addEventListener("submit", (event) => {
        event.preventDefault();
        busy(confirm, async () => {
          const n = confirm.collected.value.trim();
          if (!/^[0-9]{1,9}$/.test(n)) throw Object.assign(new Error("count"), { i18nKey: "tellers.countRequired" });
          const writer = await ctx.wallet.contract("PaperBallots");
          await runTx(ctx, t("tellers.confirmCountTx", { count: n }), () => writer.confirm_collected(p.proposal_id, n));
          ctx.rerender();
        });
      });
    } else if (rec.declared_by) {
      html(count, `<p class="muted small" data-testid="own-declaration">${esc(t("tellers.ownDeclaration"))}</p>`);
    }
  }
}
