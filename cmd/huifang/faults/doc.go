// Package faults is the fault-injection suite of issue 18 (`make faults`, run by hand: it
// takes several minutes). It builds the huifang binary, starts a Postgres, a Redis and a
// Kannel (bearerbox, smsbox, fakesmsc) of its own on free loopback ports and temporary
// directories, runs `huifang serve` against them, starts SMS campaigns and injects
// faults: serve killed (SIGKILL) or stopped (SIGTERM) mid-campaign, Redis killed with and
// without its append-only file, a Redis outage, a Postgres restart, a Redis that loses a
// queue build the relay handed over; a separate `huifang worker` process killed or
// stopped mid-campaign and killed during a queue build; a login burst; SIP junk
// (more_test.go). Then it counts what the customers received in the
// fake SMS centre's log: lost, duplicated, uncertain (状态不明, left to a director), and the
// recovery time after the fault ends. It prints the table README.md shows.
//
// The quick parts of the same experiments run in `make test`: queue's
// TestRelayRedoesABuildRedisLost and TestRelayRedoesTheTaskOfAKilledWorker (a worker
// process killed holding a build), queue/notify's TestSMSSenderKilledMidCampaignSendsNoneTwice,
// TestSMSRedisRestartLosesNothing and TestSMSAcceptedIsRecordedThroughAPostgresRestart,
// telephony/sms's TestReportBatchesDoNotDeadlock and TestStrandedAliyunMessagesSettledByAliyun,
// agent-ui's TestLoginBurstFromOneAddress and telephony's TestJunkFloodIsQuietAndHarmless.
package faults
