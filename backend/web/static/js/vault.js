// SPDX-License-Identifier: AGPL-3.0-only
// The personal-data vault (/api/v1/vault): Sign-In with Ethereum (EIP-4361) and the
// session it gives. The vault prepares the message with a single-use nonce; the page
// checks it names this page's address and chain before the wallet signs it
// (personal_sign), then keeps the session token in sessionStorage (this tab only).

import { getAddress } from "ethers";
import { ApiError } from "./api.js";
import { currentLang } from "./i18n.js";
import { signText } from "./passkey.js";

const VAULT = "/api/v1/vault";
const SESSION_KEY = "linli.vault.session";

/** A refusal the page explains in its own words (i18n key and values). */
export class VaultProblem extends Error {
  constructor(key, vars = {}) {
    super(key);
    this.i18nKey = key;
    this.i18nVars = vars;
  }
}

export function session(account) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null");
    if (saved && saved.address === account && saved.expires_at > Date.now() / 1000 + 30) return saved;
  } catch { /* nothing usable saved */ }
  return null;
}

function forget() {
  sessionStorage.removeItem(SESSION_KEY);
}

export async function vaultRequest(method, path, options = {}) {
  return sessionRequest(method, VAULT + path, options);
}

/** A request to the backend under the vault's session (the vault's routes, the public texts). */
export async function sessionRequest(method, url, { body, token } = {}) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401 && token) forget();
  if (!response.ok) {
    // A rate limit says when to come back (seconds): the page tells the user.
    throw Object.assign(new ApiError(response.status, answer?.detail ?? response.statusText),
      { retryAfter: response.headers.get("retry-after") });
  }
  return answer;
}

export async function signIn(ctx) {
  // The message's one line in words (its statement) comes in the page's language.
  const language = currentLang() === "zh" ? "zh" : "en";
  const offer = await vaultRequest("POST", "/siwe/nonce", { body: { address: ctx.account, language } });
  // The wallet is about to sign "<domain> wants you to sign in …": the vault must name
  // this very page and chain, or the signature would be for somewhere else.
  if (offer.domain !== location.host) throw new VaultProblem("mydata.wrongDomain", { domain: offer.domain, uri: offer.uri });
  if (offer.chain_id !== ctx.config.chain_id) throw new VaultProblem("mydata.wrongChain", { chain: offer.chain_id });
  const header = `${location.host} wants you to sign in with your Ethereum account:\n${getAddress(ctx.account)}\n`;
  if (!offer.message.startsWith(header) || !offer.message.includes(`\nNonce: ${offer.nonce}\n`)) {
    throw new VaultProblem("mydata.badMessage");
  }
  // A wallet signs the message (personal_sign); a resident signed in by passkey signs it
  // with the phone's passkey for their account, which the vault asks on the chain (EIP-1271).
  // The passkey's public key goes with it: while the account is not on the chain yet, the
  // vault checks that the factory derives the account from this key, and the signature off
  // the chain as the account will.
  const byPasskey = Boolean(ctx.passkey && !ctx.wallet?.ready);
  const signature = byPasskey
    ? await signText(ctx, ctx.passkey, offer.message)
    : await (await ctx.wallet.signer()).signMessage(offer.message);
  const body = { message: offer.message, signature };
  if (byPasskey) body.passkey = { x: ctx.passkey.x, y: ctx.passkey.y };
  const opened = await vaultRequest("POST", "/siwe/login", { body });
  const saved = { address: ctx.account, token: opened.token, expires_at: opened.expires_at };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(saved));
  return saved;
}

export async function signOut(saved) {
  try {
    await vaultRequest("POST", "/siwe/logout", { token: saved.token });
  } finally {
    forget();
  }
}
