# Ughi: the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)

.PHONY: run test lint format i18n i18n-compile bench clean lock audit

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]" -c requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

i18n-compile: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy --statistics -d bot/locales -D messages 2>&1 | grep -v "^$$" || true

## run: Ughi on SQLite with the shipped content: web chat on http://127.0.0.1:8000 (and Telegram with a token)
run: $(STAMP) i18n-compile
	$(BIN)/ughi serve

## test: the whole suite (PostgreSQL too when UGHI_TEST_POSTGRES_URL is set)
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## i18n: extract UI strings, update the hy/ru/en catalogs, compile them
i18n: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _ -o bot/locales/messages.pot \
		--project=ughi --copyright-holder="Ughi" bot
	$(BIN)/pybabel update --no-fuzzy-matching -i bot/locales/messages.pot -d bot/locales -D messages
	$(BIN)/pybabel compile --statistics -d bot/locales -D messages

## lock: write the exact versions installed in .venv to requirements.lock (after changing pyproject.toml)
lock: $(STAMP)
	{ sed -n '/^#/p' requirements.lock; $(BIN)/python -m pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

## audit: the locked versions against known vulnerabilities (AUDIT_SERVICE=osv for OSV instead of PyPI)
# --no-deps --disable-pip: the lock pins every package already, so nothing is resolved or downloaded
AUDIT_SERVICE ?= pypi
audit: $(STAMP)
	$(BIN)/pip-audit --strict --no-deps --disable-pip --vulnerability-service $(AUDIT_SERVICE) -r requirements.lock

bench: $(STAMP)
	$(BIN)/python bench/search.py
	$(BIN)/python bench/bot_throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
