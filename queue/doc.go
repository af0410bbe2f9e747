// Package queue owns the outbound call queue: the campaign rules of docs/domain.md, the
// set-based build that turns a dealer's data into call tasks as of a day, the listing of
// the queue as of a day, and (in the engine files) the Asynq worker and its queue:build
// and webhook tasks, the scheduler, the outbox relay, the atomic take and the outcome
// and attempt policies. The SMS and recorded-message broadcasts are queue/notify's, which
// imports queue; queue never imports it.
//
// A "campaign" here is always a call rule (first_maintenance, lapsed_3m, birthday...):
// what puts a reason on a customer's call task.
//
// # Rules
//
// Every number of docs/domain.md's "Settings and their defaults" is a per-dealer setting: DefaultRules
// holds the defaults, campaign_settings the dealer's overrides (SaveSetting, ResetSetting),
// LoadRules merges them. Each campaign can be turned off with <campaign>_enabled = 0.
// The rule editors (dealer_rules.go: SaveSettings, ResetSettings, SaveCallWindow,
// AddHoliday, RemoveHoliday; used by the dealer commands and /director/rules) check their
// input, change the dealer's rules in one audited transaction and, for settings, write a
// queue:build outbox row for the dealer's today.
//
// # Occurrences, reasons and tasks
//
// A rule produces occurrences: one call reason with a due day and an expiry (last) day,
// identified by (campaign, occurrence key), for example first_maintenance "v42" (one per
// vehicle) or lapsed_3m "c7:2025-12-10" (the owner's last service day). Build as of day T
// computes, with one INSERT ... SELECT per rule (sql/2*.sql) into a scratch table, every
// occurrence held on T (due <= T <= expiry) from the facts known on T: visits, readings,
// deliveries, complaints, status changes and recall imports dated on or before T. New
// occurrences become rows of call_task_reasons (never twice: UNIQUE(dealer, campaign,
// occurrence), whatever the row's status) attached to the customer's one open call_task,
// created when missing. A task's priority is the highest of its open reasons, its due day
// the earliest, its expiry the latest; its campaigns are listed highest priority first.
// Each reason stores its text in Chinese with the facts ("上次进厂 2025-12-10, 已 96 天") and
// the facts as jsonb.
//
// Reason status: 'open'; 'handled' (set by the outcome code when the task is done or
// closed); 'expired' (its expiry day is before a build day); 'suppressed' (do-not-call or
// invalid number). A task whose reasons are all closed expires; a do-not-call or invalid
// number's open task is cancelled.
//
// # As of a day
//
// The facts of a rule can change after an occurrence was stored: the car comes in for its
// maintenance, the owner comes back, the recall work is recorded, the key prospect or the
// graded owner is reached. Build then moves the occurrence's expiry to the day before that
// fact (sql/5*.sql), so the queue as of any earlier day still holds it and the queue as of
// that day or later does not. List as of D computes the tasks from the reasons active on D
// (due <= D <= expiry, status open or expired since; an expired reason was open on every day
// up to its expiry), hides the other campaigns of a customer whose complaint was open on D,
// and leaves out do-not-call and invalid numbers; so listing is exact for every day that has
// been built, whatever the order in which days were built. Handled reasons are gone from
// every day's list.
//
// Building a past day after a later one adds the past day's occurrences (their reasons join
// the customer's open task, or a new task) and never reopens or deletes anything; expiry
// only closes reasons whose last day is before the day built, so a past build closes nothing
// a later build left open. The stored task (what the take reads) reflects the latest builds;
// the take must also check due_day <= today <= expires_day.
//
// # Choices where the rules leave room (docs/domain.md)
//
//   - Owner: a customer with an active vehicle delivered on or before T (or with no delivery
//     day). Owner rules read active vehicles only.
//   - Last service day: the latest workshop visit (any kind) or delivery of the owner's active
//     vehicles; an owner who never came back counts from delivery, and a newer delivery is a
//     fresh start.
//   - Mileage: odometer readings and workshop visits that recorded a mileage both count as
//     readings (the odometer wins on the same day). When the mileage decides the due day the
//     reason records the reading's day (known_from) and is not listed before it.
//   - Maintenance number: the count of maintenance visits since delivery; 1 → 二保, 2 → 三保,
//     3 and more → 定保. A later maintenance is keyed by the previous visit's day.
//   - due_not_come is made from the facts known on the last day of the previous month (the
//     list is locked then) and includes overdue vehicles of every age; a maintenance visit
//     during the month ends it.
//   - same_day_visit counts every showroom visitor (DOMAIN: "whatever their grade"), owners
//     included; one occurrence per customer and day.
//   - key_prospect: customers with prospect_status 'key' by the week's Monday (status_day, the
//     Monday list); a call outcome that week ends it.
//   - base_care: last contact is the latest call outcome whose code is reached; without one,
//     the last service day; without that, the day the customer was created. The rhythm repeats
//     (C+N, C+2N, ...) while nobody reaches the owner.
//   - birthday: a call task for 优质 owners only; 29 February is 28 February in other years.
//   - recall: due the import day; while the work is not recorded the expiry is 9999-12-31
//     (OpenEnded) and List prints no expiry (JSON null); once done_on is recorded the expiry
//     becomes done_on - 1.
//   - complaint: one occurrence per open day (due = expiry = that day); a complaint closed on D
//     is not open on D; the satisfaction call is D+3 .. D+7 and is not suppressed by another
//     open complaint (it is a complaint call).
//   - Complaint suppression: while a complaint is open, other campaigns' occurrences are not
//     created, and those created before are hidden (not closed): they come back when it closes
//     if still within their window.
//   - Consultant: a task carrying a consultant-owned reason (sales_followup, key_prospect)
//     gets call_tasks.consultant = the vehicle's consultant (or the customer's), so the take
//     gives the whole task, every reason included, to that consultant. A complaint hides those
//     reasons, so a complainant's task goes to customer service.
//
// # The outbox and the worker
//
// The outbox row is the truth until its work is done (relay.go: the worker marks it done,
// the relay's check redoes what Redis lost or a dead worker held). Other packages write outbox rows in their
// callers' transactions with InsertOutboxTx and register the handlers of their task types
// on the worker (WorkerConfig.Handlers, by prefix). Worker heartbeats (worker.go,
// queue_workers) let queue/notify's SMS sweep find a dead worker's claims in seconds.
//
// # Concurrency
//
// A build runs in one transaction and takes a transaction advisory lock keyed by the schema and the dealer first, so
// builds of one dealer take turns; the open-task upsert locks each task it extends until
// commit. Building the same day twice adds nothing the second time. A worker's build that
// was asked for before another build of the same dealer and day began is skipped
// (BuildParams.UnlessBuiltSince), so a burst of writes makes a few builds, not one each.
//
// # Webhooks
//
// webhook.go delivers the events that the triggers of migration 0120 write to the outbox
// (outcome.recorded, appointment.booked and .cancelled, complaint.opened and .resolved,
// sms.opted_out): a signed POST per delivery, at least once, retried with backoff for
// WebhookWindow; AddWebhook, RemoveWebhook and Redeliver are what the CLI and the console
// call.
package queue
