#!/usr/bin/env bash
# Install the Debian packages a Maillage feature needs, only when they are missing.
#   scripts/system-packages.sh runtime   → nothing extra yet (kept for PDF libraries later)
#   scripts/system-packages.sh test      → Chromium for the browser tests
#   scripts/system-packages.sh postgres  → a PostgreSQL 15 server for the second test pass
set -euo pipefail
want=()
case "${1:-runtime}" in
  runtime) ;;
  test) command -v chromium >/dev/null 2>&1 || want+=(chromium) ;;
  postgres) [ -x /usr/lib/postgresql/15/bin/postgres ] || want+=(postgresql-15) ;;
  *) echo "usage: $0 runtime|test|postgres" >&2; exit 2 ;;
esac
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Paquets Debian manquants : ${want[*]}. Installez-les (sudo apt-get install ${want[*]}) puis relancez." >&2
  exit 1
fi
echo "Installation des paquets Debian : ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${want[@]}" >&2
