"""Uploading a file in Debian's Chromium: the progress indicator, then the report, offline, no errors.

The screenshot of the finished report is kept as an artefact: in ``$DIABAN_ARTEFACTS`` when set,
else in the test's temporary folder (pytest keeps the last three runs' folders).
"""

from __future__ import annotations

import pytest

from tests.helpers import add_user, incidents_csv, screenshot

pytestmark = [pytest.mark.postgis, pytest.mark.browser]

EDITOR = ("editor-browser", "editor-browser-password")


@pytest.fixture(scope="module")
def editor(db_url, loaded):
    return add_user(db_url, EDITOR, "editor")


def test_an_editor_uploads_a_file_and_reads_the_report(watched_page, live_server, editor, engine,
                                                       fresh, tmp_path):
    page = watched_page
    source = tmp_path / "vu_viec_2013.csv"
    source.write_bytes(incidents_csv(engine, 2013))
    page.goto(f"{live_server}/login?next=/upload")
    page.fill("#username", editor[0])
    page.fill("#password", editor[1])
    page.click("button[type=submit]")
    page.wait_for_selector("#upload-form")
    assert page.locator('#main-nav a[data-endpoint="upload.index"]').count() == 1
    page.select_option("#kind", "incidents")
    page.set_input_files("#file", str(source))
    page.click("#upload-submit")
    page.locator("#upload-progress").wait_for(state="visible")
    page.locator("#upload-report").wait_for(state="visible", timeout=60_000)
    bar = page.locator("#upload-bar")
    assert bar.inner_text() == "100%" and "bg-success" in bar.get_attribute("class")
    assert page.locator("#upload-progress").get_attribute("data-seen").split()[-1] == "done"
    assert page.locator("#upload-stage").inner_text() == "Xong"
    counts = {key: page.locator(f"#report-{key}").inner_text()
              for key in ("read", "loaded", "rejected", "duplicates", "review", "dropped")}
    assert counts == {"read": "6", "loaded": "2", "rejected": "3", "duplicates": "1", "review": "1",
                      "dropped": "STT, Họ tên"}  # only mapped fields are kept
    reasons = page.locator("#report-reasons").inner_text()
    assert "OUTSIDE_PROVINCE" in reasons and "MISSING_FIELD" in reasons
    assert "Thiếu thông tin bắt buộc" in reasons and "A required field is empty" in reasons
    batch = page.locator("#report-batch").inner_text()
    assert batch.startswith("#")
    assert page.locator("#link-quarantine").get_attribute("href") == f"/ingest/{batch[1:]}/quarantine.csv"
    assert page.locator("#link-review").get_attribute("href") == "/review"
    page.wait_for_function("(bar) => bar.getBoundingClientRect().width >= "
                           "bar.parentNode.getBoundingClientRect().width - 1", arg=bar.element_handle())
    screenshot(page, "upload-report.png")
    assert page.errors == [] and page.failures == [] and page.foreign == []


def test_a_file_over_the_limit_is_refused_in_the_browser(watched_page, live_server, editor, app,
                                                         tmp_path):
    page = watched_page
    limit = app.config["MAX_CONTENT_LENGTH"]
    page.goto(f"{live_server}/login?next=/upload")
    page.fill("#username", editor[0])
    page.fill("#password", editor[1])
    page.click("button[type=submit]")
    page.wait_for_selector("#upload-form")
    big = tmp_path / "qua_lon.csv"
    with big.open("wb") as handle:
        handle.truncate(limit + 1)
    page.set_input_files("#file", str(big))
    page.click("#upload-submit")
    error = page.locator("#upload-error")
    error.wait_for(state="visible")
    assert "Tệp quá lớn: giới hạn là 50 MB" in error.inner_text()
    assert page.errors == [] and page.foreign == []
