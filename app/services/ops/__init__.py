"""Operations: backup and restore of the system of record (docs/backup.md).

A backup is one folder holding the three parts that must be kept together:
the database, the documents it names, and the signed ledger head, plus a
``manifest.json`` that lists them (row counts, document hashes and sizes, the
head) and is signed with the bureau's ledger key.

Every figure comes from ONE snapshot of the database, so the folder is
consistent as of the moment that snapshot was taken, however busy the
application is meanwhile:

- SQLite: ``sqlite3.Connection.backup`` copies the live file page by page in a
  single step under a read lock (a plain file copy of a live database, WAL or
  not, can lose or tear data); the counts and the head are then read from the
  copy.
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot, the counts
  and the head are read inside it, and ``pg_dump -Fc --snapshot`` dumps that
  very snapshot.

Documents are stored once by SHA-256 and only ever added, and their file is
written before the row naming it commits, so every document the snapshot names
is on disk when it is copied.

Restore checks the whole folder before it touches anything (manifest
signature, database file, head file, every document's hash), replaces the
database, puts the documents back, and then proves the result: the chain
verifies, it still holds the signed head, every table has the manifest's row
count and every document hashes to its name. The signing key is not in the
backup; it must be back in place first (docs/backup.md).

《土壤污染防治法》第四十三条、第九十条: the accountability ledger and the
documents it names are kept for life, so they must survive the loss of a server.

``archive`` holds the folder's format and shared helpers, ``backup`` and
``restore`` one command each.
"""
