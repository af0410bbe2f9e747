-- 0171_writeback_card: the customer card lists what calls changed about the customer (the
-- audit rows customer.writeback of queue.RecordOutcome and queue.UndoOutcome), newest first.
CREATE INDEX audit_log_customer_writeback_idx ON audit_log (subject_id, at DESC)
    WHERE subject_type = 'customer' AND action = 'customer.writeback';
