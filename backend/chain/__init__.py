"""Chain-side helpers shared by the Ape scripts, the tests and the indexer."""
