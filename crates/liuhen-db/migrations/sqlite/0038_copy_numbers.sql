-- Human numbers (文号, issue 18) of made copies: one per record copied, from the unit's
-- `made_copy` sequence (0031), allocated in the transaction that makes the copy and carried
-- by its `copy.made` entry. Copies made before this migration have none and are shown by
-- their request's number.
ALTER TABLE access_copies ADD COLUMN number TEXT;
