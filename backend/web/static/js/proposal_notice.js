// SPDX-License-Identifier: AGPL-3.0-only
// A proposal's notice (业主大会会议公告) as the composer publishes it right after the
// proposal, and as the proposal's page publishes it later when it was never sent (the
// second transaction failed, or the page was closed): one text, built here for both, from
// what the chain keeps of the proposal (its matter, title, full text's hash, vote window
// and majority). NoticeBoard lets the proposal's proposer (an owner, or the committee's
// Safe) publish its own proposal's notice, once, a notice period before the vote.

import { Interface } from "ethers";
import { currentLang, t } from "./i18n.js";
import { dateTime } from "./format.js";
import { utf8Length } from "./hash.js";
import { publishText } from "./texts.js";
import { runStep, runTx } from "./tx.js";
import { named } from "./ui.js";
import { proposeSafeTx } from "./safetx.js";

export const NOTICE_TITLE_BYTES = 120; // NoticeBoard.MAX_TITLE
export const NOTICE_PROPOSAL = 1; // NoticeBoard: kind 1, a proposal's notice
export const AUDIENCE_OWNERS = 3; // to the owners
const NUMERALS = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/** The statute item a matter is filed under (民法典 第二百七十八条 第（n）项), in words. */
export function statuteItem(matter) {
  const item = currentLang() === "zh" ? NUMERALS[matter] ?? matter : matter;
  return t("propose.statuteItem", { item, matter: named("matter.", matter) });
}

/** `text` cut to at most `bytes` UTF-8 bytes, on a character boundary. */
export function cutBytes(text, bytes) {
  let out = "";
  for (const ch of text) {
    if (utf8Length(out + ch) > bytes) return out.slice(0, -1) + "…";
    out += ch;
  }
  return out;
}

/** The proposal's notice (公告): what the owners must know before the vote (业主大会和业主委员会
 * 指导规则: the matter, its content, when and how they vote), with the full text's hash.
 * `proposal`: { matter, title, hash (the full text's SHA-256), start, end (seconds), major }. */
export function noticeOf({ matter, title, hash, start, end, major }) {
  const text = t("propose.noticeText", { title, statute: statuteItem(matter), start: dateTime(start), end: dateTime(end),
    needs: t(major ? "propose.needs.major" : "propose.needs.ordinary"), hash });
  return { title: cutBytes(t("propose.noticeTitle", { title }), NOTICE_TITLE_BYTES), text };
}

/** publish_notice's arguments for the notice of `proposalId`, its text stored under `contentHash`. */
export function noticeArgs(contentHash, notice, proposalId, docHash) {
  return [contentHash, NOTICE_PROPOSAL, AUDIENCE_OWNERS, "", notice.title, BigInt(proposalId), [docHash]];
}

/** Publish the notice of `proposalId` from the connected wallet (the proposer's): its text in
 * the public texts first, then NoticeBoard.publish_notice (a refusal shows translated). */
export async function publishNotice(ctx, proposal, proposalId) {
  const notice = noticeOf(proposal);
  const contentHash = await publishText(ctx, notice.text, "notice");
  const board = await ctx.wallet.contract("NoticeBoard");
  return runTx(ctx, t("propose.publishNotice"), () => board.publish_notice(...noticeArgs(contentHash, notice, proposalId, proposal.hash)));
}

/** The committee's notice of its own proposal: a SafeTx calling publish_notice, run first
 * from the Safe's address (a refusal shows before anyone signs), signed by this member and
 * kept by the committee's store for the others to sign and run (#/committee). */
export async function proposeNoticeAsCommittee(ctx, proposal, proposalId) {
  const safe = ctx.config.contracts.CommitteeSafe.address;
  const board = ctx.config.contracts.NoticeBoard;
  const notice = noticeOf(proposal);
  const contentHash = await publishText(ctx, notice.text, "notice");
  const data = new Interface(board.abi).encodeFunctionData("publish_notice", noticeArgs(contentHash, notice, proposalId, proposal.hash));
  await runStep(t("propose.publishNoticeSafe"), async (progress) => {
    await ctx.wallet.provider().call({ from: safe, to: board.address, data });
    await proposeSafeTx(ctx, safe, { to: board.address, data }, progress);
  }, t("propose.safeProposed"));
}
