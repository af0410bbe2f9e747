// Package clustertest is the whole-system test of issue 16 (`make test-cluster`, which CI
// runs after `make test`). It builds the huifang binary and runs two `huifang serve`
// processes on one Postgres and one Redis; browser-like agents (WebSocket clients that
// reconnect to the other process when theirs goes, as behind a load balancer) work calls
// on both through the development dialer; one process is killed with SIGKILL in the middle
// of calls and later the other is stopped with SIGTERM while a fresh one takes its place.
// It then checks that no outcome was lost or stored twice, no task was lost, no customer
// was called twice for one outcome, and that the surviving processes kept working.
//
// Not covered yet: SIP phones through Kamailio and several gateways (issue 16 item 2),
// so the calls are the development dialer's, placed by the process owning the agent.
package clustertest
