#!/bin/sh
# Converges the Ansible role against this machine (ansible_connection=local) the
# way the issue asks: syntax check, --check on a fresh host, a real run, a second
# run that must report changed=0, --check again, then /readyz must answer 200.
#
#   sh test/ops/converge.sh path/to/uurwerk-<version>-linux-x64.tar.gz
#
# Needs root and the Debian packages ansible, postfix, postgresql (the role's
# packages are already installed, so no task reaches a repository). Everything it
# installs lives under a scratch root, with its own service user, database and
# port; at the end (also on failure) it stops the appliance, drops its database
# and role, restores /etc/postfix/main.cf and stops what it started.
set -eu

BUNDLE=$(readlink -f -- "$1")
REPO=$(dirname -- "$(dirname -- "$(dirname -- "$(readlink -f -- "$0")")")")
PORT=${UURWERK_CONVERGE_PORT:-18932}
CI_USER=uurwerkci
ROOT=$(mktemp -d /var/tmp/uurwerk-converge-XXXXXX)
chmod 0755 "$ROOT"
export ANSIBLE_ROLES_PATH="$REPO/ansible/roles" ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 \
  ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCAL_TEMP="$ROOT/ansible-tmp" ANSIBLE_HOME="$ROOT/ansible-home"

say() { printf 'converge: %s\n' "$*"; }

# State of the machine before, to put back afterwards.
postfix_was_running=no
postfix status >/dev/null 2>&1 && postfix_was_running=yes
clusters_down_before=$(pg_lsclusters --no-header 2>/dev/null | awk '$4 == "down" { print $1 " " $2 }')
cp -p /etc/postfix/main.cf "$ROOT/main.cf.saved"

cleanup() {
  rc=$?
  set +e
  say "cleaning up"
  if [ -f "$ROOT/var/uurwerk.pid" ]; then
    pid=$(cat "$ROOT/var/uurwerk.pid")
    kill -TERM "$pid" 2>/dev/null
    i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
  fi
  runuser -u postgres -- dropdb --if-exists --force "$CI_USER" 2>/dev/null
  runuser -u postgres -- dropuser --if-exists "$CI_USER" 2>/dev/null
  echo "$clusters_down_before" | while read -r ver name; do
    [ -n "$ver" ] && pg_ctlcluster "$ver" "$name" stop 2>/dev/null
  done
  cp -p "$ROOT/main.cf.saved" /etc/postfix/main.cf
  if [ "$postfix_was_running" = no ]; then postfix stop >/dev/null 2>&1; else postfix reload >/dev/null 2>&1; fi
  userdel "$CI_USER" 2>/dev/null
  groupdel "$CI_USER" 2>/dev/null
  rm -rf "$ROOT"
  exit $rc
}
trap cleanup EXIT INT TERM

cat >"$ROOT/inventory.yml" <<INV
all:
  children:
    uurwerk:
      hosts:
        localhost:
          ansible_connection: local
          ansible_python_interpreter: /usr/bin/python3
      vars:
        uurwerk_bundle: $BUNDLE
        uurwerk_prefix: $ROOT/opt
        uurwerk_etc_dir: $ROOT/etc
        uurwerk_var_dir: $ROOT/var
        uurwerk_systemd_dir: $ROOT/systemd
        uurwerk_bin_dir: $ROOT/bin
        uurwerk_user: $CI_USER
        uurwerk_database: local
        uurwerk_database_name: $CI_USER
        uurwerk_hostname: uren.test.invalid
        uurwerk_port: $PORT
        uurwerk_mail_relay_host: relay.test.invalid
        uurwerk_service_manager: none
INV
mkdir -p "$ROOT/systemd"

play() {
  log="$ROOT/$1.log"; shift
  if ! ansible-playbook -i "$ROOT/inventory.yml" "$REPO/ansible/site.yml" "$@" >"$log" 2>&1; then
    cat "$log" >&2; say "ansible-playbook $* failed" >&2; return 1
  fi
  recap=$(grep -E '^localhost +:' "$log")
  say "$recap"
  echo "$recap" | sed -n 's/.*changed=\([0-9]*\).*/\1/p'
}

say "syntax check"
ansible-playbook -i "$ROOT/inventory.yml" "$REPO/ansible/site.yml" --syntax-check >/dev/null
say "check mode on a fresh host"
play check-fresh --check >/dev/null
say "first run"
first=$(play first | tail -n 1)
[ "$first" -gt 0 ] || { say "first run changed nothing?"; exit 1; }
say "second run"
second=$(play second | tail -n 1)
if [ "$second" -ne 0 ]; then
  grep -E '^changed:' "$ROOT/second.log"; say "second run reported changed=$second (expected 0)"; exit 1
fi
say "check mode on the converged host"
again=$(play check-again --check | tail -n 1)
[ "$again" -eq 0 ] || { grep -E '^changed:' "$ROOT/check-again.log"; say "--check after converge reported changed=$again"; exit 1; }
say "readyz"
answer=$(curl -fsS "http://127.0.0.1:$PORT/readyz")
[ "$answer" = '{"status":"ready"}' ] || { say "readyz answered $answer"; exit 1; }
grep -q '^inet_interfaces = loopback-only' /etc/postfix/main.cf
grep -q '^relayhost = \[relay.test.invalid\]:587' /etc/postfix/main.cf
say "OK: first run changed=$first, second run changed=0, --check changed=0, /readyz ready"
