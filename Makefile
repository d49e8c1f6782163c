# Two entry points: `make demo` (set up + run the demo on bundled defaults) and `make test` (set up + all tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
OUT ?= out/demo

.PHONY: setup chromium demo test bench clean

WEB := src/facsynth/server/web

setup: $(VENV)/.installed $(WEB)/node_modules/.package-lock.json

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	$(PY) -m facsynth.language.minilm  # export MiniLM to ONNX once (cache: $$FACSYNTH_CACHE or ~/.cache/facsynth)
	touch $@

# three.js for the studio's 3D view and Swagger UI for /docs, served from the npm packages (no CDN)
$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm)
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error

# Debian's chromium for the studio's browser test (CI runs as root); Playwright never downloads a browser here
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

demo: setup
	$(VENV)/bin/facsynth demo -o $(OUT)

test: setup chromium
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) out
