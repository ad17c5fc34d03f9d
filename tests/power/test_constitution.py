"""The constitution cannot rot: backend/chain/constitution.py, the README's table, the
Constitution contract of a production-shaped deployment and the contracts' own role
checks must all say the same thing.

- every state-changing function of every contract is in the table, and nothing else;
- the table written on chain is the table in the source, entry for entry;
- the README shows the table as rendered from the source;
- every function callable by roles only is probed (eth_call) from every role: each
  role the table names gets past the function's role check, each other role and an
  outsider is refused with a role refusal (a namespaced "… only" or "not the role's
  admin").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from eth_abi import encode
from eth_utils import to_checksum_address
from web3.exceptions import ContractLogicError

from backend.chain.constitution import POWERS, ROLE_CALLERS, SAFE_POWERS, render_markdown
from backend.chain.deployment import role_id

ROOT = Path(__file__).resolve().parents[2]
FIXED = {"OwnersAssembly", "Constitution", "AssemblyTimelock"}
# Contracts whose functions the table covers (the Safe's own functions are Safe's).
COVERED = {p.contract for p in POWERS}
ROLE_REFUSAL = re.compile(r"(: [a-z ,']*\bonly\b|not the role's admin|missing role|caller must be|caller is not the owner)")


def abi_type(item) -> str:
    if item["type"].startswith("tuple"):
        return "(" + ",".join(abi_type(c) for c in item["components"]) + ")" + item["type"][5:]
    return item["type"]


def signature(entry) -> str:
    return f"{entry['name']}({','.join(abi_type(i) for i in entry['inputs'])})"


def state_changing(contract) -> set[str]:
    abi = [entry.model_dump(mode="json", by_alias=True) for entry in contract.contract_type.abi]
    return {signature(e) for e in abi if e["type"] == "function" and e["stateMutability"] not in ("view", "pure")}


def test_every_state_changing_function_is_in_the_table(town):
    listed = {(p.contract, p.signature) for p in POWERS}
    for name in COVERED:
        functions = state_changing(town.contracts[name])
        assert {(name, f) for f in functions} <= listed, sorted(functions - {f for c, f in listed if c == name})
        assert {f for c, f in listed if c == name} <= functions, name


def test_the_table_on_chain_is_the_table_in_the_source(town):
    constitution = town.constitution
    for power in (*POWERS, *SAFE_POWERS):
        if power.vote is None or power.contract in FIXED:
            continue
        target = town.contracts[power.contract].address
        arg = role_id(power.arg_role) if power.arg_role else b"\0" * 32
        assert constitution.entry(target, power.selector, power.arg_role is not None, arg) == power.vote, power


def sample_arguments(inputs, first=None):
    values = []
    for item in inputs:
        kind = item["type"]
        if kind.endswith("[]"):
            values.append([])
        elif kind.startswith("tuple"):
            values.append(tuple(sample_arguments(item["components"])))
        elif kind == "address":
            values.append("0x" + "11" * 20)
        elif kind == "bool":
            values.append(True)
        elif kind == "string":
            values.append("x")
        elif kind == "bytes":
            values.append(b"\x01")
        elif kind.startswith("bytes"):
            values.append(b"\x01" * int(kind[5:]))
        else:
            values.append(1)
    if first is not None:
        values[0] = first
    return values


def calldata(contract, power):
    abi = [e.model_dump(mode="json", by_alias=True) for e in contract.contract_type.abi]
    [entry] = [e for e in abi if e["type"] == "function" and signature(e) == power.signature]
    args = sample_arguments(entry["inputs"], role_id(power.arg_role) if power.arg_role else None)
    return power.selector + encode([abi_type(i) for i in entry["inputs"]], args)


def test_the_fixed_classes_of_the_assembly_constitution_and_timelock(town):
    for power in POWERS:
        if power.contract in FIXED and power.vote is not None:
            target = town.contracts[power.contract]
            assert town.assembly.call_class(target.address, calldata(target, power)) == power.vote, power


def test_the_readme_shows_the_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- constitution:start -->\n", "<!-- constitution:end -->"
    assert start in readme and end in readme, "README lacks the constitution table's markers"
    shown = readme.split(start, 1)[1].split(end, 1)[0]
    assert shown == render_markdown(), "README's constitution table differs: paste render_markdown()'s output"


@pytest.fixture(scope="module")
def role_actors(town, chain, manager, merchant, provider, accounts, owner_a, owner_b):
    """An address per role, each holding exactly that role, and an outsider."""
    cashier = accounts.generate_test_account()
    town.safe.call(town.registry.grantRole, role_id("cashier"), cashier.address, signers=[owner_a, owner_b])
    town.safe.call(town.registry.grantRole, role_id("provider"), provider.address, signers=[owner_a, owner_b])
    return {
        "assembly": town.timelock.address,
        "committee": town.safe.address,
        "manager": manager.address,
        "cashier": cashier.address,
        "merchant": merchant.address,
        "provider": provider.address,
        "outsider": to_checksum_address("0x" + "5a" * 20),
    }


def probe(chain, sender, target, data) -> str | None:
    """None when the call gets through (or fails for another reason than its caller),
    else the refusal."""
    try:
        chain.provider.web3.eth.call({"from": sender, "to": target, "data": "0x" + data.hex()})
    except ContractLogicError as exc:
        message = str(exc.message or exc)
        return message if ROLE_REFUSAL.search(message) else None
    return None


ROLE_ONLY = [p for p in POWERS if p.callers and set(p.callers) <= set(ROLE_CALLERS) and p.contract not in FIXED]


@pytest.mark.parametrize("power", ROLE_ONLY, ids=[f"{p.contract}.{p.name}" + (f"[{p.arg_role}]" if p.arg_role else "")
                                                   for p in ROLE_ONLY])
def test_each_role_the_table_does_not_name_is_refused(town, chain, role_actors, power):
    target = town.contracts[power.contract]
    data = calldata(target, power)
    for role, sender in role_actors.items():
        refusal = probe(chain, sender, target.address, data)
        if role in power.callers:
            assert refusal is None, f"{role} refused {power.contract}.{power.signature}: {refusal}"
        else:
            assert refusal is not None, f"{role} was not refused {power.contract}.{power.signature}"


def test_class_of_a_call_is_the_tables_and_an_unlisted_call_is_major(town):
    """What the assembly asks for each call a proposal makes: the entry for its first
    argument if there is one, else for its selector; a call the table lists not, major."""
    constitution = town.constitution
    assert (constitution.CLASS_UNLISTED(), constitution.CLASS_ORDINARY(), constitution.CLASS_MAJOR(),
            constitution.CLASS_FORBIDDEN()) == (0, 1, 2, 3)
    for power in POWERS:
        if power.vote is None or power.contract in FIXED:
            continue
        target = town.contracts[power.contract]
        assert constitution.class_of(target.address, calldata(target, power)) == power.vote, power
    fees = town.contracts["PropertyFees"].address
    assert constitution.class_of(fees, b"\xde\xad\xbe\xef") == constitution.CLASS_MAJOR()
