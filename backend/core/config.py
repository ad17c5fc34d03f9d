"""Settings of the indexer and the API: one pydantic `BaseSettings`, env prefix LINLI_.

Every knob the backend has lives here, so an operator finds them in one place:
`LINLI_DATABASE_URL`, `LINLI_RPC_URL`, `LINLI_MANIFEST`, `LINLI_FINALITY_DEPTH`, …
Outside development the settings refuse the unsafe defaults (an open CORS policy).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / '.linli' / 'linli.db'}"
# The vault's own database: never the index's, which is rebuilt from the chain at will.
DEFAULT_VAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / '.linli' / 'vault.db'}"


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
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
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
    vault_session_lifetime_s: int = Field(default=3600, ge=60, le=7 * 86400)
    vault_nonce_lifetime_s: int = Field(default=300, ge=30, le=3600)
    # Sign-in requests (nonce and login together) per minute, per address and per client IP.
    vault_login_rate_per_minute: int = Field(default=20, ge=1, le=10_000)
    # How long a grantee's read waits for its log_access receipt before giving up (503).
    vault_receipt_timeout_s: float = Field(default=30.0, gt=0, le=600)

    # Public texts (backend/texts), in the vault's database: texts stored per minute by one
    # signed-in wallet, and by one client address (a building may share one behind its Wi-Fi).
    texts_writes_per_minute: int = Field(default=20, ge=1, le=10_000)
    texts_writes_per_minute_per_client: int = Field(default=200, ge=1, le=100_000)

    # Documents (backend/documents), in the vault's database: the largest file, and files
    # stored per minute by one signed-in wallet (ten times that per client address).
    documents_max_bytes: int = Field(default=10_000_000, ge=1024, le=100_000_000)
    documents_writes_per_minute: int = Field(default=10, ge=1, le=10_000)

    # Notices (backend/notices): owners' receipts accepted per minute per owner and per
    # client; how far an acknowledgement's own time may be from the server's.
    receipts_per_minute_per_owner: int = Field(default=30, ge=1, le=100_000)
    receipts_per_minute_per_client: int = Field(default=6000, ge=1, le=1_000_000)
    receipt_clock_skew_s: int = Field(default=600, ge=10, le=86_400)

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
    # Without LINLI_RELAYER_KEY, development and test use a public demo key.
    relayer_enabled: bool = True
    relayer_key: SecretStr | None = None
    relayer_receipt_timeout_s: float = Field(default=30.0, gt=0, le=600)
    # Requests per window, per voter address and per client address (a whole building
    # may share one address behind the community's Wi-Fi).
    relayer_limit_per_voter: int = Field(default=5, ge=1, le=10_000)
    relayer_limit_per_client: int = Field(default=120, ge=1, le=100_000)
    relayer_limit_window_s: float = Field(default=600.0, gt=0, le=86_400)

    @field_validator("relayer_key")
    @classmethod
    def _relayer_key_is_a_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            digits = value.get_secret_value().strip().removeprefix("0x")
            if len(digits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError("LINLI_RELAYER_KEY must be a private key: 64 hex digits")
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
            if self.relayer_key is not None and self.relayer_private_key() == _demo_relayer_key():
                raise ValueError("LINLI_RELAYER_KEY is the public demo key; use a key of your own in production")
        return self

    def relayer_private_key(self) -> str:
        """The relayer's key: LINLI_RELAYER_KEY, else (outside production) the public demo key."""
        if self.relayer_key is not None:
            key = self.relayer_key.get_secret_value().strip()
            return key if key.startswith("0x") else "0x" + key
        return _demo_relayer_key()

    def wallet_rpc_url(self) -> str:
        return self.public_rpc_url or self.rpc_url


def _demo_relayer_key() -> str:
    from backend.chain.demo import demo_key

    return demo_key("relayer")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
