# Two commands matter: `make run` starts the bot, `make test` runs every test.
# Both create .venv and compile the translation catalogs when needed.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PYBABEL := $(VENV)/bin/pybabel
STAMP  := $(VENV)/.installed-stamp
LANGS  := en hi mr
PO     := $(foreach l,$(LANGS),locales/$(l)/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

.PHONY: run playground demo test test-unit test-flows test-e2e test-browser browser screenshots lint i18n extract update compile bench clean migrate

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(STAMP)
	$(PYBABEL) compile --statistics -D messages -i $< -o $@

compile: $(STAMP) $(MO)

# Without KIRANA_BOT_TOKEN (environment or .env; empty counts as unset) `make run` starts the
# playground: the bot against a built-in Bot API, with a chat page on http://127.0.0.1:8080.
run: compile
	$(PY) -m bot auto

playground: compile
	$(PY) -m bot playground

demo: compile
	$(PY) -m bot playground --demo

migrate: compile
	$(PY) -m bot migrate

test: compile browser
	$(PY) -m pytest -q

test-unit: compile
	$(PY) -m pytest -q tests/unit

test-flows: compile
	$(PY) -m pytest -q tests/flows

test-e2e: compile
	$(PY) -m pytest -q tests/e2e

test-browser: compile browser
	$(PY) -m pytest -q -rs tests/browser

# The browser test (tests/browser) drives Debian's Chromium with Playwright and needs fonts for
# Devanagari and emoji. Installed here with apt when missing and we are root (quick when they
# are there); otherwise the test is skipped and says why. Playwright never downloads a browser.
BROWSER_DEBS := chromium fonts-noto-core fonts-noto-color-emoji
browser:
	@if command -v chromium >/dev/null 2>&1 && fc-list :lang=hi family 2>/dev/null | grep -q . \
	    && fc-list 2>/dev/null | grep -qi emoji; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing $(BROWSER_DEBS) for the browser test"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq $(BROWSER_DEBS) >/dev/null 2>&1 \
	  || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $(BROWSER_DEBS) >/dev/null 2>&1; } \
	  || echo "could not install $(BROWSER_DEBS): the browser test will be skipped"; \
	else echo "chromium missing and not root: the browser test will be skipped"; fi

# The README's screenshots: the browser test writes build/screenshots/ (ignored); this copies
# them to docs/screenshots/. `make test` never touches docs/.
screenshots: compile browser
	rm -rf build/screenshots
	$(PY) -m pytest -q -rs tests/browser
	mkdir -p docs/screenshots
	cp build/screenshots/*.png docs/screenshots/

lint: $(STAMP)
	$(VENV)/bin/ruff check bot tests benchmarks scripts

# Translators: `make i18n` after changing any user-visible string, then fill in the new
# entries in locales/hi and locales/mr (see README, "Translating").
extract: $(STAMP)
	$(PYBABEL) extract --no-location --sort-by-file -F babel.cfg -k N_ -k ngettext:1,2 \
		--project "Kirana Partner Bot" -o locales/messages.pot bot

update: extract
	$(PYBABEL) update --no-fuzzy-matching --ignore-obsolete -D messages -i locales/messages.pot -d locales

i18n: update
	$(MAKE) compile

bench: compile
	@echo "see benchmarks/README.md"

clean:
	rm -rf $(VENV) $(MO) .pytest_cache .ruff_cache
