// Package sms talks to SMS gateways: it submits messages to Kannel through smsbox's
// sendsms HTTP interface (with a dlr-url carrying our message id), and serves the two
// HTTP endpoints Kannel calls back: delivery reports (DLR) and incoming replies (MO).
//
// Reports and replies are written to Postgres through the store: a DLR becomes an
// sms_events row and moves the message's status (submitted, delivered, failed); a reply
// becomes an sms_replies row and, when it is an opt-out (TD, 退订, N, T, 取消, ...),
// opts the number out of marketing SMS at once in sms_consent (with its time and source)
// for every dealer that messaged it, and suppresses their queued marketing messages.
//
// The queue owns when and whether a message is sent (claims, quiet hours, rate limits,
// retries); this package only speaks to the gateway. A Kannel value satisfies the
// queue's Provider interface by its method set; cmd wires the two together.
//
// RenderPrompt renders a message-call prompt in Mandarin offline with espeak-ng, as the
// 8000 Hz WAV the gateway's message-call path plays. The kanneltest sub-package runs a
// real bearerbox, smsbox and fakesmsc for tests; BENCH.md has the throughput figures.
//
// Cloud SMS providers (Aliyun dysmsapi, Tencent Cloud SMS) are not implemented: their Go
// SDKs were not reachable on the module proxy from the build machine.
package sms
