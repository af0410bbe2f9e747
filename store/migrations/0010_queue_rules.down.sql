DROP INDEX IF EXISTS call_tasks_customer_idx;
DROP INDEX IF EXISTS complaints_customer_idx;
DROP INDEX IF EXISTS workshop_visits_vehicle_day_idx;
DROP INDEX IF EXISTS customers_invalid_phone_idx;
DROP INDEX IF EXISTS call_task_reasons_customer_idx;
DROP INDEX IF EXISTS call_task_reasons_open_idx;
DROP TABLE IF EXISTS queue_builds;
DROP TABLE IF EXISTS campaign_settings;
