#!/bin/sh
# Installs or upgrades Uurwerk from this unpacked bundle. Needs no network.
#
#   sudo ./installer/install.sh [--operator NAME --password-file FILE] [--no-start]
#
# Idempotent: running it again with the same bundle changes nothing. Upgrading
# (a bundle with another version while one is installed): stops the service,
# backs the database up, migrates with the new version and switches the
# `current` link only when that succeeded; on failure `current` stays on the old
# version and the old service is started again. installer/rollback.sh goes back.
#
# Paths (environment): PREFIX=/opt/uurwerk ETC_DIR=/etc/uurwerk
# VAR_DIR=/var/lib/uurwerk SYSTEMD_DIR=/etc/systemd/system BIN_DIR=/usr/local/bin
# UURWERK_USER=uurwerk UURWERK_GROUP=uurwerk UURWERK_SYSTEMCTL=auto|no
# New configuration only: UURWERK_PORT (8080), UURWERK_PG_PORT (54329).
set -eu

BUNDLE=$(dirname -- "$(dirname -- "$(readlink -f -- "$0")")")
# shellcheck source=installer/lib.sh
. "$BUNDLE/installer/lib.sh"

OPERATOR=''
PASSWORD_FILE=''
START=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --operator) OPERATOR=$2; shift 2 ;;
    --password-file) PASSWORD_FILE=$2; shift 2 ;;
    --no-start) START=no; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

need_root
VERSION=$(cat "$BUNDLE/VERSION")
[ -n "$VERSION" ] || die "$BUNDLE/VERSION is empty"

say "checking the bundle's SHA-256 manifest"
(cd "$BUNDLE" && sha256sum --check --quiet --strict SHA256SUMS) || die "bundle is damaged or modified (SHA256SUMS does not match)"

# --- service user and group ------------------------------------------------
if ! getent group "$UURWERK_GROUP" >/dev/null; then
  groupadd --system "$UURWERK_GROUP"
  say "created group $UURWERK_GROUP"
fi
if ! getent passwd "$UURWERK_USER" >/dev/null; then
  nologin=/usr/sbin/nologin
  [ -x "$nologin" ] || nologin=/sbin/nologin
  useradd --system --gid "$UURWERK_GROUP" --home-dir "$VAR_DIR" --no-create-home --shell "$nologin" "$UURWERK_USER"
  say "created user $UURWERK_USER"
fi

# --- directories --------------------------------------------------------------
install -d -m 0755 -o root -g root "$PREFIX"
install -d -m 0750 -o root -g "$UURWERK_GROUP" "$ETC_DIR" "$CRED_DIR"
install -d -m 0750 -o "$UURWERK_USER" -g "$UURWERK_GROUP" "$VAR_DIR"
# The keyring refuses a directory or key file readable by group or others.
install -d -m 0700 -o "$UURWERK_USER" -g "$UURWERK_GROUP" "$VAR_DIR/keys" "$BACKUP_DIR"

# --- the code: /opt/uurwerk/<version> -------------------------------------------
TARGET="$PREFIX/$VERSION"
if [ -d "$TARGET" ] && [ "$(readlink -f "$TARGET")" != "$BUNDLE" ]; then
  (cd "$TARGET" && sha256sum --check --quiet --strict SHA256SUMS) || die "$TARGET exists but differs from its manifest; remove it and run again"
elif [ ! -d "$TARGET" ]; then
  rm -rf "$PREFIX/.$VERSION.partial"
  cp -a "$BUNDLE" "$PREFIX/.$VERSION.partial"
  chown -R root:root "$PREFIX/.$VERSION.partial"
  chmod -R go-w "$PREFIX/.$VERSION.partial"
  mv -T "$PREFIX/.$VERSION.partial" "$TARGET"
  say "installed $TARGET"
fi

# --- configuration (never overwritten) ------------------------------------------
if [ ! -e "$CONFIG_FILE" ]; then
  sed -e "s|^data_dir: .*|data_dir: $VAR_DIR|" \
      -e "s|^  port: 8080\$|  port: ${UURWERK_PORT:-8080}|" \
      -e "s|^    port: 54329\$|    port: ${UURWERK_PG_PORT:-54329}|" \
      "$TARGET/config.example.yaml" >"$CONFIG_FILE.new"
  chown root:"$UURWERK_GROUP" "$CONFIG_FILE.new"
  chmod 0640 "$CONFIG_FILE.new"
  mv "$CONFIG_FILE.new" "$CONFIG_FILE"
  say "wrote $CONFIG_FILE from the example: review it"
fi
as_service_user "$TARGET/bin/uurwerk" config:check >/dev/null || die "$CONFIG_FILE has problems (listed above); fix them and run again"

# --- systemd units ----------------------------------------------------------------
# Rewrites the default paths when installing elsewhere; writes only what changed.
install_unit() {
  sed -e "s|/opt/uurwerk|$PREFIX|g" -e "s|/etc/uurwerk|$ETC_DIR|g" -e "s|/var/lib/uurwerk|$VAR_DIR|g" \
      -e "s|^User=uurwerk\$|User=$UURWERK_USER|" -e "s|^Group=uurwerk\$|Group=$UURWERK_GROUP|" \
      "$1" >"$2.new"
  if [ -f "$2" ] && cmp -s "$2.new" "$2"; then rm -f "$2.new"; else mv "$2.new" "$2"; UNITS_CHANGED=yes; fi
}
UNITS_CHANGED=no
install -d -m 0755 "$SYSTEMD_DIR"
for unit in $UNITS; do install_unit "$TARGET/systemd/$unit" "$SYSTEMD_DIR/$unit"; done
# One LoadCredential= per secret file in $CRED_DIR, for the service and the backup.
for unit in uurwerk.service uurwerk-backup.service; do
  dropin="$SYSTEMD_DIR/$unit.d/credentials.conf"
  creds=$(find "$CRED_DIR" -mindepth 1 -maxdepth 1 -type f | sort)
  if [ -n "$creds" ]; then
    install -d -m 0755 "$SYSTEMD_DIR/$unit.d"
    { echo '# Written by installer/install.sh from the files in' "$CRED_DIR"; echo '[Service]'
      for c in $creds; do echo "LoadCredential=$(basename "$c"):$c"; done; } >"$dropin.new"
    if [ -f "$dropin" ] && cmp -s "$dropin.new" "$dropin"; then rm -f "$dropin.new"; else mv "$dropin.new" "$dropin"; UNITS_CHANGED=yes; fi
  elif [ -f "$dropin" ]; then
    rm -f "$dropin"; UNITS_CHANGED=yes
  fi
done
if use_systemctl && [ "$UNITS_CHANGED" = yes ]; then systemctl daemon-reload; fi

# --- database migration and the `current` link ----------------------------------
OLD=$(current_version)
if [ "$OLD" = "$VERSION" ]; then
  say "version $VERSION is already current"
  as_service_user "$TARGET/bin/uurwerk" migrate
else
  if [ -n "$OLD" ]; then
    say "upgrading $OLD -> $VERSION"
    service_stop
    dump="$BACKUP_DIR/pre-upgrade-$OLD-to-$VERSION-$(date -u +%Y%m%dT%H%M%SZ).dump"
    as_service_user "$TARGET/bin/uurwerk" backup --out "$dump" || { service_start; die "backup before the upgrade failed; nothing was changed"; }
    printf '%s %s\n' "$OLD" "$dump" >"$PREFIX/.previous"
    say "database backed up to $dump"
  fi
  if ! as_service_user "$TARGET/bin/uurwerk" migrate; then
    if [ -n "$OLD" ]; then
      say "migration failed: current stays at $OLD; restarting it"
      [ "$START" = yes ] && service_start
    fi
    die "migration to $VERSION failed (see above)${OLD:+; the database backup is $dump}"
  fi
  switch_link "$PREFIX/current" "$VERSION"
  say "current -> $VERSION"
fi
install -d -m 0755 "$BIN_DIR"
if [ "$(readlink "$BIN_DIR/uurwerk" 2>/dev/null || true)" != "$PREFIX/current/bin/uurwerk" ]; then
  switch_link "$BIN_DIR/uurwerk" "$PREFIX/current/bin/uurwerk"
fi

# --- first operator account -------------------------------------------------------
if "$PREFIX/current/bin/uurwerk" --help | grep 'operator:create' >/dev/null; then
  if [ -n "$PASSWORD_FILE" ]; then
    [ -n "$OPERATOR" ] || die "--password-file needs --operator NAME"
    as_service_user "$PREFIX/current/bin/uurwerk" operator:create --username "$OPERATOR" --password-file "$PASSWORD_FILE"
  elif [ -z "$OLD" ] && [ -t 0 ]; then
    printf 'First operator account — user name (empty to skip): '
    read -r OPERATOR
    if [ -n "$OPERATOR" ]; then
      pwfile=$(mktemp)
      chmod 0600 "$pwfile"
      stty -echo; printf 'Password: '; read -r pw; stty echo; echo
      printf '%s\n' "$pw" >"$pwfile"; pw=''
      chown "$UURWERK_USER" "$pwfile"
      as_service_user "$PREFIX/current/bin/uurwerk" operator:create --username "$OPERATOR" --password-file "$pwfile" || true
      rm -f "$pwfile"
    fi
  elif [ -z "$OLD" ]; then
    say "no account exists yet: create the first operator with  UURWERK_CONFIG=$CONFIG_FILE $PREFIX/current/bin/uurwerk operator:create --username NAME --password-file FILE  (run as $UURWERK_USER)"
  fi
else
  say "create the first operator account once the identity component is installed: uurwerk operator:create --username NAME --password-file FILE"
fi

if [ "$START" = yes ]; then service_start; fi
say "done: Uurwerk $VERSION ($PREFIX/current), config $CONFIG_FILE, data $VAR_DIR"
