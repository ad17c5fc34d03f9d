"""The indexer's fast paths give the same rows as the plain ones (functional, no timing).

- the decoder generated per fixed-layout event equals the generic word-by-word decoder,
  and refuses the same malformed logs;
- rows built as tuples follow the table's column order, NULL for columns not filled;
- the bulk insert (direct COPY on PostgreSQL, INSERT OR IGNORE on SQLite) skips keys that
  exist instead of failing or duplicating them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.indexer.core import _columns, _insert_tuples, _row_builder
from backend.indexer.decode import DecodeError, EventDecoder

ADDRESS_A = "0x" + "ab" * 20
ADDRESS_B = "0x" + "cd" * 20

MIXED_EVENT = {
    "type": "event",
    "name": "Mixed",
    "inputs": [
        {"name": "who", "type": "address", "indexed": True},
        {"name": "delta", "type": "int128", "indexed": True},
        {"name": "label", "type": "string", "indexed": True},
        {"name": "amount", "type": "uint256", "indexed": False},
        {"name": "flag", "type": "bool", "indexed": False},
        {"name": "tag", "type": "bytes4", "indexed": False},
        {"name": "to", "type": "address", "indexed": False},
    ],
}
DYNAMIC_EVENT = {
    "type": "event",
    "name": "Named",
    "inputs": [{"name": "unit_id", "type": "uint256", "indexed": True},
               {"name": "label", "type": "string", "indexed": False}],
}


def word(value: int) -> str:
    return format(value % (1 << 256), "064x")


def mixed_log(decoder: EventDecoder) -> tuple[list[str], str]:
    topics = [decoder.topic0, "0x" + "0" * 24 + ADDRESS_A[2:].upper(), "0x" + word(-5), "0x" + "12" * 32]
    data = "0x" + word(2**200) + word(1) + "deadbeef" + "0" * 56 + "0" * 24 + ADDRESS_B[2:]
    return topics, data


def test_generated_decoder_equals_generic_decoder():
    decoder = EventDecoder.from_abi("Demo", MIXED_EVENT)
    assert "decode" in vars(decoder), "a fixed-layout event gets a generated decoder"
    topics, data = mixed_log(decoder)
    fast = decoder.decode(topics, data)
    assert fast == EventDecoder.decode(decoder, topics, data)
    assert fast == {"who": ADDRESS_A, "delta": -5, "label": "0x" + "12" * 32, "amount": 2**200, "flag": True,
                    "tag": "0xdeadbeef", "to": ADDRESS_B}


def test_generated_decoder_refuses_what_the_generic_one_refuses():
    decoder = EventDecoder.from_abi("Demo", MIXED_EVENT)
    topics, data = mixed_log(decoder)
    for bad_topics, bad_data in ((topics[:-1], data), (topics, data[:-2])):
        with pytest.raises(DecodeError):
            decoder.decode(bad_topics, bad_data)
        with pytest.raises(DecodeError):
            EventDecoder.decode(decoder, bad_topics, bad_data)


def test_dynamic_event_keeps_the_generic_decoder():
    decoder = EventDecoder.from_abi("Demo", DYNAMIC_EVENT)
    assert "decode" not in vars(decoder)
    data = "0x" + word(32) + word(3) + "616263" + "0" * 58
    assert decoder.decode([decoder.topic0, "0x" + word(7)], data) == {"unit_id": 7, "label": "abc"}


def test_row_builder_follows_column_order_and_fills_null():
    build = _row_builder(["b", "extra", "a"], ["a", "b"])
    assert build(1, 2) == (2, None, 1)
    raw_columns = _columns("raw_events")
    assert set(raw_columns) >= {"chain_id", "tx_hash", "log_index", "args"}


def movement(log_index: int, amount: int) -> dict:
    return {"chain_id": 31337, "tx_hash": "0x" + "11" * 32, "log_index": log_index, "community": ADDRESS_A,
            "block_number": 5, "block_timestamp": 1_700_000_000, "sender": ADDRESS_A, "receiver": ADDRESS_B,
            "amount": amount}


def as_row(values: dict) -> tuple:
    return tuple(values.get(c) for c in _columns("points_movements"))


def test_bulk_insert_skips_existing_keys(engine):
    with engine.begin() as conn:
        _insert_tuples(conn, "points_movements", [as_row(movement(0, 1)), as_row(movement(1, 2))])
    # An overlapping batch: on PostgreSQL the direct COPY conflicts and falls back to
    # ON CONFLICT DO NOTHING inside the same transaction; the existing rows are kept.
    with engine.begin() as conn:
        _insert_tuples(conn, "points_movements", [as_row(movement(1, 99)), as_row(movement(2, 3))])
    from backend.db.models import PointsMovement

    with engine.connect() as conn:
        rows = conn.execute(select(PointsMovement.log_index, PointsMovement.amount)
                            .order_by(PointsMovement.log_index)).all()
        assert [tuple(r) for r in rows] == [(0, 1), (1, 2), (2, 3)]
        assert conn.scalar(select(func.count()).select_from(PointsMovement)) == 3
