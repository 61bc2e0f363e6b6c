"""Layout checks any browser test can call: nothing wider than the screen, no text cut off,
and a full-page screenshot kept as a test artifact."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

#: Where screenshots go: $HUB_TEST_ARTIFACTS, else test-artifacts/ at the repository's root.
ARTIFACTS = Path(
    os.environ.get("HUB_TEST_ARTIFACTS") or Path(__file__).resolve().parents[2] / "test-artifacts"
)

# Every rendered element whose right edge passes the viewport, and every element that cuts its
# own text off (overflow hidden/clip or an ellipsis) while its content is wider than its box.
# Skipped: form fields (their value scrolls inside), elements of 1 px or less or left of the
# screen (hidden on purpose, like the skip link) and what sits inside them.
_FIND_PROBLEMS = """
() => {
  const width = window.innerWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width) {
    problems.push(`page is ${document.documentElement.scrollWidth} px wide`);
  }
  const describe = (el) => {
    const id = el.id ? '#' + el.id : '';
    const names = typeof el.className === 'string' ? el.className.trim() : '';
    const cls = names ? '.' + names.split(/\\s+/).join('.') : '';
    const text = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `<${el.tagName.toLowerCase()}${id}${cls}> "${text}"`;
  };
  const hidden = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    if (el.parentElement && hidden.has(el.parentElement)) { hidden.add(el); continue; }
    const rect = el.getBoundingClientRect();
    if (el.getClientRects().length === 0) continue;
    if (rect.width <= 1 || rect.height <= 1 || rect.right <= 0) { hidden.add(el); continue; }
    if (rect.right > width + 0.5) {
      problems.push(`${describe(el)} ends at ${Math.round(rect.right)} px`);
    }
    if (['INPUT', 'SELECT', 'TEXTAREA', 'OPTION'].includes(el.tagName)) continue;
    const style = getComputedStyle(el);
    const clips = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
    if (clips && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${describe(el)} cuts off its text (${el.scrollWidth} > ${el.clientWidth} px)`);
    }
  }
  return problems;
}
"""


def layout_problems(page: Page) -> list[str]:
    """What overflows the viewport or is cut off on the page as it is now."""
    problems: list[str] = page.evaluate(_FIND_PROBLEMS)
    return problems


def assert_fits(page: Page) -> None:
    """Fail with every offending element when the page overflows its viewport or clips text."""
    problems = layout_problems(page)
    assert not problems, f"{page.url} at {page.viewport_size}:\n" + "\n".join(problems)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as screenshots/<viewport width>/<name>.png under ARTIFACTS."""
    size = page.viewport_size
    width = size["width"] if size else 0
    path = ARTIFACTS / "screenshots" / str(width) / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
