"""Readiness: can this process reach the database, the broker and the object store right now?"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from core.runtime import Runtime

log = logging.getLogger("quinte.ready")
TIMEOUT_SECONDS = 5.0


def _database(runtime: Runtime) -> None:
    with runtime.db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _broker(runtime: Runtime) -> None:
    from core.checks import _broker as reach_broker

    reach_broker(runtime.settings.broker_url)


def _objects(runtime: Runtime) -> None:
    runtime.store.check()


CHECKS: dict[str, Callable[[Runtime], None]] = {"database": _database, "broker": _broker, "objects": _objects}


def readiness(runtime: Runtime) -> dict[str, str]:
    """``ok`` or ``fail`` per component; the reasons go to the log only, never to the unauthenticated caller."""
    results: dict[str, str] = {}
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz")
    futures = {name: pool.submit(check, runtime) for name, check in CHECKS.items()}
    for name, future in futures.items():
        try:
            future.result(timeout=TIMEOUT_SECONDS)
            results[name] = "ok"
        except FutureTimeout:
            results[name] = "fail"
            log.warning("readiness: %s did not answer within %.0f s", name, TIMEOUT_SECONDS)
        except Exception as exc:
            results[name] = "fail"
            # Only the type: a broker or database error message may spell out a URL with its password.
            log.warning("readiness: %s failed: %s", name, type(exc).__name__)
    # Not waiting: a hung check must not hold the probe beyond its timeout.
    pool.shutdown(wait=False, cancel_futures=True)
    return results


router = APIRouter(tags=["health"])


class Readiness(BaseModel):
    status: Literal["ok", "fail"]
    checks: dict[str, Literal["ok", "fail"]]


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request) -> JSONResponse:
    """Unauthenticated like /healthz: whether each service answers, without saying why one does not."""
    checks = readiness(request.app.state.runtime)
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ok" if ok else "fail", "checks": checks}, status_code=200 if ok else 503)
