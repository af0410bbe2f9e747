package main

// extraParts returns the product's background parts in start order: workers first (so
// tasks have somewhere to go), then the scheduler and outbox relay, then the SIP gateway,
// the SMS housekeeping and the SMS providers' callbacks (on a listener of their own).
// Each issue's code adds its part here.
func extraParts(d *deps) []part {
	gw := newGatewayPart(d)
	return []part{newWorkerPart(d), newSchedulerPart(d), newRelayPart(d), gw, newSMSPart(d, gw), newSMSCallbackPart(d), newConsolePart(d, gw)}
}
