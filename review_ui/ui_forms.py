"""Small helpers shared by the module pages: blank-free GET filters, redirects after POST, form error text."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from fastapi import status
from fastapi.responses import RedirectResponse
from pydantic import ValidationError


def filled(params: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """The named query parameters that carry a value: a GET form sends every field, also the empty ones."""
    return {name: params[name].strip() for name in names if params.get(name, "").strip()}


def query(values: Mapping[str, object]) -> str:
    """A query string of the non-empty values, for pager and export links that keep the filters."""
    return urlencode({key: value for key, value in values.items() if value not in (None, "")})


def see_other(url: str) -> RedirectResponse:
    """Post/redirect/get: a reload of the result page never repeats the action."""
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def problems(exc: ValidationError) -> list[str]:
    """Pydantic's errors as short sentences a person can act on."""
    out = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"] if part not in ("body",))
        message = str(error["msg"]).removeprefix("Value error, ")
        out.append(f"{where}: {message}" if where else message)
    return out
