// Package sipptest runs sipp (Debian package sip-tester), the SIP traffic generator, as
// a real peer in tests: a trunk, a customer, or an agent's phone, playing XML scenarios.
// Tests skip with a clear message when sipp is not installed.
package sipptest
