"""A bare FastAPI app on `tripartite serve`'s uvicorn settings (uvloop, httptools, no access
log): the machine's reference, measured beside the app in the same run.

- ``/`` returns a page of ``BARE_SIZE`` bytes (bench/round_page.py: the round page's size);
- ``/ok`` returns "ok" (bench/stack.py: the smallest answer).

    BARE_SIZE=52000 .venv/bin/python bench/bare_app.py PORT
"""

from __future__ import annotations

import os
import sys

import uvicorn
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, Response

SIZE = int(os.environ.get("BARE_SIZE", "100000"))
PAGE = (b"<!doctype html><title>bare</title>" + b"x" * SIZE)[:SIZE]

app = FastAPI()


@app.get("/")
async def page() -> Response:
    return Response(PAGE, media_type="text/html")


@app.get("/ok")
async def ok() -> PlainTextResponse:
    return PlainTextResponse("ok\n")


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
