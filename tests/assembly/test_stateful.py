"""Stateful invariants of the tallies (hypothesis RuleBasedStateMachine).

Owners vote in person, by relayed signature, through delegates and on paper
(entered by one teller, confirmed by another), change their votes, in random
order, while the committee changes areas and registers new owners mid-vote. A
model applies the rules of replacement (the owner's own ballot replaces their
delegate's and their own earlier one; a signature or a delegate never replaces
the owner's own; paper and online never replace each other). After every step:
each choice's tally (area, heads) equals the sum of the snapshot weights of the
standing ballots that chose it, every identity is counted at most once, the
tallies never exceed the snapshot totals, and each identity's record on chain
is the model's."""

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


OWN, DELEGATE, PAPER, SIGNED = 0, 1, 2, 3  # OwnersAssembly's ballot channels


def test_tallies_match_weights(assembly, paper, registry, committee, voters, chain, tenant, attacker):
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
            self.ballot: dict[int, tuple[int, int]] = {}  # identity -> (choice, channel)
            self.paper_entered: set[int] = set()
            self.tellers = (self.town.owners[0].account, self.town.owners[1].account)
            paper.appoint_tellers(self.p.id, [t.address for t in self.tellers], sender=committee)
            self.delegated: set[int] = set()
            self.late_count = 0
            self.unit_ids = list(range(1, sum(len(a) for a in AREAS) + 1))
            open_voting(chain, self.p)

        def teardown(self):
            if hasattr(self, "snap"):
                chain.restore(self.snap)

        def _expect(self, owner, choice, channel, send):
            standing = self.ballot.get(owner.identity, (None, None))[1]
            refusal = None
            if standing is not None:
                if channel == DELEGATE or (channel == SIGNED and standing != DELEGATE):
                    refusal = "assembly: already voted"
                elif standing == PAPER:
                    refusal = "assembly: voted on paper"
            if refusal:
                with ape.reverts(refusal):
                    send()
            else:
                send()
                self.ballot[owner.identity] = (choice, channel)

        @rule(i=st.integers(0, OWNERS - 1), choice=CHOICES)
        def vote_in_person(self, i, choice):
            owner = self.town.owners[i]
            self._expect(owner, choice, OWN, lambda: assembly.castVote(self.p.id, choice, sender=owner.account))

        @rule(i=st.integers(0, OWNERS - 1), choice=CHOICES)
        def vote_by_signature(self, i, choice):
            owner = self.town.owners[i]
            sig = sign_ballot(assembly, chain, owner.account, self.p.id, choice)
            self._expect(owner, choice, SIGNED,
                         lambda: assembly.castVoteBySig(self.p.id, choice, owner.address, sig, sender=attacker))

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
                self._expect(owner, choice, DELEGATE, send)

        @rule(i=st.integers(0, OWNERS - 1), choice=CHOICES, scan=st.binary(min_size=32, max_size=32))
        def vote_on_paper(self, i, choice, scan):
            owner = self.town.owners[i]
            first, second = self.tellers if i % 2 else self.tellers[::-1]
            enter = lambda: paper.enter_ballot(self.p.id, owner.identity, choice, scan, sender=first)  # noqa: E731
            standing = self.ballot.get(owner.identity, (None, None))[1]
            if owner.identity in self.paper_entered or scan == bytes(32):
                with ape.reverts():
                    enter()
                return
            if standing in (OWN, SIGNED):
                with ape.reverts("ballots: owner voted online"):
                    enter()
                return
            enter()
            self.paper_entered.add(owner.identity)
            with ape.reverts("ballots: a teller cannot confirm their own entry"):
                paper.confirm_ballot(self.p.id, owner.identity, choice, scan, sender=first)
            paper.confirm_ballot(self.p.id, owner.identity, choice, scan, sender=second)
            self.ballot[owner.identity] = (choice, PAPER)

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
                ids = [i for i, (c, _) in self.ballot.items() if c == choice]
                area, heads = assembly.tally(self.p.id, choice)
                assert (area, heads) == (sum(self.weight[i] for i in ids), len(ids))
                total_area += area
                total_heads += heads
            for identity, (choice, channel) in self.ballot.items():
                assert assembly.ballot_of(self.p.id, identity) == (choice + 1) | channel << 2
            assert paper.confirmed(self.p.id) == paper.entered(self.p.id) == len(self.paper_entered)
            assert total_area <= self.totals[0]
            assert total_heads <= self.totals[1]
            # The totals at the snapshot never move, whatever happened since.
            assert tuple(registry.totals_at(self.snapshot_block)) == self.totals

    run_machine(Tallies)

