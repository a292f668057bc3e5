#!/bin/sh
# Removes Uurwerk's code and systemd units:
#
#   sudo ./installer/uninstall.sh [--purge]
#
# Keeps the configuration, the data (database, backups) and the keys unless
# --purge is given; --purge also removes the service user and group. Without the
# keys, encrypted data cannot be read again: purge only what you mean to destroy.
# Same environment overrides as install.sh.
set -eu

HERE=$(dirname -- "$(readlink -f -- "$0")")
# shellcheck source=installer/lib.sh
. "$HERE/lib.sh"

PURGE=no
case "${1:-}" in
  --purge) PURGE=yes ;;
  -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
  '') ;;
  *) die "unknown option $1" ;;
esac

need_root
if use_systemctl; then
  systemctl disable --now uurwerk-backup.timer uurwerk.service 2>/dev/null || true
fi
for unit in $UNITS; do
  rm -f "$SYSTEMD_DIR/$unit"
  rm -rf "$SYSTEMD_DIR/$unit.d"
done
if use_systemctl; then systemctl daemon-reload; fi
if [ "$(readlink "$BIN_DIR/uurwerk" 2>/dev/null || true)" = "$PREFIX/current/bin/uurwerk" ]; then rm -f "$BIN_DIR/uurwerk"; fi
# This script may live inside $PREFIX; sh has read it whole only up to here, so the
# removal is the last command that needs the file system copy.
if [ "$PURGE" = yes ]; then
  rm -rf "$ETC_DIR" "$VAR_DIR"
  if getent passwd "$UURWERK_USER" >/dev/null; then userdel "$UURWERK_USER"; fi
  if getent group "$UURWERK_GROUP" >/dev/null; then groupdel "$UURWERK_GROUP"; fi
  say "removed code, units, configuration, data, keys and the service user"
else
  say "removed code and units; kept $ETC_DIR, $VAR_DIR (database, backups, keys) and user $UURWERK_USER"
fi
rm -rf "$PREFIX"
