"""What a served worker process does once, when uvicorn's factory builds its app."""

from __future__ import annotations

import gc

import pytest

from app import main


def test_a_served_worker_keeps_what_starting_made_out_of_full_collections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = object()
    seen: list[str] = []
    monkeypatch.setattr(main, "Settings", lambda: "settings")
    monkeypatch.setattr(main, "asgi", lambda settings: seen.append(settings) or built)
    monkeypatch.setattr(gc, "freeze", lambda: seen.append("frozen"))
    assert main.app_from_env() is built
    assert seen == ["settings", "frozen"]  # the app built first, then frozen with the rest


def test_freezing_moves_what_exists_to_the_permanent_generation() -> None:
    kept = [[n] for n in range(1000)]  # tracked by the collector
    try:
        main.freeze_startup_objects()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
