"""The equivalence benchmark's pairs: the lead's hand-judged pairs
(``../shared/equivalence-pairs.jsonl``) plus pairs generated from the catalog.

Generated from each answer of the catalog, solved at its defaults:

* numbers as students write them: rounded to 2-5 significant digits
  (school rounding), 15 digits from a calculator, scientific and calculator
  notation, a decimal comma, a percentage, ``exact \\approx rounded``;
* correct rewrites of exact and symbolic answers (expand, factor, together,
  ``\\ln``, ``\\cdot``, hand-written equivalent forms) and matrices written
  with decimals or a common factor pulled out;
* the problem's definitions substituted (``\\frac{v_1}{v_2}`` for the primal
  trace's v3, ``\\frac{m_2}{1 - \\beta_1^2}`` for Adam's bias-corrected
  moment, the softmax for ``p_y``, ``\\sigma(\\mathrm{net}_1)`` for ``o_1``);
* mutations that make them wrong: a sign, a base-10 log, a dropped bias
  correction, a wrong digit, a truncated last digit, a transposed matrix.

Every expected verdict is derived from the math by :mod:`bench.mathcheck`
(mpmath at 50 digits, with our own table of definitions written from
problems.md), not from any checker: a mutation is "different" only when it
changes the value, a rewrite "equal" only when it does not; a candidate
whose math disagrees with its intention is dropped and counted.

    python -m bench.pairs            # regenerate bench/pairs.jsonl
    python -m bench.pairs --check    # exit 1 when the committed file is stale
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from decimal import Decimal
from math import gcd
from pathlib import Path
from typing import Callable

import sympy as sp

from bench import mathcheck as mc
from bench.forms import DEFINITIONS, NO_CONTEXT, SKIPPED, Context, reference_value, symbolic_forms
from bench.mathcheck import LOG10, tex

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "equivalence-pairs.jsonl"
GENERATED = ROOT / "bench" / "pairs.jsonl"
FIELDS = ("reference", "student", "problem", "expected", "kind", "note")


@dataclass
class Candidate:
    """A generated pair before its verdict is checked: ``intended`` is what
    the generator meant; ``math`` computes the verdict from the values."""

    reference: str
    student: str
    intended: str
    kind: str
    note: str
    math: Callable[[], str | None]
    problem: str | None = None

    def record(self) -> dict:
        return {"reference": self.reference, "student": self.student, "problem": self.problem,
                "expected": self.intended, "kind": self.kind, "note": self.note}



def symbolic(ref, stu, ctx: Context = NO_CONTEXT) -> Callable[[], str | None]:
    return lambda: mc.judge(ref, stu, ctx.definitions, ctx.givens, ctx.domain)


def rounded(ref, written: Decimal) -> Callable[[], str | None]:
    """The verdict of a written decimal against an exact number."""
    return lambda: "equal" if mc.rounds_to(mc.mp(ref), written) else "different"


def entrywise(checks: list[Callable[[], str | None]]) -> Callable[[], str | None]:
    def run():
        verdicts = [c() for c in checks]
        if "different" in verdicts:
            return "different"
        return "equal" if all(v == "equal" for v in verdicts) else None
    return run


# =========================================================================== numbers


def _digit_slip(written: Decimal) -> Decimal:
    """The last written digit off by one (up, or down from 9), never a new trailing zero."""
    last = written.as_tuple().digits[-1]
    new = last + 1 if last < 8 else last - 1
    return mc.with_digit(written, 0, new)


def _numeric_candidates(answer_id: str, value) -> list[Candidate]:
    out: list[Candidate] = []
    ref = tex(value)
    v = mc.mp(value)

    def add(student: str, intended: str, kind: str, note: str, math):
        out.append(Candidate(ref, student, intended, kind, f"{answer_id}: {note}", math))

    if value.is_Integer:
        n = int(value)
        if abs(n) >= 10 ** 4:
            for sig in (3, 4):
                w = mc.round_significant(v, sig)
                add(mc.scientific(w), "equal", "rounding", f"{sig} significant digits, scientific", rounded(value, w))
            w = mc.round_significant(v, 3)
            slip = _digit_slip(w)
            add(mc.scientific(slip), "different", "mutation-digit", "scientific, wrong last digit",
                rounded(value, slip))
            w4 = mc.round_significant(v, 4)
            mantissa, power = mc.plain(w4.scaleb(-w4.adjusted())), w4.adjusted()
            add(f"{mantissa}e{power}", "equal", "rounding", "calculator e-notation", rounded(value, w4))
            add(mc.scientific(w, r"\cdot"), "equal", "rounding", "scientific with cdot", rounded(value, w))
        else:
            add(f"{n}.0", "equal", "rounding", "a decimal point on an exact integer", rounded(value, Decimal(f"{n}.0")))
        if abs(n) >= 10:
            slip = mc.with_digit(Decimal(n), 1, (int(str(abs(n))[-2]) + 3) % 10)
            add(mc.plain(slip), "different", "mutation-digit", "one digit wrong", rounded(value, slip))
        off = n + 1 if (n + 1) % 10 else n - 1  # never a new trailing zero (10 for 9 may be 9 to 1 digit)
        add(str(off), "different", "mutation-digit", "off by one", rounded(value, Decimal(off)))
        if n:
            add(str(-n), "different", "mutation-sign", "sign flipped", rounded(value, Decimal(-n)))
        return out
    terminating = value.is_Rational and all(p in (2, 5) for p in sp.factorint(int(value.q)))
    if terminating:
        exact = mc.round_at(v, -40).normalize()
        text = mc.plain(exact)
        add(text, "equal", "rounding", "the exact decimal", rounded(value, exact))
        add(text.replace(".", ","), "equal", "rounding", "the exact decimal, decimal comma", rounded(value, exact))
        slip = _digit_slip(exact)
        add(mc.plain(slip), "different", "mutation-digit", "last digit wrong", rounded(value, slip))
        add(mc.plain(-exact), "different", "mutation-sign", "sign flipped", rounded(value, -exact))
        return out
    for sig in (3, 4, 5):
        w = mc.round_significant(v, sig)
        add(mc.plain(w), "equal", "rounding", f"{sig} significant digits", rounded(value, w))
    w15 = mc.round_significant(v, 15)
    add(mc.plain(w15), "equal", "rounding", "15 digits from a calculator", rounded(value, w15))
    w4 = mc.round_significant(v, 4)
    add(mc.plain(_digit_slip(w4)), "different", "mutation-digit", "4 digits, last digit wrong",
        rounded(value, _digit_slip(w4)))
    w3 = mc.round_significant(v, 3)
    add(mc.plain(_digit_slip(w3)), "different", "mutation-digit", "3 digits, last digit wrong",
        rounded(value, _digit_slip(w3)))
    truncated = mc.truncate_at(v, mc.last_exponent(w4))
    if truncated != w4:
        add(mc.plain(truncated), "different", "mutation-digit", "truncated instead of rounded",
            rounded(value, truncated))
    add(mc.plain(-w4), "different", "mutation-sign", "sign flipped", rounded(value, -w4))
    if 0 < abs(value) < 1:
        pct = mc.round_significant(v * 100, 4)
        add(rf"{mc.plain(pct)}\%", "equal", "rounding", "a percentage, 4 digits", rounded(value, pct.scaleb(-2)))
    if abs(v) >= 10:
        w2dp = mc.round_at(v, -2)
        add(mc.plain(w2dp).replace(".", ","), "equal", "rounding", "2 decimals, decimal comma", rounded(value, w2dp))
    if not value.is_Rational:
        add(rf"{ref} \approx {mc.plain(w4)}", "equal", "rounding", "exact, then approximately 4 digits",
            rounded(value, w4))
        for name, form in (("expanded", sp.expand(value)), ("one fraction", sp.together(value))):
            if tex(form) != ref and tex(form) not in {c.student for c in out}:
                add(tex(form), "equal", "rewrite", f"exact, {name}", symbolic(value, form))
    if value.has(sp.log):
        wrong = value.replace(sp.log, LOG10)
        add(tex(wrong), "different", "mutation-log10", "base-10 log in the exact form", symbolic(value, wrong))
        w10 = mc.round_significant(mc.mp(wrong), 4)
        add(mc.plain(w10), "different", "mutation-log10", "a calculator in base-10 log, 4 digits",
            rounded(value, w10))
    return out


# =========================================================================== matrices and vectors


def _matrix_tex(rows: list[list[str]], env: str = "bmatrix") -> str:
    body = r" \\ ".join(" & ".join(r) for r in rows)
    return rf"\begin{{{env}}}{body}\end{{{env}}}"


def _matrix_candidates(answer_id: str, value) -> list[Candidate]:
    out: list[Candidate] = []
    is_list = isinstance(value, (list, tuple))
    m = sp.Matrix([list(value)]) if is_list else sp.Matrix(value)
    ref = tex(m)

    def add(student, intended, kind, note, math):
        out.append(Candidate(ref, student, intended, kind, f"{answer_id}: {note}", math))

    entries = list(m)
    exact_decimals = all(e.is_Rational and all(p in (2, 5) for p in sp.factorint(int(e.q))) for e in entries)
    if exact_decimals and any(not e.is_Integer for e in entries):
        rows = [[mc.plain(mc.round_at(mc.mp(m[i, j]), -30).normalize()) for j in range(m.cols)] for i in range(m.rows)]
        add(_matrix_tex(rows), "equal", "rewrite", "entries as decimals",
            symbolic(m, sp.Matrix([[sp.Rational(c) for c in r] for r in rows])))
    if all(e.is_Integer for e in entries):
        g = 0
        for e in entries:
            g = gcd(g, int(e))
        if g > 1:
            inner = m / g
            add(rf"{g} {tex(inner)}", "equal", "rewrite", f"a factor {g} pulled out", symbolic(m, g * inner))
    if not all(e.is_Rational for e in entries):
        for sig, env in ((4, "pmatrix"), (3, "tuple")):
            ws = [mc.round_significant(mc.mp(e), sig) if e != 0 else Decimal(0) for e in entries]
            texts = [mc.plain(w) for w in ws]
            student = "(" + ", ".join(texts) + ")" if env == "tuple" else _matrix_tex(
                [texts[i * m.cols:(i + 1) * m.cols] for i in range(m.rows)], env)
            add(student, "equal", "rounding", f"entries to {sig} significant digits",
                entrywise([rounded(e, w) for e, w in zip(entries, ws)]))
            k = next(i for i, e in enumerate(entries) if e != 0)
            ws_bad = list(ws)
            ws_bad[k] = _digit_slip(ws[k])
            texts_bad = [mc.plain(w) for w in ws_bad]
            student = "(" + ", ".join(texts_bad) + ")" if env == "tuple" else _matrix_tex(
                [texts_bad[i * m.cols:(i + 1) * m.cols] for i in range(m.rows)], env)
            add(student, "different", "mutation-digit", f"entries to {sig} digits, entry {k + 1} wrong",
                entrywise([rounded(e, w) for e, w in zip(entries, ws_bad)]))
    nonzero = [i for i, e in enumerate(entries) if e != 0]
    if nonzero:  # (a zero vector, such as the two zero sums of batch norm's dL/dx, has no sign to flip)
        k = nonzero[len(nonzero) // 2]
        flipped = sp.Matrix(m)
        flipped[k] = -flipped[k]
        add(tex(flipped), "different", "mutation-sign", f"the sign of entry {k + 1} flipped", symbolic(m, flipped))
    if m.rows == m.cols and m != m.T:
        add(tex(m.T), "different", "mutation-transpose", "transposed", symbolic(m, m.T))
    if m.rows > 1 or m.cols > 1:
        swapped = sp.Matrix(m)
        i, j = 0, len(entries) - 1
        if entries[i] != entries[j]:
            swapped[i], swapped[j] = swapped[j], swapped[i]
            add(tex(swapped), "different", "mutation-swap", "first and last entries swapped", symbolic(m, swapped))
    if m.rows == 1 and all(e.is_Rational for e in entries):
        add("(" + ", ".join(tex(e) for e in entries) + ")", "equal", "rewrite", "a row vector as a tuple",
            symbolic(m, m))
    return out


# =========================================================================== symbolic answers

#: Generic correct rewrites of a symbolic answer: (name, transform).
REWRITES = (("expanded", sp.expand), ("factored", sp.factor), ("one fraction", sp.together))


def _symbolic_candidates(answer_id: str, value, hand: list) -> list[Candidate]:
    out: list[Candidate] = []
    ref = tex(value)
    seen = {ref}

    def add(student, intended, kind, note, math):
        if student not in seen:
            seen.add(student)
            out.append(Candidate(ref, student, intended, kind, f"{answer_id}: {note}", math))

    for name, transform in REWRITES:
        form = transform(value)
        add(tex(form), "equal", "rewrite", name, symbolic(value, form))
    if value.has(sp.log):
        add(tex(value, "ln"), "equal", "rewrite", r"\ln for the natural log", symbolic(value, value))
    if value.is_Mul or value.is_Add:
        add(tex(value, "dot"), "equal", "rewrite", r"\cdot for products", symbolic(value, value))
    add(tex(-value), "different", "mutation-sign", "the sign of the whole", symbolic(value, -value))
    for intended, kind, note, form in hand:
        add(tex(form), intended, kind, note, symbolic(value, form))
    return out


# =========================================================================== assembling


def _registry(solutions) -> dict[str, sp.Symbol]:
    names: dict[str, sp.Symbol] = {}
    for sol in solutions:
        for answer in sol.answers.values():
            value = answer.value
            values = value if isinstance(value, (list, tuple)) else [value]
            for item in values:
                if isinstance(item, sp.Basic):
                    for sym in item.free_symbols:
                        if isinstance(sym, sp.Symbol):
                            names.setdefault(sym.name, sym)
    return names


def candidates() -> list[Candidate]:
    """Every generated candidate, before the math check."""
    from engine.model import catalog
    from engine.math import numbers

    solutions = [p.solve() for p in catalog.available()]
    registry = _registry(solutions)

    def s(name: str) -> sp.Symbol:
        return registry.get(name) or sp.Symbol(name)

    hand = symbolic_forms(s)
    out: list[Candidate] = []
    for sol in solutions:
        for answer_id in sol.problem.answer_ids:
            value = sol.answers[answer_id].value
            if value is None or answer_id in SKIPPED:
                continue
            if isinstance(value, (list, tuple, sp.MatrixBase)):
                out += _matrix_candidates(answer_id, value)
            elif numbers.is_numeric(value):
                out += _numeric_candidates(answer_id, value)
            else:
                out += _symbolic_candidates(answer_id, value, hand.get(answer_id, []))
        if sol.problem.id in DEFINITIONS:
            ctx, rows = DEFINITIONS[sol.problem.id](sol, s)
            for answer_id, intended, note, form in rows:
                value = reference_value(answer_id, sol.answers[answer_id].value)
                out.append(Candidate(tex(value), tex(form), intended, "definition" if intended == "equal" else
                                     "definition-mutation", f"{answer_id}: {note}", symbolic(value, form, ctx),
                                     problem=sol.problem.id))
    return out


def generate() -> tuple[list[dict], list[str]]:
    """The pairs whose intended verdict the math confirms, and a line for
    each candidate dropped (the math disagreed or could not decide)."""
    kept, dropped = [], []
    seen = {(i["reference"], i["student"], i["problem"]) for i in read_jsonl(SHARED, "shared")} if SHARED.exists() else set()
    for cand in candidates():
        key = (cand.reference, cand.student, cand.problem)
        if key in seen:
            continue
        seen.add(key)
        verdict = cand.math()
        if verdict == cand.intended:
            kept.append(cand.record())
        else:
            dropped.append(f"{cand.note}: intended {cand.intended}, the math says {verdict} "
                           f"({cand.reference} vs {cand.student})")
    return kept, dropped


def read_jsonl(path: Path, source: str) -> list[dict]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            item = json.loads(line)
            item.setdefault("kind", "hand")
            item["source"] = f"{source}:{number}"
            items.append(item)
    return items


def load(shared: Path = SHARED, generated: Path = GENERATED) -> list[dict]:
    """The benchmark's pairs: the lead's hand-judged file (when present)
    and the committed generated file, each with its ``source`` line."""
    items = read_jsonl(shared, "shared") if shared.exists() else []
    return items + read_jsonl(generated, "generated")


def _dump(items: list[dict]) -> str:
    return "".join(json.dumps({k: item[k] for k in FIELDS}, ensure_ascii=False) + "\n" for item in items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pairs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when bench/pairs.jsonl is not what "
                        "the generator writes now")
    parser.add_argument("-o", "--output", default=str(GENERATED), help="where to write (default bench/pairs.jsonl)")
    args = parser.parse_args(argv)
    kept, dropped = generate()
    text = _dump(kept)
    kinds: dict[str, int] = {}
    for item in kept:
        kinds[item["kind"]] = kinds.get(item["kind"], 0) + 1
    verdicts = {v: sum(1 for i in kept if i["expected"] == v) for v in ("equal", "different")}
    print(f"{len(kept)} pairs ({verdicts['equal']} equal, {verdicts['different']} different); "
          + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())), file=sys.stderr)
    for line in dropped:
        print(f"dropped: {line}", file=sys.stderr)
    if args.check:
        current = Path(args.output).read_text(encoding="utf-8") if Path(args.output).exists() else ""
        if current != text:
            print(f"{args.output} is stale: run python -m bench.pairs", file=sys.stderr)
            return 1
        return 0
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
