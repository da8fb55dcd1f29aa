# Set-up and entry points. On a fresh machine `make pdf` and `make test` do everything:
# a virtual environment in .venv, the package and its dependencies, and TeX Live from
# Debian's packages when latexmk is missing (as root; otherwise the packages are named).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# lmodern holds lmodern.sty (Latin Modern in T1); fonts-lmodern, which texlive-latex-base pulls in, does not.
TEX_PACKAGES := texlive-latex-base texlive-latex-recommended texlive-fonts-recommended latexmk lmodern poppler-utils
# The review page's browser test: Debian's headless Chromium and its WebDriver.
BROWSER_PACKAGES := chromium chromium-driver
# KaTeX for the review page (derive check --format html) comes from the npm package katex.
KATEX_VERSION := 0.16
KATEX := build/katex/node_modules/katex/dist/katex.min.js

.PHONY: pdf test bench tex browser katex venv clean

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

browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Chromium from Debian's packages: $(BROWSER_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(BROWSER_PACKAGES) >/dev/null; \
	else \
	  echo "derive: chromium or chromedriver is missing; install them with: sudo apt-get install $(BROWSER_PACKAGES)" >&2; exit 2; \
	fi

$(KATEX):
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing npm from Debian's packages"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null; \
	  else echo "derive: npm is missing (needed for KaTeX); install it with: sudo apt-get install npm" >&2; exit 2; fi; \
	fi
	npm install --prefix build/katex --no-save --no-audit --no-fund --silent katex@$(KATEX_VERSION)
	test -f $@

katex: $(KATEX)

pdf: $(VENV)/.base tex
	$(VENV)/bin/derive pdf --all -o build/solutions.pdf

test: $(VENV)/.test tex browser katex
	$(PY) -m pytest -q

bench: $(VENV)/.bench tex
	$(PY) -m bench

clean:
	rm -rf build $(VENV)
