package main

// extraParts returns the product's background parts in start order: workers first (so
// tasks have somewhere to go), then the scheduler and outbox relay, then the SIP gateway.
// Each issue's code adds its part here.
func extraParts(d *deps) []part {
	gw := newGatewayPart(d)
	return []part{newWorkerPart(d), newSchedulerPart(d), newRelayPart(d), gw, newSMSPart(d, gw), newConsolePart(d, gw)}
}
