"""Households in tests: a resident's link takes the owner's invitation and the
resident's own acceptance (the registry refuses a link without the wallet's consent)."""

from __future__ import annotations


def link_resident(registry, unit_id, wallet, commitment, owner=None):
    """The unit's owner invites `wallet` and the wallet accepts; returns the acceptance.
    `owner` defaults to the unit's owner wallet as the registry names it."""
    address = getattr(wallet, "address", wallet)
    inviter = owner if owner is not None else registry.unit_owner(unit_id)
    registry.invite_resident(unit_id, address, commitment, sender=inviter)
    return registry.accept_residence(unit_id, commitment, sender=wallet)
