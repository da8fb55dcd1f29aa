"""``derive render`` and ``derive pdf``: verified worked solutions through
the templates of ``templates/`` (:mod:`engine.render.views`), each problem solved
once, then rendered; ``pdf`` builds with latexmk (:mod:`engine.render.pdf`)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from engine.commands.options import add_set_option, parse_sets

FORMATS = ("tex", "fragment", "md")

RENDER_EPILOG = """\
formats:
  tex       a standalone LaTeX document (several problems: title, contents, one section per sheet)
  fragment  one LaTeX fragment per problem for \\input into course notes: no preamble; its header
            comment lists the packages it needs (amsmath amssymb booktabs graphicx listings).
            With several problems, -o names a directory that receives ID.tex for each problem;
            without -o the fragments are printed one after another, each with its header.
            --numbered makes each problem a numbered \\subsection, listed in the contents.
            Fragments are for article-like classes (article, report, book), not beamer:
            a part longer than a frame would overflow it.
  md        Markdown with $...$ and $$...$$ math (Jupyter, MyST): tables as Markdown tables,
            code fenced

Without -o the output goes to stdout.

examples:
  derive render autodiff --format tex -o autodiff.tex
  derive render --all --format fragment -o notes/solutions/
  derive render vgg16 --format fragment --numbered -o notes/vgg16.tex
  derive render adam --format md --set beta_1=0.8 -o adam.md
"""

PDF_EPILOG = """\
The PDF is built with latexmk -pdf -no-shell-escape in a temporary directory
(needs the Debian packages texlive-latex-base texlive-latex-recommended
texlive-fonts-recommended latexmk, and lmodern for Latin Modern). Progress goes to stderr; the path of the
PDF is printed on stdout at the end.

exam variants:
  --variants N writes N variants of the selected problems, each with its statement and its
  verified solution, to PATH (default build/variants.pdf), and the statements alone, for
  handing out, to PATH with the suffix -statements.pdf (build/variants-statements.pdf).
  Variant k (k = 1..N) uses seed S+k-1 (--seed S, default 1): its parameters are drawn within
  each problem's well-posed ranges and are those 'derive answers ID --variant S+k-1' prints.
  The same seed always gives the same variant; --set still overrides a drawn value.
  Both paths are printed on stdout.

examples:
  derive pdf                                   # every problem -> build/solutions.pdf
  derive pdf autodiff vgg16 -o build/a.pdf
  derive pdf autodiff --set x=2 --set c=7 -o build/autodiff.pdf
  derive pdf --variants 3 --seed 1             # build/variants.pdf, build/variants-statements.pdf
  derive pdf autodiff adam --variants 2 --seed 100 -o exam/midterm.pdf
"""


def _progress(message: str) -> None:
    print(f"derive: {message}", file=sys.stderr, flush=True)


def _solve(problems, sets, progress=None) -> list:
    """Solve each problem once (every step verified)."""
    solutions = []
    for problem in problems:
        start = time.perf_counter()
        if progress:
            progress(f"solving {problem.id} ...")
        solutions.append(problem.solve(sets.get(problem.id, {})))
        if progress:
            progress(f"solved {problem.id} in {time.perf_counter() - start:.1f} s")
    return solutions


def _labels() -> dict[str, str]:
    """A1, A2, ... by the catalog's order, whatever subset is rendered."""
    from engine.model import catalog
    from engine.render import views as render

    return render.problem_numbers(catalog.available())


def configure_render(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("problems", metavar="ID", nargs="*", help="problem ids from 'derive list'")
    parser.add_argument("--all", action="store_true", help="every problem of the catalog")
    parser.add_argument("--format", choices=FORMATS, default="tex",
                        help="tex (default), fragment or md; see below")
    parser.add_argument("-o", "--output", metavar="PATH",
                        help="write here instead of stdout (a directory for several fragments)")
    parser.add_argument("--numbered", action="store_true",
                        help="fragment: each problem a numbered \\subsection (in the document's contents) "
                        "instead of \\subsection*")
    add_set_option(parser)
    parser.epilog = RENDER_EPILOG


def _write(path: Path, text: str) -> None:
    from engine.errors import UsageError

    if path.is_dir():
        raise UsageError(f"-o {path}: is a directory; name a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"-o {path}: cannot write: {exc.strerror}") from None


def run_render(args) -> int:
    from engine.render import cache
    from engine.model import catalog
    from engine.render import views as render
    from engine.errors import UsageError

    problems = catalog.select(args.problems, args.all)
    sets = parse_sets(args.sets, problems)
    labels = _labels()
    # engine.render.cache: solved once per code
    parts = ("render", args.format, [p.id for p in problems], sets, labels, args.numbered)
    out = Path(args.output) if args.output else None
    if args.format == "fragment":
        fragments = cache.memo(parts, lambda: {
            s.problem.id: render.render_fragment(s, labels.get(s.problem.id), numbered=args.numbered)
            for s in _solve(problems, sets)})
        if out is None:
            sys.stdout.write("\n".join(fragments.values()))
            return 0
        if len(fragments) == 1 and not out.is_dir():
            _write(out, next(iter(fragments.values())))
            _progress(f"wrote {out}")
            return 0
        if out.exists() and not out.is_dir():
            raise UsageError(f"-o {out}: with several fragments -o names a directory, and this is a file")
        for problem_id, text in fragments.items():
            _write(out / f"{problem_id}.tex", text)
        _progress(f"wrote {len(fragments)} fragments to {out}/")
        return 0
    document = render.render_latex if args.format == "tex" else render.render_markdown
    text = cache.memo(parts, lambda: document(_solve(problems, sets), labels))
    if out is None:
        sys.stdout.write(text)
    else:
        _write(out, text)
        _progress(f"wrote {out}")
    return 0


def configure_pdf(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("problems", metavar="ID", nargs="*", help="problem ids (default: every problem)")
    parser.add_argument("--all", action="store_true", help="every problem of the catalog (the default)")
    parser.add_argument("-o", "--output", metavar="PATH",
                        help="the PDF to write (default: build/solutions.pdf, with --variants build/variants.pdf)")
    add_set_option(parser)
    parser.add_argument("--variants", type=int, metavar="N",
                        help="N exam variants with parameters drawn from seeds S..S+N-1, and a statements-only "
                        "PDF beside them (see below)")
    parser.add_argument("--seed", type=int, metavar="S", help="the seed of variant 1 (default 1); needs --variants")
    parser.epilog = PDF_EPILOG


def _report(result) -> None:
    if result.scaled:
        _progress(f"note: {len(result.scaled)} wide boxes were scaled down to the line")
    if result.overfull:
        _progress(f"warning: {len(result.overfull)} overfull lines, the first: {result.overfull[0]}")


def _output(path: str | None, default: str) -> Path:
    """The PDF to write: -o PATH, PATH/<default name> when PATH is a directory."""
    out = Path(path or default)
    return out / Path(default).name if out.is_dir() else out


def run_pdf(args) -> int:
    from engine.render import cache
    from engine.model import catalog
    from engine.render import pdf
    from engine.render import views as render
    from engine.errors import UsageError

    if args.variants is None and args.seed is not None:
        raise UsageError(f"--seed {args.seed} needs --variants N, e.g. --variants 3 --seed {args.seed}")
    pdf.check_tools()
    problems = catalog.select(args.problems, args.all or not args.problems)
    sets = parse_sets(args.sets, problems)
    if args.variants is not None:
        return _run_variants(args, problems, sets)
    start = time.perf_counter()
    labels = _labels()
    tex = cache.memo(("render", "tex", [p.id for p in problems], sets, labels),
                     lambda: render.render_latex(_solve(problems, sets, _progress), labels))
    out = _output(args.output, "build/solutions.pdf")
    result = pdf.build_pdf(tex, out, progress=_progress)
    _progress(f"{result.pages} pages; latexmk {result.seconds:.1f} s, "
              f"total {time.perf_counter() - start:.1f} s")
    _report(result)
    print(out)
    return 0


def statements_path(out: Path) -> Path:
    """The statements-only PDF beside ``out``: ``exam.pdf`` -> ``exam-statements.pdf``."""
    return out.with_name(f"{out.stem}-statements{out.suffix or '.pdf'}")


def _run_variants(args, problems, sets) -> int:
    """``derive pdf --variants N``: the worked variants and the statements-only handout."""
    from engine.render import exam, pdf
    from engine.model import variants

    start = time.perf_counter()
    seed = 1 if args.seed is None else args.seed
    seeds = variants.variant_seeds(args.variants, seed)  # UsageError for N < 1, before any work
    _progress(f"{args.variants} variants of {', '.join(p.id for p in problems)} from seeds {seeds[0]}..{seeds[-1]}")
    solved = variants.solve_variants(problems, args.variants, seed, sets, _progress)
    labels = _labels()
    out = _output(args.output, "build/variants.pdf")
    handout = statements_path(out)
    for path, statements_only, what in ((out, False, "variants with solutions"),
                                        (handout, True, "statements only")):
        _progress(f"building {path} ({what})")
        tex = exam.render_variants(solved, labels, statements_only=statements_only)
        result = pdf.build_pdf(tex, path, name="statements" if statements_only else "variants", progress=_progress)
        _progress(f"{path}: {result.pages} pages; latexmk {result.seconds:.1f} s")
        _report(result)
    _progress(f"total {time.perf_counter() - start:.1f} s")
    print(out)
    print(handout)
    return 0
