"""Constrained types for paths, queries and bodies, so that a value no database can
take (a NUL character in a string, an id past 64 bits) is a 422 at the boundary and
never a 500 from the driver."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import StringConstraints

from shaheen.store.base import MAX_ID

#: Printable text: no NUL (PostgreSQL cannot store it in text) and no other C0 control
#: but tab and newlines.
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
#: Codes and slugs: platforms, organisations, agencies, languages, reason codes.
_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$"

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="the object's id")]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_CODE)]
Text = Annotated[str, StringConstraints(max_length=4000, pattern=_TEXT)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_TEXT)]


def code_query(description: str) -> object:
    """A query parameter holding a code or slug."""
    return Query(min_length=1, max_length=64, pattern=_CODE, description=description)


def text_query(description: str) -> object:
    return Query(min_length=1, max_length=200, pattern=_TEXT, description=description)


def code_path(description: str) -> object:
    return Path(min_length=1, max_length=64, pattern=_CODE, description=description)
