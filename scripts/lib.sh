# Sourced by scripts/test.sh, demo.sh and bench.sh (and run by harness/debian.ts): one way to
# install what a command needs, on a fresh machine as root with no terminal.
#
#   ensure_npm_deps                npm ci when node_modules is missing or older than package-lock.json
#   ensure_debian_packages PKG...  install those of the Debian packages PKG... that are missing
#
# Both return non-zero with a message on stderr when they cannot; the caller decides whether
# that is fatal. Messages are prefixed with the calling script's name (or $LIB_TAG).

LIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LIB_TAG=${LIB_TAG:-$(basename "$0" .sh)}
lib_apt_updated=0

lib_say() {
  echo "$LIB_TAG: $*" >&2
}

# Run "$@" with its output in a temporary file, shown only when it fails.
lib_quietly() {
  local log status=0
  log=$(mktemp)
  "$@" </dev/null >"$log" 2>&1 || status=$?
  [ "$status" -eq 0 ] || cat "$log" >&2
  rm -f "$log"
  return "$status"
}

# npm ci when node_modules is missing, or older than package-lock.json (npm writes
# node_modules/.package-lock.json at every install).
ensure_npm_deps() {
  local marker="$LIB_ROOT/node_modules/.package-lock.json"
  if [ -f "$marker" ] && [ ! "$LIB_ROOT/package-lock.json" -nt "$marker" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    lib_say "npm is not installed (Node.js 20 or newer with npm is needed)"
    return 1
  fi
  lib_say "installing npm dependencies with npm ci (a few minutes the first time: better-sqlite3 may build from source)"
  if ! (cd "$LIB_ROOT" && lib_quietly npm ci --no-audit --no-fund --loglevel=error); then
    lib_say "npm ci failed (output above)"
    return 1
  fi
}

# Whether a package is there. For the services the project starts, what it runs from them
# (the same paths harness/postgres-server.ts, harness/redis-server.ts and
# test/support/chromium.ts look for); any other package when dpkg has it installed.
debian_package_present() {
  case "$1" in
    postgresql) compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null ;;
    redis-server) [ -x /usr/bin/redis-server ] ;;
    chromium) [ -x /usr/bin/chromium ] ;;
    *) [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ] ;;
  esac
}

# Remember packages apt-get could not install, for the processes this one starts.
lib_apt_failed() {
  export LIB_APT_FAILED="${LIB_APT_FAILED:-} $*"
}

# apt-get install -y --no-install-recommends of the missing ones, as root only; when it fails,
# apt-get update (once per run: a fresh machine may have no package lists) and try again.
ensure_debian_packages() {
  local missing=() package
  for package in "$@"; do
    debian_package_present "$package" || missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  # Tried and failed earlier in this run (a script, then a launcher it started): once is enough.
  for package in "${missing[@]}"; do
    case " ${LIB_APT_FAILED:-} " in
      *" $package "*) lib_say "$package could not be installed earlier in this run"; return 1 ;;
    esac
  done
  if [ "$(id -u)" -ne 0 ]; then
    lib_say "missing Debian packages: ${missing[*]}. Run as root to have them installed, or install them: sudo apt-get install -y --no-install-recommends ${missing[*]}"
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    lib_say "missing packages: ${missing[*]}, and no apt-get to install them (Debian or Ubuntu needed)"
    return 1
  fi
  lib_say "installing Debian packages: ${missing[*]}"
  local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}")
  # The first attempt's output is shown only if the attempt after the update fails too.
  if ! lib_quietly "${install[@]}" 2>/dev/null; then
    if [ "$lib_apt_updated" -eq 0 ]; then
      lib_apt_updated=1
      if ! lib_quietly env DEBIAN_FRONTEND=noninteractive apt-get update; then
        lib_apt_failed "${missing[@]}"
        lib_say "apt-get update failed (output above)"
        return 1
      fi
    fi
    if ! lib_quietly "${install[@]}"; then
      lib_apt_failed "${missing[@]}"
      lib_say "apt-get install ${missing[*]} failed (output above)"
      return 1
    fi
  fi
  for package in "${missing[@]}"; do
    debian_package_present "$package" || { lib_say "apt-get installed $package, but what the project runs from it is still missing"; return 1; }
  done
}
