DROP TABLE IF EXISTS audit_log, outbox, sms_messages, call_outcomes, call_attempts,
    call_task_reasons, call_tasks, outcome_codes, do_not_call, recall_vehicles, recalls,
    complaints, workshop_visits, showroom_visits, odometer_readings, vehicles, customers,
    users, dealer_holidays, dealers CASCADE;
