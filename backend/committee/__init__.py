# SPDX-License-Identifier: AGPL-3.0-only
"""The committee's console in the backend: SafeTx proposals of the committee's Safe
waiting for their members' signatures (backend/committee/store.py), the actions the
console offers (backend/committee/actions.py), and the Safe's views it checks against
(backend/committee/chain.py)."""
