"""The relayer: pays the gas of what residents signed, under a policy (passkey accounts'
calls in backend/relayer/passkeys.py; the ballot relayer is backend/chain/relayer.py)."""
