DROP INDEX IF EXISTS audit_log_customer_writeback_idx;
