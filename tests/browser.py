"""Headless Chromium for page tests: Debian's chromium and chromedriver, started the one way every page test
needs (no network of its own, a private profile), at a desktop size or as a phone (390 × 844)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PHONE = (390, 844)


@contextmanager
def chromium(profile: Path, size: tuple[int, int] = (1200, 800), *, phone: bool = False) -> Iterator[Any]:
    """A headless Chromium driven by selenium; skips the test where the Debian packages are missing. With
    `phone`, the page sees a phone's viewport (device metrics), not just a narrow window."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip(f"headless Chromium needs {CHROMIUM} and {CHROMEDRIVER} (Debian packages chromium, "
                    "chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}"):
        options.add_argument(flag)
    if phone:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": size[0], "height": size[1],
                                                                              "pixelRatio": 3.0}})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
