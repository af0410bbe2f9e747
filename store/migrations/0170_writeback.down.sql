DROP TABLE IF EXISTS outcome_undo;
ALTER TABLE vehicles DROP COLUMN IF EXISTS inactive_on;
ALTER TABLE customers DROP COLUMN IF EXISTS moved_away_on;
DROP TRIGGER IF EXISTS customers_prospect_history ON customers;
DROP FUNCTION IF EXISTS prospect_history_record();
DROP TABLE IF EXISTS prospect_history;
