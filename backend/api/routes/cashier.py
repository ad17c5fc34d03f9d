# SPDX-License-Identifier: AGPL-3.0-only
"""A cashier's bank statement, checked before anything is recorded (the pages' cashier desk).

`POST …/fees/statement-check` takes the statement's CSV text (the format of
`ape run cashier import-statement`, backend/chain/statement_csv.py) and matches every line
to its unit and months with the same rule as the command line, reading the chain's views
(eth_call) at its head. It answers every line that does not match, by number, and nothing
else (422); or the payments to record, in the contract's batches, which the cashier's own
wallet then sends (`record_payments`). It sends nothing and stores nothing: anyone may ask,
the file never reaches the chain, and only references' hashes go back.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Request
from pydantic import BaseModel, Field

from backend.api.deps import CommunityDep, SettingsDep
from backend.api.errors import ErrorOut, errors
from backend.api.listing import require_contract
from backend.chain.statement_csv import (
    RECORDS_PER_TX,
    FeesViews,
    RegistryViews,
    StatementError,
    match_statement,
    parse_statement_csv,
)
from backend.core.config import Settings
from backend.indexer.rpc import RpcClient, RpcError, RpcUnavailable

router = APIRouter(tags=["fees"])

# A month's statement of a large community fits (a line is ~50 bytes); more is refused (422),
# not read: each line costs the node a few calls.
MAX_STATEMENT_CHARS = 200_000
MAX_STATEMENT_LINES = 2_000

_making_reader = threading.Lock()


class StatementIn(BaseModel):
    csv: str = Field(max_length=MAX_STATEMENT_CHARS,
                     description="The statement: date,unit,amount_yuan,channel,reference (header required)")


class MatchedOut(BaseModel):
    line: int
    unit_id: int
    unit_label: str
    from_month: int
    months: int
    amount: int = Field(description="fen")
    channel: int = Field(description="1 wechat, 2 alipay, 3 bank, 4 cash")
    reference_hash: str = Field(description="keccak-256 of the reference, as recorded on chain")


class StatementCheckOut(BaseModel):
    payments: list[MatchedOut]
    total: int = Field(description="fen")
    batch_size: int = Field(description="Records per transaction (PropertyFees.MAX_RECORD_BATCH)")
    batches: list[list[int]] = Field(description="The payments' indexes of each transaction, in order")


def _reader(request: Request, settings: Settings) -> RpcClient:
    """One client for the app, made on first use (the API runs without a node otherwise)."""
    state = request.app.state
    with _making_reader:
        if getattr(state, "statement_rpc", None) is None:
            state.statement_rpc = RpcClient(settings.rpc_url, timeout_s=settings.rpc_timeout_s, max_retries=2,
                                            backoff_s=settings.rpc_backoff_s, backoff_max_s=settings.rpc_backoff_max_s)
    return state.statement_rpc


@router.post("/communities/{community}/fees/statement-check", response_model=StatementCheckOut,
             responses={**errors(400, 413), 422: {"model": ErrorOut, "description": (
                 "Lines that do not match, each with its number: {code: bad_lines, errors: [{line, message}]}; "
                 "or a body that is not {csv: text}")}},
             summary="Match a bank statement's lines to units and months (nothing is recorded)")
def statement_check(ctx: CommunityDep, settings: SettingsDep, request: Request,
                    statement: Annotated[StatementIn, Body()]):
    fees_address = require_contract(ctx, "PropertyFees")
    if statement.csv.count("\n") > MAX_STATEMENT_LINES:
        raise HTTPException(422, detail={"code": "bad_lines", "errors": [
            {"line": MAX_STATEMENT_LINES + 2, "message": f"more than {MAX_STATEMENT_LINES} lines: split the file"}]})
    rpc = _reader(request, settings)
    try:
        lines = parse_statement_csv(statement.csv)
        payments = match_statement(lines, RegistryViews(rpc, ctx.community), FeesViews(rpc, fees_address))
    except StatementError as refused:
        raise HTTPException(422, detail={"code": "bad_lines", "errors": [
            {"line": e.line, "message": e.message} for e in refused.errors]}) from None
    except (RpcError, RpcUnavailable) as exc:
        raise HTTPException(503, detail=f"the chain's node does not answer: {exc}",
                            headers={"Retry-After": "5"}) from exc
    labels = {entry.line: entry.unit_label for entry in lines}
    indexes = list(range(len(payments)))
    return {
        "payments": [{"line": p.line, "unit_id": p.unit_id, "unit_label": labels[p.line], "from_month": p.from_month,
                      "months": p.months, "amount": p.amount, "channel": p.channel,
                      "reference_hash": "0x" + p.reference_hash.hex()} for p in payments],
        "total": sum(p.amount for p in payments),
        "batch_size": RECORDS_PER_TX,
        "batches": [indexes[i:i + RECORDS_PER_TX] for i in range(0, len(indexes), RECORDS_PER_TX)],
    }
