# SPDX-License-Identifier: AGPL-3.0-only
"""The public directory of organisations (merchants, providers, the property company,
payees of expenses, organisers of activities): a display name, a category and a contact
for a wallet, signed by the wallet it describes or set by the owners' committee, kept in
the vault's database (revision v0006). People are never named here.
"""
