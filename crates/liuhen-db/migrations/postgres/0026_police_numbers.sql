-- Police numbers (警号) on accounts (issue 10.1): a camera's files name their officer by
-- police number; ingest maps it to the one account carrying it. Unique within the bureau
-- (this installation); NULL for accounts without one (several NULLs are allowed).
ALTER TABLE users ADD COLUMN police_number TEXT;
CREATE UNIQUE INDEX users_police_number ON users (police_number);
