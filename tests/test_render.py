"""The renderer: escaping tables, the template guard, the three outputs of a
small problem defined here, and ``derive render`` on the command line."""
from __future__ import annotations

import re

import jinja2
import mpmath
import pytest
import sympy as sp

from engine.model import catalog
from engine.render import views as render
from engine.cli import main
from engine.render.escape import escape_latex, escape_md, math_text_latex, prose_latex, prose_md, safe_math
from engine.model.problem import Answer, Code, Derivation, Parameter, Problem, Step, Table, Tex, Text
from engine.model.verify import Proof

# --------------------------------------------------------------------------- escaping

HOSTILE_LATEX = [
    (r"\input{/etc/hostname}", r"\textbackslash{}input\{/etc/hostname\}"),
    (r"\write18{rm -rf ~}", r"\textbackslash{}write18\{rm -rf \textasciitilde{}\}"),
    (r"\immediate\write18{ls}", r"\textbackslash{}immediate\textbackslash{}write18\{ls\}"),
    ("^^5cinput", r"\textasciicircum{}\textasciicircum{}5cinput"),
    ("100%", r"100\%"),
    ("#1 & #2", r"\#1 \& \#2"),
    ("a_b", r"a\_b"),
    ("{}", r"\{\}"),
    ("~", r"\textasciitilde{}"),
    ("x^2", r"x\textasciicircum{}2"),
    ("\\", r"\textbackslash{}"),
    ("$x$", r"\$x\$"),
    ("<b>|</b>", r"\textless{}b\textgreater{}\textbar{}\textless{}/b\textgreater{}"),
]


@pytest.mark.parametrize(
    "text, expected",
    HOSTILE_LATEX
    + [
        ("plain words, 3.5 and (a) [b]", "plain words, 3.5 and (a) [b]"),
        ("tab\there", "tab here"),
        ("nul\x00bell\x07", "nulbell"),
        ("line one\nline two", "line one\nline two"),
        ("café naïve", "café naïve"),
        ("α ≤ β", r"$\alpha$ $\le$ $\beta$"),
        ("x → y", r"x $\to$ y"),
        ("a – b — c", "a -- b --- c"),
        ("日本", r"\textbf{?}\textbf{?}"),
    ],
)
def test_escape_latex(text, expected):
    assert escape_latex(text) == expected


@pytest.mark.parametrize(
    "prose, expected",
    [
        (r"the ratio $\frac{a}{b}$ is 50%", r"the ratio $\frac{a}{b}$ is 50\%"),
        (r"$\input{/etc/hostname}$", r"\$\textbackslash{}input\{/etc/hostname\}\$"),
        (r"$\write18{ls}$", r"\$\textbackslash{}write18\{ls\}\$"),
        ("$^^5cinput$", r"\$\textasciicircum{}\textasciicircum{}5cinput\$"),
        (r"$\csname input\endcsname$", r"\$\textbackslash{}csname input\textbackslash{}endcsname\$"),
        (r"$\def\x{1}$", r"\$\textbackslash{}def\textbackslash{}x\{1\}\$"),
        (r"$\text{\input{x}}$", r"\$\textbackslash{}text\{\textbackslash{}input\{x\}\}\$"),
        (r"$\begin{document}$", r"\$\textbackslash{}begin\{document\}\$"),
        ("$a}$", r"\$a\}\$"),
        (r"$\left( x$", r"\$\textbackslash{}left( x\$"),
        (r"$a \\ b$", r"\$a \textbackslash{}\textbackslash{} b\$"),
        ("$x % hidden$", r"$x \% hidden$"),
        ("$a # b & c$", r"$a \# b \& c$"),
        (r"$\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$", r"$\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$"),
        ("$x^2$ and $$y^2$$", r"$x^2$ and \[y^2\]"),
        (r"costs \$5, then $6", r"costs \$5, then \$6"),
        ("$σ(z) ≤ 1$", r"$\sigma (z) \le  1$"),
    ],
)
def test_prose_latex(prose, expected):
    assert prose_latex(prose) == expected


def test_prose_latex_inline_collapses_paragraphs():
    assert prose_latex("a\n\n  b $$x$$", inline=True) == "a b $x$"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a*b_c", r"a\*b\_c"),
        ("# not a heading", r"\# not a heading"),
        ("- not a list", r"\- not a list"),
        ("x - y", "x - y"),
        ("1. not a list", r"1\. not a list"),
        ("=== not a heading", r"\=== not a heading"),
        ("> not a quote", r"\> not a quote"),
        ("<script>alert(1)</script>", r"\<script\>alert(1)\</script\>"),
        ("a | b", r"a \| b"),
        ("$x$", r"\$x\$"),
        ("    not code", "not code"),
        ("[link](http://x)", r"\[link\](http://x)"),
        ("`tick`", r"\`tick\`"),
        ("&amp;", r"\&amp;"),
        ("{math}`x`", r"\{math\}\`x\`"),
        ("~~strike~~", r"\~\~strike\~\~"),
        (r"\input{/etc/hostname}", r"\\input\{/etc/hostname\}"),
    ],
)
def test_escape_md(text, expected):
    assert escape_md(text) == expected


@pytest.mark.parametrize(
    "prose, expected",
    [
        (r"ratio $\frac{a}{b}$ < 1", r"ratio $\frac{a}{b}$ \< 1"),
        ("$a<b$", r"$a\lt b$"),
        (r"$\input{x}$", r"\$\\input\{x\}\$"),
        ("see $x$ - ok", "see $x$ - ok"),
        ("$$x$$", "\n$$\nx\n$$\n"),
    ],
)
def test_prose_md(prose, expected):
    assert prose_md(prose) == expected


@pytest.mark.parametrize(
    "prose, expected",
    [
        ("product rule", r"\text{product rule}"),
        ("substitute $u = x^2$", r"\text{substitute }{u = x^2}"),
        ("a{b}", r"\text{a}\{\text{b}\}"),
        ("<&>", r"\lt \&\gt "),
        (r"$\input{x}$", r"\$\backslash \text{input}\{\text{x}\}\$"),
    ],
)
def test_math_text_latex(prose, expected):
    assert math_text_latex(prose) == expected


@pytest.mark.parametrize(
    "tex, expected",
    [
        (r"\frac{1}{2}", r"\frac{1}{2}"),
        (r"\operatorname{sign}(g)", r"\operatorname{sign}(g)"),
        (r"\openin5=/etc/passwd", None),
        (r"\catcode`\^=7", None),
        (r"\end{pmatrix}", None),
        ("}{", None),
        ("a\\", None),
    ],
)
def test_safe_math(tex, expected):
    assert safe_math(tex) == expected


# --------------------------------------------------------------------------- environment


def test_environment_uses_latex_safe_delimiters():
    template = render.environment().from_string(
        "((= a comment =))((* if flag *))((( text|escape_latex ))) {((( math|ours )))}((* endif *))"
    )
    assert template.render(flag=True, text="50%", math=r"\frac{1}{2}") == r"50\% {\frac{1}{2}}"


def test_environment_refuses_unescaped_text():
    template = render.environment().from_string("((( text )))")
    with pytest.raises(render.UnescapedText) as err:
        template.render(text=r"\input{x}")
    assert str(err.value) == (
        "template printed str '\\\\input{x}' without a filter "
        "(escape_latex, prose, ours, escape_md, prose_md, math_md, ...)"
    )


def test_environment_is_strict_about_undefined_names():
    with pytest.raises(jinja2.UndefinedError) as err:
        render.environment().from_string("((( missing|ours )))").render()
    assert str(err.value) == "'missing' is undefined"


# --------------------------------------------------------------------------- a small problem

x = sp.Symbol("x", positive=True)
c = sp.Symbol("c", real=True)
u, a, b, f = sp.symbols("u a b f")
eps = sp.Symbol("epsilon", positive=True)
y = sp.symbols("y1:13", positive=True)
SOLVE_CALLS = []
HOSTILE_TEXT = r"Hostile: \input{/etc/hostname} \write18{ls} 100% #1 & a_b {} ~ ^ \ and $\input{/etc/hostname}$."
NUMERIC_DETAIL = "equal at 8 random points to 30 digits (no closed-form proof)"
INSTANCES_DETAIL = "proved for every stated instance K = 2..8"


def _solve(sol):
    SOLVE_CALLS.append(sol.problem.id)
    sol.statement(r"Differentiate $f = (u + c)(u - c)$ with $u = \frac{x^2}{\log x}$ at $x = %s$, $c = %s$."
                  % (sol.latex("x"), sol.latex("c")))
    sol.domain[x] = (1.5, 4)
    with sol.part("a", "The chain rule through $u$") as part:
        part.text("Name the intermediate quantities. " + HOSTILE_TEXT)
        part.define(f, a * b)
        part.define(a, u + c)
        part.define(b, u - c)
        part.define(u, x**2 / sp.log(x))
        d = part.derivation(sp.Derivative(f, x), title="The chain")
        d.step(b * sp.Derivative(a, x) + a * sp.Derivative(b, x), "product rule")
        d.step((a + b) * sp.Derivative(u, x), "sum rule")
        d.step(2 * u * (2 * x / sp.log(x) - x / sp.log(x) ** 2), "quotient rule")
        d.steps.append(Step(2 * u * x * (2 * sp.log(x) - 1) / sp.log(x) ** 2, "factor x",
                            proof=Proof("numeric", NUMERIC_DETAIL)))
        d.steps.append(Step(2 * u * x * (2 * sp.log(x) - 1) / sp.log(x) ** 2, "the sum over K",
                            proof=Proof("instances", INSTANCES_DETAIL)))
        dfdx = (4 * x**3 / sp.log(x) ** 2 - 2 * x**3 / sp.log(x) ** 3)
        part.answer("demo.df_dx", dfdx.subs({x: sol["x"]}), label=r"\frac{df}{dx}")
    with sol.part("b", "Series and a long sum") as part:
        s = part.derivation(eps / (1 + eps))
        s.series(eps - eps**2 + sp.O(eps**3), eps, 3)
        t = part.derivation(1 / (1 + eps))
        t.series(1 - eps, eps, 2)  # the O-term is added by the renderer
        long = part.derivation(None)
        long.step(sum((i + 1) * y[i] ** 2 / (1 + y[i]) for i in range(12)), "given")
        long.step(sum((i + 1) * y[i] ** 2 / (1 + y[i]) for i in range(12)) + 0 * eps, "unchanged")
    with sol.part("c", "Tables, code and text") as part:
        part.table(["layer", Tex("k"), Tex(r"r_{\text{out}}"), "parameters"],
                   [["conv1_1 & 50%", 3, 3, 1792], ["pool1", 2, sp.Rational(1, 3), sp.pi]],
                   caption="Receptive field")
        part.code("import torch\nx = torch.tensor(3.0)  # \\end{DeriveCode} \\input{/etc/hostname}\nprint(x)")
        part.answer("demo.value", sol["x"] ** 4 / sp.log(sol["x"]) ** 2 - sol["c"] ** 2, label="f")
        part.answer("demo.why", text="Every coordinate moves by about $\\alpha$. " + HOSTILE_TEXT)


DEMO = Problem("demo", "Demo & 100% hostile \\title", "A", (Parameter("x", 3), Parameter("c", 5)),
               ("demo.df_dx", "demo.value", "demo.why"), _solve)


@pytest.fixture(scope="module")
def demo():
    SOLVE_CALLS.clear()
    return DEMO.solve()


def _df_dx(x0, c0):
    """df/dx by mpmath's numerical differentiation of f itself."""
    return mpmath.diff(lambda t: (t**2 / mpmath.log(t) + c0) * (t**2 / mpmath.log(t) - c0), x0)


def test_render_does_not_solve(demo):
    render.render_latex([demo])
    render.render_fragment(demo)
    render.render_markdown([demo])
    assert SOLVE_CALLS == ["demo"]


def test_tex_document_boxes_answers_and_justifies_steps(demo):
    tex = render.render_latex([demo])
    assert tex.startswith(r"\documentclass[11pt,a4paper]{article}")
    assert rf"\DeriveAnswerItem{{demo.df\_dx}}{{\frac{{df}}{{dx}} = {demo.answers['demo.df_dx'].latex}}}" in tex
    assert mpmath.nstr(_df_dx(3, 5), 6) in demo.answers["demo.df_dx"].latex
    assert mpmath.nstr(mpmath.mpf(81) / mpmath.log(3) ** 2 - 25, 6) in tex
    for rule in ("product rule", "sum rule", "quotient rule"):
        assert rf"\tag*{{\DeriveWhy{{{rule}}}}}" in tex
    assert r"\frac{d f}{d x} &= " in tex
    assert r"\DeriveTextAnswer{demo.why}{Every coordinate moves by about $\alpha$." in tex
    assert r"\DeriveProblem{A1}{Demo \& 100\% hostile \textbackslash{}title}" in tex


def test_tex_notes_say_how_a_step_was_verified(demo):
    tex = render.render_latex([demo])
    assert r"\tag*{\DeriveWhy{factor x}\textsuperscript{$\dagger$}}" in tex
    assert rf"\DeriveNote{{\dagger}}{{verified numerically, not symbolically: {NUMERIC_DETAIL}.}}" in tex
    assert r"\tag*{\DeriveWhy{the sum over K}\textsuperscript{$\ddagger$}}" in tex
    assert rf"\DeriveNote{{\ddagger}}{{verified for the stated instances only: {INSTANCES_DETAIL}.}}" in tex


def test_tex_series_steps_show_the_O_term(demo):
    tex = render.render_latex([demo])
    assert r"\epsilon - \epsilon^{2} + O\left(\epsilon^{3}\right)" in tex
    assert r"1 - \epsilon + O\left(\epsilon^{2}\right)" in tex


def test_tex_breaks_a_long_sum_over_lines(demo):
    tex = render.render_latex([demo])
    given = tex.split(r"\tag*{\DeriveWhy{given}}")[1].split(r"\tag*")[0]
    assert given.count("\\\\*\n&\\qquad {}+ ") >= 1  # no page break inside a step
    assert "\\\\[2pt]\n &= \\DeriveFitMath" in given  # then the next step starts a new row
    first_row = tex.split(r"\tag*{\DeriveWhy{given}}")[0].rsplit("\n", 1)[1]
    assert first_row.startswith(r" & \DeriveFitMath")  # a given has no left-hand side


def test_tex_hostile_text_is_inert(demo):
    tex = render.render_latex([demo])
    outside_code = re.sub(r"\\begin\{DeriveCode\}.*?\\end\{DeriveCode\}\n", "", tex, flags=re.S)
    assert r"import torch" not in outside_code
    for dangerous in (r"\input{", r"\write18", "^^5c"):
        assert dangerous not in outside_code
    assert r"\textbackslash{}input\{/etc/hostname\} \textbackslash{}write18\{ls\} 100\% \#1 \& a\_b" in tex
    assert r"\end {DeriveCode} \input{/etc/hostname}" in tex  # inside the listing, inert


def test_tex_table_uses_booktabs_and_the_display_policy(demo):
    tex = render.render_latex([demo])
    body = tex.split(r"\begin{document}")[1]
    table = body.split(r"\begin{tabular}")[1].split(r"\end{tabular}")[0]
    assert table.startswith("{lrrr}\n\\toprule\nlayer & $k$ & $r_{\\text{out}}$ & parameters \\\\\n\\midrule")
    assert r"conv1\_1 \& 50\% & $3$ & $3$ & $1792$ \\" in table
    assert rf"pool1 & $2$ & $\displaystyle \frac{{1}}{{3}}$ & ${mpmath.nstr(mpmath.pi, 6)}$ \\" in table
    assert table.rstrip().endswith(r"\bottomrule")


def test_fragment_has_no_preamble_and_lists_its_packages(demo):
    fragment = render.render_fragment(demo)
    header = [line for line in fragment.splitlines() if line.startswith("%")]
    assert header[0] == "% derive: worked solution of problem demo [A1]"
    needs = next(line for line in header if line.startswith("% Needs in the preamble: "))
    assert re.findall(r"\\usepackage\{(\w+)\}", needs) == list(render.FRAGMENT_PACKAGES)
    body = "\n".join(line for line in fragment.splitlines() if not line.startswith("%"))
    for preamble_only in (r"\documentclass", r"\usepackage", r"\begin{document}", r"\end{document}"):
        assert preamble_only not in body
    assert r"\DeriveAnswerItem{demo.df\_dx}" in body
    assert r"\tag*{\DeriveWhy{product rule}}" in body


def test_markdown_output(demo):
    md = render.render_markdown([demo])
    assert md.startswith("# A1 · Demo \\& 100% hostile \\\\title\n")
    assert "$$\n" + rf"\boxed{{\frac{{df}}{{dx}} = {demo.answers['demo.df_dx'].latex}}}" + "\n$$" in md
    assert "**Answer** `demo.df_dx`:" in md
    for rule in ("product rule", "sum rule", "quotient rule"):
        assert rf"&& \text{{({rule})}}" in md
    assert rf"$^{{\dagger}}$ *verified numerically, not symbolically: {NUMERIC_DETAIL}.*" in md
    assert "| conv1\\_1 \\& 50% | $3$ | $3$ | $1792$ |" in md
    assert "|:---|---:|---:|---:|" in md
    assert "```python\nimport torch\n" in md
    assert "> **Answer** `demo.why`: Every coordinate moves by about $\\alpha$." in md
    assert r"\\input\{/etc/hostname\} \\write18\{ls\} 100% \#1 \& a\_b" in md
    assert md.count("$$") % 2 == 0
    assert "<" not in md.replace(r"\<", "")


def test_markdown_table_rows_have_one_cell_per_column(demo):
    md = render.render_markdown([demo])
    rows = [line for line in md.splitlines() if line.startswith("|")]
    cells = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
    assert cells == {5}


def test_solution_displays_itself_in_jupyter(demo):
    assert demo._repr_markdown_() == render.render_markdown([demo])
    assert demo._repr_latex_() == render.render_fragment(demo)


def test_unknown_block_type_is_not_supported():
    from engine.errors import NotSupported

    with pytest.raises(NotSupported) as err:
        render.block_view(object())
    assert str(err.value) == "no template for block type object"


# --------------------------------------------------------------------------- command line


def test_render_unknown_id_exits_2_with_one_line(capsys):
    assert main(["render", "nosuch", "--format", "tex"]) == 2
    known = ", ".join(p.id for p in catalog.available())
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"derive render: unknown problem 'nosuch'; known problems: {known} (see 'derive list')\n"


def test_render_without_ids_exits_2(capsys):
    assert main(["render", "--format", "md"]) == 2
    assert capsys.readouterr().err == "derive render: name at least one problem id, or --all (see 'derive list')\n"


def test_render_unknown_parameter_exits_2(capsys):
    assert main(["render", "autodiff", "--set", "nosuch=1"]) == 2
    known = ", ".join(sorted(f"autodiff.{p.name}" for p in catalog.get("autodiff").parameters))
    assert capsys.readouterr().err == (
        f"derive render: --set 'nosuch=1': the selected problems have no parameter 'nosuch'; parameters: {known}\n"
    )


def test_render_set_changes_the_values(capsys):
    assert main(["render", "autodiff", "--format", "md", "--set", "x=2", "--set", "c=7"]) == 0
    md = capsys.readouterr().out
    assert mpmath.nstr(_df_dx(2, 7), 6) in md
    assert mpmath.nstr(_df_dx(3, 5), 6) not in md


def test_render_solves_each_problem_once(monkeypatch, capsys):
    calls = []
    original = Problem.solve

    def counting(self, *args, **kwargs):
        calls.append(self.id)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Problem, "solve", counting)
    assert main(["render", "autodiff", "vgg16", "--format", "tex"]) == 0
    assert calls == ["autodiff", "vgg16"]
    assert r"\tableofcontents" in capsys.readouterr().out


def test_render_fragments_one_file_per_problem(tmp_path, capsys):
    out = tmp_path / "fragments"
    assert main(["render", "autodiff", "vgg16", "--format", "fragment", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["autodiff.tex", "vgg16.tex"]
    assert (out / "vgg16.tex").read_text().startswith("% derive: worked solution of problem vgg16 [A3]\n")
    assert capsys.readouterr().err == f"derive: wrote 2 fragments to {out}/\n"


def test_render_fragments_to_stdout_are_concatenated(capsys):
    assert main(["render", "autodiff", "vgg16", "--format", "fragment"]) == 0
    out = capsys.readouterr().out
    assert re.findall(r"^% derive: worked solution of problem (\w+)", out, re.M) == ["autodiff", "vgg16"]


def test_render_fragments_refuse_a_file_for_several(tmp_path, capsys):
    target = tmp_path / "one.tex"
    target.write_text("")
    assert main(["render", "autodiff", "vgg16", "--format", "fragment", "-o", str(target)]) == 2
    assert capsys.readouterr().err == (
        f"derive render: -o {target}: with several fragments -o names a directory, and this is a file\n"
    )


def _prose(sol):
    """Every piece of prose of a solution (the text the renderer escapes)."""
    yield sol.problem.title
    yield sol.statement_text
    for part in sol.parts:
        yield part.title
        for block in part.blocks:
            if isinstance(block, Text):
                yield block.source
            elif isinstance(block, Derivation):
                yield block.title
                yield from (step.rule for step in block.steps)
            elif isinstance(block, Table):
                yield block.caption
                yield from (cell for row in [block.headers, *block.rows] for cell in row if isinstance(cell, str))
            elif isinstance(block, Code):
                yield block.caption
            elif isinstance(block, Answer) and block.text:
                yield block.text


@pytest.mark.parametrize("problem_id", [p.id for p in catalog.available()])
def test_catalog_prose_math_is_kept(problem_id):
    """The whitelist of math commands covers what the catalog writes: no
    math of a built-in problem is shown literally."""
    from engine.render.escape import split_prose

    sol = catalog.get(problem_id).solve()
    rejected = [piece for text in _prose(sol) for kind, piece in split_prose(text)
                if kind != "text" and safe_math(piece) is None]
    assert rejected == []


def test_a_catalog_solution_keeps_its_catalog_number():
    # problems.md: VGG16 is the third question of sheet A
    md = catalog.get("vgg16").solve()._repr_markdown_()
    assert md.startswith("# A3 · ")
