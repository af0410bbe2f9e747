package telephony

// Outcome is how a call attempt ended, as the queue's retry rules see it.
type Outcome string

// The outcomes of a call attempt.
const (
	// OutcomeAnswered means the customer answered.
	OutcomeAnswered Outcome = "answered"
	// OutcomeBusy is 486 Busy Here or 600 Busy Everywhere.
	OutcomeBusy Outcome = "busy"
	// OutcomeDeclined is 603 Decline.
	OutcomeDeclined Outcome = "declined"
	// OutcomeNoAnswer is 408 Request Timeout or our own CANCEL at the ring timeout.
	OutcomeNoAnswer Outcome = "no_answer"
	// OutcomeUnreachable is 480 Temporarily Unavailable (switched off, out of coverage).
	OutcomeUnreachable Outcome = "unreachable"
	// OutcomeInvalidNumber is 404 Not Found, 410 Gone (a number taken out of service), 484
	// Address Incomplete or 604 Does Not Exist Anywhere.
	OutcomeInvalidNumber Outcome = "invalid_number"
	// OutcomeTrunkFailure is a 5xx, a 403 from the trunk, a transport error or no
	// response at all. It is not a customer attempt.
	OutcomeTrunkFailure Outcome = "trunk_failure"
)

// OutcomeForStatus maps the final SIP status of an INVITE to an outcome. Any status the
// issue does not name (other 3xx-6xx) counts as a trunk failure: it says nothing about
// the customer.
func OutcomeForStatus(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return OutcomeAnswered
	case status == 486 || status == 600:
		return OutcomeBusy
	case status == 603:
		return OutcomeDeclined
	case status == 408:
		return OutcomeNoAnswer
	case status == 480:
		return OutcomeUnreachable
	case status == 404 || status == 410 || status == 484 || status == 604:
		return OutcomeInvalidNumber
	default:
		return OutcomeTrunkFailure
	}
}

// CustomerAttempt reports whether the outcome counts as an attempt on the customer (a
// trunk failure does not).
func (o Outcome) CustomerAttempt() bool { return o != OutcomeTrunkFailure && o != "" }
