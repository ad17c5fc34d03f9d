"""The vault's view of the chain: grants and roles by eth_call, access logs by transaction.

The vault reads a grant with DataConsent's views before it acts, then sends
`log_access` signed by its logger key and waits for the receipt; only a successful
receipt carrying the AccessLogged event lets it answer. DataConsent checks the grant
again inside the transaction, so a grant revoked between the view and the
transaction still stops the read.

Several API workers may share the logger key: transactions are sent under a process
lock with the node's pending nonce, and a "nonce too low" answer (another worker got
there first) is retried with a fresh nonce.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError

from backend.chain.deployment import ManifestError, read_manifest
from backend.core.config import LOCAL_CHAIN_IDS
# The public test mnemonic of anvil and Ape (ape-config.yaml); its account 8 is the
# backend's service account on a local chain (backend/chain/accounts.py).
LOCAL_TEST_MNEMONIC = "test test test test test test test test test test test junk"
LOCAL_SERVICE_ACCOUNT_PATH = "m/44'/60'/0'/0/8"

COMMITTEE_ROLE = keccak(text="linli.role.committee")
ZERO32 = b"\x00" * 32

_CONSENT_ABI = json.loads("""[
 {"type":"function","name":"has_live_grant","stateMutability":"view",
  "inputs":[{"name":"resident","type":"address"},{"name":"grantee","type":"address"},{"name":"scope","type":"bytes32"}],
  "outputs":[{"name":"","type":"bool"}]},
 {"type":"function","name":"grant_of","stateMutability":"view",
  "inputs":[{"name":"resident","type":"address"},{"name":"grantee","type":"address"},{"name":"scope","type":"bytes32"}],
  "outputs":[{"name":"","type":"tuple","components":[
    {"name":"version","type":"uint256"},{"name":"expiry","type":"uint256"},{"name":"granted_at","type":"uint256"},
    {"name":"revoked_at","type":"uint256"},{"name":"grantee_role","type":"bytes32"},{"name":"live","type":"bool"}]}]},
 {"type":"function","name":"is_logger","stateMutability":"view",
  "inputs":[{"name":"arg0","type":"address"}],"outputs":[{"name":"","type":"bool"}]},
 {"type":"function","name":"log_access","stateMutability":"nonpayable",
  "inputs":[{"name":"resident","type":"address"},{"name":"grantee","type":"address"},{"name":"scope","type":"bytes32"},
            {"name":"purpose_hash","type":"bytes32"}],
  "outputs":[{"name":"","type":"uint256"}]},
 {"type":"event","name":"AccessLogged","anonymous":false,"inputs":[
  {"name":"resident","type":"address","indexed":true},{"name":"grantee","type":"address","indexed":true},
  {"name":"scope","type":"bytes32","indexed":true},{"name":"version","type":"uint256","indexed":false},
  {"name":"purpose_hash","type":"bytes32","indexed":false},{"name":"accessed_at","type":"uint256","indexed":false},
  {"name":"logged_by","type":"address","indexed":false}]}
]""")

_REGISTRY_ABI = json.loads("""[
 {"type":"function","name":"hasRole","stateMutability":"view",
  "inputs":[{"name":"role","type":"bytes32"},{"name":"account","type":"address"}],"outputs":[{"name":"","type":"bool"}]},
 {"type":"function","name":"is_member","stateMutability":"view",
  "inputs":[{"name":"wallet","type":"address"}],"outputs":[{"name":"","type":"bool"}]},
 {"type":"function","name":"identity_of","stateMutability":"view",
  "inputs":[{"name":"wallet","type":"address"}],"outputs":[{"name":"","type":"bool"},{"name":"","type":"uint256"}]},
 {"type":"function","name":"identity_commitment","stateMutability":"view",
  "inputs":[{"name":"arg0","type":"uint256"}],"outputs":[{"name":"","type":"bytes32"}]},
 {"type":"function","name":"resident_commitment","stateMutability":"view",
  "inputs":[{"name":"arg0","type":"address"}],"outputs":[{"name":"","type":"bytes32"}]}
]""")


# The committee's Safe (Safe 1.4.1): whether a wallet is one of its owners, the members.
_SAFE_ABI = [{"type": "function", "name": "isOwner", "stateMutability": "view",
              "inputs": [{"name": "owner", "type": "address"}], "outputs": [{"name": "", "type": "bool"}]}]


class ChainUnavailable(RuntimeError):
    """The node did not answer, or the vault's chain setup is unusable (503)."""


class AccessRefused(Exception):
    """The chain refused the read (no live grant, or the contract reverted log_access)."""


@dataclass(frozen=True)
class CommunityContracts:
    community: str  # registry address, lower case: the community's key everywhere
    chain_id: int
    registry: str
    consent: str | None
    committee_safe: str | None = None  # the committee's Safe, when the committee role is one
    # The chain's PasskeyAccountFactory, when the deployment names one: a passkey account not
    # yet created signs in by the address this factory derives from its key.
    passkey_factory: str | None = None


@dataclass(frozen=True)
class AccessLog:
    tx_hash: str
    block_number: int
    version: int
    accessed_at: int
    purpose_hash: bytes


def load_communities(paths: list[Path]) -> dict[str, CommunityContracts]:
    """The communities named by deployment manifests, keyed by registry address (lower case)."""
    found: dict[str, CommunityContracts] = {}
    for path in paths:
        try:
            manifest = read_manifest(Path(path))
        except ManifestError as exc:
            raise ChainUnavailable(str(exc)) from None
        contracts = manifest["contracts"]
        consent = contracts.get("DataConsent", {}).get("address")
        safe = contracts.get("CommitteeSafe", {}).get("address")
        factory = contracts.get("PasskeyAccountFactory", {}).get("address")
        key = manifest["community"].lower()
        found[key] = CommunityContracts(
            community=key,
            chain_id=int(manifest["chain_id"]),
            registry=to_checksum_address(manifest["community"]),
            consent=to_checksum_address(consent) if consent else None,
            committee_safe=to_checksum_address(safe) if safe else None,
            passkey_factory=to_checksum_address(factory) if factory else None,
        )
    return found


def local_service_key() -> str:
    """Anvil's test account 8 (public test key, test ether only): the local default logger."""
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(LOCAL_TEST_MNEMONIC, account_path=LOCAL_SERVICE_ACCOUNT_PATH).key.to_0x_hex()


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, ContractLogicError) and message.startswith("execution reverted: "):
        message = message[len("execution reverted: "):]
    return message


class VaultChain:
    """Reads and the logger's transactions against one node."""

    def __init__(self, rpc_url: str, logger_key: str | None, *, timeout_s: float, receipt_timeout_s: float):
        self.w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s}))
        self._logger_key = logger_key
        self._receipt_timeout_s = receipt_timeout_s
        self._send_lock = threading.Lock()
        self._chain_id: int | None = None

    # ------------------------------------------------------------ plumbing

    def chain_id(self) -> int:
        if self._chain_id is None:
            try:
                self._chain_id = int(self.w3.eth.chain_id)
            except Exception as exc:  # connection refused, timeout, bad URL
                raise ChainUnavailable(f"the node does not answer: {type(exc).__name__}") from None
        return self._chain_id

    def logger_account(self):
        """The logger's account; on a local chain anvil's account 8 when no key is set."""
        key = self._logger_key
        if key is None:
            if self.chain_id() not in LOCAL_CHAIN_IDS:
                raise ChainUnavailable("LINLI_VAULT_LOGGER_KEY is not set: the vault cannot log accesses")
            key = local_service_key()
        try:
            return Account.from_key(key)
        except Exception:
            raise ChainUnavailable("LINLI_VAULT_LOGGER_KEY is not a valid private key") from None

    def _call(self, fn):
        try:
            return fn.call()
        except ContractLogicError as exc:
            raise ChainUnavailable(f"the contract refused a view: {_reason(exc)}") from None
        except Exception as exc:
            raise ChainUnavailable(f"the node does not answer: {type(exc).__name__}") from None

    def _consent(self, contracts: CommunityContracts):
        if contracts.consent is None:
            raise ChainUnavailable("this community's manifest has no DataConsent contract")
        return self.w3.eth.contract(address=contracts.consent, abi=_CONSENT_ABI)

    def _registry(self, contracts: CommunityContracts):
        return self.w3.eth.contract(address=contracts.registry, abi=_REGISTRY_ABI)

    # ------------------------------------------------------------ registry

    def is_member(self, contracts: CommunityContracts, wallet: str) -> bool:
        return bool(self._call(self._registry(contracts).functions.is_member(to_checksum_address(wallet))))

    def is_committee(self, contracts: CommunityContracts, wallet: str) -> bool:
        return self.has_role(contracts, wallet, COMMITTEE_ROLE)

    def has_role(self, contracts: CommunityContracts, wallet: str, role: bytes) -> bool:
        fn = self._registry(contracts).functions.hasRole(role, to_checksum_address(wallet))
        return bool(self._call(fn))

    def is_safe_owner(self, contracts: CommunityContracts, wallet: str) -> bool:
        """A member (owner) of the community's committee Safe now; False when the committee is no Safe."""
        if contracts.committee_safe is None:
            return False
        safe = self.w3.eth.contract(address=contracts.committee_safe, abi=_SAFE_ABI)
        return bool(self._call(safe.functions.isOwner(to_checksum_address(wallet))))

    def commitment_of(self, contracts: CommunityContracts, wallet: str) -> tuple[str, bytes] | None:
        """("owner" | "resident", commitment) registered for a wallet, or None."""
        registry = self._registry(contracts)
        wallet = to_checksum_address(wallet)
        is_owner, identity = self._call(registry.functions.identity_of(wallet))
        if is_owner:
            return "owner", bytes(self._call(registry.functions.identity_commitment(identity)))
        commitment = bytes(self._call(registry.functions.resident_commitment(wallet)))
        if commitment != ZERO32:
            return "resident", commitment
        return None

    # ------------------------------------------------------------ consent

    def grant_refusal(self, contracts: CommunityContracts, resident: str, grantee: str, scope: bytes) -> str | None:
        """None when the grant is live now; else why not, in words."""
        consent = self._consent(contracts)
        args = (to_checksum_address(resident), to_checksum_address(grantee), scope)
        version, expiry, _granted_at, revoked_at, _role, live = self._call(consent.functions.grant_of(*args))
        if live:
            return None
        if version == 0:
            return "no grant from this resident to you for this scope"
        if revoked_at:
            return "the resident revoked this grant"
        latest = self.w3.eth.get_block("latest")
        if latest["timestamp"] >= expiry:
            return "the grant has expired"
        return "you no longer hold the service role the grant was made to"

    def log_access(self, contracts: CommunityContracts, resident: str, grantee: str, scope: bytes,
                   purpose: bytes) -> AccessLog:
        """Send log_access from the logger and wait for its receipt; AccessRefused if the contract refuses."""
        consent = self._consent(contracts)
        account = self.logger_account()
        call = consent.functions.log_access(to_checksum_address(resident), to_checksum_address(grantee), scope, purpose)
        with self._send_lock:
            for attempt in range(3):
                try:
                    # Estimation runs the contract's own checks: a refusal comes back as a revert reason.
                    gas = call.estimate_gas({"from": account.address})
                    tx = call.build_transaction({
                        "from": account.address,
                        "nonce": self.w3.eth.get_transaction_count(account.address, "pending"),
                        "chainId": self.chain_id(),
                        "gas": gas + gas // 5,
                    })
                    signed = account.sign_transaction(tx)
                    tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
                    break
                except ContractLogicError as exc:
                    raise AccessRefused(_reason(exc)) from None
                except Web3RPCError as exc:
                    text = str(exc).lower()
                    if "nonce" in text and attempt < 2:
                        continue  # another worker used this nonce: take the next one
                    if "insufficient funds" in text:
                        raise ChainUnavailable("the vault's logger account has no ether for gas") from None
                    raise ChainUnavailable(f"the node refused the access log: {_reason(exc)}") from None
                except Exception as exc:
                    raise ChainUnavailable(f"the node does not answer: {type(exc).__name__}") from None
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self._receipt_timeout_s,
                                                               poll_latency=0.05)
        except TimeExhausted:
            raise ChainUnavailable(f"the access log {tx_hash.to_0x_hex()} was not mined in time; nothing was served") \
                from None
        except Exception as exc:
            raise ChainUnavailable(f"the node does not answer: {type(exc).__name__}") from None
        if receipt["status"] != 1:
            raise AccessRefused("the access log transaction reverted (the grant is no longer live)")
        events = consent.events.AccessLogged().process_receipt(receipt)
        wanted = (to_checksum_address(resident), to_checksum_address(grantee), scope)
        for event in events:
            args = event["args"]
            if (args["resident"], args["grantee"], bytes(args["scope"])) == wanted:
                return AccessLog(
                    tx_hash=receipt["transactionHash"].to_0x_hex(),
                    block_number=int(receipt["blockNumber"]),
                    version=int(args["version"]),
                    accessed_at=int(args["accessed_at"]),
                    purpose_hash=bytes(args["purpose_hash"]),
                )
        raise ChainUnavailable("the access log receipt carries no AccessLogged event; nothing was served")

    def is_logger(self, contracts: CommunityContracts) -> bool:
        return bool(self._call(self._consent(contracts).functions.is_logger(self.logger_account().address)))


def manifests_for(settings, project_root: Path) -> list[Path]:
    """Which manifests the vault serves (see the setting vault_manifests)."""
    if settings.vault_manifests:
        return list(settings.vault_manifests)
    if settings.manifest is not None:
        return [settings.manifest]
    if settings.environment == "development":
        return sorted((project_root / "deployments").glob("*.json"))
    return []

