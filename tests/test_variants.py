"""Exam variants (engine.model.variants, ``derive answers --variant``, ``derive pdf
--variants``): the same seed gives the same parameters in any process,
different seeds different ones, every draw is well posed by an independent
check (x > 1, no tie in a max-pool window, distinct logits), and the key
answers of every varied problem agree, at the drawn parameters, with the
independent references of the problems' own test modules (PyTorch autograd in
float64, mpmath, torch.nn modules, plain loops). The PDFs are read back with
pdftotext: the handout holds the drawn values and no answer; the worked
variants hold answers computed here independently."""
from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy as sp
import torch

from engine.model import catalog
from engine.math import numbers
from engine.model import variants
from engine.cli import main
from engine.commands.catalog import answers_json
from engine.commands.render import statements_path
from engine.errors import UsageError
from engine.model.problem import Table, plain_value
from tests.conftest import ROOT
from tests.test_adam import ALPHA, adam_loop, as_float, at, loop_ratio, mp, mpf, torch_steps
from tests.test_autodiff import torch_hook_grads, torch_trace
from tests.test_autograd import torch_snippet
from tests.test_cnn import as_list, assert_nested_close, torch_network, torch_prelu
from tests.test_attention import torch_attention
from tests.test_batchnorm import torch_bn
from tests.test_delta_rule import torch_unit
from tests.test_dropout import torch_grad as torch_dropout_grad
from tests.test_logistic import torch_unit as torch_logistic_unit
from tests.test_pdf import pdf_text
from tests.test_vgg16 import recurrence_loop, torch_counts

#: Every problem of the catalog that has a parameter an exam variant draws.
VARIED = [p.id for p in catalog.available()
          if any(q.domain is not None or q.sample is not None for q in p.parameters)]
#: Seeds of the correctness checks (the problems' own test modules use 1, 2, 3).
SEEDS = [11, 12, 13]
#: Seeds of the well-posedness sweep.
SWEEP = range(60)


def plain(values: dict) -> dict:
    """Parameter values as JSON numbers (as ``derive answers`` prints them)."""
    return {name: plain_value(value) for name, value in values.items()}


def py_layers(layers) -> list:
    """A drawn layer list with Python ints (torch.nn wants them)."""
    return [[kind, *(int(n) for n in rest)] for kind, *rest in layers]


def floats(values):
    """Nested lists of exact values as floats (for torch)."""
    return [floats(v) if isinstance(v, list) else float(v) for v in values]


def test_every_problem_of_the_catalog_varies():
    assert VARIED == [p.id for p in catalog.available()]


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("problem_id", VARIED)
def test_same_seed_same_parameters(problem_id):
    problem = catalog.get(problem_id)
    for seed in (0, 1, 7, 123, -4):
        assert plain(variants.draw(problem, seed)) == plain(variants.draw(problem, seed))


@pytest.mark.parametrize("problem_id", VARIED)
def test_different_seeds_different_parameters(problem_id):
    problem = catalog.get(problem_id)
    drawn = [json.dumps(plain(variants.draw(problem, seed)), sort_keys=True) for seed in range(12)]
    assert len(set(drawn)) == len(drawn)


def _draws_in_a_fresh_process(hash_seed: str) -> dict:
    code = ("import json\nfrom engine.model import catalog, variants\nfrom engine.model.problem import plain_value\n"
            "print(json.dumps({p.id: [{k: plain_value(v) for k, v in variants.draw(p, s).items()} for s in (3, 4)]\n"
            "                  for p in catalog.available()}))")
    env = {"PYTHONHASHSEED": hash_seed, "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=True)
    return json.loads(proc.stdout)


def test_draws_do_not_depend_on_the_process_or_hash_randomisation():
    here = {p.id: [plain(variants.draw(p, s)) for s in (3, 4)] for p in catalog.available()}
    assert _draws_in_a_fresh_process("1") == here
    assert _draws_in_a_fresh_process("2") == here


def test_derive_answers_variant_prints_the_drawn_parameters(derive):
    result = derive("answers", "autodiff", "--variant", "12", "--format", "json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)["autodiff"]
    assert out["parameters"] == plain(variants.draw(catalog.get("autodiff"), 12))
    x0, c0 = (float(out["parameters"][k]) for k in ("x", "c"))
    assert out["answers"]["autodiff.df_dx"]["value"] == pytest.approx(torch_hook_grads(x0, c0)["x"], rel=1e-12)


def test_set_overrides_a_drawn_value():
    (doc,) = answers_json([catalog.get("autodiff")], {"autodiff": {"c": "2"}}, variant=12).values()
    assert doc["parameters"] == {**plain(variants.draw(catalog.get("autodiff"), 12)), "c": 2}


# --------------------------------------------------------------------------- well posed


def _window_maxima_are_unique_and_nonzero(X) -> bool:
    """2 x 2 windows of stride 2 (problems.md B1): one maximum each, not 0."""
    for i in range(0, len(X), 2):
        for j in range(0, len(X[0]), 2):
            window = [X[i][j], X[i][j + 1], X[i + 1][j], X[i + 1][j + 1]]
            if window.count(max(window)) != 1 or max(window) == 0:
                return False
    return True


#: problem id -> an independent check of what keeps a draw well posed.
WELL_POSED = {
    "autodiff": lambda v: v["x"] > 1,  # log x > 0 in the denominator
    "adam": lambda v: 0 < v["beta_1"] < 1 and 0 < v["beta_2"] < 1 and v["epsilon"] > 0,
    "vgg16": lambda v: torch_counts(py_layers(v["layers"]), int(v["input_channels"]), int(v["input_size"]))["fc"] > 0,
    "cnn": lambda v: _window_maxima_are_unique_and_nonzero(v["X"]) and v["dL_dy"] != 0
    and len(v["W"]) * 2 == len(v["X"]) and len(v["W"][0]) * 2 == len(v["X"][0]),
    "softmax": lambda v: len(set(v["z"])) == len(v["z"]) >= 2,  # distinct logits
    "autograd": lambda v: all(e > -1 for e in v["x"]),  # a = x + 1 > 0, the base of a real power
    "delta_rule": lambda v: len(v["x"]) == len(v["w"]),
    "batchnorm": lambda v: len(set(v["x"])) > 1 and len(v["x"]) == len(v["upstream"]),  # sigma^2 > 0 at eps = 0
    "attention": lambda v: len(v["Q"][0]) == len(v["K"][0]) and len(v["K"]) == len(v["V"]) >= 2,
    "init": lambda v: v["n_in"] >= 1 and v["n_out"] >= 1,
    "dropout": lambda v: 0 < v["q"] <= 1 and set(v["mask"]) <= {0, 1} and len(v["mask"]) == len(v["upstream"]),
    "logistic": lambda v: len(v["x"]) == len(v["w"]) and v["t"] in (0, 1),
}


def test_every_varied_problem_has_an_independent_well_posedness_check():
    assert sorted(WELL_POSED) == sorted(VARIED)


@pytest.mark.parametrize("problem_id", VARIED)
def test_draws_are_well_posed_and_inside_their_domains(problem_id):
    problem = catalog.get(problem_id)
    for seed in SWEEP:
        values = variants.draw(problem, seed)
        assert WELL_POSED[problem_id](values), (seed, plain(values))
        assert problem.well_posed is None or problem.well_posed(values) is None
        for param in problem.parameters:
            if param.domain is None or param.kind != "scalar":
                continue
            lo, hi = (sp.Rational(str(v)) for v in param.domain)
            value = values[param.name]
            inside = lo <= value <= hi if param.integer else lo < value < hi
            assert inside, (seed, param.name, value, param.domain)
            if param.integer:
                assert value.is_Integer


@pytest.mark.parametrize("count, seed, expected", [(1, 1, [1]), (3, 1, [1, 2, 3]), (2, 100, [100, 101]),
                                                   (3, -1, [-1, 0, 1])])
def test_variant_k_uses_seed_s_plus_k_minus_1(count, seed, expected):
    assert variants.variant_seeds(count, seed) == expected


@pytest.mark.parametrize("count", [0, -2])
def test_no_variants_is_a_usage_error(count):
    with pytest.raises(UsageError) as info:
        variants.variant_seeds(count, 1)
    assert str(info.value) == f"--variants {count}: give the number of variants, 1 or more"


# --------------------------------------------------------------------------- answers at the drawn values


def check_autodiff(sol, v):
    x0, c0 = float(v["x"]), float(v["c"])
    primal, adjoint = torch_trace(x0, c0)
    for key in primal:
        assert sol.answers[f"autodiff.trace.{key}"].json_value == pytest.approx(primal[key], rel=1e-12, abs=1e-14)
        assert sol.answers[f"autodiff.adjoint.{key}"].json_value == pytest.approx(adjoint[key], rel=1e-12, abs=1e-14)
    with mpmath.workdps(40):
        xm, cm = mpmath.mpf(str(v["x"].p)) / v["x"].q, mpmath.mpf(str(v["c"].p)) / v["c"].q
        f = lambda t, s: (t**2 / mpmath.log(t) + s) * (t**2 / mpmath.log(t) - s)  # noqa: E731
        reference = mpmath.diff(lambda t: f(t, cm), xm)
        ours = mpmath.mpf(str(sp.N(sol.answers["autodiff.df_dx"].value, 45)))
        assert abs(ours - reference) <= mpmath.mpf(10) ** -25 * abs(reference)
    assert sol.answers["autodiff.df_dc"].value == -2 * v["c"]


def check_adam(sol, v):
    b1, b2, eps = (Fraction(int(v[k].p), int(v[k].q)) for k in ("beta_1", "beta_2", "epsilon"))
    g1, g2 = Fraction(3, 10), Fraction(-7, 10)
    (_, _, mhat1, vhat1), (_, _, mhat2, vhat2) = adam_loop([g1, g2], b1, b2)
    point = dict(beta_1=b1, beta_2=b2, g_1=g1, g_2=g2)
    assert at(sol.answers["adam.m_hat_2"].value, **point) == sp.Rational(mhat2.numerator, mhat2.denominator)
    assert at(sol.answers["adam.v_hat_2"].value, **point) == sp.Rational(vhat2.numerator, vhat2.denominator)
    w = torch_steps([g1, g2], b1, b2, eps)
    assert as_float(at(sol.answers["adam.step_1"].value, alpha=ALPHA, g_1=g1, epsilon=eps)) == pytest.approx(
        w[1] - w[0], rel=1e-9)
    ratio = as_float(at(sol.answers["adam.ratio_2"].value, epsilon=eps, **point))
    assert -float(ALPHA) * ratio == pytest.approx(w[2] - w[1], rel=1e-9)
    with mpmath.workdps(40):
        slope = mpmath.diff(lambda h: loop_ratio(mpf(g1), mpf(g1) * (1 + h), mpf(b1), mpf(b2), 0), 0)
        assert abs(mp(sol.answers["adam.ratio_2_delta_coefficient"].value) - slope) < mpmath.mpf(10) ** -25
    (table,) = [b for p in sol.parts if p.label == "d" for b in p.blocks if isinstance(b, Table)]
    for size, ratio_1, _ in table.rows:
        w = torch_steps([Fraction(str(size))], b1, b2, eps)
        assert as_float(ratio_1) == pytest.approx(abs(w[1] - w[0]) / float(ALPHA), rel=1e-9)


def check_vgg16(sol, v):
    counts = torch_counts(py_layers(v["layers"]), int(v["input_channels"]), int(v["input_size"]))
    assert sol.answers["vgg16.params_conv"].value == counts["conv"]
    assert sol.answers["vgg16.params_fc"].value == counts["fc"]
    assert sol.answers["vgg16.params_total"].value == counts["conv"] + counts["fc"]
    assert sol.answers["vgg16.receptive_field"].value == recurrence_loop(py_layers(v["layers"]))


def check_cnn(sol, v):
    X, W = floats(v["X"]), floats(v["W"])
    ref = torch_network(X, W, float(v["slope"]), float(v["dL_dy"]))
    assert_nested_close(sol.answers["cnn.U"].json_value, as_list(ref["U"]))
    assert sol.answers["cnn.y"].json_value == pytest.approx(ref["y"].item(), rel=1e-12)
    assert_nested_close(sol.answers["cnn.dL_dX"].json_value, as_list(ref["dL_dX"]))
    prelu = torch_prelu(X, W, float(v["alpha"]), float(v["dL_dy"]))
    assert sol.answers["cnn.dL_dalpha"].json_value == pytest.approx(prelu["alpha"], rel=1e-12, abs=1e-12)


def check_softmax(sol, v):
    logits = torch.tensor(floats(v["z"]), dtype=torch.float64)
    assert sol.answers["softmax.stable_example"].json_value == pytest.approx(torch.softmax(logits, 0).tolist(),
                                                                             rel=1e-14)
    naive = torch.exp(logits) / torch.exp(logits).sum()
    assert all(math.isnan(p) for p in naive.tolist())  # the drawn logits overflow exp in float64
    assert r"$\mathrm{inf}/\mathrm{inf} = \mathrm{nan}$" in sol.answers["softmax.naive_example"].text


def check_autograd(sol, v):
    y, grad = torch_snippet(floats(v["x"]))
    assert sol.answers["autograd.y"].json_value == pytest.approx(y, rel=1e-14)
    assert sol.answers["autograd.x_grad"].json_value == pytest.approx(grad, rel=1e-13, abs=1e-15)


def check_delta_rule(sol, v):
    ref = torch_unit(floats(v["x"]), floats(v["w"]), float(v["t_1"]), float(v["eta"]))
    assert sol.answers["delta_rule.o"].json_value == pytest.approx(ref["o"], rel=1e-15)
    assert sol.answers["delta_rule.delta_w_values"].json_value == pytest.approx(ref["delta_w"], rel=1e-13,
                                                                                abs=1e-17)


def check_batchnorm(sol, v):
    ref = torch_bn(floats(v["x"]), float(v["gamma"]), float(v["beta"]), float(v["epsilon"]), floats(v["upstream"]))
    for key in ("mean", "var", "y", "dL_dgamma", "dL_dx"):
        assert sol.answers[f"batchnorm.{key}"].json_value == pytest.approx(ref[key], rel=1e-12, abs=1e-13)


def check_attention(sol, v):
    ref = torch_attention(floats(v["Q"]), floats(v["K"]), floats(v["V"]))
    for key in ("scores", "weights", "output"):
        ours = [float(e) for row in sol.answers[f"attention.{key}"].json_value
                for e in (row if isinstance(row, list) else [row])]
        assert ours == pytest.approx(ref[key].flatten().tolist(), rel=1e-12, abs=1e-14)


def check_init(sol, v):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(int(v["n_out"]), int(v["n_in"])))
    gain = torch.nn.init.calculate_gain("relu")
    assert sol.answers["init.he_std"].json_value == pytest.approx(gain / math.sqrt(fan_in), rel=1e-14)
    assert sol.answers["init.xavier_var"].json_value == pytest.approx(2 / (fan_in + fan_out), rel=1e-14)


def check_dropout(sol, v):
    ref = torch_dropout_grad(floats(v["mask"]), floats(v["upstream"]), float(v["q"]))
    assert sol.answers["dropout.grad"].json_value == pytest.approx(ref, rel=1e-14)
    q, h = float(v["q"]), float(v["h"])
    assert sol.answers["dropout.var_value"].json_value == pytest.approx(h * h * (1 - q) / q, rel=1e-14)


def check_logistic(sol, v):
    ref = torch_logistic_unit(floats(v["x"]), floats(v["w"]), float(v["b"]), float(v["t"]))
    for key in ("loss", "dL_dz", "dL_dw", "dL_db"):
        assert sol.answers[f"logistic.{key}"].json_value == pytest.approx(ref[key], rel=1e-13, abs=1e-15)


CHECKS = {
    "autodiff": check_autodiff, "adam": check_adam, "vgg16": check_vgg16, "cnn": check_cnn,
    "softmax": check_softmax, "autograd": check_autograd, "delta_rule": check_delta_rule,
    "batchnorm": check_batchnorm, "attention": check_attention, "init": check_init, "dropout": check_dropout,
    "logistic": check_logistic,
}


def test_every_varied_problem_has_a_reference_check():
    assert sorted(CHECKS) == sorted(VARIED)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("problem_id", VARIED)
def test_answers_at_the_drawn_parameters_match_the_references(problem_id, seed):
    problem = catalog.get(problem_id)
    values = variants.draw(problem, seed)
    sol = problem.solve(values)
    assert plain(sol.params) == plain(values)
    CHECKS[problem_id](sol, values)


# --------------------------------------------------------------------------- derive pdf --variants

PDF_SEEDS = (5, 6)


def _minus(text: str) -> str:
    return text.replace("-", "\N{MINUS SIGN}")


@pytest.fixture(scope="module")
def exam(tmp_path_factory):
    """``derive pdf autodiff vgg16 --variants 2 --seed 5``, run once: (paths, stdout, stderr, texts)."""
    out = tmp_path_factory.mktemp("exam") / "midterm.pdf"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["pdf", "autodiff", "vgg16", "--variants", "2", "--seed", str(PDF_SEEDS[0]), "-o", str(out)])
    assert code == 0, stderr.getvalue()
    handout = out.with_name("midterm-statements.pdf")
    return out, handout, stdout.getvalue(), stderr.getvalue(), pdf_text(out), pdf_text(handout)


def _drawn(problem_id: str, seed: int) -> dict:
    return variants.draw(catalog.get(problem_id), seed)


def _independent_answers(seed: int) -> dict[str, str]:
    """Text of some boxed answers at the variant's values, computed here:
    df/dx by mpmath (6 digits, as the display policy shows it), the parameter
    counts by torch.nn modules and the receptive field by a plain loop."""
    a, v = _drawn("autodiff", seed), _drawn("vgg16", seed)
    x0, c0 = mpmath.mpf(str(a["x"].p)) / a["x"].q, mpmath.mpf(str(a["c"].p)) / a["c"].q
    df_dx = mpmath.diff(lambda t: (t**2 / mpmath.log(t) + c0) * (t**2 / mpmath.log(t) - c0), x0)
    counts = torch_counts(py_layers(v["layers"]), int(v["input_channels"]), int(v["input_size"]))
    return {
        "df_dx": _minus(f"≈ {mpmath.nstr(df_dx, 6)}"),
        "params_total": f"P = {counts['conv'] + counts['fc']:,}",  # boxed with its digits grouped
        "params_conv": f"= {counts['conv']:,}",
        "receptive_field": f"r = {recurrence_loop(py_layers(v['layers']))}",
    }


def test_variants_command_prints_both_paths_and_reports_progress(exam):
    out, handout, stdout, stderr, _, _ = exam
    assert stdout == f"{out}\n{handout}\n"
    assert out.exists() and handout.exists()
    lines = stderr.splitlines()
    assert lines[0] == "derive: 2 variants of autodiff, vgg16 from seeds 5..6"
    for number, seed in enumerate(PDF_SEEDS, start=1):
        for problem_id in ("autodiff", "vgg16"):
            prefix = f"derive: variant {number} of 2 (seed {seed}): solved {problem_id} in "
            assert any(line.startswith(prefix) for line in lines), prefix
    assert f"derive: building {out} (variants with solutions)" in lines
    assert f"derive: building {handout} (statements only)" in lines
    assert lines[-1].startswith("derive: total ")


@pytest.mark.parametrize("seed", PDF_SEEDS)
def test_handout_holds_the_drawn_values_and_no_answer(exam, seed):
    *_, handout_text = exam
    flat = " ".join(handout_text.split())
    number = PDF_SEEDS.index(seed) + 1
    assert f"Variant {number} (seed {seed})" in flat
    a, v = _drawn("autodiff", seed), _drawn("vgg16", seed)
    for name in ("x", "c"):
        assert _minus(f"{name} = {numbers.format_number(a[name], 15)}") in flat
    size, channels = int(v["input_size"]), int(v["input_channels"])
    assert f"{size} × {size} × {channels}" in flat
    for answer in _independent_answers(seed).values():
        assert answer not in flat
    for problem_id in ("autodiff", "vgg16"):
        for answer_id in catalog.get(problem_id).answer_ids:
            assert answer_id not in flat
    assert "Answer" not in flat and "Forward primal trace" not in flat


def test_each_variant_of_the_handout_starts_on_a_new_page(exam):
    *_, handout_text = exam
    pages = handout_text.split("\f")
    starts = [i for i, page in enumerate(pages) if "Variant" in page]
    assert len(starts) == 2 and pages[starts[1]].lstrip().startswith("Variant 2 (seed 6)")


def _section(text: str, seed: int) -> str:
    """The text of the variant of ``seed`` in the worked variants: from the
    last occurrence of its heading (the first is in the contents) to the next."""
    flat = " ".join(text.split())
    headings = [f"Variant {k} (seed {s})" for k, s in enumerate(PDF_SEEDS, start=1)]
    k = PDF_SEEDS.index(seed)
    start = flat.rindex(headings[k])
    end = flat.rindex(headings[k + 1]) if k + 1 < len(headings) else len(flat)
    return flat[start:end]


@pytest.mark.parametrize("seed", PDF_SEEDS)
def test_worked_variants_hold_the_independent_answers(exam, seed):
    _, _, _, _, text, _ = exam
    flat = _section(text, seed)
    assert "Contents" in " ".join(text.split())
    for name, answer in _independent_answers(seed).items():
        assert answer in flat, name
    a = _drawn("autodiff", seed)
    assert _minus(f"x = {numbers.format_number(a['x'], 15)}") in flat
    for answer_id in catalog.get("vgg16").answer_ids:
        assert answer_id in flat


@pytest.mark.parametrize("path, expected", [
    ("build/variants.pdf", "build/variants-statements.pdf"),
    ("exam/midterm.pdf", "exam/midterm-statements.pdf"),
    ("exam", "exam-statements.pdf"),
])
def test_statements_path(path, expected):
    assert statements_path(Path(path)) == Path(expected)


@pytest.mark.parametrize("args, message", [
    (["--seed", "3"], "derive pdf: --seed 3 needs --variants N, e.g. --variants 3 --seed 3\n"),
    (["--variants", "0"], "derive pdf: --variants 0: give the number of variants, 1 or more\n"),
])
def test_bad_variant_options_are_usage_errors(args, message, tmp_path, capsys):
    assert main(["pdf", "vgg16", *args, "-o", str(tmp_path / "x.pdf")]) == 2
    captured = capsys.readouterr()
    assert captured.err == message and captured.out == ""
    assert not (tmp_path / "x.pdf").exists()


def test_an_ill_posed_override_of_a_variant_is_a_usage_error(tmp_path, capsys):
    assert main(["pdf", "autodiff", "--variants", "1", "--set", "x=0.5", "-o", str(tmp_path / "x.pdf")]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "derive pdf: problem 'autodiff' is not well posed at these values: x = 1/2 must be greater than 1 "
        "(log x > 0 in the denominator)")
