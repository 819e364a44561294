# The two commands README.md gives: `make lab` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: lab test setup node-runtime browser classroom notebooks docs

lab: setup
	$(BIN)/lambdalab lab

test: setup browser classroom
	$(BIN)/python -m pytest

setup: $(VENV)/.ready node-runtime

$(VENV)/.ready: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,docs,grading,classroom]"
	@# nbgrader is for the command line (lambdalab assign, nbgrader autograde): keep its menus and server
	@# extensions out of the learners' JupyterLab (docs/grading.md says how an instructor turns them on)
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader >/dev/null 2>&1
	for e in formgrader validate_assignment assignment_list course_list; do \
	  $(BIN)/jupyter server extension disable --sys-prefix nbgrader.server_extensions.$$e >/dev/null 2>&1; done
	touch $@

# What the lab's Node.js runtime ships, as AWS's nodejs22.x and nodejs24.x do: the durable execution SDK,
# pinned by lambdalab/runtime/node/package-lock.json (npm ci, once: 10 to 15 s; skipped without npm)
NODE_RUNTIME := lambdalab/runtime/node
node-runtime: $(NODE_RUNTIME)/node_modules/.package-lock.json

$(NODE_RUNTIME)/node_modules/.package-lock.json: $(NODE_RUNTIME)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix $(NODE_RUNTIME) --no-audit --no-fund --ignore-scripts --loglevel=error; \
	else echo "npm is not installed: Node.js functions will not find the durable execution SDK"; fi

# The browser check drives Debian's chromium (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed: the browser check will be skipped"; fi; }

# The classroom hub's proxy (npm configurable-http-proxy, pinned by classroom/package-lock.json)
classroom: classroom/node_modules/.package-lock.json

classroom/node_modules/.package-lock.json: classroom/package-lock.json
	npm ci --prefix classroom --no-audit --no-fund --loglevel=error

# Maintainers: re-run the notebooks in place after a change (outputs are committed).
notebooks: setup
	$(BIN)/python scripts/execute_notebooks.py

# The course website from the committed notebooks (nothing re-executed): docs/_build/html/index.html
docs: setup
	$(BIN)/python scripts/build_docs.py
