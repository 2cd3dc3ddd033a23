-- API tokens get a scope and an expiry (issue 10, item 5). Tokens issued before keep what
-- they could do (read, upload, write — never administration, which no token may do) and
-- expire 90 days after this migration.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read,upload,write';
ALTER TABLE api_tokens ADD COLUMN expires_ms INTEGER;
UPDATE api_tokens
   SET expires_ms = CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 7776000000
 WHERE expires_ms IS NULL;
