"""The page's configuration, from the deployment manifest: chain, contracts, ABIs, relayer."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from eth_account import Account
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import Headers

from backend.web.compression import accepts_gzip, compress

from backend.chain.deployment import ManifestError, read_manifest
from backend.core.config import Settings, UnsafeDefault

router = APIRouter(tags=["pages"])

# ABI entries the page calls or decodes: functions and the errors; events come from the API.
ABI_KINDS = {"function", "error"}

_cache: dict[tuple[str, float], dict[str, Any]] = {}
_cache_lock = threading.Lock()


def _manifest(path: Path) -> dict[str, Any]:
    """The manifest, re-read only when the file changes (a redeploy of the demo)."""
    try:
        key = (str(path), path.stat().st_mtime)
    except FileNotFoundError as exc:
        raise ManifestError(f"no deployment manifest at {path}") from exc
    with _cache_lock:
        if key not in _cache:
            _cache.clear()
            _cache[key] = read_manifest(path)
        return _cache[key]


def page_config(settings: Settings) -> dict[str, Any]:
    if settings.manifest is None:
        raise HTTPException(status_code=503, detail="the backend was started without a deployment manifest: "
                                                    "set LINLI_MANIFEST to deployments/<network>-<chain id>.json")
    try:
        manifest = _manifest(Path(settings.manifest))
    except ManifestError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    community = manifest["community"].lower()
    chain_id = int(manifest["chain_id"])
    name = manifest.get("name", "")
    relayer = None
    if settings.relayer_enabled:
        try:
            key = settings.relayer_private_key(chain_id)
        except UnsafeDefault:
            key = None  # no key of its own on this chain: residents vote from their wallet
        if key is not None:
            relayer = {"address": Account.from_key(key).address.lower(),
                       "path": f"/api/v1/communities/{community}/assembly/ballots"}
    # Residents without a wallet: a passkey account, created and relayed by the relayer.
    passkeys = None
    if relayer is not None and "PasskeyAccountFactory" in manifest["contracts"]:
        passkeys = {"register": f"/api/v1/communities/{community}/passkeys",
                    "calls": f"/api/v1/communities/{community}/passkeys/calls"}
    return {
        "community": community,
        "name": name,
        "chain_id": chain_id,
        "chain_id_hex": hex(chain_id),
        # What wallet_addEthereumChain needs to add the community's chain to the wallet.
        "chain": {"chainId": hex(chain_id), "chainName": settings.chain_name or f"{name} · Linli",
                  "rpcUrls": [settings.wallet_rpc_url()],
                  "nativeCurrency": {"name": settings.native_currency_symbol,
                                     "symbol": settings.native_currency_symbol, "decimals": 18}},
        "api": f"/api/v1/communities/{community}",
        "deploy_block": int(manifest["deploy_block"]),
        "contracts": {
            contract: {"address": entry["address"],
                       "abi": [item for item in entry.get("abi", []) if item.get("type") in ABI_KINDS]}
            for contract, entry in manifest["contracts"].items()
        },
        "relayer": relayer,
        "passkeys": passkeys,
    }


_gzipped: dict[bytes, bytes] = {}  # sha256 of the JSON -> its gzip (one entry: the manifest in force)


@router.get("/pages/config", include_in_schema=False)
def config(request: Request) -> Response:
    body = json.dumps(page_config(request.app.state.settings), separators=(",", ":")).encode()
    headers = {"vary": "Accept-Encoding", "cache-control": "no-cache"}
    if not accepts_gzip(Headers(scope=request.scope)):
        return Response(body, media_type="application/json", headers=headers)
    key = hashlib.sha256(body).digest()
    with _cache_lock:
        gzipped = _gzipped.get(key)
    if gzipped is None:
        gzipped = compress(body)
        with _cache_lock:
            _gzipped.clear()
            _gzipped[key] = gzipped
    return Response(gzipped, media_type="application/json", headers={**headers, "content-encoding": "gzip"})
