// SPDX-License-Identifier: AGPL-3.0-only
// A passkey on this phone as the resident's wallet (issue 18): the passkey (WebAuthn,
// ES256 = P-256) controls a PasskeyAccount the factory derives from its public key; the
// relayer creates the account and sends every call the passkey signs. The WebAuthn
// challenge is the EIP-712 hash of Call(target, value, data, nonce) in the account's own
// domain, computed here with ethers' TypedDataEncoder (the same encoder signTypedData
// uses for the ballots), so it is the hash PasskeyAccount.call_hash computes.
// Only the credential's id and public key are kept in this browser, nothing personal.

import { AbiCoder, Interface, TypedDataEncoder, getBytes, hashMessage, hexlify } from "ethers";
import { esc } from "./format.js";
import { t } from "./i18n.js";
import { runStep, runTx } from "./tx.js";

const STORE = "linli.passkey";
// The secp256r1 group order: the account takes only the low s of a signature's pair.
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const CALL_TYPES = {
  Call: [
    { name: "target", type: "address" }, { name: "value", type: "uint256" },
    { name: "data", type: "bytes" }, { name: "nonce", type: "uint256" },
  ],
};
const ES256 = -7;

export function supported() {
  return Boolean(window.PublicKeyCredential && navigator.credentials?.create && window.isSecureContext);
}

function kept() {
  try {
    return JSON.parse(localStorage.getItem(STORE) ?? "{}") ?? {};
  } catch {
    return {};
  }
}

/** This browser's passkey for the community's chain, or null. */
export function storedPasskey(config) {
  const key = kept()[config.chain_id];
  return key?.account ? key : null;
}

function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(text) {
  const plain = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(plain, (c) => c.charCodeAt(0));
}

function failure(i18nKey) {
  return Object.assign(new Error(i18nKey), { i18nKey });
}

/** A new passkey on this device (ES256, kept on the device, user verification): its
 * credential id and public key (x, y). */
async function makeCredential(config) {
  const credential = await navigator.credentials.create({
    publicKey: {
      rp: { name: `${config.name} · Linli` },
      // A random handle, no name of the person: the passkey lists under the community's name.
      user: { id: crypto.getRandomValues(new Uint8Array(16)), name: config.name, displayName: config.name },
      challenge: crypto.getRandomValues(new Uint8Array(32)), // no attestation is checked
      pubKeyCredParams: [{ type: "public-key", alg: ES256 }],
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
      attestation: "none",
    },
  });
  if (credential.response.getPublicKeyAlgorithm?.() !== ES256) throw failure("passkey.notP256");
  // The SubjectPublicKeyInfo of a P-256 key ends with the uncompressed point 04 ‖ x ‖ y.
  const spki = new Uint8Array(credential.response.getPublicKey());
  const point = spki.slice(spki.length - 65);
  if (point[0] !== 4) throw failure("passkey.notP256");
  return { id: b64url(credential.rawId), x: hexlify(point.slice(1, 33)), y: hexlify(point.slice(33)) };
}

/** Create a passkey, register its key with the backend, which answers the account and
 * has the relayer create it. */
export async function createPasskey(ctx) {
  const { config, api } = ctx;
  const { id, x, y } = await makeCredential(config);
  const answer = await api.post(config.passkeys.register, { x, y });
  const key = { id, x, y, account: answer.account };
  localStorage.setItem(STORE, JSON.stringify({ ...kept(), [config.chain_id]: key }));
  return { key, answer };
}

// ------------------------------------------------------------------ a second phone

const PENDING = "linli.passkey.pending";
const CODE = /^linli-passkey:(0x[0-9a-fA-F]{1,64}):(0x[0-9a-fA-F]{1,64})$/;

/** The new phone's passkey waiting to be added to `account` by a phone the account has. */
export function pendingPhone(config) {
  try {
    return JSON.parse(localStorage.getItem(PENDING) ?? "{}")?.[config.chain_id] ?? null;
  } catch {
    return null;
  }
}

/** On the new phone: a passkey for the existing `account` (no account is created: the
 * first phone adds this key to its account). Returns the code the first phone reads. */
export async function startNewPhone(ctx, account) {
  const key = { ...(await makeCredential(ctx.config)), account: account.toLowerCase() };
  localStorage.setItem(PENDING, JSON.stringify({ [ctx.config.chain_id]: key }));
  return phoneCode(key);
}

export const phoneCode = (key) => `linli-passkey:${key.x}:${key.y}`;

/** On the new phone: has the first phone added it yet? Then it becomes this phone's key. */
export async function checkNewPhone(ctx) {
  const key = pendingPhone(ctx.config);
  if (!key) return false;
  const state = await ctx.api.get(`/passkeys/${key.account}`, { x: key.x, y: key.y });
  if (!state.has_key) return false;
  localStorage.setItem(STORE, JSON.stringify({ ...kept(), [ctx.config.chain_id]: key }));
  localStorage.removeItem(PENDING);
  return true;
}

/** On a phone the account has: add the new phone's key (its code), signed by this phone's
 * passkey and relayed (the account calls its own add_passkey). */
export async function addPhone(ctx, code) {
  const match = CODE.exec(code.trim());
  if (!match) throw failure("passkey.badCode");
  const account = ctx.passkey.account;
  const entry = ctx.config.contracts.PasskeyAccount;
  const data = new Interface(entry.abi).encodeFunctionData("add_passkey", [BigInt(match[1]), BigInt(match[2])]);
  return runStep(t("passkey.addingPhone"), async (progress) => {
    const relayed = await relayCall(ctx, ctx.passkey, account, data, (key) => progress(t(key)));
    if (relayed.block_number !== null) {
      progress(t("tx.indexing"));
      await ctx.api.waitIndexed(relayed.block_number);
    }
    return relayed;
  }, t("passkey.phoneAdded"));
}

/** r and s of a DER ECDSA signature (SEQUENCE of two INTEGERs). */
function derSignature(der) {
  let at = 2 + (der[1] & 0x80 ? der[1] & 0x7f : 0);
  const integer = () => {
    if (der[at] !== 0x02) throw failure("passkey.badSignature");
    const length = der[at + 1];
    const value = BigInt(hexlify(der.slice(at + 2, at + 2 + length)));
    at += 2 + length;
    return value;
  };
  return [integer(), integer()];
}

function indexOf(bytes, text) {
  const needle = new TextEncoder().encode(text);
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw failure("passkey.badSignature");
}

const hex256 = (value) => "0x" + value.toString(16);

/** The challenge of `execute(target, 0, data, nonce)` on `account` (PasskeyAccount.call_hash). */
export function callHash(chainId, account, target, data, nonce) {
  return TypedDataEncoder.hash({ name: "Linli PasskeyAccount", version: "1", chainId, verifyingContract: account },
    CALL_TYPES, { target, value: 0n, data, nonce });
}

/** This phone's passkey's assertion of `challenge`, as the account checks it (low s). */
async function assertion(key, challenge) {
  const credential = await navigator.credentials.get({
    publicKey: {
      challenge: getBytes(challenge),
      allowCredentials: [{ type: "public-key", id: fromB64url(key.id) }],
      userVerification: "required",
    },
  });
  const response = credential.response;
  const clientData = new Uint8Array(response.clientDataJSON);
  const [r, s] = derSignature(new Uint8Array(response.signature));
  return {
    authenticator_data: hexlify(new Uint8Array(response.authenticatorData)),
    client_data_json: hexlify(clientData),
    challenge_index: indexOf(clientData, '"challenge":"'),
    type_index: indexOf(clientData, '"type":"'),
    r: hex256(r), s: hex256(s > N / 2n ? N - s : s), x: key.x, y: key.y,
  };
}

/** Sign the call to `target` with this phone's passkey and have the relayer send it. */
export async function relayCall(ctx, key, target, data, progress = () => {}) {
  const { config, api } = ctx;
  const { next_nonce: nonce } = await api.get(`/passkeys/${key.account}`);
  const challenge = callHash(config.chain_id, key.account, target, data, BigInt(nonce));
  progress("passkey.signing");
  const signed = await assertion(key, challenge);
  progress("passkey.relaying");
  return api.post(config.passkeys.calls, { account: key.account, target, value: "0", data, nonce: String(nonce),
    assertion: signed });
}

const MESSAGE_TYPES = { PasskeyMessage: [{ name: "hash", type: "bytes32" }] };
const ASSERTION_TUPLE = "tuple(bytes,bytes,uint256,uint256,uint256,uint256,uint256,uint256)";

/** The account's EIP-1271 signature of a text (personal_sign's EIP-191 hash): the passkey's
 * assertion of PasskeyAccount.message_hash(hash), ABI-encoded as isValidSignature takes it.
 * The vault's sign-in (EIP-4361) asks the account for it on the chain. */
export async function signText(ctx, key, text) {
  const challenge = TypedDataEncoder.hash(
    { name: "Linli PasskeyAccount", version: "1", chainId: ctx.config.chain_id, verifyingContract: key.account },
    MESSAGE_TYPES, { hash: hashMessage(text) });
  const a = await assertion(key, challenge);
  return AbiCoder.defaultAbiCoder().encode([ASSERTION_TUPLE], [[a.authenticator_data, a.client_data_json,
    a.challenge_index, a.type_index, a.r, a.s, a.x, a.y]]);
}

/** A resident's transaction, signed by this phone's passkey and sent by the relayer, with
 * the toasts of a wallet's transaction: pending (signing, relaying, indexing), then
 * confirmed or failed with the reason in the resident's words. `method(args)` on the
 * community's contract `name` (`args` may be an async function, read within the toast:
 * a quote); resolves with the relay's answer once indexed. */
export async function relayTx(ctx, title, name, method, args, doneText = t("tx.confirmed")) {
  const entry = ctx.config.contracts[name];
  if (!entry) throw new Error(`this community has no ${name}`);
  return runStep(title, async (progress) => {
    const values = typeof args === "function" ? await args() : args;
    const data = new Interface(entry.abi).encodeFunctionData(method, values);
    const relayed = await relayCall(ctx, ctx.passkey, entry.address, data, (key) => progress(t(key)));
    if (relayed.block_number !== null) {
      progress(t("tx.indexing"));
      await ctx.api.waitIndexed(relayed.block_number);
    }
    return relayed;
  }, doneText);
}

/** The same act by wallet (runTx) or, for a resident signed in by passkey, through the relayer. */
export async function act(ctx, title, name, method, args) {
  if (ctx.passkey) return relayTx(ctx, title, name, method, args);
  const contract = await ctx.wallet.contract(name);
  return runTx(ctx, title, () => contract[method](...args));
}

/** For a resident signed in by passkey, an act the relayer does not send (it moves money
 * or points, or is not the resident's own): the card says so in words, with `why`,
 * and its buttons are disabled instead of failing at the click. Returns whether it did. */
export function walletOnly(ctx, container, why) {
  if (!ctx.passkey) return false;
  container.querySelectorAll("button, input[type=submit]").forEach((b) => { b.disabled = true; });
  if (!container.querySelector("[data-testid=wallet-only]")) {
    container.insertAdjacentHTML("beforeend", `<p class="notice small" data-testid="wallet-only">${esc(t(why))} ${esc(t("passkey.walletOnly"))}</p>`);
  }
  return true;
}
