"""Units of ``derive check``: reading and segmenting, chains, quantity keys and
aliases, the conventions and the precision rule, error carried forward, the
error models. Whole submissions are in test_check_submissions.py.

Reference values are computed here from the problem statement (plain
arithmetic, math.log), never copied from the engine's output."""
from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy as sp

from engine.read import chains as align
from engine.check import names
from engine.check import answers as ca
from engine.check import compare as cm
from engine.check import reference as checkref
from engine.check import steps as cw
from engine.check import diagnose
from engine.read import segments as submission
from engine.read.segments import match_header, parse_submission, remove_struck, scan_math, split_rows


@pytest.fixture(scope="module")
def sheets():
    return {s: checkref.build_sheet(s) for s in "ABC"}


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("text, question, part", [
    ("1. (a) On iteration", "1", "a"),
    ("3.(a) A perceptron", "3", "a"),
    ("Q3", "3", None),
    ("**Q2** Adam", "2", None),
    ("## Question 2: Adam", "2", None),
    ("Problem 2 -- Adam", "2", None),
    ("3 Receptive Field", "3", None),
    ("A3 vgg", "3", None),
    ("(b) Forward trace:", None, "b"),
    ("**(c)** backward", None, "c"),
    ("b) $$", None, "b"),
])
def test_header_is_recognised(text, question, part):
    header = match_header(text)
    assert header is not None
    assert (header.question, header.part) == (question, part)


@pytest.mark.parametrize("text", ["3 x 3 x 64 + 1", "2 \\times 2 max-pool", "1272.6 is large", "(a + b)^2",
                                  "12 layers", "the answer"])
def test_arithmetic_and_prose_are_not_headers(text):
    assert match_header(text) is None


@pytest.mark.parametrize("text, pieces", [
    ("a $x$ b", [("text", "a "), ("math", "x"), ("text", " b")]),
    ("$$y = 1$$", [("math", "y = 1")]),
    (r"\[ z \] t", [("math", " z "), ("text", " t")]),
    ("costs \\$5 and $a$", [("text", "costs \\$5 and "), ("math", "a")]),
    ("a lone $ dollar", [("text", "a lone $ dollar")]),
    ("$$unclosed\n\nnext", [("math", "unclosed"), ("text", "\n\nnext")]),
])
def test_scan_math(text, pieces):
    assert [(kind, content) for kind, _, content, _ in scan_math(text)] == pieces


def test_aligned_rows_are_split_but_matrices_are_not():
    rows = split_rows(r"\begin{aligned} a &= 1 \\ b &= \begin{bmatrix}1\\2\end{bmatrix} \end{aligned}")
    assert [r for _, r in rows] == ["a = 1", r"b = \begin{bmatrix}1\\2\end{bmatrix}"]


@pytest.mark.parametrize("text, kept", [
    (r"a ~~gone~~ b", "a   b"),
    (r"x + \cancel{y + z} + w", "x +  + w"),
    (r"\cancelto{0}{q} r", "  r"),
])
def test_struck_out_work_is_removed(text, kept):
    assert " ".join(remove_struck(text).split()) == " ".join(kept.split())


@pytest.mark.parametrize("data, warning", [
    (b"x = 1\x00\x00 y", "NUL bytes were removed"),
    (b"\xff\xfe broken \xc3", "invalid UTF-8 bytes were replaced by U+FFFD"),
    (b"", None),
    (b"\xef\xbb\xbf$x = 1$", None),
])
def test_bad_bytes_are_read(data, warning):
    sub = parse_submission(data, "A")
    assert (warning in sub.warnings) if warning else sub.warnings == []


def test_a_megabyte_of_garbage_is_segmented_quickly():
    import time

    data = ("}{ $$ \\frac{ ||| ^^ 3 x 3 = \\begin{aligned} & \n" * 20000).encode()[:1_000_000]
    start = time.perf_counter()
    sub = parse_submission(data, "B")
    assert time.perf_counter() - start < 20
    assert sub.lines


@pytest.mark.parametrize("text", ["# " + "#" * 50 + " x", "#" * 5000, " \t" * 3000 + "x", "**" * 3000])
def test_a_line_of_markdown_decoration_is_read_quickly(text):
    import time

    start = time.perf_counter()
    assert match_header(text) is None
    assert time.perf_counter() - start < 0.5  # (catastrophic backtracking took minutes)


@pytest.mark.parametrize("text", ["\\cancel{" * 20000, "\\cancel{x} " * 20000, "~~a " * 20000])
def test_many_struck_spans_are_blanked_in_linear_time(text):
    import time

    start = time.perf_counter()
    parse_submission(("$" + text + "$\n").encode(), "A")
    assert time.perf_counter() - start < 5  # (each unclosed \cancel{ scanned to the end took minutes)


def test_struck_spans_keep_their_line_numbers():
    sub = parse_submission("$$a = \\cancel{b \\cancel{c}\n} 1$$\n\n$d = ~~e~~ 2$\n", "A")
    assert [(r.line, " ".join(r.source.split())) for r in sub.rows] == [(1, "a = 1"), (4, "d = 2")]


@pytest.mark.parametrize("key, name", [
    ("dx" + "_a" * 40 + "!", False), ("v" + "_a" * 40 + "!", False), ("x" + "_(a)" * 40 + "!", False),
    ("v_3", True), ("bar(v)_-1", True), ("dL/dz_y", True), ("p_y'", True), ("m^(t-1)", True), ("w_(t+1)", True),
    ("x_i_j", True), ("g_1^2", True),
])
def test_name_keys_are_recognised_in_linear_time(key, name):
    import time

    start = time.perf_counter()
    assert (align.NAME_KEY.fullmatch(key) is not None) is name
    assert time.perf_counter() - start < 0.5


def test_segments_map_questions_to_the_sheet_problems():
    sub = parse_submission("1. (a) $x$\n\n(b) $y$\n\nQ2\n$z$\n\n3 Receptive Field\n$r = 1$\n", "A")
    assert [(r.problem, r.part) for r in sub.rows] == [("autodiff", "a"), ("autodiff", "b"), ("adam", None),
                                                         ("vgg16", None)]


def test_a_header_inside_display_math_is_taken():
    sub = parse_submission("$$(b) \\quad m^1 = 0$$", "A")
    assert sub.rows[0].part == "b" and sub.rows[0].source == "m^1 = 0"


# --------------------------------------------------------------------------- chains


def _chains(text: str, sheet: str = "A"):
    sub = parse_submission(text, sheet)
    return align.build_chains(sub.rows, sub.prose)


@pytest.mark.parametrize("text, sources, relations", [
    ("$a = b = c$", ["a", "b", "c"], ["", "equal", "equal"]),
    (r"$a = b \approx 1.2$", ["a", "b", "1.2"], ["", "equal", "approx"]),
    (r"$$\begin{aligned} x &= 1 \\ &= 2 \end{aligned}$$", ["x", "1", "2"], ["", "equal", "equal"]),
    (r"$$\begin{aligned} & 1 + 2 \\ & + 3 \\ & = 6 \end{aligned}$$", ["1 + 2 + 3", "6"], ["", "equal"]),
    ("$$f = 1$$\n\n$$= 1.0$$", ["f", "1", "1.0"], ["", "equal", "equal"]),
])
def test_chains_are_split_and_continued(text, sources, relations):
    chains = _chains(text)
    assert [e.source for e in chains[0].elements] == sources
    assert [e.relation for e in chains[0].elements] == relations


def test_implications_and_quads_start_new_chains():
    chains = _chains(r"$$a = b \Rightarrow c = d, \quad e = f \quad \text{so the update}$$")
    assert [[e.source for e in c.elements] for c in chains] == [["a", "b"], ["c", "d"], ["e", "f"]]
    assert chains[-1].notes == [r"\text{so the update}"]


def test_prose_before_math_names_the_chain():
    chains = _chains("parameters in total = $138357544 \\approx 1.38 \\times 10^8$")
    assert chains[0].elements[0].text_name == "parameters in total"
    assert chains[0].words_strong


def test_a_claim_written_in_words_is_a_chain():
    chains = _chains("so the FOV is 224×224 .")
    assert [e.source for e in chains[0].elements] == ["", r"224 \times 224"]


def test_table_rows_are_not_claims():
    assert _chains("| conv1_1 | (3*3*3+1)*64 = 1792 |") == []


@pytest.mark.parametrize("row, chain", [
    # a trace table (Baydin et al. 2018, Table 2): name, definition, value -> one chain
    ("| $v_1$ | $v_0^2$ | 9 |", "$$v_1 = v_0^2 = 9$$"),
    (r"| $\bar v_3$ | 16.38 |", r"$$\bar v_3 = 16.38$$"),
    ("|$v_{-1}$|$c$|$5$|", "$$v_{-1} = c = 5$$"),
    # header, separator, per-layer, wide and equation rows stay as they are
    ("| $v_i$ | expression | value |", None),
    ("|---|---|---|", None),
    ("| conv1_1 | 1792 |", None),
    ("| $v_1$ | 9 | $v_2$ | 1.0986 |", None),
    ("| $v_1$ | $v_0^2 = 9$ |", None),
])
def test_trace_table_rows_become_chains(row, chain):
    assert submission.table_rows_as_chains("intro\n" + row + "\nend") == "intro\n" + (chain or row) + "\nend"


def test_a_trace_table_is_checked_row_by_row():
    chains = _chains("(b)\n| $v_i$ | definition | value |\n|---|---|---|\n| $v_1$ | $v_0^2$ | 9 |\n| $v_2$ | $\\log v_0$ | 1.0986 |")
    claims = [c for c in chains if len(c.elements) > 1]  # the header's $v_i$ alone claims nothing
    assert [[e.source for e in c.elements] for c in claims] == [["v_1", "v_0^2", "9"], ["v_2", "\\log v_0", "1.0986"]]
    assert [c.line for c in claims] == [4, 5]


# --------------------------------------------------------------------------- keys and aliases


@pytest.mark.parametrize("latex, key", [
    (r"\bar{v}_{-1}", "bar(v)_-1"), (r"\overline{v}_3", "bar(v)_3"), (r"\bar v_3", "bar(v)_3"),
    (r"\frac{\partial f}{\partial x}", "df/dx"), (r"\frac{df}{dx}", "df/dx"), (r"\hat{m}^{1}", "hat(m)^1"),
    (r"N_{-1}", "N_-1"), (r"x.grad", "x.grad"), (r"\frac{\partial \mathrm{TSS}}{\partial o_1}", "dTSS/do_1"),
    (r"\Delta w_{j1}", "Deltaw_j1"), (r"w^{t+1}", "w^(t+1)"), (r"\hat{m}_t", "hat(m)_t"),
])
def test_quantity_key(latex, key):
    assert align.quantity_key(latex) == key


@pytest.mark.parametrize("latex, problem, part, answer_id", [
    (r"N_3", "autodiff", "b", "autodiff.trace.v3"),
    (r"v_{-1}", "autodiff", "b", "autodiff.trace.v_-1"),
    (r"\bar{v}_0", "autodiff", "c", "autodiff.adjoint.v0"),
    (r"\bar{x}", "autodiff", "c", "autodiff.df_dx"),
    (r"x.grad", "autodiff", "d", "autodiff.df_dx"),
    (r"\frac{\partial f}{\partial x}", "autodiff", "a", "autodiff.df_dx_symbolic"),
    (r"\hat{m}^1", "adam", "b", "adam.m_hat_1"),
    (r"\hat{v}_2", "adam", "c", "adam.v_hat_2"),
    (r"w^{t+1}", "adam", "a", "adam.update_rule"),
    (r"P_{conv}", "vgg16", "b", "vgg16.params_conv"),
    (r"\frac{\partial L}{\partial X}", "cnn", "c", "cnn.dL_dX"),
    (r"\frac{\partial L}{\partial z_{y'}}", "softmax", "d", "ce.dL_dz_other"),
    (r"\frac{\partial L}{\partial z_y}", "softmax", "d", "ce.dL_dz_y"),
    (r"x.grad", "autograd", "b", "autograd.x_grad"),
    (r"\Delta w_{j1}", "delta_rule", "a", "delta_rule.delta_w"),
])
def test_a_named_quantity_is_aligned(latex, problem, part, answer_id):
    chain = _one_chain(latex + " = 1", problem, part)
    ids = {m.alias.answer_id for m in names.name_matches(chain)}
    assert answer_id in ids


@pytest.mark.parametrize("words, problem, answer_id", [
    ("parameters in total", "vgg16", "vgg16.params_total"),
    ("in Convolutional layers", "vgg16", "vgg16.params_conv"),
    ("parameters in fully connected layers", "vgg16", "vgg16.params_fc"),
    ("# of conv / # of fully connected", "vgg16", "vgg16.conv_fc_ratio"),
    ("so the FOV", "vgg16", "vgg16.receptive_field"),
])
def test_a_quantity_named_in_words_is_aligned(words, problem, answer_id):
    assert names.match_words(words, problem)[0].answer_id == answer_id


def _one_chain(text: str, problem: str, part: str) -> align.Chain:
    elements = []
    for k, piece in enumerate(text.split(" = ")):
        elements.append(align.Element(piece, "equal" if k else "", 1))
    return align.Chain(elements, problem, part, None, 1)


def test_part_and_words_choose_between_answers_of_one_name():
    chain = _one_chain(r"w_{t+1} = x", "adam", "e")
    chain.context = "With decoupled weight decay (AdamW):"
    assert [m.alias.answer_id for m in names.name_matches(chain)] == ["adam.adamw_update"]


# --------------------------------------------------------------------------- conventions and precision


def _answer(sheets, sheet: str, answer_id: str, claim: str, part: str | None = None):
    """The verdict of ``claim`` written as the answer ``answer_id`` (in-process)."""
    ref = sheets[sheet]
    a = ref.answers[answer_id]
    parsed = cw.task_parse(claim, sheet, a.problem, {}, part or a.part)
    assert parsed.ok, parsed.reason
    value = cw._evaluate(ref.math[a.problem], parsed, "student", {}, part or a.part)
    info = ca.ClaimInfo(answer_id, parsed, value if not isinstance(value, str) else None, None, None, True, (),
                        None, {}, part or a.part)
    return ca.task_answer(sheet, info)


@pytest.mark.parametrize("answer_id, claim, verdict", [
    # precision: digits written; 42,7 is 42.7 (decimal comma) and not 42.111
    ("autodiff.df_dx", "48.757", "correct"),
    ("autodiff.df_dx", "48.76", "correct"),
    ("autodiff.df_dx", "48.75", "incorrect"),
    ("autodiff.trace.v6", "42,11", "correct"),
    ("autodiff.trace.v6", "42,7", "incorrect"),
    ("autodiff.trace.v6", "42.2", "incorrect"),
    ("vgg16.params_total", r"1.38 \times 10^8", "correct"),
    ("vgg16.params_total", r"1,38 \cdot 10^{8}", "correct"),
    ("vgg16.params_total", r"1.39 \times 10^8", "incorrect"),
    ("vgg16.params_total", "138357544", "correct"),
    ("vgg16.params_fc", r"1.236 \times 10^{8}", "correct"),
    ("vgg16.conv_fc_ratio", r"11.9\%", "correct"),
    ("vgg16.conv_fc_ratio", r"11,90\%", "correct"),
    ("vgg16.conv_fc_ratio", "0.12", "correct"),
    ("vgg16.conv_fc_ratio", "0.1", "correct"),
    ("vgg16.conv_fc_ratio", "0.13", "incorrect"),
    ("vgg16.params_conv", r"(3 \times 3 \times 3 + 1) \times 64 + 14712896", "correct"),
    ("autodiff.trace.v2", r"\ln 3", "correct"),
    ("autodiff.trace.v2", r"\log 3", "correct"),
    ("autodiff.trace.v2", r"\log_{10} 3", "incorrect"),
    ("autodiff.adjoint.v_-1", "-10", "correct"),
    ("autodiff.adjoint.v_-1", "10", "incorrect"),
    # 1/4 at one digit is 0.3 (round half away from zero), so 0.2 is wrong
    ("delta_rule.sigmoid_grad_max", "0.25", "correct"),
    ("delta_rule.sigmoid_grad_max", "0.3", "correct"),
    ("delta_rule.sigmoid_grad_max", "0.2", "incorrect"),
    ("delta_rule.sigmoid_grad_max", r"\frac{1}{4}", "correct"),
    # vectors and matrices, entry by entry at the digits written
    ("softmax.stable_example", "(0.09, 0.24, 0.67)", "correct"),
    ("softmax.stable_example", "(0.09, 0.25, 0.67)", "incorrect"),
    ("cnn.dL_dV", r"2\begin{bmatrix}1&2\\10&4\end{bmatrix}", "correct"),
    ("cnn.dL_dV", r"\begin{bmatrix}2&4\\20&8\end{bmatrix}", "correct"),
    ("cnn.dL_dV", r"\begin{bmatrix}2&4\\8&20\end{bmatrix}", "incorrect"),
    ("delta_rule.delta_w_values", "(0.0625, 0.03125)", "correct"),
    # symbols: case-sensitive, accents and indices distinct, sign notations
    ("adam.m_hat_1", "g_1", "correct"),
    ("adam.m_hat_1", "G_1", "incorrect"),
    ("adam.step_1", r"-\alpha \frac{g_1}{|g_1| + \epsilon}", "correct"),
    ("adam.step_1", r"-\alpha \frac{g_1}{\sqrt{g_1^2} + \epsilon}", "correct"),
    ("adam.m_hat_2", r"\frac{\beta_1 g_1 + g_2}{1 + \beta_1}", "correct"),
    ("adam.m_hat_2", r"\frac{(1-\beta_1)\beta_1 g_1 + (1-\beta_1) g_2}{1-\beta_1^2}", "correct"),
    ("adam.m_hat_2", r"\frac{\beta_2 g_1 + g_2}{1 + \beta_2}", "incorrect"),
    ("ce.dL_dz_y", "p_y - 1", "correct"),
    ("ce.dL_dz_y", "1 - p_y", "incorrect"),
    ("ce.dL_dz_other", r"\frac{e^{z_{y'}}}{\sum_j e^{z_j}}", "correct"),
    ("ce.loss_onehot", r"\log \frac{1}{p_y}", "correct"),
    ("delta_rule.do_dnet", r"o_1 (1 - o_1)", "correct"),
    ("delta_rule.do_dnet", r"o_1^2", "incorrect"),
    ("autodiff.df_dx_symbolic", r"\frac{2x^3(2\log x - 1)}{\log^3 x}", "correct"),
    ("autodiff.df_dx_symbolic", r"\frac{2x^3(2\ln x - 1)}{(\ln x)^3}", "correct"),
    ("autodiff.df_dx_symbolic", r"\frac{2x^3(2\log x + 1)}{(\log x)^3}", "incorrect"),
])
def test_answer_conventions_and_precision(sheets, answer_id, claim, verdict):
    sheet = next(s for s, ref in sheets.items() if answer_id in ref.answers)
    assert _answer(sheets, sheet, answer_id, claim)[0] == verdict


@pytest.mark.parametrize("value, written, half, ok", [
    ("48.756893", "48.757", "0.0005", True),
    ("0.25", "0.2", "0.05", False),
    ("0.25", "0.3", "0.05", True),
    ("-0.25", "-0.3", "0.05", True),
    ("-0.25", "-0.2", "0.05", False),
    ("138357544", "138000000", "500000", True),
    ("42.111371", "42.7", "0.05", False),
    ("7", "7", "0", True),
])
def test_round_half_away_from_zero(value, written, half, ok):
    import mpmath

    w = cm.Written(Fraction(written), Fraction(half), written)
    assert cm.rounds_to(mpmath.mpf(value), w) is ok


# --------------------------------------------------------------------------- steps and error carried forward


def _steps(sheets, sheet, problem, part, lines, env=None):
    """Check chains in order with a growing environment; returns verdicts."""
    env = dict(env or {})
    out = []
    for text in lines:
        sources = [s.strip() for s in text.replace(r"\approx", "=").split("=")]
        relations = [""] + ["approx" if r"\approx" in text else "equal"] * (len(sources) - 1)
        parsed = [cw.task_parse(s, sheet, problem, {}, part) for s in sources]
        result = cw.task_chain(sheet, problem, parsed, relations, [False] * len(parsed), env, 1, part)
        env.update(result.assign)
        out.append([p.verdict for p in result.pairs])
    return out


def test_error_enters_once_and_is_carried_forward(sheets):
    # the example's trace: x and c swapped, then log base 10
    verdicts = _steps(sheets, "A", "autodiff", "b", [
        "N_{-1} = c = 3", "N_0 = x = 5", "N_1 = N_0^2 = 25", r"N_2 = \log N_0 = 0.699",
        "N_3 = N_1 / N_2 = 35.8", r"N_6 = (N_3 + N_{-1}) \cdot (N_3 - N_{-1}) = 1272.6",
    ])
    assert verdicts == [["consistent", "inconsistent"], ["consistent", "inconsistent"],
                        ["consistent", "consistent"], ["consistent", "inconsistent"],
                        ["consistent", "consistent"], ["consistent", "consistent"]]


def test_rounded_intermediates_keep_a_step_consistent(sheets):
    # 13.19 * 3.19 = 42.0761, written 42.08: within the rounding of the inputs
    verdicts = _steps(sheets, "A", "autodiff", "b", ["v_4 = 13.19", "v_5 = 3.19", "v_6 = v_4 v_5 = 42.08"])
    assert verdicts[-1] == ["consistent", "consistent"]


@pytest.mark.parametrize("line, verdict", [
    (r"\bar{v}_3 = \bar{v}_4 \frac{\partial v_4}{\partial v_3} + \bar{v}_5 \frac{\partial v_5}{\partial v_3}",
     "consistent"),
    (r"\bar{v}_2 = \bar{v}_3 \frac{\partial v_3}{\partial v_2}", "consistent"),
    (r"\bar{v}_3 = \bar{v}_4 - \bar{v}_5", "inconsistent"),
    (r"\frac{\partial v_6}{\partial v_5} = v_4", "consistent"),
    (r"\frac{\partial v_2}{\partial v_0} = \frac{1}{v_0}", "consistent"),
    (r"\frac{\partial v_2}{\partial v_0} = v_0", "inconsistent"),
])
def test_local_partials_of_the_trace(sheets, line, verdict):
    assert _steps(sheets, "A", "autodiff", "c", [line])[0] == [verdict]


@pytest.mark.parametrize("part, line, verdict", [
    # a derivative that is 0 only because a name is undefined or not in the checker's
    # definitions is no evidence against the student: never "inconsistent"
    ("a", r"-\eta \frac{\partial TSS}{\partial w_{j1}} = \eta (t_1 - o_1) o_1 (1 - o_1) x_j", "unchecked"),
    ("a", r"\frac{\partial E}{\partial w_{j1}} = -(t_1 - o_1) o_1 (1 - o_1) x_j", "unchecked"),
    ("a", r"\frac{\partial q_7}{\partial w_{j1}} = 3", "unchecked"),
    ("a", r"\frac{\partial TSS}{\partial o_1} = -(t_1 - o_1)", "consistent"),
    ("a", r"\frac{\partial TSS}{\partial o_1} = (t_1 - o_1)", "inconsistent"),
    # sigma is the logistic sigmoid of problems.md C2: 1/(1 + e^0) = 0.5, 1/(1 + e^-2) = 0.880797
    ("b", r"\sigma(0) = 0.5", "consistent"),
    ("b", r"\sigma(0) = 0.7", "inconsistent"),
    ("b", r"\sigma(2) = 0.8808", "consistent"),
])
def test_delta_rule_steps(sheets, part, line, verdict):
    assert _steps(sheets, "C", "delta_rule", part, [line])[0] == [verdict]


@pytest.mark.parametrize("line, verdict", [
    (r"3 \times 3 \times 64 + 1 = 577", "consistent"),
    (r"3 \times 3 \times 64 + 1 = 576", "inconsistent"),
    (r"\frac{1}{4} = 0.25", "consistent"),
    (r"1.38 \times 10^8 = 138357544", "consistent"),
])
def test_arithmetic_steps(sheets, line, verdict):
    assert _steps(sheets, "A", "vgg16", "b", [line])[0] == [verdict]


def test_a_new_name_is_a_definition_not_an_error(sheets):
    assert _steps(sheets, "A", "adam", "e", [r"L' = L + \lambda \|w\|^2"])[0] == ["unchecked"]


def test_an_undefined_symbol_is_undecided_not_wrong(sheets):
    assert _steps(sheets, "A", "autodiff", "b", ["v_3 = q_7 + 1"])[0] == ["unchecked"]


def test_approx_drops_the_small_quantities(sheets):
    assert _steps(sheets, "A", "adam", "b", [
        r"-\alpha \frac{g_1}{|g_1| + \epsilon} \approx -\alpha \operatorname{sign}(g_1)"])[0] == ["consistent"]


# --------------------------------------------------------------------------- error models


def _variant(sheets, sheet, model, answer_id):
    ref = sheets[sheet]
    pid = ref.answers[answer_id].problem
    for v in ref.variants[pid]:
        if v.models == (model,) and answer_id in v.values:
            return v.values[answer_id]
    raise AssertionError(f"no single variant {model} for {answer_id}")


def _vgg_conv(with_channels=True, with_bias=True):
    widths = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    c, total = 3, 0
    for w in widths:
        total += (9 * (c if with_channels else 1) + (1 if with_bias else 0)) * w
        c = w
    return total


@pytest.mark.parametrize("sheet, model, answer_id, expected", [
    ("A", "swap_inputs", "autodiff.trace.v0", 5),
    ("A", "swap_inputs", "autodiff.adjoint.v_-1", -6),
    ("A", "log10", "autodiff.trace.v2", math.log10(3)),
    ("A", "log10", "autodiff.trace.v6", (9 / math.log10(3)) ** 2 - 25),
    ("A", "rf_without_jump", "vgg16.receptive_field", 1 + 13 * 2 + 5 * 1),
    ("A", "rf_input_size", "vgg16.receptive_field", 224),
    ("A", "rf_last_conv", "vgg16.receptive_field", 212 - 16),
    ("A", "conv_without_input_channels", "vgg16.params_conv", _vgg_conv(with_channels=False)),
    ("B", "relu_not_leaky", "cnn.y", 1 * 8 + 2 * 6),
    ("B", "sign", "ce.dL_dz_y", None),
    ("C", "no_sigmoid_derivative", "delta_rule.delta_w_values", [0.5 * 0.5 * 1, 0.5 * 0.5 * 0.5]),
    ("C", "sum_not_mean", "autograd.x_grad", None),
])
def test_error_model_values(sheets, sheet, model, answer_id, expected):
    value = _variant(sheets, sheet, model, answer_id)
    if expected is None:
        return
    if isinstance(expected, list):
        assert [float(v) for v in value] == pytest.approx(expected, rel=1e-12)
    else:
        assert float(sp.N(value, 30)) == pytest.approx(expected, rel=1e-12)


def test_without_biases_variants(sheets):
    ref = sheets["A"]
    labels = {v.label: v.values for v in ref.variants["vgg16"] if v.models == ("without_biases",)}
    both = labels["parameters without the biases"]
    assert both["vgg16.params_conv"] == _vgg_conv(with_bias=False)
    fc_no_bias = 25088 * 4096 + 4096 * 4096 + 4096 * 1000
    assert both["vgg16.params_fc"] == fc_no_bias


def test_adam_mistakes_are_the_modules_own_solve():
    """A mistake is the module's solve with one choice changed (Kingma & Ba
    2015, Algorithm 1, redone by hand with the mistake)."""
    from derivations import adam as A
    from engine.model import catalog

    b1, g1, g2 = A.beta_1, A.g_1, A.g_2
    problem = catalog.get("adam")
    dropped = problem.solve(choices={"bias_correction": False}).answers
    assert sp.simplify(dropped["adam.m_hat_2"].value - ((1 - b1) * b1 * g1 + (1 - b1) * g2)) == 0
    exchanged = problem.solve(choices={"moment_weights": "exchanged"}).answers
    assert sp.simplify(exchanged["adam.m_hat_1"].value - b1 * g1 / (1 - b1)) == 0
    right = problem.solve().answers
    assert sp.simplify(right["adam.m_hat_2"].value - (b1 * g1 + g2) / (1 + b1)) == 0
    both = problem.solve(choices={"bias_correction": False, "moment_weights": "exchanged"}).answers
    assert sp.simplify(both["adam.m_hat_1"].value - b1 * g1) == 0


def test_cnn_relu_mistake_agrees_with_the_statement():
    """Max-pool, ReLU instead of LeakyReLU and y by hand from problems.md (B1)."""
    from engine.model import catalog

    q = catalog.get("cnn").solve(choices={"forward_slope": "zero", "backward_slope": "zero"}).answers
    assert q["cnn.U"].value == sp.Matrix([[8, 6], [sp.Rational(-1, 2), sp.Rational(-1, 2)]])
    assert q["cnn.V"].value == sp.Matrix([[8, 6], [0, 0]])
    assert q["cnn.y"].value == 20  # 8 + 12: ReLU drops the negative entries
    assert q["cnn.dL_dalpha"].value == -14  # 20 * (-0.5) + 8 * (-0.5): the PReLU part has no mistake


def test_error_models_are_a_table():
    from engine.model import catalog

    for problem in catalog.available():
        names = [m.name for m in diagnose.models(problem)]
        assert len(names) == len(set(names)), problem.id
        assert names[-1] == "sign" and "log10" in names
    names = {m.name for p in catalog.available() for m in diagnose.models(p)}
    for required in ("log10", "swap_inputs", "bias_correction_dropped", "beta_exchanged",
                     "conv_without_input_channels", "without_biases", "rf_without_jump", "rf_input_size",
                     "adjoint_sign"):
        assert required in names


@pytest.mark.parametrize("answer_id, claim, phrase", [
    ("autodiff.trace.v2", "0.4771", "log base 10"),
    ("autodiff.trace.v0", "5", "inputs swapped"),
    ("vgg16.receptive_field", "32", "without the jump"),
    ("vgg16.receptive_field", "224", "taken as the input size"),
    ("vgg16.params_conv", "14710464", "without the biases"),
    ("vgg16.params_conv", str(_vgg_conv(with_channels=False)), "without the input channels"),
    ("adam.m_hat_1", r"(1-\beta_1) g_1", "bias correction dropped"),
    ("adam.m_hat_2", r"\frac{\beta_1 (1-\beta_1) g_1 + \beta_1 g_2}{1 - \beta_1^2}", "beta and 1 - beta exchanged"),
    ("adam.step_1", r"-\alpha \frac{g_1}{\sqrt{g_1^2 + \epsilon}}", "epsilon inside the square root"),
    ("ce.dL_dz_y", "1 - p_y", "sign"),
    ("cnn.dL_dU", r"\begin{bmatrix}2&4\\20&8\end{bmatrix}", "slope left out of the backward pass"),
    ("autograd.x_grad", "(0.4722, 0, 0.9642, 40.00)", "exponent 4x treated as a constant"),
])
def test_diagnosis_names_the_mistake(sheets, answer_id, claim, phrase):
    sheet = next(s for s, ref in sheets.items() if answer_id in ref.answers)
    verdict, diagnosis = _answer(sheets, sheet, answer_id, claim)
    assert verdict == "incorrect"
    assert phrase in diagnosis


# --------------------------------------------------------------------------- derivatives, sums and failures


def _pairs(sheet, problem, part, text):
    """(verdict, detail) of every pair of one chain ``a = b = ...``."""
    parsed = [cw.task_parse(s.strip(), sheet, problem, {}, part) for s in text.split(" = ")]
    relations = [""] + ["equal"] * (len(parsed) - 1)
    result = cw.task_chain(sheet, problem, parsed, relations, [False] * len(parsed), {}, 1, part)
    return [(p.verdict, p.detail) for p in result.pairs]


def _sigmoid_grad(z: float) -> float:
    """d sigma / dz at z by PyTorch autograd, float64 (the reference)."""
    import torch

    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(t).backward()
    return t.grad.item()


def _autodiff_df_dx() -> float:
    """df/dx of f = (x^2/log x + c)(x^2/log x - c) at x = 3, c = 5, by PyTorch autograd."""
    import torch

    x = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    u = x**2 / torch.log(x)
    ((u + 5) * (u - 5)).backward()
    return x.grad.item()


@pytest.mark.parametrize("sheet, problem, part, text, verdicts", [
    # a derivative written with a prime or d/dx is differentiated, never substituted into
    ("C", "delta_rule", "c", r"\sigma'(z) = \sigma(z)(1 - \sigma(z))", ["consistent"]),
    ("C", "delta_rule", "c", r"\sigma'(z) = \sigma(z)(1 + \sigma(z))", ["inconsistent"]),
    ("C", "delta_rule", "c", rf"\sigma'(0) = {_sigmoid_grad(0.0)!r}", ["consistent"]),
    ("C", "delta_rule", "c", rf"\sigma'(0) = {2 * _sigmoid_grad(0.0)!r}", ["inconsistent"]),
    ("A", "autodiff", "a", rf"\frac{{d}}{{dx}}\left[u^2 - c^2\right] = {_autodiff_df_dx():.12f}", ["consistent"]),
    ("A", "autodiff", "a", rf"\frac{{d}}{{dx}}\left[u^2 - c^2\right] = {_autodiff_df_dx() + 1:.12f}",
     ["inconsistent"]),
    # a name applied to variables is the quantity, not a product (L(y) is not L times y)
    ("B", "cnn", "a", r"L(y) = \frac{1}{2}(y - t)^2", ["consistent"]),
    ("B", "cnn", "a", r"L(y) = \frac{1}{2}(y + t)^2", ["inconsistent"]),
    ("A", "autodiff", "b", f"x(x + 1) = {3 * (3 + 1)}", ["consistent"]),  # a given times a bracket multiplies
    ("A", "autodiff", "b", f"x(x + 1) = {3 + 1}", ["inconsistent"]),
    ("B", "cnn", "b", "U = 8", ["inconsistent"]),  # U is the 2x2 max-pool output
])
def test_derivatives_and_calls_are_read(sheets, sheet, problem, part, text, verdicts):
    assert [v for v, _ in _pairs(sheet, problem, part, text)] == verdicts


@pytest.mark.parametrize("sheet, problem, part, text, expected", [
    ("C", "delta_rule", "c", r"g'(z) = \sigma(z)(1 - \sigma(z))",
     [("unchecked", "could not decide: uses the function g, which the checker has no definition of")]),
    ("C", "delta_rule", "c", r"g'(0) = 0.25",
     [("unchecked", "could not decide: uses the function g, which the checker has no definition of")]),
    ("A", "autodiff", "b", r"E(w) = 12", [("unchecked", "defines E(w)")]),
    # p(y) is no function of the sheet: read as the vector p times y, it is not surely a vector
    ("B", "softmax", "b", r"p(y) = 0.665",
     [("unchecked", "could not decide: a vector with symbols the problem does not give is compared with a single "
                    "value")]),
    # B-clean line 29: H(q, p) names the loss; the sum over the entries of one-hot q is not evaluated
    ("B", "softmax", "c", r"H(q, p) = -\sum_i q_i \log p_i = -\log p_y",
     [("unchecked", "could not decide: it takes entries of p, q, z at a symbolic index (a sum over i): the two "
                    "sides do not simplify to the same form, and such terms have no value to test")] * 2),
])
def test_what_cannot_be_decided_says_why(sheets, sheet, problem, part, text, expected):
    assert _pairs(sheet, problem, part, text) == expected


@pytest.mark.parametrize("source, reason", [
    (r"\frac{0}{0}", "it divides 0 by 0, which has no value"),
    (r"\frac{1}{0}", "it divides by zero"),
])
def test_an_element_without_a_value_is_unparsed(sheets, source, reason):
    p = cw.task_parse(source, "C", "autograd", {}, "b")
    assert (p.ok, p.reason) == (False, reason)


@pytest.mark.parametrize("text, split", [
    (r"-\alpha \operatorname{sign}(g_1)\left(1 - \frac{\epsilon}{|g_1|}\right) + O(\epsilon^2)",
     (r"-\alpha \operatorname{sign}(g_1)\left(1 - \frac{\epsilon}{|g_1|}\right)", r"\epsilon^2")),
    (r"1 + \delta + \mathcal{O}\left(\delta^2\right)", (r"1 + \delta", r"\delta^2")),
    (r"\sin(O(x))", None),  # not a term of the whole expression
    (r"1 + O(x", None),
    (r"O(x^2)", None),  # nothing but the order term
])
def test_an_order_term_is_split_off(text, split):
    assert cw._split_order_term(text) == split


def test_a_series_is_read_with_its_order_term(sheets):
    p = cw.task_parse(r"1 - \frac{\epsilon}{2} + O(\epsilon^2)", "A", "adam", {}, "b")
    eps = p.expr.free_symbols.pop()
    assert p.ok and p.expr == 1 - eps / 2 + sp.Order(eps**2, (eps, 0))


@pytest.mark.parametrize("exc, phrase", [
    (RecursionError("maximum recursion depth exceeded"), "it is nested too deeply for the algebra system"),
    (ZeroDivisionError("division by zero"), "it divides by zero"),
    (OverflowError("int too large"), "a number in it is too large to evaluate"),
    (NotImplementedError(), "the algebra system has no rule for it"),
    (sp.PolynomialError("not a polynomial"), "the algebra system has no rule for it"),
    (ValueError("Can't calculate derivative wrt 3."),
     "the algebra system cannot evaluate it (a matrix where a number is needed, or a form it does not support)"),
    (IndexError("index out of range"),
     "the algebra system cannot evaluate it (a matrix where a number is needed, or a form it does not support)"),
])
def test_failures_are_told_in_the_readers_terms(monkeypatch, exc, phrase):
    monkeypatch.delenv("DERIVE_DEBUG", raising=False)
    assert cm.failure_reason(exc) == phrase
    monkeypatch.setenv("DERIVE_DEBUG", "1")
    assert cm.failure_reason(exc) == f"{phrase} [{type(exc).__name__}: {' '.join(str(exc).split())}]"


@pytest.mark.parametrize("message, shown", [
    ("sign cannot take these arguments (TypeError: bad operand type for abs(): tuple)",
     "sign cannot take these arguments"),
    ("sign cannot take these arguments (ValueError)", "sign cannot take these arguments"),
    ("a relation (And), not an expression", "a relation (And), not an expression"),
])
def test_a_readers_message_names_no_python_exception(message, shown):
    assert cw._PYTHON_NAMES.sub("", message) == shown
