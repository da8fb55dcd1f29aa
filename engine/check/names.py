"""Which answer a chain names: the questions' aliases matched against chains.

The reader (:mod:`engine.read.chains`) builds chains and quantity keys from
strings and knows no question. Here the keys and the prose naming a chain
meet each question's :attr:`engine.model.checking.Checking.aliases` (regular
expressions, data of the question module): a name on the left
(``\\bar{v}_3`` is the adjoint of v_3) or words before it ("parameters in
total =").  Every function here works on strings only; nothing is evaluated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from engine.model.checking import Alias
from engine.read.chains import Chain, is_name, quantity_key


def aliases_by_problem() -> dict[str, tuple[Alias, ...]]:
    """Problem id -> its aliases, strongest first, in catalog order."""
    return _by_problem()[0]


def _by_problem() -> tuple[dict[str, tuple[Alias, ...]], dict[str, dict[str, str]]]:
    """(aliases, ``Conventions.same`` letters) by problem id, built once per catalog."""
    from engine.model import catalog

    problems = catalog.available()
    key = tuple(id(p) for p in problems)
    if key not in _BY_CATALOG:
        _BY_CATALOG[key] = ({p.id: tuple(p.checking.aliases) for p in problems},
                            {p.id: dict(p.checking.conventions.same) for p in problems})
    return _BY_CATALOG[key]


#: Catalog (identities of its problems) -> (aliases, same letters) by problem.
_BY_CATALOG: dict[tuple[int, ...], tuple[dict, dict]] = {}


def same_quantity() -> dict[str, str]:
    """Answer ids that are the same quantity under two names (the adjoint of
    x is df/dx): a student's value of one is the student's value of the other."""
    from engine.model import catalog

    out: dict[str, str] = {}
    for problem in catalog.available():
        out.update(problem.checking.same_quantity)
    return out


def owner_of_aliases() -> dict[str, str]:
    """Answer id of an alias -> the problem whose alias it is."""
    return {a.answer_id: pid for pid, aliases in aliases_by_problem().items() for a in aliases}


@dataclass(frozen=True)
class NameMatch:
    """A chain element names answer ``alias.answer_id`` (entry ``index`` of it
    for an entrywise alias); strength: 3 math name in the right part, 2 math
    name elsewhere in the question or words on the same line, 1 words before."""

    alias: Alias
    element: int
    strength: int
    index: tuple[int, ...] | None = None


def match_name(key: str, problem: str | None, part: str | None,
               problems: tuple[str, ...] | None = None) -> list[tuple[Alias, tuple[int, ...] | None]]:
    """Aliases of ``problem`` (when None: of ``problems``, or every problem)
    whose names match ``key``."""
    hits = []
    for pid, aliases in aliases_by_problem().items():
        if problem is not None and pid != problem or problem is None and problems and pid not in problems:
            continue
        same = _by_problem()[1].get(pid, {})
        base = re.match(r"[A-Za-z]+", key)
        mapped = same[base.group(0)] + key[base.end():] if base and base.group(0) in same else key  # Y for y
        for alias in aliases:
            for pattern in alias.names:
                m = re.fullmatch(pattern, key) or mapped != key and re.fullmatch(pattern, mapped)
                if m:
                    index = alias.entry
                    if "i" in m.groupdict():
                        index = tuple(int(m.group(g)) - alias.index_base for g in ("i", "j") if m.groupdict().get(g))
                    hits.append((alias, index))
                    break
    return hits


def match_words(words: str, problem: str | None, problems: tuple[str, ...] | None = None) -> list[Alias]:
    """Aliases of ``problem`` (when None: of ``problems``, or every problem)
    whose words occur in ``words``, in the order of the table (the first is
    the most specific: "ratio" before "conv")."""
    low = words.lower()
    hits = []
    for pid, aliases in aliases_by_problem().items():
        if problem is not None and pid != problem or problem is None and problems and pid not in problems:
            continue
        for alias in aliases:
            if any(re.search(w, low) for w in alias.words) and not any(re.search(w, low) for w in alias.words_not):
                hits.append(alias)
    return hits


def name_matches(chain: Chain, problems: tuple[str, ...] | None = None) -> list[NameMatch]:
    """Answer ids a chain names, by the leading name elements (math) and by
    the prose that announces it. Leading elements are those before the first
    element that is not a name (``y = N_6 = 1272.6`` names both f and v6);
    a name right after a first element that names nothing names too
    (``-\\log p_y = L = ...``).
    A recurrence's start value (``starting with r = 1``) names nothing."""
    found: list[NameMatch] = []
    skipped = False
    if chain.start_value:
        return found
    for idx, element in enumerate(chain.elements[:-1] if len(chain.elements) > 1 else []):
        if element.is_text:
            for alias in match_words(element.text_name, chain.problem, problems)[:1]:
                found.append(NameMatch(alias, idx, 2 if chain.words_strong else 1))
            continue
        if idx > 0 and element.relation not in ("equal", ""):
            break
        key = quantity_key(element.source)
        if not element.source:
            break
        if not is_name(element.source):
            # an expression on the left names a quantity only as the first
            # element and only through an alias (``\frac{\hat m_2}{\sqrt{\hat v_2}+\epsilon}``)
            if idx == 0 or idx == 1 and (chain.elements[0].is_text or skipped):
                for alias, index in match_name(key, chain.problem, chain.part, problems):
                    in_part = not alias.parts or chain.part in alias.parts or chain.part is None
                    found.append(NameMatch(alias, idx, 3 if in_part else 2, index))
            if idx == 0 and not found and len(chain.elements) > 2:
                skipped = True  # ``-\log p_y = L = ...``, or OCR debris before the name: the name after it names
                continue
            break
        named = match_name(key, chain.problem, chain.part, problems)
        if not named and re.fullmatch(r"\\(?:text|mathrm|textrm|operatorname)\s*\{[A-Za-z ]{3,30}\}", element.source.strip()):
            named = [(alias, None) for alias in match_words(key, chain.problem, problems)[:1]]  # \text{total}
        for alias, index in named:
            in_part = not alias.parts or chain.part in alias.parts or chain.part is None
            found.append(NameMatch(alias, idx, 3 if in_part else 2, index))
    if not found and chain.words and chain.origin == "math" and not _condition(chain):
        for alias in match_words(chain.words, chain.problem, problems)[:1]:
            found.append(NameMatch(alias, 0, 2 if chain.words_strong else 1))
    return prefer_part(found, chain.part, f"{chain.words} {chain.context}")


def _condition(chain: Chain) -> bool:
    """``... is largest at $z = 0$``: a variable set by a condition, not the quantity the words name."""
    first = chain.elements[0]
    return not first.is_text and is_name(first.source) and bool(
        re.search(r"\b(?:at|for|when|with|where|if|on|as|of)\s*$", chain.words.lower()))


def prefer_part(found: list[NameMatch], part: str | None, words: str = "") -> list[NameMatch]:
    """Of the answers one element names, those asked in the chain's part
    when there are any (``w_{t+1}`` in part (a) is the update rule, not the
    AdamW update of part (e)), and one of another part of the other kind
    (a formula beside the values); of those, the ones whose words the prose
    around the chain uses ("decoupled weight decay" for AdamW)."""
    out = []
    low = words.lower()
    for element in sorted({m.element for m in found}):
        mine = [m for m in found if m.element == element]
        if part is not None:
            here = [m for m in mine if not m.alias.parts or part in m.alias.parts]
            kinds = {m.alias.kind for m in here}  # Delta w = <formula> = <values>: both, by their kinds
            mine = here + [m for m in mine if m not in here and m.alias.kind in ("symbolic", "numeric")
                           and kinds <= {"symbolic", "numeric"} - {m.alias.kind}] if here else mine
        worded = {m.alias.answer_id for m in mine if m.alias.words}
        if len(worded) > 1:
            said = [m for m in mine if any(re.search(w, low) for w in m.alias.words)]
            mine = said[:1] if said else mine
        out += mine
    return out
