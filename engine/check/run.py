"""``derive check``: which steps and answers of a handwritten solution are right.

A submission (OCR'd Markdown with LaTeX) is checked against a sheet:

1. *plan* (:func:`engine.check.steps.task_plan`): segment by question and part
   headers, cut the math into chains ``a = b = c``, find the answers the
   chains name (:mod:`engine.read.chains`);
2. *parse* every chain element (:func:`engine.check.steps.task_parse`);
3. *steps*: every neighbouring pair of every chain, in reading order
   (:func:`engine.check.steps.task_chain`). A pair is "consistent" when it
   holds with the problem's values, or with the student's own earlier values
   (error carried forward: only the step where an error enters is
   "inconsistent"); "unparsed" when an element cannot be read; "unchecked"
   when it defines a new name or cannot be decided (the reason is given);
4. *answers*: every answer id of the sheet appears once: "correct",
   "incorrect" (with a diagnosis: an error model of :mod:`engine.check.diagnose`
   that reproduces the value, an error carried forward, or where the error
   enters), "missing", or "unparsed" (with the reason; text answers are
   not graded automatically and say so).

Every piece of work on the student's text runs in a worker of
:class:`engine.sandbox.Pool` under a time and memory limit; a task that
overruns is killed and its lines are reported "unchecked" with the reason.
This module only moves plain data between the tasks and builds the report.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from engine.read import chains as align
from engine.model.checking import Alias
from engine.check.notices import notices
from engine.check.outcome import entry, failed_report, report_of, steps_of, unread_in_part, with_math
from engine.errors import UsageError

#: CPU-time limits (seconds) of the tasks (engine.sandbox: CPU time, so the
#: verdicts are the same on a busy machine).
TIMEOUTS = {"plan": 30.0, "parse": 5.0, "chain": 15.0, "answer": 15.0, "value": 15.0}
#: CPU-time budget of one submission, seconds (the CPU time of its tasks):
#: after it, the rest is "unchecked".
BUDGET = 30.0
#: Wall-clock backstop of one submission's process in check_many, seconds.
WALL_BACKSTOP = 8 * BUDGET + 60
#: Address-space limit of a worker, MB.
MEMORY_MB = 1536
#: Answer verdicts and step verdicts, in the order the summary lists them.
from engine.check.outcome import ANSWER_VERDICTS, STEP_VERDICTS  # noqa: E402,F401 - part of this module's API


def prepare(sheet: str):
    """Solve the sheet's problems and compute its error-model variants, in
    this process, before any worker forks (the workers inherit it)."""
    from engine.check.reference import build_sheet

    from engine.model import catalog

    sheet = sheet.upper()
    catalog.sheet(sheet)  # UsageError naming the known sheets
    return build_sheet(sheet)


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a submission (``-``: stdin), opened once; UsageError
    when it cannot be read, is not a regular file or is too large."""
    from engine.read.inputs import read_bytes as bounded_read
    from engine.read.segments import MAX_BYTES

    return bounded_read(str(path), MAX_BYTES)


class _Runner:
    """Runs tasks in a pool under the submission's time budget."""

    def __init__(self, pool, budget: float):
        self.pool = pool
        self.spent = 0.0  # CPU seconds of the tasks so far
        self.budget = budget

    def left(self) -> float:
        return self.budget - self.spent

    def run(self, kind: str, fn: Callable, *args):
        from engine.sandbox import Outcome

        left = self.left()
        if left <= 0.05:
            return Outcome("timeout", None, f"the time budget of the submission ({self.budget:g} s) ran out")
        outcome = self.pool.run(fn, *args, timeout=min(TIMEOUTS[kind], left))
        self.spent += outcome.cpu
        return outcome

    def map(self, kind: str, fn: Callable, arglist: list[tuple]):
        from engine.sandbox import Outcome

        left = self.left()
        if left <= 0.05:
            return [Outcome("timeout", None, "the time budget of the submission ran out")] * len(arglist)
        outcomes = self.pool.map(fn, arglist, timeout=min(TIMEOUTS[kind], left))
        self.spent += sum(o.cpu for o in outcomes)
        return outcomes


def _reason(outcome) -> str:
    if outcome.status == "timeout":
        return f"timed out ({outcome.reason})"
    if outcome.status == "memory":
        return f"ran out of memory ({outcome.reason})"
    if outcome.status == "error":
        # an exception no task expects: a bug of the checker, named so that it is reported (and fuzzed)
        return f"the checker failed on it ({outcome.reason}); please report this line"
    return outcome.reason or outcome.status


def check_bytes(data: bytes, sheet: str, path: str = "<submission>", pool=None, budget: float = BUDGET) -> dict:
    """The JSON report of one submission (see :mod:`engine.check.run`).

    ``pool``: an :class:`engine.sandbox.Pool` to run the tasks in (one is
    made, and closed, when None). Raises UsageError for an unknown sheet."""
    from engine.sandbox import Pool

    sheet = sheet.upper()
    prepare(sheet)
    start = time.perf_counter()
    own = pool is None
    if own:
        pool = Pool(1, memory_mb=MEMORY_MB, timeout=TIMEOUTS["chain"])
    try:
        report = _check(_Runner(pool, budget), data, sheet, path)
    finally:
        if own:
            pool.close()
    report["summary"]["seconds"] = round(time.perf_counter() - start, 3)
    answered = sum(1 for a in report["answers"] if a["verdict"] != "missing")
    report["summary"]["warnings"][:0] = notices(data, sheet, answered)
    return report


def check_file(path: str | Path, sheet: str, pool=None, budget: float = BUDGET) -> dict:
    """:func:`check_bytes` of a file; UsageError when it cannot be read."""
    return check_bytes(read_bytes(path), sheet, str(path), pool, budget)


# --------------------------------------------------------------------------- the steps of one check


@dataclass
class _State:
    plan: Any
    parsed: list[list[Any]] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    assigned_at: dict[tuple[str, str], int] = field(default_factory=dict)
    chain_errors: dict[int, str] = field(default_factory=dict)


def _check(runner: _Runner, data: bytes, sheet: str, path: str) -> dict:
    from engine.check import steps as cw
    from engine.check.reference import sheet_ref

    ref = sheet_ref(sheet)
    outcome = runner.run("plan", cw.task_plan, data, sheet, path)
    if not outcome.ok:
        return failed_report(ref, sheet, path, f"the submission could not be segmented: {_reason(outcome)}")
    state = _State(outcome.value)
    _parse_all(runner, state, sheet)
    _check_chains(runner, state, sheet)
    claims = _choose_claims(state, ref)
    _claims_by_value(runner, state, ref, claims, sheet)
    answers = _answers(runner, state, ref, claims, sheet)
    steps = steps_of(state.plan.chains, state.results, state.parsed, state.chain_errors)
    return with_math(report_of(ref, sheet, path, state.plan, answers, steps), state, claims)


#: Most chain elements read in one submission (a real one has a few hundred).
MAX_ELEMENTS = 4000
#: Elements sent to the workers between two looks at the time budget.
CHUNK = 100


def _parse_all(runner: _Runner, state: _State, sheet: str) -> None:
    from engine.check import steps as cw

    jobs, where = [], []
    for k, chain in enumerate(state.plan.chains):
        state.parsed.append([None] * len(chain.elements))
        notation = state.plan.notation.get(chain.problem, {})
        for i, element in enumerate(chain.elements):
            if element.is_text:
                continue
            jobs.append((element.source, sheet, chain.problem, notation, chain.part))
            where.append((k, i))
    if len(jobs) > MAX_ELEMENTS:
        state.plan.warnings.append(f"{len(jobs)} math elements: only the first {MAX_ELEMENTS} were read")
    for start in range(0, len(jobs), CHUNK):
        chunk = jobs[start:start + CHUNK] if start < MAX_ELEMENTS else []
        outcomes = runner.map("parse", cw.task_parse, chunk) if chunk and runner.left() > 0.05 else []
        for n, (k, i) in enumerate(where[start:start + CHUNK]):
            outcome = outcomes[n] if n < len(outcomes) else None
            if outcome is not None and outcome.ok:
                state.parsed[k][i] = outcome.value
            else:
                source = state.plan.chains[k].elements[i].source
                reason = _reason(outcome) if outcome is not None else "not read: the time or size budget ran out"
                state.parsed[k][i] = cw.Parsed(source, False, reason=reason)


def _check_chains(runner: _Runner, state: _State, sheet: str) -> None:
    from engine.check import steps as cw

    envs: dict[str | None, dict] = {}
    for k, chain in enumerate(state.plan.chains):
        elements = [p if p is not None else cw.Parsed("", True) for p in state.parsed[k]]
        relations = [e.relation for e in chain.elements]
        text_flags = [e.is_text for e in chain.elements]
        env = envs.setdefault(chain.problem, {})
        if not any(p.ok for p, t in zip(elements, text_flags) if not t) and len(elements) > 1:
            from engine.sandbox import Outcome

            outcome = Outcome("ok", cw.ChainResult([cw.PairResult(i - 1, i, "unparsed", f"could not read "
                                                                   f"{elements[i].source[:60]!r}: {elements[i].reason}")
                                                    for i in range(1, len(elements))
                                                    if chain.elements[i].relation in ("equal", "approx")
                                                    and not text_flags[i] and not text_flags[i - 1]],
                                                   {}, [None] * len(elements), (), False))
        else:
            outcome = runner.run("chain", cw.task_chain, sheet, chain.problem, elements, relations, text_flags,
                                 env, chain.line, chain.part)
        if outcome.ok:
            result = outcome.value
            env.update(result.assign)
            for key in result.assign:
                state.assigned_at[(chain.problem, key)] = chain.line
        else:
            result = None
            state.chain_errors[k] = _reason(outcome)
        state.results.append(result)


# --------------------------------------------------------------------------- claims


@dataclass
class _Claim:
    answer_id: str
    chain: int
    element: int  # the claimed element
    strength: int
    alias: Alias | None
    entries: dict = field(default_factory=dict)  # entry index -> (chain, element)
    by_value: bool = False


def _claimed_element(chain: align.Chain, parsed: list, alias: Alias, name_element: int) -> int | None:
    """The element of a chain that holds the claim for ``alias``: the last
    one joined by ``=`` (before any ``\\approx``), or the one an alias needs
    (an O-term for a series)."""
    candidates = []
    for i in range(name_element + 1, len(chain.elements)):
        e = chain.elements[i]
        if e.is_text or e.relation not in ("equal", "approx"):
            if e.relation in ("implies", "maps") and candidates:
                break
            continue
        candidates.append(i)
    if alias.needs:
        hits = [i for i in candidates if re.search(alias.needs, chain.elements[i].source)]
        if not hits and alias.approx_needs:  # a series written with \approx and no O-term
            hits = [i for i in candidates if chain.elements[i].relation == "approx"
                    and re.search(alias.approx_needs, chain.elements[i].source)]
        return hits[-1] if hits else None
    if alias.avoid:
        candidates = [i for i in candidates if not re.search(alias.avoid, chain.elements[i].source)]
    if alias.kind in ("symbolic", "numeric"):  # Delta w = <formula> = [-0.06, -0.03]; df/dx = \bar v_0 ~ 130.2
        want = "symbolic" if alias.kind == "symbolic" else "closed"
        candidates = [i for i in candidates if parsed[i] is not None and parsed[i].ok and getattr(parsed[i], want)] or candidates
    exact = [i for i in candidates if chain.elements[i].relation == "equal"]
    # the last element before the first \approx (the value meant exactly)
    before_approx = []
    for i in candidates:
        if chain.elements[i].relation == "approx":
            break
        before_approx.append(i)
    pick = before_approx or exact or candidates
    return pick[-1] if pick else None


def _kind_ok(alias: Alias, parsed, value) -> bool:
    if parsed is None or not parsed.ok:
        return True  # an unreadable claim still counts: it is reported "unparsed", never wrong
    # (the orchestrator never touches the expression: see checkmath.Sealed)
    if alias.kind == "numeric":
        if parsed.written is not None or parsed.size is not None:
            return True
        if value is not None and value.number is not None:
            return True
        return parsed.closed
    if alias.kind == "symbolic":
        return parsed.symbolic
    return True


def _choose_claims(state: _State, ref) -> dict[str, _Claim]:
    """The strongest (then latest) claim of every answer id named."""
    best: dict[str, _Claim] = {}
    for c in state.plan.claims:
        chain = state.plan.chains[c.chain]
        answer_id = c.alias.answer_id
        if answer_id not in ref.answers:
            continue
        element = _claimed_element(chain, state.parsed[c.chain], c.alias, c.element)
        if element is None:
            continue
        parsed = state.parsed[c.chain][element]
        result = state.results[c.chain]
        value = result.values[element] if result is not None and element < len(result.values) else None
        if not _kind_ok(c.alias, parsed, value):
            continue
        if c.index is not None:
            claim = best.setdefault(answer_id, _Claim(answer_id, c.chain, element, c.strength, c.alias))
            if claim.entries is not None and (claim.alias is None or claim.alias.names == c.alias.names
                                              or claim.alias.entry is not None and c.alias.entry is not None):
                claim.entries[c.index] = (c.chain, element)
                claim.chain, claim.element = c.chain, element
            continue
        current = best.get(answer_id)
        readable = parsed is not None and parsed.ok
        if current is not None:
            was = state.parsed[current.chain][current.element]
            current_readable = was is not None and was.ok
        if current is None or current.entries or (c.strength, readable) > (current.strength, current_readable) or (
                (c.strength, readable) == (current.strength, current_readable) and c.chain >= current.chain):
            best[answer_id] = _Claim(answer_id, c.chain, element, c.strength, c.alias)
    return best


def _claims_by_value(runner: _Runner, state: _State, ref, claims: dict[str, _Claim], sheet: str) -> None:
    """Missing answers found by value: an unnamed chain of the same problem
    whose value equals the answer (never used to call anything wrong)."""
    from engine.check import answers as ca

    used_chains = {c.chain for c in claims.values()}
    # issue 14: a value aligned to an answer (v_1 = 13) is never credited by value to another one (v4)
    aligned = {(c.chain, _claimed_element(state.plan.chains[c.chain], state.parsed[c.chain], c.alias, c.element))
               for c in state.plan.claims if c.alias.answer_id in ref.answers}
    for pid in ref.problems:
        missing = [a.id for a in ref.answers.values() if a.problem == pid and a.id not in claims
                   and a.kind in ("number", "matrix")]
        if not missing:
            continue
        candidates = []
        for k, chain in enumerate(state.plan.chains):
            if chain.problem != pid or k in used_chains or state.results[k] is None:
                continue
            last = len(chain.elements) - 1
            element = _claimed_element(chain, state.parsed[k], Alias("", kind="numeric"), -1)
            if element is None:
                element = last if not chain.elements[last].is_text else None
            if element is None or (k, element) in aligned:
                continue
            parsed = state.parsed[k][element]
            value = state.results[k].values[element]
            if parsed is None or not parsed.ok or value is None or not parsed.closed:
                continue  # only numbers the student wrote, never a name standing for the answer
            candidates.append((k, element, chain.part, parsed, value))
        if not candidates:
            continue
        outcome = runner.run("value", ca.task_by_value, sheet, pid, missing, candidates)
        if not outcome.ok:
            continue
        for answer_id, (k, element) in outcome.value.items():
            if answer_id not in claims:
                claims[answer_id] = _Claim(answer_id, k, element, 0, None, by_value=True)
                used_chains.add(k)


# --------------------------------------------------------------------------- answers


def _answers(runner: _Runner, state: _State, ref, claims: dict[str, _Claim], sheet: str) -> dict[str, dict]:
    from engine.check import answers as ca

    out: dict[str, dict] = {}
    digits = _digits_per_problem(state)
    verdicts: dict[str, str] = {}
    order = sorted(ref.answers, key=lambda a: (state.plan.chains[claims[a].chain].line if a in claims else 10**9))
    for answer_id in order:
        a = ref.answers[answer_id]
        claim = claims.get(answer_id)
        if a.kind == "text":
            out[answer_id] = _text_answer(state, a, claim)
            continue
        if claim is None:
            out[answer_id] = unread_in_part(a, state.plan.chains, state.parsed, {c.chain for c in claims.values()}) \
                or entry(a, "missing", None, None, None)
            continue
        chain = state.plan.chains[claim.chain]
        source = chain.elements[claim.element].source
        line = chain.elements[claim.element].line
        if claim.entries:
            out[answer_id] = _entrywise(runner, state, a, claim, sheet, verdicts)
            verdicts[answer_id] = out[answer_id]["verdict"]
            continue
        parsed = state.parsed[claim.chain][claim.element]
        result = state.results[claim.chain]
        if parsed is None or not parsed.ok:
            reason = parsed.reason if parsed is not None else "not read"
            out[answer_id] = entry(a, "unparsed", source, line, f"could not read the answer: {reason}")
            verdicts[answer_id] = "unparsed"
            continue
        if result is None:
            out[answer_id] = entry(a, "unparsed", source, line,
                                    f"could not check the line: {state.chain_errors.get(claim.chain, '')}")
            verdicts[answer_id] = "unparsed"
            continue
        info = ca.ClaimInfo(
            answer_id=answer_id, parsed=parsed, value=result.values[claim.element],
            previous=_previous_value(result, chain, claim.element), transform=claim.alias.transform if claim.alias else None,
            chain_consistent=result.consistent, used=result.used, digits=digits.get(a.problem),
            used_verdicts={k: verdicts.get(k[1:].split("[")[0], "") for k in result.used if k.startswith("@")},
            part=chain.part, previous_source=chain.elements[claim.element - 1].source if claim.element else "",
        )
        outcome = runner.run("answer", ca.task_answer, sheet, info)
        if not outcome.ok:
            out[answer_id] = entry(a, "unparsed", source, line, f"could not compare: {_reason(outcome)}")
            verdicts[answer_id] = "unparsed"
            continue
        verdict, diagnosis = outcome.value
        if verdict == "correct" and is_proof(answer_id):
            verdict, diagnosis = _proof_verdict(chain, claim, result)
        mistakes: tuple[str, ...] = ()
        if verdict == "incorrect":
            from engine.check.diagnose import mistakes_of

            mistakes = mistakes_of(diagnosis, ref.variants.get(a.problem, ()))
            diagnosis = _carried_forward(state, a, claim, result, diagnosis, verdicts)
        out[answer_id] = entry(a, verdict, source, line, diagnosis, mistakes)
        verdicts[answer_id] = verdict
    return {answer_id: out[answer_id] for answer_id in ref.answers}


def is_proof(answer_id: str) -> bool:
    """True for an answer that is an equational proof (its question's
    ``Checking.proof_answers``): the conclusion alone proves nothing, so
    "correct" needs every step of the chain that ends in it to be consistent."""
    from engine.model import catalog

    return answer_id in catalog.find_answer(answer_id).checking.proof_answers


def _proof_verdict(chain: align.Chain, claim: _Claim, result) -> tuple[str, str | None]:
    """The verdict of a proof whose conclusion is right: correct when each
    step up to the conclusion was checked consistent; incorrect at the first
    inconsistent step; unparsed (with the reason) when a step was not read or
    not decided."""
    steps = [p for p in result.pairs if p.right <= claim.element]
    if not steps:
        return "unparsed", "the conclusion is written without the steps that prove it"
    for k, pair in enumerate(steps, 1):
        if pair.verdict == "inconsistent":
            return "incorrect", f"step {k} of the proof does not follow: {pair.detail}"
    for k, pair in enumerate(steps, 1):
        if pair.verdict != "consistent":
            return "unparsed", f"the conclusion is right, but step {k} of the proof could not be checked: {pair.detail}"
    return "correct", None


def _previous_value(result, chain: align.Chain, element: int):
    """The student's value the claim was found consistent with (the element
    before it, or the quantity's definition at the student's values)."""
    if element < 1 or chain.elements[element].relation not in ("equal", "approx"):
        return None
    return (result.derived or {}).get(element)


def _digits_per_problem(state: _State) -> dict[str, int]:
    """The fewest significant digits of the decimal numbers a student wrote
    in each problem (the precision of the intermediate values)."""
    out: dict[str, int] = {}
    for k, chain in enumerate(state.plan.chains):
        if not chain.problem:
            continue
        for p in state.parsed[k]:
            if p is not None and p.ok and p.digits:
                out[chain.problem] = min(out.get(chain.problem, 99), p.digits)
    return {pid: max(2, d) for pid, d in out.items()}


def _text_answer(state: _State, a, claim: _Claim | None) -> dict:
    """A text answer (an explanation): present or missing, never graded."""
    lines = state.plan.prose_parts.get((a.problem, a.part))
    if claim is not None:
        chain = state.plan.chains[claim.chain]
        return entry(a, "unparsed", chain.source(), chain.line,
                      "a text answer: not graded automatically; read it at the line given")
    if lines:
        return entry(a, "unparsed", None, lines[0],
                      f"a text answer: not graded automatically; the student wrote prose in part ({a.part}) "
                      f"at line {lines[0]}")
    return entry(a, "missing", None, None, None)


def _entrywise(runner: _Runner, state: _State, a, claim: _Claim, sheet: str, verdicts: dict) -> dict:
    """An answer written entry by entry (``\\Delta w_{11} = ...``)."""
    from engine.check import answers as ca

    wrong, unread, right = [], [], []
    first_line = None
    for index, (k, element) in sorted(claim.entries.items()):
        chain = state.plan.chains[k]
        parsed = state.parsed[k][element]
        result = state.results[k]
        first_line = first_line or chain.line
        if parsed is None or not parsed.ok or result is None:
            unread.append(index)
            continue
        info = ca.ClaimInfo(answer_id=a.id, parsed=parsed, value=result.values[element], previous=None,
                            transform=None, chain_consistent=result.consistent, used=result.used, digits=None,
                            used_verdicts={}, part=chain.part, index=index)
        outcome = runner.run("answer", ca.task_answer, sheet, info)
        if not outcome.ok:
            unread.append(index)
            continue
        verdict, diagnosis = outcome.value
        (right if verdict == "correct" else wrong if verdict == "incorrect" else unread).append((index, diagnosis))
    label = lambda idx: "(" + ", ".join(str(i + 1) for i in (idx[0] if isinstance(idx, tuple) and isinstance(idx[0], tuple) else idx)) + ")"
    claimed = "; ".join(state.plan.chains[k].source() for _, (k, _) in sorted(claim.entries.items()))
    if wrong:
        details = "; ".join(f"entry {label(i)}: {d or 'wrong'}" for i, d in wrong)
        from engine.check.diagnose import mistakes_of
        from engine.check.reference import sheet_ref

        table = sheet_ref(sheet).variants.get(a.problem, ())
        named = [mistakes_of(d, table) for _, d in wrong]
        mistakes = tuple(dict.fromkeys(n for ns in named for n in ns)) if all(named) else ()
        return entry(a, "incorrect", claimed, first_line, details, mistakes)
    if unread:
        return entry(a, "unparsed", claimed, first_line, f"{len(unread)} entries could not be read or compared")
    total = _entry_count(a)
    if total is not None and len(right) < total:
        missing_nonzero = _missing_nonzero(a, [i for i, _ in right])
        if missing_nonzero:
            return entry(a, "unparsed", claimed, first_line,
                          f"only {len(right)} of {total} entries are written (all of them right); "
                          "the others are not stated")
    return entry(a, "correct", claimed, first_line, None)


def _entry_count(a) -> int | None:
    value = a.value
    return len(value) if hasattr(value, "__len__") else None


def _missing_nonzero(a, done: list) -> bool:
    import sympy as sp

    value = a.value
    if not isinstance(value, sp.MatrixBase):
        return True
    for k, entry in enumerate(value):
        i, j = divmod(k, value.cols)
        index = (i, j) if value.cols > 1 and value.rows > 1 else (k,)
        if index not in done and entry != 0:
            return True
    return False


def _carried_forward(state: _State, a, claim: _Claim, result, diagnosis: str | None, verdicts: dict) -> str | None:
    """Name where an error that no model explains entered: carried forward
    from the student's earlier wrong values, or the first inconsistent step."""
    wrong_used = [k for k in result.used if k.startswith("@") and verdicts.get(k[1:].split("[")[0]) == "incorrect"]
    notes = []
    if result.consistent and wrong_used:
        names = ", ".join(f"{k[1:].split('[')[0]} (line {state.assigned_at.get((a.problem, k), '?')})"
                          for k in wrong_used[:3])
        notes.append(f"follows correctly from the student's earlier wrong value of {names}: error carried forward")
    elif not result.consistent:
        bad = [p for p in result.pairs if p.verdict == "inconsistent"]
        if bad:
            chain = state.plan.chains[claim.chain]
            left, right = chain.elements[bad[0].left], chain.elements[bad[0].right]
            detail = bad[0].detail
            if diagnosis:  # the model already named: not twice
                detail = detail.replace(f"; the value matches {diagnosis}", "")
            notes.append(f"the error enters at line {right.line}: "
                         f"{_short(left.source)} = {_short(right.source)}: {detail}")
    if diagnosis and notes:
        return f"{diagnosis}; {notes[0]}"
    if diagnosis:
        return diagnosis
    return notes[0] if notes else "no error model reproduces this value"


def _short(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
