-- Schema version 2: a placeholder on the issue15-security branch only. Version 2 belongs to
-- another branch's migration; this file holds its number so that 0003_security.sql can be
-- built and tested here. It changes nothing (no CREATE, no ALTER). When the branches are merged,
-- the real 0002 replaces this file and schema_v0002.sql/schema_v0003.sql are regenerated.
SELECT 1;
