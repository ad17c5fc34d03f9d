// SPDX-License-Identifier: AGPL-3.0-only
// SHA-256 in the browser: of a file (a work's fingerprint: only the hash leaves the page)
// and of a text the chain knows only by its hash (a suggestion, a service description,
// feedback, an answer). Those texts stay with whoever typed them: this browser keeps
// them in localStorage, keyed by hash, so their author sees them again; anyone else
// holding the text can check it against the hash on chain.

import { sha256 as jsSha256, toUtf8Bytes } from "ethers";

const TEXTS_KEY = "linli.texts";
const TEXTS_KEPT = 200;

function hex(buffer) {
  return "0x" + Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Bytes(bytes) {
  // SubtleCrypto exists only in a secure context (https, 127.0.0.1, localhost): a page
  // opened over plain http on a LAN address falls back to ethers' implementation.
  if (globalThis.crypto?.subtle) return hex(await crypto.subtle.digest("SHA-256", bytes));
  return jsSha256(new Uint8Array(bytes));
}

export async function sha256File(file) {
  return sha256Bytes(await file.arrayBuffer());
}

export async function sha256Text(text) {
  return sha256Bytes(toUtf8Bytes(text));
}

function texts() {
  try {
    return JSON.parse(localStorage.getItem(TEXTS_KEY) ?? "{}") ?? {};
  } catch {
    return {};
  }
}

/** Remember a text this resident typed, by its hash (the newest TEXTS_KEPT are kept). */
export function keepText(hash, text) {
  const kept = texts();
  delete kept[hash];
  kept[hash] = text;
  const keys = Object.keys(kept);
  for (const old of keys.slice(0, Math.max(0, keys.length - TEXTS_KEPT))) delete kept[old];
  localStorage.setItem(TEXTS_KEY, JSON.stringify(kept));
}

/** Forget the text this browser kept for `hash` (its words were removed from the store). */
export function forgetText(hash) {
  const kept = texts();
  if (!(hash in kept)) return;
  delete kept[hash];
  localStorage.setItem(TEXTS_KEY, JSON.stringify(kept));
}

/** The text this browser kept for `hash`, or null. */
export function keptText(hash) {
  return hash ? texts()[hash.toLowerCase()] ?? null : null;
}

/** The UTF-8 length of a text (the contracts bound titles in bytes, not characters). */
export function utf8Length(text) {
  return toUtf8Bytes(text).length;
}
