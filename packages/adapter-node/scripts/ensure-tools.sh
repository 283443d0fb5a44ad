#!/bin/sh
# Installs the system programs the nginx tests, the crash test and the bench drive, when missing:
# nginx (nginx-light), aria2c (aria2), curl, GNU time (/usr/bin/time, for peak RSS) and strace (the bench counts
# each tool's fsync calls). Debian/Ubuntu only.
# Idempotent and quiet: prints nothing and asks apt nothing when every tool is there. Needs root or sudo.
set -eu

missing=""
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$missing nginx-light"
command -v aria2c >/dev/null 2>&1 || missing="$missing aria2"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
[ -x /usr/bin/time ] || missing="$missing time"
[ -x /usr/bin/strace ] || missing="$missing strace"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  as_root() { sudo "$@"; }
else
  echo "ensure-tools: need root or sudo to install:$missing" >&2
  exit 1
fi

echo "ensure-tools: installing$missing" >&2
as_root apt-get update -qq >/dev/null
# The tests start nginx themselves on a free port: the package's own service must not start on port 80.
# policy-rc.d answering 101 tells invoke-rc.d not to start services (the usual container setting).
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
  created_policy=yes
fi
# shellcheck disable=SC2086 # one word a package
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ -n "$created_policy" ] && as_root rm -f /usr/sbin/policy-rc.d
exit 0
