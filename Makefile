# The only way to install FaceNet Organizer for development: `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1

.PHONY: run test lint benchmarks installer clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned to the release this project is tested with (override with TORCH_SPEC=...).
	$(PY) -m pip install $(TORCH_SPEC)
	$(PY) -m pip install -e '.[dev,postgres,cluster]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) scripts/check_desktop_libs.py
	$(VENV)/bin/faceorg-gui

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check core app tests benchmarks build_installer.py
	$(PY) -m mypy

installer: $(STAMP)
	$(PY) -m pip install -e '.[installer]'
	$(PY) build_installer.py

clean:
	rm -rf $(VENV) build dist *.egg-info
