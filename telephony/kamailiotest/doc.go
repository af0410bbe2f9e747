// Package kamailiotest runs Kamailio (Debian packages kamailio and
// kamailio-postgres-modules) with the repository's deploy/kamailio/kamailio.cfg as a real
// SIP proxy in tests: agents' phones register to it and gateways reach them through it.
// Tests skip with a clear message when the kamailio binary is missing, except in CI (the
// CI environment variable set), where .ci/test-tools.sh installs it and a missing binary
// fails the test.
package kamailiotest
