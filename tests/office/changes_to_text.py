"""Opens a document in LibreOffice (headless), accepts or rejects all its tracked changes, and
saves its text: run by the system python, which has LibreOffice's UNO bridge (python3-uno).

    /usr/bin/python3 changes_to_text.py accept|reject IN.docx OUT.txt PROFILE_DIR
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

COMMANDS = {"accept": ".uno:AcceptAllTrackedChanges", "reject": ".uno:RejectAllTrackedChanges"}


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main(action: str, source: str, target: str, profile: str) -> None:
    pipe = f"tripartite-{uuid.uuid4().hex}"
    office = subprocess.Popen(
        [
            "soffice",
            f"-env:UserInstallation=file://{os.path.abspath(profile)}",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        for _ in range(600):
            try:
                context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except NoConnectException:
                time.sleep(0.1)
        else:
            raise SystemExit("LibreOffice did not answer")
        manager = context.ServiceManager
        desktop = manager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        url = uno.systemPathToFileUrl(os.path.abspath(source))
        document = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
        helper = manager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", context)
        frame = document.getCurrentController().getFrame()
        helper.executeDispatch(frame, COMMANDS[action], "", 0, ())
        out = uno.systemPathToFileUrl(os.path.abspath(target))
        document.storeToURL(
            out, (prop("FilterName", "Text (encoded)"), prop("FilterOptions", "UTF8,LF,,,"))
        )
        document.close(True)
        try:
            desktop.terminate()
        except Exception:  # noqa: BLE001 (the bridge drops as the office ends)
            pass
    finally:
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()
            office.wait()


if __name__ == "__main__":
    main(*sys.argv[1:5])
