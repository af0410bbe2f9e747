// Package api is Huifang's JSON API for a dealer's own systems (the DMS, the front desk):
// they push showroom visits, appointments, workshop visits, customers, odometer readings,
// complaints and prospect changes as they happen, in single requests or NDJSON batches,
// and read back the queue, the call detail records (with signed, expiring recording URLs),
// the complaints and the appointments. The routes live under /api/v1/ on the serve
// process's HTTP listener; openapi.json (embedded, served at /api/v1/openapi.json) is the
// contract and a test keeps it and the code in step.
//
// Every request carries "Authorization: Bearer KEY"; a key belongs to one dealer and sees
// that dealer only (another dealer's record is 404). Keys are stored as their SHA-256
// (CreateKey prints a key once). Errors are JSON {"error":{"code","field","message"}}.
// Writes are idempotent by the caller's external_id (api_external_ids): the same
// external_id again returns the same id, a changed body updates that record.
//
// The API holds no rule of its own: a showroom visit is queue.RecordShowroomVisit (the
// function `huifang visit` and the console call), customers, workshop visits and
// complaints go through store/importer's validation and set-based writes (ImportRecords),
// and every write asks for a rebuild of the dealer's queue through the outbox in the same
// transaction. Webhook events are written by the database triggers of migration 0120 and
// delivered by the queue's worker (queue/webhook.go).
//
// api imports store, store/importer and queue.
package api
