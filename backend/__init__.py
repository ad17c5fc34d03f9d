"""Linli backend: indexer (chain -> SQL), read API, personal-data vault and resident pages."""
