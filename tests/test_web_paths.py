"""Every app names its routes with the same paths: the pages' links are made once a process
(``app.web._url_path``), from the first app's router, whichever app renders them."""

from __future__ import annotations

from pathlib import Path

from app import web
from app.accounts import routes as account_routes
from app.api import routes as api_routes
from app.config import Settings
from app.main import PAGE_ROUTERS, create_app


def _app(folder: Path, **different: object):  # type: ignore[no-untyped-def]
    folder.mkdir()
    return create_app(
        Settings(
            database_url=f"sqlite:///{folder / 'paths.db'}",
            data_dir=folder,
            secret_key="paths-secret",
            **different,  # type: ignore[arg-type]
        )
    )


def test_two_apps_differently_set_up_name_every_route_with_the_same_path(tmp_path: Path) -> None:
    plain = _app(tmp_path / "plain")
    other = _app(tmp_path / "other", bench_endpoints=True, trusted_proxy="127.0.0.1")
    routers = (*PAGE_ROUTERS, account_routes.health_router, api_routes.router)
    named = [
        (route.name, {name: c.convert("7") for name, c in route.param_convertors.items()})
        for router in routers
        for route in router.routes
    ]
    assert len(named) > 150
    web._URL_PATHS.clear()
    web._NAMING.clear()
    for name, params in named:
        path = plain.router.url_path_for(name, **params)
        assert other.router.url_path_for(name, **params) == path, name
        key = tuple(sorted(params.items()))
        # the first app's router names it, for the other app as well
        assert web._url_path(other.router, name, key) == path, name
        assert web._url_path(plain.router, name, key) == path, name
    assert web._NAMING == [other.router]
