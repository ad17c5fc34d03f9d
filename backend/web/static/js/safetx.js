// SPDX-License-Identifier: AGPL-3.0-only
// A Safe 1.4.1 transaction (EIP-712 SafeTx) as the committee's members sign it in their
// own browsers: the committee's console (pages/committee.js) and the composer's "propose
// as the committee" (pages/propose.js) share it.

import { t } from "./i18n.js";

const ZERO = "0x0000000000000000000000000000000000000000";

export const SAFE_TX_TYPES = {
  EIP712Domain: [{ name: "chainId", type: "uint256" }, { name: "verifyingContract", type: "address" }],
  SafeTx: [
    { name: "to", type: "address" }, { name: "value", type: "uint256" }, { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" }, { name: "safeTxGas", type: "uint256" }, { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" }, { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" }, { name: "nonce", type: "uint256" },
  ],
};

/** The SafeTx message with its numbers as the wallet's eth_signTypedData_v4 takes them. */
export function message(tx) {
  return { to: tx.to, value: String(tx.value), data: tx.data, operation: Number(tx.operation),
    safeTxGas: String(tx.safeTxGas), baseGas: String(tx.baseGas), gasPrice: String(tx.gasPrice),
    gasToken: tx.gasToken, refundReceiver: tx.refundReceiver, nonce: String(tx.nonce) };
}

/** The connected member's EIP-712 signature of `tx` for the Safe at `safe`. */
export async function signSafeTx(ctx, safe, tx) {
  const typed = { types: SAFE_TX_TYPES, primaryType: "SafeTx",
    domain: { chainId: ctx.config.chain_id, verifyingContract: safe }, message: message(tx) };
  return ctx.wallet.provider().send("eth_signTypedData_v4", [ctx.account.toLowerCase(), JSON.stringify(typed)]);
}

/** The next nonce no SafeTx uses: after the Safe's own and after every one pending. */
export function nextNonce(overview) {
  return Math.max(overview.nonce, ...overview.pending.map((p) => Number(p.nonce) + 1));
}

/** Propose a call as the committee: a SafeTx at the next free nonce, signed by the
 * connected member and kept by the committee's store for the others to sign and run. */
export async function proposeSafeTx(ctx, safe, { to, data, operation = 0 }, progress) {
  const overview = await ctx.api.get("/committee");
  const nonce = nextNonce(overview);
  const tx = { to, value: "0", data, operation, safeTxGas: "0", baseGas: "0", gasPrice: "0",
    gasToken: ZERO, refundReceiver: ZERO, nonce: String(nonce) };
  progress(t("committee.signing"));
  const signature = await signSafeTx(ctx, safe, tx);
  progress(t("committee.saving"));
  await ctx.api.post(ctx.api.url("/committee/transactions"), { ...tx, nonce, safe, chainId: ctx.config.chain_id,
    signer: ctx.account, signature });
}
