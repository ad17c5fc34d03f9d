"""Stateful invariants of CommunityPoints, checked against a model after every step.

- supply equals the sum of balances, and only minters change it upward;
- while free transfer is off, a resident never receives points from another resident.
"""

import ape
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

MERCHANT_ROLE_NAME = "merchant"


class PointsMachine(RuleBasedStateMachine):
    # Filled in by the test function (Ape fixtures are not available to the class).
    env = None

    @initialize()
    def setup(self):
        e = self.env
        self.snapshot = e["chain"].snapshot()
        self.points = e["points"]
        self.registry = e["registry"]
        self.committee = e["committee"]
        self.residents = e["residents"]
        self.merchants = e["merchants"]
        self.outsider = e["outsider"]
        self.everyone = [*self.residents, *self.merchants, self.outsider]
        self.balances = {a.address: self.points.balanceOf(a) for a in self.everyone}
        self.supply = self.points.totalSupply()
        self.is_merchant = {m.address: self.points.is_merchant(m) for m in self.merchants}
        self.free = self.points.free_transfer()
        self.resident_to_resident_while_closed = 0

    def teardown(self):
        self.env["chain"].restore(self.snapshot)

    @rule(who=st.integers(0, 3), amount=st.integers(1, 1_000), by_minter=st.booleans())
    def mint(self, who, amount, by_minter):
        to = self.residents[who]
        if by_minter:
            self.points.mint(to, amount, 1, sender=self.committee)
            self.balances[to.address] += amount
            self.supply += amount
        else:
            with ape.reverts("points: minter only"):
                self.points.mint(to, amount, 1, sender=self.outsider)

    @rule(src=st.integers(0, 6), dst=st.integers(0, 6), amount=st.integers(0, 600))
    def transfer(self, src, dst, amount):
        people = [*self.residents, *self.merchants]
        sender, receiver = people[src % len(people)], people[dst % len(people)]
        allowed = self.is_merchant.get(receiver.address, False) or self.free or self.is_merchant.get(sender.address, False)
        enough = self.balances[sender.address] >= amount
        if allowed and enough:
            self.points.transfer(receiver, amount, sender=sender)
            self.balances[sender.address] -= amount
            self.balances[receiver.address] += amount
            if not self.free and sender in self.residents and receiver in self.residents and sender != receiver and amount:
                self.resident_to_resident_while_closed += 1
        elif not allowed:
            with ape.reverts("points: transfers only to registered merchants"):
                self.points.transfer(receiver, amount, sender=sender)
        else:
            with ape.reverts("erc20: transfer amount exceeds balance"):
                self.points.transfer(receiver, amount, sender=sender)

    @rule(which=st.integers(0, 1), amount=st.integers(1, 300))
    def redeem(self, which, amount):
        merchant = self.merchants[which]
        if not self.is_merchant[merchant.address]:
            with ape.reverts("points: merchant only"):
                self.points.redeem(amount, b"\x01" * 32, sender=merchant)
        elif self.balances[merchant.address] < amount:
            with ape.reverts("erc20: burn amount exceeds balance"):
                self.points.redeem(amount, b"\x01" * 32, sender=merchant)
        else:
            self.points.redeem(amount, b"\x01" * 32, sender=merchant)
            self.balances[merchant.address] -= amount
            self.supply -= amount

    @rule(which=st.integers(0, 1), grant=st.booleans())
    def merchant_role(self, which, grant):
        merchant = self.merchants[which]
        fn = self.registry.grantRole if grant else self.registry.revokeRole
        fn(self.env["merchant_role"], merchant, sender=self.committee)
        self.is_merchant[merchant.address] = grant

    @rule(enabled=st.booleans())
    def free_transfer(self, enabled):
        self.points.set_free_transfer(enabled, sender=self.committee)
        self.free = enabled

    @invariant()
    def supply_is_sum_of_balances(self):
        onchain = {a: self.points.balanceOf(a) for a in self.balances}
        assert onchain == self.balances
        assert self.points.totalSupply() == self.supply == sum(onchain.values())

    @invariant()
    def no_resident_trading_while_closed(self):
        assert self.resident_to_resident_while_closed == 0


def test_points_invariants(populated, chain, points, registry, committee, owner_a, owner_b, owner_c, tenant, merchant, accounts, attacker, roles):
    second_merchant = accounts.generate_test_account()
    chain.set_balance(second_merchant, 10**20)
    registry.grantRole(roles["merchant"], second_merchant, sender=committee)
    PointsMachine.env = {
        "chain": chain,
        "points": points,
        "registry": registry,
        "committee": committee,
        "residents": [owner_a, owner_b, owner_c, tenant],
        "merchants": [merchant, second_merchant],
        "outsider": attacker,
        "merchant_role": roles[MERCHANT_ROLE_NAME],
    }
    PointsMachine.TestCase().runTest()

