"""Webhook pages for admins: subscriptions with delivery counts, the delivery log of one, and retry."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review_ui import csrf
from review_ui.auth import Principal
from review_ui.deps import SessionDep, require
from review_ui.pages import is_htmx, render
from review_ui.ui_forms import query, see_other
from storage.models import Event
from webhooks.delivery import retry
from webhooks.models import WebhookDelivery, WebhookSubscription

router = APIRouter(prefix="/webhooks", include_in_schema=False)
Admin = Annotated[Principal, Depends(require("admin"))]
DeliveryStatus = Literal["pending", "delivered", "dead"]
PAGE = 50


@router.get("")
def subscriptions_page(request: Request, principal: Admin, session: SessionDep) -> Response:
    subscriptions = session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)).all()
    counts: dict[int, dict[str, int]] = {}
    for sub_id, state, count in session.execute(
            select(WebhookDelivery.subscription_id, WebhookDelivery.status, func.count())
            .group_by(WebhookDelivery.subscription_id, WebhookDelivery.status)):
        counts.setdefault(sub_id, {})[state] = count
    return render(request, "webhooks_list.html", {"subscriptions": subscriptions, "counts": counts},
                  principal=principal)


def _subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such subscription")
    return subscription


@router.get("/{subscription_id}")
def deliveries_page(subscription_id: int, request: Request, principal: Admin, session: SessionDep,
                    state: Annotated[DeliveryStatus | Literal[""], Query(alias="status")] = "",
                    before: int | None = None) -> Response:
    """The delivery log, newest first, paged by delivery id (stable while new deliveries arrive)."""
    subscription = _subscription(session, subscription_id)
    rows_query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if state:
        rows_query = rows_query.where(WebhookDelivery.status == state)
    if before is not None:
        rows_query = rows_query.where(WebhookDelivery.id < before)
    rows = list(session.scalars(rows_query.order_by(WebhookDelivery.id.desc()).limit(PAGE + 1)))
    older = query({"status": state, "before": rows[PAGE - 1].id}) if len(rows) > PAGE else None
    context = {"subscription": subscription, "deliveries": rows[:PAGE], "state": state, "older": older}
    return render(request, "webhooks_log.html", context, principal=principal)


@router.post("/{subscription_id}/deliveries/{delivery_id}/retry", dependencies=[Depends(csrf.check)])
def retry_delivery(subscription_id: int, delivery_id: int, request: Request, principal: Admin,
                   session: SessionDep) -> Response:
    """Send again at the dispatcher's next pass; with htmx only the row is swapped, else the log reloads."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != subscription_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such delivery")
    retry(session, delivery)
    session.add(Event(kind="webhook.retried", actor=principal.username, via="ui",
                      data={"subscription_id": subscription_id, "delivery_id": delivery_id}))
    session.flush()
    session.refresh(delivery)
    if is_htmx(request):
        return render(request, "_webhook_delivery.html", {"d": delivery, "subscription_id": subscription_id},
                      principal=principal)
    return see_other(f"/webhooks/{subscription_id}")
