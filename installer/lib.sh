# shellcheck shell=sh disable=SC2034
# Shared by install.sh, rollback.sh and uninstall.sh (sourced, POSIX sh).
# Every path can be overridden from the environment, so the scripts can install
# into a scratch root (tests) without touching the real system.

PREFIX=${PREFIX:-/opt/uurwerk}
ETC_DIR=${ETC_DIR:-/etc/uurwerk}
VAR_DIR=${VAR_DIR:-/var/lib/uurwerk}
SYSTEMD_DIR=${SYSTEMD_DIR:-/etc/systemd/system}
BIN_DIR=${BIN_DIR:-/usr/local/bin}
UURWERK_USER=${UURWERK_USER:-uurwerk}
UURWERK_GROUP=${UURWERK_GROUP:-$UURWERK_USER}
# auto: use systemctl when systemd is PID 1; no: only write the unit files.
UURWERK_SYSTEMCTL=${UURWERK_SYSTEMCTL:-auto}
CONFIG_FILE="$ETC_DIR/config.yaml"
CRED_DIR="$ETC_DIR/credentials"
BACKUP_DIR="$VAR_DIR/backups"
UNITS="uurwerk.service uurwerk-backup.service uurwerk-backup.timer"

say() { printf 'uurwerk: %s\n' "$*"; }
die() { printf 'uurwerk: ERROR: %s\n' "$*" >&2; exit 1; }

need_root() {
  [ "$(id -u)" -eq 0 ] || die "run as root (sudo $0)"
}

# True when systemd manages this host and we may use it.
use_systemctl() {
  [ "$UURWERK_SYSTEMCTL" != no ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

# Runs a command as the service user (the CLI starts the embedded PostgreSQL,
# which must run as the owner of its cluster).
as_service_user() {
  if [ "$(id -un)" = "$UURWERK_USER" ]; then
    env UURWERK_CONFIG="$CONFIG_FILE" "$@"
  else
    runuser -u "$UURWERK_USER" -- env UURWERK_CONFIG="$CONFIG_FILE" HOME="$VAR_DIR" "$@"
  fi
}

# The version `current` points at, or nothing.
current_version() {
  if [ -L "$PREFIX/current" ]; then
    basename "$(readlink "$PREFIX/current")"
  fi
}

# Points link $1 at target $2 atomically (a new link renamed over the old one).
switch_link() {
  ln -sfn "$2" "$1.new"
  mv -T "$1.new" "$1"
}

service_stop() {
  if use_systemctl; then
    systemctl stop uurwerk.service || true
  fi
}

service_start() {
  if use_systemctl; then
    systemctl daemon-reload
    systemctl enable uurwerk.service uurwerk-backup.timer
    systemctl restart uurwerk.service
    systemctl start uurwerk-backup.timer
  else
    say "systemd is not running here: start by hand with  UURWERK_CONFIG=$CONFIG_FILE $PREFIX/current/bin/uurwerk serve"
  fi
}
