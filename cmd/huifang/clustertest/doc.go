// Package clustertest is the whole-system test of issue 16 (`make test-cluster`, which CI
// runs after `make test`). It builds the huifang binary and runs two `huifang serve`
// processes on one Postgres and one Redis; browser-like agents (WebSocket clients that
// reconnect to the other process when theirs goes, as behind a load balancer) work calls
// on both; one process is killed with SIGKILL in the middle of calls and later the other
// is stopped with SIGTERM while a fresh one takes its place. It then checks that no
// outcome was lost or stored twice, no task was lost, no customer was called twice for
// one outcome, and that the surviving processes kept working.
//
// With Kamailio and sipp installed (CI installs them; elsewhere the test falls back to the
// development dialer's calls), the calls are real SIP (issue 16 item 2): Kamailio runs
// deploy/kamailio/kamailio.cfg with the three processes' gateways in its dispatcher list,
// every agent's phone (one sipp answering for all) registers to it with the agent's
// digest secret, and a sipp customer is the trunk; each process's gateway calls the
// agent's phone through Kamailio for each customer call. It also checks that the killed
// gateway's unfinished calls are closed by the survivor once its lease (3 s here) ran out,
// and that the calls were placed by the gateways of all three processes.
package clustertest
