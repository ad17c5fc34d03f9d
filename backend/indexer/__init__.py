"""The indexer: follows the chain with batched eth_getLogs and writes typed SQL tables."""
