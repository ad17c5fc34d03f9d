// SPDX-License-Identifier: AGPL-3.0-only
// EIP-2612 permits for the settlement token: one signature instead of an approve
// transaction, where the token supports it (the fee payment on the home page, a merchant's
// promotion slot); and whether it speaks ERC-1363, which needs neither.

import { Signature } from "ethers";

const ERC1363_ID = "0xb0202a11";

/** Whether the token takes a payment and its purpose in one call (ERC-1363 transferAndCall):
 * a fee payment on the home page, a service order. */
export async function speaksErc1363(token) {
  try {
    return await token.supportsInterface(ERC1363_ID);
  } catch {
    return false;
  }
}

export const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" },
  ],
};

/** The token's EIP-712 domain if it supports permit (ERC-5267 + nonces), else null. */
export async function permitDomain(ctx, token) {
  try {
    const [, name, version, chainId, verifyingContract] = await token.eip712Domain();
    await token.nonces(ctx.account);
    return { name, version, chainId, verifyingContract };
  } catch {
    return null;
  }
}

/** A permit for `spender` to take `value` from this wallet, valid an hour by the chain's
 * clock: { deadline, v, r, s }. */
export async function signPermit(ctx, token, domain, spender, value) {
  const latest = await ctx.wallet.provider().getBlock("latest");
  const deadline = BigInt(latest.timestamp + 3600);
  const nonce = await token.nonces(ctx.account);
  const signer = await ctx.wallet.signer();
  const signature = Signature.from(await signer.signTypedData(domain, PERMIT_TYPES, {
    owner: ctx.account, spender, value, nonce, deadline,
  }));
  return { deadline, v: signature.v, r: signature.r, s: signature.s };
}
