"""What the Content-Security-Policy and the stored-script fix rely on, checked in the sources:
templates hold no inline script, style or event handler and never turn escaping off; the chart
scripts build no HTML from data and no script reads cookies; Python marks HTML safe only where the
markup comes from format_html."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))

TEMPLATE_RULES = {
    "inline style attribute": re.compile(r"""\sstyle\s*=""", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
    "inline event handler": re.compile(r"""\son[a-z]+\s*=\s*["'{]""", re.I),
    "hx-on (needs 'unsafe-eval')": re.compile(r"\bhx-on\b|\bhx-on:|\bhx-vars\b", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "inline <script> (use a static file, or json_script for data)": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "|safe (escaping off)": re.compile(r"\|\s*safe\b"),
    "autoescape off": re.compile(r"{%\s*autoescape\s+off"),
}


def offenders(paths, rules):
    found = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for name, rule in rules.items():
            for match in rule.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
                found.append(f"{where}:{line}: {name}")
    return found


def test_templates_hold_no_inline_script_style_or_handler_and_keep_escaping_on():
    assert TEMPLATES, "no templates found"
    assert offenders(TEMPLATES, TEMPLATE_RULES) == []


def test_the_template_rules_catch_what_they_name(tmp_path):
    sample = tmp_path / "bad.html"
    sample.write_text(
        '<div style="x"></div><style>a{}</style><form onsubmit="go()"></form><a hx-on:click="x">'
        '<a href="javascript:x()"><script>alert(1)</script>{{ name|safe }}{% autoescape off %}',
        encoding="utf-8",
    )
    found = {line.split(": ", 1)[1] for line in offenders([sample], TEMPLATE_RULES)}
    assert found == set(TEMPLATE_RULES)


SCRIPT_RULES = {
    "HTML sink (innerHTML, outerHTML, insertAdjacentHTML, document.write)":
        re.compile(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write"),
    "HTML built in a string literal (return DOM from CrmSafe.tooltip instead)": re.compile(r"""["'][^"'\n]*<[a-z/][^"'\n]*["']""", re.I),
    "eval or new Function (refused by the policy)": re.compile(r"\beval\s*\(|new\s+Function\b"),
    "cookie read (the CSRF cookie is HttpOnly; the token comes from hx-headers)": re.compile(r"document\.cookie"),
    "inline style attribute set as text": re.compile(r"""setAttribute\(\s*["']style["']"""),
}


def test_our_scripts_build_no_html_from_data_and_read_no_cookie():
    assert {p.name for p in SCRIPTS} >= {"safe.js", "chain-sankey.js", "circle-graph.js", "control-tree.js"}
    assert offenders(SCRIPTS, SCRIPT_RULES) == []


def test_every_chart_tooltip_goes_through_the_safe_helper():
    for name in ("chain-sankey.js", "circle-graph.js", "control-tree.js"):
        text = (ROOT / "static" / "js" / name).read_text(encoding="utf-8")
        for formatter in re.finditer(r"formatter:\s*function", text):
            body = text[formatter.end(): formatter.end() + 900]
            assert "safe." in body or "CrmSafe." in body, f"{name}: a formatter without CrmSafe"


# Python: mark_safe only where it wraps format_html output (the nested control-tree list).
MARK_SAFE_ALLOWED = {"clients/templatetags/clients_tags.py"}


def test_python_marks_html_safe_only_where_format_html_built_it():
    sources = [
        p for p in ROOT.rglob("*.py")
        if not {".venv", "node_modules", "tests", "migrations", "staticfiles"} & set(p.relative_to(ROOT).parts)
    ]
    marking = {
        str(p.relative_to(ROOT)) for p in sources
        if re.search(r"\bmark_safe\(|\bSafeString\(|\|safe\b", p.read_text(encoding="utf-8"))
    }
    assert marking <= MARK_SAFE_ALLOWED, marking - MARK_SAFE_ALLOWED
