"""Tables of the index.

Three kinds of table, every row tagged with its `community` (the registry address,
lower-case hex) so one database can hold a whole district:

- event tables: one row per decoded event, keyed by (chain_id, tx_hash, log_index),
  written only by the indexer and filled through the spec table in
  backend/indexer/specs.py; `raw_events` holds every event of every contract;
- state tables (units, owners, residents, role members, merchants, points balances,
  service providers' aggregates): projections of the event tables, rebuilt from them
  after a reorganisation;
- bookkeeping: the checkpoint of each community and the recent block hashes.

Addresses and hashes are stored as lower-case 0x-hex strings; amounts and areas as
integers (NUMERIC(78) on PostgreSQL, so any uint256 fits; 64-bit on SQLite).

One module per contract family; this package re-exports every model, so
`from backend.db.models import Base, Unit` works and `Base.metadata` holds every
table once the package is imported (Alembic's env imports it).
"""

from backend.db.models.assembly import *
from backend.db.models.base import *
from backend.db.models.bookkeeping import *
from backend.db.models.committee import *
from backend.db.models.culture import *
from backend.db.models.fees import *
from backend.db.models.notices import *
from backend.db.models.registry_points import *
from backend.db.models.relayer import *
from backend.db.models.services import *
