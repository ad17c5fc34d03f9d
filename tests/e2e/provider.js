// SPDX-License-Identifier: AGPL-3.0-only
// A test wallet injected as window.ethereum before the page's scripts (EIP-1193).
// Accounts and chain switching are answered as MetaMask answers them; every other
// request, transactions and eth_signTypedData_v4 included, goes to the test anvil,
// which signs for its unlocked accounts. window.__walletConfig = {rpc, account, connected}
// and, for tests of what residents run into: `reject` (methods the resident declines, as
// code 4001), `chainId` (the chain the wallet is on at first, hex; a switch to the node's
// chain emits chainChanged as MetaMask does). `rpc` may be changed while the page runs
// (a node that goes away).
(() => {
  const { account } = window.__walletConfig;
  const listeners = {};
  let nextId = 1;
  // connected: the resident allowed this site before (MetaMask then answers eth_accounts).
  let connected = Boolean(window.__walletConfig.connected);
  let chainId = window.__walletConfig.chainId ?? null; // null: the node's own
  window.__walletLog = [];
  const emit = (event, value) => (listeners[event] ?? []).forEach((handler) => handler(value));

  async function forward(method, params) {
    const response = await fetch(window.__walletConfig.rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: params ?? [] }),
    });
    const body = await response.json();
    if (body.error) {
      const error = new Error(body.error.message);
      error.code = body.error.code;
      error.data = body.error.data;
      throw error;
    }
    return body.result;
  }

  function providerError(code, message) {
    return Object.assign(new Error(message), { code });
  }

  window.ethereum = {
    isMetaMask: true,
    async request({ method, params }) {
      window.__walletLog.push(method);
      if ((window.__walletConfig.reject ?? []).includes(method)) throw providerError(4001, "User rejected the request.");
      switch (method) {
        case "eth_chainId":
          return chainId ?? forward(method, params);
        case "eth_requestAccounts":
          if (!account) throw providerError(4001, "User rejected the request.");
          connected = true;
          return [account];
        case "eth_accounts":
          return connected && account ? [account] : [];
        case "wallet_switchEthereumChain": {
          const have = await forward("eth_chainId", []);
          if (BigInt(have) !== BigInt(params[0].chainId)) throw providerError(4902, "Unrecognized chain ID.");
          if (chainId !== null && BigInt(chainId) !== BigInt(have)) {
            chainId = null;
            setTimeout(() => emit("chainChanged", have), 0);  // MetaMask announces the switch too
          }
          return null;
        }
        case "wallet_addEthereumChain":
          window.__addedChain = params[0];
          return null;
        case "eth_sendTransaction":
        case "eth_signTypedData_v4":
          if (!connected) throw providerError(4100, "The requested account has not been authorized.");
          return forward(method, params);
        default:
          return forward(method, params);
      }
    },
    on(event, handler) {
      (listeners[event] ??= []).push(handler);
      return this;
    },
    removeListener(event, handler) {
      listeners[event] = (listeners[event] ?? []).filter((h) => h !== handler);
      return this;
    },
  };
})();
