#!/bin/sh
# Nightly database backup (run by uurwerk-backup.service): writes
# $UURWERK_BACKUP_DIR/uurwerk-<UTC timestamp>.dump and keeps the newest
# $UURWERK_BACKUP_KEEP dumps. The keyring is not in these files: keep the
# escrow made by `uurwerk keys:backup` separately.
set -eu
here=$(dirname -- "$(readlink -f -- "$0")")
dir=${UURWERK_BACKUP_DIR:-/var/lib/uurwerk/backups}
keep=${UURWERK_BACKUP_KEEP:-14}
mkdir -p "$dir"
chmod 0700 "$dir"
out="$dir/uurwerk-$(date -u +%Y%m%dT%H%M%SZ).dump"
"$here/../bin/uurwerk" backup --out "$out"
# Names sort by time; delete all but the newest $keep.
count=$(find "$dir" -maxdepth 1 -name 'uurwerk-*.dump' | wc -l)
if [ "$count" -gt "$keep" ]; then
  find "$dir" -maxdepth 1 -name 'uurwerk-*.dump' | sort | head -n "$((count - keep))" | while IFS= read -r old; do
    rm -f -- "$old"
    echo "removed old backup $old"
  done
fi
