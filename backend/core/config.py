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
