"""Contracts pages: the register with status filter and a dashboard of upcoming deadlines."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from contracts.config import contracts_config
from contracts.deadlines import upcoming
from contracts.models import ContractEntry
from contracts.register import STATUSES
from review_ui.auth import Principal
from review_ui.deps import RuntimeDep, SessionDep, require
from review_ui.pages import render

router = APIRouter(prefix="/contracts", include_in_schema=False)
# The same permission as the contracts JSON API: whoever may read records may read the register.
Reader = Annotated[Principal, Depends(require("records:read"))]
DEADLINE_LABELS = {"notice": "Last day to send notice", "end": "End", "renewal": "Tacit renewal"}


@router.get("")
def register_page(request: Request, principal: Reader, session: SessionDep,
                  state: Annotated[str, Query(alias="status")] = "") -> Response:
    """Every contract, soonest end first; unknown statuses simply match nothing."""
    query = select(ContractEntry).order_by(ContractEntry.end_date, ContractEntry.id).limit(1000)
    if state:
        query = query.where(ContractEntry.status == state)
    context = {"contracts": session.scalars(query).all(), "statuses": STATUSES, "state": state}
    return render(request, "contracts_list.html", context, principal=principal)


@router.get("/deadlines")
def deadlines_page(request: Request, principal: Reader, session: SessionDep, runtime: RuntimeDep,
                   days: Annotated[int | None, Query(ge=0, le=730)] = None) -> Response:
    """Notice days, ends and renewals from today to the horizon (the `expiring_days` setting by default)."""
    horizon = days if days is not None else contracts_config(runtime.config).expiring_days
    today = dt.date.today()
    context = {"deadlines": upcoming(session, today, horizon), "days": horizon, "today": today,
               "labels": DEADLINE_LABELS}
    return render(request, "contracts_deadlines.html", context, principal=principal)
