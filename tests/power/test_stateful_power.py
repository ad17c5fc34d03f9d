"""No account can give itself, or anyone, more power than the assembly gave (issue 15).

A state machine drives random grants, revocations and renunciations of every registry
role by random actors (the assembly, the committee, the manager, a cashier, a merchant, a
provider, an owner, an outsider) and random calls of every role-only function of every
contract (backend/chain/constitution.py) by random actors. A model knows who holds which
role from the rules alone (the assembly administers itself, the committee, the manager
and auditors; the committee administers cashiers, merchants and providers; the
committee never holds a paid role; the assembly role is never left without a holder).
After every step: every actor's roles on chain are the model's; the role admins and the
points' and fees' governance are as deployed; and the last call was refused unless the
caller held a role the constitution names for it.

The assembly is played by the deployer's account, which holds the assembly's role as
it does while it wires a community (the in-process chain sends only from its test
accounts); the timelock holds it too and never acts.
"""

from __future__ import annotations

import re

import ape
import pytest
from hypothesis import strategies as st
from eth_abi import encode
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from backend.chain.constitution import POWERS, ROLE_CALLERS
from backend.chain.deploy_activities import deploy_activities
from backend.chain.deploy_assembly import deploy_assembly
from backend.chain.deploy_consent import deploy_suggestions_and_consent
from backend.chain.deploy_culture import deploy_culture
from backend.chain.deploy_fees import deploy_fees
from backend.chain.deploy_notices import deploy_notices
from backend.chain.deploy_services import deploy_services
from backend.chain.deployment import deploy_community, role_id
from tests.utils.identity import commitment_for
from tests.utils.stateful import run_machine

pytestmark = pytest.mark.in_process

ROLES = ("assembly", "committee", "manager", "auditor", "cashier", "merchant", "provider")
ADMIN = {"assembly": "assembly", "committee": "assembly", "manager": "assembly", "auditor": "assembly",
         "cashier": "committee", "merchant": "committee", "provider": "committee"}
PAID = {"manager", "cashier", "merchant", "provider"}
ROLE_REFUSAL = re.compile(r"(: [a-z ,']*\bonly\b|not the role's admin|missing role|caller must be|caller is not the owner)")
FIXED = {"OwnersAssembly", "Constitution", "AssemblyTimelock"}
OWNED = {"CommunityPoints"}  # snekmate's ownable: the owner is the assembly, not the role's holders
ROLE_ONLY = [p for p in POWERS if p.callers and set(p.callers) <= set(ROLE_CALLERS) and p.contract not in FIXED
             and p.arg_role is None]


def abi_type(item) -> str:
    if item["type"].startswith("tuple"):
        return "(" + ",".join(abi_type(c) for c in item["components"]) + ")" + item["type"][5:]
    return item["type"]


def sample(item):
    kind = item["type"]
    if kind.endswith("[]"):
        return []
    if kind.startswith("tuple"):
        return tuple(sample(c) for c in item["components"])
    return {"address": "0x" + "11" * 20, "bool": True, "string": "x", "bytes": b"\x01"}.get(
        kind, b"\x01" * int(kind[5:]) if kind.startswith("bytes") else 1)


def test_no_account_has_more_power_than_the_assembly_gave(project, chain, accounts, committee, manager, owner_a,
                                                          owner_b, merchant, provider, attacker, tenant):
    assembly_actor = committee  # the deployer: the assembly's role while it wires
    board = tenant  # the committee, an account apart from the assembly
    community = deploy_community(project, chain, assembly_actor, name="权力小区", committee=board)
    registry, points = community.registry, community.points
    registry.register_unit("1-1-101", 10_000, owner_a.address, commitment_for("power-a"), sender=board)
    fees_stack = deploy_fees(project, chain, assembly_actor, community)
    fees = fees_stack["PropertyFees"]
    contracts = {"HouseholdRegistry": registry, "CommunityPoints": points, **fees_stack}
    contracts.update(deploy_assembly(project, chain, assembly_actor, community))
    community.extra.update(contracts)
    contracts.update(deploy_culture(project, chain, assembly_actor, community))
    contracts.update(deploy_activities(project, chain, assembly_actor, community, fees))
    contracts.update(deploy_services(project, chain, assembly_actor, community, fees))
    contracts.update(deploy_suggestions_and_consent(project, chain, assembly_actor, community))
    contracts.update(deploy_notices(project, assembly_actor, community))
    timelock = contracts["AssemblyTimelock"]
    actors = {"assembly": assembly_actor, "committee": board, "manager": manager, "merchant": merchant,
              "provider": provider, "owner": owner_a, "neighbour": owner_b, "outsider": attacker}
    targets = list(actors.values())
    admins = {name: registry.getRoleAdmin(role_id(name)) for name in ROLES}
    treasury_before = fees.treasury()
    calls = []
    for power in ROLE_ONLY:
        contract = contracts[power.contract]
        abi = [e.model_dump(mode="json", by_alias=True) for e in contract.contract_type.abi]
        [entry] = [e for e in abi if e["type"] == "function"
                   and f"{e['name']}({','.join(abi_type(i) for i in e['inputs'])})" == power.signature]
        args = [sample(i) for i in entry["inputs"]]
        data = power.selector + encode([abi_type(i) for i in entry["inputs"]], args)
        calls.append((power, contract.address, data))

    class Power(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.snapshot = chain.snapshot()
            # The model: who holds which role, from the deployment.
            self.holds = {(name, a.address): False for name in ROLES for a in targets}
            self.holds[("assembly", assembly_actor.address)] = True
            self.holds[("committee", board.address)] = True
            self.assembly_holders = 2  # the deployer's account and the timelock
            self.last_refusal_ok = True

        def teardown(self):
            chain.restore(self.snapshot)

        def role_of(self, account) -> set[str]:
            return {name for name in ROLES if self.holds[(name, account.address)]}

        @rule(who=st.sampled_from(sorted(actors)), role=st.sampled_from(ROLES), to=st.integers(0, len(targets) - 1))
        def grant(self, who, role, to):
            actor, account = actors[who], targets[to]
            if not self.holds[(ADMIN[role], actor.address)]:
                reason = "registry: caller is not the role's admin"
            elif role == "committee" and self.role_of(account) & PAID:
                reason = "registry: the committee cannot hold a paid role"
            elif role in PAID and self.holds[("committee", account.address)]:
                reason = "registry: the committee cannot hold a paid role"
            else:
                registry.grantRole(role_id(role), account.address, sender=actor)
                if role == "assembly" and not self.holds[(role, account.address)]:
                    self.assembly_holders += 1
                self.holds[(role, account.address)] = True
                return
            with ape.reverts(reason):
                registry.grantRole(role_id(role), account.address, sender=actor)

        @rule(who=st.sampled_from(sorted(actors)), role=st.sampled_from(ROLES), to=st.integers(0, len(targets) - 1))
        def revoke(self, who, role, to):
            actor, account = actors[who], targets[to]
            if not self.holds[(ADMIN[role], actor.address)]:
                with ape.reverts("registry: caller is not the role's admin"):
                    registry.revokeRole(role_id(role), account.address, sender=actor)
                return
            self._drop(role, account, lambda: registry.revokeRole(role_id(role), account.address, sender=actor))

        @rule(who=st.sampled_from(sorted(actors)), role=st.sampled_from(ROLES))
        def renounce(self, who, role):
            actor = actors[who]
            self._drop(role, actor, lambda: registry.renounceRole(role_id(role), actor.address, sender=actor))

        def _drop(self, role, account, send):
            if role == "assembly" and self.holds[(role, account.address)] and self.assembly_holders == 1:
                with ape.reverts("registry: the assembly cannot be left without a holder"):
                    send()
                return
            send()
            if role == "assembly" and self.holds[(role, account.address)]:
                self.assembly_holders -= 1
            self.holds[(role, account.address)] = False

        @rule(who=st.sampled_from(sorted(actors)), index=st.integers(0, len(calls) - 1))
        def privileged_call(self, who, index):
            power, address, data = calls[index]
            actor = actors[who]
            try:
                registry._evm.call(address, data, actor, static=False)  # a call: nothing it does remains
                refusal = None
            except ape.exceptions.ContractLogicError as exc:
                message = str(exc)
                refusal = message if ROLE_REFUSAL.search(message) else None
            roles = self.role_of(actor)
            if power.contract in OWNED:
                # Guarded by ownership, not by the role: the points' owner is the assembly
                # (the timelock in production, the deployer's account here) whatever the
                # registry says of its role, and a new holder of the role is not the owner.
                roles = (roles - {"assembly"}) | ({"assembly"} if actor.address == points.owner() else set())
            allowed = bool(roles & set(power.callers))
            # Refused exactly when the caller holds none of the roles the constitution names.
            self.last_refusal_ok = (refusal is None) == allowed
            assert self.last_refusal_ok, (who, sorted(self.role_of(actor)), power.contract, power.signature, refusal)

        @invariant()
        def roles_are_what_the_rules_gave(self):
            for (name, address), held in self.holds.items():
                assert registry.hasRole(role_id(name), address) == held, (name, address)
            assert registry.assembly_holders() == self.assembly_holders
            assert registry.hasRole(role_id("assembly"), timelock.address)
            for name in ROLES:
                assert registry.getRoleAdmin(role_id(name)) == admins[name]
            for account in targets:
                assert not ({"committee"} <= self.role_of(account) and self.role_of(account) & PAID)

        @invariant()
        def governance_is_as_deployed(self):
            assert points.owner() == assembly_actor.address
            assert fees.treasury() == treasury_before

    run_machine(Power)
