// Package store owns Huifang's data model: the Postgres schema of the whole product
// (dealers, users, customers, vehicles, visits, complaints, recalls, the outbound call
// queue, call records, outcomes, SMS, do-not-call numbers and the audit log), its
// numbered migrations embedded in the binary, and the typed queries over pgx v5 that the
// other packages use.
//
// Migrations live in migrations/NNNN_name.up.sql and .down.sql. Migrate applies each
// pending one in its own transaction and records it in schema_migrations; CheckSchema
// lets every other command refuse to run on an outdated schema.
//
// Every mutation that callers may want to combine with their own writes takes a pgx.Tx
// or a DBTX; WithTx runs a function in a transaction and rolls back on error, using a
// context that cannot be cancelled so that the rollback always reaches the server.
//
// store imports none of the project's other packages.
package store
