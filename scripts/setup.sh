#!/usr/bin/env bash
# Sets up a fresh Debian machine for rdl: the system tools the tests, demo and bench use, pnpm, the locked
# dependencies, and a build. Idempotent: what is there already is left alone. Needs root (or sudo) for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# System tools: nginx (real-server tests, bench), curl and aria2c (bench baselines), GNU time (peak RSS),
# Chromium (browser tests; Debian's build, never a downloaded one), openssl (the https tests' self-signed
# certificate), tinyproxy (the proxy tests' real proxy).
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v aria2c >/dev/null 2>&1 || need+=(aria2)
[ -x /usr/bin/time ] || need+=(time)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/openssl ] || need+=(openssl)
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ] || need+=(tinyproxy)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} from apt"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! command -v pnpm >/dev/null 2>&1; then
  say "installing pnpm 10"
  as_root npm install -g --silent pnpm@10 >/dev/null
fi

say "installing dependencies from the lockfile"
pnpm install --frozen-lockfile --reporter=silent
say "building"
pnpm -s build
say "ready"
