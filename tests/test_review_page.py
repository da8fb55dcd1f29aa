"""The review page of a class (derive check --format html), in a real browser:
Debian's headless Chromium driven by Selenium through Debian's chromedriver
(installed by the Makefile's test set-up)."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from conftest import ROOT

DATA = ROOT / "tests" / "data" / "submissions"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: Colours of the cells (templates/review.html.j2), as the screenshot shows them.
GREEN, RED = (0xCD, 0xEC, 0xCF), (0xF6, 0xC4, 0xC1)

#: A submission that tries to run script in the page three ways; its answer lines carry them.
HOSTILE = """C1.
(b) y = 38.99 <script>document.title='PWNED-script'</script>
$$x.grad = (0.4722, 0, 0.9642, 40.00)$$ <img src=x onerror="document.title='PWNED-onerror'">

C2.
(b) $o_1 = 0.5$ [click](javascript:document.title='PWNED-js') $\\href{javascript:document.title='PWNED-href'}{x}$
(c) the maximum of $\\sigma'$ is $\\sigma'(0) = 0.25$ </script><script>document.title='PWNED-close'</script>
"""
#: Hand grades beside C-wrong: x.grad graded correct by hand (the checker says incorrect).
LABELS = {"sheet": "C", "answers": {"autograd.y": "correct", "autograd.x_grad": "correct"}}


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("class")
    shutil.copy(DATA / "C-wrong.md", folder / "C-wrong.md")
    shutil.copy(DATA / "C-clean.md", folder / "C-clean.md")
    (folder / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    (folder / "C-wrong.labels.json").write_text(json.dumps(LABELS), encoding="utf-8")
    out = folder / "reports"
    files = [str(folder / n) for n in ("C-wrong.md", "hostile.md", "C-clean.md")]
    result = subprocess.run([sys.executable, "-m", "engine.cli", "check", *files, "--sheet", "C", "--format", "html",
                             "-o", str(out), "--jobs", "2"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert (out / "index.html").is_file() and (out / "katex" / "katex.min.js").is_file()
    assert list((out / "katex" / "fonts").glob("*.woff2"))
    return out / "index.html"


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1500,900", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _data(page: Path) -> dict:
    text = page.read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', text, re.S).group(1)
    return json.loads(block)


def _cell(browser, student: int, answer_id: str, data: dict):
    return browser.find_element(By.CSS_SELECTOR,
                                f'tr[data-student="{student}"] button[data-a="{data["answers"].index(answer_id)}"]')


def test_page_is_a_table_of_students_by_answer_ids(browser, page):
    data = _data(page)
    browser.get(page.as_uri())
    assert browser.title == "Sheet C: review of 3 submissions"
    rows = browser.find_elements(By.CSS_SELECTOR, "#grid tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "td.student").text for r in rows] == ["C-wrong", "hostile", "C-clean"]
    headers = [h.get_attribute("title") for h in browser.find_elements(By.CSS_SELECTOR, "th.answer")]
    from engine.model import catalog

    assert headers == [*catalog.get("autograd").answer_ids, *catalog.get("delta_rule").answer_ids] == data["answers"]
    # every cell is coloured by its verdict; the clean submission is all green
    for k, student in enumerate(data["students"]):
        for answer_id, cell in student["cells"].items():
            td = _cell(browser, k, answer_id, data).find_element(By.XPATH, "..")
            assert cell["verdict"] in td.get_attribute("class").split()
    clean = rows[2].find_elements(By.CSS_SELECTOR, "td.cell")
    assert {c.value_of_css_property("background-color") for c in clean} == {"rgba(205, 236, 207, 1)"}


def test_clicking_a_cell_shows_the_line_the_expected_answer_and_the_diagnosis(browser, page, tmp_path):
    data = _data(page)
    browser.get(page.as_uri())
    cell = data["students"][0]["cells"]["autograd.x_grad"]
    assert cell["verdict"] == "incorrect" and cell["diagnosis"]
    button = _cell(browser, 0, "autograd.x_grad", data)
    button.click()
    assert browser.find_element(By.ID, "detail-title").text == "C-wrong: autograd.x_grad"
    assert browser.find_element(By.ID, "detail-verdict").text == "incorrect"
    assert browser.find_element(By.ID, "detail-hand").text == "hand grade: correct (differs)"
    assert browser.find_element(By.ID, "student-head").text.lower() == f"student wrote (line {cell['line']})"
    source = (DATA / "C-wrong.md").read_text(encoding="utf-8").splitlines()[cell["line"] - 1]
    assert browser.find_element(By.ID, "student-source").text == source.strip()
    assert browser.find_element(By.ID, "detail-diagnosis").text == cell["diagnosis"]
    # math typeset by KaTeX on both sides (KaTeX's MathML carries the TeX it read)
    student_math = browser.find_elements(By.CSS_SELECTOR, "#student-math .katex")
    expected_math = browser.find_elements(By.CSS_SELECTOR, "#expected-math .katex-display")
    assert student_math and expected_math
    assert not browser.find_elements(By.CSS_SELECTOR, ".katex-error")
    annotation = browser.find_element(By.CSS_SELECTOR, "#expected-math annotation").get_attribute("textContent")
    assert annotation == cell["expected"]
    fonts = browser.execute_script("return Array.from(document.fonts).filter(f => f.status === 'loaded')"
                                   ".map(f => f.family)")
    assert any(f.startswith("KaTeX") for f in fonts)  # the fonts came from katex/ beside the page
    # the screenshot: the clicked cell is red, with the selection outline in dark; a correct cell is green
    png = browser.get_screenshot_as_png()
    shot = tmp_path / "review.png"
    shot.write_bytes(png)
    if os.environ.get("DERIVE_SCREENSHOT"):
        shutil.copy(shot, os.environ["DERIVE_SCREENSHOT"])
    image = Image.open(io.BytesIO(png)).convert("RGB")
    rect = button.rect
    centre = (int(rect["x"] + rect["width"] / 2) + 6, int(rect["y"] + rect["height"] / 2) + 6)
    assert _near(image.getpixel(centre), RED), image.getpixel(centre)
    edge = (int(rect["x"]) + 1, int(rect["y"] + rect["height"] / 2))
    assert max(image.getpixel(edge)) < 80, image.getpixel(edge)  # the outline of the selected cell
    green = _cell(browser, 0, "autograd.y", data).rect
    assert _near(image.getpixel((int(green["x"]) + 5, int(green["y"]) + 5)), GREEN)
    # the panel shows typeset math: dark glyph pixels inside the expected box
    box = browser.find_element(By.ID, "expected-math").rect
    crop = image.crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]), int(box["y"] + box["height"])))
    assert sum(1 for p in crop.get_flattened_data() if max(p) < 100) > 200


def _near(pixel, colour, tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


@pytest.mark.parametrize("name, expected", [
    ("unparsed", None), ("incorrect", None), ("differs", ["C-wrong"]), ("all", ["C-wrong", "hostile", "C-clean"]),
])
def test_filters(browser, page, name, expected):
    data = _data(page)
    browser.get(page.as_uri())
    browser.find_element(By.CSS_SELECTOR, f'.filters button[data-filter="{name}"]').click()
    shown = [r.find_element(By.CSS_SELECTOR, "td.student").text
             for r in browser.find_elements(By.CSS_SELECTOR, "#grid tbody tr") if r.is_displayed()]
    if expected is None:  # the students with at least one answer of that verdict
        expected = [s["name"] for s in data["students"] if any(c["verdict"] == name for c in s["cells"].values())]
    assert shown == expected
    if name != "all":
        for row in browser.find_elements(By.CSS_SELECTOR, "#grid tbody tr"):
            for td in row.find_elements(By.CSS_SELECTOR, "td.cell"):
                on = td.get_attribute("data-differs") == "yes" if name == "differs" else \
                    td.get_attribute("data-verdict") == name
                assert ("dim" in td.get_attribute("class").split()) != on


def test_no_script_from_a_submission_runs(browser, page):
    text = page.read_text(encoding="utf-8")
    # the payloads are in the page, as data only
    assert "PWNED-script" in text and "PWNED-onerror" in text and "javascript:" not in text.split("<script type")[0]
    assert len(re.findall(r"<script\b", text)) == 3  # the JSON block, KaTeX, the page's own script
    markup = re.sub(r'(<script type="application/json" id="review-data">).*?(</script>)', r"\1\2", text, flags=re.S)
    assert "PWNED" not in markup and not re.search(r"<img|onerror=|<a\b", markup)  # outside the JSON block
    browser.get(page.as_uri())
    data = _data(page)
    student = [s["name"] for s in data["students"]].index("hostile")
    shown = []
    for answer_id, cell in data["students"][student]["cells"].items():
        if cell["line"]:
            _cell(browser, student, answer_id, data).click()
            shown.append(browser.find_element(By.ID, "student-source").text)
    assert any("<script>document.title='PWNED-script'</script>" in s for s in shown)  # shown as text
    assert any('onerror="document.title' in s for s in shown)
    assert any("javascript:" in s for s in shown)
    assert browser.title == "Sheet C: review of 3 submissions"
    assert not browser.find_elements(By.CSS_SELECTOR, "img, [onerror], iframe, object, embed")
    assert not browser.find_elements(By.CSS_SELECTOR, "a[href^='javascript'], [href*='javascript']")
    assert browser.execute_script("return document.scripts.length") == 3
