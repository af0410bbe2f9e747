// Package notify owns the outbound notifications that are not an agent's call: SMS (the
// leave-store care SMS, the daily birthday and reminder messages, a director's SMS
// broadcast, 群发短信) and recorded-message calls (语音通知: a prompt played to a list of
// owners, who answer with one key). It queues the messages (sms_messages,
// message_call_targets), sends them through a Provider (Kannel, Aliyun, Tencent; wired by
// cmd) at most once, sweeps what a dead worker left, keeps the dealers' SMS templates,
// signature, quiet hours and the customers' marketing consent, and counts the results.
//
// # Words
//
// A "campaign" in Huifang is a call rule of package queue (first_maintenance, birthday...).
// What this package sends to a list at once is a broadcast (群发): StartSMSBroadcast,
// StartMessageCallBroadcast, DailySMSBroadcasts. Its rows are in the table broadcasts
// (sms_messages.broadcast_id, message_call_targets.broadcast_id, migration 0210);
// BroadcastID fields carry its ids.
//
// # Imports and tasks
//
// notify imports queue and store; queue never imports notify. Its Asynq task types start
// with TaskPrefix ("sms:"); NewHandler returns their handler, which cmd registers on the
// queue worker (queue.WorkerConfig.Handlers), so the queue's worker starts without any SMS
// sender. Work that must follow a Postgres write is an outbox row written in the caller's
// transaction (River's InsertTx shape): LeaveStoreSMSTx takes the pgx.Tx in which
// queue.RecordShowroomVisit stored the visit, so the visit, its rebuild and its SMS commit
// together or not at all.
//
// # SMS quiet hours
//
// No marketing SMS between 21:00 and 08:00 in the dealer's time zone (docs/domain.md, "Showroom visits and SMS"). A dealer
// may widen that period, never narrow it (QuietHours, SaveQuietHours; dealers.settings
// sms_quiet_start and sms_quiet_end). Three places decide it and all read the same setting:
// the claim statements (ClaimSMSFast, ClaimSMSBatchFast, through the SQL functions
// sms_quiet_start and sms_quiet_end of migration 0062, which also clamp any stored value
// to 21:00-08:00), the sender's slow path (which holds the message until the next end of
// the period) and StartSMSBroadcast (which holds a broadcast started inside it). Service SMS
// go at any hour.
//
// # At most once, every message accounted for
//
// The outbox row is the truth until its work is done (relay.go: the worker marks it done,
// the relay's check redoes what Redis lost). An SMS goes to the customer at most once
// (sms_send.go, sms_batch.go): a rate-limit slot before each claim, a record the moment
// the gateway accepts, and a message stranded in 'sending' is never resent blindly but
// confirmed with the provider or marked 'uncertain' for a director (sms_sweep.go,
// sms_uncertain.go). The queue worker's heartbeats (queue_workers) let the sweep find a
// dead worker's claims in seconds; each claim carries the worker's id (queue.WorkerID).
//
// # Housekeeping
//
// A Housekeeper (housekeeper.go; cmd's sms part starts and stops it) runs the periodic
// work in one goroutine on the process's clock: the sweep every 5 s, each dealer's daily
// broadcasts every 10 minutes and service notices every minute (both also at start), and,
// while the SIP gateway runs, a round of message calls every 15 s.
//
// # Message calls
//
// A recorded-message broadcast adds one target per owner; RunMessageCalls, called every few
// seconds by the Housekeeper while the gateway runs, places the due calls inside the
// dealer's calling window (queue.WindowClosed) through a MessageDialer and applies the key
// pressed: 1 gives the owner a call task (a message_callback reason), 2 closes the target,
// 9 puts the number on the do-not-call list and opts it out of marketing SMS; unanswered
// calls follow the dealer's attempt policy (queue.Policy).
package notify
