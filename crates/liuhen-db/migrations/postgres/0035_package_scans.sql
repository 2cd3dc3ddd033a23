-- The signed disc-burn form's scans (issue 19, R3.6): each a write-once blob of the blob
-- store (retained like the package's records), bound here to its package and written in
-- the transaction of its package.scan_attached entry; verify re-hashes them and does not
-- count them as orphans.
CREATE TABLE package_scans (
    package      TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    attached_ms  BIGINT NOT NULL,
    attached_by  TEXT NOT NULL,
    PRIMARY KEY (package, sha256)
);
