-- call_skips: a task an agent gave back without calling (the console's skip, with the
-- agent's reason). A skip is not a call and not an outcome: the figures do not count it,
-- but the directors' call records list it next to the calls.
CREATE TABLE call_skips (
    id            bigserial PRIMARY KEY,
    dealer_id     bigint NOT NULL REFERENCES dealers(id) ON DELETE CASCADE,
    task_id       bigint NOT NULL REFERENCES call_tasks(id) ON DELETE CASCADE,
    customer_id   bigint REFERENCES customers(id) ON DELETE SET NULL,
    agent_user_id bigint REFERENCES users(id) ON DELETE SET NULL,
    -- reason: one of the console's skip reasons (customer_in_store, duplicate, ...).
    reason        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX call_skips_dealer_at_idx ON call_skips (dealer_id, created_at DESC, id);
