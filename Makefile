# Shaheen: the two commands a new machine needs.
#
#   make demo   install, migrate, seed the synthetic demo data, run the whole pipeline
#   make test   install, lint, type-check, and run every test on SQLite and on a
#               throwaway PostgreSQL cluster (stopped even when tests fail)

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export SHAHEEN_DATABASE_URL ?= sqlite:///./var/shaheen.db

# vpdq (Meta's video hash) builds against FFmpeg's libraries, and the tests encode
# synthetic videos with the ffmpeg command; WeasyPrint (report PDFs) needs Pango; the
# browser tests drive Debian's chromium; the web app serves Noto Nastaliq Urdu and Noto
# Naskh Arabic from fonts-noto-core. Installed with apt-get when missing.
FFMPEG_PC := libavcodec libavformat libavutil libswscale libavdevice libavfilter libswresample
APT_PACKAGES := pkg-config cmake g++ ffmpeg libavcodec-dev libavformat-dev libavutil-dev \
	libswscale-dev libavdevice-dev libavfilter-dev libswresample-dev \
	libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 chromium fonts-noto-core
NASTALIQ := /usr/share/fonts/truetype/noto/NotoNastaliqUrdu-Regular.ttf
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps bench-deps demo test lint typecheck unit clean

system-deps:
	@if ! command -v ffmpeg >/dev/null || ! command -v cmake >/dev/null \
	    || ! pkg-config --exists $(FFMPEG_PC) 2>/dev/null || ! command -v chromium >/dev/null \
	    || ! ldconfig -p | grep -q libpangoft2-1.0.so.0 || [ ! -f $(NASTALIQ) ]; then \
	  echo "installing FFmpeg (vpdq), Pango (WeasyPrint), chromium and Noto fonts"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    $(APT_PACKAGES) >/dev/null; \
	fi

$(STAMP): pyproject.toml | system-deps
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found; set PYTHON=python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[dev,ray]'
	touch $@

install: $(STAMP)

# bench/pdq_match.py runs python-threatexchange under the default allocator and under
# jemalloc (Debian's libjemalloc2, preloaded) and keeps its better figures; bench/api.py
# loads a live server with wrk.
bench-deps: install
	@if ! ldconfig -p | grep -q libjemalloc.so.2 || ! command -v wrk >/dev/null; then \
	  echo "installing libjemalloc2 (threatexchange's best allocator) and wrk (HTTP load)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    libjemalloc2 wrk >/dev/null; \
	fi
	$(BIN)/pip install --quiet --editable '.[dev,ray,bench]'

DEMO_PORT ?= 8000

demo: install
	$(BIN)/shaheen db upgrade
	$(BIN)/shaheen demo
	@echo; echo "The web desk: http://127.0.0.1:$(DEMO_PORT)/  (Ctrl-C stops it; the data stays)"
	@echo "Sign in as one of these (agency, username, role, temporary password, TOTP URI):"
	@cat var/demo/credentials.txt
	$(BIN)/shaheen serve --port $(DEMO_PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

unit: install
	SHAHEEN_REQUIRE_POSTGRES=1 scripts/with-postgres $(BIN)/pytest -n 2 -q

test: lint typecheck unit

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
