"""Cross-site scripting in a real browser: a representative posts payloads (comments, a reply,
a revised position) in the demo's open round; neither the author's page, nor an observer's
page receiving them live, nor either page reloaded, opens a dialog or runs injected script
(every payload sets ``window.__xss``), and no executable markup reaches the DOM."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import round_url, sign_in

pytestmark = pytest.mark.browser

#: From the corpus (tests/security/xss.py): payloads that run at once if they reach the DOM as
#: markup (no click needed), and a few that would run when clicked or when htmx processes them.
CHOSEN = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "<svg onload=window.__xss=1>",
    "<details open ontoggle=window.__xss=1>",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '"><img src=x onerror=window.__xss=1>',
    "</textarea><img src=x onerror=window.__xss=1>",
    '<div hx-get="/logout" hx-trigger="load">x</div>',
    '<div hx-on::load="window.__xss=1">x</div>',
    "[click](javascript:window.__xss=1)",
    "{{7*7191}}",
]

DOM_CHECK = """() => {
  const bad = [];
  const urlish = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc'];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const n = a.name.toLowerCase();
      if (n.startsWith('on') || n.startsWith('hx-on') || n.startsWith('data-hx-on')
          || n === 'srcdoc') bad.push(`${el.tagName} ${n}`);
      if (urlish.includes(n) && /^\\s*(javascript|vbscript|data):/i.test(a.value))
        bad.push(`${el.tagName} ${n}=${a.value}`);
      if (n.startsWith('hx-') && /__xss|logout/.test(a.value)) bad.push(`${el.tagName} ${n}`);
    }
    if (el.tagName === 'SCRIPT'
        && !(el.src && new URL(el.src).pathname.startsWith('/static/'))) bad.push('SCRIPT');
    if (['IFRAME', 'OBJECT', 'EMBED', 'BASE', 'TEMPLATE'].includes(el.tagName))
      bad.push(el.tagName);
  }
  if (document.body.innerText.includes('50337')) bad.push('template evaluated');
  return bad;
}"""


def watch(page: Page) -> list[str]:
    """Dialogs the page opens (each dismissed) and page errors, as they happen."""
    seen: list[str] = []

    def on_dialog(dialog: Any) -> None:
        seen.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return seen


def assert_inert(page: Page, seen: list[str], where: str) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined", f"{where}: a payload ran"
    assert not seen, f"{where}: {seen}"
    assert page.evaluate(DOM_CHECK) == [], where


def test_payloads_never_run_in_the_browser(live_server: Any, new_context: Any) -> None:
    url = round_url(live_server, "open")
    tag = uuid.uuid4().hex[:6]
    author, reader = new_context().new_page(), new_context().new_page()
    seen_by_author, seen_by_reader = watch(author), watch(reader)
    sign_in(author, "rep@atuc.example", live_server.password)
    sign_in(reader, "observer@agency.example", live_server.password)
    author.goto(url)
    reader.goto(url)

    for n, payload in enumerate(CHOSEN):
        text = f"{payload}\n\nxss-{tag}-{n}"
        author.fill("#comment-form-body", text)
        author.get_by_role("button", name="Post the comment").click()
        expect(author.locator("#new-comments")).to_contain_text(f"xss-{tag}-{n}")
    # a reply and a revised position carrying payloads too
    first = author.locator("#threads article.comment").first
    first.get_by_role("link", name="Reply").first.click()
    first.locator("textarea").first.fill(f"{CHOSEN[1]}\n\nxss-{tag}-reply")
    first.get_by_role("button", name="Post the reply").click()
    expect(first).to_contain_text(f"xss-{tag}-reply")
    author.fill("#statement", "\n\n".join([*CHOSEN[:4], f"xss-{tag}-position"]))
    author.get_by_role("button", name="Revise the position").click()
    expect(author.locator("#columns")).to_contain_text(f"xss-{tag}-position")
    # the edit form puts the raw text in a textarea
    author.locator("#new-comments article.comment").last.get_by_role("link", name="Edit").click()
    expect(author.locator("#new-comments textarea").first).to_be_visible()
    assert_inert(author, seen_by_author, "author's page")

    # the observer's page, never reloaded, receives them through the live updates
    expect(reader.locator("#new-comments")).to_contain_text(
        f"xss-{tag}-{len(CHOSEN) - 1}", timeout=10_000
    )
    expect(reader.locator("#columns")).to_contain_text(f"xss-{tag}-position", timeout=10_000)
    assert_inert(reader, seen_by_reader, "observer's live page")

    for page, seen, who in ((author, seen_by_author, "author"), (reader, seen_by_reader, "reader")):
        page.reload()
        expect(page.locator("#threads")).to_contain_text(f"xss-{tag}-0")
        page.wait_for_timeout(300)  # let onload/ontoggle handlers fire, if any got through
        assert_inert(page, seen, f"{who}'s page, reloaded")
