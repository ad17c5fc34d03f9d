"""Stateful invariants of the tallies (hypothesis RuleBasedStateMachine).

Owners vote in person, by relayed signature and through delegates, in random
order, while the committee changes areas and registers new owners mid-vote.
After every step: each choice's tally (area, heads) equals the sum of the
snapshot weights of the identities that chose it, every identity is counted at
most once, and the tallies never exceed the snapshot totals."""

from __future__ import annotations

import ape
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.assembly.helpers import ABSTAIN, AGAINST, FOR, open_voting, propose, register, sign_ballot
from tests.utils.stateful import run_machine

pytestmark = pytest.mark.in_process

OWNERS = 12
AREAS = [[8_950, 12_000], [9_000], [11_050], [10_000, 10_000, 10_000], [7_500], [13_333], [6_001], [9_999], [12_345], [5_000], [15_000], [8_888]]
CHOICES = st.sampled_from([AGAINST, FOR, ABSTAIN])


def test_tallies_match_weights(assembly, registry, committee, voters, chain, tenant, attacker):
    wallets = voters[:OWNERS]
    late = voters[OWNERS:OWNERS + 10]
    delegate = tenant

    class Tallies(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.snap = chain.snapshot()
            self.town = register(registry, committee, wallets, AREAS, prefix="fsm")
            self.p = propose(assembly, committee, chain)
            self.snapshot_block = assembly.proposalSnapshot(self.p.id)
            self.totals = tuple(registry.totals_at(self.snapshot_block))
            self.weight = {o.identity: o.area for o in self.town.owners}
            self.voted: dict[int, int] = {}  # identity -> choice
            self.delegated: set[int] = set()
            self.late_count = 0
            self.unit_ids = list(range(1, sum(len(a) for a in AREAS) + 1))
            open_voting(chain, self.p)

        def teardown(self):
            if hasattr(self, "snap"):
                chain.restore(self.snap)

        def _expect(self, owner, choice, send):
            if owner.identity in self.voted:
                with ape.reverts("assembly: already voted"):
                    send()
            else:
                send()
                self.voted[owner.identity] = choice

        @rule(i=st.integers(0, OWNERS - 1), choice=CHOICES)
        def vote_in_person(self, i, choice):
            owner = self.town.owners[i]
            self._expect(owner, choice, lambda: assembly.castVote(self.p.id, choice, sender=owner.account))

        @rule(i=st.integers(0, OWNERS - 1), choice=CHOICES)
        def vote_by_signature(self, i, choice):
            owner = self.town.owners[i]
            sig = sign_ballot(assembly, chain, owner.account, self.p.id, choice)
            self._expect(owner, choice, lambda: assembly.castVoteBySig(self.p.id, choice, owner.address, sig, sender=attacker))

        @rule(i=st.integers(0, OWNERS - 1))
        def delegate_to_tenant(self, i):
            owner = self.town.owners[i]
            assembly.set_delegate(delegate.address, self.p.id, sender=owner.account)
            self.delegated.add(owner.identity)

        @rule(i=st.integers(0, OWNERS - 1), choice=CHOICES)
        def vote_as_delegate(self, i, choice):
            owner = self.town.owners[i]
            send = lambda: assembly.castVoteAsDelegate(self.p.id, [owner.address], choice, sender=delegate)  # noqa: E731
            if owner.identity not in self.delegated:
                with ape.reverts("assembly: not the owner's delegate"):
                    send()
            else:
                self._expect(owner, choice, send)

        @rule(k=st.integers(0, 100), area=st.integers(1, 50_000))
        def committee_changes_an_area(self, k, area):
            unit_id = self.unit_ids[k % len(self.unit_ids)]
            registry.set_unit_area(unit_id, area, sender=committee)

        @rule(area=st.integers(1, 90_000))
        def new_owner_arrives(self, area):
            if self.late_count >= len(late):
                return
            wallet = late[self.late_count]
            register(registry, committee, [wallet], [[area]], prefix=f"fsm-late-{self.late_count}")
            self.late_count += 1
            with ape.reverts("registry: wallet bound after the snapshot"):
                assembly.castVote(self.p.id, FOR, sender=wallet)

        @invariant()
        def tallies_are_sums_of_weights(self):
            if not hasattr(self, "p"):
                return
            total_area, total_heads = 0, 0
            for choice in (AGAINST, FOR, ABSTAIN):
                ids = [i for i, c in self.voted.items() if c == choice]
                area, heads = assembly.tally(self.p.id, choice)
                assert (area, heads) == (sum(self.weight[i] for i in ids), len(ids))
                total_area += area
                total_heads += heads
            assert total_area <= self.totals[0]
            assert total_heads <= self.totals[1]
            # The totals at the snapshot never move, whatever happened since.
            assert tuple(registry.totals_at(self.snapshot_block)) == self.totals

    run_machine(Tallies)

