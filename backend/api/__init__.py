"""The read-only REST API over the index (FastAPI)."""
