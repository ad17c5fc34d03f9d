// SPDX-License-Identifier: AGPL-3.0-only
// Owners' assembly: proposals with live tallies by area and by heads against the statute
// (民法典 第二百七十八条: 2/3 turnout, then > 1/2 or ≥ 3/4 of those taking part), voting
// directly or by a signed ballot the relayer sends, delegation, the result the legal way
// (preliminary result, objection period with the owners' objections, final result:
// PaperBallots, refused while the tellers' paper count does not add up), timelock.

import { Interface, id as keccakText } from "ethers";
import { t } from "../i18n.js";
import { area, dateTime, days, esc, number, shortAddress, shortHash } from "../format.js";
import { revertReason, runStep, runTx } from "../tx.js";
import { busy, chainNow, empty, html, named, roleName } from "../ui.js";
import { documentCard, hydrateDocuments, noticeCard, wireNotices } from "../documents.js";
import { fillNoticeTexts } from "./notices.js";
import { act, relayCall, walletOnly } from "../passkey.js";
import { renderTellers } from "./tellers.js";
import { proposeNoticeAsCommittee, publishNotice } from "../proposal_notice.js";
import { officialName, party } from "../names.js";

const CHOICES = [["for", 1], ["against", 0], ["abstain", 2]];
const BALLOT_TYPES = {
  Ballot: [
    { name: "proposalId", type: "uint256" }, { name: "support", type: "uint8" }, { name: "voter", type: "address" },
  ],
};

function pct(part, whole) {
  return whole > 0 ? Math.min(100, (100 * part) / whole) : 0;
}

/** One measure (area or heads): the choices as segments of the total, and the two statutory lines. */
function tallyBar(p, measure) {
  const s = p.statute;
  const total = measure === "area" ? s.total_area : s.total_heads;
  const part = measure === "area" ? s.participating_area : s.participating_heads;
  const turnoutNeed = measure === "area" ? s.turnout_area_required : s.turnout_heads_required;
  const passNeed = measure === "area" ? s.approval_area_required : s.approval_heads_required;
  const value = (n) => (measure === "area" ? area(n) : number(n));
  const tally = p.tallies;
  const forValue = tally.for[measure];
  return `<div class="tally" data-testid="tally-${measure}" data-for="${forValue}" data-against="${tally.against[measure]}" data-abstain="${tally.abstain[measure]}">
    <div class="tally-head"><strong>${esc(t(`assembly.by.${measure}`))}</strong>
      <span class="small">${esc(t("assembly.turnout", { part: value(part), need: value(turnoutNeed), total: value(total) }))}</span></div>
    <div class="bar" role="img" aria-label="${esc(t(`assembly.by.${measure}`))}">
      ${CHOICES.map(([name]) => `<span class="seg ${name}" style="width:${pct(tally[name][measure], total)}%"></span>`).join("")}
      <i class="line turnout" style="left:${pct(turnoutNeed, total)}%" title="${esc(t("assembly.turnoutLine"))}"></i>
      <i class="line pass" style="left:${pct(passNeed, total)}%" title="${esc(t(s.rule === "major" ? "assembly.passLineMajor" : "assembly.passLine"))}"></i>
    </div>
    <div class="tally-legend small">${CHOICES.map(([name]) => `<span class="key ${name}"></span>${esc(t(`assembly.choice.${name}`))} ${value(tally[name][measure])}`).join(" · ")}
      · <span class="small">${esc(t(s.rule === "major" ? "assembly.needMajor" : "assembly.needOrdinary", { need: value(passNeed) }))}</span></div>
  </div>`;
}

const VOTE_OVER = ["defeated", "succeeded", "queued", "executed", "announced"];

/** The result in words: passed or not, and while it has not passed, what is missing (both
 * the 2/3 turnout and the approval must be met, by area and by heads). */
function outcomeLine(p) {
  const s = p.statute;
  const over = VOTE_OVER.includes(p.state);
  const short = (need, have) => Math.max(0, Number(need) - Number(have));
  const missing = (areaShort, headsShort) => [areaShort ? t("assembly.short.area", { area: area(areaShort) }) : null,
    headsShort ? t("assembly.short.heads", { heads: number(headsShort) }) : null].filter(Boolean).join(t("assembly.short.and"));
  let text;
  let cls = "";
  if (s.passed) {
    text = t(over ? "assembly.outcome.passed" : "assembly.outcome.passing");
    cls = over ? "passed" : "";
  } else {
    const why = [];
    if (!s.turnout_met) {
      why.push(t("assembly.why.turnout", { missing: missing(short(s.turnout_area_required, s.participating_area), short(s.turnout_heads_required, s.participating_heads)) }));
    }
    if (!s.approved) {
      why.push(t(s.rule === "major" ? "assembly.why.approvalMajor" : "assembly.why.approval",
        { missing: missing(short(s.approval_area_required, p.tallies.for.area), short(s.approval_heads_required, p.tallies.for.heads)) }));
    } else if (!s.turnout_met) {
      why.push(t("assembly.why.approvalEnough"));
    }
    text = t(over ? "assembly.outcome.defeated" : "assembly.outcome.notYet", { why: why.join(t("assembly.why.sep")) });
    cls = over ? "failed" : "warning-text";
  }
  return `<p class="outcome ${cls}" data-testid="outcome" data-passed="${s.passed}">${esc(text)}</p>`;
}

function stateTag(p) {
  return `<span class="tag state-${p.state}" data-testid="state">${esc(t(`assembly.state.${p.state}`))}</span>`;
}

function listCard(p) {
  return `<a class="card proposal" href="#/assembly/${p.proposal_id}" data-testid="proposal">
    <header class="card-head"><h2>${esc(p.title)}</h2>${stateTag(p)}</header>
    <p class="muted small">${esc(t(`matter.${p.matter}`))} · ${esc(t(p.major ? "assembly.major" : "assembly.ordinary"))}
      · ${esc(t("assembly.window", { start: dateTime(p.vote_start), end: dateTime(p.vote_end) }))}</p>
    ${tallyBar(p, "area")}${tallyBar(p, "heads")}</a>`;
}

async function renderList(ctx, view, current) {
  const page = await ctx.api.get("/assembly/proposals", { order: "desc", limit: 50 });
  if (!current()) return;
  html(view, `<p class="muted">${esc(t("assembly.intro"))}</p>
    <p class="actions"><a class="button primary" href="#/propose" data-testid="new-proposal">${esc(t("assembly.newProposal"))}</a></p>`);
  html(view, page.items.length ? `<div class="stack">${page.items.map(listCard).join("")}</div>` : empty(t("assembly.none")));
}

async function signAndRelay(ctx, p, support) {
  await runStep(t("assembly.signTitle"), async (progress) => {
    const [, name, version, chainId, verifyingContract] = await ctx.wallet.reader("OwnersAssembly").eip712Domain();
    const signer = await ctx.wallet.signer();
    const signature = await signer.signTypedData({ name, version, chainId, verifyingContract }, BALLOT_TYPES,
      { proposalId: BigInt(p.proposal_id), support, voter: ctx.account });
    progress(t("assembly.relaying"));
    const relayed = await ctx.api.post(ctx.config.relayer.path,
      { proposal_id: p.proposal_id, support, voter: ctx.account, signature });
    if (relayed.block_number !== null) {
      progress(t("tx.indexing"));
      await ctx.api.waitIndexed(relayed.block_number);
    }
    return relayed;
  }, t("assembly.relayed"));
}

/** Vote with this phone's passkey: castVote made by the passkey account, sent by the relayer. */
async function passkeyVote(ctx, p, support) {
  await runStep(t("passkey.voteTitle"), async (progress) => {
    const assembly = ctx.config.contracts.OwnersAssembly;
    const data = new Interface(assembly.abi).encodeFunctionData("castVote", [BigInt(p.proposal_id), support]);
    const relayed = await relayCall(ctx, ctx.passkey, assembly.address, data, (key) => progress(t(key)));
    if (relayed.block_number !== null) {
      progress(t("tx.indexing"));
      await ctx.api.waitIndexed(relayed.block_number);
    }
    return relayed;
  }, t("passkey.voted"));
}

function timeline(p, rules) {
  const objectionEnds = p.result.objection_ends;
  const rows = [
    [t("assembly.snapshot"), `#${p.snapshot_block}`],
    [t("assembly.voteStart"), dateTime(p.vote_start)],
    [t("assembly.voteEnd"), dateTime(p.vote_end)],
    [t("assembly.objection"), objectionEnds
      ? t("assembly.objectionValue", { days: days(p.objection_window), end: dateTime(objectionEnds) })
      : t("assembly.objectionFromPreliminary", { days: days(p.objection_window) })],
    [t("assembly.timelock"), p.eta ? t("assembly.eta", { eta: dateTime(p.eta) }) : t("assembly.timelockPending")],
  ];
  if (p.executed) rows.push([t("assembly.executed"), "✓"]);
  if (p.cosigners_required) rows.push([t("assembly.cosigners"), `${p.cosigners} / ${p.cosigners_required}`]);
  return `<dl class="facts" data-testid="timeline">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>
    <p class="muted small">${esc(t("assembly.rules", { notice: days(rules.min_notice), min: days(rules.min_voting_period), max: days(rules.max_voting_period) }))}</p>`;
}

const ROLES = ["assembly", "committee", "manager", "cashier", "merchant", "provider", "auditor"];
const ROLE_BY_ID = Object.fromEntries(ROLES.map((name) => [keccakText(`linli.role.${name}`), name]));

/** Names the page knows for addresses: the community's contracts, the committee. */
function addressBook(ctx) {
  const book = {};
  for (const [name, entry] of Object.entries(ctx.config.contracts)) {
    book[entry.address.toLowerCase()] = officialName(entry.address) ?? named("contract.", name, name);
  }
  return book;
}

/** One argument in words: a known address by name, a role by name, amounts as numbers. */
function argWords(value, type, book) {
  if (Array.isArray(value)) return `[${value.map((v) => argWords(v, type.replace(/\[\]$/, ""), book)).join(", ")}]`;
  if (type === "address") {
    const known = book[String(value).toLowerCase()];
    return known ? `${known} (${shortAddress(value)})` : shortAddress(value);
  }
  if (type === "bytes32" && ROLE_BY_ID[value]) return t("assembly.call.role", { role: roleName(ROLE_BY_ID[value]) });
  if (type.startsWith("uint") || type.startsWith("int")) return number(value.toString());
  if (type.startsWith("bytes")) return shortHash(String(value));
  return String(value);
}

/** Each call decoded: which contract, which function, with which arguments, and its class. */
function decodeCalls(ctx, p, rules) {
  const book = addressBook(ctx);
  const classes = new Map(rules.call_classes.map((c) => [`${c.target.toLowerCase()}:${c.selector}:${c.arg ?? ""}`, c.call_class]));
  return p.calls.map((call, i) => {
    const name = Object.entries(ctx.config.contracts).find(([, e]) => e.address.toLowerCase() === call.target.toLowerCase())?.[0];
    const selector = call.calldata.slice(0, 10).toLowerCase();
    let fn = selector;
    let args = [];
    if (name) {
      try {
        const parsed = new Interface(ctx.config.contracts[name].abi).parseTransaction({ data: call.calldata, value: BigInt(call.value) });
        fn = parsed.name;
        args = parsed.fragment.inputs.map((input, k) => ({ label: input.name || `#${k + 1}`, words: argWords(parsed.args[k], input.type, book) }));
      } catch { /* a call the ABI does not describe: its selector stays */ }
    }
    const first = call.calldata.length >= 74 ? "0x" + call.calldata.slice(10, 74).toLowerCase() : "";
    const klass = classes.get(`${call.target.toLowerCase()}:${selector}:${first}`) ?? classes.get(`${call.target.toLowerCase()}:${selector}:`) ?? "unlisted";
    return `<li data-testid="decoded-call" data-class="${esc(klass)}"><p>${esc(t("assembly.call.line", { n: i + 1, contract: name ? named("contract.", name, name) : shortAddress(call.target), fn }))}
      <span class="tag">${esc(t(`assembly.class.${klass}`))}</span></p>
      ${args.length ? `<dl class="facts small">${args.map((a) => `<dt>${esc(a.label)}</dt><dd>${esc(a.words)}</dd>`).join("")}</dl>` : ""}
      ${call.value !== "0" ? `<p class="small">${esc(t("assembly.call.value", { value: call.value }))}</p>` : ""}</li>`;
  });
}

/** Why the proposal needs the majority it needs, from the API's classification. */
function whyMajority(ctx, p) {
  if (!p.major) return t("assembly.why.ordinaryRule");
  if (p.calls_major) {
    const name = Object.entries(ctx.config.contracts).find(([, e]) => e.address.toLowerCase() === (p.major_target ?? "").toLowerCase())?.[0];
    let fn = p.major_selector;
    if (name) {
      try { fn = new Interface(ctx.config.contracts[name].abi).getFunction(p.major_selector).name; } catch { /* unknown selector */ }
    }
    return t("assembly.why.majorCall", { contract: name ? named("contract.", name, name) : shortAddress(p.major_target), fn });
  }
  return t("assembly.why.majorMatter", { matter: named("matter.", p.matter) });
}

/** A proposal without its notice (the composer's second transaction failed, or its page
 * was closed): its proposer publishes it here, the same text the composer would have
 * sent. An owner's wallet sends it; a committee member proposes it as the Safe's SafeTx
 * for the others to sign (#/committee). Anyone else is not offered it (NoticeBoard
 * refuses them: "notices: committee only"). Too late once the notice period before the
 * vote has begun. */
async function offerNotice(ctx, card, p, rules) {
  if (!ctx.account || ctx.passkey || !["pending", "gathering"].includes(p.state)) return;
  const proposer = p.proposer.toLowerCase();
  const safe = ctx.config.contracts.CommitteeSafe?.address?.toLowerCase();
  let asSafe = false;
  if (proposer !== ctx.account.toLowerCase()) {
    if (proposer !== safe) return;
    asSafe = await ctx.wallet.reader("CommitteeSafe").isOwner(ctx.account).catch(() => false);
    if (!asSafe) return;
  }
  const now = await chainNow(ctx);
  if (now + Number(rules.min_notice) > Number(p.vote_start)) {
    html(card, `<p class="muted small" data-testid="notice-too-late">${esc(t("assembly.noticeTooLate"))}</p>`);
    return;
  }
  const proposal = { matter: p.matter, title: p.title, hash: p.doc_hash, start: Number(p.vote_start), end: Number(p.vote_end), major: p.major };
  const actions = html(card, `<div data-testid="offer-notice"><div class="actions"><button type="button" class="primary" data-testid="${asSafe ? "publish-notice-safe" : "publish-notice"}">${esc(t(asSafe ? "assembly.publishNoticeSafe" : "assembly.publishNotice"))}</button></div>
    <p class="muted small">${esc(t(asSafe ? "assembly.publishNoticeSafeNote" : "assembly.publishNoticeNote"))}</p></div>`);
  actions.querySelector("button").addEventListener("click", () => busy(card, async () => {
    if (asSafe) {
      await proposeNoticeAsCommittee(ctx, proposal, p.proposal_id);
      location.hash = "#/committee";
      return;
    }
    await publishNotice(ctx, proposal, p.proposal_id);
    ctx.rerender();
  }));
}

/** What the proposal decides, in words, its documents checked here, and its notice. */
async function renderExplained(ctx, view, p, rules, current) {
  const notices = ctx.config.contracts.NoticeBoard ? await ctx.api.get("/notices", { proposal_id: p.proposal_id }) : { items: [] };
  if (!current()) return;
  const calls = decodeCalls(ctx, p, rules);
  html(view, `<section class="card" data-testid="explained"><h2>${esc(t("assembly.explained"))}</h2>
    <p data-testid="statute-item">${esc(t("assembly.filedUnder", { n: p.matter, matter: named("matter.", p.matter) }))}</p>
    <p data-testid="why-majority" class="${p.major ? "warning-text" : ""}">${esc(whyMajority(ctx, p))}
      <a class="small" href="#/assembly/rules">${esc(t("assembly.rulesLink"))}</a></p>
    <p data-testid="nonvoter-rule" data-on="${p.nonvoter_rule ? "1" : "0"}">${esc(t(p.nonvoter_rule ? "assembly.nonvoter.on" : "assembly.nonvoter.off"))}</p>
    ${calls.length ? `<ol class="plain calls" data-testid="calls">${calls.join("")}</ol>` : `<p class="muted">${esc(t("assembly.noCalls"))}</p>`}
  </section>`);
  const docs = html(view, `<section class="card" data-testid="proposal-documents"><h2>${esc(t("assembly.documents"))}</h2>
    <p class="muted small">${esc(t("assembly.documentsNote"))}</p>
    <div class="stack">${documentCard(p.doc_hash, t("assembly.fullText"))}</div></section>`);
  const [notice] = notices.items;
  const noticeBox = html(view, `<div data-testid="proposal-notice"></div>`);
  if (notice) {
    html(noticeBox, noticeCard({ ...notice, documents: notice.documents.filter((d) => d !== p.doc_hash) }));
  } else if (ctx.config.contracts.NoticeBoard) {
    const card = html(noticeBox, `<section class="card notice"><p class="warning-text" data-testid="no-notice">${esc(t("assembly.noNotice"))}</p></section>`);
    await offerNotice(ctx, card, p, rules);
  }
  await Promise.all([hydrateDocuments(docs), hydrateDocuments(noticeBox), fillNoticeTexts(noticeBox),
    notice ? wireNotices(ctx, noticeBox, [notice], notices.board, notices.chain_id) : null]);
}

/** The constitution: what each call needs, and the classes. */
async function renderRules(ctx, view, current) {
  const rules = await ctx.api.get("/assembly/rules");
  if (!current()) return;
  const book = addressBook(ctx);
  html(view, `<p><a href="#/assembly">← ${esc(t("assembly.back"))}</a></p><section class="card" data-testid="constitution">
    <h2>${esc(t("assembly.rulesTitle"))}</h2><p class="muted small">${esc(t("assembly.rulesIntro"))}</p>
    <div class="table-wrap" tabindex="0"><table><thead><tr><th>${esc(t("assembly.rulesContract"))}</th><th>${esc(t("assembly.rulesFunction"))}</th><th>${esc(t("assembly.rulesClass"))}</th></tr></thead><tbody>
    ${rules.call_classes.map((c) => {
      const name = Object.entries(ctx.config.contracts).find(([, e]) => e.address.toLowerCase() === c.target.toLowerCase())?.[0];
      let fn = c.selector;
      if (name) { try { fn = new Interface(ctx.config.contracts[name].abi).getFunction(c.selector).name; } catch { /* unknown */ } }
      const arg = c.arg && ROLE_BY_ID[c.arg] ? ` (${roleName(ROLE_BY_ID[c.arg])})` : "";
      return `<tr><td>${esc(book[c.target.toLowerCase()] ?? shortAddress(c.target))}</td><td><code>${esc(fn)}</code>${esc(arg)}</td><td>${esc(t(`assembly.class.${c.call_class}`))}</td></tr>`;
    }).join("")}</tbody></table></div></section>`);
}

/** An owners' motion gathering co-signers (the owner co-signs from their wallet or, by
 * passkey, through the relayer), and a passed proposal's queue and execute (anyone, with
 * the calls and document hash the index kept, which the contract checks against the
 * proposal's id; a wallet's act: the relayer does not run a proposal's calls). */
async function renderMotion(ctx, view, p, rules) {
  const calls = [p.calls.map((c) => c.target), p.calls.map((c) => BigInt(c.value)), p.calls.map((c) => c.calldata), p.doc_hash];
  const send = (card, button, title, call) => {
    if (walletOnly(ctx, card, "passkey.walletOnly.execute")) return;
    button.addEventListener("click", () => busy(card, async () => {
      const writer = await ctx.wallet.contract("OwnersAssembly");
      await runTx(ctx, title, () => call(writer));
      ctx.rerender();
    }));
  };
  if (p.state === "gathering") {
    const mine = p.cosigns.some((c) => c.owner.toLowerCase() === ctx.account);
    const card = html(view, `<section class="card" data-testid="cosign-card"><h2>${esc(t("assembly.cosigners"))}</h2>
      <p data-testid="cosign-count" data-have="${p.cosigners}" data-need="${p.cosigners_required}">${esc(t("assembly.cosignNeed", { have: p.cosigners, need: p.cosigners_required }))}</p>
      ${mine ? `<p class="passed" data-testid="cosigned">${esc(t("assembly.cosigned"))}</p>` : `<div class="actions"><button type="button" class="primary" data-testid="cosign">${esc(t("assembly.cosign"))}</button></div>`}</section>`);
    const button = card.querySelector("[data-testid=cosign]");
    button?.addEventListener("click", () => busy(card, async () => {
      await act(ctx, t("assembly.cosignTitle"), "OwnersAssembly", "cosign", [p.proposal_id]);
      ctx.rerender();
    }));
    return;
  }
  if (!p.calls.length || !["succeeded", "queued"].includes(p.state)) return;
  const card = html(view, `<section class="card" data-testid="execution"><h2>${esc(t("assembly.execution"))}</h2></section>`);
  if (p.state === "succeeded") {
    const end = p.vote_end + p.objection_window + (p.queue_window ?? rules.queue_window ?? 0);
    html(card, `<p>${esc(t("assembly.queueNote", { end: dateTime(end) }))}</p>`);
    const button = html(card, `<div class="actions"><button type="button" class="primary" data-testid="queue">${esc(t("assembly.queue"))}</button></div>`).querySelector("button");
    send(card, button, t("assembly.queueTitle"), (w) => w.queue(p.proposal_id, ...calls));
    return;
  }
  const now = await chainNow(ctx);
  if (p.eta && now < p.eta) {
    html(card, `<p data-testid="execute-wait">${esc(t("assembly.executeWait", { eta: dateTime(p.eta) }))}</p>`);
    return;
  }
  html(card, `<p>${esc(t("assembly.executeReady"))}</p>`);
  const button = html(card, `<div class="actions"><button type="button" class="primary" data-testid="execute">${esc(t("assembly.execute"))}</button></div>`).querySelector("button");
  send(card, button, t("assembly.executeTitle"), (w) => w.execute(p.proposal_id, ...calls));
}

async function renderDetail(ctx, view, id, current) {
  const [p, votes, rules] = await Promise.all([
    ctx.api.get(`/assembly/proposals/${id}`), ctx.api.get(`/assembly/proposals/${id}/votes`, { order: "desc", limit: 20 }),
    ctx.api.get("/assembly/rules"),
  ]);
  if (!current()) return;
  const s = p.statute;
  html(view, `<p><a href="#/assembly">← ${esc(t("assembly.back"))}</a></p>
    <section class="card" data-testid="proposal-detail">
      <header class="card-head"><h2>${esc(p.title)}</h2>${stateTag(p)}</header>
      <p class="muted small">${esc(t(`matter.${p.matter}`))} · ${esc(t(p.major ? "assembly.major" : "assembly.ordinary"))}
        · ${esc(t("assembly.proposer"))} ${party(p.proposer, ' data-testid="proposer"')}
        · ${esc(t("assembly.doc"))} <code title="${esc(p.doc_hash)}">${esc(shortHash(p.doc_hash))}</code></p>
      ${tallyBar(p, "area")}${tallyBar(p, "heads")}
      ${outcomeLine(p)}
      ${timeline(p, rules)}
    </section>`);
  if (VOTE_OVER.includes(p.state) || p.result.phase !== "none") await resultCard(ctx, view, p);
  await renderExplained(ctx, view, p, rules, current);
  if (!current()) return;
  if (ctx.account) {
    await renderMotion(ctx, view, p, rules);
    if (!current()) return;
  }

  if (ctx.account) {
    await renderMyPart(ctx, view, p, current);
    if (!current()) return;
    await renderTellers(ctx, view, p, current);
    if (!current()) return;
  } else html(view, `<section class="card notice"><p>${esc(t("assembly.connectToVote"))}</p><a class="button" href="#/connect">${esc(t("connect.button"))}</a></section>`);

  html(view, `<section class="card"><h2>${esc(t("assembly.ballots"))}</h2>${votes.items.length
    ? `<div class="table-wrap" tabindex="0"><table data-testid="ballots"><thead><tr><th>${esc(t("assembly.voter"))}</th><th>${esc(t("assembly.choice"))}</th>
      <th>${esc(t("assembly.channel"))}</th><th class="num">${esc(t("assembly.area"))}</th><th>${esc(t("assembly.when"))}</th></tr></thead><tbody>
      ${votes.items.map((v) => `<tr data-testid="ballot"><td><code>${esc(shortAddress(v.voter))}</code>${v.delegate ? ` <span class="small muted">${esc(t("assembly.viaDelegate", { who: shortAddress(v.delegate) }))}</span>` : ""}</td>
        <td>${esc(t(`assembly.choice.${v.choice}`))}</td>
        <td data-testid="ballot-channel">${esc(t(`assembly.channel.${v.channel}`))}${v.replaced ? ` <span class="small muted" title="${esc(t("assembly.replaced"))}">*</span>` : ""}</td>
        <td class="num">${area(v.area)}</td><td>${dateTime(v.block_timestamp)}</td></tr>`).join("")}
      </tbody></table></div>` : empty(t("assembly.noBallots"))}
      <div class="actions"><a class="button" data-testid="announcement-pdf" href="${esc(`${ctx.api.base}/assembly/proposals/${p.proposal_id}/announcement.pdf`)}">${esc(t("assembly.announcementPdf"))}</a>
      <a class="button" data-testid="roll-csv" href="${esc(`${ctx.api.base}/assembly/proposals/${p.proposal_id}/roll.csv`)}">${esc(t("assembly.rollCsv"))}</a></div></section>`);
}

/** The result the legal way: the preliminary result (初步统计结果), its objection period
 * with the owners' objections, then the final result; each a transaction anyone may send
 * (PaperBallots), an objection an owner's. No result while the paper count does not add up. */
async function resultCard(ctx, view, p) {
  const r = p.result;
  const verdict = r.passed === null ? "" : t(r.passed ? "assembly.result.passed" : "assembly.result.notPassed");
  const lines = [];
  if (r.paper_reconciled === false && r.phase === "none") {
    lines.push(`<p class="warning-text" data-testid="result-unreconciled">${esc(t("assembly.result.unreconciled"))}</p>`);
  }
  if (r.phase === "none") lines.push(`<p data-testid="result-none">${esc(t("assembly.result.none"))}</p>`);
  if (r.preliminary_at) {
    lines.push(`<p data-testid="result-preliminary">${esc(t("assembly.result.preliminary", { when: dateTime(r.preliminary_at), verdict }))}</p>`);
    lines.push(`<p data-testid="result-objections" data-objections="${r.objections}" data-ends="${r.objection_ends}">${esc(t(
      r.phase === "preliminary" ? "assembly.result.objectionRunning" : "assembly.result.objectionOver",
      { end: dateTime(r.objection_ends), count: number(r.objections) }))}</p>`);
  }
  if (p.nonvoter_rule && (r.phase !== "none" || r.served_heads)) {
    // The non-voter rule (指导规则 第二十六条第二款): the served non-voters two tellers confirmed, and where they went.
    const d = r.deemed;
    const key = !d ? "assembly.nonvoter.served" : d.side === "none" ? "assembly.nonvoter.noSide" : `assembly.nonvoter.added.${d.side}`;
    lines.push(`<p data-testid="result-deemed" data-side="${esc(d ? d.side : "")}" data-heads="${d ? d.heads : r.served_heads}">${esc(t(key, {
      area: area(d ? d.area : r.served_area), heads: number(d ? d.heads : r.served_heads),
      served: number(r.served_heads), without: d ? t(d.passed_without ? "assembly.result.passed" : "assembly.result.notPassed") : "" }))}</p>`);
  }
  if (r.phase === "final") lines.push(`<p class="${r.passed ? "passed" : "failed"}" data-testid="result-final">${esc(t("assembly.result.final", { when: dateTime(r.final_at), verdict }))}</p>`);
  const card = html(view, `<section class="card" data-testid="result" data-phase="${esc(r.phase)}"><h2>${esc(t("assembly.result.title"))}</h2>
    ${lines.join("")}<div class="actions" data-testid="result-actions"></div></section>`);
  if (!ctx.account || !ctx.config.contracts.PaperBallots) return;
  const actions = card.querySelector("[data-testid=result-actions]");
  // Publishing a result is anyone's (once): a wallet's act, the relayer sends only residents' own.
  const send = (button, title, call) => {
    if (walletOnly(ctx, actions, "passkey.walletOnly.publish")) return;
    button.addEventListener("click", () => busy(actions, async () => {
      const paper = await ctx.wallet.contract("PaperBallots");
      await runTx(ctx, title, () => call(paper));
      ctx.rerender();
    }));
  };
  if (r.phase === "none") {
    const button = html(actions, `<button type="button" data-testid="publish-preliminary">${esc(t("assembly.result.publishPreliminary"))}</button>`);
    send(button, t("assembly.result.publishPreliminary"), (paper) => paper.publish_preliminary(p.proposal_id));
  } else if (r.phase === "objections_closed") {
    const button = html(actions, `<button type="button" data-testid="publish-final">${esc(t("assembly.result.publishFinal"))}</button>`);
    send(button, t("assembly.result.publishFinal"), (paper) => paper.publish_final(p.proposal_id));
  } else if (r.phase === "preliminary") {
    // One objection per owner identity: an owner who objected (from any wallet or phone
    // of theirs) is told so rather than offered a form the contract would refuse.
    if (await objectedAlready(ctx, p.proposal_id)) {
      html(actions, `<p data-testid="objected">${esc(t("assembly.result.objected"))}</p>`);
      return;
    }
    const form = html(actions, `<form class="stack" data-testid="object-form"><label class="block">${esc(t("assembly.result.objectionText"))}
      <textarea name="text" rows="3" required data-testid="objection-text"></textarea></label>
      <p class="muted small">${esc(t("assembly.result.objectionNote"))}</p>
      <div class="actions"><button type="submit" data-testid="object">${esc(t("assembly.result.object"))}</button></div></form>`);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = form.querySelector("textarea").value.trim();
      if (!text) return;
      busy(form, async () => {
        await act(ctx, t("assembly.result.object"), "PaperBallots", "object_result", [p.proposal_id, keccakText(text)]);
        ctx.rerender();
      });
    });
  }
}

/** Whether the owner identity of this wallet has objected to `proposalId`'s preliminary
 * result (false for a wallet bound to no identity: the contract refuses it in words). */
async function objectedAlready(ctx, proposalId) {
  const [bound, identity] = await ctx.wallet.reader("HouseholdRegistry").identity_of(ctx.account);
  return bound && await ctx.wallet.reader("PaperBallots").objected(proposalId, identity);
}

/** This wallet's vote on `p`: its area at the snapshot, or why it has none (a wallet bound
 * to no owner identity: committee, manager, tenant, merchant; an owner who had no area
 * then; a wallet whose recovery is pending, or bound to its owner after the snapshot). The contract refuses the same ballots; this says so before anyone clicks. */
async function myWeight(ctx, p) {
  try {
    const [, weight] = await ctx.wallet.reader("HouseholdRegistry").voting_weight(ctx.account, BigInt(p.snapshot_block));
    return weight > 0n ? { area: weight } : { none: "assembly.noAreaAtSnapshot" };
  } catch (error) {
    const reason = revertReason(error);
    if (reason === "registry: not an owner wallet") return { none: "assembly.notAnOwner" };
    // A recovery of this owner's wallet is in flight, or this wallet became the owner's
    // after the proposal was made (a recovered wallet votes from the next proposal).
    if (reason === "registry: recovery pending") return { none: "assembly.recoveryPending" };
    if (reason === "registry: wallet bound after the snapshot") return { none: "assembly.boundAfterSnapshot" };
    throw error;
  }
}

/** Vote again before the close: the current choice preselected, the others offered. */
function changeForm(ctx, card, p, ballot) {
  const form = html(card, `<form class="vote-form" data-testid="change-vote"><fieldset><legend>${esc(t("assembly.changeChoice"))}</legend>${CHOICES.map(([name, support]) =>
    `<label class="choice"><input type="radio" name="support" value="${support}" ${name === ballot.choice ? "checked" : ""}> ${esc(t(`assembly.choice.${name}`))}</label>`).join("")}</fieldset>
    <div class="actions"><button type="submit" data-testid="vote-change">${esc(t("assembly.changeVote"))}</button></div>
    <p class="muted small">${esc(t("assembly.changeNote"))}</p></form>`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const support = Number(form.querySelector("input[name=support]:checked").value);
    busy(form, async () => {
      if (ctx.passkey) await passkeyVote(ctx, p, support);
      else {
        const writer = await ctx.wallet.contract("OwnersAssembly");
        await runTx(ctx, t("assembly.changeTitle"), () => writer.castVote(p.proposal_id, support));
      }
      ctx.rerender();
    });
  });
}

async function renderMyPart(ctx, view, p, current) {
  const me = ctx.account;
  const assembly = ctx.wallet.reader("OwnersAssembly");
  const [voted, mine, delegations, delegatedToMe, weight] = await Promise.all([
    assembly.hasVoted(p.proposal_id, me),
    ctx.api.get(`/assembly/proposals/${p.proposal_id}/votes`, { voter: me }),
    ctx.api.get("/assembly/delegations", { owner: me, current: true }),
    ctx.api.get("/assembly/delegations", { delegate: me, current: true }),
    myWeight(ctx, p),
  ]);
  const active = p.state === "active";
  // Owners who made me their delegate, and of those the ones nobody has voted for yet.
  const owners = delegatedToMe.items.filter((d) => d.proposal_id === "0" || d.proposal_id === p.proposal_id).map((d) => d.owner);
  const pending = [];
  if (active) {
    const votedFor = await Promise.all(owners.map((owner) => assembly.hasVoted(p.proposal_id, owner)));
    owners.forEach((owner, i) => { if (!votedFor[i]) pending.push(owner); });
  }
  if (!current()) return;
  const open = ["pending", "gathering", "active"].includes(p.state);
  const card = html(view, `<section class="card" data-testid="my-ballot"><h2>${esc(t("assembly.myBallot"))}</h2></section>`);
  if (voted) {
    const ballot = mine.items[0];
    html(card, `<p data-testid="voted" data-choice="${esc(ballot?.choice ?? "")}">${esc(t("assembly.youVoted", { choice: ballot ? t(`assembly.choice.${ballot.choice}`) : "✓" }))}</p>`);
    if (ballot?.replaced) {
      html(card, `<p class="muted small" data-testid="changed">${esc(t(ballot.replaced_channel === "delegate" ? "assembly.changedDelegate" : "assembly.changed"))}</p>`);
    }
    // Until the close an owner may vote again from their own wallet: the new ballot replaces
    // theirs (and their delegate's). A paper ballot stands: the contract refuses an online one after it.
    if (active && ballot && ballot.channel !== "paper" && !weight.none) changeForm(ctx, card, p, ballot);
  } else if (weight.none) {
    html(card, `<p class="muted" data-testid="no-vote">${esc(t(weight.none, { block: p.snapshot_block }))}</p>`);
  } else if (!active) {
    html(card, `<p class="muted">${esc(t("assembly.notOpen"))}</p>`);
  } else {
    const form = html(card, `<form class="vote-form">
        <p class="muted small">${esc(t("assembly.yourWeight", { area: area(weight.area) }))}</p>
        <fieldset><legend>${esc(t("assembly.yourChoice"))}</legend>${CHOICES.map(([name, support], i) =>
          `<label class="choice"><input type="radio" name="support" value="${support}" ${i === 0 ? "checked" : ""}> ${esc(t(`assembly.choice.${name}`))}</label>`).join("")}</fieldset>
        ${ctx.passkey ? `<div class="actions"><button type="button" class="primary" data-testid="vote-passkey">${esc(t("passkey.vote"))}</button></div>
        <p class="muted small">${esc(t("passkey.voteNote"))}</p></form>`
    : `<div class="actions"><button type="submit" class="primary" data-testid="vote-direct">${esc(t("assembly.voteDirect"))}</button>
        ${ctx.config.relayer ? `<button type="button" data-testid="vote-signed">${esc(t("assembly.voteSigned"))}</button>` : ""}</div>
        <p class="muted small">${esc(t("assembly.signedNote"))}</p></form>`}`);
    const support = () => Number(form.querySelector("input[name=support]:checked").value);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        const writer = await ctx.wallet.contract("OwnersAssembly");
        await runTx(ctx, t("assembly.voteTitle"), () => writer.castVote(p.proposal_id, support()));
        ctx.rerender();
      });
    });
    form.querySelector("[data-testid=vote-passkey]")?.addEventListener("click", () => busy(form, async () => {
      await passkeyVote(ctx, p, support());
      ctx.rerender();
    }));
    form.querySelector("[data-testid=vote-signed]")?.addEventListener("click", () => busy(form, async () => {
      await signAndRelay(ctx, p, support());
      ctx.rerender();
    }));
  }

  if (active && owners.length && !pending.length) {
    html(card, `<p class="muted" data-testid="delegate-done">${esc(t("assembly.delegateDone", { count: owners.length }))}</p>`);
  }
  if (active && pending.length) {
    const form = html(card, `<form class="inline" data-testid="delegate-vote"><p>${esc(t("assembly.asDelegate", { count: pending.length }))}</p>
      <label>${esc(t("assembly.choice"))} <select name="support">${CHOICES.map(([name, support]) => `<option value="${support}">${esc(t(`assembly.choice.${name}`))}</option>`).join("")}</select></label>
      <button type="submit">${esc(t("assembly.voteAsDelegate"))}</button></form>`);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        const still = [];
        for (const owner of pending) if (!(await assembly.hasVoted(p.proposal_id, owner))) still.push(owner);
        await act(ctx, t("assembly.voteTitle"), "OwnersAssembly", "castVoteAsDelegate", [p.proposal_id, still, Number(form.support.value)]);
        ctx.rerender();
      });
    });
  }

  // Only an owner wallet has a vote to delegate; anyone else sees the card without the form.
  if (weight.none === "assembly.notAnOwner" && !delegations.items.length) return;

  // My delegations: this proposal's and the standing one.
  const relevant = delegations.items.filter((d) => d.proposal_id === "0" || d.proposal_id === p.proposal_id);
  const delegation = html(view, `<section class="card" data-testid="delegation"><h2>${esc(t("assembly.delegation"))}</h2>
    <p class="muted small">${esc(t("assembly.delegationNote"))}</p>
    ${relevant.length ? `<ul class="plain">${relevant.map((d) => `<li data-testid="my-delegation">${esc(t(d.proposal_id === "0" ? "assembly.standingTo" : "assembly.thisTo", { who: d.delegate }))}
      <button type="button" data-revoke="${esc(d.proposal_id)}">${esc(t("assembly.revoke"))}</button></li>`).join("")}</ul>` : `<p class="muted">${esc(t("assembly.noDelegation"))}</p>`}
    <form class="inline"><label>${esc(t("assembly.delegateTo"))} <input name="delegate" placeholder="0x…" pattern="^0x[0-9a-fA-F]{40}$" required></label>
      <label>${esc(t("assembly.scope"))} <select name="scope"><option value="${esc(p.proposal_id)}" ${open ? "" : "disabled"}>${esc(t("assembly.scopeThis"))}</option><option value="0" ${open ? "" : "selected"}>${esc(t("assembly.scopeStanding"))}</option></select></label>
      <button type="submit" data-testid="delegate">${esc(t("assembly.delegate"))}</button></form></section>`);
  delegation.querySelectorAll("[data-revoke]").forEach((button) => button.addEventListener("click", () => busy(delegation, async () => {
    await act(ctx, t("assembly.revokeTitle"), "OwnersAssembly", "revoke_delegation", [button.dataset.revoke]);
    ctx.rerender();
  })));
  const form = delegation.querySelector("form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const to = form.delegate.value.trim();
      await act(ctx, t("assembly.delegateTitle", { who: shortAddress(to) }), "OwnersAssembly", "set_delegate", [to, form.scope.value]);
      ctx.rerender();
    });
  });
}

export async function render(ctx, view, params, current) {
  html(view, `<h1>${esc(t("assembly.title"))}</h1>`);
  if (params[0] === "rules") return renderRules(ctx, view, current);
  if (params[0] && /^[0-9]{1,78}$/.test(params[0])) return renderDetail(ctx, view, params[0], current);
  return renderList(ctx, view, current);
}
