"""An in-process EVM with Ape's surface, so that the same fixtures, deploy helpers
(backend/chain/deploy_*.py) and state machines run without a node.

Through Ape on anvil a transaction costs 100-200 ms of RPC and receipt handling; here it
is a call into revm (the Rust EVM anvil itself is built on, through pyrevm) of well under
a millisecond, which is what lets the hypothesis state machines run deep. What a test
sees is kept as on anvil (tests/stateful/test_in_process_parity.py runs one scenario on
both and compares the records):

- the same bytecode: contracts come from Ape's compiled artifacts (`ape compile`, the
  project's vyper settings), not from a second compilation; Cancun rules, as anvil's;
- the same test accounts (ape-config.yaml's mnemonic), each with 10,000 ether, and
  chain id 31337;
- automine: every transaction, reverted or not, is a block of its own, stamped with the
  node's clock; `chain.pending_timestamp = t` sets that clock (evm_setNextBlockTimestamp:
  never before the head; blocks after it carry t too until it moves again, as on anvil
  within one second). Anvil's clock also follows the wall clock; this one stands still
  between explicit moves, so a run is reproducible (hypothesis replays and shrinks it)
  and sees what a fast test sees on anvil;
- calls run against the latest block (its number and timestamp), as eth_call does;
- a revert raises Ape's own ContractLogicError with the decoded reason, so `ape.reverts`
  works unchanged; logs are decoded by Ape's own decoder (`tx.decode_logs`, `tx.events`);
  return values have Ape's shapes (a struct reads by attribute and equals a tuple,
  addresses are checksummed strings, bytes are HexBytes);
- snapshots undo state, balances, blocks and the clock, as evm_snapshot/evm_revert do.

Not here: gas figures (transactions are run as message calls, without the intrinsic
cost or refunds of a node's; measure gas on anvil), traces, transaction hashes, and
anything that talks JSON-RPC (the indexer, the API, the pages): those stay on anvil.
Deployment addresses follow the deployer's deployments, not all its transactions.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import cached_property

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_abi.grammar import parse as parse_type
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from pyrevm import EVM, BlockEnv, CfgEnv, Env

CHAIN_ID = 31337  # anvil's
SPEC = "CANCUN"  # the contracts' evm_version (ape-config.yaml)
BALANCE = 10_000 * 10**18  # what anvil gives each test account
GAS = 30_000_000  # per transaction or call: a block's worth
ERROR_SELECTOR = keccak(text="Error(string)")[:4]
REVERT_OUTPUT = re.compile(r"Revert \{ gas_used: \d+, output: 0x([0-9a-fA-F]*) \}")
# Holds the ether that set_balance moves, so that balances change through the journal
# (and a snapshot's restore undoes them) rather than beside it.
FAUCET = "0x000000000000000000000000000000000000fa00"

Account.enable_unaudited_hdwallet_features()


# ----------------------------------------------------------------------------- values


class Struct(tuple):
    """A struct a call returns: reads by attribute or by name, equals the plain tuple
    (as Ape's struct outputs do)."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __getattr__(self, name):
        try:
            return self[self._fields.index(name)]
        except ValueError:
            raise AttributeError(name) from None

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._fields.index(key))
        return tuple.__getitem__(self, key)

    def items(self):
        return list(zip(self._fields, self, strict=True))

    def __repr__(self):
        return "(" + ", ".join(f"{k}={v!r}" for k, v in self.items()) + ")"


class _Codec:
    """Converts Python values to and from one ABI type as Ape does for a contract call:
    accounts and contracts become their address, hex strings bytes; on the way back
    addresses are checksummed strings, bytes HexBytes and named tuples Structs.

    Fixed-size types (most arguments and returns) are read and written word by word:
    eth_abi's general codec cost more than the EVM call itself. Everything else, and any
    value the fast path does not take, goes through eth_abi (and its errors)."""

    def __init__(self, abi_type):  # an ethpm_types ABIType
        self.canonical = abi_type.canonical_type
        self.parsed = parse_type(self.canonical)
        components = getattr(abi_type, "components", None) or []
        self.components = [_Codec(c) for c in components]
        names = tuple(c.name for c in components)
        self.struct = type("Struct", (Struct,), {"_fields": names, "__slots__": ()}) if components and all(names) else None
        parsed = self.parsed
        if parsed.is_dynamic or parsed.is_array:
            self.words = None
        elif self.components:
            words = [c.words for c in self.components]
            self.words = None if None in words else sum(words)
        else:
            self.words = 1 if parsed.base in ("uint", "int", "bool", "address", "bytes") else None

    def encode_value(self, value):
        return _to_abi(value, self.parsed, self.components)

    def decode_value(self, value):
        return _from_abi(value, self.parsed, self.components, self.struct)

    def write(self, value) -> bytes:
        """The head words of a fixed-size value; raises on anything unusual (the caller
        then lets eth_abi encode, or refuse, it)."""
        if self.components:
            return b"".join(c.write(v) for c, v in zip(self.components, value, strict=True))
        base, sub = self.parsed.base, self.parsed.sub
        if base == "address":
            value = getattr(value, "address", value)
            if len(value) != 42:
                raise ValueError(value)
            return bytes(12) + bytes.fromhex(value[2:])
        if base == "uint" and type(value) is int and 0 <= value < 1 << sub:
            return value.to_bytes(32, "big")
        if base == "bool" and type(value) is bool:
            return bytes(31) + (b"\x01" if value else b"\x00")
        if base == "bytes" and isinstance(value, bytes) and len(value) <= sub:
            return bytes(value).ljust(32, b"\x00")
        if base == "int" and type(value) is int and -(1 << (sub - 1)) <= value < 1 << (sub - 1):
            return value.to_bytes(32, "big", signed=True)
        raise ValueError(value)

    def read(self, output: bytes, offset: int):
        """A fixed-size value from its head words at `offset`, in Ape's shapes."""
        if self.components:
            values = []
            for c in self.components:
                values.append(c.read(output, offset))
                offset += 32 * c.words
            return self.struct(values) if self.struct else tuple(values)
        word = output[offset : offset + 32]
        base = self.parsed.base
        if base == "uint":
            return int.from_bytes(word, "big")
        if base == "address":
            return _checksummed(word[12:])
        if base == "bool":
            return word[31] == 1
        if base == "bytes":
            return HexBytes(word[: self.parsed.sub])
        return int.from_bytes(word, "big", signed=True)


_CHECKSUMMED: dict[bytes, str] = {}


def _checksummed(raw: bytes) -> str:
    if (address := _CHECKSUMMED.get(raw)) is None:
        address = _CHECKSUMMED[raw] = to_checksum_address(raw)
    return address


def _to_abi(value, parsed, components):
    if parsed.is_array:
        return [_to_abi(v, parsed.item_type, components) for v in value]
    if hasattr(parsed, "components"):
        return tuple(_to_abi(v, c.parsed, c.components) for v, c in zip(value, components, strict=True))
    if parsed.base == "address":
        return getattr(value, "address", value)
    if parsed.base == "bytes" and isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return value


def _from_abi(value, parsed, components, struct):
    if parsed.is_array:
        return [_from_abi(v, parsed.item_type, components, struct) for v in value]
    if hasattr(parsed, "components"):
        items = tuple(_from_abi(v, c.parsed, c.components, c.struct) for v, c in zip(value, components, strict=True))
        return struct(items) if struct else items
    if parsed.base == "address":
        return _checksummed(bytes.fromhex(value[2:]))
    if parsed.base == "bytes":
        return HexBytes(value)
    return value


def _encode(codecs, args) -> bytes:
    if all(c.words for c in codecs):
        try:
            return b"".join(c.write(a) for c, a in zip(codecs, args, strict=True))
        except (ValueError, TypeError, AttributeError):
            pass  # eth_abi encodes it, or says why not
    return abi_encode([c.canonical for c in codecs], [c.encode_value(a) for c, a in zip(codecs, args, strict=True)])


def _decode(codecs, output: bytes):
    """One output as itself, several as a tuple, none as None (Ape's shapes)."""
    if not codecs:
        return None
    if all(c.words for c in codecs) and len(output) >= 32 * sum(c.words for c in codecs):
        values, offset = [], 0
        for c in codecs:
            values.append(c.read(output, offset))
            offset += 32 * c.words
    else:
        raw = abi_decode([c.canonical for c in codecs], output, strict=False)
        values = [c.decode_value(v) for c, v in zip(codecs, raw, strict=True)]
    return values[0] if len(values) == 1 else tuple(values)


def _vm_error(error: RuntimeError, address: str | None):
    """Ape's exception for what the EVM refused: ContractLogicError for a revert (with its
    Error(string) reason, or none), VirtualMachineError for a halt (out of gas, invalid
    opcode); anything else (a malformed call) is raised as it is."""
    from ape.exceptions import ContractLogicError, VirtualMachineError

    text = str(error)
    if match := REVERT_OUTPUT.fullmatch(text):
        output = bytes.fromhex(match.group(1))
        reason = abi_decode(["string"], output[4:])[0] if output[:4] == ERROR_SELECTOR else None
        # set_ape_traceback=False: Ape would look for a node to trace the failure on.
        return ContractLogicError(reason, contract_address=address, set_ape_traceback=False)
    if text.startswith("Halt"):
        return VirtualMachineError(text, contract_address=address, set_ape_traceback=False)
    return error


# ----------------------------------------------------------------------------- chain


@dataclass(frozen=True)
class Block:
    number: int
    timestamp: int


class Blocks:
    """`chain.blocks`: the head, a block by number (negative from the head), the height."""

    def __init__(self, chain: Chain):
        self._chain = chain

    @property
    def head(self) -> Block:
        return self[-1]

    @property
    def height(self) -> int:
        return len(self._chain._times) - 1

    def __len__(self):
        return len(self._chain._times)

    def __getitem__(self, number: int) -> Block:
        times = self._chain._times
        if number < 0:
            number += len(times)
        if not 0 <= number < len(times):
            raise IndexError(f"no block {number}; the head is {len(times) - 1}")
        return Block(number, times[number])


class Chain:
    """`chain`: automined blocks, the clock, snapshots and balances."""

    chain_id = CHAIN_ID

    def __init__(self, revm: EVM, start: int):
        self._revm = revm
        self._times = [start]  # block number -> timestamp; block 0 is genesis
        self._clock = start  # the node's clock: the next block's timestamp
        self._env = None  # (number, timestamp) the EVM runs in now
        self._snapshots: dict[int, tuple] = {}
        self._serial = 0
        self.blocks = Blocks(self)
        self._at_head()

    # time -------------------------------------------------------------------------------

    @property
    def pending_timestamp(self) -> int:
        return max(self._clock, self._times[-1])

    @pending_timestamp.setter
    def pending_timestamp(self, timestamp: int) -> None:
        timestamp = int(timestamp)
        if timestamp < self._times[-1]:
            raise ValueError(f"Timestamp error: {timestamp} is lower than previous block's timestamp")
        self._clock = timestamp

    def mine(self, num_blocks: int = 1, timestamp: int | None = None, deltatime: int | None = None) -> None:
        if timestamp and deltatime:
            raise ValueError("Cannot give both `timestamp` and `deltatime` arguments together.")
        if timestamp:
            self.pending_timestamp = timestamp
        elif deltatime:
            self.pending_timestamp += deltatime
        for _ in range(num_blocks):
            self._new_block()
        self._at_head()

    def _new_block(self) -> None:
        """The next block: a transaction runs in it (its number and timestamp)."""
        self._times.append(self.pending_timestamp)
        self._set_env(len(self._times) - 1, self._times[-1])

    def _at_head(self) -> None:
        """Calls see the latest block, as eth_call at "latest" does."""
        self._set_env(len(self._times) - 1, self._times[-1])

    def _set_env(self, number: int, timestamp: int) -> None:
        if self._env != (number, timestamp):
            self._revm.set_block_env(BlockEnv(number=number, timestamp=timestamp, gas_limit=GAS))
            self._env = (number, timestamp)

    # snapshots --------------------------------------------------------------------------

    def snapshot(self) -> int:
        self._serial += 1
        self._snapshots[self._serial] = (self._revm.snapshot(), len(self._times), self._clock)
        return self._serial

    def restore(self, snapshot_id: int | None = None) -> None:
        if snapshot_id is None:
            snapshot_id = max(self._snapshots)
        if snapshot_id not in self._snapshots:
            raise KeyError(f"unknown snapshot {snapshot_id}")
        # As on a node, the snapshots taken after it go with it (undone newest first).
        for later in sorted((s for s in self._snapshots if s > snapshot_id), reverse=True):
            self._revm.revert(self._snapshots.pop(later)[0])
        checkpoint, height, clock = self._snapshots.pop(snapshot_id)
        self._revm.revert(checkpoint)
        del self._times[height:]
        self._clock = clock
        self._at_head()

    # balances ---------------------------------------------------------------------------

    def set_balance(self, account, amount: int) -> None:
        address = getattr(account, "address", account)
        change = int(amount) - self._revm.get_balance(address)
        if self._revm.get_code(address):
            # A contract would run its code on a transfer: set it directly (not undone by a restore).
            self._revm.set_balance(address, int(amount))
        elif change > 0:
            self._revm.message_call(FAUCET, address, value=change, gas=GAS)
        elif change < 0:
            self._revm.message_call(address, FAUCET, value=-change, gas=GAS)

    def get_balance(self, account) -> int:
        return self._revm.get_balance(getattr(account, "address", account))

    @property
    def provider(self) -> Chain:
        """`chain.provider.get_code(address)` and `get_balance`, as deploy helpers read them."""
        return self

    def get_code(self, address) -> HexBytes:
        return HexBytes(self._revm.get_code(getattr(address, "address", address)) or b"")


# ----------------------------------------------------------------------------- contracts


class Receipt:
    """What a transaction left: its block, return value and logs (Ape's ReceiptAPI subset)."""

    def __init__(self, evm: InProcessEVM, sender: str, receiver: str, block: Block, return_value, logs):
        self._evm = evm
        self.sender = sender
        self.receiver = receiver
        self.block_number = block.number
        self.timestamp = block.timestamp
        self.return_value = return_value
        self._raw_logs = logs
        self.failed = False

    @cached_property
    def logs(self) -> list[dict]:
        """The raw logs, shaped as a node's receipt gives them."""
        logs = []
        for index, log in enumerate(self._raw_logs):
            topics, data = log.data
            logs.append(
                {
                    "address": to_checksum_address(log.address),
                    "topics": [HexBytes(t) for t in topics],
                    "data": HexBytes(data),
                    "blockNumber": self.block_number,
                    "logIndex": index,
                }
            )
        return logs

    def decode_logs(self, events=None) -> list:
        """The logs matching `events` (one or a list; all of known contracts when None),
        decoded by Ape's decoder: matched by signature whichever contract emitted them,
        as Ape does."""
        from ape import networks

        if events is None:
            return self.events
        events = events if isinstance(events, (list, tuple)) else [events]
        return list(networks.ethereum.decode_logs(self.logs, *[getattr(e, "abi", e) for e in events]))

    @cached_property
    def events(self) -> list:
        """Every log of a contract this chain knows, decoded with that contract's ABI."""
        from ape import networks

        decoded = []
        for log in self.logs:
            if contract := self._evm.contracts.get(log["address"]):
                decoded += networks.ethereum.decode_logs([log], *contract.contract_type.events)
        return decoded


class Event:
    """`contract.SomeEvent`: what `tx.decode_logs` takes."""

    def __init__(self, abi):
        self.abi = abi
        self.name = abi.name

    def __repr__(self):
        return f"<{self.abi.signature}>"


class Method:
    """One external function of a deployed contract (an overload chosen by argument count)."""

    def __init__(self, contract: Contract, abis: list):
        self.contract = contract
        self.abis = abis
        self.name = abis[0].name

    @cached_property
    def _plans(self):
        return [(abi, keccak(text=abi.selector)[:4], [_Codec(i) for i in abi.inputs], [_Codec(o) for o in abi.outputs]) for abi in self.abis]

    def _pick(self, args):
        for plan in self._plans:
            if len(plan[2]) == len(args):
                return plan
        raise TypeError(f"{self.name}: no overload takes {len(args)} argument(s)")

    def encode_input(self, *args) -> HexBytes:
        _abi, selector, inputs, _outputs = self._pick(args)
        return HexBytes(selector + _encode(inputs, args))

    def __call__(self, *args, sender=None, value: int = 0, **unsupported):
        if unsupported:
            raise TypeError(f"{self.name}: the in-process EVM takes no {sorted(unsupported)}")
        abi, selector, inputs, outputs = self._pick(args)
        evm = self.contract._evm
        data = selector + _encode(inputs, args)
        if abi.stateMutability in ("view", "pure"):
            return _decode(outputs, evm.call(self.contract.address, data, sender, static=True))
        if sender is None:
            raise TypeError(f"{self.name} sends a transaction: give sender=")
        output, logs, block, sender = evm.transact(self.contract.address, data, sender, value)
        return Receipt(evm, sender.address, self.contract.address, block, _decode(outputs, output), logs)

    def call(self, *args, sender=None):
        """Run it as a call (no transaction, nothing remains), whatever its mutability."""
        _abi, selector, inputs, outputs = self._pick(args)
        return _decode(outputs, self.contract._evm.call(self.contract.address, selector + _encode(inputs, args), sender, static=False))

    def __repr__(self):
        return f"<{self.contract.name}.{self.name}>"


class Contract:
    """A deployed contract: its functions and events as attributes, like Ape's ContractInstance."""

    def __init__(self, evm: InProcessEVM, address: str, contract_type):
        self._evm = evm
        self.address = to_checksum_address(address)
        self.contract_type = contract_type
        self.name = contract_type.name
        members = {}
        functions: dict[str, list] = {}
        for abi in contract_type.abi:
            if abi.type == "function":
                functions.setdefault(abi.name, []).append(abi)
            elif abi.type == "event":
                members[abi.name] = Event(abi)
        for name, abis in functions.items():
            members[name] = Method(self, abis)
        self._members = members

    def __getattr__(self, name):
        try:
            return self.__dict__["_members"][name]
        except KeyError:
            raise AttributeError(f"{self.__dict__.get('name')} has no member {name!r}") from None

    @property
    def balance(self) -> int:
        return self._evm.chain.get_balance(self.address)

    def __eq__(self, other):
        return self.address == getattr(other, "address", other)

    def __hash__(self):
        return hash(self.address)

    def __str__(self):
        return self.address

    def __repr__(self):
        return f"<{self.name} {self.address}>"


class Container:
    """`project.SomeContract`: deploys it, or wraps one deployed at an address."""

    def __init__(self, evm: InProcessEVM, contract_type):
        self._evm = evm
        self.contract_type = contract_type
        self.name = contract_type.name

    def deploy(self, *args, sender):
        return self._evm.deploy(self, args, sender)

    def at(self, address) -> Contract:
        return self._evm.register(Contract(self._evm, getattr(address, "address", address), self.contract_type))

    def __repr__(self):
        return f"<{self.name}>"


class Project:
    """`project`: a container for each of the project's contracts (Ape's compiled artifacts)."""

    def __init__(self, evm: InProcessEVM):
        self._evm = evm
        self._containers: dict[str, Container] = {}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._containers:
            from ape import project

            self._containers[name] = Container(self._evm, getattr(project, name).contract_type)
        return self._containers[name]


# ----------------------------------------------------------------------------- accounts


class TestAccount:
    """A test account with its key: deploys, sends ether, signs (with `private_key`)."""

    __test__ = False  # not a pytest test class

    def __init__(self, evm: InProcessEVM, private_key: bytes):
        self._evm = evm
        key = Account.from_key(private_key)
        self.address = key.address
        self.private_key = "0x" + bytes(key.key).hex()
        evm.known_accounts[self.address] = self

    def deploy(self, container, *args):
        return self._evm.deploy(container, args, self)

    def transfer(self, to, amount: int) -> Receipt:
        to = getattr(to, "address", to)
        _output, logs, block, _sender = self._evm.transact(to, b"", self, int(amount))
        return Receipt(self._evm, self.address, to, block, None, logs)

    @property
    def balance(self) -> int:
        return self._evm.chain.get_balance(self.address)

    def __eq__(self, other):
        return self.address == getattr(other, "address", other)

    def __hash__(self):
        return hash(self.address)

    def __str__(self):
        return self.address

    def __repr__(self):
        return f"<TestAccount {self.address}>"


class TestAccounts:
    """`accounts`: the mnemonic's first accounts, funded; more on demand, unfunded (as
    Ape's `generate_test_account` gives them)."""

    __test__ = False

    def __init__(self, evm: InProcessEVM, mnemonic: str, count: int):
        self._evm = evm
        self._accounts = [
            TestAccount(evm, bytes(Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{i}").key))
            for i in range(count)
        ]
        self._generated = 0

    def generate_test_account(self) -> TestAccount:
        self._generated += 1
        return TestAccount(self._evm, keccak(text=f"linli in-process test account {self._generated}"))

    def __getitem__(self, index):
        return self._accounts[index]

    def __len__(self):
        return len(self._accounts)

    def __iter__(self):
        return iter(self._accounts)


# ----------------------------------------------------------------------------- the EVM


class InProcessEVM:
    """One in-process chain: `project`, `accounts` and `chain` as the fixtures give them."""

    def __init__(self, mnemonic: str, number_of_accounts: int = 10, start: int | None = None):
        start = int(time.time()) if start is None else start
        self.revm = EVM(env=Env(cfg=CfgEnv(chain_id=CHAIN_ID)), spec_id=SPEC, gas_limit=GAS)
        self.revm.set_balance(FAUCET, 2**200)
        self.contracts: dict[str, Contract] = {}
        self.known_accounts: dict[str, TestAccount] = {}
        self.chain = Chain(self.revm, start)
        self.project = Project(self)
        self.accounts = TestAccounts(self, mnemonic, number_of_accounts)
        for account in self.accounts:
            self.revm.set_balance(account.address, BALANCE)

    @classmethod
    def from_ape_config(cls, start: int | None = None) -> InProcessEVM:
        """With the mnemonic and number of test accounts of ape-config.yaml."""
        from ape import config

        test = config.get_config("test")
        return cls(test.mnemonic, test.number_of_accounts, start)

    def account(self, sender) -> TestAccount:
        """The test account sending a transaction: given as itself or by its address
        (Ape resolves `sender="0x…"` to the test account too)."""
        if isinstance(sender, TestAccount):
            return sender
        try:
            return self.known_accounts[to_checksum_address(sender)]
        except (KeyError, ValueError, TypeError):
            raise TypeError(f"sender {sender!r} is not a test account") from None

    def register(self, contract: Contract) -> Contract:
        self.contracts[contract.address] = contract
        return contract

    def deploy(self, container, args, sender) -> Contract:
        sender = self.account(sender)
        contract_type = container.contract_type
        initcode = bytes(HexBytes(contract_type.deployment_bytecode.bytecode))
        initcode += _encode([_Codec(i) for i in contract_type.constructor.inputs], args)
        self.chain._new_block()
        try:
            address = self.revm.deploy(sender.address, initcode, gas=GAS)
        except RuntimeError as error:
            raise _vm_error(error, None) from None
        finally:
            self.revm.reset_transient_storage()  # it lasts one transaction
            self.chain._at_head()
        return self.register(Contract(self, address, contract_type))

    def transact(self, to: str, data: bytes, sender, value: int = 0):
        """Send a transaction: a block of its own, mined even when it reverts.
        Returns (output, logs, block, sender account)."""
        sender = self.account(sender)
        self.chain._new_block()
        block = self.chain.blocks.head
        try:
            output = self.revm.message_call(sender.address, to, data, value=value or None, gas=GAS)
            logs = self.revm.result.logs
        except RuntimeError as error:
            raise _vm_error(error, to) from None
        finally:
            self.revm.reset_transient_storage()
            self.chain._at_head()
        return bytes(output), logs, block, sender

    def call(self, to: str, data: bytes, sender=None, static: bool = True) -> bytes:
        """eth_call against the latest block: nothing it does remains."""
        caller = getattr(sender, "address", sender) or self.accounts[0].address
        checkpoint = self.revm.snapshot()
        try:
            return bytes(self.revm.message_call(caller, to, data, gas=GAS, is_static=static))
        except RuntimeError as error:
            raise _vm_error(error, to) from None
        finally:
            self.revm.revert(checkpoint)
            self.revm.reset_transient_storage()
