# newsbot: `make crawl` runs the main job, `make test` the whole test suite; each sets up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
SNAPSHOT ?=
SHARED ?= ../shared

.PHONY: crawl test lint bench fixtures clean

$(BIN)/newsbot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

crawl: $(BIN)/newsbot
	$(BIN)/newsbot crawl sina-finance $(if $(LIVE),,--snapshot $(SNAPSHOT)) $(ARGS)

test: $(BIN)/newsbot
	$(BIN)/ruff check newsbot tests bench
	rm -rf build/pytest && mkdir -p build
	$(BIN)/pytest --basetemp=build/pytest $(ARGS)
	$(BIN)/python tests/collect_posts.py build/pytest build/test-posts
	bash $(SHARED)/tools/hexo_build.sh build/test-posts

bench: $(BIN)/newsbot
	$(BIN)/python bench/dedupe.py

fixtures: $(BIN)/newsbot
	scratch=$$(mktemp -d) && $(BIN)/newsbot crawl sina-finance --snapshot -s LOG_LEVEL=WARNING \
		--record $$scratch/sina-finance.warc.gz --archive $$scratch/out \
		&& mkdir -p tests/fixtures && mv $$scratch/sina-finance.warc.gz tests/fixtures/; \
		status=$$?; rm -rf $$scratch; exit $$status

clean:
	rm -rf $(VENV) build *.egg-info
