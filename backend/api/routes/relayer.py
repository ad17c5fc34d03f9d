# SPDX-License-Identifier: AGPL-3.0-only
"""What the relayer spent today for a community, and what is left of its daily budget
(backend/relayer/budget.py): for the committee that funds the relayer key and for anyone.
Totals only: no account, no voter, no transaction of anyone in particular."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from backend.api.deps import CommunityDep, SettingsDep
from backend.api.routes.ballots import relay_budget
from backend.relayer.budget import beijing_day, seconds_to_midnight

router = APIRouter(tags=["relayer"])


class RelayerBudgetOut(BaseModel):
    day: str = Field(description="Today in Beijing (UTC+8), YYYY-MM-DD: the budget resets at its midnight")
    resets_in_s: int = Field(description="Seconds to the next midnight, Beijing time")
    relaying: bool = Field(description="Whether this backend relays at all (LINLI_RELAYER_ENABLED)")
    spent_wei: str = Field(description="Gas used × effective gas price of today's relayed transactions, decimal")
    transactions: int = Field(description="Transactions the relayer paid for today (reverted ones included)")
    by_route: dict[str, int] = Field(description="Today's transactions by route: ballot, passkey, account")
    in_flight: int = Field(description="Transactions sent or being sent, not yet counted (reserved)")
    budget_wei: str
    budget_transactions: int
    remaining_wei: str
    remaining_transactions: int
    exhausted: bool = Field(description="Whether the relay refuses (503 budget_exhausted) until the reset")


@router.get("/communities/{community}/relayer/budget", response_model=RelayerBudgetOut,
            summary="The relayer's spend today for this community and what is left of its daily budget")
def relayer_budget(ctx: CommunityDep, settings: SettingsDep, request: Request):
    budget = relay_budget(request, settings)
    now = budget.clock()
    spent = budget.spent(ctx.community, beijing_day(now))
    used_wei = spent.wei + spent.in_flight_wei
    used_transactions = spent.transactions + spent.in_flight
    remaining_wei = max(0, budget.budget_wei - used_wei)
    remaining_transactions = max(0, budget.budget_transactions - used_transactions)
    return {"day": spent.day, "resets_in_s": seconds_to_midnight(now), "relaying": settings.relayer_enabled,
            "spent_wei": str(spent.wei), "transactions": spent.transactions, "by_route": spent.by_route,
            "in_flight": spent.in_flight, "budget_wei": str(budget.budget_wei),
            "budget_transactions": budget.budget_transactions, "remaining_wei": str(remaining_wei),
            "remaining_transactions": remaining_transactions,
            "exhausted": remaining_transactions == 0 or (budget.budget_wei > 0 and remaining_wei == 0)}
