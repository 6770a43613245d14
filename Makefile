# Two commands matter: `make run` starts the bot, `make test` runs every test.
# Both create .venv from the lock file (exactly the locked versions, hashes checked) and
# compile the translation catalogs when needed. Versions move only with `make upgrade`.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PYBABEL := $(VENV)/bin/pybabel
STAMP  := $(VENV)/.installed-stamp
LANGS  := en hi mr
PO     := $(foreach l,$(LANGS),locales/$(l)/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

LOCK     := requirements-dev.lock
LOCK_RUN := requirements.lock
# The lock is universal (any platform) for the oldest Python the project supports.
UV       := $(VENV)/bin/uv
UV_COMPILE := $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes

.PHONY: run playground demo test test-unit test-flows test-e2e test-browser browser screenshots \
	lint i18n extract update compile bench clean migrate lock upgrade

# A new lock or pyproject.toml builds .venv anew, so nothing unlocked lingers in it.
$(STAMP): $(LOCK) pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $(STAMP)

# The locked uv, without installing the project: right after a dependency was added to
# pyproject.toml the full install cannot pass `pip check` until the lock has it.
$(UV):
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	awk '/^uv==/ {p = 1; print; next} p && /^ / {print; next} {p = 0}' $(LOCK) > $(VENV)/uv.req
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(VENV)/uv.req

# Re-resolve after editing dependencies in pyproject.toml, keeping every other locked version.
lock: | $(UV)
	$(UV_COMPILE) --extra dev -o $(LOCK) pyproject.toml
	$(UV_COMPILE) -c $(LOCK) -o $(LOCK_RUN) pyproject.toml

# Move every dependency to its newest release on purpose, then prove the suite still passes.
upgrade: | $(UV)
	$(UV_COMPILE) --upgrade --extra dev -o $(LOCK) pyproject.toml
	$(UV_COMPILE) -c $(LOCK) -o $(LOCK_RUN) pyproject.toml
	git --no-pager diff --stat -- $(LOCK) $(LOCK_RUN) || true
	$(MAKE) test

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
	$(PY) -m pytest -q -rs

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
	$(VENV)/bin/ruff check bot tests benchmarks scripts docker

# Translators: `make i18n` after changing any user-visible string, then fill in the new
# entries in locales/hi and locales/mr (see README, "Translating").
# The template's creation date changes on every extract; keep the committed file when nothing
# else did, so the catalogs change only when the strings do.
extract: $(STAMP)
	$(PYBABEL) extract --no-location --sort-by-file -F babel.cfg -k N_ -k ngettext:1,2 \
		--project "Kirana Partner Bot" -w 100 -o locales/messages.pot.new bot
	if [ -f locales/messages.pot ] && diff -q -I '^"POT-Creation-Date:' \
		locales/messages.pot locales/messages.pot.new >/dev/null; then \
		rm locales/messages.pot.new; else mv locales/messages.pot.new locales/messages.pot; fi

update: extract
	$(PYBABEL) update --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date -w 100 \
		-D messages -i locales/messages.pot -d locales

i18n: update
	$(MAKE) compile

bench: compile
	@echo "see benchmarks/README.md"

clean:
	rm -rf $(VENV) $(MO) .pytest_cache .ruff_cache
