"""Stateful invariant: an access log is accepted iff a live grant exists for
(resident, grantee, scope) at that block's time (granted, not revoked, before its
expiry, grantee still holding its role), and the logged version is the live grant's;
`has_live_grant` agrees with the model after every step."""

from __future__ import annotations

import ape
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from tests.consent.conftest import ADDRESS, DAY, PHONE, h
from tests.utils.stateful import run_machine

pytestmark = pytest.mark.in_process


def test_log_accepted_iff_live_grant(consent, chain, registry, roles, committee, owner_a, tenant, provider, merchant, vault, attacker):
    residents = [owner_a, tenant]
    grantees = [provider, merchant]
    scopes = [PHONE, ADDRESS]
    key = st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(0, 1))

    class Consent(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.snapshot = chain.snapshot()
            self.now = chain.pending_timestamp + 10
            self.grants: dict[tuple, dict] = {}
            self.versions: dict[tuple, int] = {}
            self.has_role = {provider.address: True, merchant.address: True}

        def teardown(self):
            chain.restore(self.snapshot)

        def at_next(self, step: int = 1) -> int:
            """The next transaction is mined exactly `step` seconds after the last one."""
            self.now += step
            chain.pending_timestamp = self.now
            return self.now

        def live(self, k, t) -> bool:
            g = self.grants.get(k)
            return bool(g) and not g["revoked"] and t < g["expiry"] and self.has_role[grantees[k[1]].address]

        @rule(k=key, duration=st.integers(1, 2 * DAY))
        def grant(self, k, duration):
            r, g, s = k
            t = self.at_next()
            expected_replaces = self.versions.get(k, 0) if self.live(k, t) else 0
            if not self.has_role[grantees[g].address]:
                with ape.reverts("consent: grantee holds no service role"):
                    consent.grant(grantees[g], scopes[s], t + duration, h("ref"), sender=residents[r])
                return
            tx = consent.grant(grantees[g], scopes[s], t + duration, h("ref"), sender=residents[r])
            [log] = tx.decode_logs(consent.ConsentGranted)
            self.versions[k] = self.versions.get(k, 0) + 1
            assert (log.version, log.replaces, log.expiry) == (self.versions[k], expected_replaces, t + duration)
            self.grants[k] = {"expiry": t + duration, "revoked": False}

        @rule(k=key, duration=st.integers(1, 2 * DAY))
        def renew(self, k, duration):
            r, g, s = k
            t = self.at_next()
            if not self.live(k, t):
                with ape.reverts("consent: no live grant"):
                    consent.renew(grantees[g], scopes[s], t + duration, sender=residents[r])
                return
            consent.renew(grantees[g], scopes[s], t + duration, sender=residents[r])
            self.grants[k]["expiry"] = t + duration

        @rule(k=key)
        def revoke(self, k):
            r, g, s = k
            t = self.at_next()
            grant = self.grants.get(k)
            if not grant or grant["revoked"] or t >= grant["expiry"]:
                with ape.reverts("consent: nothing to revoke"):
                    consent.revoke(grantees[g], scopes[s], sender=residents[r])
                return
            consent.revoke(grantees[g], scopes[s], sender=residents[r])
            grant["revoked"] = True

        @rule(k=key, through_vault=st.booleans())
        def log_access(self, k, through_vault):
            r, g, s = k
            t = self.at_next()
            sender = vault if through_vault else grantees[g]
            if not self.live(k, t):
                with ape.reverts("consent: no live grant"):
                    consent.log_access(residents[r], grantees[g], scopes[s], h("read"), sender=sender)
                return
            tx = consent.log_access(residents[r], grantees[g], scopes[s], h("read"), sender=sender)
            [log] = tx.decode_logs(consent.AccessLogged)
            assert (log.version, log.accessed_at, log.logged_by) == (self.versions[k], t, sender.address)

        @rule(k=key)
        def attacker_logs(self, k):
            r, g, s = k
            self.at_next()  # a refused transaction is still mined: keep the clock ours
            with ape.reverts("consent: grantee or logger only"):
                consent.log_access(residents[r], grantees[g], scopes[s], h("steal"), sender=attacker)

        @rule()
        def toggle_provider_role(self):
            self.at_next()
            if self.has_role[provider.address]:
                registry.revokeRole(roles["provider"], provider, sender=committee)
            else:
                registry.grantRole(roles["provider"], provider, sender=committee)
            self.has_role[provider.address] = not self.has_role[provider.address]

        @rule(seconds=st.sampled_from([1, 60, DAY // 2, DAY, 2 * DAY]))
        def wait(self, seconds):
            self.now += seconds - 1

        @invariant()
        def views_agree(self):
            head = chain.blocks.head.timestamp
            for r in range(2):
                for g in range(2):
                    for s in range(2):
                        k = (r, g, s)
                        assert consent.has_live_grant(residents[r], grantees[g], scopes[s]) == self.live(k, head), k

    run_machine(Consent)
