"""A bare FastAPI app on the same uvicorn settings as `tripartite serve` (uvloop, httptools, no
access log): the machine's ceiling for an answer, measured beside the app (bench/stack.py).

    .venv/bin/python bench/bare_app.py PORT
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.get("/ok")
async def ok() -> PlainTextResponse:
    return PlainTextResponse("ok\n")


if __name__ == "__main__":
    uvicorn.run(
        app, host="127.0.0.1", port=int(sys.argv[1]), loop="auto", http="auto", access_log=False
    )
