"""A picture of the written page: headless Chromium driven by Playwright (the machine's
Chromium; nothing is downloaded). Playwright is optional: imported only when a screenshot
is asked for.
"""
import os.path as osp
import shutil
from typing import Optional


#: Headless Chromium on a machine without network: no background fetches, no sandbox (root
#: in containers), no GPU.
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--no-first-run']


def find_chromium() -> Optional[str]:
    """The machine's Chromium (Debian's ``chromium``, or Chrome), None where there is none."""
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(page: str, out: str, width: int = 1200) -> None:
    """A full-page PNG of the written page in headless Chromium (Playwright driving the
    machine's Chromium; nothing is downloaded).

    Raises:
        RuntimeError: No Chromium on this machine (the message says how to get one).
    """
    browser = find_chromium()
    if browser is None:
        raise RuntimeError('no Chromium on this machine for --screenshot (Debian: apt-get '
                           'install chromium)')
    from playwright.sync_api import sync_playwright  # optional: screenshots only
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=browser, args=CHROMIUM_ARGS)
        tab = b.new_page(viewport={'width': width, 'height': 900})
        tab.goto('file://' + osp.abspath(page))
        tab.wait_for_selector('body[data-ready="1"]', timeout=60000)
        tab.screenshot(path=out, full_page=True)
        b.close()


__all__ = ['CHROMIUM_ARGS', 'find_chromium', 'screenshot']
