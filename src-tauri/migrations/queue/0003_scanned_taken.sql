-- Files taken from the scanner folder, by content hash, recorded in the same transaction as
-- their queue rows. The originals are removed after that commit; when the app stopped in
-- between, a file found here is removed then instead of being offered (and sent) again.
CREATE TABLE scanned_taken (
    sha256   TEXT PRIMARY KEY,
    taken_at INTEGER NOT NULL      -- unix ms
);
