"""Pages and actions of app.cycle (see the package's docstring)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
