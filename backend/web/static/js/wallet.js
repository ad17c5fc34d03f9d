// SPDX-License-Identifier: AGPL-3.0-only
// The resident's wallet through EIP-1193 (window.ethereum: MetaMask or any injected wallet):
// connect, put it on the community's chain, and contracts bound to its signer.

import { BrowserProvider, Contract, JsonRpcProvider } from "ethers";

export class Wallet extends EventTarget {
  constructor(config) {
    super();
    this.config = config;
    this.account = null;
    this.chainId = null;
    this._provider = null;
    const ethereum = window.ethereum;
    if (ethereum?.on) {
      ethereum.on("accountsChanged", (accounts) => this._setAccount(accounts?.[0] ?? null));
      ethereum.on("chainChanged", (chainId) => this._setChain(chainId));
    }
  }

  get available() {
    return Boolean(window.ethereum);
  }

  get onCommunityChain() {
    return this.chainId === this.config.chain_id;
  }

  get ready() {
    return Boolean(this.account) && this.onCommunityChain;
  }

  // A change is announced once: switching chains gives both the wallet's chainChanged
  // event and ensureChain's own answer, and each announcement redraws the page.
  _setAccount(account) {
    const next = account ? account.toLowerCase() : null;
    if (next === this.account) return;
    this.account = next;
    this.dispatchEvent(new Event("change"));
  }

  _setChain(chainId) {
    const next = Number(chainId);
    if (next === this.chainId) return;
    this.chainId = next;
    this._provider = null;
    this.dispatchEvent(new Event("change"));
  }

  /** The accounts and chain an injected wallet already allowed this site (no prompt), or
   * null: asked before the configuration is in, so both travel at once. */
  static async allowed() {
    if (!window.ethereum) return null;
    try {
      const [accounts, chainId] = await Promise.all([
        window.ethereum.request({ method: "eth_accounts" }),
        window.ethereum.request({ method: "eth_chainId" }),
      ]);
      return { accounts, chainId };
    } catch {
      return null; // a wallet that refuses to answer before connect: the Connect button asks
    }
  }

  /** Silently pick up an account the wallet already allowed this site (no prompt); the
   * caller draws the page next, so nothing is announced. */
  async restore(allowed) {
    const found = await (allowed ?? Wallet.allowed());
    if (!found) return;
    this.chainId = Number(found.chainId);
    this.account = found.accounts?.[0] ? found.accounts[0].toLowerCase() : null;
  }

  async connect() {
    if (!this.available) throw Object.assign(new Error("no wallet"), { code: "NO_WALLET" });
    const accounts = await window.ethereum.request({ method: "eth_requestAccounts" });
    await this.ensureChain();
    this._setAccount(accounts?.[0] ?? null);
    return this.account;
  }

  /** Switch the wallet to the community's chain, adding it first if the wallet lacks it. */
  async ensureChain() {
    const chainId = Number(await window.ethereum.request({ method: "eth_chainId" }));
    if (chainId !== this.config.chain_id) {
      try {
        await window.ethereum.request({ method: "wallet_switchEthereumChain", params: [{ chainId: this.config.chain_id_hex }] });
      } catch (error) {
        // 4902: unknown chain (some mobile wallets nest it in data.originalError).
        const code = error?.code ?? error?.data?.originalError?.code;
        if (code !== 4902 && code !== -32603) throw error;
        await window.ethereum.request({ method: "wallet_addEthereumChain", params: [this.config.chain] });
      }
    }
    this._setChain(await window.ethereum.request({ method: "eth_chainId" }));
  }

  provider() {
    if (!this._provider && !window.ethereum) {
      // No wallet (a resident with a passkey): the pages read through the community's node.
      this._provider = new JsonRpcProvider(this.config.chain.rpcUrls[0], this.config.chain_id, { staticNetwork: true });
      this._provider.pollingInterval = 250;
    }
    if (!this._provider) {
      this._provider = new BrowserProvider(window.ethereum, "any");
      // ethers polls every 4 s by default; a resident waits for each of those polls.
      this._provider.pollingInterval = 250;
    }
    return this._provider;
  }

  async signer() {
    if (!this.ready) await this.connect();
    return this.provider().getSigner(this.account);
  }

  address(name) {
    const entry = this.config.contracts[name];
    if (!entry) throw new Error(`this community has no ${name}`);
    return entry.address;
  }

  /** A contract of the community bound to the resident's signer (for transactions). */
  async contract(name) {
    const entry = this.config.contracts[name];
    if (!entry) throw new Error(`this community has no ${name}`);
    return new Contract(entry.address, entry.abi, await this.signer());
  }

  /** The same contract for view calls, through the wallet's node. */
  reader(name) {
    const entry = this.config.contracts[name];
    if (!entry) throw new Error(`this community has no ${name}`);
    return new Contract(entry.address, entry.abi, this.provider());
  }
}
