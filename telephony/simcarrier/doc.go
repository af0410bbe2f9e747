// Package simcarrier is the simulated carrier: a SIP UAS built into Huifang that stands
// in for a real trunk, so the product shows calls flowing on one machine. It is what
// `serve` dials when no trunk is configured, and `huifang sim-carrier` runs it alone.
//
// Each INVITE rings for a random time, then is answered, or rejected as busy (486),
// unreachable (480) or invalid (404), or rings until the caller gives up (no answer,
// 408 after a long while), with configurable odds. An answered call plays audio (a tone
// or a WAV file) as PCMU or PCMA and hangs up after a random talk time.
package simcarrier
