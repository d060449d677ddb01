"""Small structural accessibility checks on rendered HTML (no browser needed).

They catch regressions that automated RGAA audits flag first: the page language, one h1,
a skip link whose target exists, and a label for every form control.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class PageStructure:
    lang: str = ""
    h1_count: int = 0
    ids: set[str] = field(default_factory=set)
    label_for: set[str] = field(default_factory=set)
    controls: list[dict[str, str]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = PageStructure()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.page.ids.add(a["id"])
        if tag == "html":
            self.page.lang = a.get("lang", "")
        elif tag == "h1":
            self.page.h1_count += 1
        elif tag == "label" and a.get("for"):
            self.page.label_for.add(a["for"])
        elif tag in {"input", "select", "textarea"}:
            if a.get("type", "text") not in UNLABELLED_TYPES:
                self.page.controls.append(a)
        elif tag == "a":
            self.page.links.append(a)


def structure(html: str) -> PageStructure:
    collector = _Collector()
    collector.feed(html)
    return collector.page


def accessibility_problems(html: str) -> list[str]:
    page = structure(html)
    problems = []
    if not page.lang:
        problems.append("<html> has no lang attribute")
    if page.h1_count != 1:
        problems.append(f"{page.h1_count} h1 elements instead of one")
    if not page.links or not page.links[0].get("href", "").startswith("#"):
        problems.append("the first link is not a skip link")
    else:
        target = page.links[0]["href"][1:]
        if target not in page.ids:
            problems.append(f"skip link target #{target} does not exist")
    for control in page.controls:
        labelled = control.get("id") in page.label_for or control.get("aria-label")
        if not labelled and not control.get("aria-labelledby"):
            problems.append(f"form control without a label: {control}")
    return problems
