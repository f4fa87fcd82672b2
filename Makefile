# newsbot: `make crawl` runs the main job, `make test` the whole test suite; each sets up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
SNAPSHOT ?=
SHARED ?= ../shared

SITE_DIR ?= build/site
SITE_PORT ?= 4000
SCREENSHOT_PAGE ?= /sina/2022/01/ikyamrmz6500542/

.PHONY: crawl test lint bench fixtures clean site site-archive site-check

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
	$(BIN)/python $(SHARED)/tools/check_post.py --strict build/test-posts build/test-posts-tag-text
	bash $(SHARED)/tools/hexo_build.sh --strict build/test-posts
	bash $(SHARED)/tools/hexo_build.sh build/test-posts-tag-text

bench: $(BIN)/newsbot
	$(BIN)/python bench/dedupe.py

fixtures: $(BIN)/newsbot
	scratch=$$(mktemp -d) && $(BIN)/newsbot crawl sina-finance --snapshot -s LOG_LEVEL=WARNING \
		--record $$scratch/sina-finance.warc.gz --archive $$scratch/out \
		&& mkdir -p tests/fixtures && mv $$scratch/sina-finance.warc.gz tests/fixtures/; \
		status=$$?; rm -rf $$scratch; exit $$status

# The bundled snapshot's crawl as a Hexo site (landscape theme), served on 127.0.0.1:$(SITE_PORT).
site: site-archive
	bash site/build.sh $(SITE_DIR)/archive $(SITE_DIR)
	cd $(SITE_DIR) && TZ=Asia/Shanghai npx --no-install hexo server --static -i 127.0.0.1 -p $(SITE_PORT)

site-archive: $(BIN)/newsbot
	rm -rf $(SITE_DIR)/archive
	$(BIN)/newsbot crawl sina-finance --snapshot -s NEWSBOT_OUTPUT_DIR=$(SITE_DIR)/archive -s LOG_LEVEL=WARNING

# Every page of that site, plus the posts newsbot makes of pages holding the hostile corpus and a canary post
# that runs script, opened in headless Chromium: fails when a body image is not drawn or a script runs.
site-check: site-archive
	test -x /usr/bin/chromium || { apt-get update && apt-get install -y --no-install-recommends chromium fonts-noto-cjk; }
	PYTHONPATH=. $(BIN)/python site/hostile_posts.py $(SHARED)/seed/seed-source-page.html $(SITE_DIR)/archive
	bash site/build.sh $(SITE_DIR)/archive $(SITE_DIR) site/canary.md
	cd $(SITE_DIR) && node $(CURDIR)/site/check.mjs $(SCREENSHOT_PAGE)

clean:
	rm -rf $(VENV) build *.egg-info
