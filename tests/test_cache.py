"""engine.render.cache: catalog output is computed once per code, parameters and
options; any change of the sources is a miss; the cache can be turned off
and never breaks a run when it cannot be written."""
from __future__ import annotations

import json

import pytest

from engine import cli
from engine.render import cache


def _counter():
    calls = []

    def compute():
        calls.append(1)
        return {"text": "rendered", "n": len(calls)}

    return calls, compute


def test_memo_computes_once_then_reads_the_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    calls, compute = _counter()
    assert cache.memo(("render", "md", ["vgg16"]), compute) == {"text": "rendered", "n": 1}
    assert cache.memo(("render", "md", ["vgg16"]), compute) == {"text": "rendered", "n": 1}
    assert len(calls) == 1
    entries = list(tmp_path.glob("*.json"))
    assert len(entries) == 1
    assert json.loads(entries[0].read_text())["parts"] == ["render", "md", ["vgg16"]]


@pytest.mark.parametrize("other", [("render", "tex", ["vgg16"]), ("render", "md", ["adam"]),
                                   ("render", "md", ["vgg16"], {"vgg16": {"input_size": "32"}})])
def test_other_options_are_other_entries(tmp_path, monkeypatch, other):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    calls, compute = _counter()
    cache.memo(("render", "md", ["vgg16"]), compute)
    cache.memo(other, compute)
    assert len(calls) == 2


def test_a_change_of_the_sources_is_a_miss(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    calls, compute = _counter()
    cache.memo(("answers",), compute)
    monkeypatch.setattr(cache, "source_hash", lambda: "another version of derivations/")
    cache.memo(("answers",), compute)
    assert len(calls) == 2


def test_the_source_hash_covers_derivations_engine_and_templates():
    names = {p.name for base in cache.SOURCES for p in base.rglob("*") if p.suffix in cache.SUFFIXES}
    assert {"adam.py", "equiv.py", "cache.py", "solutions.tex.j2"} <= names
    assert len(cache.source_hash()) == 64


def test_derive_no_cache_computes_every_time_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("DERIVE_NO_CACHE", "1")
    calls, compute = _counter()
    cache.memo(("answers",), compute)
    cache.memo(("answers",), compute)
    assert len(calls) == 2
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_cache_is_skipped(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(blocker / "cache"))
    calls, compute = _counter()
    assert cache.memo(("answers",), compute)["text"] == "rendered"
    assert cache.memo(("answers",), compute)["n"] == 2


def test_a_corrupt_entry_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    calls, compute = _counter()
    cache.memo(("answers",), compute)
    next(tmp_path.glob("*.json")).write_text("{half an entr")
    assert cache.memo(("answers",), compute)["n"] == 2


def test_a_warm_render_is_the_cold_render_without_solving(tmp_path, monkeypatch, capsys):
    from engine.model.problem import Problem

    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    assert cli.main(["render", "vgg16", "autodiff", "--format", "md"]) == 0
    cold = capsys.readouterr().out
    solved = []
    original = Problem.solve
    monkeypatch.setattr(Problem, "solve", lambda self, *a, **k: solved.append(self.id) or original(self, *a, **k))
    assert cli.main(["render", "vgg16", "autodiff", "--format", "md"]) == 0
    assert capsys.readouterr().out == cold
    assert solved == []
    assert cli.main(["render", "vgg16", "--format", "md", "--set", "input_size=32"]) == 0
    assert solved == ["vgg16"]


def test_warm_answers_are_the_same_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    assert cli.main(["answers", "cnn", "vgg16"]) == 0
    cold = capsys.readouterr().out
    assert cli.main(["answers", "cnn", "vgg16"]) == 0
    assert capsys.readouterr().out == cold
    assert json.loads(cold)["vgg16"]["answers"]["vgg16.params_total"]["value"] == 138357544


# --------------------------------------------------------------------------- issue 14: trust


def _planted(tmp_path, monkeypatch, content):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "cache"))
    calls, compute = _counter()
    cache.memo(("answers",), compute)
    entry = next((tmp_path / "cache").glob("*.json"))
    if callable(content):
        content(entry)
    else:
        entry.write_text(content)
    return calls, compute


@pytest.mark.parametrize("content", ["[]", "null", "42", '{"value": 42}', '"x"',
                                     '{"format": 2, "key": "k", "digest": "d", "parts": [], "value": 42}',
                                     "[" * 100000 + "]" * 100000])
def test_an_entry_of_another_schema_is_recomputed(tmp_path, monkeypatch, content):
    """Issue 14: [] or null gave "internal error" on every later run; a
    planted {"value": 42} was printed as the answer."""
    calls, compute = _planted(tmp_path, monkeypatch, content)
    assert cache.memo(("answers",), compute) == {"text": "rendered", "n": 2}


def test_an_entry_whose_digest_does_not_match_is_recomputed(tmp_path, monkeypatch):
    def tamper(entry):
        data = json.loads(entry.read_text())
        data["value"] = {"text": "planted", "n": 0}
        entry.write_text(json.dumps(data))

    calls, compute = _planted(tmp_path, monkeypatch, tamper)
    assert cache.memo(("answers",), compute) == {"text": "rendered", "n": 2}


def test_a_group_writable_entry_is_refused(tmp_path, monkeypatch):
    calls, compute = _planted(tmp_path, monkeypatch, lambda entry: entry.chmod(0o666))
    assert cache.memo(("answers",), compute)["n"] == 2


def test_the_directory_is_created_private_and_a_shared_one_is_not_used(tmp_path, monkeypatch):
    import os
    import stat

    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "cache"))
    calls, compute = _counter()
    cache.memo(("answers",), compute)
    assert stat.S_IMODE(os.stat(tmp_path / "cache").st_mode) == 0o700
    (tmp_path / "cache").chmod(0o777)  # a world-writable cache: another user could plant entries
    assert cache.memo(("answers",), compute)["n"] == 2
    assert cache.memo(("answers",), compute)["n"] == 3


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_fifo_or_dev_zero_at_a_key_does_not_hang(tmp_path, monkeypatch, kind):
    import os

    def plant(entry):
        entry.unlink()
        if kind == "fifo":
            os.mkfifo(entry, 0o600)
        else:
            entry.symlink_to("/dev/zero")

    calls, compute = _planted(tmp_path, monkeypatch, plant)
    assert cache.get(("answers",)) is None
    assert cache.memo(("answers",), compute)["n"] == 2  # os.replace puts a real entry there
