#!/usr/bin/env bash
# Builds the web UI (web/ → web/dist) with the machine's Node.js and npm: `npm ci` when
# node_modules is missing or older than package-lock.json, `npm run build` when dist is missing
# or older than any source file. Idempotent and quiet when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/../web"
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
	echo "web: npm ci" >&2
	npm ci --no-audit --no-fund --loglevel=error >&2
fi
stamp=dist/index.html
if [[ ! -f $stamp ]] || [[ -n $(find src index.html package.json vite.config.* public -newer "$stamp" 2>/dev/null | head -1) ]]; then
	echo "web: npm run build" >&2
	npm run build --silent >&2
fi
