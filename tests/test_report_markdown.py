"""The Markdown report of derive check: one bullet per line, diagnoses readable."""
from __future__ import annotations

import re

from engine.check import report as checkreport

LINES = ["C2.", r"(a) $\frac{\partial o_1}{\partial net_1} = o_1^2$", r"(c) $\sigma'(0) = 0.5$"]
DIAGNOSIS = (r"the error enters at line 2: \frac{\partial o_1}{\partial net_1} = o_1^2: "
             "at o_1 = -1.001 they are -2.00289 and 1.00193")
REPORT = {
    "sheet": "C",
    "answers": [
        {"id": "delta_rule.do_dnet", "verdict": "incorrect", "claimed": "o_1^2", "expected": r"o_{1} \left(1 - o_{1}\right)",
         "line": 2, "diagnosis": DIAGNOSIS},
        {"id": "delta_rule.sigmoid_grad_max", "verdict": "incorrect", "claimed": "0.5", "expected": r"\frac{1}{4}",
         "line": 3, "diagnosis": ""},
    ],
    "steps": [{"line": 2, "source": r"\frac{\partial o_1}{\partial net_1} = o_1^2", "verdict": "inconsistent",
               "detail": "at o_1 = -1.001 they are -2.00289 and 1.00193"}],
    "summary": {"submission": "s.md", "answers": {"correct": 0, "incorrect": 2, "missing": 0, "unparsed": 0},
                "steps": {"consistent": 0, "inconsistent": 1, "unparsed": 0, "unchecked": 0},
                "score": 0, "max_score": 2, "score_text": "0/2", "warnings": []},
    "lines": LINES,
}


def test_every_bullet_starts_its_own_line():
    md = checkreport.render_markdown(REPORT)
    bullets = [line for line in md.splitlines() if re.match(r"\s*- ", line)]
    assert len(bullets) == 3 + 1 + 2  # three lines, one step note, two answer notes
    assert not re.search(r"\S- [✓✗?–]", md)  # no bullet glued to the end of the line before
    assert "- ✗ line 3:" in md.splitlines()[[i for i, l in enumerate(md.splitlines()) if "line 3:" in l][0]]


def test_diagnosis_quotes_latex_in_code_spans_and_prose_as_text():
    md = checkreport.render_markdown(REPORT)
    assert r"`\frac{\partial o_1}{\partial net_1} = o_1^2`" in md
    assert r"\\frac" not in md and r"\{" not in md  # no backslash-escaped LaTeX
    assert "the error enters at line 2: `" in md
    assert "| 0/2 |" not in md and "score **0/2**" in md
