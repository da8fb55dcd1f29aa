"""``derive diff`` and ``derive trace``: the work behind any expression.

``derive diff EXPR --wrt x [--at x=0.7,y=1.3]`` differentiates step by step
with named rules (:mod:`engine.calculus.differentiate`); ``derive trace EXPR --at
c=5,x=3`` prints the forward primal and reverse adjoint traces
(:mod:`engine.calculus.evaltrace`, Baydin et al. 2018, Table 2). Both print text
(default), a LaTeX fragment or Markdown through the catalog's templates,
or JSON.
"""
from __future__ import annotations

import argparse
import json
import re
import sys

FORMATS = ("text", "tex", "md", "json")
#: Width of the rule column of ``derive diff``'s text output (longer rules get a line of their own).
RULE_WIDTH = 30


#: Names read as functions when followed by a parenthesis: \sigma(z) is the sigmoid.
FUNCTIONS = ("sigma",)


def _parse(text: str):
    """The one call site of the LaTeX parser: text -> sympy expression
    (``\\log`` is ln, ``e^{x}`` is exp, symbols case-sensitive,
    ``\\sigma(z)`` the sigmoid).

    Raises UsageError (engine.read.parse.ParseError) for text it cannot read."""
    from engine.errors import UsageError

    if not text.strip():
        raise UsageError("the expression is empty; write one in LaTeX, e.g. '\\frac{x^2}{\\log x}'")
    from engine.read.parse import parse_latex

    return parse_latex(text, functions=FUNCTIONS)


def _expression(text: str):
    from engine.calculus.differentiate import prepare

    return prepare(_parse(text))


def _key(name: str) -> str:
    """A variable name as typed or printed, without LaTeX braces and backslashes."""
    return re.sub(r"[\\{}\s]", "", name)


def _variable(name: str, expr, option: str):
    """The symbol of ``expr`` called ``name`` (``x``, ``alpha``, ``\\alpha``,
    ``x_1``); UsageError naming the variables otherwise."""
    from engine.errors import UsageError

    symbols = sorted(expr.free_symbols, key=str)
    for s in symbols:
        if _key(str(s)) == _key(name):
            return s
    known = ", ".join(str(s) for s in symbols) or "none (it is a constant)"
    raise UsageError(f"{option} {name}: the expression has no variable {name!r}; its variables: {known}")


def parse_point(texts: list[str], expr) -> list[tuple]:
    """``--at x=0.7,y=1.3`` (repeatable) -> [(symbol, exact value)] in the
    order given. Values are exact (engine.model.problem.parse_number). Raises
    UsageError for a malformed pair, a value that is not a number, an
    unknown or repeated variable."""
    from engine.errors import UsageError
    from engine.model.problem import parse_number

    point: list[tuple] = []
    for text in texts:
        for pair in text.split(","):
            pair = pair.strip()
            if not pair:
                continue
            if "=" not in pair:
                raise UsageError(f"--at {pair!r}: write NAME=VALUE, e.g. --at x=0.7,y=1.3")
            name, value = (s.strip() for s in pair.split("=", 1))
            symbol = _variable(name, expr, "--at")
            if any(s == symbol for s, _ in point):
                raise UsageError(f"--at {name}: given twice")
            point.append((symbol, parse_number(value, name)))
    return point


def _emit(text: str) -> int:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _render(solution, fmt: str) -> str:
    from engine.render import views as render

    if fmt == "tex":
        return render.render_fragment(solution)
    return render.render_markdown([solution])


# --------------------------------------------------------------------------- plain text


def diff_text(result) -> str:
    """The terminal view of a :class:`~engine.calculus.differentiate.Differentiation`:
    rules left-aligned in a column, each line ``= expression``."""
    from engine.math import numbers

    from engine.render.terminal import pretty_block

    steps = result.derivation.steps
    width = min(RULE_WIDTH, max([len(s.rule) for s in steps] + [0]))
    lines = pretty_block("f = ", result.expr) + [""] + pretty_block("", result.derivation.lhs)
    for s in steps:
        lines.append("")
        if len(s.rule) > width:  # a long rule on its own line, the expression below it
            lines += [f"  {s.rule}"] + pretty_block(f"  {' ' * width}  = ", s.expr)
        else:
            lines += pretty_block(f"  {s.rule.ljust(width)}  = ", s.expr)
    if result.value is not None:
        at = ", ".join(f"{sym} = {numbers.format_number(v, 15)}" for sym, v in result.point)
        lines.append(f"at {at}: {numbers.format_number(result.value)}")
    return "\n".join(lines) + "\n"


def trace_text(trace) -> str:
    """The terminal view of an :class:`~engine.calculus.evaltrace.EvaluationTrace`:
    two aligned tables, values by the display policy."""
    from engine.math import numbers

    from engine.render.terminal import columns, pad

    def table(title: str, rows: list[tuple[str, str]]) -> list[str]:
        split = [(left.split(" = ", 1), value) for left, value in rows]
        name_w = max(columns(n) for (n, _), _ in split)
        def_w = max(columns(d) for (_, d), _ in split)
        return [title] + [f"  {pad(n, name_w)} = {pad(d, def_w)}  {value}" for (n, d), value in split]

    from engine.render.terminal import one_line, trace_name

    def adjoint_text(a) -> str:
        bar = trace_name(a.name)
        if not a.terms:
            return f"{bar} = f̄ = 1"
        sums = " + ".join(f"{trace_name(f'vbar{k}' if k >= 0 else f'vbar_{k}')}·∂{trace_name(f'v{k}' if k >= 0 else f'v_{k}')}"
                          f"/∂{trace_name(p_name(a.index))}" for k, _ in a.terms)
        return f"{bar} = {sums} = {one_line(a.symbolic)}"

    def p_name(i: int) -> str:
        return f"v{i}" if i >= 0 else f"v_{i}"

    primal = [(f"{trace_name(p.name)} = {one_line(p.operation)}", numbers.format_number(p.value)) for p in trace.primal]
    primal.append((f"f = {trace_name(trace.output_name)}", numbers.format_number(trace.value)))
    adjoint = [(adjoint_text(a), numbers.format_number(a.value)) for a in trace.adjoint]
    grad = ", ".join(f"∂f/∂{name} = {numbers.format_number(v)}" for name, v in trace.gradient.items())
    lines = table("Forward primal trace", primal) + [""] + table("Reverse adjoint trace", adjoint)
    lines += ["", f"f = {numbers.format_number(trace.value)}; {grad}"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- derive diff


def configure_diff(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPR", help="a LaTeX expression, e.g. '\\frac{x^2}{\\log x}' (\\log is ln)")
    parser.add_argument("--wrt", metavar="VAR", help="the variable to differentiate in (default: the only one)")
    parser.add_argument("--at", action="append", default=[], metavar="VAR=VALUE,...",
                        help="also evaluate the derivative here, exactly (0.7 means 7/10): every variable, e.g. x=0.7,y=1.3")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text (terminal), tex (LaTeX fragment), md (Markdown), "
                        "json ({derivative, value, steps: [{rule, latex}]})")
    parser.epilog = ("examples:\n  derive diff '\\frac{x^2}{\\log x}' --wrt x --at x=3\n"
                     "  derive diff '\\sigma(w x + b)' --wrt w --format json\n"
                     "conventions at kinks are PyTorch's: relu'(0) = 0 (max(0, u) is ReLU(u)),\n"
                     "|x|' = sign(x) (0 at 0), max(a, b) splits the gradient evenly at a tie (torch.maximum).")


def run_diff(args) -> int:
    from engine.calculus.differentiate import differentiate
    from engine.errors import UsageError

    expr = _expression(args.expression)
    if args.wrt:
        wrt = _variable(args.wrt, expr, "--wrt")
    elif len(expr.free_symbols) == 1:
        (wrt,) = expr.free_symbols
    else:
        known = ", ".join(sorted(str(s) for s in expr.free_symbols)) or "none (it is a constant)"
        raise UsageError(f"name the variable with --wrt; the expression's variables: {known}")
    point = parse_point(args.at, expr)
    result = differentiate(expr, wrt, point)
    if args.format == "json":
        return _emit(json.dumps(result.to_json(), indent=2))
    if args.format == "text":
        return _emit(diff_text(result))
    return _emit(_render(result.solution, args.format))


# --------------------------------------------------------------------------- derive trace


def configure_trace(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPR", help="a LaTeX expression, e.g. '(x^2/\\log x + c)(x^2/\\log x - c)'")
    parser.add_argument("--at", action="append", default=[], metavar="VAR=VALUE,...", required=True,
                        help="the point, every variable, exactly; the order gives v_{-n+1}, ..., v_0 (c=5,x=3: v_{-1} = c)")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text (terminal), tex (LaTeX fragment), md (Markdown), "
                        "json ({value, primal: [{name, latex, value}], adjoint: [...], gradient: {var: value}})")
    parser.epilog = ("examples:\n  derive trace '(x^2/\\log x + c)(x^2/\\log x - c)' --at c=5,x=3\n"
                     "  derive trace '\\sigma(w x + b)' --at w=0.5,x=2,b=-1 --format json\n"
                     "notation: Baydin et al. (2018), Automatic differentiation in machine learning: a survey, JMLR 18(153), Table 2.")


def run_trace(args) -> int:
    from engine.calculus.evaltrace import evaluation_trace, trace_solution

    expr = _expression(args.expression)
    trace = evaluation_trace(expr, parse_point(args.at, expr))
    if args.format == "json":
        return _emit(json.dumps(trace.to_json(), indent=2))
    if args.format == "text":
        return _emit(trace_text(trace))
    return _emit(_render(trace_solution(trace), args.format))
