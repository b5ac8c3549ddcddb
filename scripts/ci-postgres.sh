# Sourced by .ci/run: starts a throwaway PostgreSQL (Debian's package, installed when missing) on a
# Unix socket only, and exports TEST_DATABASE_URL for the storage tests. Stopped when the shell exits.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
pg_dir=$(mktemp -d /tmp/rehab-pg.XXXXXX)
chown postgres "$pg_dir"
runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
  -o "-k $pg_dir -c listen_addresses='' -p 55432" start >/dev/null
runuser -u postgres -- "$pg_bin/createdb" -h "$pg_dir" -p 55432 rehab_test
trap 'runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null; rm -rf "$pg_dir"' EXIT
export TEST_DATABASE_URL="postgresql+psycopg2://postgres@/rehab_test?host=$pg_dir&port=55432"
echo "ci: PostgreSQL for the storage tests at $pg_dir"
