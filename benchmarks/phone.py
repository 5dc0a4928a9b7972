"""The practice phone (/phone): its page weight, and how long a key takes to the next caption.

Run it from the project folder (about 30 s once the prompts are rendered):

    .venv/bin/python benchmarks/phone.py            # 50 presses
    .venv/bin/python benchmarks/phone.py --presses 200

It serves the helpline as `ivr serve` does (development mode, the rendered prompts of AUDIO_DIR,
rendering any that are missing first) on loopback, opens /phone in Debian's Chromium with
Playwright, places a call and presses # (hear it again) at the main menu, over and over. Each
press is timed in the page from the keydown event to the moment the next caption is in the
transcript (a MutationObserver), so it covers the whole path: the page, the bridge, the
signed webhook, the engine, the TwiML, and the page reading it.

The baseline, in the same page and run, is the smallest round trip the page can make to the same
server: a GET of a static file that is always fetched anew. The ratio says how much of a press
is the helpline's own work rather than the browser and HTTP.

Page weight is the bytes of /phone's HTML, JavaScript and CSS as served, and gzip-compressed
(what a server with compression would send); the page loads nothing else.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr import create_app  # noqa: E402
from ivr.audio.render import render_prompts  # noqa: E402
from ivr.config import load_settings  # noqa: E402
from ivr.content.load import load_content  # noqa: E402
from ivr.webhooks.helpline import helpline  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


class Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line a request would bury the figures


TIME_PRESS = """async (key) => {
  const list = document.getElementById('transcript');
  const before = list.querySelectorAll('li.heard').length;
  const shown = new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      if (list.querySelectorAll('li.heard').length > before) {
        watch.disconnect();
        resolve(performance.now());
      }
    });
    watch.observe(list, {childList: true});
  });
  const pressed = performance.now();
  document.body.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
  return (await shown) - pressed;
}"""
ROUND_TRIP = """async (url) => {
  const start = performance.now();
  await (await fetch(url + '?' + Math.random(), {cache: 'no-store'})).text();
  return performance.now() - start;
}"""


def page_weight(base: str) -> list[tuple[str, int, int]]:
    """(what, bytes, gzip bytes) of the page and everything it loads."""
    rows = []
    for what, path in (
        ("HTML", "/phone"),
        ("JS", "/phone/static/phone.js"),
        ("CSS", "/phone/static/phone.css"),
    ):
        body = requests.get(base + path, timeout=10).content
        rows.append((what, len(body), len(gzip.compress(body, 9))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presses", type=int, default=50)
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("CONTENT_DIR", str(ROOT))
    settings = load_settings(env, development=True)
    content = load_content(
        settings.content_dir,
        settings.service_name,
        settings.nurse_line_hours,
        run_by=settings.run_by,
    )
    render_prompts(content.prompts, settings.paces, settings.tts_voice, settings.audio_dir)
    with tempfile.TemporaryDirectory() as scratch:
        env |= {"DATABASE_URL": f"sqlite:///{scratch}/bench.sqlite3", "PROMPT_AUDIO": "auto"}
        app = create_app(env, development=True)
        http = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
        threading.Thread(target=http.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{http.server_port}"
        try:
            weights = page_weight(base)
            presses, trips = measure(base, args.presses)
        finally:
            http.shutdown()
            helpline(app).store.close()

    print("Page weight of /phone (as served; gzip -9):")
    for what, raw, packed in weights:
        print(f"  {what:<5} {raw:>7,} bytes  {packed:>6,} gzipped")
    total, packed = sum(w[1] for w in weights), sum(w[2] for w in weights)
    print(f"  all   {total:>7,} bytes  {packed:>6,} gzipped (nothing else is loaded)")
    print(f"\nKeypress to the next caption, {len(presses)} presses of # at the main menu:")
    print(
        f"  median {statistics.median(presses):.1f} ms, "
        f"p90 {statistics.quantiles(presses, n=10)[-1]:.1f} ms, "
        f"min {min(presses):.1f} ms, max {max(presses):.1f} ms"
    )
    baseline = statistics.median(trips)
    print(
        f"Baseline, the page fetching a static file from the same server: median {baseline:.1f} ms"
    )
    ratio = statistics.median(presses) / baseline
    print(f"Ratio (keypress to caption / baseline round trip): {ratio:.1f}")


def measure(base: str, count: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        # The page's policy forbids eval, which Playwright's wait_for_function needs to poll
        # (the browser tests bypass it too); the page's own script runs as it is served.
        page = browser.new_page(bypass_csp=True)
        page.goto(base + "/phone")
        page.get_by_role("button", name="Call the helpline").click()
        page.wait_for_function("document.querySelectorAll('#transcript li.heard').length > 0")
        for _ in range(5):  # warm up: the first requests build caches
            page.evaluate(TIME_PRESS, "#")
        presses = [page.evaluate(TIME_PRESS, "#") for _ in range(count)]
        trips = [page.evaluate(ROUND_TRIP, base + "/phone/static/phone.css") for _ in range(count)]
        page.get_by_role("button", name="Hang up").click()
        browser.close()
    return presses, trips


if __name__ == "__main__":
    main()
