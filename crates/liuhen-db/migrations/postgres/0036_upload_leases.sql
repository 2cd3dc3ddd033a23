-- Issue 14: several servers share uploads. A PATCH (and the completion, termination or
-- expiry of an upload) holds a lease on the row: `lease_token` is the holder's fencing
-- token, `lease_until_ms` when the lease lapses unless renewed. The offset only advances
-- under the current token, so a writer whose lease was taken over cannot move it.
ALTER TABLE uploads ADD COLUMN lease_token TEXT;
ALTER TABLE uploads ADD COLUMN lease_until_ms BIGINT;
