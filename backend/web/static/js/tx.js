// SPDX-License-Identifier: AGPL-3.0-only
// A transaction as the resident sees it: pending (waiting for the wallet, then for the
// block), confirmed (and indexed, so the page shows it), or failed with the reason in
// the resident's words (the contracts' namespaced reasons, translated in reverts.json).

import { AbiCoder } from "ethers";
import { knownReverts, revertText, t } from "./i18n.js";
import { esc, shortHash } from "./format.js";
import { ApiError } from "./api.js";

const ERROR_STRING = "0x08c379a0"; // selector of Error(string)

/** Every string and revert payload found anywhere in a wallet/ethers error. */
function candidates(error, seen = new Set(), out = []) {
  if (error === null || error === undefined || seen.has(error)) return out;
  if (typeof error === "string") {
    out.push(error);
    if (error.startsWith(ERROR_STRING)) {
      try {
        out.push(AbiCoder.defaultAbiCoder().decode(["string"], "0x" + error.slice(10))[0]);
      } catch { /* not an Error(string) payload */ }
    }
    return out;
  }
  if (typeof error !== "object") return out;
  seen.add(error);
  for (const key of ["reason", "shortMessage", "message", "data", "error", "info", "cause", "revert", "body", "originalError"]) {
    if (key in error) candidates(error[key], seen, out);
  }
  if (Array.isArray(error.revert?.args)) error.revert.args.forEach((arg) => candidates(arg, seen, out));
  if (typeof error.body === "string") {
    try { candidates(JSON.parse(error.body), seen, out); } catch { /* not JSON */ }
  }
  return out;
}

/** The contract's namespaced reason inside an error ("fees: zero months"), if any. */
export function revertReason(error) {
  const texts = candidates(error);
  for (const reason of knownReverts()) {
    if (texts.some((text) => text.includes(reason))) return reason;
  }
  for (const text of texts) {
    const match = /\b([a-z_]+: [a-z0-9 '_.,-]+)/.exec(text);
    if (match && !/^(execution reverted|json-rpc error|internal)/i.test(match[1])) return match[1];
  }
  return null;
}

function rejectedByUser(error) {
  const codes = [error?.code, error?.info?.error?.code, error?.error?.code];
  return codes.includes(4001) || codes.includes("ACTION_REJECTED");
}

/** No node answered (the wallet's node, or the page's request to it, failed on the way). */
function nodeUnreachable(error) {
  if (error instanceof ApiError) return false;
  const codes = [error?.code, error?.error?.code, error?.info?.error?.code];
  if (codes.includes("NETWORK_ERROR") || codes.includes("TIMEOUT")) return true;
  const texts = candidates(error).join("\n");
  return /failed to fetch|networkerror|network error|load failed|ECONNREFUSED|could not coalesce|fetch failed/i.test(texts);
}

/** The server's explanation of a refusal as one line: a string, FastAPI's list of
 * field errors ("amount: Input should be greater than 0"), or a {reason|message} object. */
function detailText(detail) {
  if (typeof detail === "string") return detail.trim() || null;
  if (Array.isArray(detail)) {
    const parts = detail.map((d) => {
      if (typeof d !== "object" || d === null) return String(d);
      const where = Array.isArray(d.loc) ? d.loc.filter((l) => l !== "body" && l !== "query").join(".") : "";
      return where ? `${where}: ${d.msg ?? ""}` : String(d.msg ?? "");
    }).filter(Boolean);
    return parts.length ? parts.slice(0, 3).join("; ") : null;
  }
  if (detail && typeof detail === "object") return detail.reason ?? detail.message ?? null;
  return null;
}

/** The read API's refusals in the resident's words: the server's own (English) detail is
 * for operators, the status says what happened. */
function apiText(error) {
  const status = error.status;
  if (status === 404) return t("api.notFound");
  if (status === 409 || status === 410) return t("api.gone");
  if (status === 422 || status === 400) {
    // What was wrong matters to whoever typed it (a field, a file's line): the server's
    // own words go along, in the page's sentence.
    const reason = detailText(error.detail);
    return reason ? t("api.badRequestWhy", { reason }) : t("api.badRequest");
  }
  if (status === 429) return t("api.tooMany");
  if (status === 503 || status === 502 || status === 504) return t("api.unavailable");
  if (status >= 500) return t("api.serverError");
  if (status === 401 || status === 403) return t("api.forbidden");
  return t("api.refused", { status });
}

/** The resident's words for any failure (a revert, a refusal, a rejected signature, the API). */
export function explain(error) {
  if (rejectedByUser(error)) return t("tx.rejected");
  if (error?.i18nKey) return t(error.i18nKey, error.i18nVars);
  const detail = error?.detail;
  // A passkey prompt the resident closed, or that timed out (WebAuthn says both the same way).
  if (error?.name === "NotAllowedError") return t("passkey.cancelled");
  if (detail && typeof detail === "object" && !Array.isArray(detail) && detail.code) {
    // A relayed call the contract would refuse: the contract's own reason, translated.
    const contractText = ["would_revert", "bad_assertion"].includes(detail.code) && detail.reason
      ? revertText(detail.reason) : null;
    if (contractText) return contractText;
    const key = `relay.${detail.code}`;
    const text = t(key);
    return text === key ? apiText(error) : text;
  }
  // A refusal of the backend (not of a contract): what kind of refusal, in the resident's words.
  if (error instanceof ApiError && !revertReason(error)) return apiText(error);
  const reason = revertReason(error);
  if (reason) return revertText(reason) ?? t("tx.unknownReason", { reason });
  if (error?.code === "NO_WALLET") return t("connect.noWallet");
  if (error?.code === "TX_REVERTED") return t("tx.reverted");
  if (nodeUnreachable(error)) return t("tx.nodeDown");
  const message = error?.shortMessage ?? error?.message ?? String(error);
  return t("tx.unknownReason", { reason: message });
}

let toastSeq = 0;

/** A toast that follows one transaction; `update(state, text)` moves it along. */
export function toast(title) {
  const box = document.getElementById("toasts");
  const node = document.createElement("div");
  node.className = "toast pending";
  node.id = `toast-${++toastSeq}`;
  node.setAttribute("role", "status");
  node.innerHTML = `<strong>${esc(title)}</strong><span class="toast-state"></span>`;
  box.prepend(node);
  const update = (state, text) => {
    node.className = `toast ${state}`;
    node.setAttribute("role", state === "failed" ? "alert" : "status");
    node.dataset.state = state;
    node.querySelector(".toast-state").innerHTML = text;
    if (state !== "pending") setTimeout(() => node.remove(), state === "failed" ? 20000 : 8000);
  };
  update("pending", esc(t("tx.waitingWallet")));
  return { node, update };
}

/** The receipt of `hash`, asked for every RECEIPT_POLL_MS: ethers' own wait polls new
 * blocks every 4 s whenever the receipt is not there at its first look (a node that
 * answers eth_sendTransaction before it mined the block), which stalled one
 * transaction in three. */
const RECEIPT_POLL_MS = [50, 100, 150, 200, 250];

async function receiptOf(provider, hash) {
  for (let i = 0; ; i++) {
    const receipt = await provider.getTransactionReceipt(hash);
    if (receipt) return receipt;
    await new Promise((resolve) => setTimeout(resolve, RECEIPT_POLL_MS[Math.min(i, RECEIPT_POLL_MS.length - 1)]));
  }
}

/**
 * Run one transaction: `send()` returns an ethers TransactionResponse (or throws before
 * sending, when the contract refuses in the gas estimate; or null: nothing to send).
 * Resolves with the receipt once the block is indexed; rejects (already shown to the
 * resident) when it failed.
 */
export async function runTx(ctx, title, send) {
  const note = toast(title);
  let response;
  try {
    response = await send();
    if (!response) {
      note.node.remove();
      return null;
    }
    note.update("pending", `${esc(t("tx.pending"))} <code>${esc(shortHash(response.hash))}</code>`);
    const receipt = await receiptOf(ctx.wallet.provider(), response.hash);
    if (!receipt || receipt.status !== 1) throw Object.assign(new Error("reverted"), { receipt, code: "TX_REVERTED" });
    note.update("pending", esc(t("tx.indexing")));
    await ctx.api.waitIndexed(receipt.blockNumber);
    note.update("confirmed", `${esc(t("tx.confirmed"))} <code>${esc(shortHash(receipt.hash))}</code>`);
    return receipt;
  } catch (error) {
    note.update("failed", `${esc(t("tx.failed"))}: ${esc(explain(error))}`);
    error.shown = true;
    throw error;
  }
}

/** A step that is not a transaction (a signature, a relayed ballot) with the same toasts.
 * `beforeTx`: the step leads straight into a transaction, whose own toast says the rest,
 * so this one goes away once done (it stays when the step fails). */
export async function runStep(title, step, doneText, { beforeTx = false } = {}) {
  const note = toast(title);
  try {
    const result = await step((text) => note.update("pending", esc(text)));
    if (beforeTx) note.node.remove();
    else note.update("confirmed", esc(doneText ?? t("tx.confirmed")));
    return result;
  } catch (error) {
    note.update("failed", `${esc(t("tx.failed"))}: ${esc(explain(error))}`);
    error.shown = true;
    throw error;
  }
}
