"""Stateful invariant: points are minted at most once per suggestion and only when
it is accepted; every answer is accepted or refused exactly as the status table and
the roles say."""

from __future__ import annotations

import ape
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from tests.suggestions.conftest import ACCEPTED, ALLOWED, DECLINED, DONE, IN_PROGRESS, REWARD, SUBMITTED, h
from tests.utils.stateful import run_machine

pytestmark = pytest.mark.in_process

ZERO = b"\x00" * 32


def test_points_once_and_only_on_acceptance(box, chain, points, committee, manager, owner_a, owner_c, tenant, attacker):
    submitters = [owner_a, owner_c, tenant]
    answerers = [manager, committee, attacker]

    class Suggestions(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.snapshot = chain.snapshot()
            self.status: dict[int, int] = {}
            self.submitter: dict[int, int] = {}
            self.mints: dict[int, int] = {}
            self.earned = [0, 0, 0]
            self.rate = REWARD

        def teardown(self):
            chain.restore(self.snapshot)

        @rule(who=st.integers(0, 2))
        def submit(self, who):
            tx = box.submit(1, h("idea"), sender=submitters[who])
            sid = tx.decode_logs(box.SuggestionSubmitted)[0].suggestion_id
            assert sid == len(self.status) + 1
            self.status[sid] = SUBMITTED
            self.submitter[sid] = who
            self.mints[sid] = 0

        @rule(data=st.data(), status=st.integers(0, 7), who=st.integers(0, 2), with_text=st.booleans())
        def answer(self, data, status, who, with_text):
            sid = data.draw(st.integers(1, len(self.status) + 1))
            response = h("answer") if with_text else ZERO
            current = self.status.get(sid)
            if who == 2:
                reason = "suggestions: committee or manager only"
            elif current is None:
                reason = "suggestions: unknown suggestion"
            elif current in (DONE, DECLINED):
                reason = "suggestions: suggestion is closed"
            elif not 2 <= status <= 6:
                reason = "suggestions: unknown status"
            elif (current, status) not in ALLOWED:
                reason = "suggestions: transition not allowed"
            elif status == DECLINED and not with_text:
                reason = "suggestions: a decline needs a response"
            else:
                reason = None
            if reason:
                with ape.reverts(reason):
                    box.answer(sid, status, response, sender=answerers[who])
                return
            tx = box.answer(sid, status, response, sender=answerers[who])
            minted = tx.decode_logs(points.PointsMinted)
            if status == ACCEPTED and self.rate:
                assert [(m.to, m.amount, m.reason) for m in minted] == [(submitters[self.submitter[sid]].address, self.rate, 7)]
                self.mints[sid] += 1
                self.earned[self.submitter[sid]] += self.rate
            else:
                assert not minted
            self.status[sid] = status

        @rule(rate=st.integers(0, 50))
        def set_rate(self, rate):
            box.set_reward_rate(rate, sender=committee)
            self.rate = rate

        @invariant()
        def minted_once_and_only_on_acceptance(self):
            for sid, count in self.mints.items():
                assert count <= 1
                if count:
                    assert self.status[sid] in (ACCEPTED, IN_PROGRESS, DONE)
            for who, account in enumerate(submitters):
                assert points.balanceOf(account) == self.earned[who]

    run_machine(Suggestions)
