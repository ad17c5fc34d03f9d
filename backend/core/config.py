"""Settings of the indexer and the API: one pydantic `BaseSettings`, env prefix LINLI_.

Every knob the backend has lives here, so an operator finds them in one place:
`LINLI_DATABASE_URL`, `LINLI_RPC_URL`, `LINLI_MANIFEST`, `LINLI_FINALITY_DEPTH`, …
Production refuses the unsafe defaults, and the conveniences of a demo (the public demo
relayer key, CORS `*`, a generated vault key) exist only on a local chain (chain id
31337 or 1337), whatever the environment says.
"""

from __future__ import annotations

import ipaddress
import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / '.linli' / 'linli.db'}"
# The vault's own database: never the index's, which is rebuilt from the chain at will.
DEFAULT_VAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / '.linli' / 'vault.db'}"
# anvil's and Ganache/Hardhat's chain ids: the only chains where the public demo keys and
# the open defaults are allowed.
LOCAL_CHAIN_IDS = frozenset({31337, 1337})


class UnsafeDefault(ValueError):
    """A demo default asked for where it would be unsafe (a chain that is not local)."""


def is_local_chain(chain_id: int | None) -> bool:
    return chain_id in LOCAL_CHAIN_IDS


class Settings(BaseSettings):
    """Configuration shared by the indexer and the read API."""

    model_config = SettingsConfigDict(env_prefix="LINLI_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"

    # Storage: an embedded SQLite file by default, PostgreSQL by URL
    # (postgresql+psycopg://user:pass@host/db).
    database_url: str = DEFAULT_DATABASE_URL
    database_echo: bool = False

    # Chain.
    rpc_url: str = "http://127.0.0.1:8545"
    manifest: Path | None = None
    rpc_timeout_s: float = Field(default=10.0, gt=0, le=300)
    rpc_max_retries: int = Field(default=5, ge=0, le=50)
    rpc_backoff_s: float = Field(default=0.25, gt=0, le=60)
    rpc_backoff_max_s: float = Field(default=8.0, gt=0, le=600)
    # Headers fetched per JSON-RPC batch request (block timestamps and hashes).
    rpc_batch_size: int = Field(default=500, ge=1, le=5000)

    # Indexing.
    # Blocks behind the head that can still be replaced; a deeper reorg halts the indexer.
    finality_depth: int = Field(default=64, ge=1, le=100_000)
    # Largest block range of one eth_getLogs request (halved while the node refuses it).
    max_block_range: int = Field(default=2_000, ge=1, le=1_000_000)
    # Events per database transaction during backfill: the range shrinks to stay near it.
    target_events_per_batch: int = Field(default=20_000, ge=100, le=1_000_000)
    poll_interval_s: float = Field(default=0.25, gt=0, le=60)
    # After catching up with at least this many events written since the last time,
    # refresh PostgreSQL's planner statistics (ANALYZE) instead of leaving a freshly
    # backfilled database to autovacuum's schedule; 0 turns it off.
    analyze_after_events: int = Field(default=50_000, ge=0)
    # Fault injection for the crash tests: "after_rows" kills the process between the
    # rows and the checkpoint of a batch (inside the transaction). Never set in production.
    fault_point: Literal["", "after_rows"] = ""

    # API.
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    # Origins of dashboards on other sites allowed to read the API (CORS). Empty: none but
    # the API's own pages, except on a local chain outside production, where it is "*".
    cors_origins: list[str] = Field(default_factory=list)
    # Under load (backend/api/admission.py): requests run at once, reads (GET, HEAD) and
    # writes (the rest: ballots, sign-in, vault, texts, which may wait on the chain)
    # counted apart so slow writes cannot starve the reads. Beyond, a request waits up to
    # api_queue_wait_s among at most api_queue others, else 503 with Retry-After at once.
    # The database pool and the worker threads are sized from these, never below them.
    # Reads are mostly Python work under one GIL: more than a few at once serve no more,
    # they only slow the event loop that accepts connections and turns requests away.
    api_max_reads: int = Field(default=8, ge=1, le=1000)
    api_max_writes: int = Field(default=8, ge=1, le=1000)
    api_queue: int = Field(default=1024, ge=0, le=100_000)
    api_queue_wait_s: float = Field(default=5.0, ge=0, le=120)
    api_retry_after_s: int = Field(default=2, ge=1, le=3600)
    # How long a request waits for a database connection before answering 503.
    api_pool_timeout_s: float = Field(default=5.0, gt=0, le=120)
    # The district routes' background rebuilds (backend/api/routes/district.py): an answer is
    # rebuilt at most once in this many seconds, and the rebuild thread rests after each
    # rebuild so that it runs at most this share of the time (it competes with requests for the GIL).
    district_rebuild_interval_s: float = Field(default=1.0, ge=0, le=600)
    district_rebuild_share: float = Field(default=0.25, gt=0, le=1)
    # The district answers the page asks first are built when the API starts, in a thread
    # (seconds at 200 communities); a request for an answer whose first build is running
    # waits this long, then 503 with Retry-After, rather than hold one of the reads admitted
    # at once until it is done.
    district_warm_at_start: bool = True
    district_first_wait_s: float = Field(default=1.0, ge=0, le=120)
    # Largest request body by default (bytes); routes that take more say so (the texts).
    api_max_body_bytes: int = Field(default=16 * 1024, ge=0, le=64 * 1024 * 1024)
    # `python -m backend.api`: uvicorn workers, and how long a stop (SIGTERM) waits for the
    # requests in flight before cancelling them.
    api_workers: int = Field(default=1, ge=1, le=64)
    api_graceful_shutdown_s: int = Field(default=5, ge=0, le=600)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (IPs or
    # networks, e.g. ["127.0.0.1"] when nginx runs on the same host). Empty: none; the
    # client is the address that connected, whatever headers it sends.
    trusted_proxies: list[str] = Field(default_factory=list)
    # /metrics (Prometheus) and /docs, /redoc, /openapi.json. None: on, except in production.
    metrics_enabled: bool | None = None
    docs_enabled: bool | None = None
    page_limit_default: int = Field(default=50, ge=1, le=500)
    page_limit_max: int = Field(default=500, ge=1, le=10_000)
    # The health endpoint calls the node with this timeout so a dead node answers fast.
    health_rpc_timeout_s: float = Field(default=1.0, gt=0, le=30)
    # Lag (blocks) above which /health reports the indexer as unhealthy.
    health_max_lag: int = Field(default=20, ge=0)

    # Vault (backend/vault): residents' personal data, encrypted, behind Sign-In with Ethereum.
    # False for processes that never serve it (the indexer), so they need none of its secrets.
    vault_enabled: bool = True
    vault_database_url: str = DEFAULT_VAULT_DATABASE_URL
    # AES-256-GCM key: 32 bytes as 64 hex digits or base64. Outside production a missing key
    # is generated once into vault_key_file (0600) with a warning.
    vault_key: SecretStr | None = None
    # Keys still accepted for decryption while `python -m backend.vault rotate-key` re-encrypts.
    vault_previous_keys: list[SecretStr] = Field(default_factory=list)
    vault_key_file: Path = PROJECT_ROOT / ".linli" / "vault.key"
    # Private key of the vault's DataConsent logger account. On a local chain (31337/1337)
    # the default is anvil's test account 8, the account `ape run deploy` appoints.
    vault_logger_key: SecretStr | None = None
    # Deployment manifests of the communities whose residents' data the vault keeps;
    # empty: LINLI_MANIFEST, else (development only) every deployments/*.json.
    vault_manifests: list[Path] = Field(default_factory=list)
    # What a SIWE message must name: the pages' host[:port] and the URI they sign in to.
    vault_siwe_domain: str = Field(default="127.0.0.1:8000", min_length=1, max_length=253, pattern=r"^[^/?#\s]+$")
    vault_siwe_uri: str = Field(default="http://127.0.0.1:8000", min_length=1, max_length=512)
    # Other origins the same pages are served at (say an intranet address beside the public
    # name, or http://localhost:PORT where a phone's passkey needs a host name, not an IP):
    # a sign-in names the one the page was opened at (the request's Host), any other is refused.
    vault_siwe_also: list[str] = Field(default_factory=list, max_length=8)
    vault_session_lifetime_s: int = Field(default=3600, ge=60, le=7 * 86400)
    vault_nonce_lifetime_s: int = Field(default=300, ge=30, le=3600)
    # Sign-in requests (nonce and login together) per minute, per address and per client IP.
    vault_login_rate_per_minute: int = Field(default=20, ge=1, le=10_000)
    # A grantee's reads (each one a log_access transaction and a line in the resident's
    # access log): per grantee per minute, and per grantee and resident per day.
    vault_reads_per_grantee_per_minute: int = Field(default=10, ge=1, le=10_000)
    vault_reads_per_resident_per_day: int = Field(default=20, ge=1, le=100_000)
    # How long a grantee's read waits for its log_access receipt before giving up (503).
    vault_receipt_timeout_s: float = Field(default=30.0, gt=0, le=600)

    # Public texts (backend/texts), in the vault's database: texts stored per minute by one
    # signed-in wallet, and by one client address (a building may share one behind its Wi-Fi).
    texts_writes_per_minute: int = Field(default=20, ge=1, le=10_000)
    texts_writes_per_minute_per_client: int = Field(default=200, ge=1, le=100_000)
    # Texts one wallet may store per day, and the store's whole size (UTF-8 bytes of the
    # texts kept; removed texts free their bytes): 507 once it is full.
    texts_writes_per_day: int = Field(default=200, ge=1, le=1_000_000)
    texts_max_total_bytes: int = Field(default=1024**3, ge=1)

    # Documents (backend/documents), in the vault's database: the largest file, and files
    # stored per minute by one signed-in wallet (ten times that per client address).
    documents_max_bytes: int = Field(default=10_000_000, ge=1024, le=100_000_000)
    documents_writes_per_minute: int = Field(default=10, ge=1, le=10_000)

    # Notices (backend/notices): owners' receipts accepted per minute per owner and per
    # client; how far an acknowledgement's own time may be from the server's.
    receipts_per_minute_per_owner: int = Field(default=30, ge=1, le=100_000)
    receipts_per_minute_per_client: int = Field(default=6000, ge=1, le=1_000_000)
    receipt_clock_skew_s: int = Field(default=600, ge=10, le=86_400)

    # Directory (backend/directory): signed entries accepted per minute per client and per
    # organisation named; an entry's signed time may run ahead by receipt_clock_skew_s.
    directory_entries_per_minute_per_client: int = Field(default=120, ge=1, le=100_000)
    directory_entries_per_minute_per_organisation: int = Field(default=10, ge=1, le=10_000)

    # Reminders (backend/notify): SMTP for e-mail, an operator's HTTP gateway for SMS or
    # WeChat; retries back off from notify_backoff_s doubling up to notify_backoff_max_s.
    notify_smtp_host: str = "127.0.0.1"
    notify_smtp_port: int = Field(default=25, ge=1, le=65535)
    notify_smtp_from: str = "linli@localhost"
    notify_smtp_starttls: bool = False
    notify_smtp_user: str | None = None
    notify_smtp_password: SecretStr | None = None
    notify_webhook_url: str | None = None
    notify_webhook_secret: SecretStr | None = None
    notify_backoff_s: float = Field(default=30.0, gt=0, le=86_400)
    notify_backoff_max_s: float = Field(default=3600.0, gt=0, le=7 * 86_400)
    notify_max_attempts: int = Field(default=12, ge=1, le=1000)
    notify_lease_s: int = Field(default=120, ge=1, le=86_400)
    notify_timeout_s: float = Field(default=10.0, gt=0, le=300)

    # Resident pages: the JSON-RPC URL residents' wallets add for the community chain
    # (wallet_addEthereumChain); default: rpc_url, right when the node is on the same host.
    public_rpc_url: str | None = None
    chain_name: str = ""  # shown by the wallet; default: "<community name> · Linli"
    native_currency_symbol: str = "ETH"

    # Vote relayer: pays the gas of residents' signed ballots (castVoteBySig).
    # Without LINLI_RELAYER_KEY, a local chain (31337/1337) outside production uses a
    # public demo key; any other chain refuses to relay (503) until a key is given.
    relayer_enabled: bool = True
    relayer_key: SecretStr | None = None
    relayer_receipt_timeout_s: float = Field(default=30.0, gt=0, le=600)
    # The tip per gas the relayer offers, in wei; unset: what the node suggests
    # (eth_maxPriorityFeePerGas). 0 on a private chain that charges nothing for gas (QBFT
    # with a zero base fee and a zero minimum gas price): the relayer then needs no ether.
    relayer_priority_fee_wei: int | None = Field(default=None, ge=0, le=10**15)
    # Requests per window, per voter address and per client address (a whole building
    # may share one address behind the community's Wi-Fi).
    relayer_limit_per_voter: int = Field(default=5, ge=1, le=10_000)
    relayer_limit_per_client: int = Field(default=120, ge=1, le=100_000)
    relayer_limit_window_s: float = Field(default=600.0, gt=0, le=86_400)
    # Passkey accounts' calls relayed per account in the same window (counted only for
    # calls the account's passkey really signed, i.e. that pass the simulation).
    relayer_limit_per_passkey_account: int = Field(default=10, ge=1, le=10_000)
    # What the relayer may spend per community per Beijing day, for every route together
    # (ballots, passkey calls, passkey accounts' creation): wei (gas used × effective gas
    # price) and transactions. A zero-price chain spends no wei, so there the count is the
    # budget. Beyond either: 503 budget_exhausted with Retry-After to the next midnight.
    relayer_daily_budget_wei: int = Field(default=10**18, ge=0, le=10**30)
    relayer_daily_budget_transactions: int = Field(default=2_000, ge=0, le=10_000_000)

    @field_validator("relayer_key")
    @classmethod
    def _relayer_key_is_a_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            digits = value.get_secret_value().strip().removeprefix("0x")
            if len(digits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError("LINLI_RELAYER_KEY must be a private key: 64 hex digits")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"LINLI_TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> "Settings":
        if self.environment == "production":
            if "*" in self.cors_origins:
                raise ValueError("LINLI_CORS_ORIGINS must name the dashboards' origins in production, not '*'")
            if self.fault_point:
                raise ValueError("LINLI_FAULT_POINT is a test hook and must be empty in production")
            if self.vault_enabled and self.vault_key is None:
                raise ValueError("LINLI_VAULT_KEY must be set in production (32 bytes, hex or base64); "
                                 "a generated key file is for development only")
            if self.vault_enabled and self.vault_logger_key is None:
                raise ValueError("LINLI_VAULT_LOGGER_KEY must be set in production: the key of the account "
                                 "the committee appointed DataConsent logger")
            if self.relayer_enabled and self.relayer_key is None:
                raise ValueError("LINLI_RELAYER_KEY must name the vote relayer's key in production "
                                 "(or LINLI_RELAYER_ENABLED=false)")
            if self.relayer_key is not None and _same_key(self.relayer_key.get_secret_value(), _demo_relayer_key()):
                raise ValueError("LINLI_RELAYER_KEY is the public demo key; use a key of your own in production")
        return self

    def relayer_private_key(self, chain_id: int) -> str:
        """The relayer's key on chain `chain_id`: LINLI_RELAYER_KEY, else on a local chain the
        public demo key. UnsafeDefault when the demo key (derivable by anyone from the source)
        would sign on any other chain, or in production."""
        demo = _demo_relayer_key()
        if self.relayer_key is None:
            key = demo
        else:
            key = self.relayer_key.get_secret_value().strip()
            key = key if key.startswith("0x") else "0x" + key
        if key.lower() == demo and (self.environment == "production" or not is_local_chain(chain_id)):
            if self.relayer_key is None:
                raise UnsafeDefault(f"LINLI_RELAYER_KEY is not set: the public demo key signs only on a local chain "
                                    f"(31337/1337), not on chain {chain_id}")
            raise UnsafeDefault(f"LINLI_RELAYER_KEY is the public demo key: it signs only on a local chain "
                                f"(31337/1337), not on chain {chain_id}")
        return key

    def manifest_chain_id(self) -> int | None:
        """The chain id LINLI_MANIFEST names, or None (no manifest, or unreadable)."""
        if self.manifest is None:
            return None
        try:
            return int(json.loads(Path(self.manifest).read_text())["chain_id"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def allowed_origins(self, chain_id: int | None) -> list[str]:
        """CORS origins: the ones named, else "*" on a local chain outside production, else none."""
        if self.cors_origins:
            return list(self.cors_origins)
        if self.environment != "production" and is_local_chain(chain_id):
            return ["*"]
        return []

    def serves_metrics(self) -> bool:
        return self.metrics_enabled if self.metrics_enabled is not None else self.environment != "production"

    def serves_docs(self) -> bool:
        return self.docs_enabled if self.docs_enabled is not None else self.environment != "production"

    def pool_size(self) -> int:
        """Database connections an API process may hold: one per request it runs at once."""
        return self.api_max_reads + self.api_max_writes

    def worker_threads(self) -> int:
        """Threads for sync routes and dependencies: every admitted request gets one, with room
        for file serving; anyio's default (40) is the floor."""
        return max(40, self.pool_size() + 8)

    def wallet_rpc_url(self) -> str:
        return self.public_rpc_url or self.rpc_url


def _same_key(given: str, key: str) -> bool:
    given = given.strip().lower()
    return (given if given.startswith("0x") else "0x" + given) == key.lower()


def _demo_relayer_key() -> str:
    from backend.chain.demo import demo_key

    return demo_key("relayer")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
