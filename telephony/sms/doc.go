// Package sms talks to SMS gateways: it submits messages to Kannel through smsbox's
// sendsms HTTP interface (with a dlr-url carrying our message id), or to the cloud SMS
// providers in China through their Go SDKs: Aliyun (dysmsapi SendSms) and Tencent Cloud
// (sms v20210111 SendSms). It serves the HTTP endpoints the gateways call back: delivery
// reports and incoming replies (Kannel's DLR and MO URLs; Aliyun's SmsReport and SmsUp
// pushes; Tencent's status reports and replies).
//
// Cloud providers send only templates approved at the provider, with parameters and a
// registered signature, not free text: a message carries its template's code at the
// provider (sms_templates.provider_code, set by the director), the variables it was
// rendered with (sms_messages.vars; Aliyun takes them by name as JSON, Tencent by
// position in the order they first appear in the template) and the dealer's signature
// without 【】. A template without a provider code fails its messages for good, naming it.
// Their reports name the message by the provider's id (BizId, SerialNo) or by ours,
// sent as Aliyun's OutId and Tencent's SessionContext.
//
// Reports and replies are written to Postgres through the store: a report becomes an
// sms_events row and moves the message's status (submitted, delivered, failed); a reply
// becomes an sms_replies row and, when it is an opt-out (TD, 退订, N, T, 取消, ...),
// opts the number out of marketing SMS at once in sms_consent (with its time and source)
// for every dealer that messaged it, and suppresses their queued marketing messages.
//
// The queue owns when and whether a message is sent (claims, quiet hours, rate limits,
// retries); this package only speaks to the gateway. Kannel, Aliyun and Tencent values
// satisfy the queue's Provider interface by their method sets (Submit takes a
// store.OutgoingSMS); cmd wires them together. Their errors (Error) say whether a
// failure is permanent, may be retried, or leaves the message in doubt. Aliyun and
// Tencent also say, for a message left in 'sending', whether they accepted it (Confirm,
// the queue's Confirmer).
//
// The kanneltest sub-package runs a real bearerbox, smsbox and fakesmsc for tests;
// BENCH.md has the throughput figures. (Message-call prompts are rendered by
// telephony/media.RenderPrompt.)
package sms
