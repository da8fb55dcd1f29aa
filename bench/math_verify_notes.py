"""What we add to Math-Verify's pairs (:mod:`bench.math_verify_table`):
a category per pair, the bare LaTeX Math-Verify itself extracts from the
full model answers in its tests, and the pairs whose expected verdict rests
on a convention we state otherwise (the ``convention`` column, with the
reason). Kept as data here so the table can be rebuilt from a new
Math-Verify release.
"""
from __future__ import annotations

import re

ABOUT = ("(gold, prediction, expected) pairs from the tests/ folder of huggingface/Math-Verify "
         "(https://github.com/huggingface/Math-Verify, commit 5d148cf), as data; gold/prediction are the bare LaTeX "
         "given to both checkers, *_original the strings as written in Math-Verify's test; extraction=true marks a "
         "pair whose original is a full model answer (the bare LaTeX is what Math-Verify extracts from it); "
         "category and convention are ours. Rebuild: python -m bench.math_verify_table /path/to/Math-Verify")
LICENSE = "Math-Verify tests: MIT License, Copyright (c) 2024 The HuggingFace Team"

#: The bare LaTeX of pairs whose original is a full model answer, as
#: Math-Verify 0.9.0 extracts it (digit grouping kept as written where
#: Math-Verify's normalization removed it: that is what we test).
EXTRACTED = {
    'mv007': ('2.74', '2,74'), 'mv013': ('1000.99', '1,000.99'), 'mv014': ('1000.99', '1,000.99'),
    'mv015': ('1000.99', '1,000.99'), 'mv016': ('1000.99', '1,000.99'), 'mv141': ('2/3', '2/3'),
    'mv035': ('\\frac{10}{9}', '\\frac{1}{2}  = \\frac{10}{9}'),
    'mv061': ('14{,}916', '14{,}916'),
    'mv062': ('12,13', '12, 13'),
    'mv142': ('12', '12'),
    'mv147': ('120', '120'),
    'mv148': ('12000023', '12,\\!000,\\!023'),
    'mv156': ('3', '3'),
    'mv157': ('19', '19'),
    'mv159': ('34', '34'),
    'mv163': ('100%', '100'),
    'mv169': ('7.78', '7.78'),
    'mv172': ('10455', '10,455'),
    'mv182': ('1,2', '1,2'),
    'mv183': ('1,-2', '-2,1'),
    'mv191': ('35 cm,4', '{35 cm,4}'),
    'mv200': ('(11,7),(7,11)', '(7,11), (11,7)'),
    'mv206': ('(2,1),(1,2),(-1,-20),(-20,-1)', '(1, 2),(2, 1),(-1, -20),(-20, -1)'),
    'mv207': ('1 and -2', '-2,1'),
    'mv212': ('1 and 2 and 3', '1,2,3'),
    'mv219': ('21,16 and 11', '21,16,11'),
    'mv222': ('6, 8', '6,8'),
    'mv224': ('2,3,5,7,13', '{2, 3, 5, 7, 13}'),
    'mv233': ('(5, 8), (8, 5)', '(x, y) = (5, 8) \\quad, \\quad (8, 5)'),
    'mv235': ('6, 8', '6, 8'),
    'mv236': ('(2, 2), (6, 2)', '(2, 2),(6, 2)'),
    'mv237': ('(98, 2), (99, 503)', '(98, 2),(99, 503)'),
    'mv238': ('(3, 3), (1, 1)', '(3, 3),(1, 1)'),
    'mv240': ('k = 45, n = 2', 'k = 45,n = 2'),
    'mv242': ('{1,2,3}', '1,2,3'),
    'mv243': ('{1,2,3}', '1,2,3'),
    'mv247': ('x_{1}=10^{\\frac{-5+\\sqrt{13}}{6}},\\quadx_{2}=10^{\\frac{-5-\\sqrt{13}}{6}}', '10^{\\frac{\\sqrt{13} - 5}{6}},10^{-\\frac{5 + \\sqrt{13}}{6}}'),
    'mv248': ('y_{1}=-2 x^{2}+4 x+3, y_{2}=3 x^{2}+12 x+10', '-2(x - 1)^2 + 5 and 3(x + 2)^2 - 2'),
    'mv249': ('x_{1}=\\frac{1}{2}+\\frac{31\\sqrt{5}}{216},\\quadx_{2}=\\frac{1}{2}-\\frac{31\\sqrt{5}}{216}', '\\frac{108 + 31\\sqrt{5}}{216},\\frac{108 - 31\\sqrt{5}}{216}'),
    'mv250': ('x_{1}=10^{\\frac{-5+\\sqrt{13}}{6}},\\quadx_{2}=10^{\\frac{-5-\\sqrt{13}}{6}}', '10^{\\frac{\\sqrt{13} - 5}{6}},10^{-\\frac{5 + \\sqrt{13}}{6}}'),
    'mv251': ('1,2', '1,2'),
}

PERCENT = ("a percentage is its value over 100 (28\\% = 0.28), so a bare 28 is not 28\\%; Math-Verify drops the "
           "percent sign")
#: Pairs we decline on purpose, with the reason.
CONVENTIONS = {
    "mv031": "tests Math-Verify's extraction (inline math across lines is not extracted); the bare LaTeX of both "
             "sides is the same 9",
    "mv032": "tests Math-Verify's extraction (inline math across lines is not extracted); the bare LaTeX of both "
             "sides is the same 9",
    "mv052": PERCENT, "mv053": PERCENT, "mv054": PERCENT, "mv154": PERCENT, "mv163": PERCENT,
    "mv187": "Math-Verify option allow_set_relation_comp=False (a relation does not match a set membership "
             "one way round); derive reads x \\in [-2, 7] and -2 \\le x \\le 7 as the same statement both ways",
    "mv018": "a number against an answer in unknown letters is undecided in derive (5 against 5 m: m may be a "
             "unit or a variable); Math-Verify reads AZYUK2A as a different value",
    "mv101": "a chain is judged by its last member (x = 5+5+1 = 1/3 \\approx 11 answers 11); Math-Verify takes "
             "the member before \\approx",
    "mv104": "a chain is judged by its last member (x = 1/3 \\approx 1.3 answers 1.3, a wrong rounding); "
             "Math-Verify takes the member before \\approx",
    "mv218": "two answers that name different quantities (W(n) and W(x)) are not called equal; Math-Verify "
             "ignores the labels",
    "mv253": "an unknown function may be constant: f(x) against f(y) is undecided in derive, not different",
    "mv254": "Math-Verify option strict=False (any variable renaming accepted); derive compares names as written",
    "mv264": "the values differ (1 - 1/e = 0.632..., 1 + 1/e = 1.368...); Math-Verify's expectation records its "
             "own result, not the mathematics",
}

#: Categories set by hand where the rules below would guess wrong.
CATEGORY = {
    "mv018": "text", "mv031": "extraction", "mv032": "extraction", "mv035": "equation", "mv065": "text",
    "mv075": "number", "mv147": "number", "mv175": "number", "mv176": "text", "mv181": "text", "mv190": "text",
    "mv191": "unit", "mv201": "equation", "mv205": "equation", "mv208": "text", "mv209": "text", "mv210": "text",
    "mv211": "text", "mv223": "text", "mv227": "text", "mv253": "expression", "mv254": "expression",
    "mv261": "set", "mv139": "interval", "mv150": "tuple", "mv151": "tuple", "mv160": "tuple", "mv262": "set", "mv267": "number", "mv268": "number", "mv025": "interval",
}

_MATRIX = re.compile(r"\\begin\{[pbvB]?matrix\}|\\begin\{array\}")
_PERCENT = re.compile(r"%|percent|pct")
_UNIT = re.compile(r"\\(?:text|mbox|textnormal|textbf)\{\s*(?:cm|meters|miles|yuan)|\^\\circ|\bcm\b")
_INEQ = re.compile(r"<|>|\\le(?!ft)|\\ge|\\lt|\\gt|\\neq|!=")
_INTERVAL = re.compile(r"\\cup|\\in\b|^[\[(].*[\])]$|\\infty")
_NUMBER = re.compile(r"^[-+]?(?:\\\$|\$)?[\d\s,.{}\\!]*\d[\d\s,.{}\\!]*\$?$")
_TEXT = re.compile(r"^\\text\{[A-Za-z ]+\}$|^[A-Za-z]$")


def category(gold: str, pred: str) -> str:
    both = f"{gold} {pred}"
    if _MATRIX.search(both):
        return "matrix"
    if _PERCENT.search(both):
        return "percent"
    if _UNIT.search(both):
        return "unit"
    if _INEQ.search(both):
        return "inequality"
    if _TEXT.match(gold) or _TEXT.match(pred):
        return "text"
    if _INTERVAL.search(gold) and _INTERVAL.search(pred) and ("[" in both or "\\infty" in both or "\\cup" in both):
        return "interval"
    if _NUMBER.match(gold) and _NUMBER.match(pred) and not ("," in gold and "," in pred and re.search(r",\d?$|, ", both)):
        return "number"
    if "=" in both:
        return "equation"
    if "\\{" in both or re.search(r"\{[^}]*,", both) or ";" in both or re.search(r"\),\s*\(", both) or " and " in both:
        return "set"
    if re.search(r"^\(.*,.*\)$", gold) or re.search(r"^\(.*,.*\)$", pred):
        return "tuple"
    if "," in both:
        return "set"
    return "expression"


#: A doubled backslash before a control word (``\\\\left`` in a non-raw
#: test string) and a form feed (``"\\frac"`` without r) are escaping
#: slips in the test source: the bare LaTeX has the single backslash.
def _unslip(text: str) -> str:
    return re.sub(r"(?<!\\)\\\\(?=[A-Za-z])", r"\\", text.replace("\x0c", "\\f"))


def annotate(row: dict) -> dict:
    """The fields we add to one pair: bare LaTeX where extracted, category, convention."""
    out = {}
    if row["id"] in EXTRACTED:
        out["gold"], out["prediction"] = EXTRACTED[row["id"]]
        out["extraction"] = True
    gold, pred = out.get("gold", row["gold"]), out.get("prediction", row["prediction"])
    out["gold"], out["prediction"] = _unslip(gold), _unslip(pred)
    out["category"] = CATEGORY.get(row["id"]) or category(out["gold"], out["prediction"])
    out["convention"] = CONVENTIONS.get(row["id"])
    return out
