-- Scratch tables of one build; they vanish at commit.

-- q_cand: every rule occurrence held on the build day (due <= day <= expiry).
CREATE TEMP TABLE q_cand (
    customer_id bigint NOT NULL,
    campaign    text NOT NULL,
    occurrence  text NOT NULL,
    priority    integer NOT NULL,
    due_day     date NOT NULL,
    expires_day date NOT NULL,
    text        text NOT NULL,
    facts       jsonb NOT NULL
) ON COMMIT DROP;

-- q_veh: each owner vehicle's maintenance state as known on asof (the build day, and the
-- last day of the previous month for due_not_come); see 12_vehicles.sql.
CREATE TEMP TABLE q_veh (
    asof         date NOT NULL,
    vehicle_id   bigint NOT NULL,
    customer_id  bigint NOT NULL,
    delivery_day date,
    last_visit   date,
    last_maint   date,
    maint_count  integer NOT NULL,
    ref_day      date,
    time_due     date,
    km_due       date,
    due_day      date,
    km_now       integer,
    reading_day  date,
    km_target    integer
) ON COMMIT DROP;

-- q_owner: each owner's last service day as known on the build day (the last workshop
-- visit or delivery of an active vehicle).
CREATE TEMP TABLE q_owner (
    customer_id   bigint PRIMARY KEY,
    last_visit    date,
    last_delivery date,
    last_service  date
) ON COMMIT DROP;

-- q_bad: customers never to be called (do-not-call number or number marked invalid).
CREATE TEMP TABLE q_bad (customer_id bigint PRIMARY KEY) ON COMMIT DROP;

-- q_cmp: customers with a complaint open on the build day.
CREATE TEMP TABLE q_cmp (customer_id bigint PRIMARY KEY) ON COMMIT DROP;

-- q_task: the open task of each customer that got a new reason.
CREATE TEMP TABLE q_task (task_id bigint PRIMARY KEY, customer_id bigint NOT NULL, created boolean NOT NULL) ON COMMIT DROP;

-- q_touched: existing tasks whose reasons changed (merged, cut, expired, suppressed).
CREATE TEMP TABLE q_touched (task_id bigint NOT NULL) ON COMMIT DROP;
