"""A bare FastAPI app returning a page of ``BARE_SIZE`` bytes: the reference bench/round_page.py
measures the round page against, served by uvicorn with `tripartite serve`'s settings.

    BARE_SIZE=52000 .venv/bin/python bench/bare_app.py PORT
"""

from __future__ import annotations

import os
import sys

import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response

SIZE = int(os.environ.get("BARE_SIZE", "100000"))
PAGE = (b"<!doctype html><title>bare</title>" + b"x" * SIZE)[:SIZE]

app = FastAPI()


@app.get("/")
def page() -> Response:
    return Response(PAGE, media_type="text/html")


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        proxy_headers=False,
        loop="auto",
        http="auto",
        access_log=False,
        log_level="warning",
    )
