#!/bin/sh
# Returns to the version that was current before the last upgrade:
#
#   sudo ./installer/rollback.sh [--keep-database]
#
# Stops the service, restores the database backup the upgrade took (the newer
# version's migrations may have changed the schema in ways the old code does not
# know), points `current` back at the old version and starts it. Data written
# since the upgrade is lost unless --keep-database is given (only safe when the
# upgrade applied no migrations). Same environment overrides as install.sh.
set -eu

HERE=$(dirname -- "$(readlink -f -- "$0")")
# shellcheck source=installer/lib.sh
. "$HERE/lib.sh"

RESTORE=yes
case "${1:-}" in
  --keep-database) RESTORE=no ;;
  -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
  '') ;;
  *) die "unknown option $1" ;;
esac

need_root
[ -f "$PREFIX/.previous" ] || die "no upgrade to roll back ($PREFIX/.previous is missing)"
read -r OLD DUMP <"$PREFIX/.previous"
[ -d "$PREFIX/$OLD" ] || die "$PREFIX/$OLD is gone; cannot roll back"
NOW=$(current_version)
say "rolling back $NOW -> $OLD"
service_stop
if [ "$RESTORE" = yes ]; then
  [ -f "$DUMP" ] || die "the pre-upgrade backup $DUMP is missing; use --keep-database only if no migration ran"
  as_service_user "$PREFIX/$OLD/bin/uurwerk" restore --in "$DUMP"
fi
switch_link "$PREFIX/current" "$OLD"
rm -f "$PREFIX/.previous"
service_start
say "current -> $OLD (version $NOW stays in $PREFIX/$NOW; remove it when no longer needed)"
