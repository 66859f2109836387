# 支部通: `make run` serves the demo on 127.0.0.1:$(PORT) (default 5000); `make test` runs the whole suite.
VENV ?= .venv
PORT ?= 5000
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask
STAMP := $(VENV)/.installed
DEMO_ENV := APP_MODE=demo WECHAT_TOKEN=$${WECHAT_TOKEN:-demotoken} \
	WECHAT_API_BASE=$${WECHAT_API_BASE:-http://127.0.0.1:$(PORT)/_fakewx/} \
	PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)}

.PHONY: run test lint bench migrate clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $(STAMP)

migrate: $(STAMP)
	$(DEMO_ENV) $(FLASK) --app bot db upgrade

run: $(STAMP) migrate
	$(DEMO_ENV) $(FLASK) --app bot seed-demo --if-empty
	@echo "支部通 demo: http://127.0.0.1:$(PORT)/dev/chat (the scheduler runs beside it; Ctrl+C stops both)"
	$(DEMO_ENV) $(FLASK) --app bot scheduler & SCHED=$$!; \
	trap 'kill $$SCHED 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) $(FLASK) --app bot run --host 127.0.0.1 --port $(PORT) --with-threads

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check bot scheduler tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
