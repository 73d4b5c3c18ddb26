#!/bin/sh
# batou bootstrap: makes the current directory (a git repository) a batou project.
#
#   curl -sL @RELEASE_URL@/bootstrap | sh
#
# It checks the prerequisites (git, bun; curl or wget if there), installs the launcher
# batou.ts pinned to batou @BATOU_VERSION@ and runs `bun batou.ts init`: the
# launcher downloads batou, verifies its signature and checksums, and writes
# the example project (components/hello, environments/dev.toml, .gitignore,
# tsconfig.json with editor types). BATOU_RELEASE_URL overrides the URL.
set -eu

version="@BATOU_VERSION@"
url="${BATOU_RELEASE_URL:-@RELEASE_URL@}"
url="${url%/}"
launcher_sha256="@LAUNCHER_SHA256@"

say() { printf 'batou bootstrap: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

# Prerequisites: all missing ones at once, with how to get them.
missing=""
command -v git >/dev/null 2>&1 || missing="$missing
  git: install it with your system's package manager (e.g. apt-get install git)"
command -v bun >/dev/null 2>&1 || missing="$missing
  bun: npm install -g bun   (or see https://bun.sh)"
[ -z "$missing" ] || fail "missing prerequisites:$missing"

# Downloads with curl, else wget, else Bun's fetch (bun is needed anyway).
downloader="${BATOU_BOOTSTRAP_DOWNLOADER:-}"
if [ -z "$downloader" ]; then
  if command -v curl >/dev/null 2>&1; then downloader=curl
  elif command -v wget >/dev/null 2>&1; then downloader=wget
  else downloader=bun
  fi
fi
get() {
  case "$downloader" in
    curl) curl -fsSL -o "$2" "$1" ;;
    wget) wget -q -O "$2" "$1" ;;
    bun) bun -e 'const r = await fetch(process.argv[1]); if (!r.ok) { console.error(`HTTP ${r.status}`); process.exit(1); } await Bun.write(process.argv[2], r);' "$1" "$2" ;;
    *) fail "unknown downloader $downloader (curl, wget or bun)" ;;
  esac
}

case "$url" in *'"'* | *'\'* | *'|'*) fail "the release URL must not contain quotes, backslashes or |: $url" ;; esac

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  say "no git repository here: running git init"
  git init -q .
fi
[ ! -e batou.ts ] || fail "batou.ts exists already: this is a batou project (move its batou version with: bun batou.ts update)"

tmp="batou.ts.download.$$"
trap 'rm -f "$tmp" "$tmp.url"' EXIT
say "installing the launcher for batou $version from $url"
get "$url/$version/launcher.ts" "$tmp" || fail "could not download $url/$version/launcher.ts ($downloader failed)"
if command -v sha256sum >/dev/null 2>&1; then got=$(sha256sum "$tmp" | cut -d' ' -f1)
elif command -v shasum >/dev/null 2>&1; then got=$(shasum -a 256 "$tmp" | cut -d' ' -f1)
else got=""; say "no sha256sum or shasum here: the launcher's checksum is not checked (batou itself still is)"
fi
[ -z "$got" ] || [ "$got" = "$launcher_sha256" ] || fail "$url/$version/launcher.ts: sha256 mismatch: expected $launcher_sha256, got $got"

# Pin the URL this script used (it differs from the built-in one with BATOU_RELEASE_URL).
esc=$(printf '%s' "$url" | sed 's/&/\\&/g')
sed "s|^const RELEASE_URL: string = .*;\$|const RELEASE_URL: string = \"$esc\";|" "$tmp" >"$tmp.url"
mv "$tmp.url" "$tmp"
chmod 755 "$tmp"
mv "$tmp" batou.ts

if ! bun batou.ts init .; then
  rm -f batou.ts
  fail "batou could not be installed (see above); batou.ts removed: run this again once that is fixed"
fi
git add batou.ts .gitignore tsconfig.json components environments >/dev/null 2>&1 || true
say "done: deploy the example with: bun batou.ts deploy dev"
