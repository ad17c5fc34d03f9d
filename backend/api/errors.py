# SPDX-License-Identifier: AGPL-3.0-only
"""The error answers, declared in the OpenAPI schema as the routes give them.

Every refusal is `{"detail": …}`: a sentence, or for the relayer an object with a stable
`code` the page translates. `errors(401, 404, …)` is what a route (or a router) passes
as `responses=`; a route's own wording for a code overrides the default one here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    detail: str | dict[str, Any] | list[Any] = Field(
        description="What was wrong, in words (the relayer: {code, message, reason})")


DESCRIPTIONS = {
    400: "The body cannot be read (not UTF-8 JSON), or refused as it is (see detail)",
    401: "Not signed in, or the session is unknown, expired or logged out (WWW-Authenticate: Bearer)",
    403: "Signed in, but this wallet may not do it",
    404: "Not here: the community is not indexed (or not served), or no such item",
    409: "The stored state does not allow it as it is",
    410: "Removed: the words are gone, the record of their removal stays",
    413: "The request body is larger than this route takes",
    429: "Too many requests for this wallet or client: wait Retry-After seconds",
    503: "Busy or unavailable (the server at its limit, the database, the node): retry after Retry-After seconds",
    507: "The store is full",
}


def errors(*codes: int, **wording: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for these status codes; `wording` overrides a description (`e409="…"`)."""
    return {code: {"model": ErrorOut, "description": wording.get(f"e{code}", DESCRIPTIONS[code])} for code in codes}
