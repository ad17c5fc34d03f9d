// SPDX-License-Identifier: AGPL-3.0-only
// Public texts (/api/v1/texts): the words behind the hashes the chain keeps (a suggestion,
// an answer, a service request's description, a reason, feedback). Before a page sends a
// hash on chain it stores the text there, signed in with the vault's session; if the
// store refuses, no transaction is sent. Pages show a text fetched by its hash, checked
// here against that hash, else this browser's own copy (hash.js), else "not available".
// A text its author or the committee removed shows as removed, and by whom.

import { t } from "./i18n.js";
import { ApiError } from "./api.js";
import { forgetText, keepText, keptText, sha256Text } from "./hash.js";
import { runStep } from "./tx.js";
import { VaultProblem, session, sessionRequest, signIn } from "./vault.js";

const TEXTS = "/api/v1/texts";
const BULK = 100; // the API's bound on one bulk read
const ZERO_HASH = "0x" + "0".repeat(64);

/** The store's refusals in the resident's words. */
function explained(error) {
  if (!(error instanceof ApiError)) return error;
  if (error.status === 403) return new VaultProblem("texts.notWriter");
  if (error.status === 429) return new VaultProblem("texts.tooMany");
  if (error.status === 422) {
    const said = Array.isArray(error.detail) ? error.detail.map((d) => d.msg ?? String(d)).join("; ") : error.message;
    return new VaultProblem("texts.refused", { reason: said });
  }
  return error;
}

/**
 * Store `text` publicly under its SHA-256 and resolve with that hash, which the caller then
 * sends on chain. Signs in with Ethereum first when this tab has no session. Throws (already
 * shown to the resident) when the text could not be stored: the caller sends nothing.
 */
export async function publishText(ctx, text, kind) {
  return runStep(t("texts.publishing"), async (progress) => {
    const hash = await sha256Text(text);
    const answer = await signedIn(ctx, progress, "POST", TEXTS, { text, kind }, explained);
    // The server keys by the same SHA-256; a different answer would put a hash on chain nobody can read.
    if (answer.text_hash !== hash) throw new VaultProblem("texts.hashMismatch");
    keepText(hash, text);
    return hash;
  }, null, { beforeTx: true });
}

/**
 * A request under this tab's vault session: signs in with Ethereum first when there is
 * none, and once more if the session ended meanwhile (401). Other refusals go through
 * `explain` into the resident's words.
 */
async function signedIn(ctx, progress, method, url, body, explain) {
  const send = (saved) => sessionRequest(method, url, { body, token: saved.token });
  let saved = session(ctx.account);
  if (!saved) {
    progress(t("texts.signIn"));
    saved = await signIn(ctx);
  }
  try {
    return await send(saved);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) throw explain(error);
    progress(t("texts.signIn"));
    return send(await signIn(ctx)).catch((again) => { throw explain(again); });
  }
}

/**
 * The texts behind `hashes` (zero hashes and repeats skipped): a Map hash -> text of those
 * found in the store (each checked against its hash: the page trusts the chain, not the
 * server) or in this browser's own copies. A store that does not answer leaves the copies.
 * A removed text maps to the words saying so, and `found.removed` (a Set) holds its hash.
 */
export async function fetchTexts(hashes) {
  const wanted = [...new Set(hashes.filter((h) => h && h !== ZERO_HASH).map((h) => h.toLowerCase()))];
  const found = new Map();
  found.removed = new Set();
  const chunks = [];
  for (let i = 0; i < wanted.length; i += BULK) chunks.push(wanted.slice(i, i + BULK));
  await Promise.all(chunks.map(async (chunk) => {
    try {
      const response = await fetch(`${TEXTS}?hashes=${chunk.join(",")}`, { headers: { accept: "application/json" } });
      if (!response.ok) return;
      const answer = await response.json();
      for (const item of answer.items) {
        if (chunk.includes(item.text_hash) && (await sha256Text(item.text)) === item.text_hash) found.set(item.text_hash, item.text);
      }
      for (const gone of answer.removed ?? []) {
        if (!chunk.includes(gone.text_hash)) continue;
        found.removed.add(gone.text_hash);
        found.set(gone.text_hash, t(gone.removed_as === "author" ? "texts.removedByAuthor" : "texts.removedByCommittee"));
      }
    } catch { /* the store is unreachable: this browser's copies below */ }
  }));
  for (const hash of wanted) {
    const kept = found.has(hash) ? null : keptText(hash);
    if (kept) found.set(hash, kept);
  }
  return found;
}

/**
 * Remove the words stored under `hash` (its author or the committee; the server checks
 * which). Signs in first when this tab has no session. The chain keeps the hash; readers
 * see that the text was removed, and by whom.
 */
export async function removeText(ctx, hash) {
  return runStep(t("texts.removing"), async (progress) => {
    await signedIn(ctx, progress, "DELETE", `${TEXTS}/${hash}`, undefined, removalExplained);
    forgetText(hash);
  }, t("texts.removed"));
}

function removalExplained(error) {
  if (error instanceof ApiError && error.status === 403) return new VaultProblem("texts.notRemover");
  return explained(error);
}
