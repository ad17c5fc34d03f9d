"""The personal-data vault: residents' profile fields encrypted at rest (AES-256-GCM),
read by the resident after Sign-In with Ethereum and by a grantee only under a live
DataConsent grant, logged on chain before the answer.

- crypto.py: keys, key ids, per-field sealing bound to (community, resident, field)
- fields.py: the profile fields and the scopes that open them
- models.py, db.py, migrations/: the vault's own database and Alembic history
- siwe_auth.py: nonces, EIP-4361 verification, sessions, sign-in rate limits
- chain.py: grants and roles by eth_call, log_access by the vault's logger key
- store.py: encrypted fields, served reads, key rotation
- service.py: each operation the routes (backend/api/routes/vault.py) expose
- __main__.py: `python -m backend.vault upgrade | rotate-key | new-key`
"""
