#!/bin/sh
# Nightly backup of the Tamkeen database (run as postgres by deploy/tamkeen-backup.service).
# Writes a custom-format dump under a temporary name, renames it when complete, keeps 14 days.
# Restore drill: scripts/backup_restore_check.py --database URL (see docs/deploy.md).
set -eu
dir=${BACKUP_DIR:-/var/backups/tamkeen}
db=${BACKUP_DATABASE:-tamkeen}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$dir"
pg_dump -Fc --no-owner -d "$db" -f "$dir/.tamkeen-$stamp.dump.partial"
mv "$dir/.tamkeen-$stamp.dump.partial" "$dir/tamkeen-$stamp.dump"
find "$dir" -name 'tamkeen-*.dump' -mtime +"${BACKUP_KEEP_DAYS:-14}" -delete
find "$dir" -name '.tamkeen-*.dump.partial' -mmin +720 -delete
echo "backup: $dir/tamkeen-$stamp.dump ($(du -h "$dir/tamkeen-$stamp.dump" | cut -f1))"
