#!/usr/bin/env bash
# Build a newsbot archive into a Hexo site with the default landscape theme.
# usage: site/build.sh ARCHIVE_DIR SITE_DIR [EXTRA_POST...]
# Copies package.json and _config.yml beside this script into SITE_DIR, installs them (npm, once), puts every
# post of ARCHIVE_DIR (hidden folders such as .history and .newsbot left out) under source/_posts at the same
# relative path, adds EXTRA_POSTs, and runs `hexo generate`; fails on any Hexo warning or error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
archive=$(cd "$1" && pwd)
mkdir -p "$2"
site=$(cd "$2" && pwd)
shift 2
extra=()
for post in "$@"; do extra+=("$(cd "$(dirname "$post")" && pwd)/$(basename "$post")"); done
cp "$here/package.json" "$here/_config.yml" "$site/"
cd "$site"
if [ ! -x node_modules/.bin/hexo ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --silent
fi
rm -rf source public db.json
mkdir -p source/_posts
(cd "$archive" && find . -type f -name '*.md' -not -path '*/.*' -exec cp --parents {} "$site/source/_posts/" \;)
for post in "${extra[@]}"; do cp "$post" source/_posts/; done
# Hexo reads a front-matter date as wall-clock time of the machine's zone moved into _config.yml's timezone, so a
# post's GMT date keeps its instant, and the page shows the Beijing day, only when the build runs in that zone too.
export TZ=Asia/Shanghai
log=$(npx --no-install hexo generate 2>&1) || { echo "$log" | tail -20; echo "site: hexo generate failed"; exit 1; }
if echo "$log" | grep -E '^(WARN|ERROR)'; then echo "site: hexo warnings or errors above"; exit 1; fi
echo "site: $(find source/_posts -name '*.md' | wc -l) posts built into $site/public"
