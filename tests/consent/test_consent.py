"""DataConsent: grants, renewals, revocations, access logs, loggers, the expiry
boundary, grantee roles, views and the deploy helper."""

from __future__ import annotations

import ape
import pytest

from backend.chain.deploy_consent import deploy_suggestions_and_consent
from tests.consent.conftest import ADDRESS, DAY, ID_NUMBER, MAX_GRANT_DURATION, PHONE, h
from tests.utils.reverts import assert_deploy_reverts

ZERO = b"\x00" * 32
ZERO_ADDRESS = "0x" + "0" * 40


# ---------------------------------------------------------------- grant


def test_grant(consent, chain, owner_a, owner_b, provider, roles):
    expiry = chain.pending_timestamp + 7 * DAY
    tx = consent.grant(provider, PHONE, expiry, h("request 12"), sender=owner_a)
    [log] = tx.decode_logs(consent.ConsentGranted)
    now = chain.blocks.head.timestamp
    assert (log.resident, log.grantee, log.scope) == (owner_a.address, provider.address, PHONE)
    assert (log.version, log.expiry, log.granted_at, log.replaces) == (1, expiry, now, 0)
    assert (log.reference, log.grantee_role) == (h("request 12"), roles["provider"])
    g = consent.grant_of(owner_a, provider, PHONE)
    assert (g.version, g.expiry, g.granted_at, g.revoked_at, g.grantee_role, g.live) == (1, expiry, now, 0, roles["provider"], True)
    assert consent.has_live_grant(owner_a, provider, PHONE)
    # Only that scope, that grantee, that resident.
    assert not consent.has_live_grant(owner_a, provider, ADDRESS)
    assert not consent.has_live_grant(owner_b, provider, PHONE)


@pytest.mark.parametrize("grantee,role", [("provider", "provider"), ("manager", "manager"), ("merchant", "merchant"), ("committee", "committee")])
def test_grant_records_the_grantee_role(consent, chain, tenant, grantee, role, roles, request):
    who = request.getfixturevalue(grantee)
    tx = consent.grant(who, ID_NUMBER, chain.pending_timestamp + DAY, ZERO, sender=tenant)
    assert tx.decode_logs(consent.ConsentGranted)[0].grantee_role == roles[role]
    assert consent.grant_of(tenant, who, ID_NUMBER).grantee_role == roles[role]


def test_empty_grant_view(consent, owner_a, provider):
    g = consent.grant_of(owner_a, provider, PHONE)
    assert (g.version, g.expiry, g.granted_at, g.revoked_at, g.grantee_role, g.live) == (0, 0, 0, 0, ZERO, False)
    assert not consent.has_live_grant(owner_a, provider, PHONE)


@pytest.mark.parametrize("grantee", ["attacker", "owner_b", "tenant"])
def test_grant_refused_to_parties_without_a_service_role(consent, chain, owner_a, grantee, request):
    with ape.reverts("consent: grantee holds no service role"):
        consent.grant(request.getfixturevalue(grantee), PHONE, chain.pending_timestamp + DAY, ZERO, sender=owner_a)
    with ape.reverts("consent: grantee holds no service role"):
        consent.grant(ZERO_ADDRESS, PHONE, chain.pending_timestamp + DAY, ZERO, sender=owner_a)


@pytest.mark.parametrize("who", ["attacker", "merchant", "manager", "committee"])
def test_grant_refused_to_non_members(consent, chain, provider, who, request):
    with ape.reverts("consent: residents only"):
        consent.grant(provider, PHONE, chain.pending_timestamp + DAY, ZERO, sender=request.getfixturevalue(who))


def test_grant_refuses_bad_arguments(consent, chain, registry, roles, committee, owner_a, owner_c, provider):
    with ape.reverts("consent: empty scope"):
        consent.grant(provider, ZERO, chain.pending_timestamp + DAY, ZERO, sender=owner_a)
    registry.grantRole(roles["provider"], owner_c, sender=committee)
    with ape.reverts("consent: cannot grant to yourself"):
        consent.grant(owner_c, PHONE, chain.pending_timestamp + DAY, ZERO, sender=owner_c)
    now = chain.pending_timestamp
    chain.pending_timestamp = now
    with ape.reverts("consent: expiry not in the future"):
        consent.grant(provider, PHONE, now, ZERO, sender=owner_a)
    chain.pending_timestamp = now
    with ape.reverts("consent: expiry too far"):
        consent.grant(provider, PHONE, now + MAX_GRANT_DURATION + 1, ZERO, sender=owner_a)
    chain.pending_timestamp = now
    consent.grant(provider, PHONE, now + MAX_GRANT_DURATION, ZERO, sender=owner_a)
    assert consent.grant_of(owner_a, provider, PHONE).expiry == now + MAX_GRANT_DURATION


def test_grant_again_while_live_supersedes(consent, chain, granted, owner_a, provider):
    expiry = chain.pending_timestamp + 30 * DAY
    tx = consent.grant(provider, PHONE, expiry, h("request 13"), sender=owner_a)
    [log] = tx.decode_logs(consent.ConsentGranted)
    assert (log.version, log.replaces, log.expiry, log.reference) == (2, 1, expiry, h("request 13"))
    tx = consent.log_access(owner_a, provider, PHONE, h("call"), sender=provider)
    assert tx.decode_logs(consent.AccessLogged)[0].version == 2


# ---------------------------------------------------------------- expiry boundary


def test_expiry_boundary(consent, chain, granted, owner_a, provider, vault):
    expiry = granted
    chain.pending_timestamp = expiry - 1
    tx = consent.log_access(owner_a, provider, PHONE, h("last second"), sender=vault)
    assert tx.decode_logs(consent.AccessLogged)[0].accessed_at == expiry - 1
    assert consent.has_live_grant(owner_a, provider, PHONE), "live while block.timestamp < expiry"
    chain.pending_timestamp = expiry
    with ape.reverts("consent: no live grant"):
        consent.log_access(owner_a, provider, PHONE, h("too late"), sender=vault)
    chain.mine(timestamp=expiry)
    assert not consent.has_live_grant(owner_a, provider, PHONE)
    assert not consent.grant_of(owner_a, provider, PHONE).live


def test_expired_grant_can_be_granted_again(consent, chain, granted, owner_a, provider):
    chain.mine(timestamp=granted)
    with ape.reverts("consent: no live grant"):
        consent.renew(provider, PHONE, chain.pending_timestamp + DAY, sender=owner_a)
    with ape.reverts("consent: nothing to revoke"):
        consent.revoke(provider, PHONE, sender=owner_a)
    tx = consent.grant(provider, PHONE, chain.pending_timestamp + DAY, ZERO, sender=owner_a)
    assert (tx.decode_logs(consent.ConsentGranted)[0].version, tx.decode_logs(consent.ConsentGranted)[0].replaces) == (2, 0)
    assert consent.has_live_grant(owner_a, provider, PHONE)


# ---------------------------------------------------------------- renew


def test_renew(consent, chain, granted, owner_a, provider):
    before = consent.grant_of(owner_a, provider, PHONE)
    expiry = chain.pending_timestamp + 90 * DAY
    tx = consent.renew(provider, PHONE, expiry, sender=owner_a)
    [log] = tx.decode_logs(consent.ConsentRenewed)
    assert (log.resident, log.grantee, log.scope) == (owner_a.address, provider.address, PHONE)
    assert (log.version, log.previous_expiry, log.expiry, log.renewed_at) == (1, granted, expiry, chain.blocks.head.timestamp)
    after = consent.grant_of(owner_a, provider, PHONE)
    assert (after.version, after.granted_at, after.expiry) == (1, before.granted_at, expiry)
    chain.pending_timestamp = granted + 1
    consent.log_access(owner_a, provider, PHONE, h("after the old expiry"), sender=provider)
    # Shortening is allowed too.
    short = chain.pending_timestamp + 60
    consent.renew(provider, PHONE, short, sender=owner_a)
    assert consent.grant_of(owner_a, provider, PHONE).expiry == short


def test_renew_refusals(consent, chain, granted, owner_a, owner_c, provider, attacker):
    now = chain.pending_timestamp
    chain.pending_timestamp = now
    with ape.reverts("consent: expiry not in the future"):
        consent.renew(provider, PHONE, now, sender=owner_a)
    chain.pending_timestamp = now
    with ape.reverts("consent: expiry too far"):
        consent.renew(provider, PHONE, now + MAX_GRANT_DURATION + 1, sender=owner_a)
    # Renewing someone else's grant means renewing your own, which does not exist.
    with ape.reverts("consent: no live grant"):
        consent.renew(provider, PHONE, now + DAY, sender=attacker)
    with ape.reverts("consent: no live grant"):
        consent.renew(provider, ADDRESS, now + DAY, sender=owner_a)
    consent.revoke(provider, PHONE, sender=owner_a)
    with ape.reverts("consent: no live grant"):
        consent.renew(provider, PHONE, chain.pending_timestamp + DAY, sender=owner_a)


# ---------------------------------------------------------------- revoke


def test_revoke_then_regrant(consent, chain, granted, owner_a, provider, vault):
    tx = consent.revoke(provider, PHONE, sender=owner_a)
    [log] = tx.decode_logs(consent.ConsentRevoked)
    now = chain.blocks.head.timestamp
    assert (log.resident, log.grantee, log.scope, log.version, log.expiry, log.revoked_at) == (
        owner_a.address, provider.address, PHONE, 1, granted, now
    )
    g = consent.grant_of(owner_a, provider, PHONE)
    assert (g.revoked_at, g.live, g.version) == (now, False, 1)
    with ape.reverts("consent: no live grant"):
        consent.log_access(owner_a, provider, PHONE, h("x"), sender=vault)
    with ape.reverts("consent: no live grant"):
        consent.log_access(owner_a, provider, PHONE, h("x"), sender=provider)
    with ape.reverts("consent: nothing to revoke"):
        consent.revoke(provider, PHONE, sender=owner_a)

    tx = consent.grant(provider, PHONE, granted, h("request 14"), sender=owner_a)
    assert (tx.decode_logs(consent.ConsentGranted)[0].version, tx.decode_logs(consent.ConsentGranted)[0].replaces) == (2, 0)
    g = consent.grant_of(owner_a, provider, PHONE)
    assert (g.revoked_at, g.live, g.version) == (0, True, 2)
    tx = consent.log_access(owner_a, provider, PHONE, h("y"), sender=vault)
    assert tx.decode_logs(consent.AccessLogged)[0].version == 2


def test_revoke_refusals(consent, granted, owner_a, owner_b, provider, merchant, attacker):
    for who in (attacker, owner_b):  # their own (missing) grants: they cannot touch owner_a's
        with ape.reverts("consent: nothing to revoke"):
            consent.revoke(provider, PHONE, sender=who)
    with ape.reverts("consent: nothing to revoke"):
        consent.revoke(merchant, PHONE, sender=owner_a)
    assert consent.has_live_grant(owner_a, provider, PHONE)


def test_former_member_can_revoke_but_not_grant(consent, chain, registry, owner_b, tenant, provider):
    consent.grant(provider, ADDRESS, chain.pending_timestamp + DAY, ZERO, sender=tenant)
    registry.unlink_resident(tenant, sender=owner_b)
    with ape.reverts("consent: residents only"):
        consent.grant(provider, PHONE, chain.pending_timestamp + DAY, ZERO, sender=tenant)
    consent.revoke(provider, ADDRESS, sender=tenant)
    assert not consent.has_live_grant(tenant, provider, ADDRESS)


# ---------------------------------------------------------------- log access


def test_log_access_by_grantee_and_by_logger(consent, chain, granted, owner_a, provider, vault):
    tx = consent.log_access(owner_a, provider, PHONE, h("call about request 12"), sender=provider)
    [log] = tx.decode_logs(consent.AccessLogged)
    assert (log.resident, log.grantee, log.scope, log.version) == (owner_a.address, provider.address, PHONE, 1)
    assert (log.purpose_hash, log.accessed_at, log.logged_by) == (h("call about request 12"), chain.blocks.head.timestamp, provider.address)
    tx = consent.log_access(owner_a, provider, PHONE, h("vault read"), sender=vault)
    [log] = tx.decode_logs(consent.AccessLogged)
    assert (log.grantee, log.logged_by) == (provider.address, vault.address)


@pytest.mark.parametrize("who", ["attacker", "merchant", "manager", "owner_a", "committee"])
def test_log_access_refused_to_others(consent, granted, owner_a, provider, who, request):
    with ape.reverts("consent: grantee or logger only"):
        consent.log_access(owner_a, provider, PHONE, h("x"), sender=request.getfixturevalue(who))


def test_log_access_refusals(consent, chain, granted, owner_a, owner_b, provider, merchant, vault):
    with ape.reverts("consent: purpose required"):
        consent.log_access(owner_a, provider, PHONE, ZERO, sender=provider)
    with ape.reverts("consent: no live grant"):  # other scope
        consent.log_access(owner_a, provider, ADDRESS, h("x"), sender=provider)
    with ape.reverts("consent: no live grant"):  # other resident
        consent.log_access(owner_b, provider, PHONE, h("x"), sender=provider)
    with ape.reverts("consent: no live grant"):  # other grantee (itself)
        consent.log_access(owner_a, merchant, PHONE, h("x"), sender=merchant)
    with ape.reverts("consent: no live grant"):  # other grantee, through the vault
        consent.log_access(owner_a, merchant, PHONE, h("x"), sender=vault)


def test_grantee_losing_its_role_loses_access(consent, chain, registry, roles, committee, granted, owner_a, provider, vault):
    registry.revokeRole(roles["provider"], provider, sender=committee)
    assert not consent.has_live_grant(owner_a, provider, PHONE)
    with ape.reverts("consent: no live grant"):
        consent.log_access(owner_a, provider, PHONE, h("x"), sender=vault)
    with ape.reverts("consent: no live grant"):
        consent.renew(provider, PHONE, chain.pending_timestamp + DAY, sender=owner_a)
    with ape.reverts("consent: grantee holds no service role"):
        consent.grant(provider, PHONE, chain.pending_timestamp + DAY, ZERO, sender=owner_a)
    # The role comes back: the same grant is live again, unless the resident revoked meanwhile.
    registry.grantRole(roles["provider"], provider, sender=committee)
    assert consent.has_live_grant(owner_a, provider, PHONE)
    registry.revokeRole(roles["provider"], provider, sender=committee)
    consent.revoke(provider, PHONE, sender=owner_a)
    registry.grantRole(roles["provider"], provider, sender=committee)
    assert not consent.has_live_grant(owner_a, provider, PHONE)


def test_recorded_role_is_the_one_checked(consent, chain, registry, roles, committee, owner_a, manager):
    """A manager who is also made a provider keeps the role the grant was made under."""
    consent.grant(manager, PHONE, chain.pending_timestamp + DAY, ZERO, sender=owner_a)
    assert consent.grant_of(owner_a, manager, PHONE).grantee_role == roles["manager"]
    registry.grantRole(roles["provider"], manager, sender=committee)
    registry.revokeRole(roles["manager"], manager, sender=committee)
    assert not consent.has_live_grant(owner_a, manager, PHONE)


# ---------------------------------------------------------------- loggers


def test_set_logger(consent, chain, granted, committee, owner_a, provider, vault, attacker, manager, merchant):
    tx = consent.set_logger(merchant, True, sender=committee)
    [log] = tx.decode_logs(consent.LoggerSet)
    assert (log.account, log.enabled, log.set_by) == (merchant.address, True, committee.address)
    assert consent.is_logger(merchant)
    consent.log_access(owner_a, provider, PHONE, h("x"), sender=merchant)
    tx = consent.set_logger(vault, False, sender=committee)
    assert not tx.decode_logs(consent.LoggerSet)[0].enabled
    assert not consent.is_logger(vault)
    with ape.reverts("consent: grantee or logger only"):
        consent.log_access(owner_a, provider, PHONE, h("x"), sender=vault)
    with ape.reverts("consent: logger is the zero address"):
        consent.set_logger(ZERO_ADDRESS, True, sender=committee)


@pytest.mark.parametrize("who", ["attacker", "manager", "owner_a", "vault"])
def test_set_logger_refused_to_others(consent, attacker, who, request):
    with ape.reverts("consent: assembly only"):
        consent.set_logger(attacker, True, sender=request.getfixturevalue(who))
    assert not consent.is_logger(attacker)


# ---------------------------------------------------------------- deploy


def test_deploy_helper_appoints_the_vault(project, chain, committee, populated, vault, consent):
    assert consent.registry() == populated.registry.address
    assert consent.is_logger(vault)
    plain = deploy_suggestions_and_consent(project, chain, committee, populated)["DataConsent"]
    assert not plain.is_logger(vault)
    assert plain.MAX_GRANT_DURATION() == MAX_GRANT_DURATION


def test_constructor_logs_the_logger(project, chain, committee, registry, vault):
    consent = committee.deploy(project.DataConsent, registry, vault)
    assert consent.is_logger(vault)
    # The deployment's own receipt (an account's history can lag in a long session).
    [log] = chain.provider.get_receipt(consent.txn_hash).decode_logs(consent.LoggerSet)
    assert (log.account, log.enabled, log.set_by) == (vault.address, True, committee.address)


def test_constructor_refusals(project, chain, committee, vault):
    assert_deploy_reverts(chain, project.DataConsent, [ZERO_ADDRESS, vault], committee, "consent: registry is the zero address")
