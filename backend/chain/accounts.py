"""Which account signs the committee's transactions.

On a private chain the key comes from the environment (LINLI_DEPLOYER_KEY), never
from a file in the repository. On a local chain (anvil, Ape's test provider) the
default is anvil's first well-known test account, which holds test ether only.
"""

from __future__ import annotations

import os

DEPLOYER_KEY_ENV = "LINLI_DEPLOYER_KEY"
LOCAL_CHAIN_IDS = {31337, 1337}
# On a local chain the backend's own signer (the vault's logger, the vote relayer) is
# anvil's test account 8, which the demo gives no other part.
LOCAL_SERVICE_ACCOUNT_INDEX = 8


class DeployerError(RuntimeError):
    """No usable deployer account for this network."""


def key_account(env: str, chain_id: int, local_index: int, who: str):
    """The account whose private key is in the environment variable `env`; without it, on
    a local chain, anvil's test account `local_index`. `who` names the key in the error
    raised elsewhere ("the manager's")."""
    from ape import accounts
    from ape_accounts.accounts import ApeSigner

    key = os.environ.get(env, "").strip()
    if key:
        try:
            return ApeSigner(private_key=key if key.startswith("0x") else "0x" + key)
        except Exception as exc:  # pydantic validation of the hex key
            raise DeployerError(f"{env} is not a valid private key (64 hex digits)") from exc
    if chain_id in LOCAL_CHAIN_IDS:
        return accounts.test_accounts[local_index]
    raise DeployerError(f"chain {chain_id} is not a local chain: set {env} to {who} key")


def deployer_account(chain_id: int):
    """The signing account: LINLI_DEPLOYER_KEY if set, else anvil's account 0 on a local chain."""
    return key_account(DEPLOYER_KEY_ENV, chain_id, 0, "the committee's deployer")


def local_service_account():
    """The backend's signer on a local chain: anvil's test account 8 (test ether only)."""
    from ape import accounts

    return accounts.test_accounts[LOCAL_SERVICE_ACCOUNT_INDEX]


def account_by_alias(alias: str, chain_id: int):
    """An account named as Ape names it: an alias of `ape accounts` (its passphrase is
    asked for when it signs), or on a local chain `TEST::n`, anvil's test account n."""
    from ape import accounts

    if alias.upper().startswith("TEST::"):
        if chain_id not in LOCAL_CHAIN_IDS:
            raise DeployerError(f"{alias}: test accounts exist only on a local chain")
        index = alias[len("TEST::"):]
        if not index.isdigit() or int(index) >= len(accounts.test_accounts):
            raise DeployerError(f"{alias}: no such test account")
        return accounts.test_accounts[int(index)]
    try:
        return accounts.load(alias)
    except Exception as exc:  # Ape's IndexError/AccountsError for an unknown alias
        raise DeployerError(f"no account with the alias {alias!r} (see `ape accounts list`)") from exc
