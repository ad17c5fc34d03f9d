"""Stateful invariants of CultureWorks (hypothesis RuleBasedStateMachine).

Residents mint works (with a URI or a binary CIDv1), like, gift and the committee
hides works, changes the like reward and time passes across Beijing days. After
every step: each account's NFT balance equals the tokens it holds, every minted id
has the owner the model says and the URI it was minted with (the CID's text form
for a binary CID), each (household, work) has at most one like, and the points a
creator earned from likes on a Beijing day never exceed the cap in force (each like
mints exactly min(rate, cap - earned that day))."""

from __future__ import annotations

import ape
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.culture.conftest import DAG_JSON, DAG_PB, HOUR, RAW, URI, beijing_day, cid_uri, cid_v1, sha
from tests.utils.stateful import run_machine

pytestmark = pytest.mark.in_process

# How a work's metadata is given: a string URI (CIDv0, or a CIDv1's text through
# mint_work) or a binary CIDv1 of one codec or another through mint_work_cid.
HOW = ["uri", "cid-text", "cid-raw", "cid-dag-pb", "cid-dag-json"]
CODEC = {"cid-raw": RAW, "cid-dag-pb": DAG_PB, "cid-dag-json": DAG_JSON}


def test_culture_invariants(culture, registry, points, committee, owner_a, owner_b, owner_c, tenant, developer, housemate, chain):
    residents = [owner_a, owner_b, owner_c, tenant, developer, housemate]
    household = {r.address: registry.household_of(r) for r in residents}

    class Culture(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.snap = chain.snapshot()
            self.serial = 0
            self.works: list[int] = []
            self.creator: dict[int, str] = {}
            self.owner: dict[int, str] = {}
            self.uri: dict[int, str] = {}
            self.hidden: set[int] = set()
            self.gifted: set[int] = set()
            self.likes: set[tuple[int, int]] = set()
            self.earned: dict[tuple[str, int], int] = {}  # (creator, day) -> points
            self.cap_max: dict[int, int] = {}  # day -> highest cap in force that day
            # A tight reward so the daily cap bites within a few likes.
            culture.set_like_reward(3, 5, sender=committee)
            self.rate, self.cap = 3, 5
            self.cap_max[beijing_day(chain.pending_timestamp)] = 5
            self.points_of: dict[str, int] = {r.address: points.balanceOf(r) for r in residents}

        def teardown(self):
            if hasattr(self, "snap"):
                chain.restore(self.snap)

        def _work(self, j):
            return self.works[j % len(self.works)] if self.works else None

        @rule(i=st.integers(0, len(residents) - 1), kind=st.integers(0, 5), how=st.sampled_from(HOW))
        def mint(self, i, kind, how):
            who = residents[i]
            self.serial += 1
            h = sha(f"fsm-{self.serial}")
            cid = cid_v1(sha(f"fsm-metadata-{self.serial}"), CODEC.get(how, DAG_PB))
            if how == "uri":
                tx, uri = culture.mint_work("作品", kind, h, URI, sender=who), URI
            elif how == "cid-text":
                tx, uri = culture.mint_work("作品", kind, h, cid_uri(cid), sender=who), cid_uri(cid)
            else:
                tx, uri = culture.mint_work_cid("作品", kind, h, cid, sender=who), cid_uri(cid)
            token_id = int.from_bytes(h, "big")
            assert tx.return_value == token_id
            assert tx.decode_logs(culture.WorkMinted)[0].uri == uri
            self.works.append(token_id)
            self.creator[token_id] = who.address
            self.owner[token_id] = who.address
            self.uri[token_id] = uri

        @rule(i=st.integers(0, len(residents) - 1), j=st.integers(0, 50), binary=st.booleans())
        def mint_duplicate(self, i, j, binary):
            # Either entry point refuses a file registered through either.
            token_id = self._work(j)
            if token_id is None:
                return
            with ape.reverts("culture: content already registered"):
                if binary:
                    culture.mint_work_cid("重复", 1, token_id.to_bytes(32, "big"), cid_v1(sha("dup")), sender=residents[i])
                else:
                    culture.mint_work("重复", 1, token_id.to_bytes(32, "big"), URI, sender=residents[i])

        @rule(i=st.integers(0, len(residents) - 1), j=st.integers(0, 50))
        def like(self, i, j):
            token_id = self._work(j)
            if token_id is None:
                return
            who = residents[i]
            hh = household[who.address]
            creator = self.creator[token_id]
            if token_id in self.hidden:
                with ape.reverts("culture: work is hidden"):
                    culture.like(token_id, sender=who)
            elif hh == household[creator]:
                with ape.reverts("culture: cannot like own household's work"):
                    culture.like(token_id, sender=who)
            elif (hh, token_id) in self.likes:
                with ape.reverts("culture: household already liked this work"):
                    culture.like(token_id, sender=who)
            else:
                tx = culture.like(token_id, sender=who)
                day = beijing_day(chain.blocks[tx.block_number].timestamp)
                self.cap_max[day] = max(self.cap_max.get(day, 0), self.cap)
                earned = self.earned.get((creator, day), 0)
                expected = min(self.rate, self.cap - earned) if earned < self.cap else 0
                assert tx.return_value == expected
                self.likes.add((hh, token_id))
                self.earned[(creator, day)] = earned + expected
                self.points_of[creator] += expected

        @rule(j=st.integers(0, 50))
        def like_round(self, j):
            # Every resident likes one work in turn: reaches the cap and the refusals fast.
            for i in range(len(residents)):
                self.like(i, j)

        @rule(i=st.integers(0, len(residents) - 1), j=st.integers(0, 50), by_owner=st.booleans())
        def gift(self, i, j, by_owner):
            token_id = self._work(j)
            if token_id is None:
                return
            to = residents[i]
            sender = next(r for r in residents if r.address == self.owner[token_id]) if by_owner else residents[(i + 1) % len(residents)]
            if token_id in self.gifted:
                reason = "culture: work already gifted"
            elif sender.address != self.owner[token_id]:
                reason = "culture: only the creator can gift"
            elif token_id in self.hidden:
                reason = "culture: work is hidden"
            elif to.address == sender.address:
                reason = "culture: cannot gift to yourself"
            else:
                reason = None
            if reason:
                with ape.reverts(reason):
                    culture.gift(to, token_id, sender=sender)
            else:
                culture.gift(to, token_id, sender=sender)
                self.gifted.add(token_id)
                self.owner[token_id] = to.address

        @rule(j=st.integers(0, 50))
        def toggle_hidden(self, j):
            token_id = self._work(j)
            if token_id is None:
                return
            if token_id in self.hidden:
                culture.unhide_work(token_id, sha("ok"), sender=committee)
                self.hidden.discard(token_id)
            else:
                culture.hide_work(token_id, sha("rule"), sender=committee)
                self.hidden.add(token_id)

        @rule(rate=st.integers(0, 6), cap=st.integers(0, 12))
        def set_reward(self, rate, cap):
            culture.set_like_reward(rate, cap, sender=committee)
            self.rate, self.cap = rate, cap
            day = beijing_day(chain.pending_timestamp)
            self.cap_max[day] = max(self.cap_max.get(day, 0), cap)

        @rule(hours=st.integers(1, 30))
        def wait(self, hours):
            chain.mine(timestamp=chain.pending_timestamp + hours * HOUR)

        @invariant()
        def balances_equal_tokens_held(self):
            if not hasattr(self, "snap"):
                return
            for r in residents:
                held = sum(1 for owner in self.owner.values() if owner == r.address)
                assert culture.balanceOf(r) == held

        @invariant()
        def every_work_has_its_owner(self):
            if not hasattr(self, "snap"):
                return
            for token_id in self.works:
                assert culture.ownerOf(token_id) == self.owner[token_id]
                work = culture.work(token_id)
                assert work.creator == self.creator[token_id]
                # Hiding and gifting rewrite the work word; the URI bits stay.
                assert work.uri == culture.tokenURI(token_id) == self.uri[token_id]
                assert (work.hidden, work.gifted) == (token_id in self.hidden, token_id in self.gifted)

        @invariant()
        def one_like_per_household_and_work(self):
            if not hasattr(self, "snap"):
                return
            for token_id in self.works:
                for hh in set(household.values()):
                    assert culture.liked(hh, token_id) == ((hh, token_id) in self.likes)

        @invariant()
        def likes_within_the_daily_cap(self):
            if not hasattr(self, "snap"):
                return
            for (creator, day), earned in self.earned.items():
                assert earned <= self.cap_max[day]
            for r in residents:
                assert points.balanceOf(r) == self.points_of[r.address]

    run_machine(Culture)
