# Set-up and entry points. On a fresh machine `make pdf` and `make test` do everything:
# a virtual environment in .venv, the package and its dependencies, and TeX Live from
# Debian's packages when latexmk is missing (as root; otherwise the packages are named).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# lmodern holds lmodern.sty (Latin Modern in T1); fonts-lmodern, which texlive-latex-base pulls in, does not.
TEX_PACKAGES := texlive-latex-base texlive-latex-recommended texlive-fonts-recommended latexmk lmodern poppler-utils

.PHONY: pdf test bench tex venv clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.test: $(VENV)/.base
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

$(VENV)/.bench: $(VENV)/.test
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	touch $@

venv: $(VENV)/.base

tex:
	@if command -v latexmk >/dev/null && command -v pdflatex >/dev/null && command -v pdftotext >/dev/null \
	  && kpsewhich lmodern.sty >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing TeX Live from Debian's packages: $(TEX_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES) >/dev/null; \
	else \
	  echo "derive: latexmk, pdflatex, pdftotext or lmodern.sty is missing; install them with: sudo apt-get install $(TEX_PACKAGES)" >&2; exit 2; \
	fi

pdf: $(VENV)/.base tex
	$(VENV)/bin/derive pdf --all -o build/solutions.pdf

test: $(VENV)/.test tex
	$(PY) -m pytest -q

bench: $(VENV)/.bench tex
	$(PY) -m bench

clean:
	rm -rf build $(VENV)
