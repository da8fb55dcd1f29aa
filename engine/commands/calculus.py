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
#: CPU seconds and address space (MB beyond what the worker inherits) of one
#: ``derive diff`` or ``derive trace``: both run in a killable worker
#: (engine.sandbox), after the size estimates of engine.math.limits.
CPU_LIMIT = 20.0
MEMORY_MB = 1024
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


def _expression(text: str, point_texts: list[str] | None = None):
    """The prepared expression, refused (TooLarge) when it cannot be
    computed quickly (engine.math.limits), before and after preparing it."""
    from engine.calculus.differentiate import prepare
    from engine.math.limits import check_size, check_text

    check_text(text)
    parsed = _parse(text)
    check_size(parsed)
    expr = prepare(parsed)
    check_size(expr)
    if point_texts:
        check_size(expr, dict(parse_point(point_texts, expr)))
    return expr


def _bounded(fn, *args) -> int:
    """Run ``fn(*args)`` (-> the text to print) in a worker under
    :data:`CPU_LIMIT` and :data:`MEMORY_MB`; print its text. An error of the
    input comes back as one line (UsageError, exit 2); running out of time
    or memory too, saying what to change."""
    from engine.errors import UsageError
    from engine.sandbox import run_bounded

    outcome = run_bounded(guarded, fn, args, timeout=CPU_LIMIT, memory_mb=MEMORY_MB)
    if outcome.status == "timeout":
        raise UsageError(f"the expression needs more than {CPU_LIMIT:g} s of CPU time; use smaller numbers, "
                         "fewer terms or a simpler expression")
    if outcome.status == "memory":
        raise UsageError(f"the expression needs more than {MEMORY_MB} MB of memory; use smaller numbers, "
                         "fewer terms or a simpler expression")
    if outcome.status != "ok":
        raise RuntimeError(outcome.reason)  # a bug: the CLI reports it in one line
    kind, payload = outcome.value
    if kind == "usage":
        raise UsageError(payload)
    if kind == "verification":
        from engine.errors import VerificationError

        raise VerificationError(payload)
    return _emit(payload)


def guarded(fn, args) -> tuple[str, str]:
    """In the worker: ("text", output), or ("usage" | "verification", message)."""
    from engine.errors import NotSupported, UsageError, VerificationError

    try:
        return "text", fn(*args)
    except UsageError as exc:
        return "usage", str(exc)
    except NotSupported as exc:
        return "usage", f"not supported: {exc}"
    except VerificationError as exc:
        return "verification", str(exc)
    except RecursionError:
        return "usage", "the expression is nested too deeply; write it with fewer nested parts"


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
    return _bounded(diff_output, args.expression, args.wrt, list(args.at), args.format)


def diff_output(expression: str, wrt_name: str | None, at: list[str], fmt: str) -> str:
    """The output of ``derive diff`` (run in a worker by :func:`run_diff`)."""
    from engine.calculus.differentiate import differentiate
    from engine.errors import UsageError

    expr = _expression(expression, at)
    if wrt_name:
        wrt = _variable(wrt_name, expr, "--wrt")
    elif len(expr.free_symbols) == 1:
        (wrt,) = expr.free_symbols
    else:
        known = ", ".join(sorted(str(s) for s in expr.free_symbols)) or "none (it is a constant)"
        raise UsageError(f"name the variable with --wrt; the expression's variables: {known}")
    point = parse_point(at, expr)
    result = differentiate(expr, wrt, point)
    if fmt == "json":
        return json.dumps(result.to_json(), indent=2)
    if fmt == "text":
        return diff_text(result)
    return _render(result.solution, fmt)


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
    return _bounded(trace_output, args.expression, list(args.at), args.format)


def trace_output(expression: str, at: list[str], fmt: str) -> str:
    """The output of ``derive trace`` (run in a worker by :func:`run_trace`)."""
    from engine.calculus.evaltrace import evaluation_trace, trace_solution

    expr = _expression(expression, at)
    trace = evaluation_trace(expr, parse_point(at, expr))
    if fmt == "json":
        return json.dumps(trace.to_json(), indent=2)
    if fmt == "text":
        return trace_text(trace)
    return _render(trace_solution(trace), fmt)
