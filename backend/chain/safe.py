"""The owners' committee (业委会) as a Safe 1.4.1 multisig: deploy, accept, propose, sign, execute.

The committee is a body, not a key: its role is held by a Safe whose members (owners)
and threshold the owners' assembly sets, so one member's key does nothing alone. The
Safe is Safe's own audited code, deployed from the artifacts npm installs with
`@safe-global/safe-contracts@1.4.1` (byte for byte the code at Safe's canonical
addresses), never a multisig of our own.

- `deploy_safe_infrastructure` puts SafeL2 (the singleton every committee Safe
  delegates to), SafeProxyFactory, CompatibilityFallbackHandler and MultiSendCallOnly on
  a chain once, and reuses them when their addresses are known (a manifest) or when
  Safe's canonical deployment is already there.
- `create_safe` makes a committee Safe for given members and threshold;
  `accept_safe` checks that an existing address (a private chain's committee) is a
  Safe 1.4.1 and refuses anything else.
- A `SafeTx` is the EIP-712 message Safe's own tools sign. It is plain data
  (`to_json`/`from_json`): a backend or a page stores it, each member signs it
  (eth_signTypedData_v4 on `typed_data()`, or `sign_safe_tx` here), and whoever holds
  enough signatures executes it. `SafeCommittee` wraps the whole flow.

Why SafeL2 rather than Safe: on a community chain the indexer and the pages learn
everything from logs. SafeL2 emits `SafeMultiSigTransaction` (the call, its signatures)
and `SafeModuleTransaction`; the plain Safe emits only `ExecutionSuccess(txHash)`, so who
signed what could be read only by tracing, which a private Besu chain rarely offers. It
costs a few thousand gas more per transaction on a chain where gas is free.

Failed inner calls: a SafeTx is made with safeTxGas = 0 and gasPrice = 0, so a call that
reverts inside the Safe reverts the whole execTransaction ("GS013") and consumes no
nonce: the members' signatures stay good and the same SafeTx can run once its cause is
fixed. GS013 names no reason, so `SafeCommittee.execute` first simulates the inner call
from the Safe's address and raises `SafeCallReverted` with the inner revert reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_utils import keccak, to_checksum_address

SAFE_VERSION = "1.4.1"
SAFE_PACKAGE = "@safe-global/safe-contracts"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "node_modules" / SAFE_PACKAGE / "build" / "artifacts" / "contracts"

# Artifact files (hardhat format: abi, bytecode, deployedBytecode) by contract name.
ARTIFACT_PATHS = {
    "Safe": "Safe.sol/Safe.json",
    "SafeL2": "SafeL2.sol/SafeL2.json",
    "SafeProxy": "proxies/SafeProxy.sol/SafeProxy.json",
    "SafeProxyFactory": "proxies/SafeProxyFactory.sol/SafeProxyFactory.json",
    "CompatibilityFallbackHandler": "handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json",
    "MultiSendCallOnly": "libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json",
}

# Where Safe deployed 1.4.1 on the chains it supports (safe-deployments). A chain that
# has the same code there (its code hash is checked) needs no deployment of its own.
CANONICAL_ADDRESSES = {
    "SafeL2": "0x29fcB43b46531BcA003ddC8FCB67FFE91900C762",
    "SafeProxyFactory": "0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67",
    "CompatibilityFallbackHandler": "0xfd0732Dc9E303f09fCEf3a7388Ad10A83459Ec99",
    "MultiSendCallOnly": "0x9641d764fc13c8B624c04430C7356C1C7C8102e2",
}
INFRASTRUCTURE = tuple(CANONICAL_ADDRESSES)

CALL, DELEGATECALL = 0, 1
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
SENTINEL_OWNERS = "0x0000000000000000000000000000000000000001"

DOMAIN_TYPE = [
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
SAFE_TX_TYPE = [
    {"name": "to", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "data", "type": "bytes"},
    {"name": "operation", "type": "uint8"},
    {"name": "safeTxGas", "type": "uint256"},
    {"name": "baseGas", "type": "uint256"},
    {"name": "gasPrice", "type": "uint256"},
    {"name": "gasToken", "type": "address"},
    {"name": "refundReceiver", "type": "address"},
    {"name": "nonce", "type": "uint256"},
]

# Safe's revert codes (safe-smart-account docs/error_codes.md), said in words.
SAFE_ERRORS = {
    "GS000": "could not finish initialization",
    "GS001": "threshold needs to be defined",
    "GS010": "not enough gas to execute the Safe transaction",
    "GS011": "could not pay gas costs with ether",
    "GS012": "could not pay gas costs with token",
    "GS013": "the Safe transaction's call failed",
    "GS020": "not enough signatures (signature data too short)",
    "GS021": "invalid contract signature location: inside static part",
    "GS022": "invalid contract signature location: length not present",
    "GS023": "invalid contract signature location: data not complete",
    "GS024": "invalid contract signature provided",
    "GS025": "hash has not been approved",
    "GS026": "a signature is not from an owner, or signatures are not sorted by owner",
    "GS027": "data hash does not match the transaction",
    "GS030": "only owners can approve a hash",
    "GS031": "method can only be called from the Safe itself",
    "GS100": "modules have already been initialized",
    "GS101": "invalid module address provided",
    "GS102": "module has already been added",
    "GS103": "invalid prevModule, module pair provided",
    "GS104": "method can only be called from an enabled module",
    "GS200": "owners have already been set up",
    "GS201": "threshold cannot exceed the number of owners",
    "GS202": "threshold needs to be greater than 0",
    "GS203": "invalid owner address provided",
    "GS204": "address is already an owner",
    "GS205": "invalid prevOwner, owner pair provided",
    "GS300": "guard does not implement IERC165",
    "GS400": "fallback handler cannot be set to the Safe itself",
}

ERROR_SELECTOR = keccak(text="Error(string)")[:4]
PANIC_SELECTOR = keccak(text="Panic(uint256)")[:4]


class SafeError(RuntimeError):
    """A Safe cannot be used as asked: missing artifacts, not a Safe, bad signatures."""


class SafeCallReverted(SafeError):
    """The call a SafeTx makes reverts; `reason` is the target's own revert reason and
    `index` the failing call's position in a batch (None for a single call)."""

    def __init__(self, reason: str, index: int | None = None):
        self.reason = reason
        self.index = index
        where = f"call #{index + 1} of the batch" if index is not None else "the committee's call"
        words = f" ({SAFE_ERRORS[reason]})" if reason in SAFE_ERRORS else ""  # a call to the Safe itself
        super().__init__(f"{where} reverts: {reason}{words}")


# --- artifacts ----------------------------------------------------------------------


@lru_cache(maxsize=None)
def load_artifact(name: str) -> dict[str, Any]:
    """The hardhat artifact (abi, bytecode, deployedBytecode) of a Safe contract."""
    if name not in ARTIFACT_PATHS:
        raise ValueError(f"unknown Safe contract {name!r}; one of {', '.join(ARTIFACT_PATHS)}")
    path = ARTIFACTS / ARTIFACT_PATHS[name]
    if not path.is_file():
        raise SafeError(
            f"Safe {SAFE_VERSION}'s artifacts are missing ({path} not found): "
            f"run `npm ci` (or `make install`) in {PROJECT_ROOT} to install {SAFE_PACKAGE}"
        )
    artifact = json.loads(path.read_text())
    version = json.loads((ARTIFACTS.parents[2] / "package.json").read_text())["version"]
    if version != SAFE_VERSION:
        raise SafeError(f"{SAFE_PACKAGE} {version} is installed, Linli needs {SAFE_VERSION}: run `npm ci`")
    return artifact


@lru_cache(maxsize=None)
def runtime_code_hash(name: str) -> bytes:
    """keccak256 of a Safe contract's deployed code (none of them has immutables)."""
    return keccak(hexstr=load_artifact(name)["deployedBytecode"])


@lru_cache(maxsize=None)
def contract_type(name: str) -> Any:
    """An ethpm_types ContractType of a Safe contract, so Ape deploys and calls it as
    any contract of the project."""
    from ethpm_types import ContractType

    artifact = load_artifact(name)
    return ContractType.model_validate(
        {
            "contractName": artifact["contractName"],
            "sourceId": f"{SAFE_PACKAGE}@{SAFE_VERSION}/{artifact['sourceName']}",
            "abi": artifact["abi"],
            "deploymentBytecode": {"bytecode": artifact["bytecode"]},
            "runtimeBytecode": {"bytecode": artifact["deployedBytecode"]},
        }
    )


def container(name: str) -> Any:
    """An Ape ContractContainer of a Safe contract (`.deploy(sender=…)`, `.at(address)`)."""
    from ape.contracts import ContractContainer

    return ContractContainer(contract_type(name))


def _at(name: str, address: str) -> Any:
    return container(name).at(to_checksum_address(address), fetch_from_explorer=False, detect_proxy=False)


def safe_at(address: Any) -> Any:
    """A committee Safe (SafeL2's interface) at `address`, without the checks of
    `accept_safe`. Not `container("SafeL2").at(...)`: Ape's proxy detection would take
    the proxy for whatever contract type it last saw at the singleton's address."""
    return _at("SafeL2", getattr(address, "address", address))


def _code(chain: Any, address: str) -> bytes:
    return bytes(chain.provider.get_code(to_checksum_address(address)))


# --- infrastructure -----------------------------------------------------------------


@dataclass
class SafeInfrastructure:
    """The Safe contracts a chain needs once, whatever number of Safes it has."""

    singleton: Any  # SafeL2: the code every committee Safe's proxy runs
    proxy_factory: Any
    fallback_handler: Any
    multi_send: Any  # MultiSendCallOnly: several calls in one SafeTx (DELEGATECALL)

    def addresses(self) -> dict[str, str]:
        """Addresses by contract name, for a deployment manifest."""
        return {
            "SafeL2": self.singleton.address,
            "SafeProxyFactory": self.proxy_factory.address,
            "CompatibilityFallbackHandler": self.fallback_handler.address,
            "MultiSendCallOnly": self.multi_send.address,
        }


def _verified(chain: Any, name: str, address: str) -> Any:
    code = _code(chain, address)
    if not code:
        raise SafeError(f"{name} expected at {address}, but nothing is deployed there")
    if keccak(code) != runtime_code_hash(name):
        raise SafeError(f"the contract at {address} is not Safe {SAFE_VERSION}'s {name} (its code differs)")
    return _at(name, address)


def safe_infrastructure_at(chain: Any, addresses: Mapping[str, str]) -> SafeInfrastructure:
    """The infrastructure at known addresses (a manifest's), each checked by code hash."""
    missing = [name for name in INFRASTRUCTURE if name not in addresses]
    if missing:
        raise SafeError(f"Safe infrastructure addresses missing: {', '.join(missing)}")
    found = [_verified(chain, name, addresses[name]) for name in INFRASTRUCTURE]
    return SafeInfrastructure(*found)


def deploy_safe_infrastructure(
    chain: Any, deployer: Any, known: Mapping[str, str] | None = None
) -> SafeInfrastructure:
    """Safe's infrastructure on this chain, deployed only where it is not there yet.

    Each contract is taken from `known` (e.g. the manifest of an earlier deployment;
    its code must be Safe's, else this refuses), else from Safe's canonical address if
    that address holds the same code, else deployed by `deployer` from the artifact.
    """
    known = dict(known or {})
    found = []
    for name in INFRASTRUCTURE:
        if name in known:
            found.append(_verified(chain, name, known[name]))
        elif keccak(_code(chain, CANONICAL_ADDRESSES[name])) == runtime_code_hash(name):
            found.append(_at(name, CANONICAL_ADDRESSES[name]))
        else:
            found.append(deployer.deploy(container(name)))
    return SafeInfrastructure(*found)


# --- one Safe -----------------------------------------------------------------------


def check_members(owners: Sequence[Any], threshold: int) -> list[str]:
    """The members' checksummed addresses, after checking a Safe can have them (SafeError)."""
    addresses = [to_checksum_address(getattr(owner, "address", owner)) for owner in owners]
    if not addresses:
        raise SafeError("a Safe needs at least one member")
    if len(set(addresses)) != len(addresses):
        raise SafeError("a member is listed twice")
    for address in addresses:
        if address in (ZERO_ADDRESS, SENTINEL_OWNERS):
            raise SafeError(f"{address} cannot be a member")
    if not 1 <= threshold <= len(addresses):
        raise SafeError(f"threshold {threshold} must be between 1 and the number of members ({len(addresses)})")
    return addresses


def create_safe(
    infrastructure: SafeInfrastructure,
    owners: Sequence[Any],
    threshold: int,
    *,
    sender: Any,
    salt_nonce: int | None = None,
    setup_to: Any = None,
    setup_data: bytes = b"",
) -> Any:
    """A new Safe (SafeL2 behind a SafeProxy) with these members and threshold, set up
    in the same transaction that creates it (createProxyWithNonce), with Safe's
    CompatibilityFallbackHandler. Returns the Safe as an Ape contract.

    `salt_nonce` makes the address unique (CREATE2); by default the sender's nonce.
    `setup_to`/`setup_data`: a contract the Safe delegate-calls during setup (Safe's
    own hook; the committee's enables the assembly's module and the guard).
    """
    members = check_members(owners, threshold)
    setup_address = getattr(setup_to, "address", setup_to) or ZERO_ADDRESS
    setup = abi_encode(
        ["address[]", "uint256", "address", "bytes", "address", "address", "uint256", "address"],
        [members, threshold, setup_address, bytes(setup_data), infrastructure.fallback_handler.address, ZERO_ADDRESS, 0,
         ZERO_ADDRESS],
    )
    initializer = keccak(text="setup(address[],uint256,address,bytes,address,address,uint256,address)")[:4] + setup
    salt = sender.nonce if salt_nonce is None else salt_nonce
    receipt = infrastructure.proxy_factory.createProxyWithNonce(
        infrastructure.singleton.address, initializer, salt, sender=sender
    )
    [created] = receipt.decode_logs(infrastructure.proxy_factory.ProxyCreation)
    return _at("SafeL2", created.proxy)


def accept_safe(chain: Any, address: Any) -> Any:
    """An existing Safe named by address (a private chain's committee), after checking it
    is a Safe 1.4.1: a SafeProxy whose singleton is Safe or SafeL2 1.4.1's code, answering
    VERSION() "1.4.1", with owners and a threshold between 1 and their number.
    Anything else (an account without code, another contract, another Safe version) is
    refused with SafeError saying what it is."""
    address = to_checksum_address(getattr(address, "address", address))
    code = _code(chain, address)
    if not code:
        raise SafeError(f"{address} has no code (an ordinary account, or nothing): the committee must be a Safe")
    if keccak(code) != runtime_code_hash("SafeProxy"):
        raise SafeError(f"{address} is a contract but not a Safe {SAFE_VERSION} proxy (its code is not SafeProxy's)")
    singleton = to_checksum_address(bytes(chain.provider.get_storage(address, 0))[-20:])
    if keccak(_code(chain, singleton)) not in (runtime_code_hash("SafeL2"), runtime_code_hash("Safe")):
        raise SafeError(f"the Safe at {address} runs {singleton}, which is not Safe {SAFE_VERSION}'s code")
    safe = _at("SafeL2", address)
    version = safe.VERSION()
    if version != SAFE_VERSION:
        raise SafeError(f"the Safe at {address} says it is version {version!r}; Linli needs {SAFE_VERSION}")
    owners, threshold = safe.getOwners(), safe.getThreshold()
    if not owners or not 1 <= threshold <= len(owners):
        raise SafeError(f"the Safe at {address} is not set up (owners {len(owners)}, threshold {threshold})")
    return safe


# --- SafeTx -------------------------------------------------------------------------


def _hex(data: bytes) -> str:
    return "0x" + bytes(data).hex()


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return bytes(value)


@dataclass(frozen=True)
class SafeTx:
    """One transaction of a Safe, as its members sign it (EIP-712 `SafeTx`).

    Plain data: `to_json()` gives the fields Safe's transaction service uses
    (camelCase) plus the safe, the chain and the hash, so a page can store a proposal and
    its members can sign it over days. safeTxGas and gasPrice stay 0: a failing call then
    reverts the execution instead of consuming the nonce (see the module's notes)."""

    safe: str
    chain_id: int
    to: str
    data: bytes
    nonce: int
    value: int = 0
    operation: int = CALL
    safe_tx_gas: int = 0
    base_gas: int = 0
    gas_price: int = 0
    gas_token: str = ZERO_ADDRESS
    refund_receiver: str = ZERO_ADDRESS
    note: str = field(default="", compare=False)  # what the committee is doing, for people

    def message(self) -> dict[str, Any]:
        """The SafeTx message of `typed_data`: uints as decimal strings (safe in
        JavaScript), bytes as 0x-hex, as Safe's own tools send them to a wallet."""
        return {
            "to": to_checksum_address(self.to),
            "value": str(self.value),
            "data": _hex(self.data),
            "operation": self.operation,
            "safeTxGas": str(self.safe_tx_gas),
            "baseGas": str(self.base_gas),
            "gasPrice": str(self.gas_price),
            "gasToken": to_checksum_address(self.gas_token),
            "refundReceiver": to_checksum_address(self.refund_receiver),
            "nonce": str(self.nonce),
        }

    def typed_data(self) -> dict[str, Any]:
        """The EIP-712 typed data a member's wallet signs (eth_signTypedData_v4)."""
        return {
            "types": {"EIP712Domain": DOMAIN_TYPE, "SafeTx": SAFE_TX_TYPE},
            "primaryType": "SafeTx",
            "domain": {"chainId": self.chain_id, "verifyingContract": to_checksum_address(self.safe)},
            "message": self.message(),
        }

    def signable(self) -> Any:
        """The eth_account SignableMessage of `typed_data`."""
        return encode_typed_data(full_message=self.typed_data())

    @property
    def hash(self) -> bytes:
        """The safeTxHash: what the members sign and Safe's getTransactionHash returns."""
        signable = self.signable()
        return keccak(b"\x19" + signable.version + signable.header + signable.body)

    def to_json(self) -> dict[str, Any]:
        return {
            "safe": to_checksum_address(self.safe),
            "chainId": self.chain_id,
            **self.message(),
            "safeTxHash": _hex(self.hash),
            "note": self.note,
        }

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> SafeTx:
        """A SafeTx read back from `to_json`'s form; refuses one whose stored hash does
        not match its fields (a proposal altered after it was written)."""
        tx = cls(
            safe=to_checksum_address(stored["safe"]),
            chain_id=int(stored["chainId"]),
            to=to_checksum_address(stored["to"]),
            value=int(stored["value"]),
            data=_bytes(stored["data"]),
            operation=int(stored["operation"]),
            safe_tx_gas=int(stored["safeTxGas"]),
            base_gas=int(stored["baseGas"]),
            gas_price=int(stored["gasPrice"]),
            gas_token=to_checksum_address(stored["gasToken"]),
            refund_receiver=to_checksum_address(stored["refundReceiver"]),
            nonce=int(stored["nonce"]),
            note=stored.get("note", ""),
        )
        if "safeTxHash" in stored and _bytes(stored["safeTxHash"]) != tx.hash:
            raise SafeError("the stored safeTxHash does not match the transaction's fields")
        return tx


def _split(signature: bytes) -> tuple[int, int, int]:
    if len(signature) != 65:
        raise SafeError(f"a signature is 65 bytes (r, s, v), not {len(signature)}")
    return int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]


def sign_safe_tx(tx: SafeTx, account: Any) -> bytes:
    """A member's EIP-712 signature of `tx` (r ‖ s ‖ v, v 27 or 28), as a wallet's
    eth_signTypedData_v4 gives it. `account`: an eth_account LocalAccount or an Ape
    account (test account, keyfile account)."""
    signed = account.sign_message(tx.signable())
    if signed is None:
        raise SafeError(f"{getattr(account, 'address', account)} declined to sign")
    if hasattr(signed, "signature"):  # eth_account SignedMessage
        return bytes(signed.signature)
    return bytes(signed.r).rjust(32, b"\0") + bytes(signed.s).rjust(32, b"\0") + bytes([signed.v])


def recover_signer(tx: SafeTx, signature: bytes) -> str:
    """The address a signature of `tx` speaks for, as Safe reads it: v 27/28 an EIP-712
    signature, v 31/32 eth_sign of the hash, v 1 an approval (the owner is in r: on
    chain, approveHash or the executor itself). Contract signatures (v 0) are not
    supported here."""
    signature = _bytes(signature)
    r, s, v = _split(signature)
    if v == 1:
        return to_checksum_address(signature[12:32])
    if v in (27, 28):
        return Account.recover_message(tx.signable(), vrs=(v, r, s))
    if v in (31, 32):
        return Account.recover_message(encode_defunct(primitive=tx.hash), vrs=(v - 4, r, s))
    raise SafeError(f"unsupported signature type (v = {v}): sign the SafeTx's EIP-712 typed data")


def approval_signature(owner: Any) -> bytes:
    """The signature slot of an owner whose approval Safe checks on chain: the executor
    itself, or an owner who called approveHash(safeTxHash). r = owner, s = 0, v = 1."""
    address = _bytes(to_checksum_address(getattr(owner, "address", owner)))
    return address.rjust(32, b"\0") + b"\0" * 32 + b"\x01"


def pack_signatures(signatures: Mapping[str, bytes]) -> bytes:
    """Signatures by owner, concatenated in ascending owner address as Safe requires."""
    ordered = sorted(signatures.items(), key=lambda item: int(item[0], 16))
    return b"".join(_bytes(signature) for _, signature in ordered)


# --- batches (MultiSendCallOnly) ----------------------------------------------------


def encode_multisend(calls: Iterable[tuple[str, int, bytes]]) -> bytes:
    """MultiSendCallOnly's `transactions`: each call packed as operation (0 = CALL),
    to, value, data length, data."""
    packed = b""
    for to, value, data in calls:
        data = _bytes(data)
        packed += b"\x00" + _bytes(to_checksum_address(to)) + value.to_bytes(32, "big") + len(data).to_bytes(32, "big") + data
    return keccak(text="multiSend(bytes)")[:4] + abi_encode(["bytes"], [packed])


def decode_multisend(data: bytes) -> list[tuple[str, int, bytes]]:
    """The calls of a MultiSendCallOnly batch (what a member reads before signing)."""
    data = _bytes(data)
    if data[:4] != keccak(text="multiSend(bytes)")[:4]:
        raise SafeError("not a multiSend(bytes) call")
    (packed,) = abi_decode(["bytes"], data[4:])
    calls, at = [], 0
    while at < len(packed):
        if packed[at] != CALL or at + 85 > len(packed):
            raise SafeError("malformed batch: MultiSendCallOnly runs CALLs only")
        to = to_checksum_address(packed[at + 1 : at + 21])
        value = int.from_bytes(packed[at + 21 : at + 53], "big")
        length = int.from_bytes(packed[at + 53 : at + 85], "big")
        calls.append((to, value, bytes(packed[at + 85 : at + 85 + length])))
        at += 85 + length
    return calls


# --- reasons ------------------------------------------------------------------------


def revert_reason(data: bytes) -> str:
    """A revert's reason in words: Error(string), Panic(uint256) or the raw data."""
    data = _bytes(data)
    if data[:4] == ERROR_SELECTOR:
        try:
            return abi_decode(["string"], data[4:])[0]
        except Exception:  # malformed: show the bytes
            pass
    if data[:4] == PANIC_SELECTOR and len(data) == 36:
        return f"panic 0x{int.from_bytes(data[4:], 'big'):02x}"
    return _hex(data) if data else "no reason given"


def explain_safe_error(message: str) -> str | None:
    """Safe's GSnnn code in a revert message, said in words; None if there is none."""
    for code, words in SAFE_ERRORS.items():
        if code in message:
            return f"{code}: {words}"
    return None


def _raw_call(chain: Any, sender: str, to: str, data: bytes, value: int = 0) -> tuple[bool, bytes]:
    """eth_call, keeping the revert data Ape's own call would turn into a message."""
    params = {"from": sender, "to": to, "data": _hex(data), "value": hex(value)}
    reply = chain.provider.web3.provider.make_request("eth_call", [params, "latest"])
    if "error" in reply:
        error = reply["error"]
        raw = error.get("data") if isinstance(error, dict) else None
        if isinstance(raw, dict):  # some nodes nest it
            raw = raw.get("data")
        if isinstance(raw, str) and raw.startswith("0x"):
            return False, _bytes(raw)
        message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
        return False, ERROR_SELECTOR + abi_encode(["string"], [message])
    return True, _bytes(reply["result"])


# --- the committee ------------------------------------------------------------------


class SafeCommittee:
    """The committee's Safe, with the whole flow a script or a page follows:

        committee = SafeCommittee(safe, chain, infrastructure)
        tx = committee.propose(registry.address, calldata)   # or .propose_call(registry.grantRole, …)
        signatures = {member.address: committee.sign(tx, member) for member in signers}
        receipt = committee.execute(tx, signatures, sender=last_member)

    or at once in tests and scripts: `committee.call(registry.grantRole, role, account,
    signers=[a, b])`. Signatures may come from wallets days apart; `check_signature`
    tells whose a signature is before a backend stores it.
    """

    def __init__(self, safe: Any, chain: Any, infrastructure: SafeInfrastructure | None = None):
        self.safe = safe
        self.chain = chain
        self.infrastructure = infrastructure

    @classmethod
    def at(cls, chain: Any, address: Any, infrastructure: SafeInfrastructure | None = None) -> SafeCommittee:
        """The committee of an existing Safe, after `accept_safe`'s checks."""
        return cls(accept_safe(chain, address), chain, infrastructure)

    @property
    def address(self) -> str:
        return self.safe.address

    def owners(self) -> list[str]:
        return [to_checksum_address(owner) for owner in self.safe.getOwners()]

    def threshold(self) -> int:
        return int(self.safe.getThreshold())

    def nonce(self) -> int:
        # `.nonce` on an Ape contract is its account nonce; Safe's nonce() is the view.
        return int(self.safe.call_view_method("nonce"))

    # proposing

    def propose(
        self, to: Any, data: bytes, value: int = 0, *, nonce: int | None = None, note: str = "", operation: int = CALL
    ) -> SafeTx:
        """A SafeTx calling `to` with `data` at the Safe's next nonce (or `nonce`, to queue
        one behind another still being signed)."""
        if operation == DELEGATECALL:
            self._check_delegate_target(getattr(to, "address", to))
        return SafeTx(
            safe=self.address,
            chain_id=self.chain.chain_id,
            to=to_checksum_address(getattr(to, "address", to)),
            data=_bytes(data),
            value=value,
            operation=operation,
            nonce=self.nonce() if nonce is None else nonce,
            note=note,
        )

    def propose_call(self, method: Any, *args: Any, value: int = 0, nonce: int | None = None, note: str = "") -> SafeTx:
        """A SafeTx for an Ape contract method and its arguments, e.g.
        `propose_call(registry.grantRole, role, account)`."""
        return self.propose(method.contract.address, method.encode_input(*args), value, nonce=nonce, note=note)

    def propose_batch(self, calls: Sequence[Any], *, nonce: int | None = None, note: str = "") -> SafeTx:
        """One SafeTx running several calls in order, all or none (MultiSendCallOnly,
        by DELEGATECALL). Each call: (method, args) or (method, args, value) with an Ape
        method, or (address, calldata, value)."""
        if self.infrastructure is None:
            raise SafeError("batches need the Safe infrastructure (MultiSendCallOnly): pass it to SafeCommittee")
        raw = []
        for call in calls:
            target, payload, *rest = call
            value = rest[0] if rest else 0
            if hasattr(target, "encode_input"):
                raw.append((target.contract.address, value, target.encode_input(*payload)))
            else:
                raw.append((to_checksum_address(getattr(target, "address", target)), value, _bytes(payload)))
        if not raw:
            raise SafeError("an empty batch")
        return self.propose(
            self.infrastructure.multi_send.address,
            encode_multisend(raw),
            nonce=nonce,
            note=note,
            operation=DELEGATECALL,
        )

    # the committee's own membership (Safe allows these only as the Safe's own call)

    def propose_add_member(self, member: Any, threshold: int | None = None, *, note: str = "") -> SafeTx:
        """A SafeTx adding a member, keeping the threshold unless another is given."""
        member = to_checksum_address(getattr(member, "address", member))
        threshold = self.threshold() if threshold is None else threshold
        return self.propose_call(self.safe.addOwnerWithThreshold, member, threshold, note=note)

    def propose_remove_member(self, member: Any, threshold: int | None = None, *, note: str = "") -> SafeTx:
        """A SafeTx removing a member (Safe needs the member before it in its list); the
        threshold stays unless another is given or it would exceed the members left."""
        member = to_checksum_address(getattr(member, "address", member))
        owners = self.owners()
        if member not in owners:
            raise SafeError(f"{member} is not a member of the committee's Safe")
        previous = SENTINEL_OWNERS if owners.index(member) == 0 else owners[owners.index(member) - 1]
        threshold = min(self.threshold(), len(owners) - 1) if threshold is None else threshold
        return self.propose_call(self.safe.removeOwner, previous, member, threshold, note=note)

    def propose_threshold(self, threshold: int, *, note: str = "") -> SafeTx:
        """A SafeTx changing how many members must sign."""
        return self.propose_call(self.safe.changeThreshold, threshold, note=note)

    def propose_enable_module(self, module: Any, *, note: str = "") -> SafeTx:
        """A SafeTx letting `module` (e.g. the assembly's timelock) act as the Safe with
        execTransactionFromModule, so it can set the members without their signatures."""
        return self.propose_call(self.safe.enableModule, to_checksum_address(getattr(module, "address", module)), note=note)

    def _check_delegate_target(self, to: str) -> None:
        # A DELEGATECALL runs foreign code as the Safe itself (it could rewrite the
        # members): only the known MultiSendCallOnly is signed or sent.
        multi_send = self.infrastructure.multi_send.address if self.infrastructure else None
        if to_checksum_address(to) != multi_send:
            raise SafeError(f"refusing a DELEGATECALL to {to}: only MultiSendCallOnly ({multi_send}) is allowed")

    def check_tx(self, tx: SafeTx) -> None:
        """Refuse a SafeTx that is not for this Safe on this chain, is stale, or would
        delegate to anything but MultiSendCallOnly."""
        if to_checksum_address(tx.safe) != self.address or tx.chain_id != self.chain.chain_id:
            raise SafeError(f"this SafeTx is for the Safe {tx.safe} on chain {tx.chain_id}")
        if tx.nonce < self.nonce():
            raise SafeError(f"this SafeTx's nonce {tx.nonce} is used (the Safe is at {self.nonce()}): it ran or was replaced")
        if tx.operation == DELEGATECALL:
            self._check_delegate_target(tx.to)
        elif tx.operation != CALL:
            raise SafeError(f"unknown operation {tx.operation}")

    # signing

    def sign(self, tx: SafeTx, account: Any) -> bytes:
        """`account`'s signature of `tx`, after checking the SafeTx and that the account is
        a member."""
        self.check_tx(tx)
        address = to_checksum_address(account.address)
        if address not in self.owners():
            raise SafeError(f"{address} is not a member of the committee's Safe")
        return sign_safe_tx(tx, account)

    def check_signature(self, tx: SafeTx, signature: bytes) -> str:
        """The member who signed `tx` with `signature`; refuses a non-member's."""
        signer = recover_signer(tx, signature)
        if signer not in self.owners():
            raise SafeError(f"the signature is by {signer}, who is not a member of the committee's Safe")
        return signer

    def approve(self, tx: SafeTx, member: Any) -> Any:
        """A member's approval recorded on chain (approveHash) instead of a signature."""
        self.check_tx(tx)
        return self.safe.approveHash(tx.hash, sender=member)

    def approvals(self, tx: SafeTx) -> list[str]:
        """The members who approved `tx` on chain."""
        return [owner for owner in self.owners() if self.safe.approvedHashes(owner, tx.hash)]

    # executing

    def collect(self, tx: SafeTx, signatures: Mapping[str, bytes] | Iterable[bytes], sender: Any = None) -> bytes:
        """The packed signatures for execTransaction: every given signature checked, the
        on-chain approvals and the sender (if a member) added, at least the threshold."""
        given = signatures.items() if isinstance(signatures, Mapping) else ((None, s) for s in signatures)
        by_owner: dict[str, bytes] = {}
        for claimed, signature in given:
            signer = self.check_signature(tx, _bytes(signature))
            if claimed is not None and to_checksum_address(claimed) != signer:
                raise SafeError(f"the signature filed under {claimed} is by {signer}")
            by_owner[signer] = _bytes(signature)
        for owner in self.approvals(tx):
            by_owner.setdefault(owner, approval_signature(owner))
        threshold = self.threshold()
        sender_address = to_checksum_address(sender.address) if sender is not None else None
        if len(by_owner) < threshold and sender_address in self.owners():
            by_owner.setdefault(sender_address, approval_signature(sender_address))
        if len(by_owner) < threshold:
            raise SafeError(f"{len(by_owner)} of the {threshold} members' signatures needed")
        return pack_signatures(by_owner)

    def simulate(self, tx: SafeTx) -> None:
        """Run the SafeTx's call(s) from the Safe's address without sending anything;
        raises SafeCallReverted with the target's reason if it would revert."""
        if tx.operation == CALL:
            ok, result = _raw_call(self.chain, self.address, tx.to, tx.data, tx.value)
            if not ok:
                raise SafeCallReverted(revert_reason(result))
            return
        calls = decode_multisend(tx.data)
        if self._simulate_delegate(tx.to, tx.data):
            return
        # MultiSendCallOnly drops the failing call's reason: find the call by running
        # longer and longer prefixes, then ask that call alone for its reason.
        for index in range(len(calls)):
            if not self._simulate_delegate(tx.to, encode_multisend(calls[: index + 1])):
                to, value, data = calls[index]
                ok, result = _raw_call(self.chain, self.address, to, data, value)
                reason = "fails after the batch's earlier calls (alone it succeeds)" if ok else revert_reason(result)
                raise SafeCallReverted(reason, index)
        raise SafeCallReverted("the batch fails, though each prefix succeeds")

    def _simulate_delegate(self, target: str, data: bytes) -> bool:
        # Safe's simulateAndRevert delegatecalls as the Safe and reverts with
        # (success, returndata length, returndata): nothing is kept.
        payload = keccak(text="simulateAndRevert(address,bytes)")[:4] + abi_encode(["address", "bytes"], [target, data])
        _, result = _raw_call(self.chain, self.address, self.address, payload)
        return len(result) >= 32 and int.from_bytes(result[:32], "big") == 1

    def execute(self, tx: SafeTx, signatures: Mapping[str, bytes] | Iterable[bytes], sender: Any) -> Any:
        """Execute `tx` with the members' signatures (and on-chain approvals, and the
        sender's own if it is a member). Refuses before sending when the SafeTx is stale
        or foreign, a signature is not a member's, the signatures are too few, or the call
        would revert (SafeCallReverted, with the target's reason)."""
        self.check_tx(tx)
        if tx.nonce != self.nonce():
            raise SafeError(f"this SafeTx waits for nonce {tx.nonce}; the Safe is at {self.nonce()}")
        packed = self.collect(tx, signatures, sender)
        self.simulate(tx)
        return exec_transaction(self.safe, tx, packed, sender)

    def call(self, method: Any, *args: Any, signers: Sequence[Any], sender: Any = None, value: int = 0) -> Any:
        """Propose, sign by each of `signers` and execute a call in one go (tests, scripts).
        The sender defaults to the last signer."""
        tx = self.propose_call(method, *args, value=value)
        return self.execute(tx, {s.address: self.sign(tx, s) for s in signers}, sender or signers[-1])

    def batch(self, calls: Sequence[Any], *, signers: Sequence[Any], sender: Any = None) -> Any:
        """`propose_batch`, signed by each of `signers` and executed."""
        tx = self.propose_batch(calls)
        return self.execute(tx, {s.address: self.sign(tx, s) for s in signers}, sender or signers[-1])


def module_call_data(to: Any, data: bytes, value: int = 0) -> bytes:
    """Calldata of `execTransactionFromModule(to, value, data, CALL)`: what a module of the
    Safe (the assembly's timelock) sends to the Safe to act as it, e.g. to change the
    members with `to` = the Safe and `data` = addOwnerWithThreshold(...)."""
    target = to_checksum_address(getattr(to, "address", to))
    return keccak(text="execTransactionFromModule(address,uint256,bytes,uint8)")[:4] + abi_encode(
        ["address", "uint256", "bytes", "uint8"], [target, value, _bytes(data), CALL]
    )


def exec_transaction(safe: Any, tx: SafeTx, signatures: bytes, sender: Any) -> Any:
    """execTransaction as is, with no check of ours (Safe's own checks still apply, and
    its GSnnn reverts are explained in the raised error)."""
    from ape.exceptions import ContractLogicError

    try:
        return safe.execTransaction(
            tx.to,
            tx.value,
            tx.data,
            tx.operation,
            tx.safe_tx_gas,
            tx.base_gas,
            tx.gas_price,
            tx.gas_token,
            tx.refund_receiver,
            signatures,
            sender=sender,
        )
    except ContractLogicError as refusal:
        words = explain_safe_error(str(refusal))
        if words is None:
            raise
        raise SafeError(f"the Safe refused: {words}") from refusal
