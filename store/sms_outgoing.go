package store

// OutgoingSMS is one claimed message as an SMS provider needs it. Kannel sends Body (the
// rendered text with the signature); the cloud providers (Aliyun, Tencent) send instead
// the template approved at the provider (ProviderTemplate) with its parameters (Vars)
// and the dealer's registered signature (Sign). It lives here because both the queue,
// which claims messages, and the gateways, which send them, use it.
type OutgoingSMS struct {
	// ID is our sms_messages id.
	ID int64
	// Phone is the recipient's number as stored (13912345678).
	Phone string
	// Body is the rendered text, signature 【...】 included.
	Body string
	// Template is our template code ("birthday", "leave_store_care").
	Template string
	// ProviderTemplate is the template's id at the cloud provider; empty when the director
	// has not set one.
	ProviderTemplate string
	// Vars are the variables the message was rendered with.
	Vars map[string]string
	// VarNames are the template's variables in order of first appearance in its text,
	// each once (Tencent's templates take positional parameters {1}, {2}...); nil when
	// the template's text is not known.
	VarNames []string
	// Sign is the dealer's SMS signature without 【】.
	Sign string
}

// Params returns the values of VarNames, in order.
func (m OutgoingSMS) Params() []string {
	out := make([]string, len(m.VarNames))
	for i, n := range m.VarNames {
		out[i] = m.Vars[n]
	}
	return out
}
